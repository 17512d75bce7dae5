"""One error type carrying the exit code; library code raises, only cli.main prints and exits."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """Exit codes scripts can rely on (product.md)."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    UNSAFE_EDIT = 3
    SECRET_STORE = 4
    KEY_REJECTED = 5
    UNREACHABLE = 6
    WRONG_URL = 7
    PARTIAL = 8
    QUOTA = 9
    NO_ACCESS = 10
    INTERRUPTED = 130


class KeyconfError(Exception):
    """An error the user can act on: a message, an exit code, and optionally a hint and the client."""

    code: Exit = Exit.UNEXPECTED

    def __init__(self, message: str, *, hint: str = "", client: str | None = None, code: Exit | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.client = client
        if code is not None:
            self.code = code


class UsageError(KeyconfError):
    code = Exit.USAGE


class UnsafeEdit(KeyconfError):
    """A file can't be edited safely (unparseable, changed under us, app running): nothing was written."""

    code = Exit.UNSAFE_EDIT


class SecretStoreError(KeyconfError):
    code = Exit.SECRET_STORE
