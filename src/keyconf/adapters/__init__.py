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
    "openclaw": "keyconf.adapters.openclaw",
    "qwen-code": "keyconf.adapters.qwen_code",
    "kilo": "keyconf.adapters.kilo",
    "droid": "keyconf.adapters.droid",
    "hermes": "keyconf.adapters.hermes",
    "crush": "keyconf.adapters.crush",
    "shell": "keyconf.adapters.shell",
    "claude-desktop": "keyconf.adapters.claude_desktop",
    "claude-vscode": "keyconf.adapters.claude_vscode",
    "zed": "keyconf.adapters.zed",
    "roo-code": "keyconf.adapters.roo_code",
    "chatbox": "keyconf.adapters.chatbox",
    "aider": "keyconf.adapters.aider",
    "continue": "keyconf.adapters.continue_cli",
}

CLIENT_IDS = tuple(_MODULES)

# The names people type (the programs' own names), accepted wherever a client is named; each stands for its
# client once that client is registered.
ALIASES = {"claude": "claude-code", "gemini": "gemini-cli", "qwen": "qwen-code", "kilocode": "kilo",
           "factory": "droid"}


def canonical(name: str) -> str | None:
    """The client id a name means (an id, or an alias of a registered client), or None."""
    if name in _MODULES:
        return name
    alias = ALIASES.get(name)
    return alias if alias in _MODULES else None


def get(client_id: str):
    module = _MODULES.get(canonical(client_id) or "")
    if module is None:
        raise UsageError(f"unknown client {client_id!r}; choose from {', '.join(CLIENT_IDS)}")
    return importlib.import_module(module).ADAPTER


def resolve(names) -> list:
    """The adapters of the named clients (ids or aliases), each once, in the order given."""
    return list({adapter.id: adapter for adapter in map(get, names)}.values())
