"""Chatbox: `use chatbox` and `link chatbox` build its chatbox:// import link, open it with the system handler
(masked in every output unless --reveal), and the link opened is decoded the way Chatbox decodes it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from adapter_contract import AdapterContract
from conftest import KEY, require_tool

REPO = Path(__file__).resolve().parent.parent


def decode(link: str) -> dict:
    """Chatbox's path for the link (deeplinks.ts, base64.ts), in Python: the `config` parameter as
    URLSearchParams gives it, a space back to +, any base64 alphabet, padding optional."""
    from urllib.parse import parse_qsl, urlsplit

    config = dict(parse_qsl(urlsplit(link).query))["config"].replace(" ", "+")
    config = config.replace("-", "+").replace("_", "/")
    return json.loads(base64.b64decode(config + "=" * (-len(config) % 4)))


def node_decode(link: str) -> dict | None:
    """The same with Node's URL and js-base64 itself (what Chatbox runs), when installed here."""
    module = REPO / ".ci" / "node" / "node_modules" / "js-base64"
    if not module.is_dir():
        return None
    node = require_tool("node")
    script = ("const {Base64} = require(process.argv[2]); const config = new URL(process.argv[1])"
              ".searchParams.get('config'); process.stdout.write(Base64.decode(config.replaceAll(' ', '+')))")
    done = subprocess.run([node, "-e", script, link, str(module)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def handlers(home, monkeypatch, tmp_path):
    """Real programs named xdg-mime and xdg-open on PATH that record what they were asked to open."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "opened.txt"
    scripts = {"xdg-mime": "#!/bin/sh\necho xyz.chatboxapp.app.desktop\n",
               "xdg-open": f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{log}'\n"}
    for name, body in scripts.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    apps = home / ".local" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / "xyz.chatboxapp.app.desktop").write_text("[Desktop Entry]\nName=Chatbox\nExec=/opt/Chatbox.AppImage %U\n"
                                                     "MimeType=x-scheme-handler/chatbox;\n")
    return log


class TestChatboxContract(AdapterContract):
    client = "chatbox"
    cannot_run = "Chatbox is a desktop app"
    use_args = ("--no-open",)
    cannot_break = "Chatbox is configured through its import link: keyconf reads none of its files"
    cannot_plant = "keyconf cannot read Chatbox's store"


def test_use_opens_the_link_chatbox_decodes_to_our_provider(kc, home, relay, handlers):
    result = kc("use", "chatbox", "--key-stdin", "--base-url", relay.url + "/v1/", "--profile", "desk", "--model",
                "gpt-5", input=KEY + "\n")
    assert result.code == 0, result.output
    assert "confirm the import" in result.stdout and KEY not in result.output
    opened = handlers.read_text().splitlines()
    assert len(opened) == 1 and opened[0].startswith("chatbox://provider/import?config=")
    expected = {"id": "keyconf-desk", "name": "desk · keyconf", "type": "openai",
                "settings": {"apiHost": relay.url, "apiKey": KEY, "models": [{"modelId": "gpt-5", "type": "chat"}]}}
    assert decode(opened[0]) == expected
    by_node = node_decode(opened[0])
    assert by_node in (None, expected)
    item = kc("status", "chatbox", "--json").json()["results"][0]
    assert item["configured"] and item["profile"] == "desk" and item["base_url"] == relay.url
    assert kc("verify", "chatbox").code == 0
    removed = kc("remove", "chatbox")
    assert removed.code == 0 and "keyconf-desk" in removed.stdout


def test_anthropic_protocol_sends_root_plus_v1(kc, home, relay, handlers):
    assert kc("use", "chatbox", "--key-stdin", "--base-url", relay.url, "--protocol", "anthropic",
              input=KEY + "\n").code == 0
    doc = decode(handlers.read_text().splitlines()[0])
    assert doc["type"] == "anthropic" and doc["settings"]["apiHost"] == relay.url + "/v1"


def test_without_handler_prints_the_masked_link(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = kc("use", "chatbox", "--key-stdin", "--base-url", relay.url, input=KEY + "\n")
    assert result.code == 0, result.output
    assert "link ready; Chatbox isn't installed here" in result.stdout
    assert "keyconf link chatbox --reveal" in result.stdout
    assert KEY not in result.output and base64.urlsafe_b64encode(KEY.encode()).decode()[:12] not in result.output


def test_link_command_masks_unless_revealed(kc, home, relay):
    assert kc("use", "chatbox", "--key-stdin", "--base-url", relay.url, "--no-open", "--model", "gpt-5",
              input=KEY + "\n").code == 0
    masked = kc("link", "chatbox")
    assert masked.code == 0 and masked.stdout.startswith("chatbox://") and KEY not in masked.output
    full = kc("link", "chatbox", "--reveal").stdout.strip()
    assert decode(full)["settings"]["apiKey"] == KEY and decode(full)["settings"]["models"][0]["modelId"] == "gpt-5"


def test_verify_names_a_model_the_group_lacks(kc, home, relay):
    made = kc("use", "chatbox", "--key-stdin", "--base-url", relay.url, "--no-open", "--model", "no-such-model",
              input=KEY + "\n")
    assert made.code == 10 and "no-such-model" in made.output  # checked before the link is handed over
    result = kc("verify", "chatbox")
    assert result.code not in (0, 1) and "no-such-model" in result.output


def test_doctor_flags_a_desktop_entry_without_percent_u(kc, home, relay, handlers):
    assert kc("use", "chatbox", "--key-stdin", "--base-url", relay.url, "--no-open", input=KEY + "\n").code == 0
    entry = home / ".local" / "share" / "applications" / "xyz.chatboxapp.app.desktop"
    entry.write_text("[Desktop Entry]\nExec=/opt/Chatbox.AppImage\nMimeType=x-scheme-handler/chatbox;\n")
    messages = [r["message"] for r in kc("doctor", "--json").json()["results"]]
    assert any("no %u" in m and "Chatbox" in m for m in messages)
