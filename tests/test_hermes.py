"""Hermes Agent adapter through the CLI: keyconf's provider and model in config.yaml, edited byte-exactly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, REPO, snapshot

CONFIG_RICH = b"""# Hermes Agent configuration
model:
  default: anthropic/claude-sonnet-4.5   # picked in setup
  provider: openrouter
  context_length: 128000

providers: {}

toolsets:
  - hermes-cli
agent:
  max_turns: 60
  system_prompt: |
    Be brief.
    Cite files.
defaults: &defaults
  timeout: 30
terminal:
  <<: *defaults
  backend: local
"""
CONFIG_CRLF_NO_EOL = b"model: ''\r\nproviders:\r\n  local:\r\n    api: http://localhost:8080/v1\r\n    api_key: 'none'"
CONFIG_STRING_MODEL = b"model: openrouter/auto  # the old one-line form\ndisplay:\n  skin: mono\n"
CONFIG_INDENT4 = b"""---
model:
    # the provider I use at work
    provider: "nous"
    default: 'Hermes-4-405B'
providers:
    local:
        api: http://localhost:11434/v1
        models: [llama3.2, qwen3]

    # a second one, with a blank line before
    lab: {api: "http://lab:8000/v1", key_env: LAB_KEY}
...
"""
# What Hermes 0.19.0 itself writes (`save_config(DEFAULT_CONFIG)`): `_config_version` and commented examples.
CONFIG_SAVED = (Path(__file__).parent / "fixtures" / "hermes_saved_config.yaml").read_bytes()
FIXTURES = {"rich": CONFIG_RICH, "crlf-no-eol": CONFIG_CRLF_NO_EOL, "string-model": CONFIG_STRING_MODEL,
            "empty": b"", "absent": None, "indent4-markers": CONFIG_INDENT4, "hermes-saved": CONFIG_SAVED}


def config(home: Path) -> Path:
    return home / ".hermes" / "config.yaml"


def write(home: Path, content: bytes | None) -> None:
    config(home).parent.mkdir(parents=True, exist_ok=True)
    if content is not None:
        config(home).write_bytes(content)


def use(kc, url, *extra, key=KEY):
    return kc("use", "hermes", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestHermesContract(AdapterContract):
    client = "hermes"
    use_args = ("--model", "gpt-5", "--yes")
    run_model = "gpt-5"  # a provider of keyconf's own lists one model
    # Hermes' own venv; no lazy installs from PyPI (CONFIG_RICH's context_length skips openrouter.ai); a stray
    # CUSTOM_BASE_URL must not steer the run's named provider
    run_e2e = RunE2E(str(REPO / ".ci" / "hermes" / "bin" / "hermes"), ("-z", "ping"), "/v1/chat/completions",
                     "authorization", env={"HERMES_DISABLE_LAZY_INSTALLS": "1", "NO_COLOR": "1",
                                           "CUSTOM_BASE_URL": "http://127.0.0.1:9/v1"})

    def arrange(self, home):
        write(home, CONFIG_RICH)

    def break_file(self, home):
        config(home).write_bytes(b"model:\n  default: [unclosed\n")
        return config(home)

    def plant(self, home, token):
        write(home, CONFIG_CRLF_NO_EOL.replace(b"'none'", token.encode()))


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("how", ["remove", "undo"])
def test_use_reads_as_meant_and_remove_or_undo_is_byte_identical(kc, home, relay, fixture, how):
    write(home, FIXTURES[fixture])
    before = snapshot(home)
    result = use(kc, relay.url + "/v1", "--model", "gpt-5", "--yes")
    assert result.code == 0, result.output
    data = yaml.safe_load(config(home).read_bytes())
    assert data["providers"]["keyconf"] == {"name": "keyconf: default", "api": relay.url + "/v1", "api_key": KEY,
                                            "default_model": "gpt-5"}
    assert data["model"]["provider"] == "custom:keyconf" and data["model"]["default"] == "gpt-5"
    old = yaml.safe_load(FIXTURES[fixture] or b"") or {}
    for name, value in old.items():
        if name not in ("model", "providers"):
            assert data[name] == value
    for name, value in (old.get("providers") or {}).items():
        assert data["providers"][name] == value
    for name, value in (old.get("model") if isinstance(old.get("model"), dict) else {}).items():
        if name not in ("provider", "default"):
            assert data["model"][name] == value
    assert stat.S_IMODE(config(home).stat().st_mode) == 0o600
    assert kc("use", "hermes", "--json").json()["results"][0]["changed"] == []
    result = kc("undo") if how == "undo" else kc("remove", "hermes")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_comments_and_layout_survive(kc, home, relay):
    write(home, CONFIG_RICH)
    assert use(kc, relay.url, "--model", "gpt-5", "--yes").code == 0
    text = config(home).read_text()
    for kept in ("# Hermes Agent configuration", "# picked in setup", "  system_prompt: |\n    Be brief.\n",
                 "defaults: &defaults", "  <<: *defaults"):
        assert kept in text


def test_the_users_provider_is_announced_and_given_back(kc, home, relay):
    write(home, CONFIG_RICH)
    result = use(kc, relay.url, "--model", "gpt-5", "--yes")
    assert "model.provider = openrouter" in result.stderr
    assert kc("use", "hermes", "--model", "gpt-4o-mini").code == 0
    assert yaml.safe_load(config(home).read_bytes())["model"]["default"] == "gpt-4o-mini"
    assert kc("remove", "hermes").code == 0
    assert config(home).read_bytes() == CONFIG_RICH


def test_without_a_model_only_the_provider_is_added(kc, home, relay):
    write(home, CONFIG_RICH)
    result = use(kc, relay.url, "--no-verify")
    assert result.code == 0 and "no model set" in result.stderr
    data = yaml.safe_load(config(home).read_bytes())
    assert data["model"]["provider"] == "openrouter" and "keyconf" in data["providers"]


BAD = [
    (b"providers: {local: {api: x}}\n", "not a block mapping"),
    (b"model:\n  default: a\nmodel:\n  default: b\n", "given 2 times"),
    (b"providers:\n  keyconf:\n    api: http://elsewhere/v1\n", "keyconf did not write"),
    (b"- a\n- b\n", "not a YAML mapping"),
    (b"model: {default: x\n", "cannot be read"),
]


@pytest.mark.parametrize("content,message", BAD)
def test_files_keyconf_cannot_edit_safely_are_refused_untouched(kc, home, relay, content, message):
    write(home, content)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-5", "--no-verify")
    assert result.code == 3, result.output
    assert message in result.stderr
    assert snapshot(home) == before


def test_no_plaintext_is_refused_with_the_reason_and_a_key_hermes_would_expand_too(kc, home, relay):
    result = use(kc, relay.url, "--no-plaintext", "--json")
    assert result.code == 2 and "Hermes cannot run a command" in result.json()["errors"][0]["message"]
    result = use(kc, relay.url, "--model", "gpt-5", "--no-verify", key="sk-abc${HOME}def0123")
    assert result.code == 3 and "${" in result.stderr


def test_hermes_home_status_doctor_and_import(kc, home, relay, monkeypatch, tmp_path):
    import base64
    import json
    from urllib.parse import quote

    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "h"))
    payload = base64.b64encode(json.dumps({"base_url": relay.url + "/v1", "api_key": KEY}).encode()).decode()
    link = (f"ccswitch://v1/import?resource=provider&app=hermes&name=team&model=gpt-5"
            f"&config={quote(payload)}&configFormat=json")
    result = kc("import", "-", "--yes", input=link + "\n")
    assert result.code == 0, result.output
    data = yaml.safe_load((tmp_path / "h" / "config.yaml").read_bytes())
    assert data["providers"]["keyconf"]["api_key"] == KEY and data["model"]["default"] == "gpt-5"
    item = kc("status", "hermes", "--json").json()["results"][0]
    assert item["configured"] and item["model"] == "gpt-5" and item["key"] == "sk-…YZ42"
    assert "Hermes uses custom:keyconf" in kc("doctor").output


def test_a_model_picked_in_hermes_since_stays_on_remove(kc, home, relay):
    """`hermes model` saves the whole config (yaml.safe_dump): remove still takes out keyconf's provider, and
    leaves the model the user picked since; undo refuses, as for any edit made after keyconf's."""
    write(home, CONFIG_RICH)
    assert use(kc, relay.url, "--model", "gpt-5", "--yes", "--no-verify").code == 0
    data = yaml.safe_load(config(home).read_bytes())
    data["model"].update({"provider": "nous", "default": "Hermes-4-405B"})
    config(home).write_text(yaml.safe_dump(data, sort_keys=False))
    before = config(home).read_bytes()
    assert kc("undo").code == 3 and config(home).read_bytes() == before
    result = kc("remove", "hermes")
    assert result.code == 0, result.output
    assert "Hermes' model was changed since keyconf set it" in result.output
    after = yaml.safe_load(config(home).read_bytes())
    assert after["model"]["provider"] == "nous" and after["model"]["default"] == "Hermes-4-405B"
    assert after["providers"] == {} and after["agent"] == data["agent"]


