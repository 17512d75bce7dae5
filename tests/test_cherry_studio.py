"""Cherry Studio's import link, decoded exactly as Cherry decodes it; opening through the OS handler."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import KEY
from keyconf.errors import UsageError
from keyconf.links import cherry_link, cherry_payload
from keyconf.stores.profiles import Profile


def cherry_decode(link: str) -> dict:
    """Cherry Studio's own algorithm: protect + and / from URLSearchParams, parse, swap back, base64,
    then replace ' with " and strip parentheses."""
    query = urlsplit(link).query.replace("+", "_").replace("/", "-")
    params = dict(parse_qsl(query, keep_blank_values=True))  # URLSearchParams: + is a space, %XX decoded
    data = params["data"].replace("_", "+").replace("-", "/")
    text = base64.b64decode(data).decode("utf-8")
    text = text.replace("'", '"').replace("(", "").replace(")", "")
    return json.loads(text)


safe_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="'()"), min_size=1,
                    max_size=40)
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)


@settings(max_examples=300)
@given(key=st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="'()"), min_size=8,
                   max_size=60), name=names,
       host=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?\.[a-z]{2,6}", fullmatch=True),
       path=st.sampled_from(["", "/relay", "/a-b_c/ü"]), protocol=st.sampled_from([None, "anthropic"]))
def test_link_decodes_to_the_exact_fields(key, name, host, path, protocol):
    profile = Profile(name, f"https://{host}{path}")
    link, _ = cherry_link(profile.name, profile.base_url, key, protocol)
    assert link.startswith("cherrystudio://providers/api-keys?v=1&data=")
    assert cherry_decode(link) == {"id": f"keyconf-{name}", "baseUrl": profile.base_url, "apiKey": key,
                                   "name": f"{name} · keyconf", "type": protocol or "openai"}


@pytest.mark.parametrize("bad", ["sk-it's", "sk-(x)", "sk-a)b"])
def test_mangled_characters_are_refused(bad):
    with pytest.raises(UsageError, match="mangles"):
        cherry_payload("p", "https://relay.example.com", bad, None)


@pytest.fixture
def fake_handlers(home, monkeypatch, tmp_path):
    """Real programs named xdg-mime and xdg-open on PATH that record what they were asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "opened.txt"
    scripts = {"xdg-mime": "#!/bin/sh\necho cherrystudio-url-handler.desktop\n",
               "xdg-open": f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{log}'\n"}
    for name, body in scripts.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    apps = home / ".local" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / "cherrystudio-url-handler.desktop").write_text(
        "[Desktop Entry]\nName=Cherry Studio\nExec=/opt/Cherry.AppImage %u\nMimeType=x-scheme-handler/cherrystudio;\n")
    return log


def test_use_opens_link_with_os_handler_and_records_binding(kc, home, relay, fake_handlers):
    result = kc("use", "cherry-studio", "--key-stdin", "--base-url", relay.url + "/v1/", "--profile", "desk",
                input=KEY + "\n")
    assert result.code == 0, result.output
    assert "confirm the import" in result.stdout and "key accepted" in result.stdout
    opened = fake_handlers.read_text().splitlines()
    assert len(opened) == 1
    assert cherry_decode(opened[0]) == {"id": "keyconf-desk", "baseUrl": relay.url, "apiKey": KEY,
                                        "name": "desk · keyconf", "type": "openai"}
    assert KEY not in result.output
    item = kc("status", "cherry-studio", "--json").json()["results"][0]
    assert item["configured"] and item["profile"] == "desk" and item["base_url"] == relay.url
    assert kc("verify", "cherry-studio").code == 0
    removed = kc("remove", "cherry-studio")
    assert removed.code == 0 and "keyconf-desk" in removed.stdout


def test_without_handler_prints_masked_link_and_instructions(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-mime, no xdg-open
    result = kc("use", "cherry-studio", "--key-stdin", "--base-url", relay.url, input=KEY + "\n")
    assert result.code == 0, result.output
    # Cherry Studio isn't installed here: say what really happened (issue 13)
    assert "link ready; Cherry Studio isn't installed here" in result.stdout
    assert result.stdout.startswith("cherry-studio: link ready")
    assert "keyconf link cherry-studio --reveal" in result.stdout
    assert "link made, import not confirmed" in kc("status", "cherry-studio").stdout
    assert KEY not in result.output and base64.b64encode(KEY.encode()).decode()[:12] not in result.output


def test_no_open_just_prints(kc, home, relay, fake_handlers):
    result = kc("use", "cherry-studio", "--key-stdin", "--base-url", relay.url, "--no-open", input=KEY + "\n")
    assert result.code == 0 and "--no-open was given" in result.stdout
    assert not fake_handlers.exists()


def test_link_command_masks_unless_revealed(kc, home, relay):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    masked = kc("link", "cherry-studio")
    assert masked.code == 0 and "sk-…YZ42" in masked.stdout and KEY not in masked.output
    full = kc("link", "cherry-studio", "--reveal").stdout.strip()
    assert cherry_decode(full)["apiKey"] == KEY
    anthropic = kc("link", "cherry-studio", "--reveal", "--protocol", "anthropic").stdout.strip()
    assert cherry_decode(anthropic)["type"] == "anthropic"
    cc = kc("link", "claude-code", "--reveal").stdout.strip()
    fields = dict(parse_qsl(urlsplit(cc).query))
    assert cc.startswith("ccswitch://v1/import?") and fields["app"] == "claude"
    assert fields["endpoint"] == relay.url and fields["apiKey"] == KEY
    codex = dict(parse_qsl(urlsplit(kc("link", "codex", "--reveal").stdout.strip()).query))
    assert codex["endpoint"] == relay.url + "/v1" and codex["app"] == "codex"
    assert kc("link", "cursor").code == 2


def test_doctor_flags_desktop_entry_without_percent_u(kc, home, relay, fake_handlers):
    entry = home / ".local" / "share" / "applications" / "cherrystudio-url-handler.desktop"
    entry.write_text("[Desktop Entry]\nExec=/opt/Cherry.AppImage\nMimeType=x-scheme-handler/cherrystudio;\n")
    result = kc("doctor", "--json")
    messages = [r["message"] for r in result.json()["results"]]
    assert any("no %u" in m for m in messages)


from adapter_contract import AdapterContract  # noqa: E402


class TestCherryStudioContract(AdapterContract):
    client = "cherry-studio"
    cannot_run = "desktop app"
    use_args = ("--no-open",)
    cannot_break = "Cherry Studio is configured through its import link: keyconf reads none of its files"
    cannot_plant = "keyconf cannot read Cherry Studio's store"
