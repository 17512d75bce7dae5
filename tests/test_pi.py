"""Pi adapter through the CLI: keyconf's provider in models.json, the default in settings.json (which Pi rewrites
itself), the key as a literal in a 0600 models.json or, with --no-plaintext, as Pi's `!command`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, snapshot

MODELS_JSONC = b"""{
  // my local models
  "providers": {
    "ollama": {
      "baseUrl": "http://localhost:11434/v1",
      "api": "openai-completions",
      "apiKey": "OLLAMA_KEY",
      "models": [{"id": "llama3.2"},],
    },
  },
}
"""
SETTINGS = (b'{\r\n  "defaultProvider": "anthropic",\r\n  "defaultModel": "claude-sonnet-4-5",\r\n'
            b'  "theme": "dark"\r\n}\r\n')


def agent(home: Path) -> Path:
    return home / ".pi" / "agent"


def write(home: Path, models: bytes | None = MODELS_JSONC, settings: bytes | None = SETTINGS) -> None:
    agent(home).mkdir(parents=True, exist_ok=True)
    if models is not None:
        (agent(home) / "models.json").write_bytes(models)
    if settings is not None:
        (agent(home) / "settings.json").write_bytes(settings)


def jsonc(path: Path) -> dict:
    from keyconf.formats.jsondoc import JsonDoc

    return JsonDoc(path.read_bytes(), path.name, jsonc=True).get(())


def use(kc, url, *extra, key=KEY):
    return kc("use", "pi", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestPiContract(AdapterContract):
    client = "pi"
    run_model = "gpt-5"  # a provider of keyconf's own lists one model
    # no update check, install telemetry or helper downloads; a stray OpenAI key must not matter
    run_e2e = RunE2E("pi", ("--offline", "-p", "ping"), "/v1/chat/completions", "authorization",
                     env={"PI_OFFLINE": "1", "PI_SKIP_VERSION_CHECK": "1", "PI_TELEMETRY": "0", "NO_COLOR": "1",
                          "OPENAI_API_KEY": "sk-stray"})
    use_args = ("--model", "gpt-5", "--yes")

    def arrange(self, home):
        write(home)

    def break_file(self, home):
        (agent(home) / "models.json").write_bytes(b'{"providers": {"ollama": }')
        return agent(home) / "models.json"

    def plant(self, home, token):
        data = MODELS_JSONC.replace(b'"OLLAMA_KEY"', json.dumps(token).encode())
        (agent(home) / "models.json").write_bytes(data)


def test_use_writes_provider_default_and_private_models(kc, home, relay):
    write(home)
    result = use(kc, relay.url, "--model", "gpt-5", "--yes")
    assert result.code == 0, result.output
    text = (agent(home) / "models.json").read_text()
    for kept in ("// my local models", '"models": [{"id": "llama3.2"},],', '"apiKey": "OLLAMA_KEY"'):
        assert kept in text
    provider = jsonc(agent(home) / "models.json")["providers"]["keyconf"]
    assert provider == {"baseUrl": relay.url + "/v1", "api": "openai-completions", "apiKey": KEY,
                        "models": [{"id": "gpt-5"}]}
    assert stat.S_IMODE((agent(home) / "models.json").stat().st_mode) == 0o600
    settings = (agent(home) / "settings.json").read_bytes()
    assert json.loads(settings) == {"defaultProvider": "keyconf", "defaultModel": "gpt-5", "theme": "dark"}
    assert b"\r\n" in settings and KEY.encode() not in settings
    assert 'defaultProvider = "anthropic"' in result.stderr  # the user's default is announced as replaced


def test_no_plaintext_writes_a_command_pi_runs(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5", "--no-plaintext")
    assert result.code == 0, result.output
    data = json.loads((agent(home) / "models.json").read_text())
    command = data["providers"]["keyconf"]["apiKey"]
    assert command.startswith("!") and command.endswith(" secret default") and KEY not in command
    item = kc("status", "pi", "--json").json()["results"][0]
    assert item["key"] == "via a command"
    checked = kc("verify", "pi", "--json")
    assert checked.code == 0 and checked.json()["results"][0]["key"] == "sk-…YZ42"
    assert "its apiKey command runs and prints the profile's key" in kc("doctor").output


def test_a_key_pi_would_run_as_a_command_is_refused(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5", "--no-verify", key="!sk-rm-rf0123456789")
    assert result.code == 3 and "starts with `!`" in result.stderr
    assert not agent(home).exists()


def test_without_a_model_the_provider_is_written_and_pi_keeps_its_default(kc, home, relay):
    write(home)
    result = use(kc, relay.url, "--no-verify")
    assert result.code == 0 and "no model set" in result.stderr
    assert (agent(home) / "settings.json").read_bytes() == SETTINGS


def pi_rewrite(path: Path, **added) -> None:
    """What Pi does to settings.json on an interactive start: parse, add its own keys, write 2-space JSON."""
    data = json.loads(path.read_text())
    data.update(added)
    path.write_text(json.dumps(data, indent=2))


def test_undo_after_pis_own_rewrite_takes_only_keyconfs_defaults_out(kc, home, relay):
    write(home, settings=None)
    assert use(kc, relay.url, "--model", "gpt-5", "--no-verify").code == 0
    pi_rewrite(agent(home) / "settings.json", lastChangelogVersion="0.73.1")
    assert kc("status", "pi", "--json").json()["results"][0]["model"] == "gpt-5"
    result = kc("undo")
    assert result.code == 0, result.output
    assert json.loads((agent(home) / "settings.json").read_text()) == {"lastChangelogVersion": "0.73.1"}
    assert (agent(home) / "models.json").read_bytes() == MODELS_JSONC


def test_undo_refuses_when_the_default_was_changed_in_pi(kc, home, relay):
    write(home)
    assert use(kc, relay.url, "--model", "gpt-5", "--no-verify", "--yes").code == 0
    pi_rewrite(agent(home) / "settings.json", defaultModel="gpt-4o-mini")
    before = snapshot(home)
    result = kc("undo")
    assert result.code == 3 and "changed after change" in result.stderr
    assert snapshot(home) == before


def test_remove_keeps_a_default_changed_in_pi(kc, home, relay):
    write(home)
    assert use(kc, relay.url, "--model", "gpt-5", "--no-verify", "--yes").code == 0
    pi_rewrite(agent(home) / "settings.json", defaultModel="gpt-4o-mini")
    result = kc("remove", "pi")
    assert result.code == 0, result.output
    assert "defaultModel was changed in Pi" in result.output
    data = json.loads((agent(home) / "settings.json").read_text())
    assert data == {"defaultProvider": "anthropic", "defaultModel": "gpt-4o-mini", "theme": "dark"}
    assert (agent(home) / "models.json").read_bytes() == MODELS_JSONC


def test_agent_dir_variable_and_doctor_findings(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("PI_CODING_AGENT_DIR", str(tmp_path / "pi"))
    assert use(kc, relay.url, "--model", "gpt-5", "--no-verify").code == 0
    assert json.loads((tmp_path / "pi" / "settings.json").read_text())["defaultProvider"] == "keyconf"
    assert not agent(home).exists()
    (tmp_path / "pi" / "auth.json").write_text(json.dumps({"keyconf": {"type": "api_key", "key": "sk-other1234567"}}))
    doctor = kc("doctor")
    assert "Pi sends that key instead of keyconf's" in doctor.output
    status = kc("status", "pi", "--json").json()["results"][0]
    assert any("beats models.json" in c for c in status["conflicts"])


@pytest.mark.parametrize("models", [b'{"providers": []}', b'{"providers": {"keyconf": {"baseUrl": "x"}}}'])
def test_foreign_shapes_are_refused(kc, home, relay, models):
    write(home, models=models)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-5", "--no-verify")
    assert result.code == 3, result.output
    assert snapshot(home) == before


def test_run_registers_its_provider_through_an_extension_and_selects_it(home):
    from keyconf import adapters
    from keyconf.adapters.base import Context
    from keyconf.errors import UsageError
    from keyconf.paths import Paths
    from keyconf.stores.profiles import Profile
    from keyconf.stores.state import State

    paths = Paths.from_environ()
    ctx = Context(paths, State.load(paths))
    adapter = adapters.get("pi")
    launch = adapter.launch(ctx, Profile("B", "http://127.0.0.1:9"), 'gpt-5"); process.exit(1); ("')
    [(path, body)] = launch.files.items()
    assert launch.argv == ["--extension", str(path), "--model", 'keyconf-run/gpt-5"); process.exit(1); ("']
    assert launch.key_vars == ("KEYCONF_PI_RUN_API_KEY",) and path.suffix == ".mjs"
    text = body.decode()
    call = text[text.index("pi.registerProvider(") + len("pi.registerProvider("):text.rindex(");")]
    provider_id, provider = json.loads(f"[{call}]")  # a model id can't break out of the JSON it sits in
    assert provider_id == "keyconf-run"
    assert provider["apiKey"] == "KEYCONF_PI_RUN_API_KEY" and provider["baseUrl"] == "http://127.0.0.1:9/v1"
    assert provider["models"][0]["id"] == 'gpt-5"); process.exit(1); ("'
    with pytest.raises(UsageError, match="needs a model"):
        adapter.launch(ctx, Profile("B", "http://127.0.0.1:9"), None)
