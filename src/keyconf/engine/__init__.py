"""The one writer: lock, recover, re-check, journal, write atomically, all or nothing; and undo from the journal.
`journal` writes a change, `recovery` finishes or rolls back one a killed keyconf left, `undo` puts one back,
`lock` holds keyconf's one lock; `edits` are the planned edits and `fsutil` the atomic file writes.

This face loads its modules on first use (`engine.apply`, `engine.locked`, ...), so code that needs only
`engine.fsutil` or `engine.edits` (every adapter, `status`, `run`) does not pay for the journal.
"""

from __future__ import annotations

import importlib

_MODULES = ("journal", "lock", "recovery", "undo")
_SUBMODULES = _MODULES + ("edits", "fsutil")


def __getattr__(name: str):
    if name in _SUBMODULES:  # `from keyconf.engine import fsutil` loads that module alone
        return importlib.import_module(f"keyconf.engine.{name}")
    for module in _MODULES:
        loaded = importlib.import_module(f"keyconf.engine.{module}")
        if hasattr(loaded, name):
            return getattr(loaded, name)
    raise AttributeError(f"module 'keyconf.engine' has no attribute {name!r}")
