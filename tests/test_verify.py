"""Verification against a real HTTP server on 127.0.0.1: every dashboard troubleshooting line."""

from __future__ import annotations

import socket
import time

import pytest
from conftest import KEY


def use(kc, url, key=KEY, *extra):
    return kc("use", "claude-code", "--key-stdin", "--base-url", url, "--json", *extra, input=key + "\n")


def _finding(result):
    doc = result.json()
    assert doc["exit_code"] == result.code
    return doc["results"][0]["verify"]


def test_wrong_key_is_exit_5_with_complete_key_hint(kc, relay):
    result = use(kc, relay.url, "sk-wrong-key-0000000000")
    assert result.code == 5
    finding = _finding(result)
    assert "无效的令牌" in finding["reason"] and "complete key" in finding["hint"]


@pytest.mark.parametrize("status,message,code,exit_code,hint", [
    (403, "用户额度不足, 剩余额度: ＄0.0", "insufficient_user_quota", 9, "balance or quota"),
    (403, "pre_consume_token_quota_failed", "pre_consume_token_quota_failed", 9, "balance or quota"),
    (403, "您的 IP 不在令牌允许访问的列表中", "access_denied", 10, "IP restriction"),
    (403, "该令牌无权访问模型 claude-opus-4", "", 10, "available group"),
    (503, "当前分组 vip 下对于模型 x 无可用渠道", "model_not_found", 10, "available group"),
    (403, "令牌分组 vip 已被禁用", "", 10, "available group"),
    (401, "该令牌已过期", "", 5, "expiry"),
    (401, "该令牌额度已用尽", "", 9, "balance or quota"),
    (429, "rate limit exceeded", "", 9, "rate limit"),
])
def test_relay_errors_map_to_exit_codes_and_hints(kc, relay, status, message, code, exit_code, hint):
    relay.fail(status, message, code)
    result = use(kc, relay.url)
    assert result.code == exit_code, result.stdout
    assert hint in _finding(result)["hint"]


def test_expired_key_is_named_through_usage_endpoint(kc, relay):
    relay.usage = {"name": "k", "expires_at": int(time.time()) - 60, "total_available": 100,
                   "unlimited_quota": False}
    result = use(kc, relay.url, "sk-expired-key-00000000")
    assert result.code == 5 and "expired" in _finding(result)["reason"]


def test_used_up_key_is_exit_9_through_usage_endpoint(kc, relay):
    relay.usage = {"name": "k", "expires_at": -1, "total_available": 0, "unlimited_quota": False}
    result = use(kc, relay.url, "sk-usedup-key-00000000")
    assert result.code == 9


def test_dashboard_page_is_exit_7_with_root_suggested(kc, relay):
    relay.html = True
    result = use(kc, relay.url + "/console/token")
    assert result.code == 7
    finding = _finding(result)
    assert "HTML page" in finding["reason"] and f"try {relay.url}" in finding["hint"]


def test_wrong_path_is_exit_7(kc, relay):
    result = use(kc, relay.url + "/api")
    assert result.code == 7 and "404" in _finding(result)["reason"]


def test_nothing_listening_is_exit_6(kc):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = use(kc, f"http://127.0.0.1:{port}")
    assert result.code == 6
    assert "cannot connect" in _finding(result)["reason"]


def test_unresolvable_host_is_exit_6(kc):
    result = use(kc, "https://relay.invalid")
    assert result.code == 6


def test_verify_command_and_deep(kc, relay):
    assert use(kc, relay.url, KEY, "--no-verify").code == 0
    result = kc("verify", "--json")
    assert result.code == 0 and result.json()["results"][0]["status"] == "ok"
    deep = kc("verify", "claude-code", "--deep", "--json")
    assert deep.code == 0, deep.stdout
    assert relay.seen("/v1/messages")[-1].headers["anthropic-version"] == "2023-06-01"
    relay.models.remove("claude-sonnet-4-5")
    relay.models.append("claude-sonnet-4-5-x")
    assert kc("verify", "claude-code", "--deep").code == 0  # deep picks a model the group lists


def test_configured_model_missing_is_exit_10_with_close_names(kc, relay):
    result = use(kc, relay.url, KEY, "--model", "claude-sonnet-4")
    assert result.code == 10
    assert "claude-sonnet-4-5" in _finding(result)["hint"]


def test_verify_unconfigured_client_is_usage_error(kc):
    assert kc("verify", "claude-code").code == 2
