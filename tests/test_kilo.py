"""Kilo Code CLI adapter (opencode's format in Kilo's folders) through the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, snapshot
from corpus import corpus_files
from test_kilo_e2e import PLATFORM_BINARY, QUIET
from test_opencode import AUTH_OTHERS, CONFIG_JSONC, CONFIG_RICH


def folder(home: Path) -> Path:
    return home / ".config" / "kilo"


def auth(home: Path) -> Path:
    return home / ".local" / "share" / "kilo" / "auth.json"


def use(kc, url, *extra, client="kilo", key=KEY):
    return kc("use", client, "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestKiloContract(AdapterContract):
    client = "kilo"
    run_model = "gpt-5"  # without one Kilo falls to its own gateway
    # the platform package's binary (the npm wrapper may lack it); Kilo's gateway, telemetry and models.dev off
    run_e2e = RunE2E(str(PLATFORM_BINARY), ("run", "ping"), "/v1/chat/completions", "authorization",
                     env={**QUIET, "NO_COLOR": "1", "OPENCODE_CONFIG_CONTENT": '{"model": "stray/not-this"}'})
    use_args = ("--model", "gpt-5", "--yes")

    def arrange(self, home):
        folder(home).mkdir(parents=True)
        (folder(home) / "kilo.jsonc").write_bytes(CONFIG_JSONC)
        # a returning user: Kilo's one-time permission migration is done (its marker outlives the e2e's first,
        # client-only run, so without it only that run would edit kilo.jsonc)
        (folder(home) / ".bash-permission-migrated").write_bytes(b"")
        auth(home).parent.mkdir(parents=True)
        auth(home).write_bytes(AUTH_OTHERS)

    def break_file(self, home):
        (folder(home) / "kilo.jsonc").write_bytes(b'{"theme": "x" "model": "y"}')
        return folder(home) / "kilo.jsonc"

    def plant(self, home, token):
        auth(home).write_text(json.dumps({"openrouter": {"type": "api", "key": token}}))


def test_the_alias_writes_kilos_files_and_the_key_in_its_auth(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5", client="kilocode")
    assert result.code == 0, result.output
    data = json.loads((folder(home) / "kilo.json").read_text())
    assert data["provider"]["keyconf"]["options"]["baseURL"] == relay.url + "/v1"
    assert data["model"] == "keyconf/gpt-5"
    assert json.loads(auth(home).read_text()) == {"keyconf": {"type": "api", "key": KEY}}
    assert stat.S_IMODE(auth(home).stat().st_mode) == 0o600
    assert not (home / ".config" / "opencode").exists()
    assert kc("status", "kilocode", "--json").json()["results"][0]["client"] == "kilo"
    assert "Kilo's first start will add `permission.bash`" in kc("doctor").output


@pytest.mark.parametrize("names,edited", [(("config.json",), "config.json"),
                                          (("config.json", "kilo.json"), "kilo.json"),
                                          (("kilo.json", "kilo.jsonc"), "kilo.jsonc"),
                                          (("kilo.jsonc", "opencode.json"), "opencode.json")])
def test_the_file_that_wins_kilos_merge_is_edited(kc, home, relay, names, edited):
    folder(home).mkdir(parents=True)
    for name in names:
        (folder(home) / name).write_bytes(CONFIG_RICH)
    before = snapshot(home)
    assert use(kc, relay.url, "--model", "gpt-5", "--yes").code == 0
    for name in names:
        data = json.loads((folder(home) / name).read_text())
        assert ("keyconf" in data["provider"]) == (name == edited)
    assert kc("remove", "kilo").code == 0
    assert snapshot(home) == before


def test_kilo_config_variable_and_refusals(kc, home, relay, monkeypatch, tmp_path):
    result = use(kc, relay.url, "--no-plaintext", "--json")
    assert result.code == 2 and "Kilo cannot run a command" in result.json()["errors"][0]["message"]
    monkeypatch.setenv("KILO_CONFIG", str(tmp_path / "team.json"))
    monkeypatch.setenv("KILO_AUTH_CONTENT", "{}")
    result = use(kc, relay.url, "--model", "gpt-5")
    assert result.code == 0 and "KILO_AUTH_CONTENT is set" in result.stderr
    assert json.loads((tmp_path / "team.json").read_text())["model"] == "keyconf/gpt-5"
    link = kc("link", "kilo")
    assert link.code == 2 and "no one-click import link" in link.output


# The real-config corpus (../shared/reference/corpus, users' opencode configs from public dotfiles): Kilo reads
# the same format, so each file is a Kilo config: use, use again (nothing changes), remove byte for byte; and a
# CRLF copy of each.
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("source", corpus_files("opencode"), ids=lambda p: getattr(p, "name", "none"))
def test_corpus_configs_round_trip_byte_exact(kc, home, relay, source, crlf):
    content = source.read_bytes()
    if crlf:
        content = content.replace(b"\n", b"\r\n")
    folder(home).mkdir(parents=True)
    name = "kilo.jsonc" if source.suffix == ".jsonc" else "kilo.json"
    (folder(home) / name).write_bytes(content)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-5", "--yes", "--no-verify")
    assert result.code == 0, result.output
    from keyconf.formats.jsondoc import JsonDoc

    data = JsonDoc((folder(home) / name).read_bytes(), name, jsonc=True).get(())
    assert data["provider"]["keyconf"]["options"]["baseURL"] == relay.url + "/v1"
    assert data["model"] == "keyconf/gpt-5"
    again = kc("use", "kilo", "--json", "--no-verify")
    assert again.code == 0 and again.json()["results"][0]["changed"] == []
    assert kc("remove", "kilo").code == 0
    assert snapshot(home) == before
