"""Zed: keyconf's provider in its JSONC settings (the corpus's real files through use, use again and remove),
the key only in the variable Zed derives from the provider id, read back by a real bash."""

from __future__ import annotations

import os
import subprocess

import pytest

from adapter_contract import AdapterContract
from conftest import KEY, snapshot
from corpus import corpus_files

SETTINGS = b"""// Zed settings
//
// For information on how to configure Zed, see the Zed
// documentation: https://zed.dev/docs/configuring-zed
{
  "theme": {"mode": "system", "light": "One Light", "dark": "One Dark",},
  "buffer_font_size": 15,
  "language_models": {
    "ollama": {"api_url": "http://localhost:11434",}, // local models
    "openai_compatible": {
      "my-gateway": {
        "api_url": "https://gw.example.com/v1",
        "available_models": [{"name": "gpt-4o", "max_tokens": 128000}],
      },
    },
  },
  "agent": {"default_model": {"provider": "zed.dev", "model": "claude-sonnet-4"},},
}
"""
SETTINGS_CRLF = b'{\r\n  "vim_mode": true,\r\n  // no AI yet\r\n  "ui_font_size": 16,\r\n}\r\n'
MODEL = ("--model", "gpt-5")


def settings_path(home):
    return home / ".config" / "zed" / "settings.json"


def write(home, body=SETTINGS):
    settings_path(home).parent.mkdir(parents=True, exist_ok=True)
    settings_path(home).write_bytes(body)


def read(home):
    from keyconf.formats.jsondoc import JsonDoc

    return JsonDoc(settings_path(home).read_bytes(), "settings.json", jsonc=True)


def use(kc, relay, *extra, key=KEY):
    return kc("use", "zed", "--key-stdin", "--base-url", relay.url, "--shell", "bash", "--no-verify", *extra,
              input=key + "\n")


class TestZedContract(AdapterContract):
    client = "zed"
    cannot_run = "Zed is an editor that keeps one running instance"
    use_args = ("--shell", "bash", *MODEL)

    def arrange(self, home):
        write(home)
        (home / ".bashrc").write_bytes(b"# my bashrc\nexport EDITOR=vim\n")

    def break_file(self, home):
        settings_path(home).write_bytes(b'{"theme": "One Dark",, }')
        return settings_path(home)

    def plant(self, home, token):
        (home / ".bashrc").write_bytes(f"# my bashrc\nexport KEYCONF_RELAY_API_KEY={token}\n".encode())


def test_provider_written_key_never_in_the_file_and_user_bytes_kept(kc, home, relay):
    write(home)
    result = use(kc, relay, *MODEL)
    assert result.code == 0, result.output
    doc = read(home)
    entry = doc.get(("language_models", "openai_compatible", "keyconf-relay"))
    assert entry == {"api_url": relay.url + "/v1",
                     "available_models": [{"name": "gpt-5", "display_name": "gpt-5 (default)", "max_tokens": 128000}]}
    text = settings_path(home).read_bytes()
    assert KEY.encode() not in text
    assert b"// local models" in text and b'"my-gateway"' in text
    assert b"KEYCONF_RELAY_API_KEY" in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_bytes()
    assert "$KEYCONF_RELAY_API_KEY" in result.output and "Dock" in result.output
    item = kc("status", "zed", "--json").json()["results"][0]
    assert item["configured"] and item["via"] == "env" and item["base_url"] == relay.url + "/v1"
    assert item["model"] == "gpt-5"


def test_the_variable_reaches_a_real_bash_and_leaves_with_remove(kc, home, relay):
    """The env round trip: keyconf's bash block makes a login-less interactive bash see exactly the key under
    the name Zed derives from the provider id; `remove` takes it out again."""
    write(home, SETTINGS_CRLF)
    (home / ".bashrc").write_bytes(b"# mine\n")
    assert use(kc, relay, *MODEL).code == 0
    env = {k: v for k, v in os.environ.items() if k != "KEYCONF_RELAY_API_KEY"}
    env["HOME"] = str(home)
    script = f"source '{home}/.bashrc'; printf '%s' \"${{KEYCONF_RELAY_API_KEY-unset}}\""
    seen = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env, capture_output=True, text=True,
                          timeout=60)
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout == KEY
    assert kc("remove", "zed").code == 0
    gone = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env, capture_output=True, text=True,
                          timeout=60)
    assert gone.stdout == "unset"
    assert settings_path(home).read_bytes() == SETTINGS_CRLF
    assert (home / ".bashrc").read_bytes() == b"# mine\n"


