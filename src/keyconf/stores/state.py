"""keyconf's record of bindings: which profile each client uses, how, with which options, and what its
adapter owned before.

Kept in `state.json` (0600: an old value keyconf replaced may be someone's key). It is written through the
transaction engine together with the client files, so `undo` rolls bindings back with them. The file
carries a version number; older versions are migrated when read (and written back in the new format by
the next change).
"""

from __future__ import annotations

import json
from pathlib import Path

from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.model import STATE_VERSION, Binding, binding_from_v1
from keyconf.paths import Paths


class State:
    def __init__(self, path: Path, raw: bytes | None):
        self.path = path
        self.raw = raw
        try:
            data = json.loads(raw) if raw else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            raise UnsafeEdit(f"{path} is damaged (not a JSON object)",
                             hint="move it away; keyconf will start a new one") from None
        version = data.get("version", 1)
        if not isinstance(version, int) or version > STATE_VERSION:
            raise UnsafeEdit(f"{path} was written by a newer keyconf (state version {version!r})",
                             hint="upgrade keyconf")
        records = data.get("bindings", {})
        if version == 1:
            self.bindings = {c: binding_from_v1(c, r) for c, r in records.items()}
        else:
            self.bindings: dict[str, Binding] = {c: Binding.from_record(c, r) for c, r in records.items()}
        # rc files that hold keyconf's block: path -> {"sep", "created"} (what to take out besides the block),
        # "digest" (of the block keyconf wrote) and "kept" (a block of the user's it replaced; see RcText)
        self.shell_files: dict[str, dict] = dict(data.get("shell_files", {}))
        # Windows user variables keyconf set: name -> the value it had before (None: unset)
        self.registry: dict = dict(data.get("registry", {}))

    @classmethod
    def load(cls, paths: Paths) -> "State":
        return cls(paths.state_file, fsutil.read_bytes(paths.state_file))

    def profile_of(self, client: str) -> str | None:
        binding = self.bindings.get(client)
        return binding.profile if binding else None

    def clients_of(self, profile: str) -> list[str]:
        return sorted(c for c, b in self.bindings.items() if b.profile == profile)

    def render(self) -> bytes:
        data = {"version": STATE_VERSION,
                "bindings": {c: b.to_record() for c, b in self.bindings.items()},
                "shell_files": self.shell_files, "registry": self.registry}
        return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")

    def edit(self) -> FileEdit:
        """The state file edit that goes into the same transaction as the client files."""
        keep = self.bindings or self.shell_files or self.registry or self.raw is not None
        after = self.render() if keep else None
        if after is not None and self.raw is not None and json.loads(self.raw) == json.loads(after):
            after = self.raw  # same content: no change, no journal entry
        return FileEdit(self.path, self.raw, after, private=True, internal=True)
