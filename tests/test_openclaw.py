"""OpenClaw adapter through the CLI: keyconf's provider and the agents' default model in openclaw.json (JSON5),
the key literal in a 0600 file or, with --no-plaintext, an exec SecretRef that runs `keyconf secret`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, snapshot

# Valid for OpenClaw 2026.9.6's strict schema (`openclaw config validate`), with JSON5's comments and commas.
CONFIG_JSON5 = b"""{
  // my OpenClaw settings
  "agents": {
    "defaults": {
      "model": { "primary": "anthropic/claude-sonnet-4-5" }, // the default before keyconf
      "workspace": "~/work",
    },
  },
  /* local models */
  "models": {
    "providers": {
      "ollama": {
        "baseUrl": "http://localhost:11434/v1",
        "apiKey": "ollama-local",
        "api": "openai-completions",
        "models": [{ "id": "llama3.2", "name": "Llama 3.2" }],
      },
    },
  },
}
"""


def config(home: Path) -> Path:
    return home / ".openclaw" / "openclaw.json"


def read_path(path: Path) -> dict:
    from keyconf.formats.jsondoc import JsonDoc

    return JsonDoc(path.read_bytes(), path.name, jsonc=True).get(())


def read(home: Path) -> dict:
    return read_path(config(home))


def use(kc, url, *extra, key=KEY):
    return kc("use", "openclaw", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestOpenClawContract(AdapterContract):
    client = "openclaw"
    use_args = ("--model", "gpt-5", "--yes")
    run_model = "gpt-5"  # a provider of keyconf's own lists one model
    run_e2e = RunE2E("openclaw", ("agent", "exec", "ping"), "/v1/chat/completions", "authorization",
                     env={"OPENCLAW_OFFLINE": "1", "npm_config_registry": "http://127.0.0.1:9/", "NO_COLOR": "1"},
                     rewrites=tuple(f".openclaw/state/openclaw.sqlite{end}" for end in ("", "-shm", "-wal")))

    @pytest.mark.e2e
    def test_run_real_client_talks_to_the_profile_relay_only(self, kc, home, monkeypatch):
        # OpenClaw needs Node >= 24.16: npm's Node 24 first on PATH (the contract puts the binary's folder first)
        from test_openclaw_e2e import _node24

        monkeypatch.setenv("PATH", f"{_node24()}{os.pathsep}{os.environ['PATH']}")
        super().test_run_real_client_talks_to_the_profile_relay_only(kc, home)

    def arrange(self, home):
        config(home).parent.mkdir(parents=True)
        config(home).write_bytes(CONFIG_JSON5)

    def break_file(self, home):
        config(home).write_bytes(b"{ agents: { defaults: {} }, 'models': {} }")  # JSON5 keyconf does not edit
        return config(home)

    def plant(self, home, token):
        config(home).write_bytes(CONFIG_JSON5.replace(b'"ollama-local"', json.dumps(token).encode()))


def test_use_writes_provider_and_default_and_keeps_comments(kc, home, relay):
    TestOpenClawContract().arrange(home)
    result = use(kc, relay.url, "--model", "gpt-5", "--yes")
    assert result.code == 0, result.output
    data = read(home)
    assert data["models"]["providers"]["keyconf"] == {"baseUrl": relay.url + "/v1", "api": "openai-completions",
                                                      "apiKey": KEY, "models": [{"id": "gpt-5", "name": "gpt-5"}]}
    assert data["agents"]["defaults"]["model"]["primary"] == "keyconf/gpt-5"
    assert data["agents"]["defaults"]["workspace"] == "~/work"
    text = config(home).read_text()
    for kept in ("// my OpenClaw settings", "/* local models */", "// the default before keyconf"):
        assert kept in text
    assert stat.S_IMODE(config(home).stat().st_mode) == 0o600
    assert 'primary = "anthropic/claude-sonnet-4-5"' in result.stderr


def test_no_plaintext_writes_an_exec_secret_provider(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5", "--no-plaintext")
    assert result.code == 0, result.output
    data = read(home)
    assert KEY not in config(home).read_text()
    assert data["models"]["providers"]["keyconf"]["apiKey"] == {"source": "exec", "provider": "keyconf",
                                                                "id": "default"}
    secret = data["secrets"]["providers"]["keyconf"]
    assert secret["source"] == "exec" and secret["jsonOnly"] is False and secret["args"][-2:] == ["secret", "default"]
    assert Path(secret["command"]).is_absolute() and not Path(secret["command"]).is_symlink()
    assert "KEYCONF_HOME" in secret["passEnv"] and "HOME" in secret["passEnv"]
    assert kc("status", "openclaw", "--json").json()["results"][0]["key"] == "via exec SecretRef"
    assert kc("verify", "openclaw", "--json").json()["results"][0]["key"] == "sk-…YZ42"
    doctor = kc("doctor").output
    assert "exec secret provider" in doctor and "problem:" not in doctor, doctor


def test_exec_command_is_a_real_file():
    from keyconf.adapters.openclaw import exec_command

    command = exec_command(["/usr/bin/env", "secret", "p"])
    assert command[1:] == ["secret", "p"] and not Path(command[0]).is_symlink()


def test_a_generated_agent_models_file_with_another_url_is_a_conflict(kc, home, relay):
    assert use(kc, relay.url, "--model", "gpt-5", "--no-verify").code == 0
    shadow = home / ".openclaw" / "agents" / "main" / "agent" / "models.json"
    shadow.parent.mkdir(parents=True)
    shadow.write_text(json.dumps({"providers": {"keyconf": {"baseUrl": "http://old.example/v1"}}}))
    item = kc("status", "openclaw", "--json").json()["results"][0]
    assert any("wins over openclaw.json" in c for c in item["conflicts"])
    assert "wins over openclaw.json" in kc("doctor").output


@pytest.mark.parametrize("content", [b'{"models": []}', b'{"models": {"providers": {"keyconf": {"baseUrl": "x"}}}}'])
def test_foreign_shapes_are_refused(kc, home, relay, content):
    config(home).parent.mkdir(parents=True)
    config(home).write_bytes(content)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-5", "--no-verify")
    assert result.code == 3, result.output
    assert snapshot(home) == before


def test_state_dir_and_config_path_variables(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(tmp_path / "state"))
    assert use(kc, relay.url, "--model", "gpt-5", "--no-verify").code == 0
    assert (tmp_path / "state" / "openclaw.json").is_file()
    monkeypatch.setenv("OPENCLAW_CONFIG_PATH", str(tmp_path / "other.json"))
    assert kc("use", "openclaw", "--no-verify").code == 0
    assert read_path(tmp_path / "other.json")["models"]["providers"]["keyconf"]
    assert not (tmp_path / "state" / "openclaw.json").exists()  # keyconf's block moved with the config
    assert kc("remove", "openclaw").code == 0 and not (tmp_path / "other.json").exists()


def test_a_ccswitch_openclaw_link_imports_and_export_apply_replay_it(kc, home, relay, tmp_path):
    import base64
    from urllib.parse import quote

    payload = {"baseUrl": relay.url + "/v1", "apiKey": KEY, "api": "openai-completions",
               "models": [{"id": "gpt-5", "name": "gpt-5"}]}
    config_b64 = base64.b64encode(json.dumps(payload).encode()).decode()
    link = (f"ccswitch://v1/import?resource=provider&app=openclaw&name=team&model=gpt-5"
            f"&config={quote(config_b64)}&configFormat=json")
    result = kc("import", "-", "--yes", input=link + "\n")
    assert result.code == 0, result.output
    assert KEY not in result.output
    data = read(home)
    assert data["models"]["providers"]["keyconf"]["apiKey"] == KEY
    assert data["agents"]["defaults"]["model"]["primary"] == "keyconf/gpt-5"
    exported = kc("export")
    assert '[clients.openclaw]' in exported.stdout and 'model = "gpt-5"' in exported.stdout
    plan = tmp_path / "team.toml"
    plan.write_text(exported.stdout.replace("{ prompt = true }", "{ stored = true }"))
    again = kc("apply", str(plan), "--json", "--no-verify")
    assert again.code == 0, again.output
    assert all(r["changed"] == [] for r in again.json()["results"])


def _launch(env: dict | None = None, model: str = "gpt-5"):
    from keyconf import adapters
    from keyconf.adapters.base import Context
    from keyconf.paths import Paths
    from keyconf.stores.profiles import Profile
    from keyconf.stores.state import State

    paths = Paths({**os.environ, **(env or {})})
    return adapters.get("openclaw").launch(Context(paths, State.load(paths)), Profile("B", "http://127.0.0.1:9"),
                                           model)


def test_run_config_includes_the_users_file_and_adds_its_provider_over_it(home):
    TestOpenClawContract().arrange(home)
    launch = _launch({"OPENCLAW_INCLUDE_ROOTS": "/srv/shared"})
    [(path, body)] = launch.files.items()
    overlay = json.loads(body)
    assert overlay["$include"] == str(config(home))
    assert overlay["models"]["providers"]["keyconf-run"] == {
        "baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions",
        "apiKey": "${KEYCONF_OPENCLAW_RUN_API_KEY}", "models": [{"id": "gpt-5", "name": "gpt-5"}]}
    assert overlay["agents"] == {"defaults": {"model": {"primary": "keyconf-run/gpt-5"}}}
    assert launch.env == {"OPENCLAW_CONFIG_PATH": str(path),
                          "OPENCLAW_INCLUDE_ROOTS": f"/srv/shared{os.pathsep}{config(home).parent}"}
    assert launch.key_vars == ("KEYCONF_OPENCLAW_RUN_API_KEY",)
    # a run started from inside a run (its OPENCLAW_CONFIG_PATH names the overlay) still includes the user's file
    again = _launch({"OPENCLAW_CONFIG_PATH": str(path), "OPENCLAW_INCLUDE_ROOTS": launch.env["OPENCLAW_INCLUDE_ROOTS"]})
    assert json.loads(next(iter(again.files.values())))["$include"] == str(config(home))


def test_run_without_a_config_of_the_users_includes_nothing(home):
    launch = _launch()
    assert "$include" not in json.loads(next(iter(launch.files.values())))
    assert "OPENCLAW_INCLUDE_ROOTS" not in launch.env
