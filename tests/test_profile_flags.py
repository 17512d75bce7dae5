"""Profile names and the profile commands' flags: a key given as a name is refused; rm and default have
--dry-run."""

from __future__ import annotations

from conftest import KEY, snapshot


def test_a_key_given_as_the_profile_name_is_refused(kc, home):
    result = kc("use", "shell", "--profile", KEY, "--key-stdin", "--base-url", "https://r.example",
                "--no-verify", input=KEY + "\n")
    assert result.code == 2 and "looks like an API key" in result.output
    assert KEY not in result.output and not (home / ".config" / "keyconf").exists()


def test_profile_rm_and_default_have_a_dry_run(kc, home, relay):
    assert kc("use", "shell", "--profile", "a", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    assert kc("use", "shell", "--profile", "b", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    before = snapshot(home), (home / ".config" / "keyconf" / "profiles.toml").read_bytes()
    dry = kc("profile", "rm", "a", "--force", "--dry-run")
    assert dry.code == 0 and "profiles.toml" in dry.stdout
    assert kc("profile", "default", "b", "--dry-run").code == 0
    assert (snapshot(home), (home / ".config" / "keyconf" / "profiles.toml").read_bytes()) == before
