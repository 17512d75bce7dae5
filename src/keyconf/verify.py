"""Prove that a Base URL and key work, and when they don't, say which line of the dashboard's
troubleshooting table applies (complete key, available group, balance or quota, correct Base URL,
IP restriction, expiry, rate limit). httpx is imported only here, only when verifying.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from keyconf.errors import Exit
from keyconf.urls import site_root

TIMEOUT = 15.0
USER_AGENT = "keyconf-verify"


@dataclass
class Finding:
    ok: bool
    code: int  # an exit code (0 when ok)
    reason: str
    hint: str = ""
    models: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was requested, for the report

    def to_json(self) -> dict:
        data = asdict(self)
        data["models"] = data["models"][:50]
        return data


# (needles in the relay's message or code, zh and en, matched case-insensitively; exit code; reason; the
# dashboard's troubleshooting line). Order matters: the first rule that matches wins.
_RULES = [
    (("pre_consume_token_quota_failed", "额度已用尽"), Exit.QUOTA, "the key's own quota is used up",
     "balance or quota: raise the key's quota on the dashboard, or create a new key"),
    (("insufficient_user_quota", "用户额度不足"), Exit.QUOTA, "the account balance is too low",
     "balance or quota: top up the account on the dashboard"),
    (("quota",), Exit.QUOTA, "quota or balance exhausted", "balance or quota: check the key and the account"),
    (("允许访问的列表", "ip not allowed"), Exit.NO_ACCESS, "this machine's IP address is not allowed to use the key",
     "IP restriction: add this machine's IP to the key's allowed list, or clear the restriction"),
    (("access_denied",), Exit.NO_ACCESS, "access denied for this key (IP restriction?)",
     "IP restriction: check the key's allowed IP list"),
    (("已过期", "expired"), Exit.KEY_REJECTED, "the key has expired",
     "expiry: extend the key's expiry on the dashboard or create a new key"),
    (("状态不可用",), Exit.KEY_REJECTED, "the key is disabled", "enable the key on the dashboard"),
    (("无权访问模型", "no access to model"), Exit.NO_ACCESS, "the key's group does not allow this model",
     "available group: pick a model the key's group offers, or change the key's group"),
    (("model_not_found", "无可用渠道"), Exit.NO_ACCESS, "no channel serves this model in the key's group",
     "available group: pick a model the group offers, or ask the relay admin to add a channel"),
    (("分组",), Exit.NO_ACCESS, "the key's group is disabled or not allowed",
     "available group: change the key's group on the dashboard"),
]


def _rule(text: str):
    lowered = text.lower()
    for needles, code, reason, hint in _RULES:
        if any(needle.lower() in lowered for needle in needles):
            return code, reason, hint
    return None


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return " ".join(str(err.get(k) or "") for k in ("message", "type", "code")).strip()
    if isinstance(err, str):
        return err
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return body[:200].decode("utf-8", "replace")


def _looks_html(response) -> bool:
    kind = response.headers.get("content-type", "")
    head = response.content[:200].lstrip().lower()
    return "html" in kind or head.startswith(b"<!doctype") or head.startswith(b"<html")


def diagnose(root: str, status: int, body: bytes, html: bool, url: str) -> Finding:
    """Map one relay answer to a Finding. Pure: the seam that tests and deeper checks share."""
    if html or status == 404:
        what = "an HTML page" if html else "404 Not Found"
        suggestion = site_root(root)
        hint = "correct Base URL: use the API root shown on the dashboard"
        if suggestion != root:
            hint += f" (try {suggestion})"
        elif html:
            hint += "; this looks like the dashboard, whose API may live under another host or path"
        return Finding(False, Exit.WRONG_URL, f"{url} answered with {what}, not the relay API", hint)
    text = _error_text(body)
    rule = _rule(text)
    if status == 401:
        if rule:
            return Finding(False, rule[0], f"{rule[1]} (401: {text})", rule[2])
        return Finding(False, Exit.KEY_REJECTED, f"the relay rejected the key (401: {text or 'unauthorized'})",
                       "complete key: copy the whole key again; also check it is enabled, not expired and "
                       "not used up on the dashboard")
    if status == 429:
        return Finding(False, Exit.QUOTA, f"rate limited (429: {text or 'too many requests'})",
                       "rate limit: wait a minute, or raise the key's rate limit")
    if status in (402, 403, 503):
        if rule:
            return Finding(False, rule[0], f"{rule[1]} ({status}: {text})", rule[2])
        if status == 503:
            return Finding(False, Exit.NO_ACCESS, f"no channel available (503: {text})",
                           "available group: the key's group has no working channel for this model")
        return Finding(False, Exit.NO_ACCESS, f"access denied ({status}: {text})",
                       "check the key's group, IP restriction and model list on the dashboard")
    if status >= 500:
        return Finding(False, Exit.UNREACHABLE, f"the relay failed ({status}: {text})",
                       "the relay or its upstream is down; try again later")
    return Finding(False, Exit.WRONG_URL, f"unexpected answer {status} from {url}: {text}",
                   "correct Base URL: check the Base URL on the dashboard")


def _network_finding(exc, url: str) -> Finding:
    import httpx

    name = type(exc).__name__
    text = str(exc) or name
    if isinstance(exc, httpx.TooManyRedirects):
        return Finding(False, Exit.WRONG_URL, f"{url} redirects in a loop",
                       "correct Base URL: use the final https:// address of the API root")
    if isinstance(exc, httpx.ProxyError):
        return Finding(False, Exit.UNREACHABLE, f"the proxy refused the connection: {text}",
                       "check HTTPS_PROXY / NO_PROXY (an intranet relay belongs in NO_PROXY)")
    if isinstance(exc, httpx.TimeoutException):
        return Finding(False, Exit.UNREACHABLE, f"no answer from {url} within {TIMEOUT:.0f} s",
                       "check the network, VPN or proxy (HTTPS_PROXY / NO_PROXY)")
    lowered = text.lower()
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return Finding(False, Exit.UNREACHABLE, f"TLS failed for {url}: {text}",
                       "the certificate is not trusted; check the URL (http vs https) or the proxy")
    if "name or service not known" in lowered or "nodename" in lowered or "getaddrinfo" in lowered \
            or "name resolution" in lowered:
        return Finding(False, Exit.UNREACHABLE, f"the host name in {url} does not resolve",
                       "correct Base URL: check the spelling of the host")
    return Finding(False, Exit.UNREACHABLE, f"cannot connect to {url}: {text}",
                   "check that the relay is up and the URL, port, VPN or proxy are right")


def _client():
    import httpx

    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=5,
                        headers={"user-agent": USER_AGENT})


def check(root: str, key: str | None, *, model: str | None = None, protocol: str | None = None,
          deep: bool = False) -> Finding:
    """GET {root}/v1/models with the key; with `deep`, one minimal real request in the client's protocol."""
    import httpx

    if not key:
        return Finding(False, Exit.KEY_REJECTED, "no key is configured", "complete key: run keyconf use again")
    url = root + "/v1/models"
    with _client() as client:
        try:
            response = client.get(url, headers={"authorization": f"Bearer {key}"})
        except httpx.HTTPError as exc:
            return _network_finding(exc, url)
        if response.status_code != 200 or _looks_html(response):
            finding = diagnose(root, response.status_code, response.content, _looks_html(response), url)
            if finding.code == Exit.KEY_REJECTED:
                finding = _explain_rejection(client, root, key, finding)
            finding.checked.append(f"GET {url} -> {response.status_code}")
            return finding
        try:
            models = [m["id"] for m in response.json().get("data", []) if isinstance(m, dict) and "id" in m]
        except (ValueError, AttributeError):
            return Finding(False, Exit.WRONG_URL, f"{url} did not answer with a model list",
                           "correct Base URL: use the relay's API root", checked=[f"GET {url} -> 200"])
        finding = Finding(True, 0, f"key accepted; {len(models)} models available", models=models,
                          checked=[f"GET {url} -> 200"])
        if model and models and model not in models:
            import difflib

            close = difflib.get_close_matches(model, models, n=5, cutoff=0.3)
            return Finding(False, Exit.NO_ACCESS, f"model {model!r} is not available to this key",
                           "available group: choose one of " + ", ".join(close or models[:5]),
                           models=models, checked=finding.checked)
        if deep:
            return _deep(client, root, key, protocol or "chat", model or (models[0] if models else None),
                         finding)
        return finding


