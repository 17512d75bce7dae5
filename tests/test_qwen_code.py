"""Qwen Code: keyconf's provider in ~/.qwen/settings.json (JSONC), its key in one block of ~/.qwen/.env."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from adapter_contract import KEY_B, AdapterContract, RunE2E
from conftest import KEY, snapshot
from corpus import corpus_files
from keyconf.formats import dotenv

# A user's settings as Qwen Code 0.24 keeps them: comments, their own OpenAI-compatible provider (with the same
# model id keyconf will use), an `env` block, MCP servers, `$version` already there.
SETTINGS_RICH = b"""{
  // my Qwen settings
  "ui": { "theme": "Qwen Dark" },
  "modelProviders": {
    "openai": [
      { "id": "gpt-5", "name": "work gpt-5", "envKey": "WORK_KEY", "baseUrl": "https://work.example/v1" }
    ]
  },
  "env": { "WORK_KEY": "sk-not-this-one" },
  "mcpServers": { "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"] } },
  /* keep me */
  "$version": 4
}
"""
ENV_RICH = b"# my vars\nWORK_KEY=abc # a comment\nexport DEBUG_LEVEL='2'\n"
MODEL = ("--model", "gpt-5")


def qwen_dir(home: Path) -> Path:
    return home / ".qwen"


def write(home: Path, settings: bytes | None = SETTINGS_RICH, env: bytes | None = ENV_RICH) -> None:
    qwen_dir(home).mkdir(parents=True, exist_ok=True)
    if settings is not None:
        (qwen_dir(home) / "settings.json").write_bytes(settings)
    if env is not None:
        (qwen_dir(home) / ".env").write_bytes(env)


def use(kc, relay, *extra, key: str = KEY):
    return kc("use", "qwen-code", "--key-stdin", "--base-url", relay.url, "--no-verify", *extra, input=key + "\n")


def settings(home: Path) -> dict:
    from keyconf.formats.jsondoc import JsonDoc

    doc = JsonDoc((qwen_dir(home) / "settings.json").read_bytes(), "settings.json", jsonc=True)
    return doc.get(())


class TestQwenCodeContract(AdapterContract):
    client = "qwen-code"
    use_args = MODEL
    # usage statistics off (Qwen's only call besides the relay); the user's MCP servers stay off (only an unknown
    # name allowed), and npm's registry at a closed port
    run_e2e = RunE2E("qwen", ("--allowed-mcp-server-names", "keyconf-none", "-p", "ping"), "/v1/chat/completions",
                     "authorization", env={"QWEN_USAGE_STATISTICS_ENABLED": "0", "NO_COLOR": "1",
                                           "npm_config_registry": "http://127.0.0.1:9/",
                                           # stray variables that must not beat the run's settings
                                           "OPENAI_API_KEY": "sk-stray", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                                           "OPENAI_MODEL": "gpt-4o-mini"})

    def arrange(self, home):
        write(home)

    def break_file(self, home):
        path = qwen_dir(home) / "settings.json"
        path.write_bytes(b'{"ui": {"theme": "Qwen Dark"}')
        return path

    def plant(self, home, token):
        path = qwen_dir(home) / ".env"
        path.write_bytes(path.read_bytes() + f"KEYCONF_QWEN_API_KEY={token}\nOPENAI_API_KEY={token}\n".encode())


def test_use_writes_keyconfs_provider_and_the_key_in_a_private_env_block(kc, home, relay):
    write(home)
    result = use(kc, relay, *MODEL)
    assert result.code == 0, result.output
    data = settings(home)
    url = relay.url + "/v1"
    assert data["modelProviders"]["keyconf"] == [{"id": "gpt-5", "name": "gpt-5", "envKey": "KEYCONF_QWEN_API_KEY",
                                                 "baseUrl": url}]
    assert data["modelProviders"]["openai"][0]["name"] == "work gpt-5"  # the user's provider stays
    assert data["providerProtocol"] == {"keyconf": "openai"}
    assert data["security"]["auth"]["selectedType"] == "openai"
    assert data["model"] == {"name": "gpt-5", "baseUrl": url}
    text = (qwen_dir(home) / "settings.json").read_bytes()
    assert b"// my Qwen settings" in text and b"/* keep me */" in text and KEY.encode() not in text
    env = qwen_dir(home) / ".env"
    assert env.read_bytes().startswith(ENV_RICH)
    assert dotenv.parse(env.read_text()) == {"WORK_KEY": "abc", "DEBUG_LEVEL": "2", "KEYCONF_QWEN_API_KEY": KEY}
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_a_new_settings_file_gets_qwens_version_so_qwen_does_not_rewrite_it(kc, home, relay):
    assert use(kc, relay, *MODEL).code == 0
    assert settings(home)["$version"] == 4
    assert kc("remove", "qwen").code == 0  # the alias names the same client
    assert not qwen_dir(home).joinpath("settings.json").exists() and not qwen_dir(home).joinpath(".env").exists()


def test_an_older_file_keeps_its_missing_version_for_qwens_own_migration(kc, home, relay):
    write(home, b'{"ui": {"theme": "Qwen Dark"}}')
    result = use(kc, relay, *MODEL)
    assert result.code == 0 and "$version" not in settings(home)
    assert '"$version": 4' in result.output  # the user is told Qwen will add it


def test_qwens_own_rewrite_is_no_change_and_remove_keeps_it(kc, home, relay):
    """Qwen adds `$version` on its first start and reformats what it touched: keyconf reads its own values in
    their new form as unchanged, `use` again writes nothing, `status` reads them, `remove` leaves Qwen's line."""
    write(home, b'{\n  "ui": {"theme": "Qwen Dark"}\n}\n', None)
    assert use(kc, relay, *MODEL).code == 0
    path = qwen_dir(home) / "settings.json"
    rewritten = json.dumps({**json.loads(path.read_bytes()), "$version": 4}, indent=4)  # every value re-spaced
    path.write_text(rewritten)
    again = kc("use", "qwen-code", "--no-verify", "--json")
    assert again.code == 0 and again.json()["results"][0]["changed"] == []
    assert path.read_text() == rewritten
    item = kc("status", "qwen-code", "--json").json()["results"][0]
    assert item["configured"] and item["conflicts"] == [] and item["model"] == "gpt-5"
    assert kc("remove", "qwen-code").code == 0
    assert json.loads(path.read_bytes()) == {"ui": {"theme": "Qwen Dark"}, "$version": 4}


