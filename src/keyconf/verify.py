"""Prove that a Base URL and key work, and when they don't, say which line of the dashboard's
troubleshooting table applies (complete key, available group, balance or quota, correct Base URL,
IP restriction, expiry, rate limit). httpx is imported only here, only when verifying.

`check_many` checks several clients at once: one `GET /v1/models` (or `/v1beta/models` for Gemini) per
distinct (root, key), then the model each client will really ask for is looked up in that list, and
with `deep` one minimal request per distinct (root, key, protocol, model) in the client's own protocol.
Requests run in threads sharing one httpx.Client, so four clients cost about one round trip. (Threads,
not asyncio: asyncio and anyio would cost more to import than the whole check saves.)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, replace

from keyconf.errors import Exit, UsageError
from keyconf.urls import site_root

DEFAULT_TIMEOUT = 15.0
TIMEOUT = DEFAULT_TIMEOUT  # the old name, kept for callers
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
    notes: list[str] = field(default_factory=list)  # worth saying even when ok
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


class CheckTarget:
    """What to check, for callers without an adapter Target: the same attributes check_many reads."""

    def __init__(self, root: str, key: str | None, protocol: str = "chat", model: str | None = None, *,
                 models=(), client: str | None = None, tiers: dict | None = None):
        self.root = root
        self.key = key
        self.protocol = protocol  # anthropic | responses | chat | gemini
        self.model = model
        self.models = tuple(models)  # extra models the client uses (Claude Code's tier models)
        self.client = client  # a client id: decides the default model when none is set
        self.tiers = tiers or {}  # Claude Code: {"opus"|"sonnet"|"haiku": model} from its tier variables


def resolve_timeout(value: float | None = None) -> float:
    """--timeout, else KEYCONF_TIMEOUT, else 15 s. UsageError for something that is not a positive number."""
    source = "--timeout"
    if value is None:
        raw = os.environ.get("KEYCONF_TIMEOUT", "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        source = "KEYCONF_TIMEOUT"
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"KEYCONF_TIMEOUT must be a number of seconds, not {raw[:20]!r}") from None
    if not 0 < value <= 3600 or value != value:
        raise UsageError(f"{source} must be a number of seconds between 0 and 3600")
    return float(value)


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


# ---------------------------------------------------------------------------------------------------
# Network failures, with the hint that fits: proxy, http/https mix-up, DNS, refused, timeout

def proxy_for(url: str) -> tuple[str, str] | None:
    """(masked proxy URL, variable name) that httpx will use for `url`, or None (honours NO_PROXY)."""
    import ipaddress
    from urllib.parse import urlsplit
    from urllib.request import getproxies

    parts = urlsplit(url)
    info = getproxies()
    scheme = parts.scheme.lower()
    proxy = info.get(scheme) or info.get("all")
    if not proxy:
        return None
    host = (parts.hostname or "").lower()
    for entry in (info.get("no") or "").split(","):
        entry = entry.strip().lower()
        if "://" in entry:
            entry = urlsplit(entry).hostname or ""
        entry = entry.strip("[]")
        if not entry:
            continue
        if entry == "*" or host == entry.lstrip("."):
            return None
        try:
            if "/" in entry and ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return None
        except ValueError:
            pass
        if not _is_ip(entry) and host.endswith(entry if entry.startswith(".") else "." + entry):
            return None
    var = next((name for name in (f"{scheme.upper()}_PROXY", f"{scheme}_proxy", "ALL_PROXY", "all_proxy")
                if os.environ.get(name)), "the system proxy settings")
    shown = proxy if "://" in proxy else "http://" + proxy
    return re.sub(r"(://)[^/@]*@", r"\1***@", shown, count=1), var


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _speaks_plain_http(host: str, port: int, seconds: float) -> bool:
    """Does host:port answer a plain HTTP request? (No key is sent.)"""
    import socket

    try:
        with socket.create_connection((host, port), timeout=seconds) as sock:
            sock.sendall(b"HEAD / HTTP/1.0\r\nHost: " + host.encode("ascii", "replace") + b"\r\n\r\n")
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


def _speaks_tls(host: str, port: int, seconds: float) -> bool:
    """Does host:port complete a TLS handshake (any certificate)? (No key is sent.)"""
    import socket
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=seconds) as sock, \
                context.wrap_socket(sock, server_hostname=host or None):
            return True
    except OSError:  # ssl.SSLError and socket.timeout are OSErrors
        return False


_TLS_WORDS = ("ssl", "tls", "certificate", "handshake", "wrong version number", "record layer", "packet length")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes (the OS error behind httpx's own)."""
    seen = [exc]
    while len(seen) < 10:
        nxt = seen[-1].__cause__ or seen[-1].__context__
        if nxt is None or nxt in seen:
            break
        seen.append(nxt)
    return seen


