"""opencode adapter through the CLI: the provider block in its JSONC config, the key in auth.json, refusals."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from conftest import KEY, snapshot

CONFIG_RICH = b"""{
  "$schema": "https://opencode.ai/config.json",
  "theme": "tokyonight",
  "autoupdate": false,
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "Ollama (local)",
      "options": {"baseURL": "http://localhost:11434/v1"},
      "models": {"llama3.2": {"name": "Llama 3.2"}}
    }
  },
  "model": "anthropic/claude-sonnet-4-5",
  "mcp": {
    "github": {"type": "local", "command": ["npx", "-y", "@modelcontextprotocol/server-github"], "enabled": true}
  },
  "agent": {"review": {"description": "Reviews code", "model": "anthropic/claude-haiku-4-5"}}
}
"""
CONFIG_COMPACT_CRLF = b'{"theme":"opencode",\r\n"share":"disabled"}'
CONFIG_JSONC = b"""{
  // opencode settings, edited by hand
  "$schema": "https://opencode.ai/config.json",
  /* my providers */
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible", // local models
      "options": {"baseURL": "http://localhost:11434/v1",},
      "models": {"llama3.2": {},},
    },
  },
  "keybinds": {"leader": "ctrl+x"}, // trailing comma next
}
"""
AUTH_OTHERS = b"""{
  "anthropic": {
    "type": "oauth",
    "refresh": "rt-abc",
    "access": "at-def",
    "expires": 1790000000000
  },
  "openrouter": {
    "type": "api",
    "key": "sk-or-v1-other-provider-key"
  }
}"""
FIXTURES = {"rich": (CONFIG_RICH, AUTH_OTHERS), "compact-crlf": (CONFIG_COMPACT_CRLF, None),
            "auth-only": (None, AUTH_OTHERS)}


def config_path(home: Path) -> Path:
    return home / ".config" / "opencode" / "opencode.json"


def auth_path(home: Path) -> Path:
    return home / ".local" / "share" / "opencode" / "auth.json"


def write(home: Path, config: bytes | None, auth: bytes | None, name: str = "opencode.json") -> None:
    if config is not None:
        config_path(home).parent.mkdir(parents=True, exist_ok=True)
        (config_path(home).parent / name).write_bytes(config)
    if auth is not None:
        auth_path(home).parent.mkdir(parents=True, exist_ok=True)
        auth_path(home).write_bytes(auth)


def use(kc, url, *extra, key=KEY):
    return kc("use", "opencode", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


def test_use_writes_provider_model_and_private_auth(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5")
    assert result.code == 0, result.output
    assert config_path(home).read_text() == f"""{{
  "provider": {{
    "keyconf": {{
      "npm": "@ai-sdk/openai-compatible",
      "name": "keyconf: default",
      "options": {{
        "baseURL": "{relay.url}/v1"
      }},
      "models": {{
        "gpt-5": {{}}
      }}
    }}
  }},
  "model": "keyconf/gpt-5"
}}
"""
    assert json.loads(auth_path(home).read_text()) == {"keyconf": {"type": "api", "key": KEY}}
    assert stat.S_IMODE(auth_path(home).stat().st_mode) == 0o600
    assert KEY.encode() not in config_path(home).read_bytes()
    assert "verify: ok" in result.stdout


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("how", ["remove", "undo"])
def test_use_then_remove_or_undo_is_byte_identical(kc, home, relay, fixture, how):
    config, auth = FIXTURES[fixture]
    write(home, config, auth)
    before = snapshot(home)
    result = use(kc, relay.url + "/v1", "--model", "gpt-5")
    assert result.code == 0, result.output
    data = json.loads(config_path(home).read_text())
    assert data["provider"]["keyconf"] == {"npm": "@ai-sdk/openai-compatible", "name": "keyconf: default",
                                           "options": {"baseURL": relay.url + "/v1"}, "models": {"gpt-5": {}}}
    assert data["model"] == "keyconf/gpt-5"
    for name, value in json.loads(config or b"{}").items():
        if name not in ("provider", "model"):
            assert data[name] == value
    for name, value in json.loads(config or b"{}").get("provider", {}).items():
        assert data["provider"][name] == value
    entries = json.loads(auth_path(home).read_text())
    assert entries["keyconf"] == {"type": "api", "key": KEY}
    for name, value in json.loads(auth or b"{}").items():
        assert entries[name] == value
    assert stat.S_IMODE(auth_path(home).stat().st_mode) == 0o600
    result = kc("undo") if how == "undo" else kc("remove", "opencode")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_a_users_default_model_is_announced_replaced_and_given_back(kc, home, relay):
    write(home, CONFIG_RICH, None)
    result = use(kc, relay.url, "--model", "gpt-5")
    assert 'model = "anthropic/claude-sonnet-4-5"' in result.stderr
    assert kc("remove", "opencode").code == 0
    assert config_path(home).read_bytes() == CONFIG_RICH


def test_second_use_changes_nothing_and_a_new_model_replaces_the_old(kc, home, relay):
    write(home, CONFIG_RICH, AUTH_OTHERS)
    before = snapshot(home)
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    first = snapshot(home)
    journal = len(list((home / ".config/keyconf/journal").iterdir()))
    result = kc("use", "opencode")
    assert result.code == 0 and "nothing changed" in result.stdout
    assert snapshot(home) == first and len(list((home / ".config/keyconf/journal").iterdir())) == journal
    assert kc("use", "opencode", "--model", "gpt-4o-mini").code == 0
    data = json.loads(config_path(home).read_text())
    assert data["provider"]["keyconf"]["models"] == {"gpt-4o-mini": {}} and data["model"] == "keyconf/gpt-4o-mini"
    assert kc("remove", "opencode").code == 0
    assert snapshot(home) == before


def test_without_a_model_the_provider_is_added_and_the_users_model_kept(kc, home, relay):
    write(home, CONFIG_RICH, None)
    result = use(kc, relay.url)
    assert result.code == 0
    assert "no model set" in result.stderr and "anthropic/claude-sonnet-4-5" in result.stderr
    assert json.loads(config_path(home).read_text())["model"] == "anthropic/claude-sonnet-4-5"


def test_jsonc_comments_and_trailing_commas_survive(kc, home, relay):
    write(home, CONFIG_JSONC, None)
    before = snapshot(home)
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    text = config_path(home).read_text()
    for kept in ("// opencode settings, edited by hand", "/* my providers */", "// local models",
                 '"keybinds": {"leader": "ctrl+x"},', "// trailing comma next"):
        assert kept in text
    assert kc("use", "opencode").code == 0 and config_path(home).read_text() == text
    assert kc("remove", "opencode").code == 0
    assert snapshot(home) == before


def test_opencode_jsonc_is_the_file_edited_when_the_user_has_it(kc, home, relay):
    write(home, b'{"theme": "opencode"}\n', None, name="opencode.jsonc")
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    jsonc = config_path(home).with_name("opencode.jsonc")
    assert json.loads(jsonc.read_text())["model"] == "keyconf/gpt-5"
    assert not config_path(home).exists()
    assert kc("remove", "opencode").code == 0
    assert jsonc.read_text() == '{"theme": "opencode"}\n'


def test_opencode_config_and_xdg_folders_are_honoured(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENCODE_CONFIG", str(tmp_path / "team" / "opencode.json"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    assert json.loads((tmp_path / "team" / "opencode.json").read_text())["model"] == "keyconf/gpt-5"
    assert json.loads((tmp_path / "data" / "opencode" / "auth.json").read_text())["keyconf"]["key"] == KEY
    assert not (home / ".config" / "opencode").exists() and not (home / ".local").exists()


def test_a_config_file_that_appears_later_takes_the_block_over(kc, home, relay):
    write(home, b'{"theme": "a"}\n', None)
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    jsonc = config_path(home).with_name("opencode.jsonc")
    jsonc.write_text('{"theme": "b"}\n')  # opencode creates opencode.jsonc on a fresh machine
    assert kc("use", "opencode").code == 0
    assert config_path(home).read_text() == '{"theme": "a"}\n'
    assert json.loads(jsonc.read_text())["provider"]["keyconf"]["models"] == {"gpt-5": {}}
    assert kc("remove", "opencode").code == 0
    assert jsonc.read_text() == '{"theme": "b"}\n'


# ---- refusals -------------------------------------------------------------------------------------------

BAD = [
    ("config", b'{\n  "theme": "x"\n  "model": "y"\n}\n', "line 3"),
    ("config", b'{"provider": ["not", "an", "object"]}', "`provider` is not an object"),
    ("config", b'{"provider": {"keyconf": {"npm": "mine"}}}', "already has a provider `keyconf`"),
    ("config", b'{"model": "x", "theme": "\xff"}', "not UTF-8"),
    ("auth", b'{"anthropic": {"type": "oauth",}', "auth.json"),
]


@pytest.mark.parametrize("which,content,message", BAD)
def test_bad_files_are_refused_and_untouched(kc, home, relay, which, content, message):
    write(home, content if which == "config" else None, content if which == "auth" else None)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-5")
    assert result.code == 3, result.output
    assert message in result.stderr
    assert snapshot(home) == before


def test_no_plaintext_and_via_env_are_refused(kc, home, relay):
    before = snapshot(home)
    result = use(kc, relay.url, "--no-plaintext")
    assert result.code == 2 and "--no-plaintext" in result.stderr
    assert use(kc, relay.url, "--via", "env").code == 2
    assert snapshot(home) == before


def test_the_no_plaintext_reason_names_what_opencode_can_read(kc, home, relay):
    result = use(kc, relay.url, "--no-plaintext", "--json")
    message = result.json()["errors"][0]["message"]
    assert result.code == 2 and "{env:VAR}" in message and "cannot run a command" in message


# ---- status, doctor, output -------------------------------------------------------------------------------

def test_status_verify_and_doctor(kc, home, relay, monkeypatch):
    write(home, CONFIG_RICH, AUTH_OTHERS)
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    item = kc("status", "opencode", "--json").json()["results"][0]
    assert item["configured"] and item["base_url"] == relay.url + "/v1" and item["key"] == "sk-…YZ42"
    assert item["model"] == "keyconf/gpt-5" and not item["conflicts"]
    assert kc("verify", "opencode").code == 0
    assert relay.seen("/v1/models")[-1].headers["authorization"] == f"Bearer {KEY}"
    doctor = kc("doctor", "--json").json()["results"]
    assert {"client": "opencode", "status": "ok", "message": "opencode uses keyconf/gpt-5"} in doctor
    monkeypatch.setenv("OPENCODE_AUTH_CONTENT", '{"other": {"type": "api", "key": "x"}}')
    item = kc("status", "opencode", "--json").json()["results"][0]
    assert any("OPENCODE_AUTH_CONTENT" in c for c in item["conflicts"])


def test_doctor_warns_when_the_default_model_is_not_the_relays(kc, home, relay):
    write(home, CONFIG_RICH, None)
    assert use(kc, relay.url).code == 0
    doctor = kc("doctor", "--json").json()["results"]
    assert any(r["client"] == "opencode" and r["status"] == "warning" and "anthropic/claude-sonnet-4-5" in
               r["message"] for r in doctor)


COMMANDS = [["status"], ["status", "opencode", "--json"], ["doctor", "--json"], ["verify", "--deep", "--json"],
            ["use", "opencode", "--dry-run", "--model", "gpt-4o-mini"], ["use", "opencode", "--json"],
            ["remove", "opencode", "--dry-run"], ["remove", "opencode", "--dry-run", "--json"]]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_no_command_prints_the_key(kc, home, relay, args):
    write(home, CONFIG_RICH, AUTH_OTHERS)
    assert use(kc, relay.url, "--model", "gpt-5").code == 0
    result = kc(*args)
    assert result.code in (0, 8), result.output
    assert KEY not in result.output and "sk-or-v1-other-provider-key" not in result.output


from adapter_contract import AdapterContract, RunE2E  # noqa: E402
from test_opencode_e2e import QUIET  # noqa: E402


class TestOpencodeContract(AdapterContract):
    client = "opencode"
    use_args = ("--model", "gpt-5")
    run_model = "gpt-4o-mini"
    run_e2e = RunE2E("opencode", ("run", "ping"), "/v1/chat/completions", "authorization",
                     env={**QUIET, "NO_COLOR": "1"})

    def arrange(self, home):
        write(home, CONFIG_RICH, AUTH_OTHERS)

    def break_file(self, home):
        config_path(home).write_bytes(b'{"theme": "opencode", "share": ')
        return config_path(home)

    def plant(self, home, token):
        data = json.loads(auth_path(home).read_text())
        data["keyconf-old"] = {"type": "api", "key": token}
        auth_path(home).write_text(json.dumps(data))
