"""Where a key comes from: stdin, a named variable, KEYCONF_API_KEY, or a hidden prompt. Never argv."""

from __future__ import annotations

import os
import sys

from keyconf.errors import UsageError
from keyconf.masking import remember


def clean_key(raw: str) -> str:
    """Trim surrounding whitespace; refuse a key that still holds whitespace or control characters."""
    key = raw.strip()
    if not key:
        raise UsageError("the key is empty", hint="copy the complete key from the relay's dashboard")
    bad = [c for c in key if c.isspace() or ord(c) < 32 or ord(c) == 127]
    if bad:
        raise UsageError(
            "the key contains whitespace or control characters, so it was probably not copied completely",
            hint="copy the complete key again with the dashboard's copy button (troubleshooting: complete key)",
        )
    remember(key)
    return key


def read_key(*, key_stdin: bool, key_env: str | None, prompt: bool = True) -> str | None:
    """Return the key given through one of the safe channels, or None if none was used and no prompt."""
    if key_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--key-stdin was given but standard input was empty")
        return clean_key(line)
    if key_env:
        if key_env not in os.environ:
            raise UsageError(f"--key-env {key_env}: that environment variable is not set")
        return clean_key(os.environ[key_env])
    if os.environ.get("KEYCONF_API_KEY", "").strip():
        return clean_key(os.environ["KEYCONF_API_KEY"])
    if not prompt:
        return None
    if not sys.stdin.isatty():
        raise UsageError(
            "no key given and no terminal to ask for one",
            hint="pipe it with --key-stdin, name a variable with --key-env VAR, or set KEYCONF_API_KEY",
        )
    import click

    return clean_key(click.prompt("API key (input hidden)", hide_input=True, err=True))


def read_base_url(given: str | None, *, prompt: bool = True) -> str | None:
    """The raw Base URL from --base-url, KEYCONF_BASE_URL or a prompt (normalised by the caller)."""
    if given:
        return given
    if os.environ.get("KEYCONF_BASE_URL", "").strip():
        return os.environ["KEYCONF_BASE_URL"]
    if not prompt:
        return None
    if not sys.stdin.isatty():
        raise UsageError(
            "no Base URL given and no terminal to ask for one",
            hint="pass --base-url URL or set KEYCONF_BASE_URL",
        )
    import click

    return click.prompt("Base URL (as shown on the dashboard)", err=True)
