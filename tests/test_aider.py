"""Aider adapter through the CLI: a few top-level keys of ~/.aider.conf.yml, edited byte-exactly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, snapshot

CONFIG_RICH = b"""##########################################################
# Sample .aider.conf.yml
# Place in your home dir, or at the root of your git repo.
##########################################################

## Specify the model to use for the main chat
model: sonnet   # picked last week

#weak-model: xxx
dark-mode: true
read:
  - CONVENTIONS.md
  - docs/style.md
lint-cmd: "python: flake8 --select=E9"
"""
CONFIG_CRLF_NO_EOL = b"# work laptop\r\nopenai-api-key: 'sk-old'\r\nauto-commits: false"
CONFIG_EMPTY_VALUES = b"---\nmodel:\nweak-model: ''\ncode-theme: monokai\n"
CONFIG_COMMENTS_ONLY = b"# everything commented out\n#model: gpt-4o\n"
# Values aligned in a column, and a relay already set (GitHub Copilot's, as people point Aider at it)
CONFIG_ALIGNED = (b"openai-api-base: https://api.githubcopilot.com\nmodel:           openai/claude-3.7-sonnet\n"
                  b"weak-model:      openai/gpt-4o-mini\nvim: true\n")
FIXTURES = {"rich": CONFIG_RICH, "aligned": CONFIG_ALIGNED, "crlf-no-eol": CONFIG_CRLF_NO_EOL,
            "empty-values": CONFIG_EMPTY_VALUES,
            "comments-only": CONFIG_COMMENTS_ONLY, "empty": b"", "absent": None}
QUIET = ["--yes-always", "--no-git", "--no-check-update", "--no-analytics", "--no-show-release-notes",
         "--no-show-model-warnings", "--no-pretty", "--no-stream"]


def config(home: Path) -> Path:
    return home / ".aider.conf.yml"


def write(home: Path, content: bytes | None) -> None:
    if content is not None:
        config(home).write_bytes(content)


def use(kc, url, *extra, key=KEY):
    return kc("use", "aider", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestAiderContract(AdapterContract):
    client = "aider"
    use_args = ("--model", "gpt-4o-mini", "--yes")
    run_model = "gpt-4o-mini"
    run_e2e = RunE2E("aider", ("--message", "ping", *QUIET), "/v1/chat/completions", "authorization",
                     env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"})

    def arrange(self, home):
        write(home, CONFIG_RICH)

    def break_file(self, home):
        config(home).write_bytes(b"model: [unclosed\n")
        return config(home)

    def plant(self, home, token):
        write(home, CONFIG_CRLF_NO_EOL.replace(b"sk-old", token.encode()))

    def test_run_real_client_talks_to_the_profile_relay_only(self, kc, home, monkeypatch):
        from test_aider_e2e import aider_binary

        # Aider lives in its own venv (.ci/aider), not in .ci/node: the contract finds it on PATH
        monkeypatch.setenv("PATH", f"{aider_binary().parent}{os.pathsep}{os.environ['PATH']}")
        super().test_run_real_client_talks_to_the_profile_relay_only(kc, home)

@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("how", ["remove", "undo"])
def test_use_reads_as_meant_and_remove_or_undo_is_byte_identical(kc, home, relay, fixture, how):
    write(home, FIXTURES[fixture])
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-4o-mini", "--yes")
    assert result.code == 0, result.output
    data = yaml.safe_load(config(home).read_bytes())
    assert data["openai-api-base"] == relay.url + "/v1" and data["openai-api-key"] == KEY
    assert data["model"] == data["weak-model"] == "openai/gpt-4o-mini"
    old = yaml.safe_load(FIXTURES[fixture] or b"") or {}
    for name, value in old.items():
        if name not in ("model", "weak-model", "openai-api-key", "openai-api-base"):
            assert data[name] == value
    assert stat.S_IMODE(config(home).stat().st_mode) == 0o600
    assert kc("use", "aider", "--json").json()["results"][0]["changed"] == []
    result = kc("undo") if how == "undo" else kc("remove", "aider")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_comments_and_layout_survive_and_the_users_model_is_announced(kc, home, relay):
    write(home, CONFIG_RICH)
    result = use(kc, relay.url, "--model", "gpt-4o-mini", "--yes")
    assert "model = sonnet" in result.stderr
    text = config(home).read_text()
    assert "model: openai/gpt-4o-mini   # picked last week\n" in text
    for kept in ("# Sample .aider.conf.yml", "#weak-model: xxx", "read:\n  - CONVENTIONS.md\n",
                 'lint-cmd: "python: flake8 --select=E9"'):
        assert kept in text


def test_aligned_values_keep_their_column(kc, home, relay):
    write(home, CONFIG_ALIGNED)
    assert use(kc, relay.url, "--model", "gpt-4o-mini", "--yes").code == 0
    text = config(home).read_text()
    assert "model:           openai/gpt-4o-mini\nweak-model:      openai/gpt-4o-mini\n" in text
    assert text.startswith(f"openai-api-base: {relay.url}/v1\n")


def test_switching_to_env_takes_the_key_out_of_the_file(kc, home, relay):
    write(home, CONFIG_CRLF_NO_EOL)
    assert use(kc, relay.url, "--model", "gpt-4o-mini", "--yes").code == 0
    result = kc("use", "aider", "--via", "env", "--shell", "bash", "--no-verify")
    assert result.code == 0, result.output
    data = yaml.safe_load(config(home).read_bytes())
    assert data["openai-api-key"] == "sk-old" and data["openai-api-base"] == relay.url + "/v1"
    assert KEY.encode() not in config(home).read_bytes()
    status = kc("status", "aider", "--json").json()["results"][0]
    assert status["via"] == "env" and status["base_url"] == relay.url + "/v1"
    assert kc("env", "aider", "--json").json()["results"][0]["variables"] == {"AIDER_OPENAI_API_KEY": "sk-…YZ42"}
    assert kc("remove", "aider").code == 0
    assert config(home).read_bytes() == CONFIG_CRLF_NO_EOL


def test_without_a_model_only_url_and_key_are_written(kc, home, relay):
    write(home, CONFIG_RICH)
    result = use(kc, relay.url, "--no-verify")
    assert result.code == 0 and "no model set" in result.stderr
    data = yaml.safe_load(config(home).read_bytes())
    assert data["model"] == "sonnet" and "weak-model" not in data


def test_doctor_names_what_beats_the_file(kc, home, relay, monkeypatch):
    write(home, CONFIG_RICH)
    assert use(kc, relay.url, "--model", "gpt-4o-mini", "--yes").code == 0
    (home / ".env").write_text("AIDER_MODEL=gpt-4o\n")
    monkeypatch.setenv("AIDER_OPENAI_API_BASE", "http://elsewhere/v1")
    out = kc("doctor").output
    assert "$AIDER_OPENAI_API_BASE is set" in out and "~/.env sets AIDER_MODEL" in out
    assert "exits 0" in out


BAD = [
    (b"model:\n  name: x\n", "not a plain value"),
    (b"model: a\nmodel: b\n", "given 2 times"),
    (b"- a\n- b\n", "not a YAML mapping"),
    (b"{model: x}\n", "one flow mapping"),
]


@pytest.mark.parametrize("content,message", BAD)
def test_files_keyconf_cannot_edit_safely_are_refused_untouched(kc, home, relay, content, message):
    write(home, content)
    result = use(kc, relay.url, "--model", "gpt-4o-mini", "--yes", "--no-verify")
    assert result.code == 3 and message in result.output, result.output
    assert config(home).read_bytes() == content


def test_the_key_survives_yaml_quoting(kc, home, relay):
    odd = "sk-a#b$c\"d'e\\f:gXYZ42"
    relay.keys.add(odd)
    assert use(kc, relay.url, "--model", "gpt-4o-mini", "--yes", "--no-verify", key=odd).code == 0
    assert yaml.safe_load(config(home).read_bytes())["openai-api-key"] == odd


def test_export_then_apply_gives_the_same_files(kc, home, relay):
    """`export` names aider's options (never the key); `apply` of that file writes the same config again."""
    write(home, CONFIG_RICH)
    assert use(kc, relay.url, "--model", "gpt-4o-mini", "--yes").code == 0
    written = config(home).read_bytes()
    exported = kc("export")
    assert exported.code == 0 and '[clients.aider]\nprofile = "default"\nmodel = "gpt-4o-mini"' in exported.stdout
    assert KEY not in exported.stdout
    assert kc("remove", "aider").code == 0 and config(home).read_bytes() == CONFIG_RICH
    plan = home / "keyconf.toml"
    plan.write_text(exported.stdout.replace("key = { prompt = true }", "key = { stored = true }"))
    applied = kc("apply", str(plan), "--no-verify", "--yes")
    assert applied.code == 0, applied.output
    assert config(home).read_bytes() == written
