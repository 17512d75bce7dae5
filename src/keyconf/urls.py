"""The Base URL is normalised once to its root; each client then gets its own shape of it.

What users paste is checked strictly (anything odd is a usage error, shown escaped, never raw: a URL can
carry a terminal escape sequence or a password), and the common copy mistakes are fixed with a note:
endpoint suffixes (`/v1`, `/v1/chat/completions`) and dashboard page paths (`/console/token`).
"""

from __future__ import annotations

import re

from keyconf.errors import UsageError
from keyconf.keys.input import ASCII_SPACE, describe_char, shown

# Endpoint suffixes people paste along with the root; all clients add these themselves.
_API_SUFFIXES = ("/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/models", "/v1beta/models",
                 "/v1beta", "/v1")

# First path segments of relay dashboards' pages (New API, one-api and their forks): a Base URL copied
# from the browser's address bar. Everything from such a segment on is dropped.
DASHBOARD_SEGMENTS = frozenset({
    "console", "panel", "dashboard", "token", "tokens", "keys", "login", "register", "reset", "oauth",
    "topup", "wallet", "log", "logs", "setting", "settings", "pricing", "playground", "chat", "detail",
    "channel", "channels", "user", "users", "redemption", "midjourney", "task", "about", "personal",
})

_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_KEYLIKE = re.compile(r"(?i)^(?:bearer\s+)?(?:sk-[A-Za-z0-9_\-]{8,}|[A-Za-z0-9_\-]{32,})$")


def looks_like_key(text: str) -> bool:
    """True for `sk-…` or a long token with no dot or slash: a key pasted where a URL was asked for."""
    return bool(_KEYLIKE.match(text.strip().strip("\"'")))


def normalise_root(raw: str) -> str:
    """`https://relay.example.com/v1/` -> `https://relay.example.com`. Raises UsageError on junk."""
    return normalise_root_with_notes(raw)[0]


def normalise_root_with_notes(raw: str) -> tuple[str, list[str]]:
    """The root and notes on what was dropped (a dashboard page path). UsageError (exit 2) on junk."""
    from urllib.parse import urlsplit, urlunsplit

    notes: list[str] = []
    text = (raw or "").strip(ASCII_SPACE)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip(ASCII_SPACE)
    if not text:
        raise UsageError("the Base URL is empty", hint="copy the Base URL shown on the relay's dashboard")
    _refuse_key(text)
    _refuse_controls(text)
    if re.search(r"\s", text):
        raise UsageError(f"the Base URL contains whitespace: {shown(text)}")
    if "://" not in text:
        raise UsageError(
            f"the Base URL must start with https:// or http://: {shown(text)}",
            hint=f"did you mean https://{shown(text)} ?",
        )
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # "Invalid IPv6 URL": an unclosed [
        raise UsageError(f"the Base URL is malformed ({_why(exc)}): {shown(_without_userinfo(text))}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"the Base URL must use http or https, not {shown(parts.scheme)}: "
                         f"{shown(_without_userinfo(text))}")
    if "@" in parts.netloc:
        raise UsageError("the Base URL must not contain a user name or password (before an @)",
                         hint="copy the Base URL shown on the dashboard; the key is asked separately")
    host = _check_host(parts, text)
    if host != (parts.hostname or "").rstrip(".") and _ends_in_number(parts.hostname or ""):
        notes.append(f"the host {shown(parts.hostname)} is the IPv4 address {host}; written as {host}")
    if parts.query or text.split("#")[0].endswith("?"):
        raise UsageError(f"the Base URL has a query string (?…): {shown(_cut(text, '?'))}?…",
                         hint="the Base URL is the API root; clients add their own paths and parameters: "
                              f"try {shown(_cut(text, '?'))}")
    if parts.fragment or text.endswith("#"):
        raise UsageError(f"the Base URL has a fragment (#…): {shown(_cut(text, '#'))}#…",
                         hint="that is a dashboard page address, not the API root: "
                              f"try {shown(_cut(_cut(text, '#'), '?'))}")
    path = parts.path.rstrip("/")
    lowered = path.lower()
    for suffix in _API_SUFFIXES:
        if lowered.endswith(suffix):
            path = path[: len(path) - len(suffix)].rstrip("/")
            break
    path = _drop_dashboard_path(path, notes)
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, path, "", "")), notes


def _refuse_key(text: str) -> None:
    if looks_like_key(text):
        from keyconf.masking import mask, remember

        bare = re.sub(r"(?i)^bearer\s+", "", text.strip("\"'"))
        remember(bare)
        raise UsageError(f"that looks like an API key ({mask(bare)}), not a Base URL",
                         hint="enter the Base URL shown on the dashboard (like https://relay.example.com); "
                              "the key is asked for separately, with hidden input")


