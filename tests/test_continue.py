"""Continue CLI adapter through the CLI: keyconf's own item in config.yaml's `models`, its key in ~/.continue/.env."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, snapshot

CONFIG_RICH = b"""# Continue config (hand-written)
name: Local Config
version: 1.0.0
schema: v1
models:
  # the hub model I use at work
  - uses: anthropic/claude-sonnet-4  # hub block
  - name: Ollama
    provider: ollama
    model: llama3.1:8b
    roles:
      - chat
      - autocomplete
context:
  - provider: code
  - provider: diff
rules:
  - Be brief.
"""
CONFIG_NO_MODELS = b"name: Mine\r\nversion: 0.0.1\r\nschema: v1\r\nmcpServers:\r\n  - name: fs\r\n    command: npx"
CONFIG_EMPTY_LIST = b"name: Local\nversion: 1.0.0\nschema: v1\nmodels: []  # none yet\n"
CONFIG_FLUSH = b"name: Flush\nversion: 1.0.0\nschema: v1\nmodels:\n- name: A\n  provider: openai\n  model: a\n"
# Shared settings through an anchor, merged into each model; the last item ends with an alias
CONFIG_ANCHORS = """%YAML 1.1
---
name: Team
version: 2.0.0
schema: v1

defaults: &defaults
  provider: openrouter
  apiBase: https://openrouter.ai/api/v1
  roles:
    - chat

system: &system |
  Be brief.

  🧠 Think first.

models:
  # --- reasoning ---
  - name: "🧠 Reasoner"
    <<: *defaults
    model: deepseek/deepseek-r1:free
    chatOptions:
      baseAgentSystemMessage: *system

# autocomplete, off for now:
# - name: Qwen
rules:
  - uses: file://.continue/rules/agent.md
