"""keyconf's record of bindings: which profile each client uses, how, where, and what it owned before.

Kept in `state.json` (0600: an old value keyconf replaced may be someone's key). It is written through the
transaction engine together with the client files, so `undo` rolls bindings back with them.
"""

from __future__ import annotations

import json
from pathlib import Path

from keyconf import fsutil
from keyconf.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.paths import Paths


class State:
    def __init__(self, path: Path, raw: bytes | None):
        self.path = path
        self.raw = raw
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            raise UnsafeEdit(f"{path} is damaged (not JSON)", hint="move it away; keyconf will start a new one")
        self.bindings: dict[str, dict] = dict(data.get("bindings", {}))
        # rc files that hold keyconf's block: path -> {"sep", "created"} (what to take out besides the block)
        self.shell_files: dict[str, dict] = dict(data.get("shell_files", {}))
        # Windows user variables keyconf set: name -> the value it had before (None: unset)
        self.registry: dict[str, str | None] = dict(data.get("registry", {}))

    @classmethod
    def load(cls, paths: Paths) -> "State":
        return cls(paths.state_file, fsutil.read_bytes(paths.state_file))

    def render(self) -> bytes:
        data = {"version": 1, "bindings": self.bindings, "shell_files": self.shell_files, "registry": self.registry}
        return (json.dumps(data, indent=2, ensure_ascii=False,
                           sort_keys=True) + "\n").encode("utf-8")

    def edit(self) -> FileEdit:
        """The state file edit that goes into the same transaction as the client files."""
        keep = self.bindings or self.shell_files or self.registry or self.raw is not None
        after = self.render() if keep else None
        if after is not None and self.raw is not None and json.loads(self.raw) == json.loads(after):
            after = self.raw
        return FileEdit(self.path, self.raw, after, private=True, internal=True)
