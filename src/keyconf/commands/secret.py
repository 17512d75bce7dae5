"""`keyconf secret PROFILE`: the one command that prints a key (besides --reveal on `env` and `link`)."""

from __future__ import annotations

from keyconf.session import Session
from keyconf.stores import secretstore
from keyconf.stores.profiles import Profiles


def secret(session: Session, name: str | None) -> int:
    """The one command that prints a key: for apiKeyHelper and Codex's auth command."""
    profile = Profiles(session.paths).get(name)
    key = secretstore.read_key(session.paths, profile)
    session.out.raw(key + "\n")
    return 0