def _refuse_controls(text: str) -> None:
    for i, ch in enumerate(text):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or (code > 0x7F and not ch.isprintable()):
            raise UsageError(f"the Base URL contains {describe_char(ch)} at character {i + 1} "
                             f"(shown escaped: {shown(_without_userinfo(text))})",
                             hint="type or paste the plain Base URL shown on the dashboard")


def _check_host(parts, text: str) -> str:
    import ipaddress

    netloc = parts.netloc
    try:
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"the Base URL is malformed ({_why(exc)}): {shown(text)}") from None
    if not host:
        raise UsageError(f"the Base URL has no host name: {shown(text)}")
    if port == 0:
        raise UsageError(f"the Base URL has port 0, which no server listens on: {shown(text)}",
                         hint="copy the port shown on the dashboard, or leave it out")
    if netloc.endswith(":"):
        raise UsageError(f"the Base URL has an empty port after ':': {shown(text)}",
                         hint="add the port number or remove the ':'")
    if netloc.startswith("["):
        try:
            return str(ipaddress.IPv6Address(host.split("%")[0]))
        except ValueError:
            raise UsageError(f"the Base URL has an invalid IPv6 address: {shown(text)}") from None
    host = host.rstrip(".")
    if _ends_in_number(host):
        return _ipv4(host, text)
    try:
        ascii_host = host.encode("idna").decode("ascii")  # 例子.测试 is a valid host name
    except UnicodeError:
        raise UsageError(f"the Base URL's host name is malformed: {shown(text)}") from None
    if not all(_LABEL.fullmatch(label) for label in ascii_host.split(".")):
        raise UsageError(f"the Base URL's host name is malformed: {shown(text)}",
                         hint="a host name has letters, digits, '-' and dots, like relay.example.com")
    return host.lower()


def _ends_in_number(host: str) -> bool:
    """WHATWG URL: a host whose last label is a number (decimal, or 0x hex) is an IPv4 address or invalid."""
    last = host.split(".")[-1]
    return bool(re.fullmatch(r"[0-9]+|0[xX][0-9A-Fa-f]*", last))


def _ipv4(host: str, text: str) -> str:
    """The dotted-decimal form of an IPv4 host in any form WHATWG URL and inet_aton accept (`2130706433`,
    `0x7f.1`, `017.0.0.1` is 15.0.0.1: a leading 0 is octal): what the clients and the resolver will connect
    to, so that is what is shown and written."""
    parts = host.split(".")
    numbers = []
    for part in parts:
        m = re.fullmatch(r"0[xX]([0-9A-Fa-f]*)|(0[0-7]+)|([1-9][0-9]*|0)", part)
        if not m or len(parts) > 4:
            raise UsageError(f"the Base URL's host {shown(host)} is neither a host name nor an IPv4 address",
                             hint="a host name has letters, like relay.example.com")
        numbers.append(int(m[1] or "0", 16) if m[1] is not None else int(m[2], 8) if m[2] else int(m[3]))
    last_limit = 256 ** (5 - len(numbers))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= last_limit:
        raise UsageError(f"the Base URL's host {shown(host)} is not a valid IPv4 address (a part is too large)")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))


def _drop_dashboard_path(path: str, notes: list[str]) -> str:
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment.lower() in DASHBOARD_SEGMENTS:
            dropped = "/" + "/".join(segments[i:])
            notes.append(f"dropped the dashboard page path {shown(dropped)} from the Base URL "
                         "(clients need the API root)")
            return "/".join(segments[:i]).rstrip("/")
    return path


def _cut(text: str, mark: str) -> str:
    return _without_userinfo(text.split(mark, 1)[0])


def _without_userinfo(text: str) -> str:
    """Hide `user:password@` before showing a URL back."""
    return re.sub(r"(://)[^/?#@]*@", r"\1***@", text, count=1)


def _why(exc: ValueError) -> str:
    text = str(exc)
    if "IPv6" in text:
        return "an IPv6 address needs both [ and ]"
    if "port" in text.lower():
        return "the port must be a number from 1 to 65535"
    return text


def site_root(root: str) -> str:
    """Scheme and host only: the suggestion when a dashboard page URL was pasted."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(root)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def openai_base(root: str) -> str:
    """Root + /v1: what OpenAI-style clients (Codex, Cursor, SDKs) want."""
    return root + "/v1"


def is_private(root: str) -> bool:
    """True for loopback, link-local and private-network hosts (which Cursor's servers cannot reach)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(root).hostname or ""
    if host in ("localhost",) or host.endswith(".local") or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_private or addr.is_loopback or addr.is_link_local
