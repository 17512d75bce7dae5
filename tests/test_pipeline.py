"""The change pipeline: one transaction for client files, profiles, stored keys and keyconf's state."""

from __future__ import annotations

import json

from conftest import KEY, snapshot

KEY_B = "sk-SecondKey9876543210zyxwvuQ"


def use(kc, url, client="claude-code", *extra, key=KEY):
    return kc("use", client, "--key-stdin", "--base-url", url, *extra, input=key + "\n")


def profiles(kc) -> dict:
    return {p["profile"]: p for p in kc("profile", "list", "--json").json()["results"]}


def test_undo_takes_back_the_profile_and_key_a_change_created(kc, home, relay):
    relay.keys.add(KEY_B)
    assert use(kc, relay.url, "claude-code", "--profile", "one").code == 0
    assert use(kc, relay.url, "claude-code", "--profile", "two", key=KEY_B).code == 0
    assert profiles(kc)["one"]["default"]  # a new profile does not silently become the default
    assert kc("undo").code == 0
    assert set(profiles(kc)) == {"one"} and profiles(kc)["one"]["default"]
    secrets = json.loads((home / ".config" / "keyconf" / "secrets.json").read_text())
    assert secrets == {"one": KEY}  # the key stored by the undone change is gone too
    env = json.loads((home / ".claude" / "settings.json").read_text())["env"]
    assert env["ANTHROPIC_AUTH_TOKEN"] == KEY
    # the next use picks the right profile
    assert kc("use", "codex", "--no-verify", "--json").json()["results"][0]["profile"] == "one"


def test_undo_of_the_first_change_leaves_nothing_of_keyconf_but_its_journal(kc, home, relay):
    before = snapshot(home)
    assert use(kc, relay.url).code == 0
    assert kc("undo").code == 0
    assert snapshot(home) == before
    folder = home / ".config" / "keyconf"
    assert sorted(p.name for p in folder.iterdir() if p.name not in ("journal", "lock")) == []


def test_env_prints_what_the_binding_configures(kc, home, relay):
    assert use(kc, relay.url, "claude-code", "--anthropic-auth", "api-key", "--model", "m1",
               "--no-verify").code == 0
    shown = kc("env", "claude-code", "--shell", "bash", "--reveal").stdout
    assert f"export ANTHROPIC_API_KEY='{KEY}'" in shown and "ANTHROPIC_AUTH_TOKEN" not in shown
    assert "export ANTHROPIC_MODEL='m1'" in shown
    assert f"export ANTHROPIC_BASE_URL='{relay.url}'" in shown


def test_a_profile_key_is_one_key_for_every_client_bound_to_it(kc, home, relay, monkeypatch):
    relay.keys.add(KEY_B)
    assert use(kc, relay.url, "claude-code").code == 0
    assert kc("use", "codex", "--no-verify").code == 0
    monkeypatch.setenv("KEYCONF_API_KEY", KEY_B)
    result = kc("use", "codex", "--json")
    assert result.code == 0, result.output
    updated = {r["client"] for r in result.json()["results"] if r["changed"]}
    assert updated == {"claude-code", "codex"}
    env = json.loads((home / ".claude" / "settings.json").read_text())["env"]
    assert env["ANTHROPIC_AUTH_TOKEN"] == KEY_B
    assert json.loads((home / ".codex" / "auth.json").read_text())["OPENAI_API_KEY"] == KEY_B


def test_rotate_with_a_rejected_key_leaves_every_client_on_the_old_key(kc, home, relay):
    assert use(kc, relay.url, "claude-code").code == 0
    assert kc("use", "codex", "--no-verify").code == 0
    before = snapshot(home)
    keys_before = (home / ".config" / "keyconf" / "secrets.json").read_bytes()
    result = kc("profile", "rotate", "--key-stdin", input="sk-NotAcceptedByTheRelay00000\n")
    assert result.code == 5, result.output
    assert "nothing was written" in result.stderr
    assert snapshot(home) == before
    assert (home / ".config" / "keyconf" / "secrets.json").read_bytes() == keys_before


