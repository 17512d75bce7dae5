"""Claude Desktop (third-party gateway mode) on injected macOS and Windows paths: the four files, byte-exact
removal, the validators, and the credential-helper contract run for real. There is no honest end-to-end here:
the app is not in any registry and has no Linux release."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from adapter_contract import AdapterContract
from conftest import KEY, snapshot

CONFIG_ID = "5b2f8c4e-6a1d-4e7b-9c3f-0d8e2a71b4c6"
MCP = (b'{\n  "mcpServers": {\n    "fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-fs"]}\n'
       b'  },\n  "globalShortcut": "Alt+Space"\n}\n')
META = b'{"appliedId":"00000000-0000-4000-8000-000000157210","entries":[{"id":"00000000-0000-4000-8000-000000157210",' \
       b'"name":"cc-switch"}],"version":1}'
CONFIG_3P = b'{\r\n\t"deploymentMode": "1p",\r\n\t"telemetry": false\r\n}\r\n'


def roots(home: Path, platform: str) -> tuple[Path, Path]:
    """(the Claude-3p folder, the normal app's folder) for a platform."""
    if platform == "macos":
        base = home / "Library" / "Application Support"
        return base / "Claude-3p", base / "Claude"
    return home / "AppData" / "Local" / "Claude-3p", home / "AppData" / "Roaming" / "Claude"


def lay_out(home: Path, platform: str, meta: bytes | None = META, config3p: bytes | None = CONFIG_3P) -> None:
    three, one = roots(home, platform)
    (three / "configLibrary").mkdir(parents=True, exist_ok=True)
    one.mkdir(parents=True, exist_ok=True)
    (one / "claude_desktop_config.json").write_bytes(MCP)
    if meta is not None:
        (three / "configLibrary" / "_meta.json").write_bytes(meta)
    if config3p is not None:
        (three / "claude_desktop_config.json").write_bytes(config3p)


@pytest.fixture(params=["macos", "windows"])
def platform(request, home, monkeypatch):
    monkeypatch.setenv("KEYCONF_PLATFORM", request.param)
    if request.param == "windows":
        monkeypatch.setenv("LOCALAPPDATA", str(home / "AppData" / "Local"))
        monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    return request.param


def use(kc, url, *extra, key=KEY):
    return kc("use", "claude-desktop", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


class TestClaudeDesktopContract(AdapterContract):
    client = "claude-desktop"
    use_args = ("--model", "claude-sonnet-4-5", "--yes")
    cannot_run = "desktop app started from its own launcher"

    @pytest.fixture(autouse=True)
    def _macos(self, monkeypatch):
        monkeypatch.setenv("KEYCONF_PLATFORM", "macos")

    def arrange(self, home):
        lay_out(home, "macos")

    def break_file(self, home):
        path = roots(home, "macos")[0] / "configLibrary" / "_meta.json"
        path.write_bytes(b'{"appliedId": "x",')
        return path

    def plant(self, home, token):
        lay_out(home, "macos")
        other = roots(home, "macos")[0] / "configLibrary" / "00000000-0000-4000-8000-000000157210.json"
        other.write_text(json.dumps({"inferenceProvider": "gateway", "inferenceGatewayApiKey": token}))


@pytest.mark.parametrize("how", ["remove", "undo"])
@pytest.mark.parametrize("layout", ["existing", "fresh"])
def test_four_files_then_byte_identical(kc, home, relay, platform, how, layout):
    if layout == "existing":
        lay_out(home, platform)
    else:
        lay_out(home, platform, meta=None, config3p=None)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "claude-sonnet-4-5", "--yes")
    assert result.code == 0, result.output
    assert "quit it fully" in result.output
    three, one = roots(home, platform)
    profile = json.loads((three / "configLibrary" / f"{CONFIG_ID}.json").read_bytes())
    helper = profile.pop("inferenceCredentialHelper")
    assert profile == {"inferenceProvider": "gateway", "inferenceGatewayBaseUrl": relay.url,
                       "inferenceGatewayAuthScheme": "bearer", "inferenceModels": ["claude-sonnet-4-5"]}
    assert helper.endswith(".cmd") == (platform == "windows") and Path(helper).is_file()
    meta = json.loads((three / "configLibrary" / "_meta.json").read_bytes())
    assert meta["appliedId"] == CONFIG_ID and {"id": CONFIG_ID, "name": "keyconf"} in meta["entries"]
    if layout == "existing":
        assert meta["version"] == 1 and meta["entries"][0]["name"] == "cc-switch"
    assert json.loads((three / "claude_desktop_config.json").read_bytes())["deploymentMode"] == "3p"
    mcp = json.loads((one / "claude_desktop_config.json").read_bytes())
    assert mcp["deploymentMode"] == "3p" and mcp["mcpServers"] == json.loads(MCP)["mcpServers"]
    for path in home.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes() or path.name == "secrets.json", path
    status = kc("status", "claude-desktop", "--json").json()["results"][0]
    assert status["configured"] and status["model"] == "claude-sonnet-4-5" and status["conflicts"] == []
    doctor = kc("doctor")
    assert doctor.code != 1 and "managed policy" in doctor.output and "quit it fully" in doctor.output
    assert kc("use", "claude-desktop", "--model", "claude-sonnet-4-5", "--json").json()["results"][0]["changed"] == []
    result = kc("undo") if how == "undo" else kc("remove", "claude-desktop")
    assert result.code == 0, result.output
    assert snapshot(home) == before
    assert not Path(helper).exists()


def test_credential_helper_contract_run_for_real(kc, home, relay, monkeypatch):
    """The app runs the helper with no arguments and CLAUDE_HELPER_CONTEXT set; stdout must be the bare key."""
    monkeypatch.setenv("KEYCONF_PLATFORM", "macos")
    lay_out(home, "macos")
    assert use(kc, relay.url, "--yes").code == 0
    profile = json.loads((roots(home, "macos")[0] / "configLibrary" / f"{CONFIG_ID}.json").read_bytes())
    helper = Path(profile["inferenceCredentialHelper"])
    assert stat.S_IMODE(helper.stat().st_mode) == 0o700 and KEY.encode() not in helper.read_bytes()
    for context in ("setup-test", "interactive", "background"):
        done = subprocess.run([str(helper)], env={**os.environ, "CLAUDE_HELPER_CONTEXT": context}, cwd="/",
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        assert done.stdout == KEY.encode()


def test_linux_is_refused_with_the_reason(kc, home, relay, monkeypatch):
    monkeypatch.setenv("KEYCONF_PLATFORM", "linux")
    result = use(kc, relay.url, "--no-verify")
    assert result.code == 2 and "no Linux release" in result.output
    assert "no Linux release" in kc("status", "claude-desktop").output


@pytest.mark.parametrize("url,ok", [("https://relay.example.com", True), ("http://127.0.0.1:3000", True),
                                    ("http://localhost:3000", True), ("http://relay.example.com", False)])
def test_gateway_url_must_be_https_or_loopback(url, ok):
    from keyconf.adapters.claude_desktop import ADAPTER
    from keyconf.errors import UsageError

    if ok:
        assert "localhost" not in ADAPTER.gateway_url(url)
    else:
        with pytest.raises(UsageError, match="https"):
            ADAPTER.gateway_url(url)


@pytest.mark.parametrize("model,ok", [("claude-sonnet-4-5", True), ("anthropic/claude-opus-4-1", True),
                                      ("claude-haiku-4-5-20251001", True), ("gpt-5", False),
                                      ("claude-sonnet-4-5[1m]", False), ("claude-3-5-sonnet", False)])
def test_model_names_in_the_apps_form(kc, home, relay, monkeypatch, model, ok):
    monkeypatch.setenv("KEYCONF_PLATFORM", "macos")
    lay_out(home, "macos")
    before = snapshot(home)
    result = use(kc, relay.url, "--model", model, "--no-verify", "--yes")
    if ok:
        assert result.code == 0, result.output
    else:
        assert result.code == 2 and "Claude role names" in result.output
        assert snapshot(home) == before


def test_an_app_switch_to_another_configuration_is_kept_on_remove(kc, home, relay, monkeypatch):
    monkeypatch.setenv("KEYCONF_PLATFORM", "macos")
    lay_out(home, "macos")
    assert use(kc, relay.url, "--yes").code == 0
    meta_path = roots(home, "macos")[0] / "configLibrary" / "_meta.json"
    meta = json.loads(meta_path.read_bytes())
    meta["appliedId"] = "00000000-0000-4000-8000-000000157210"  # picked again in the app
    meta_path.write_text(json.dumps(meta))
    assert kc("doctor").output.count("not set to keyconf's configuration") == 1
    result = kc("remove", "claude-desktop")
    assert result.code == 0 and "stays applied" in result.output
    meta = json.loads(meta_path.read_bytes())
    assert meta["appliedId"] == "00000000-0000-4000-8000-000000157210"
    assert [e["name"] for e in meta["entries"]] == ["cc-switch"]


def test_verify_deep_sends_the_apps_request_to_the_gateway(kc, home, relay, monkeypatch):
    """What the app sends through the gateway: POST {root}/v1/messages with the helper's key as a Bearer token."""
    monkeypatch.setenv("KEYCONF_PLATFORM", "macos")
    lay_out(home, "macos")
    assert use(kc, relay.url, "--model", "claude-sonnet-4-5", "--yes").code == 0
    relay.requests.clear()
    checked = kc("verify", "claude-desktop", "--deep", "--json")
    assert checked.code == 0, checked.output
    calls = relay.seen("/v1/messages")
    assert calls and calls[0].headers.get("authorization") == f"Bearer {KEY}"
    assert json.loads(calls[0].body)["model"] == "claude-sonnet-4-5"
