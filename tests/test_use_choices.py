"""Which clients a command is for: a menu on a terminal, a usage error listing them in a script, --all, and
what counts as installed."""

from __future__ import annotations

from conftest import KEY


def use(kc, url, *args):
    return kc("use", *args, "--key-stdin", "--base-url", url, input=KEY + "\n")


def test_use_without_a_client_in_a_script_is_a_usage_error_listing_them(kc, home, relay, no_clients_on_path):
    result = use(kc, relay.url)
    assert result.code == 2 and result.stdout == ""
    assert "name the clients to configure" in result.stderr and "installed here: shell" in result.stderr
    assert not (home / ".config" / "keyconf" / "profiles.toml").exists()  # nothing stored


def test_use_all_is_every_installed_client_and_names_the_others(kc, home, relay, no_clients_on_path):
    (home / ".codex").mkdir()
    result = use(kc, relay.url, "--all", "--no-verify")
    assert result.code == 0, result.output
    assert "skipped (not installed here): claude-code, cursor" in result.output
    assert (home / ".codex" / "config.toml").exists()


def test_codex_keeps_and_reports_the_users_own_model(kc, home, relay):
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text('model = "o3"\n')
    result = use(kc, relay.url, "codex", "--no-verify")
    assert result.code == 0 and "no model set" not in result.output
    assert 'keeps your own model = "o3"' in result.output


def test_env_of_a_client_without_variables_says_so_first(kc, home, relay):
    assert use(kc, relay.url, "codex", "--no-verify").code == 0
    result = kc("env", "cursor")
    assert result.code == 2 and "Cursor does not read environment variables" in result.stderr
    assert "link cursor" not in result.stderr


def test_a_folder_keyconf_made_does_not_make_a_client_installed(kc, home, relay, no_clients_on_path):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    item = kc("status", "codex", "--json").json()["results"][0]
    assert item["configured"] and not item["installed"]
    assert kc("remove", "codex").code == 0
    assert not (home / ".codex").exists()  # and remove took the folder it made away again


def test_the_programs_names_are_aliases_of_their_clients(kc, home, relay):
    """`claude` and `gemini` (what people type: the binaries' names) name claude-code and gemini-cli."""
    assert use(kc, relay.url, "claude", "gemini", "--no-verify").code == 0
    bound = kc("status", "--json").json()["results"]
    assert {r["client"] for r in bound if r["configured"]} == {"claude-code", "gemini-cli"}
    assert kc("env", "claude", "--shell", "bash", "--json").json()["results"][0]["client"] == "claude-code"
    assert kc("remove", "gemini", "claude-code").code == 0
    assert not [r for r in kc("status", "--json").json()["results"] if r["configured"]]


def test_aliases_complete_to_their_client_ids():
    from keyconf.cli import cli
    from keyconf.commands.completion import clients

    ctx = cli.make_context("keyconf", ["use"], resilient_parsing=True)
    param = next(p for p in cli.commands["use"].params if p.name == "clients")
    sub = cli.commands["use"].make_context("use", [], parent=ctx, resilient_parsing=True)
    assert clients(sub, param, "gem") == ["gemini-cli"]
    assert clients(sub, param, "claude") == ["claude-code", "claude-desktop", "claude-vscode"]
