"""Client adapters. The registry maps a CLI id to the module that knows that client's formats.

Modules are imported on first use so that `keyconf --help` and `status` for one client stay cheap.
Adding a client is one module with an `ADAPTER` object plus its tests, and one line here.
"""

from __future__ import annotations

import importlib

from keyconf.errors import UsageError

_MODULES = {
    "claude-code": "keyconf.adapters.claude_code",
    "codex": "keyconf.adapters.codex",
    "cursor": "keyconf.adapters.cursor",
    "cherry-studio": "keyconf.adapters.cherry_studio",
    "gemini-cli": "keyconf.adapters.gemini_cli",
    "opencode": "keyconf.adapters.opencode",
    "pi": "keyconf.adapters.pi",
    "kilo": "keyconf.adapters.kilo",
    "openclaw": "keyconf.adapters.openclaw",
    "hermes": "keyconf.adapters.hermes",
    "shell": "keyconf.adapters.shell",
}

CLIENT_IDS = tuple(_MODULES)
# Other names people type for a client (product.md), accepted wherever a client is named.
ALIASES = {"claude": "claude-code", "gemini": "gemini-cli", "kilocode": "kilo"}


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def get(client_id: str):
    module = _MODULES.get(canonical(client_id))
    if module is None:
        raise UsageError(f"unknown client {client_id!r}; choose from {', '.join(CLIENT_IDS)}")
    return importlib.import_module(module).ADAPTER


def resolve(names) -> list:
    """The adapters of the named clients, each once, in the order given."""
    return [get(name) for name in dict.fromkeys(names)]
