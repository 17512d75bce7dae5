"""The one place that hides keys. Human output, --json, diffs and errors all pass through `redact`."""

from __future__ import annotations

import re

_known: set[str] = set()

# Values of settings whose name says they hold a secret, in JSON, TOML and shell syntax:
# "ANTHROPIC_AUTH_TOKEN": "…", experimental_bearer_token = "…", export OPENAI_API_KEY='…', $env:X_KEY = '…'.
_SECRET_SETTING = re.compile(
    r"""(?P<name>[A-Za-z_]*(?:TOKEN|KEY|SECRET|token|key|Key|secret)["']?\s*(?::|=)\s*)(?P<q>["'])(?P<val>(?:\\.|(?!(?P=q)).)+)(?P=q)"""
)


def remember(secret: str | None) -> None:
    """Register a key so that every later line of output is scrubbed of it."""
    if secret and len(secret) >= 4:
        _known.add(secret)


def mask(secret: str | None) -> str:
    """Fixed-width mask: `sk-…abcd`. Short keys reveal nothing."""
    if not secret:
        return "(none)"
    head = "sk-" if secret.startswith("sk-") else "***"
    tail = secret[-4:] if len(secret) >= 12 else "****"
    return f"{head}…{tail}"


def redact(text: str) -> str:
    """Replace every known key, and every value of a secret-looking setting, by its mask."""
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    return _SECRET_SETTING.sub(_mask_setting, text)


def _mask_setting(m: re.Match) -> str:
    val = m.group("val")
    if "…" in val or val.startswith("$") or " " in val.strip():
        return m.group(0)  # already masked, a variable reference, or a command line, not a key
    return f"{m.group('name')}{m.group('q')}{mask(val)}{m.group('q')}"
