"""Key and Base URL input: never argv, unwrapped when pasted with `Bearer `/quotes, refused (exit 2, nothing
written, the key never echoed) when anything else is odd; URLs normalised to the root, odd ones refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import KEY, snapshot
from keyconf.errors import UsageError
from keyconf.keys.input import MAX_KEY_BYTES, clean_key, clean_key_with_notes, key_from_bytes
from keyconf.urls import normalise_root, normalise_root_with_notes

# --- keys -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,note", [
    (f"Bearer {KEY}", "Bearer"),
    (f"bearer   {KEY}", "Bearer"),
    (f"Authorization: Bearer {KEY}", "Bearer"),
    (f'"{KEY}"', "quotes"),
    (f"'{KEY}'", "quotes"),
    (f"“{KEY}”", "quotes"),
    (f'"Bearer {KEY}"', "Bearer"),
    (f'Bearer "{KEY}"', "quotes"),
    (f"  {KEY}\t", None),
])
def test_pasted_wrappers_are_removed_and_said(raw, note):
    key, notes = clean_key_with_notes(raw)
    assert key == KEY
    if note:
        assert any(note in n for n in notes) and all(KEY not in n for n in notes)
    else:
        assert notes == []
    assert clean_key(raw) == KEY


ODD = [
    ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u00ad", "U+00AD SOFT HYPHEN"),
    ("\u0085", "U+0085"),
    ("\u009b", "U+009B"),
    ("\u00a0", "U+00A0 NO-BREAK SPACE"),
    ("\u0430", "U+0430 CYRILLIC SMALL LETTER A"),
    ("\uff21", "U+FF21 FULLWIDTH LATIN CAPITAL LETTER A"),
    ("\u2060", "U+2060 WORD JOINER"),
    ("\x07", "U+0007"),
    ("\t", "U+0009"),
    (" ", "U+0020 SPACE"),
]


@pytest.mark.parametrize("char,name", ODD, ids=[n for _, n in ODD])
def test_odd_characters_are_refused_with_position_and_name(char, name):
    raw = KEY[:10] + char + KEY[10:]
    with pytest.raises(UsageError) as err:
        clean_key(raw)
    message = err.value.message + err.value.hint
    assert err.value.code == 2 and name in message and "at character 11 of" in message
    assert "complete key" in err.value.hint
    assert KEY[:10] not in message and KEY[10:] not in message
    assert char == " " or char not in err.value.message


def test_a_key_over_4_kib_is_refused():
    with pytest.raises(UsageError) as err:
        clean_key("sk-" + "a" * MAX_KEY_BYTES)
    assert err.value.code == 2 and "4 KiB" in err.value.message
    assert clean_key("sk-" + "a" * (MAX_KEY_BYTES - 3))  # exactly 4 KiB is fine


@pytest.mark.parametrize("data,message", [
    (KEY.encode() + b"\nsk-second-line-key-000000\n", "must be one line"),
    (b"\n" + KEY.encode() + b"\n\nmore\n", "must be one line"),
    (b"sk-\xff\xfekey0123456789", "not valid UTF-8"),
    (b"\n\n", "key is empty"),
    (b"sk-" + b"a" * 70000, "4 KiB"),
])
def test_stdin_bytes_rules(data, message):
    with pytest.raises(UsageError) as err:
        key_from_bytes(data)
    assert err.value.code == 2 and message in err.value.message
    assert KEY not in err.value.message + err.value.hint


def test_stdin_bytes_tolerate_blank_lines_and_crlf():
    assert key_from_bytes(b"\r\n" + KEY.encode() + b"\r\n\r\n") == (KEY, [])


@given(st.text(min_size=1, max_size=60))
def test_any_text_is_a_clean_key_or_a_usage_error(text):
    from keyconf import masking

    try:
        key, _ = clean_key_with_notes(text)
    except UsageError as exc:
        assert exc.code == 2
        return
    finally:
        masking.forget_all()  # every accepted key is remembered for masking: don't leak "http" into it
    assert key and all(0x21 <= ord(c) <= 0x7E for c in key)


@pytest.mark.parametrize("key,message", [
    ("sk-abc def", "whitespace or control"),
    ("sk-abc\x07def", "whitespace or control"),
    ("sk-abc\u200bdef0123456789", "ZERO WIDTH SPACE"),
    ("sk-abc\u0430def0123456789", "CYRILLIC SMALL LETTER A"),
    ("", "key is empty"),
    (f"{KEY}\nsk-another-line-0000000000", "must be one line"),
])
def test_incomplete_key_is_refused_before_writing(kc, home, relay, key, message):
    before = snapshot(home)
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=key + "\n")
    assert result.code == 2 and message in result.stderr
    assert snapshot(home) == before
    assert not relay.requests
    for part in key.split("\n"):
        if len(part) > 8:
            assert part not in result.output and part[:10] not in result.output


def _keyconf_subprocess(home, args, data: bytes):
    env = {k: v for k, v in os.environ.items()}
    return subprocess.run([sys.executable, "-m", "keyconf", *args], input=data, capture_output=True, env=env,
                          timeout=60)


@pytest.mark.parametrize("data,message", [
    (b"sk-\xffbroken0123456789\n", "not valid UTF-8"),
    (KEY.encode() + b"\n" + KEY.encode() + b"x\n", "must be one line"),
    (b"\xef\xbb\xbf" + KEY.encode() + b"\n", "ZERO WIDTH NO-BREAK SPACE"),  # a BOM from a Windows pipe
])
def test_real_stdin_bytes_are_checked(home, relay, data, message):
    before = snapshot(home)
    result = _keyconf_subprocess(home, ["use", "claude-code", "--key-stdin", "--base-url", relay.url], data)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and message in stderr, stderr
    assert KEY not in stderr + result.stdout.decode("utf-8", "replace")
    assert snapshot(home) == before


def test_bearer_prefix_is_stripped_through_use(kc, home, relay):
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=f"Bearer {KEY}\n")
    assert result.code == 0, result.output
    assert relay.seen("/v1/models")[-1].headers["authorization"] == f"Bearer {KEY}"
    assert f"Bearer {KEY}" not in (home / ".claude" / "settings.json").read_text()


def test_key_is_trimmed(kc, home, relay):
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=f"  {KEY}\t\n")
    assert result.code == 0, result.output


def test_key_env_and_keyconf_api_key(kc, home, relay, monkeypatch):
    monkeypatch.setenv("MY_RELAY_KEY", KEY)
    assert kc("use", "claude-code", "--key-env", "MY_RELAY_KEY", "--base-url", relay.url).code == 0
    assert kc("use", "claude-code", "--key-env", "NOT_SET_ANYWHERE", "--base-url", relay.url).code == 2
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    monkeypatch.setenv("KEYCONF_BASE_URL", relay.url + "/v1")
    assert kc("use", "claude-code", "--profile", "from-env").code == 0


def test_no_terminal_and_no_key_is_a_clear_error(kc, home):
    result = kc("use", "claude-code", "--base-url", "https://relay.example.com")
    assert result.code == 2 and "no key given and no terminal" in result.stderr


def test_there_is_no_key_option(kc):
    result = kc("use", "claude-code", "--key", KEY)
    assert result.code == 2


# --- Base URLs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,root", [
    ("https://relay.example.com", "https://relay.example.com"),
    ("  https://Relay.Example.com/v1/ ", "https://relay.example.com"),
    ("https://relay.example.com/v1/chat/completions", "https://relay.example.com"),
    ("https://relay.example.com/proxy/v1", "https://relay.example.com/proxy"),
    ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
    ('"https://relay.example.com/v1"', "https://relay.example.com"),
    ("http://[::1]:3000/v1", "http://[::1]:3000"),
    ("https://relay.example.com/v1beta", "https://relay.example.com"),
    ("https://relay.example.com./", "https://relay.example.com"),
])
def test_normalise_root(raw, root):
    assert normalise_root(raw) == root
    assert normalise_root_with_notes(raw) == (root, [])


@pytest.mark.parametrize("raw,root,dropped", [
    ("https://relay.example.com/console/token", "https://relay.example.com", "/console/token"),
    ("https://relay.example.com/panel/keys", "https://relay.example.com", "/panel/keys"),
    ("https://relay.example.com/token", "https://relay.example.com", "/token"),
    ("https://relay.example.com/login", "https://relay.example.com", "/login"),
    ("https://relay.example.com/dashboard/", "https://relay.example.com", "/dashboard"),
    ("https://relay.example.com/relay/console/log", "https://relay.example.com/relay", "/console/log"),
])
def test_dashboard_page_paths_are_dropped_with_a_note(raw, root, dropped):
    got, notes = normalise_root_with_notes(raw)
    assert got == root and len(notes) == 1 and dropped in notes[0]


@pytest.mark.parametrize("raw,message", [
    ("", "empty"),
    ("relay.example.com", "must start with https://"),
    ("ftp://relay.example.com", "http or https"),
    ("https://", "no host"),
    ("https://a b.com", "whitespace"),
    ("https://user:pw@relay.example.com", "user name or password"),
    ("http://x:99999", "port"),
    ("http://relay.example.com:0", "port 0"),
    ("http://[::1", "IPv6"),
    ("http://[::1/v1", "IPv6"),
    ("http://[zz::1]/", "IPv6"),
    ("https://relay..example.com", "host name"),
    ("https://bad_host!.example.com", "host name"),
    ("https://-relay.example.com", "host name"),
    ("https://relay.example.com:", "empty port"),
    ("https://relay.example.com/v1?key=abc", "query string"),
    ("https://relay.example.com/?", "query string"),
    ("https://relay.example.com/#/console/token", "fragment"),
    ("https://relay.example.com/\x1b]0;pwned\x07", "U+001B ESCAPE"),
    ("https://relay.example.com/\u200bv1", "ZERO WIDTH SPACE"),
    ("https://relay.example.com/\x85", "U+0085"),
])
def test_bad_urls_are_refused_with_the_reason(raw, message):
    with pytest.raises(UsageError) as err:
        normalise_root(raw)
    text = err.value.message + err.value.hint
    assert err.value.code == 2 and message in text
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)  # never echoed raw
    assert "pw@" not in text


def test_userinfo_and_key_in_query_are_not_echoed():
    with pytest.raises(UsageError) as err:
        normalise_root("https://relay.example.com/v1?key=" + KEY)
    assert KEY not in err.value.message + err.value.hint and "query string" in err.value.message


@pytest.mark.parametrize("raw", [KEY, f"Bearer {KEY}", f'"{KEY}"', "0123456789abcdef0123456789abcdef"])
def test_a_key_pasted_as_the_url_is_refused_masked(raw):
    with pytest.raises(UsageError) as err:
        normalise_root(raw)
    text = err.value.message + err.value.hint
    assert "looks like an API key" in text and raw.strip('"').removeprefix("Bearer ") not in text


def test_bad_url_is_refused_with_message(kc, home):
    result = kc("use", "claude-code", "--key-stdin", "--base-url", "relay.example.com", input=KEY + "\n")
    assert result.code == 2 and "did you mean https://relay.example.com" in result.stderr


def test_escape_sequence_in_url_never_reaches_the_terminal(kc, home):
    before = snapshot(home)
    result = kc("use", "claude-code", "--key-stdin", "--base-url", "https://x.example\x1b]0;pwned\x07/",
                "--json", input=KEY + "\n")
    assert result.code == 2 and "\x1b" not in result.output and "\\x1b" in result.output
    assert snapshot(home) == before


def test_key_given_as_url_is_masked_in_output(kc, home):
    result = kc("use", "claude-code", "--key-stdin", "--base-url", KEY, input=KEY + "\n")
    assert result.code == 2 and "looks like an API key" in result.stderr and KEY not in result.output


def test_json_envelope_on_usage_error(kc):
    result = kc("use", "no-such-client", "--json")
    doc = result.json()
    assert result.code == 2 and doc["ok"] is False and doc["exit_code"] == 2 and doc["errors"]


def test_bad_profile_name(kc, relay):
    result = kc("use", "claude-code", "--profile", "../evil", "--key-stdin", "--base-url", relay.url,
                input=KEY + "\n")
    assert result.code == 2 and "invalid profile name" in result.stderr