def _network_finding(exc: BaseException, url: str, root: str, seconds: float) -> Finding:
    import httpx

    chain = _chain(exc)
    text = str(exc) or type(exc).__name__
    deepest = str(chain[-1])
    if deepest and deepest not in text:
        text += f" ({deepest})"
    lowered = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        lowered += " connection refused"
    host, port = _host_port(url)
    where = f"{host}:{port}"
    proxy = proxy_for(url)
    connect_failed = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError))
    if proxy and (connect_failed or isinstance(exc, httpx.RemoteProtocolError)):
        return Finding(False, Exit.UNREACHABLE, f"the proxy {proxy[0]} (from {proxy[1]}) failed on the way to "
                       f"{url}: {text}",
                       f"proxies: keyconf reaches the relay through {proxy[1]}; check that proxy, or add "
                       f"{host} to NO_PROXY (an intranet relay belongs there)")
    if isinstance(exc, httpx.ConnectTimeout):
        return Finding(False, Exit.UNREACHABLE,
                       f"could not connect to {where} within {min(CONNECT_TIMEOUT, seconds):g} s",
                       "check the URL's host and port, the network, VPN or firewall")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return Finding(False, Exit.UNREACHABLE, f"no answer from {url} within {seconds:g} s",
                       "the relay is slow or stuck: try again, raise --timeout (or KEYCONF_TIMEOUT), or check "
                       "the network, VPN or proxy (HTTPS_PROXY / NO_PROXY)")
    probe = min(CONNECT_TIMEOUT, seconds)
    if url.startswith("https://") and isinstance(exc, httpx.ConnectError) and any(w in lowered for w in _TLS_WORDS):
        if _speaks_plain_http(host, port, probe):
            return Finding(False, Exit.WRONG_URL, f"{where} speaks plain http, not https",
                           f"correct Base URL: this port speaks plain http: try {_other_scheme(root, 'http')}")
        if "certificate" in lowered:
            return Finding(False, Exit.UNREACHABLE, f"the certificate of {where} is not trusted: {text}",
                           "check the host name in the URL and the system clock; a self-signed relay, or a proxy "
                           "or antivirus that intercepts https, needs its certificate trusted by the system")
        return Finding(False, Exit.UNREACHABLE, f"the TLS handshake with {where} failed: {text}",
                       "check the URL (http vs https) and the port")
    if any(w in lowered for w in ("name or service not known", "nodename", "getaddrinfo", "name resolution",
                                  "no address associated", "temporary failure in name")):
        return Finding(False, Exit.UNREACHABLE, f"the host name {host} does not resolve",
                       "correct Base URL: check the spelling of the host (and the DNS or VPN)")
    if "refused" in lowered:
        return Finding(False, Exit.UNREACHABLE, f"cannot connect to {url}: nothing listens on {where} "
                       "(connection refused)", "correct Base URL: check that the relay is up and the URL's port "
                       "is right")
    # Plain http to a TLS port: the server drops the connection (or resets it) without an answer.
    if url.startswith("http://") and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError,
                                                       httpx.ConnectError, httpx.WriteError)) \
            and _speaks_tls(host, port, probe):
        return Finding(False, Exit.WRONG_URL, f"{where} speaks https, not plain http",
                       f"correct Base URL: this port speaks https: try {_other_scheme(root, 'https')}")
    return Finding(False, Exit.UNREACHABLE, f"cannot connect to {url}: {text}",
                   "check that the relay is up and the URL, port, VPN or proxy are right")


# ---------------------------------------------------------------------------------------------------
# One run: a shared AsyncClient and a memo so each distinct request is sent once

class _Redirected(Exception):
    def __init__(self, location: str, requested: str):
        super().__init__(location)
        self.location = location
        self.requested = requested