def test_a_changed_value_of_keyconfs_is_set_back(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    path = qwen_dir(home) / "settings.json"
    path.write_text(path.read_text().replace('"selectedType": "openai"', '"selectedType": "qwen-oauth"'))
    assert kc("status", "qwen-code", "--json").json()["results"][0]["conflicts"]
    result = kc("use", "qwen-code", "--no-verify")
    assert result.code == 0 and "set back" in result.output
    assert settings(home)["security"]["auth"]["selectedType"] == "openai"
    assert kc("remove", "qwen-code").code == 0
    assert path.read_bytes() == SETTINGS_RICH


def test_a_trailing_comma_is_refused_because_qwen_cannot_read_it(kc, home, relay):
    write(home, b'{\n  "ui": {"theme": "Qwen Dark"},\n}\n')
    result = use(kc, relay, *MODEL)
    assert result.code == 3 and "line 2" in result.output and "trailing comma" in result.output


def test_without_a_model_keyconf_lists_a_relay_model_and_says_so(kc, home, relay):
    result = use(kc, relay)
    assert result.code == 0 and "--model" in result.output
    assert settings(home)["model"]["name"] == "qwen3-coder-plus"


def test_no_plaintext_is_refused_with_the_reason(kc, home, relay):
    result = use(kc, relay, *MODEL, "--no-plaintext")
    assert result.code == 2 and "environment variable" in result.output
    assert not qwen_dir(home).exists()


def test_someone_elses_keyconf_provider_is_not_taken_over(kc, home, relay):
    write(home, b'{"modelProviders": {"keyconf": []}}')
    result = use(kc, relay, *MODEL)
    assert result.code == 3 and "did not write" in result.output


def test_status_doctor_name_a_shell_variable_and_project_files_that_beat_keyconf(kc, home, relay, monkeypatch):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    project = home / "proj"
    (project / ".qwen").mkdir(parents=True)
    (project / ".qwen" / "settings.json").write_text('{"model": {"name": "qwen3-coder-plus"}}')
    (project / ".env").write_text("KEYCONF_QWEN_API_KEY=sk-project\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv("KEYCONF_QWEN_API_KEY", "sk-FromTheShell000000000000")
    item = kc("status", "qwen-code", "--json").json()["results"][0]
    assert any("exported in this shell" in c for c in item["conflicts"])
    doctor = kc("doctor")
    assert "proj/.qwen/settings.json sets model.name" in doctor.output
    assert "proj/.env sets KEYCONF_QWEN_API_KEY" in doctor.output
    assert "KEYCONF_QWEN_API_KEY is exported" in doctor.output
    assert "sk-FromTheShell000000000000" not in doctor.output


def test_env_prints_the_variable_the_settings_name(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    result = kc("env", "qwen", "--shell", "bash", "--reveal")
    assert result.code == 0, result.output
    assert result.stdout.strip() == f"export KEYCONF_QWEN_API_KEY='{KEY}'"


@pytest.mark.parametrize("path", corpus_files("qwen-code"), ids=lambda p: p.name if p else "none")
def test_corpus_use_use_again_remove_is_byte_exact(kc, home, relay, path):
    """Real users' settings.json from public dotfiles: use, use again (no change), remove (every byte back)."""
    write(home, path.read_bytes(), None)
    before = snapshot(home)
    result = use(kc, relay, *MODEL)
    assert result.code == 0, result.output
    once = snapshot(home)
    again = kc("use", "qwen-code", "--no-verify", "--json")
    assert again.code == 0 and again.json()["results"][0]["changed"] == [] and snapshot(home) == once
    assert kc("remove", "qwen-code").code == 0
    assert snapshot(home) == before


def test_qwen_home_moves_both_files(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("QWEN_HOME", str(tmp_path / "qwen-home"))
    assert use(kc, relay, *MODEL).code == 0
    assert {p.name for p in (tmp_path / "qwen-home").iterdir()} == {"settings.json", ".env"}
    assert not qwen_dir(home).exists()


def test_crlf_settings_get_crlf_lines_and_come_back_whole(kc, home, relay):
    crlf = SETTINGS_RICH.replace(b"\n", b"\r\n")
    write(home, crlf, ENV_RICH.replace(b"\n", b"\r\n"))
    assert use(kc, relay, *MODEL).code == 0
    text = (qwen_dir(home) / "settings.json").read_bytes()
    assert b"\n" not in text.replace(b"\r\n", b"")  # every line keyconf added ends like the user's
    assert kc("remove", "qwen-code").code == 0
    assert (qwen_dir(home) / "settings.json").read_bytes() == crlf


def test_qwens_old_flat_layout_is_refused_with_the_way_out(kc, home, relay):
    write(home, b'{\n  "selectedAuthType": "qwen-oauth",\n  "model": "coder-model"\n}\n', None)
    result = use(kc, relay, *MODEL)
    assert result.code == 3 and "line 3" in result.output and "start `qwen` once" in result.output


def test_via_env_keeps_no_env_block_and_back_to_config_writes_it_again(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    result = kc("use", "qwen-code", "--via", "env", "--shell", "bash", "--no-verify")
    assert result.code == 0, result.output
    assert (qwen_dir(home) / ".env").read_bytes() == ENV_RICH  # the block went: the shell gives the variable
    assert "KEYCONF_QWEN_API_KEY" in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()
    item = kc("status", "qwen-code", "--json").json()["results"][0]
    assert item["via"] == "env" and item["base_url"] == relay.url + "/v1" and item["conflicts"] == []
    assert "KEYCONF_QWEN_API_KEY is not set in this shell" in kc("doctor").output
    assert kc("use", "qwen-code", "--via", "config", "--no-verify").code == 0
    assert dotenv.parse((qwen_dir(home) / ".env").read_text())["KEYCONF_QWEN_API_KEY"] == KEY
    assert kc("remove", "qwen").code == 0
    assert (qwen_dir(home) / "settings.json").read_bytes() == SETTINGS_RICH
    assert (qwen_dir(home) / ".env").read_bytes() == ENV_RICH


def _launch(home, env: dict | None = None, model: str | None = "gpt-5"):
    from keyconf import adapters
    from keyconf.adapters.base import Context
    from keyconf.paths import Paths
    from keyconf.stores.profiles import Profile
    from keyconf.stores.state import State

    paths = Paths({**os.environ, **(env or {})})
    return adapters.get("qwen-code").launch(Context(paths, State.load(paths), {"B": KEY_B}),
                                            Profile("B", "http://127.0.0.1:9"), model)


def test_run_puts_its_provider_in_a_copy_of_the_system_settings_the_highest_layer(home):
    from keyconf.formats.jsondoc import JsonDoc

    admin = home / "admin-settings.json"
    admin.write_bytes(b'{\n  // the administrator settings\n  "ui": {"hideTips": true},\n'
                      b'  "model": {"maxSessionTurns": 9}\n}\n')
    before = snapshot(home)
    launch = _launch(home, {"QWEN_CODE_SYSTEM_SETTINGS_PATH": str(admin)})
    assert launch.key_vars == ("KEYCONF_QWEN_RUN_API_KEY",) and launch.argv == []
    [(path, body)] = launch.files.items()
    assert launch.env == {"QWEN_CODE_SYSTEM_SETTINGS_PATH": str(path)}
    data = JsonDoc(body, "copy", jsonc=True).get(())
    assert data["ui"] == {"hideTips": True}  # the administrator's settings stay in force
    assert data["model"] == {"maxSessionTurns": 9, "name": "gpt-5", "baseUrl": "http://127.0.0.1:9/v1"}
    assert data["modelProviders"] == {"openai": [{"id": "gpt-5", "name": "gpt-5 (keyconf run: B)",
                                                  "envKey": "KEYCONF_QWEN_RUN_API_KEY",
                                                  "baseUrl": "http://127.0.0.1:9/v1"}]}
    assert data["security"] == {"auth": {"selectedType": "openai"}} and data["$version"] == 4
    assert b"the administrator settings" in body and KEY_B.encode() not in body
    assert launch.notes and snapshot(home) == before


def test_run_without_a_model_lists_keyconfs_default_as_use_does(home):
    launch = _launch(home, model=None)
    from keyconf.formats.jsondoc import JsonDoc

    [body] = launch.files.values()
    assert JsonDoc(body, "copy").get(("model", "name")) == "qwen3-coder-plus"
