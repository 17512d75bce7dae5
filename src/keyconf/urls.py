"""The Base URL is normalised once to its root; each client then gets its own shape of it."""

from __future__ import annotations

import re

from keyconf.errors import UsageError

# Endpoint suffixes people paste along with the root; all clients add these themselves.
_API_SUFFIXES = ("/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/models", "/v1")


def normalise_root(raw: str) -> str:
    """`https://relay.example.com/v1/` -> `https://relay.example.com`. Raises UsageError on junk."""
    from urllib.parse import urlsplit, urlunsplit

    text = (raw or "").strip().strip("\"'").strip()
    if not text:
        raise UsageError("the Base URL is empty", hint="copy the Base URL shown on the relay's dashboard")
    if re.search(r"\s", text):
        raise UsageError(f"the Base URL contains whitespace: {text!r}")
    if "://" not in text:
        raise UsageError(
            f"the Base URL must start with https:// or http://: {text!r}",
            hint=f"did you mean https://{text} ?",
        )
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"the Base URL must use http or https, not {parts.scheme!r}: {text!r}")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise UsageError(f"the Base URL is malformed ({exc}): {text!r}") from None
    if not host:
        raise UsageError(f"the Base URL has no host name: {text!r}")
    if parts.username or parts.password:
        raise UsageError("the Base URL must not contain a user name or password")
    path = parts.path.rstrip("/")
    lowered = path.lower()
    for suffix in _API_SUFFIXES:
        if lowered.endswith(suffix):
            path = path[: len(path) - len(suffix)].rstrip("/")
            break
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


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