def _origin(url) -> tuple:
    return (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))


class _Run:
    def __init__(self, client, seconds: float, cache: dict | None = None):
        import threading

        self.client = client
        self.seconds = seconds
        self.memo: dict = {}
        self.lock = threading.Lock()
        self.cache = cache if cache is not None else {}  # answers kept across check_many calls

    def once(self, ident, make):
        """A Future for `ident`, started on first use: a request shared by every client that needs it."""
        from concurrent.futures import Future

        with self.lock:
            future = self.memo.get(ident)
            if future is not None:
                return future
            future = self.memo[ident] = Future()
            if ident in self.cache:
                future.set_result(self.cache[ident])
                return future

        def kept():
            self.cache[ident] = make()
            return self.cache[ident]

        return self.spawn(kept, future)

    def spawn(self, work, future=None):
        """Run `work` in a daemon thread; its result (or exception) lands in the returned Future. Daemon:
        on Ctrl-C nothing waits for a slow relay."""
        import threading
        from concurrent.futures import Future

        future = future or Future()

        def run():
            try:
                future.set_result(work())
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
                future.set_exception(exc)

        threading.Thread(target=run, name="keyconf-verify", daemon=True).start()
        return future

    def send(self, method: str, url: str, headers: dict, body=None):
        """One request; same-origin redirects are followed with the key, others raise _Redirected."""
        import httpx

        request = self.client.build_request(method, url, headers=headers, json=body)
        for _ in range(6):
            response = self.client.send(request)
            nxt = getattr(response, "next_request", None)
            if not response.has_redirect_location or nxt is None:
                return response
            if _origin(nxt.url) != _origin(request.url):
                raise _Redirected(str(nxt.url), str(request.url))
            request = nxt
        raise httpx.TooManyRedirects("too many redirects", request=request)


def _redirect_finding(exc: _Redirected, root: str) -> Finding:
    """A cross-origin redirect: the key is not sent on; the user should use the new address."""
    from urllib.parse import urlsplit, urlunsplit

    requested_path = urlsplit(exc.requested).path
    suffix = requested_path[len(urlsplit(root).path):]  # e.g. /v1/models
    parts = urlsplit(exc.location)
    path = parts.path[: -len(suffix)] if suffix and parts.path.endswith(suffix) else ""
    new_root = urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))
    return Finding(False, Exit.WRONG_URL, f"the Base URL redirects to {new_root}: use {new_root}",
                   f"correct Base URL: use {new_root} (keyconf does not send the key on to another address, "
                   "and clients lose it there too)")


def _request(run: _Run, method: str, url: str, root: str, headers: dict, body=None):
    """(response, None) or (None, Finding) for a failure to get any answer."""
    import httpx

    try:
        return run.send(method, url, headers, body), None
    except _Redirected as exc:
        return None, _redirect_finding(exc, root)
    except httpx.TooManyRedirects:
        return None, Finding(False, Exit.WRONG_URL, f"{url} redirects in a loop",
                             "correct Base URL: use the final address of the API root")
    except (httpx.HTTPError, OSError) as exc:
        return None, _network_finding(exc, url, root, run.seconds)


# ---------------------------------------------------------------------------------------------------
# The requests

class _Listing:
    def __init__(self, finding: Finding | None, models: list[str], checked: list[str]):
        self.finding = finding
        self.models = models
        self.checked = checked


def _auth_headers(kind: str, key: str) -> dict:
    return {"x-goog-api-key": key} if kind == "gemini" else {"authorization": f"Bearer {key}"}


def _list_models(run: _Run, root: str, key: str, kind: str) -> _Listing:
    url = root + ("/v1beta/models" if kind == "gemini" else "/v1/models")
    response, failure = _request(run, "GET", url, root, _auth_headers(kind, key))
    if failure:
        failure.checked.append(f"GET {url} -> no answer")
        return _Listing(failure, [], failure.checked)
    checked = [f"GET {url} -> {response.status_code}"]
    if response.status_code != 200 or _looks_html(response):
        finding = diagnose(root, response.status_code, response.content, _looks_html(response), url)
        if response.status_code == 401:
            finding = run.once(("usage", root, key), lambda: _explain_rejection(run, root, key, finding)).result()
        finding = replace(finding, checked=checked + finding.checked)
        return _Listing(finding, [], checked)
    models = _model_ids(response)
    if models is None:
        return _Listing(Finding(False, Exit.WRONG_URL, f"{url} did not answer with a model list",
                                "correct Base URL: use the relay's API root", checked=checked), [], checked)
    return _Listing(None, models, checked)