""".encode()
FIXTURES = {"rich": CONFIG_RICH, "anchors": CONFIG_ANCHORS, "no-models-crlf": CONFIG_NO_MODELS,
            "empty-list": CONFIG_EMPTY_LIST, "flush-items": CONFIG_FLUSH, "empty": b"", "absent": None}
ENV_USER = b"OTHER_SECRET=abc\n"


def folder(home: Path) -> Path:
    return home / ".continue"


def config(home: Path) -> Path:
    return folder(home) / "config.yaml"


def write(home: Path, content: bytes | None, env: bytes | None = None) -> None:
    folder(home).mkdir(parents=True, exist_ok=True)
    if content is not None:
        config(home).write_bytes(content)
    if env is not None:
        (folder(home) / ".env").write_bytes(env)


def use(kc, url, *extra, key=KEY):
    return kc("use", "continue", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestContinueContract(AdapterContract):
    client = "continue"
    use_args = ("--model", "gpt-4o-mini")
    run_model = "gpt-4o-mini"
    # cn keeps its own state in globalContext.json (autoUpdateCli false here: no self-update with npm)
    run_e2e = RunE2E("cn", ("-p", "ping"), "/v1/chat/completions", "authorization",
                     env={"CONTINUE_METRICS_ENABLED": "0", "CONTINUE_CLI_ENABLE_TELEMETRY": "0"},
                     rewrites=(".continue/index/globalContext.json",))

    def arrange(self, home):
        # no hub blocks (`uses:`): cn would fetch them from hub.continue.dev
        write(home, CONFIG_RICH.replace(b"  - uses: anthropic/claude-sonnet-4  # hub block\n", b""), ENV_USER)
        (folder(home) / "index").mkdir(exist_ok=True)
        (folder(home) / "index" / "globalContext.json").write_text('{"autoUpdateCli": false}')

    def test_run_real_client_talks_to_the_profile_relay_only(self, kc, home, monkeypatch):
        from test_continue_e2e import cn_binary

        # cn lives in .ci/node-continue: the contract finds it on PATH
        monkeypatch.setenv("PATH", f"{cn_binary().parent}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
        super().test_run_real_client_talks_to_the_profile_relay_only(kc, home)

    def break_file(self, home):
        config(home).write_bytes(b"models:\n  - name: [unclosed\n")
        return config(home)

    def plant(self, home, token):
        write(home, CONFIG_RICH, f"ANTHROPIC_KEY='{token}'\n".encode())


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("how", ["remove", "undo"])
def test_use_reads_as_meant_and_remove_or_undo_is_byte_identical(kc, home, relay, fixture, how):
    write(home, FIXTURES[fixture])
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-4o-mini")
    assert result.code == 0, result.output
    data = yaml.safe_load(config(home).read_bytes())
    ours = [m for m in data["models"] if m.get("name") == "keyconf"]
    assert ours == [{"name": "keyconf", "provider": "openai", "model": "gpt-4o-mini", "apiBase": relay.url + "/v1",
                     "apiKey": "${{ secrets.KEYCONF_CONTINUE_API_KEY }}", "roles": ["chat", "edit", "apply"]}]
    old = yaml.safe_load(FIXTURES[fixture] or b"") or {}
    for name, value in old.items():
        if name != "models":
            assert data[name] == value
    assert [m for m in data["models"] if m.get("name") != "keyconf"] == (old.get("models") or [])
    assert KEY.encode() not in config(home).read_bytes()
    env = folder(home) / ".env"
    assert KEY.encode() in env.read_bytes() and stat.S_IMODE(env.stat().st_mode) == 0o600
    assert kc("use", "continue", "--json").json()["results"][0]["changed"] == []
    result = kc("undo") if how == "undo" else kc("remove", "continue")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_comments_and_the_users_models_survive_and_keyconfs_goes_first(kc, home, relay):
    write(home, CONFIG_RICH, ENV_USER)
    assert use(kc, relay.url, "--model", "gpt-4o-mini").code == 0
    text = config(home).read_text()
    # cn uses the first chat model it finds: keyconf's goes first, under the user's comment
    head = "models:\n  # the hub model I use at work\n  - name: keyconf\n"
    assert text.startswith(CONFIG_RICH.decode().split("models:")[0] + head)
    assert text.endswith(CONFIG_RICH.decode().split("# the hub model I use at work\n")[1])
    assert (folder(home) / ".env").read_bytes().startswith(ENV_USER)


def test_a_second_use_replaces_the_item_where_it_stands(kc, home, relay):
    write(home, CONFIG_RICH)
    assert use(kc, relay.url, "--model", "gpt-4o-mini").code == 0
    assert kc("use", "continue", "--model", "claude-sonnet-4-5", "--no-verify").code == 0
    data = yaml.safe_load(config(home).read_bytes())
    assert [m.get("model") for m in data["models"]] == ["claude-sonnet-4-5", None, "llama3.1:8b"]
    assert kc("remove", "continue").code == 0
    assert config(home).read_bytes() == CONFIG_RICH


def test_anthropic_key_in_the_environment_is_warned_about(kc, home, relay, monkeypatch):
    write(home, CONFIG_RICH)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-whatever")
    result = use(kc, relay.url, "--model", "gpt-4o-mini")
    assert "ANTHROPIC_API_KEY is set" in result.stderr
    assert "ANTHROPIC_API_KEY is set" in kc("doctor").output


def test_a_responses_model_is_verified_with_the_responses_api(kc, home, relay):
    write(home, CONFIG_RICH)
    result = use(kc, relay.url, "--model", "gpt-5")
    assert result.code == 0, result.output
    assert "Responses API" in result.output
    assert kc("verify", "continue", "--deep").code == 0
    assert relay.seen("/v1/responses") and not relay.seen("/v1/chat/completions")


BAD = [
    (b"models: {a: b}\n", "not a block list"),
    (b"models: [{name: a}]\n", "not a block list"),
    (b"models:\n  - name: keyconf\n    provider: openai\n", "keyconf did not write"),
    (b"models:\n  - a\nmodels:\n  - b\n", "given 2 times"),
]


@pytest.mark.parametrize("content,message", BAD)
def test_files_keyconf_cannot_edit_safely_are_refused_untouched(kc, home, relay, content, message):
    write(home, content)
    result = use(kc, relay.url, "--model", "gpt-4o-mini", "--no-verify")
    assert result.code == 3 and message in result.output, result.output
    assert config(home).read_bytes() == content
    assert not (folder(home) / ".env").exists()


def test_doctor_names_what_beats_the_env_file(kc, home, relay, monkeypatch):
    write(home, CONFIG_RICH)
    assert use(kc, relay.url, "--model", "gpt-4o-mini").code == 0
    monkeypatch.setenv("KEYCONF_CONTINUE_API_KEY", "sk-other")
    out = kc("doctor").output
    assert "$KEYCONF_CONTINUE_API_KEY is set" in out and "autoUpdateCli" in out