def test_run_home_holds_a_copy_of_the_config_with_its_provider_and_links_the_rest(home):
    from keyconf import adapters
    from keyconf.adapters.base import Context
    from keyconf.paths import Paths
    from keyconf.stores.profiles import Profile
    from keyconf.stores.state import State

    write(home, CONFIG_RICH)
    (config(home).parent / ".env").write_bytes(b"CUSTOM_BASE_URL=http://127.0.0.1:9/v1\n")
    (config(home).parent / "sessions").mkdir()
    before = snapshot(home)
    paths = Paths.from_environ()
    launch = adapters.get("hermes").launch(Context(paths, State.load(paths)), Profile("B", "http://127.0.0.1:9"),
                                           "gpt-5")
    [(path, body)] = launch.files.items()
    assert path.name == "config.yaml" and launch.env == {"HERMES_HOME": str(path.parent)}
    assert launch.key_vars == ("KEYCONF_HERMES_RUN_API_KEY",)
    data = yaml.safe_load(body)
    assert data["providers"]["keyconf-run"] == {"name": "keyconf run: B", "api": "http://127.0.0.1:9/v1",
                                                "api_key": "${KEYCONF_HERMES_RUN_API_KEY}", "default_model": "gpt-5"}
    assert data["model"] == {"default": "gpt-5", "provider": "custom:keyconf-run", "context_length": 128000}
    assert data["agent"]["system_prompt"] == "Be brief.\nCite files.\n" and data["terminal"]["timeout"] == 30
    assert b"# Hermes Agent configuration" in body  # every other byte of the user's file is kept
    assert launch.links == {path.parent / ".env": config(home).parent / ".env",
                            path.parent / "sessions": config(home).parent / "sessions"}
    assert snapshot(home) == before


def test_a_run_started_inside_a_run_overlays_the_users_home_not_the_overlay(home):
    from keyconf import adapters
    from keyconf.adapters.base import Context
    from keyconf.paths import Paths
    from keyconf.stores.profiles import Profile
    from keyconf.stores.state import State

    write(home, CONFIG_RICH)

    def launch(env):
        paths = Paths({**os.environ, **env})
        return adapters.get("hermes").launch(Context(paths, State.load(paths)), Profile("B", "http://127.0.0.1:9"),
                                             "gpt-5")

    first = launch({})
    inner = launch(first.env)
    assert inner.files == first.files and inner.env == first.env