def _model_ids(response) -> list[str] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("data"), list):  # OpenAI and Anthropic shapes
        return [m["id"] for m in data["data"] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    if isinstance(data.get("models"), list):  # Gemini: {"models": [{"name": "models/gemini-2.5-pro"}]}
        names = [m.get("name") for m in data["models"] if isinstance(m, dict)]
        return [n.removeprefix("models/") for n in names if isinstance(n, str)]
    return None


def _explain_rejection(run: _Run, root: str, key: str, finding: Finding) -> Finding:
    """Behind New API's one generic 401, /api/usage/token/ tells disabled, expired and used up apart."""
    import time

    url = root + "/api/usage/token/"
    response, failure = _request(run, "GET", url, root, {"authorization": f"Bearer {key}"})
    if failure or _looks_html(response):
        return finding
    checked = [f"GET {url} -> {response.status_code}"]
    try:
        payload = response.json()
    except ValueError:
        return finding
    data = payload.get("data") if isinstance(payload, dict) else None
    if response.status_code != 200 or not isinstance(data, dict):
        # A disabled key: 401 "This token status is unavailable" / 该令牌状态不可用 (and older builds name
        # expiry and exhaustion here too). An unknown key: "Invalid token" / 无效的令牌.
        text = _error_text(response.content)
        rule = _rule(text)
        if rule and rule[0] in (Exit.KEY_REJECTED, Exit.QUOTA):
            return Finding(False, rule[0], f"{rule[1]} ({text})", rule[2], checked=checked)
        if "无效的令牌" in text or "invalid token" in text.lower():
            return Finding(False, Exit.KEY_REJECTED, f"the relay does not know this key ({text})", _GENERIC_401,
                           checked=checked)
        return finding
    expires = data.get("expires_at")
    if isinstance(expires, (int, float)) and 0 < expires < time.time():
        return Finding(False, Exit.KEY_REJECTED, f"the key expired on {_day(expires)}",
                       "expiry: extend the key's expiry on the dashboard or create a new key", checked=checked)
    available = data.get("total_available")
    if not data.get("unlimited_quota") and isinstance(available, (int, float)) and available <= 0:
        return Finding(False, Exit.QUOTA, "the key's quota is used up",
                       "balance or quota: raise the key's quota on the dashboard or create a new key",
                       checked=checked)
    return finding


def _day(timestamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def _deep_request(root: str, key: str, protocol: str, model: str) -> tuple[str, dict, dict]:
    ping = [{"role": "user", "content": "Reply with one word: pong"}]
    if protocol == "anthropic":
        return (root + "/v1/messages", {"model": model, "max_tokens": 1, "messages": ping},
                {"x-api-key": key, "authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"})
    if protocol == "responses":
        return (root + "/v1/responses", {"model": model, "input": ping[0]["content"], "max_output_tokens": 16},
                {"authorization": f"Bearer {key}"})
    if protocol == "gemini":
        from urllib.parse import quote

        return (f"{root}/v1beta/models/{quote(model, safe='-._~')}:generateContent",
                {"contents": [{"role": "user", "parts": [{"text": ping[0]["content"]}]}],
                 "generationConfig": {"maxOutputTokens": 1}},
                {"x-goog-api-key": key})
    # No token limit: newer OpenAI models refuse `max_tokens` on chat completions (400), and the
    # answer to this prompt is one word anyway.
    return root + "/v1/chat/completions", {"model": model, "messages": ping}, {"authorization": f"Bearer {key}"}


def _deep(run: _Run, root: str, key: str, protocol: str, model: str) -> Finding:
    url, body, headers = _deep_request(root, key, protocol, model)
    response, failure = _request(run, "POST", url, root, headers, body)
    if failure:
        failure.checked.append(f"POST {url} ({model}) -> no answer")
        return failure
    checked = [f"POST {url} ({model}) -> {response.status_code}"]
    if response.status_code == 200 and not _looks_html(response):
        return Finding(True, 0, f"a real {PROTOCOL_LABELS.get(protocol, protocol)} request to {model} succeeded",
                       checked=checked, model=model)
    finding = diagnose(root, response.status_code, response.content, _looks_html(response), url)
    return replace(finding, checked=checked, model=model)


# ---------------------------------------------------------------------------------------------------
# Which models a client will ask for

def _client(target):
    """The adapter of the client the target is for; for a bare protocol check, the client that speaks it
    and has a default model (Claude Code for anthropic). None: no client knows (chat)."""
    from keyconf import adapters

    client = getattr(target, "client", None)
    if client in adapters.CLIENT_IDS:
        return adapters.get(client)
    if client:
        return None  # a profile's own check ("profile work"): no client's defaults apply
    return next((a for a in map(adapters.get, adapters.CLIENT_IDS)
                 if a.protocol == (target.protocol or "chat") and a.default_model), None)


def _wanted(target, deep: bool) -> tuple[list[str], bool]:
    """The models the client will ask for (main first), and whether the main one is its built-in default.

    A built-in default is only looked for when the client is known (or a deep request needs a model):
    check() callers without a client keep the old meaning, no model set means no model checked.
    """
    tiers = dict(getattr(target, "tiers", None) or {})
    extras = [m for m in list(getattr(target, "models", None) or ()) + list(tiers.values()) if m]
    configured = (target.model or "").strip()
    client = _client(target)
    resolve = client.model_for if client else (lambda name, _tiers: name)
    main, default = None, False
    if configured:
        main = resolve(configured, tiers)
    elif client and client.default_model and (getattr(target, "client", None) or deep):
        main, default = resolve(client.default_model, tiers), True
    models: list[str] = []
    for model in ([main] if main else []) + [resolve(m, tiers) for m in extras]:
        if model not in models:
            models.append(model)
    return models, default


def _closest(model: str, available: list[str]) -> list[str]:
    """Up to five offered models nearest to `model`, its own family (claude-, gpt-, gemini-) first."""
    import difflib

    family = re.match(r"[a-z]+", model.lower())
    same = [m for m in available if family and m.lower().startswith(family.group(0))]
    if same:
        return difflib.get_close_matches(model, same, n=5, cutoff=0) or same[:5]
    return difflib.get_close_matches(model, available, n=5, cutoff=0.3) or available[:5]


def _title(target) -> str:
    client = _client(target)
    return client.title if client else "the client"


def _model_problem(target, wanted: list[str], default: bool, available: list[str]) -> Finding | None:
    protocol = target.protocol or "chat"
    if not available:
        return Finding(False, Exit.NO_ACCESS, "the key's group offers no models at all",
                       "available group: give the key a group with models on the dashboard, or clear its model limits")
    configured = bool((target.model or "").strip() or getattr(target, "tiers", None))
    if not configured and protocol in FAMILIES:
        word, family = FAMILIES[protocol]
        if not any(word in m.lower() for m in available):
            return Finding(False, Exit.NO_ACCESS,
                           f"the key's group offers no {family} model, so {_title(target)} cannot work with it "
                           f"(it offers {', '.join(available[:5])}{'…' if len(available) > 5 else ''})",
                           f"available group: choose a group with {family} models for this key on the dashboard, "
                           "or set the models the client should use (--model)")
    for i, model in enumerate(wanted):
        if model in available:
            continue
        closest = _closest(model, available)
        if default and i == 0:
            return Finding(False, Exit.NO_ACCESS,
                           f"{_title(target)} asks for {model} when no model is set, and the key's group does not "
                           "offer it", f"available group: set a model the group offers, e.g. --model {closest[0]} "
                           f"(closest: {', '.join(closest)}), or change the key's group", model=model)
        return Finding(False, Exit.NO_ACCESS, f"model {model!r} is not available to this key",
                       "available group: choose one of " + ", ".join(closest) + ", or change the key's group",
                       model=model)
    return None


def _odd_key(key: str) -> Finding | None:
    from keyconf.keys.input import describe_char

    for i, ch in enumerate(key):
        if not 0x21 <= ord(ch) <= 0x7E:
            return Finding(False, Exit.KEY_REJECTED,
                           f"the configured key contains {describe_char(ch)} at character {i + 1}, which no relay "
                           "accepts", "complete key: copy the whole key again and run keyconf use again")
    return None


def _check_one(run: _Run, target, deep: bool, with_key_info: bool) -> Finding:
    root, key = target.root.rstrip("/"), target.key
    if not key:
        return Finding(False, Exit.KEY_REJECTED, "no key is configured", "complete key: run keyconf use again")
    odd = _odd_key(key)
    if odd:
        return odd
    protocol = target.protocol or "chat"
    kind = "gemini" if protocol == "gemini" else "openai"
    listing_task = run.once(("list", root, key, kind), lambda: _list_models(run, root, key, kind))
    info_task = run.once(("info", root, key), lambda: _key_info(run, root, key)) if with_key_info else None
    listing = listing_task.result()
    info = info_task.result() if info_task else None
    key_info = info.to_json() if info else None
    if listing.finding:
        return replace(listing.finding, checked=list(listing.finding.checked), notes=list(listing.finding.notes),
                       key_info=key_info)
    models, checked = listing.models, list(listing.checked)
    wanted, default = _wanted(target, deep)
    problem = _model_problem(target, wanted, default, models)
    if problem:
        return replace(problem, models=models, checked=checked, key_info=key_info)
    main = wanted[0] if wanted else None
    reason = f"key accepted; {len(models)} models available"
    if wanted:
        reason += f"; {', '.join(wanted)} offered"
    finding = Finding(True, 0, reason, models=models, checked=checked, model=main, key_info=key_info)
    if not deep:
        return finding
    deep_models = wanted
    if not deep_models:
        finding.notes.append(f"no model is set for {_title(target)}, so no real request was sent "
                             "(set one with --model to test it)")
        return finding
    futures = [run.once(("deep", root, key, protocol, m), lambda m=m: _deep(run, root, key, protocol, m))
               for m in deep_models]
    results = [f.result() for f in futures]
    for result in results:
        checked += result.checked
    failed = next((r for r in results if not r.ok), None)
    if failed:
        return replace(failed, models=models, checked=checked, notes=list(failed.notes), key_info=key_info)
    finding.reason += "; " + "; ".join(r.reason for r in results)
    finding.checked = checked
    return finding


def _ident(target):
    return getattr(target, "client", None) or target


def check_many(targets, *, deep: bool = False, timeout: float | None = None, on_result=None,
               with_key_info: bool = False, cache: dict | None = None) -> dict:
    """Check every target concurrently; returns {target.client (or the target itself): Finding}.

    A target has .root, .key, .protocol (anthropic | responses | chat | gemini), .model, and optionally
    .models (more models the client uses), .tiers (Claude Code's tier models) and .client (a client id,
    which picks the default model when none is set). One request per distinct (root, key, list endpoint);
    with `deep`, one more per distinct (root, key, protocol, model). `on_result(target, finding)` runs
    in the calling thread as each target's answer is known. `timeout`: seconds per request (--timeout),
    else KEYCONF_TIMEOUT, else 15; connecting gets min(5, timeout). `with_key_info`: also fetch the
    key's remaining quota and expiry (Finding.key_info). `cache`: a dict kept by the caller across calls
    (check before writing, report after) so no request is sent twice in one command.
    """
    from keyconf.masking import remember

    targets = list(targets)
    seconds = resolve_timeout(timeout)
    for target in targets:
        remember(target.key)
    results: dict = {}
    if not targets:
        return results
    client, problem = _open_client(seconds)
    if problem:
        for target in targets:
            results[_ident(target)] = replace(problem)
            if on_result:
                on_result(target, results[_ident(target)])
        return results
    import queue

    done: queue.Queue = queue.Queue()
    with client:
        run = _Run(client, seconds, cache)
        for target in targets:
            run.spawn(lambda t=target: _check_one(run, t, deep, with_key_info)).add_done_callback(
                lambda future, t=target: done.put((t, future)))
        for _ in targets:
            target, future = _next(done)
            results[_ident(target)] = future.result()  # a bug in a check is raised here, not swallowed
            if on_result:
                on_result(target, results[_ident(target)])
    return results


def _next(done):
    """The next finished check; waits in short slices so Ctrl-C is noticed on every OS."""
    import queue

    while True:
        try:
            return done.get(timeout=0.25)
        except queue.Empty:
            continue


def _open_client(seconds: float):
    """The one httpx.Client, or a Finding when the proxy settings make one impossible (socks without
    socksio, a malformed HTTPS_PROXY)."""
    import httpx

    try:
        client = httpx.Client(timeout=httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds)),
                                   follow_redirects=False, headers={"user-agent": USER_AGENT})
    except (ImportError, ValueError, httpx.InvalidURL) as exc:
        names = [n for n in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
                 if os.environ.get(n)]
        return None, Finding(False, Exit.UNREACHABLE, f"the proxy settings ({', '.join(names) or 'system'}) "
                             f"cannot be used: {exc}",
                             "proxies: fix or unset the proxy variable (a socks:// proxy needs "
                             "`pip install 'httpx[socks]'`)")
    return client, None


