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
    "shell": "keyconf.adapters.shell",
    "gemini-cli": "keyconf.adapters.gemini_cli",
    "opencode": "keyconf.adapters.opencode",
}

CLIENT_IDS = tuple(_MODULES)


def get(client_id: str):
    module = _MODULES.get(client_id)
    if module is None:
        raise UsageError(f"unknown client {client_id!r}; choose from {', '.join(CLIENT_IDS)}")
    return importlib.import_module(module).ADAPTER


def resolve(names, use_all: bool = False) -> list:
    if use_all:
        names = CLIENT_IDS
    if not names:
        raise UsageError(f"name at least one client ({', '.join(CLIENT_IDS)}) or --all")
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return [get(name) for name in seen]