def _explain_rejection(client, root: str, key: str, finding: Finding) -> Finding:
    """Newer New API answers /api/usage/token/ even for expired or used-up keys: name the cause."""
    import time

    import httpx

    try:
        response = client.get(root + "/api/usage/token/", headers={"authorization": f"Bearer {key}"})
        data = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return finding
    if not isinstance(data, dict):
        return finding
    expires = data.get("expires_at")
    if isinstance(expires, (int, float)) and 0 < expires < time.time():
        return Finding(False, Exit.KEY_REJECTED, "the key has expired",
                       "expiry: extend the key's expiry on the dashboard or create a new key")
    available = data.get("total_available")
    if not data.get("unlimited_quota") and isinstance(available, (int, float)) and available <= 0:
        return Finding(False, Exit.QUOTA, "the key's quota is used up",
                       "balance or quota: raise the key's quota or create a new key")
    return finding


def _deep(client, root: str, key: str, protocol: str, model: str | None, basic: Finding) -> Finding:
    import httpx

    if not model:
        return Finding(False, Exit.NO_ACCESS, "the key's group lists no models", "available group: check the group")
    if protocol == "anthropic":
        url, body = root + "/v1/messages", {"model": model, "max_tokens": 1,
                                             "messages": [{"role": "user", "content": "ping"}]}
        headers = {"x-api-key": key, "authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"}
    elif protocol == "responses":
        url, body = root + "/v1/responses", {"model": model, "input": "ping", "max_output_tokens": 16}
        headers = {"authorization": f"Bearer {key}"}
    else:
        url, body = root + "/v1/chat/completions", {"model": model, "max_tokens": 1,
                                                     "messages": [{"role": "user", "content": "ping"}]}
        headers = {"authorization": f"Bearer {key}"}
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        return _network_finding(exc, url)
    checked = basic.checked + [f"POST {url} ({model}) -> {response.status_code}"]
    if response.status_code == 200 and not _looks_html(response):
        return Finding(True, 0, f"{basic.reason}; a real {protocol} request to {model} succeeded",
                       models=basic.models, checked=checked)
    finding = diagnose(root, response.status_code, response.content, _looks_html(response), url)
    finding.models, finding.checked = basic.models, checked
    return finding