def test_env_prints_the_variable_zed_reads(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    result = kc("env", "zed", "--shell", "bash", "--reveal")
    assert result.code == 0, result.output
    assert f"export KEYCONF_RELAY_API_KEY='{KEY}'" in result.stdout


def test_the_id_gives_the_variable_name_zed_derives():
    from keyconf.adapters.zed import PROVIDER_ID, key_var

    assert key_var("my-gateway") == "MY_GATEWAY_API_KEY"  # Zed's docs' example
    assert key_var(PROVIDER_ID) == "KEYCONF_RELAY_API_KEY"


def test_anthropic_protocol_writes_the_root_and_switching_back_cleans_it(kc, home, relay):
    write(home)
    assert use(kc, relay, "--protocol", "anthropic", "--model", "claude-sonnet-4-5").code == 0
    doc = read(home)
    assert doc.get(("language_models", "anthropic_compatible", "keyconf-relay", "api_url")) == relay.url
    assert doc.raw(("language_models", "openai_compatible", "keyconf-relay")) is None
    relay.requests.clear()
    assert kc("verify", "zed", "--deep").code == 0
    assert relay.seen("/v1/messages") and not relay.seen("/v1/chat/completions")  # Anthropic's protocol
    assert use(kc, relay, "--protocol", "openai", *MODEL).code == 0
    doc = read(home)
    assert doc.raw(("language_models", "anthropic_compatible")) is None
    assert kc("remove", "zed").code == 0
    assert settings_path(home).read_bytes() == SETTINGS


def test_a_provider_of_the_same_id_not_ours_is_refused(kc, home, relay):
    write(home, b'{"language_models": {"openai_compatible": {"keyconf-relay": {"api_url": "x"}}}}')
    before = snapshot(home)
    result = use(kc, relay, *MODEL)
    assert result.code == 3 and "did not write" in result.output
    assert snapshot(home) == before


def test_verify_names_a_model_the_group_lacks_and_doctor_the_traps(kc, home, relay):
    write(home)
    assert use(kc, relay, "--model", "no-such-model").code == 0
    result = kc("verify", "zed")
    assert result.code not in (0, 1) and "no-such-model" in result.output
    doctor = kc("doctor").output
    assert "KEYCONF_RELAY_API_KEY is not set in this shell" in doctor and "Dock" in doctor


def test_run_is_refused_with_the_reason(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    result = kc("run", "zed")
    assert result.code == 2 and "one running instance" in result.output


CORPUS = [p.values[0] if hasattr(p, "values") else p for p in corpus_files("zed", "*.json")]


@pytest.mark.parametrize("path", CORPUS, ids=[p.name if p else "none" for p in CORPUS])
def test_corpus_file_through_use_use_again_and_remove(kc, home, relay, path):
    if path is None:
        pytest.skip("no corpus here")
    original = path.read_bytes()
    write(home, original)
    first = use(kc, relay, *MODEL, "-y")
    assert first.code == 0, first.output
    written = settings_path(home).read_bytes()
    assert read(home).get(("language_models", "openai_compatible", "keyconf-relay", "api_url")) == relay.url + "/v1"
    assert KEY.encode() not in written
    again = use(kc, relay, *MODEL, "-y")
    assert again.code == 0 and "nothing changed" in again.output, again.output
    assert settings_path(home).read_bytes() == written
    assert kc("remove", "zed").code == 0
    assert settings_path(home).read_bytes() == original


def test_the_variable_in_real_bash_zsh_and_fish(kc, home, relay):
    """Every shell keyconf writes for sees the same key under Zed's name (fish loads conf.d by itself)."""
    from test_shell import read_vars

    write(home)
    assert kc("use", "zed", "--key-stdin", "--base-url", relay.url, "--shell", "bash", "--shell", "zsh", "--shell",
              "fish", "--no-verify", *MODEL, input=KEY + "\n").code == 0
    env = {k: v for k, v in os.environ.items() if k != "KEYCONF_RELAY_API_KEY"}
    env["HOME"] = str(home)
    names = ["KEYCONF_RELAY_API_KEY"]
    assert read_vars("bash", f"source '{home}/.bashrc'", names, env) == {names[0]: KEY}
    assert read_vars("zsh", f"source '{home}/.zshrc'", names, env) == {names[0]: KEY}
    assert read_vars("fish", "true", names, env) == {names[0]: KEY}
