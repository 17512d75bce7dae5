"""What a relay's answer means: `Finding` (ok, the exit code, the reason, the dashboard's hint) and
`diagnose`, which maps a status and body (New API's messages, zh and en) to the troubleshooting table's line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from keyconf.errors import Exit
from keyconf.urls import site_root

CONNECT_TIMEOUT = 5.0  # a relay that takes longer than this to accept a connection is not coming
USER_AGENT = "keyconf-verify"

# A client that runs on its vendor's models needs at least one of them when no model is set.
FAMILIES = {"anthropic": ("claude", "Claude"), "gemini": ("gemini", "Gemini")}
PROTOCOL_LABELS = {"anthropic": "Anthropic Messages", "responses": "Responses", "chat": "chat completions",
                   "gemini": "Gemini generateContent"}


@dataclass
class Finding:
    ok: bool
    code: int  # an exit code (0 when ok)
    reason: str
    hint: str = ""
    models: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was requested, for the report
    model: str | None = None  # the model the client will use, as checked
    asked: list[str] = field(default_factory=list)  # every model the client is known to ask for, all checked
    notes: list[str] = field(default_factory=list)  # worth saying even when ok
    warnings: list[str] = field(default_factory=list)  # ok, but not proven (which model the client asks for)
    key_info: dict | None = None  # remaining quota and expiry, when asked for and offered

    def to_json(self) -> dict:
        data = asdict(self)
        data["models"] = data["models"][:50]
        return data

    @property
    def hard(self) -> bool:
        """A failure that must stop a write: the key or the URL is wrong, or the relay can't be reached.
        Quota, rate limit and model problems (9, 10) are not: the key is right, so it is written."""
        return self.code in HARD_FAILURES

    @property
    def ask_again(self) -> str | None:
        """Which part to ask for again on a terminal: "key" (5), "url" (6, 7), or None."""
        return {Exit.KEY_REJECTED: "key", Exit.WRONG_URL: "url", Exit.UNREACHABLE: "url"}.get(self.code)


HARD_FAILURES = frozenset({Exit.KEY_REJECTED, Exit.UNREACHABLE, Exit.WRONG_URL})


# ---------------------------------------------------------------------------------------------------
# Reading the relay's answers (pure: the seam tests share)

# (needles in the relay's message or code, zh and en, matched case-insensitively; exit code; reason; the
# dashboard's troubleshooting line). Order matters: the first rule that matches wins.
_RULES = [
    (("pre_consume_token_quota_failed", "额度已用尽", "quota is exhausted", "token quota is not enough"),
     Exit.QUOTA, "the key's own quota is used up",
     "balance or quota: raise the key's quota on the dashboard (or make it unlimited), or create a new key"),
    (("insufficient_user_quota", "用户额度不足", "user quota is not enough", "insufficient quota"), Exit.QUOTA,
     "the account balance is too low", "balance or quota: top up the account on the dashboard"),
    (("请求数限制", "request limit", "rate limit", "too many requests", "upstream load is saturated"),
     Exit.QUOTA, "rate limited", "rate limit: wait a minute, or raise the key's rate limit"),
    (("quota",), Exit.QUOTA, "quota or balance exhausted", "balance or quota: check the key and the account"),
    (("允许访问的列表", "ip not allowed", "allowed access list", "not in the token's allowed"), Exit.NO_ACCESS,
     "this machine's IP address is not allowed to use the key",
     "IP restriction: add this machine's IP to the key's allowed list, or clear the restriction"),
    (("access_denied",), Exit.NO_ACCESS, "access denied for this key (IP restriction?)",
     "IP restriction: check the key's allowed IP list"),
    (("已过期", "expired"), Exit.KEY_REJECTED, "the key has expired",
     "expiry: extend the key's expiry on the dashboard or create a new key"),
    (("状态不可用", "status is unavailable"), Exit.KEY_REJECTED, "the key is disabled",
     "enabled key: switch the key back on in the dashboard's key list, or create a new key"),
    (("无权访问模型", "no access to model", "no access to any model"), Exit.NO_ACCESS,
     "the key's group or model limits do not allow this model",
     "available group: pick a model the key's group offers, or change the key's group or model limits"),
    (("model_not_found", "无可用渠道", "no available channel", "available channel"), Exit.NO_ACCESS,
     "no channel serves this model in the key's group",
     "available group: pick a model the group offers, or ask the relay admin to add a channel"),
    (("分组", "group"), Exit.NO_ACCESS, "the key's group is disabled or not allowed",
     "available group: change the key's group on the dashboard"),
]
_GENERIC_401 = ("complete key: copy the whole key again; also check on the dashboard that it is enabled, "
                "not expired (expiry) and not used up (balance or quota)")


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
        return body[:200].decode("utf-8", "replace").strip()
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return " ".join(str(err.get(k) or "") for k in ("message", "type", "code")).strip()
    if isinstance(err, str):
        return err
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return body[:200].decode("utf-8", "replace").strip()


def _looks_html(response) -> bool:
    kind = response.headers.get("content-type", "")
    head = response.content[:200].lstrip().lower()
    return "html" in kind or head.startswith(b"<!doctype") or head.startswith(b"<html")


def _other_scheme(root: str, scheme: str) -> str:
    return scheme + root[root.index("://"):]


def diagnose(root: str, status: int, body: bytes, html: bool, url: str) -> Finding:
    """Map one relay answer to a Finding. Pure: the seam that tests and deeper checks share."""
    lowered = body[:300].lower()
    if status == 400 and (b"plain http request was sent to https port" in lowered  # nginx
                          or b"http request to an https server" in lowered):  # Go (New API itself)
        host, port = _host_port(url)
        return Finding(False, Exit.WRONG_URL, f"{host}:{port} speaks https, not plain http",
                       f"correct Base URL: this port speaks https: try {_other_scheme(root, 'https')}")
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
                       _GENERIC_401)
    if status == 429:
        if rule and rule[0] == Exit.QUOTA:  # OpenAI-style "insufficient_quota" arrives as a 429 too
            return Finding(False, rule[0], f"{rule[1]} (429: {text})", rule[2])
        return Finding(False, Exit.QUOTA, f"rate limited (429: {text or 'too many requests'})",
                       "rate limit: wait a minute, or raise the key's rate limit")
    if status in (402, 403, 503):
        if rule:
            return Finding(False, rule[0], f"{rule[1]} ({status}: {text})", rule[2])
        if status == 503:
            return Finding(False, Exit.NO_ACCESS, f"no channel available (503: {text})",
                           "available group: the key's group has no working channel for this model")
        return Finding(False, Exit.NO_ACCESS, f"access denied ({status}: {text})",
                       "check the key's group (available group), IP restriction and model list on the dashboard")
    if status == 400 and rule:
        return Finding(False, rule[0], f"{rule[1]} (400: {text})", rule[2])
    if status == 400:
        # New API has checked the key, group and channel before it forwards a request: a 400 is the
        # model's (or its channel's) answer to the test request.
        return Finding(False, Exit.NO_ACCESS, f"the relay accepted the key, but the model refused the test "
                       f"request (400: {text})",
                       "available group: the model's channel rejects requests; try another model")
    if status >= 500:
        return Finding(False, Exit.UNREACHABLE, f"the relay failed ({status}: {text})",
                       "the relay or its upstream is down; try again later")
    return Finding(False, Exit.WRONG_URL, f"unexpected answer {status} from {url}: {text}",
                   "correct Base URL: check the Base URL on the dashboard")


def _host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