def check(root: str, key: str | None, *, model: str | None = None, protocol: str | None = None,
          deep: bool = False, timeout: float | None = None, client: str | None = None, models=()) -> Finding:
    """One target (see check_many). Without `client`, no model set means no model is checked."""
    target = CheckTarget(root, key, protocol or "chat", model, models=models, client=client)
    return check_many([target], deep=deep, timeout=timeout)[_ident(target)]


# ---------------------------------------------------------------------------------------------------
# What the key has left

class KeyInfo:
    """Remaining quota (USD) and expiry of a key, from New API's /api/usage/token/ and /api/status."""

    def __init__(self, name: str | None, remaining_usd: float | None, used_usd: float | None, unlimited: bool,
                 expires_at: float | None, server: str | None = None, version: str | None = None):
        self.name = name
        self.remaining_usd = remaining_usd
        self.used_usd = used_usd
        self.unlimited = unlimited
        self.expires_at = expires_at  # Unix seconds; None: never
        self.server = server
        self.version = version

    def summary(self) -> str:
        """`$3.20 left, expires 2026-12-01`."""
        import time

        money = "unlimited quota" if self.unlimited or self.remaining_usd is None else \
            f"${max(self.remaining_usd, 0):.2f} left"
        if self.expires_at is None:
            return f"{money}, never expires"
        verb = "expired" if self.expires_at < time.time() else "expires"
        return f"{money}, {verb} {_day(self.expires_at)}"

    def to_json(self) -> dict:
        return {"name": self.name, "remaining_usd": self.remaining_usd, "used_usd": self.used_usd,
                "unlimited": self.unlimited, "expires_at": self.expires_at, "server": self.server,
                "version": self.version, "summary": self.summary()}


