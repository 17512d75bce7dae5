"""How failed checks are reported: listed in --json errors, a 429 about quota gets the quota line, an
OPENAI_BASE_URL that Codex ignores is no problem."""

from __future__ import annotations

from conftest import KEY


def test_a_failed_check_is_listed_in_json_errors(kc, home, relay):
    relay.fail(401, "Invalid token")
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--json", input=KEY + "\n")
    doc = result.json()
    assert result.code == 5 and doc["errors"] and doc["errors"][0]["code"] == 5
    assert doc["errors"][0]["client"] == "claude-code"


def test_a_429_that_says_quota_gets_the_quota_line(kc, home, relay):
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--no-verify", input=KEY + "\n").code == 0
    relay.fail(429, "You exceeded your current quota, please check your plan", "insufficient_quota")
    result = kc("verify", "shell")
    assert result.code == 9 and "balance or quota" in result.output and "wait a minute" not in result.output


def test_openai_base_url_is_no_problem_when_codex_uses_keyconfs_provider(kc, home, relay, monkeypatch):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    monkeypatch.setenv("OPENAI_BASE_URL", "http://elsewhere.example")
    assert not [c for c in kc("status", "codex", "--json").json()["results"][0]["conflicts"]
                if "OPENAI_BASE_URL" in c]