def test_rotate_updates_every_bound_client_in_one_change(kc, home, relay):
    relay.keys.add(KEY_B)
    assert use(kc, relay.url, "claude-code").code == 0
    assert kc("use", "codex", "--no-verify").code == 0
    result = kc("profile", "rotate", "--key-stdin", "--json", input=KEY_B + "\n")
    assert result.code == 0, result.output
    assert {r["client"] for r in result.json()["results"] if r["changed"]} == {"claude-code", "codex"}
    assert kc("undo").code == 0
    assert json.loads((home / ".codex" / "auth.json").read_text())["OPENAI_API_KEY"] == KEY
    assert kc("secret").stdout.strip() == KEY


def test_use_with_a_rejected_key_writes_nothing(kc, home, relay):
    before = snapshot(home)
    result = use(kc, relay.url, key="sk-Truncated000")
    assert result.code == 5 and "complete key" in result.output
    assert snapshot(home) == before
    assert not (home / ".config" / "keyconf" / "profiles.toml").exists()
    forced = use(kc, relay.url, "claude-code", "--force", key="sk-Truncated000")
    assert forced.code == 5 and "written despite the failed check" in forced.stderr
    assert (home / ".claude" / "settings.json").exists()


def test_profile_rm_is_a_change_that_undo_takes_back(kc, home, relay):
    assert use(kc, relay.url, "shell", "--profile", "work", "--no-verify").code == 0
    assert kc("remove", "shell").code == 0
    assert kc("profile", "rm", "work", "-y").code == 0
    assert profiles(kc) == {}
    assert kc("undo").code == 0
    assert set(profiles(kc)) == {"work"} and kc("secret", "work").stdout.strip() == KEY


def test_profile_default_chooses_the_default(kc, home, relay):
    assert use(kc, relay.url, "shell", "--profile", "a", "--no-verify").code == 0
    assert use(kc, relay.url, "shell", "--profile", "b", "--no-verify").code == 0
    assert profiles(kc)["a"]["default"]
    assert kc("profile", "default", "b").code == 0
    assert profiles(kc)["b"]["default"] and not profiles(kc)["a"]["default"]
    assert "* b" in kc("profile", "list").stdout


def test_state_version_1_is_migrated(kc, home, relay):
    folder = home / ".config" / "keyconf"
    folder.mkdir(parents=True)
    (folder / "profiles.toml").write_text(f'default = "w"\n\n[profiles."w"]\nbase_url = "{relay.url}"\n'
                                          'secret_store = "file"\n')
    (folder / "secrets.json").write_text(json.dumps({"w": KEY}))
    v1 = {"version": 1, "bindings": {"claude-code": {
        "profile": "w", "via": "config", "no_plaintext": False, "anthropic_auth": "api-key", "model": "m",
        "files": {}}}, "shell_files": {}, "registry": {}}
    (folder / "state.json").write_text(json.dumps(v1))
    item = kc("status", "claude-code", "--json").json()["results"][0]
    assert item["profile"] == "w"
    shown = kc("env", "claude-code", "--shell", "bash", "--reveal").stdout
    assert "ANTHROPIC_API_KEY" in shown and "ANTHROPIC_MODEL='m'" in shown
    assert kc("use", "claude-code", "--no-verify").code == 0
    assert json.loads((folder / "state.json").read_text())["version"] == 2


def test_newer_state_is_refused(kc, home):
    folder = home / ".config" / "keyconf"
    folder.mkdir(parents=True)
    (folder / "state.json").write_text('{"version": 99}')
    result = kc("use", "shell", "--no-verify", "--base-url", "https://r.example", "--key-stdin",
                input=KEY + "\n")
    assert result.code == 3 and "newer keyconf" in result.output


def test_status_flags_a_client_whose_key_is_not_its_profiles(kc, home, relay):
    assert use(kc, relay.url, "claude-code").code == 0
    settings = home / ".claude" / "settings.json"
    settings.write_text(settings.read_text().replace(KEY, KEY_B))
    item = kc("status", "claude-code", "--json").json()["results"][0]
    assert any("differs from profile default's key" in c for c in item["conflicts"])
    assert KEY_B not in kc("status", "claude-code").output


def test_status_verify_asks_the_relay_and_shows_the_keys_quota(kc, home, relay):
    relay.usage = {"name": "k", "total_granted": 2_000_000, "total_used": 400_000, "total_available": 1_600_000,
                   "unlimited_quota": False, "expires_at": 0, "model_limits": {}}
    assert use(kc, relay.url, "claude-code").code == 0
    result = kc("status", "--verify")
    assert result.code == 0, result.output
    assert "verify: ok" in result.stdout and "$3.20 left" in result.stdout
