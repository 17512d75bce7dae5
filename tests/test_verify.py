"""Verification against real HTTP servers on 127.0.0.1: every dashboard troubleshooting line, in New API's
English and Chinese messages; concurrency; redirects; http/https mix-ups; proxies; key state; spinner."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

import relayfaults
from conftest import KEY
from keyconf import verify
from keyconf.errors import UsageError
from keyconf.model import Target
from keyconf.progress import Spinner
from keyconf.verify import check_many


def use(kc, url, key=KEY, *extra):
    return kc("use", "claude-code", "--key-stdin", "--base-url", url, "--json", *extra, input=key + "\n")


def _finding(result):
    doc = result.json()
    assert doc["exit_code"] == result.code
    return doc["results"][0]["verify"]


@pytest.fixture
def faulty():
    # the models the tests name, without the clients' own defaults (the default-model checks need that)
    relay = relayfaults.start([KEY], gemini=True, models=["claude-sonnet-4-5", "gpt-5-codex", "gpt-4o-mini"])
    yield relay
    relay.stop()


def one(relay_or_url, key=KEY, **kw):
    """check_many on one chat target (no default model involved) and return its Finding."""
    url = relay_or_url if isinstance(relay_or_url, str) else relay_or_url.url
    deep = kw.pop("deep", False)
    target = Target(url, key, kw.pop("protocol", "chat"), kw.pop("model", None), **kw)
    return check_many([target], deep=deep)[target.client or target]


# --- every line of the dashboard's troubleshooting table, zh and en -----------------------------------

CASES = [
    # status, zh message, en message, code, exit, dashboard line in the hint
    (401, "该令牌已过期", "This token has expired", "", 5, "expiry"),
    (401, "该令牌额度已用尽", "This token quota is exhausted TokenStatusExhausted[sk-Tes***Z42]", "", 9,
     "balance or quota"),
    (401, "该令牌状态不可用", "This token status is unavailable", "", 5, "dashboard"),
    (403, "令牌额度不足", "token quota is not enough", "pre_consume_token_quota_failed", 9, "balance or quota"),
    (403, "用户额度不足, 剩余额度: ＄0.0", "insufficient user quota", "insufficient_user_quota", 9,
     "balance or quota"),
    (403, "您的 IP 不在令牌允许访问的列表中", "Your IP address is not in the token's allowed access list",
     "access_denied", 10, "IP restriction"),
    (403, "该令牌无权访问模型 claude-opus-4", "This token has no access to model claude-opus-4", "", 10,
     "available group"),
    (403, "该令牌无权访问任何模型", "This token has no access to any models", "", 10, "available group"),
    (503, "分组 vip 下模型 x 无可用渠道（distributor）",
     "No available channel for model x under group vip (distributor)", "model_not_found", 10, "available group"),
    (503, "当前分组 vip 下对于模型 x 无可用渠道",
     "No available channel for model x under group vip (distributor)", "", 10, "available group"),
    (403, "令牌分组 vip 已被禁用", "No permission to access this group", "", 10, "available group"),
    (403, "无权访问 vip 分组", "Unauthorized to access group vip", "", 10, "available group"),
    (429, "您已达到请求数限制：1分钟内最多请求10次",
     "You have reached the request limit: maximum 10 requests in 1 minutes", "", 9, "rate limit"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("status,zh,en,code,exit_code,line", CASES, ids=[c[2][:30] for c in CASES])
def test_relay_errors_name_the_dashboard_line(faulty, lang, status, zh, en, code, exit_code, line):
    message = zh if lang == "zh" else en
    faulty.fail(status, message, code)
    finding = one(faulty)
    assert (finding.ok, finding.code) == (False, exit_code), finding
    assert line in finding.hint
    assert message.split(" TokenStatus")[0] in finding.reason  # the relay's own words are kept


def test_rate_limit_with_empty_body_is_9(faulty):
    faulty.fail(429, "")
    finding = one(faulty)
    assert finding.code == 9 and "rate limit" in finding.hint


@pytest.mark.parametrize("message", ["无效的令牌", "Invalid token"])
def test_unknown_key_is_5_with_complete_key(faulty, message):
    faulty.usage_failure = (401, message)
    finding = one(faulty, "sk-wrong-key-0000000000")
    assert finding.code == 5 and "complete key" in finding.hint and message in finding.reason


@pytest.mark.parametrize("message", ["该令牌状态不可用", "This token status is unavailable"])
def test_disabled_key_is_told_apart_behind_the_generic_401(faulty, message):
    faulty.usage_failure = (401, message)  # what /api/usage/token/ says for a disabled key
    finding = one(faulty, "sk-disabled-key-00000000")
    assert finding.code == 5 and "disabled" in finding.reason and "incomplete" not in finding.reason
    assert "dashboard" in finding.hint and "complete key" not in finding.hint
    assert any("/api/usage/token/" in line for line in finding.checked)


def test_expired_key_is_named_through_usage_endpoint(faulty):
    faulty.usage = {"name": "k", "expires_at": int(time.time()) - 86400, "total_available": 100,
                    "unlimited_quota": False}
    finding = one(faulty, "sk-expired-key-00000000")
    assert finding.code == 5 and "expired on" in finding.reason and "expiry" in finding.hint


def test_used_up_key_is_9_through_usage_endpoint(faulty):
    faulty.usage = {"name": "k", "expires_at": 0, "total_available": 0, "unlimited_quota": False}
    finding = one(faulty, "sk-usedup-key-00000000")
    assert finding.code == 9 and "balance or quota" in finding.hint


def test_wrong_path_and_html_are_7(faulty):
    finding = one(faulty.url + "/api")
    assert finding.code == 7 and "404" in finding.reason and "correct Base URL" in finding.hint
    faulty.html = True
    finding = one(faulty)
    assert finding.code == 7 and "HTML page" in finding.reason and "correct Base URL" in finding.hint


def test_key_with_odd_characters_is_5_without_crashing(faulty):
    finding = one(faulty, "sk-abc\u200bdef0123456789")
    assert finding.code == 5 and "ZERO WIDTH SPACE" in finding.reason
    assert not faulty.requests  # nothing was sent


# --- the model the client will use -------------------------------------------------------------------

def test_claude_code_default_model_must_be_offered(faulty, fake_client):
    fake_client("claude", "2.1.197 (Claude Code)")
    target = Target(faulty.url, KEY, "anthropic", client="claude-code")
    finding = check_many([target])["claude-code"]
    assert finding.code == 10 and "Claude Code 2.1.197 asks for claude-opus-4-8" in finding.reason
    assert "claude-sonnet-4-5" in finding.hint and "available group" in finding.hint
    faulty.models.append("claude-opus-4-8")
    assert check_many([target])["claude-code"].ok


def test_group_without_any_claude_model_fails_for_anthropic(faulty):
    faulty.models[:] = ["gpt-5", "gpt-4o-mini"]
    finding = one(faulty, protocol="anthropic")  # even without a client: no Claude model, no Claude Code
    assert finding.code == 10 and "no Claude model" in finding.reason and "gpt-5" in finding.reason
    # a non-Claude group is fine when the models are set on purpose
    assert one(faulty, protocol="anthropic", model="gpt-5").ok


def test_configured_model_missing_names_the_closest(faulty):
    finding = one(faulty, protocol="responses", model="gpt-5-codx")
    assert finding.code == 10 and "gpt-5-codex" in finding.hint.split(",")[0]


def test_claude_tier_models_and_aliases(faulty):
    finding = one(faulty, protocol="anthropic", model="claude-sonnet-4-5", models=("claude-haiku-4-5",))
    assert finding.code == 10 and "claude-haiku-4-5" in finding.reason
    ok = one(faulty, protocol="anthropic", model="sonnet[1m]", tiers={"sonnet": "claude-sonnet-4-5"})
    assert ok.ok and ok.model == "claude-sonnet-4-5"


def test_deep_uses_the_clients_model_and_protocol_never_the_first_listed(faulty):
    faulty.models[:] = ["gpt-5", "claude-sonnet-4-5", "gpt-5-codex"]
    targets = [Target(faulty.url, KEY, "anthropic", "claude-sonnet-4-5", client="claude-code"),
               Target(faulty.url, KEY, "responses", "gpt-5-codex", client="codex")]
    findings = check_many(targets, deep=True)
    assert all(f.ok for f in findings.values()), findings
    (messages,), (responses,) = faulty.seen("/v1/messages"), faulty.seen("/v1/responses")
    assert relayfaults.json_body(messages)["model"] == "claude-sonnet-4-5"
    assert messages.headers["anthropic-version"] == "2023-06-01"
    assert relayfaults.json_body(responses)["model"] == "gpt-5-codex"


def test_deep_without_the_default_model_sends_nothing(faulty, fake_client):
    fake_client("codex", "codex-cli 0.171.0")
    target = Target(faulty.url, KEY, "responses", client="codex")
    finding = check_many([target], deep=True)["codex"]
    assert finding.code == 10 and "gpt-6.2-sol" in finding.reason
    assert not faulty.seen("/v1/responses")


def test_deep_chat_without_a_model_says_so(faulty):
    finding = check_many([Target(faulty.url, KEY, "chat", client="cursor")], deep=True)["cursor"]
    assert finding.ok and "no real request" in finding.notes[0] and not faulty.seen("/v1/chat")


def test_deep_failure_is_diagnosed(faulty):
    faulty.models.append("claude-ghost")  # listed, but no channel answers for it
    faulty.models.remove("claude-sonnet-4-5")
    finding = one(faulty, protocol="anthropic", model="claude-ghost", deep=True)
    assert finding.ok  # the fake relay serves any listed model
    target = Target(faulty.url, KEY, "chat", "gpt-4o-mini")
    faulty.fail(503, "No available channel for model gpt-4o-mini under group default (distributor)",
                "model_not_found")
    assert check_many([target], deep=True)[target].code == 10


def test_gemini_lists_and_calls_with_x_goog_api_key(faulty):
    faulty.models[:] = ["gemini-2.5-pro", "gemini-2.5-flash"]
    finding = one(faulty, protocol="gemini", model="gemini-2.5-flash", deep=True)
    assert finding.ok, finding
    listing, = faulty.seen("/v1beta/models")[:1]
    assert listing.path == "/v1beta/models" and listing.headers["x-goog-api-key"] == KEY
    assert "authorization" not in listing.headers
    call, = faulty.seen("/v1beta/models/gemini-2.5-flash:generateContent")
    assert call.headers["x-goog-api-key"] == KEY
    faulty.models[:] = ["gpt-5"]
    assert one(faulty, protocol="gemini").code == 10  # no Gemini model in the group


# --- concurrency: one request per distinct pair, about one round trip in all ----------------------------

def _single_request_time(url: str) -> float:
    import httpx

    start = time.perf_counter()
    with httpx.Client() as client:
        client.get(url + "/v1/models", headers={"authorization": f"Bearer {KEY}"})
    return time.perf_counter() - start


def _four(url: str):
    return [Target(url, KEY, "anthropic", "claude-sonnet-4-5", client="claude-code"),
            Target(url, KEY, "responses", "gpt-5-codex", client="codex"),
            Target(url, KEY, "chat", "gpt-4o-mini", client="cursor"),
            Target(url, KEY, "chat", client="shell")]


def test_four_clients_behind_a_slow_relay_cost_one_round_trip():
    relay = relayfaults.start([KEY], latency=0.3)
    try:
        single = min(_single_request_time(relay.url) for _ in range(2))
        relay.requests.clear()
        seen = []
        start = time.perf_counter()
        findings = check_many(_four(relay.url), on_result=lambda t, f: seen.append(t.client))
        elapsed = time.perf_counter() - start
        assert all(f.ok for f in findings.values()) and sorted(seen) == sorted(findings)
        assert [r.path for r in relay.requests] == ["/v1/models"]  # one request for four clients
        assert elapsed <= 1.6 * single + 0.25, (elapsed, single)  # slack for a loaded CI machine

        relay.requests.clear()
        start = time.perf_counter()
        deep = check_many(_four(relay.url), deep=True)
        elapsed = time.perf_counter() - start
        assert all(f.ok for f in deep.values()), deep
        paths = sorted(r.path for r in relay.requests)
        assert paths == ["/v1/chat/completions", "/v1/messages", "/v1/models", "/v1/responses"]
        assert elapsed <= 2 * 1.6 * single + 0.25, (elapsed, single)  # the list, then the calls at once
    finally:
        relay.stop()


def test_each_result_is_reported_as_soon_as_it_is_known():
    fast, slow = relayfaults.start([KEY]), relayfaults.start([KEY], latency=1.0)
    try:
        start, when = time.perf_counter(), {}
        threads = set()

        def report(target, finding):
            when.setdefault(target.client, time.perf_counter() - start)
            threads.add(threading.current_thread())

        check_many([Target(slow.url, KEY, client="shell"), Target(fast.url, KEY, client="cursor")],
                   on_result=report)
        assert when["cursor"] < 0.6 < when["shell"]
        assert threads == {threading.current_thread()}  # printing happens in the caller's thread
    finally:
        fast.stop()
        slow.stop()


def test_distinct_keys_and_roots_each_get_their_request(faulty):
    other = "sk-Other0123456789abcdefXYZ"
    faulty.keys.add(other)
    targets = [Target(faulty.url, KEY, client="a"), Target(faulty.url, other, client="b"),
               Target(faulty.url, KEY, "gemini", "gemini-x", client="c")]
    faulty.models.append("gemini-x")
    findings = check_many(targets)
    assert all(f.ok for f in findings.values())
    assert sorted(r.path for r in faulty.requests) == ["/v1/models", "/v1/models", "/v1beta/models"]


def test_a_cache_kept_across_calls_sends_nothing_twice(faulty):
    cache: dict = {}
    before = check_many([Target(faulty.url, KEY, client="pair")], cache=cache)  # check before writing
    after = check_many(_four(faulty.url), deep=True, cache=cache)  # report after writing
    assert before["pair"].ok and all(f.ok for f in after.values())
    assert [r.path for r in faulty.requests].count("/v1/models") == 1
    check_many(_four(faulty.url), deep=True, cache=cache)
    assert len(faulty.requests) == 4  # the list and three calls, once each


@pytest.mark.parametrize("code,hard,part", [(5, True, "key"), (6, True, "url"), (7, True, "url"),
                                            (9, False, None), (10, False, None), (0, False, None)])
def test_hard_failures_and_what_to_ask_again(code, hard, part):
    finding = verify.Finding(code == 0, code, "r")
    assert (finding.hard, finding.ask_again) == (hard, part)


def test_timeout_option_and_env(monkeypatch):
    relay = relayfaults.start([KEY], latency=2.0)
    try:
        start = time.perf_counter()
        finding = check_many([Target(relay.url, KEY, client="x")], timeout=0.4)["x"]
        assert finding.code == 6 and "within 0.4 s" in finding.reason and "--timeout" in finding.hint
        assert time.perf_counter() - start < 1.5
        monkeypatch.setenv("KEYCONF_TIMEOUT", "0.3")
        assert "within 0.3 s" in check_many([Target(relay.url, KEY, client="x")])["x"].reason
    finally:
        relay.stop()
    monkeypatch.setenv("KEYCONF_TIMEOUT", "soon")
    with pytest.raises(UsageError):
        verify.resolve_timeout()
    with pytest.raises(UsageError):
        verify.resolve_timeout(0)
    monkeypatch.delenv("KEYCONF_TIMEOUT")
    assert verify.resolve_timeout() == 15


# --- redirects --------------------------------------------------------------------------------------

def test_cross_origin_redirect_stops_and_names_the_new_address(faulty):
    moved = relayfaults.redirector(f"http://localhost:{faulty.port}")
    try:
        finding = one(moved.url)
        new = f"http://localhost:{faulty.port}"
        assert finding.code == 7 and finding.reason == f"the Base URL redirects to {new}: use {new}"
        assert "complete key" not in finding.hint
        assert not faulty.requests  # the key never went to the other origin
    finally:
        moved.stop()


def test_redirect_to_https_is_cross_origin_too(faulty):
    moved = relayfaults.redirector(f"https://127.0.0.1:{faulty.port}/base")
    try:
        finding = one(moved.url + "/base")
        assert finding.code == 7 and f"use https://127.0.0.1:{faulty.port}/base" in finding.reason
    finally:
        moved.stop()


def test_same_origin_redirect_is_followed_with_the_key(faulty):
    faulty.moved = ("/old", "")
    finding = one(faulty.url + "/old")
    assert finding.ok, finding
    followed = faulty.seen("/v1/models")[-1]
    assert followed.headers["authorization"] == f"Bearer {KEY}"


# --- http vs https, proxies -------------------------------------------------------------------------

def test_https_on_a_plain_http_port_suggests_http(faulty):
    finding = one(faulty.url.replace("http://", "https://"))
    assert finding.code == 7 and "speaks plain http" in finding.reason
    assert f"try {faulty.url}" in finding.hint and "certificate" not in finding.hint


@pytest.mark.parametrize("reply", ["close", "go", "nginx"])
def test_plain_http_on_a_tls_port_suggests_https(reply):
    relay = relayfaults.start([KEY], tls=True, plain_reply=reply)
    try:
        finding = one(relay.url.replace("https://", "http://"))
        assert finding.code == 7 and "speaks https" in finding.reason, finding
        assert f"try {relay.url}" in finding.hint and "reset" not in finding.reason
    finally:
        relay.stop()


def test_untrusted_certificate_is_6():
    relay = relayfaults.start([KEY], tls=True)
    try:
        finding = one(relay.url)
        assert finding.code == 6 and "not trusted" in finding.reason
    finally:
        relay.stop()


def test_failing_proxy_is_named_masked_and_no_proxy_is_honoured(faulty, monkeypatch):
    proxy_port = relayfaults.dead_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://alice:s3cret@127.0.0.1:{proxy_port}")
    finding = one(faulty)
    assert finding.code == 6 and f"http://***@127.0.0.1:{proxy_port}" in finding.reason
    assert "HTTP_PROXY" in finding.reason and "NO_PROXY" in finding.hint
    assert "s3cret" not in finding.reason + finding.hint and "alice" not in finding.reason
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert one(faulty).ok


def test_https_proxy_is_used_for_an_https_relay_and_named(monkeypatch):
    relay = relayfaults.start([KEY], tls=True)
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"http://bob:pw@127.0.0.1:{relayfaults.dead_port()}")
        finding = one(relay.url)
        assert finding.code == 6 and "HTTPS_PROXY" in finding.reason and "http://***@127.0.0.1:" in finding.reason
        assert "bob" not in finding.reason + finding.hint
        assert not relay.requests
    finally:
        relay.stop()


def test_nothing_listening_and_unresolvable(faulty):
    finding = one(f"http://127.0.0.1:{relayfaults.dead_port()}")
    assert finding.code == 6 and "cannot connect" in finding.reason and "refused" in finding.reason
    assert one("https://relay.invalid").code == 6


# --- key state: remaining quota and expiry ----------------------------------------------------------

def test_key_info_in_usd_with_expiry(faulty):
    expires = int(time.time()) + 30 * 86400
    faulty.usage = {"name": "laptop", "total_available": 1_600_000, "total_used": 250_000,
                    "unlimited_quota": False, "expires_at": expires}
    faulty.status_data = {"quota_per_unit": 500000, "system_name": "New API", "version": "v0.9.1"}
    info = verify.key_info(faulty.url, KEY)
    day = time.strftime("%Y-%m-%d", time.localtime(expires))
    assert info.summary() == f"$3.20 left, expires {day}"
    assert (info.server, info.version, info.used_usd) == ("New API", "v0.9.1", 0.5)
    faulty.usage = {"name": "x", "total_available": 0, "unlimited_quota": True, "expires_at": 0}
    faulty.status_data = {}  # no quota_per_unit: New API's default 500000
    assert verify.key_info(faulty.url, KEY).summary() == "unlimited quota, never expires"
    target = Target(faulty.url, KEY, client="shell")
    assert check_many([target], with_key_info=True)["shell"].key_info["summary"] == \
        "unlimited quota, never expires"


def test_key_info_is_none_when_the_relay_does_not_say(faulty):
    assert verify.key_info(faulty.url, KEY) is None  # older relays: /api/usage/token/ is a 404


# --- the spinner ------------------------------------------------------------------------------------

def test_spinner_is_silent_without_a_terminal():
    stream = io.StringIO()
    with Spinner(["claude-code", "codex"], enabled=True, stream=stream, delay=0) as spin:
        time.sleep(0.15)
        with spin.paused(done="codex"):
            pass
    assert stream.getvalue() == "" and spin._thread is None


def _pty_stream():
    master, slave = os.openpty()
    return master, open(slave, "w", encoding="utf-8", closefd=True)


@pytest.mark.parametrize("no_color", [True, False])
def test_spinner_names_clients_on_a_terminal_and_leaves_no_thread(monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    master, stream = _pty_stream()
    try:
        with Spinner(["claude-code", "codex"], enabled=True, stream=stream, delay=0, interval=0.02) as spin:
            time.sleep(0.1)
            with spin.paused(done="claude-code"):
                stream.write("claude-code: ok\n")
            time.sleep(0.1)
        out = os.read(master, 65536).decode()
    finally:
        stream.close()
        os.close(master)
    assert "checking claude-code, codex" in out and "checking codex…" in out
    assert ("\x1b" in out) is (not no_color)
    assert not [t for t in threading.enumerate() if t.name == "keyconf-spinner"]


def test_spinner_disabled_for_json_even_on_a_terminal(monkeypatch):
    master, stream = _pty_stream()
    try:
        with Spinner(["x"], enabled=False, stream=stream, delay=0):
            time.sleep(0.05)
        os.set_blocking(master, False)
        with pytest.raises(BlockingIOError):
            os.read(master, 100)
    finally:
        stream.close()
        os.close(master)


# --- through the command line ---------------------------------------------------------------------------

def test_wrong_key_is_exit_5_with_complete_key_hint(kc, relay):
    result = use(kc, relay.url, "sk-wrong-key-0000000000")
    assert result.code == 5
    finding = _finding(result)
    assert "无效的令牌" in finding["reason"] and "complete key" in finding["hint"]


@pytest.mark.parametrize("status,message,code,exit_code,hint", [
    (403, "用户额度不足, 剩余额度: ＄0.0", "insufficient_user_quota", 9, "balance or quota"),
    (403, "您的 IP 不在令牌允许访问的列表中", "access_denied", 10, "IP restriction"),
    (503, "当前分组 vip 下对于模型 x 无可用渠道", "model_not_found", 10, "available group"),
    (401, "该令牌已过期", "", 5, "expiry"),
    (429, "rate limit exceeded", "", 9, "rate limit"),
])
def test_relay_errors_map_to_exit_codes_and_hints(kc, relay, status, message, code, exit_code, hint):
    relay.fail(status, message, code)
    result = use(kc, relay.url)
    assert result.code == exit_code, result.stdout
    assert hint in _finding(result)["hint"]


def test_dashboard_page_path_is_dropped_then_html_is_exit_7(kc, relay):
    relay.html = True
    result = use(kc, relay.url + "/console/token")
    assert result.code == 7
    finding = _finding(result)
    assert "HTML page" in finding["reason"] and "correct Base URL" in finding["hint"]
    assert all("/console" not in r.path for r in relay.requests)


def test_nothing_listening_is_exit_6(kc):
    result = use(kc, f"http://127.0.0.1:{relayfaults.dead_port()}")
    assert result.code == 6
    assert "cannot connect" in _finding(result)["reason"]


def test_verify_command_and_deep(kc, relay):
    assert use(kc, relay.url, KEY, "--no-verify", "--model", "claude-sonnet-4-5").code == 0
    result = kc("verify", "--json")
    assert result.code == 0 and result.json()["results"][0]["status"] == "ok"
    deep = kc("verify", "claude-code", "--deep", "--json")
    assert deep.code == 0, deep.stdout
    call = relay.seen("/v1/messages")[-1]
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert relayfaults.json_body(call)["model"] == "claude-sonnet-4-5"


def test_deep_without_a_model_checks_claude_codes_default_not_the_first_listed(kc, relay, fake_client):
    fake_client("claude", "2.1.332 (Claude Code)")
    relay.models.remove("claude-opus-5-5")
    assert use(kc, relay.url, KEY, "--no-verify").code == 0
    deep = kc("verify", "claude-code", "--deep", "--json")
    assert deep.code == 10 and "claude-opus-5-5" in deep.stdout
    assert not relay.seen("/v1/messages")


def test_configured_model_missing_is_exit_10_with_close_names(kc, relay):
    result = use(kc, relay.url, KEY, "--model", "claude-sonnet-4")
    assert result.code == 10
    assert "claude-sonnet-4-5" in _finding(result)["hint"]


def test_verify_unconfigured_client_is_usage_error(kc):
    assert kc("verify", "claude-code").code == 2
