"""keyconf's environment knobs, read and checked in one place. A bad value is a usage error (exit 2) named
after its variable, raised when the knob is first needed (a typo in KEYCONF_TIMEOUT must not stop
`keyconf secret`, which a client runs for its key and which never waits for a relay); a flag given for the
same setting wins without the knob being read.

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
    def __init__(self, env: Mapping[str, str]):
        self._env = env

    @property
    def timeout(self) -> float:
        """KEYCONF_TIMEOUT: seconds to wait for the relay (`--timeout` wins)."""
        return seconds(self._env.get("KEYCONF_TIMEOUT"), "KEYCONF_TIMEOUT", DEFAULT_TIMEOUT)

    @property
    def keyring_timeout(self) -> float:
        return seconds(self._env.get("KEYCONF_KEYRING_TIMEOUT"), "KEYCONF_KEYRING_TIMEOUT", DEFAULT_KEYRING_TIMEOUT)

    @property
    def secret_store(self) -> str:
        """KEYCONF_SECRET_STORE (`--secret-store` wins)."""
        return secret_store(self._env.get("KEYCONF_SECRET_STORE"))

    @property
    def api_key(self) -> str | None:
        """KEYCONF_API_KEY as given (keys.input cleans it), or None."""
        value = self._env.get("KEYCONF_API_KEY")
        return value if (value or "").strip() else None

    @property
    def base_url(self) -> str | None:
        value = self._env.get("KEYCONF_BASE_URL")
        return value if (value or "").strip() else None