def _key_info(run: _Run, root: str, key: str) -> KeyInfo | None:
    status_future = run.spawn(lambda: _request(run, "GET", root + "/api/status", root, {}))
    usage, _ = _request(run, "GET", root + "/api/usage/token/", root, {"authorization": f"Bearer {key}"})
    status, _ = status_future.result()
    data = _json_data(usage)
    if not isinstance(data, dict):
        return None
    server = _json_data(status) or {}
    per_unit = server.get("quota_per_unit") if isinstance(server, dict) else None
    if not isinstance(per_unit, (int, float)) or per_unit <= 0:
        per_unit = 500000  # New API's default: $1 = 500,000 quota units

    def usd(value):
        return round(value / per_unit, 4) if isinstance(value, (int, float)) else None

    expires = data.get("expires_at")
    return KeyInfo(data.get("name"), usd(data.get("total_available")), usd(data.get("total_used")),
                   bool(data.get("unlimited_quota")),
                   expires if isinstance(expires, (int, float)) and expires > 0 else None,
                   server.get("system_name") if isinstance(server, dict) else None,
                   server.get("version") if isinstance(server, dict) else None)


def _json_data(response):
    if response is None or response.status_code != 200 or _looks_html(response):
        return None
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload.get("data") if isinstance(payload, dict) else None


def key_info(root: str, key: str, *, timeout: float | None = None) -> KeyInfo | None:
    """Remaining quota and expiry for `status --verify` / `verify`; None when the relay does not say."""
    seconds = resolve_timeout(timeout)
    client, problem = _open_client(seconds)
    if problem:
        return None
    with client:
        return _key_info(_Run(client, seconds), root.rstrip("/"), key)
