"""keyconf's environment knobs, read and checked in one place. A bad value is a usage error (exit 2) named
after its variable, said before the command does anything, instead of a crash deep inside it.

Built from the mapping a `Paths` holds (`paths.settings`), so a test sets a knob by building its Paths.
"""

from __future__ import annotations

from typing import Mapping

from keyconf.errors import UsageError

DEFAULT_TIMEOUT = 15.0  # seconds to wait for the relay
DEFAULT_KEYRING_TIMEOUT = 15.0  # seconds to wait for the system keyring (an unlock dialog may be open)
SECRET_STORES = ("auto", "keyring", "file")


def seconds(raw: str | None, source: str, default: float) -> float:
    """A positive number of seconds (at most an hour) from `raw`, else `default`."""
    raw = (raw or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{source} must be a number of seconds, not {raw[:20]!r}") from None
    if not 0 < value <= 3600 or value != value:
        raise UsageError(f"{source} must be a number of seconds between 0 and 3600")
    return value


def secret_store(raw: str | None, source: str = "KEYCONF_SECRET_STORE") -> str:
    value = (raw or "auto").strip().lower() or "auto"
    if value not in SECRET_STORES:
        raise UsageError(f"unknown secret store {value!r} ({source}); choose one of {', '.join(SECRET_STORES)}")
    return value


class Settings:
    __slots__ = ("timeout", "keyring_timeout", "secret_store", "api_key", "base_url", "debug")

    def __init__(self, env: Mapping[str, str]):
        self.timeout = seconds(env.get("KEYCONF_TIMEOUT"), "KEYCONF_TIMEOUT", DEFAULT_TIMEOUT)
        self.keyring_timeout = seconds(env.get("KEYCONF_KEYRING_TIMEOUT"), "KEYCONF_KEYRING_TIMEOUT",
                                       DEFAULT_KEYRING_TIMEOUT)
        self.secret_store = secret_store(env.get("KEYCONF_SECRET_STORE"))
        self.api_key = env.get("KEYCONF_API_KEY") if (env.get("KEYCONF_API_KEY") or "").strip() else None
        self.base_url = env.get("KEYCONF_BASE_URL") if (env.get("KEYCONF_BASE_URL") or "").strip() else None
        self.debug = bool(env.get("KEYCONF_DEBUG"))
