"""What a plan is made of. Adapters only *describe* edits; the transaction engine carries them out.

An edit knows its old and new content, how to read what is there now, how to put content back, and how
to show itself as a diff. `FileEdit` covers every text file; other kinds (SQLite rows) follow the same shape.
"""

from __future__ import annotations

import os
from pathlib import Path

from keyconf import fsutil


class Edit:
    """One planned change that the engine can re-check, journal, carry out and undo.

    `before`/`after` are bytes (None: absent), so comparing, hashing and journaling work for every kind.
    """

    kind = "?"

    def __init__(self, path, before: bytes | None, after: bytes | None, private: bool = False,
                 internal: bool = False, client: str | None = None, mode_before: int | None = None):
        self.path = path
        self.before = before
        self.after = after
        self.private = private  # holds a key: written 0600 (files)
        self.internal = internal  # keyconf's own bookkeeping, journaled but not shown as a diff
        self.client = client
        self.mode_before = mode_before
        self.owner_before: tuple[int, int] | None = None  # (uid, gid), recorded when keyconf runs as root
        # Set by the engine (files): the mode/owner to write with (None: keep the current one, 0600 if
        # private), folders this edit creates, and folders to remove when it deletes a file keyconf created.
        self.mode_after: int | None = None
        self.owner_after: tuple[int, int] | None = None
        self.created_dirs: list = []
        self.remove_dirs: list = []

    @property
    def changes(self) -> bool:
        return self.before != self.after

    @property
    def target(self) -> str:
        return str(self.path)

    def snapshot_mode(self) -> None:
        pass

    def preflight(self) -> None:
        """Raise UnsafeEdit if the target can't be written, before anything is journaled or written."""

    def read_current(self) -> bytes | None:
        raise NotImplementedError

    def holds(self, content: bytes | None) -> bool:
        """Whether the target holds exactly `content` now (the engine's "changed under us" check)."""
        return self.read_current() == content

    def current_digest(self) -> str | None:
        """sha256 of what the target holds now (None: absent); recovery compares it with the journal's."""
        return digest(self.read_current())

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        raise NotImplementedError

    def diff(self, display) -> str:
        raise NotImplementedError

    def record(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "private": self.private, "internal": self.internal,
                "client": self.client, "mode_before": self.mode_before, "owner_before": self.owner_before,
                "before_sha": digest(self.before), "after_sha": digest(self.after)}

    @classmethod
    def from_record(cls, rec: dict, before: bytes | None) -> "Edit":
        edit = cls(rec["path"], before, None, rec.get("private", False), rec.get("internal", False),
                   rec.get("client"), rec.get("mode_before"))
        owner = rec.get("owner_before")
        edit.owner_before = tuple(owner) if owner else None
        return edit


class FileEdit(Edit):
    kind = "file"

    def __init__(self, path, before: bytes | None, after: bytes | None, private: bool = False,
                 internal: bool = False, client: str | None = None, mode_before: int | None = None):
        super().__init__(Path(path), before, after, private, internal, client, mode_before)

    def read_current(self) -> bytes | None:
        return fsutil.read_bytes(self.path)

    def holds(self, content: bytes | None) -> bool:
        return fsutil.same_content(self.path, content)

    def current_digest(self) -> str | None:
        return file_digest(self.path)

    def preflight(self) -> None:
        fsutil.check_writable(self.path)

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        if restoring:
            # A rollback gives the old bytes back with their old mode and owner.
            fsutil.atomic_write(self.path, content, mode=self.mode_before, owner=self.owner_before)
        else:
            fsutil.atomic_write(self.path, content, private=self.private, mode=self.mode_after,
                                owner=self.owner_after)

    def snapshot_mode(self) -> None:
        real = fsutil.real_path(self.path)
        self.mode_before = fsutil.current_mode(real)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            self.owner_before = fsutil.current_owner(real)

    def diff(self, display) -> str:
        return text_diff(display(self.path), self.before, self.after)


def digest(content: bytes | None) -> str | None:
    import hashlib

    return None if content is None else hashlib.sha256(content).hexdigest()


def file_digest(path) -> str | None:
    """sha256 of a file's bytes, streamed (a big file is hashed without a copy in memory); None if absent."""
    import hashlib

    handle = fsutil.open_regular(path)
    if handle is None:
        return None
    with handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def text_diff(name: str, before: bytes | None, after: bytes | None) -> str:
    import difflib

    old = [] if before is None else before.decode("utf-8", "replace").splitlines(keepends=True)
    new = [] if after is None else after.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(
        old, new,
        fromfile="/dev/null" if before is None else f"a/{name}",
        tofile="/dev/null" if after is None else f"b/{name}",
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
