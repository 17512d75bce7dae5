"""Key and Base URL input: never argv, trimmed, refused when incomplete; URLs normalised to the root."""

from __future__ import annotations

import pytest
from conftest import KEY, snapshot

from keyconf.errors import UsageError
from keyconf.urls import normalise_root


@pytest.mark.parametrize("raw,root", [
    ("https://relay.example.com", "https://relay.example.com"),
    ("  https://Relay.Example.com/v1/ ", "https://relay.example.com"),
    ("https://relay.example.com/v1/chat/completions", "https://relay.example.com"),
    ("https://relay.example.com/proxy/v1", "https://relay.example.com/proxy"),
    ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
    ('"https://relay.example.com/v1"', "https://relay.example.com"),
])
def test_normalise_root(raw, root):
    assert normalise_root(raw) == root


@pytest.mark.parametrize("raw", ["", "relay.example.com", "ftp://relay.example.com", "https://",
                                 "https://a b.com", "https://user:pw@relay.example.com", "http://x:99999"])
def test_bad_urls_are_refused(raw):
    with pytest.raises(UsageError):
        normalise_root(raw)


@pytest.mark.parametrize("key,message", [
    ("sk-abc def", "whitespace or control"),
    ("sk-abc\x07def", "whitespace or control"),
    ("", "key is empty"),
])
def test_incomplete_key_is_refused_before_writing(kc, home, relay, key, message):
    before = snapshot(home)
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=key + "\n")
    assert result.code == 2 and message in result.stderr
    assert snapshot(home) == before


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


def test_bad_url_is_refused_with_message(kc, home):
    result = kc("use", "claude-code", "--key-stdin", "--base-url", "relay.example.com", input=KEY + "\n")
    assert result.code == 2 and "did you mean https://relay.example.com" in result.stderr


def test_there_is_no_key_option(kc):
    result = kc("use", "claude-code", "--key", KEY)
    assert result.code == 2


def test_json_envelope_on_usage_error(kc):
    result = kc("use", "no-such-client", "--json")
    doc = result.json()
    assert result.code == 2 and doc["ok"] is False and doc["exit_code"] == 2 and doc["errors"]


def test_bad_profile_name(kc, relay):
    result = kc("use", "claude-code", "--profile", "../evil", "--key-stdin", "--base-url", relay.url,
                input=KEY + "\n")
    assert result.code == 2 and "invalid profile name" in result.stderr
