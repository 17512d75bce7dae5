"""What a plan is made of. Adapters only *describe* edits; the transaction engine carries them out.

An edit knows its old and new content, how to read what is there now, how to put content back, and how
to show itself as a diff. `FileEdit` covers every text file; other kinds (SQLite rows) follow the same shape.
"""

from __future__ import annotations

import os
from pathlib import Path

from keyconf.engine import fsutil


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

    def final_mode(self) -> int | None:
        """The mode the target ends with once `put(after)` is done (None: left as it is)."""
        return self.mode_after

    def settle_mode(self, mode: int) -> None:
        """Give the target `mode` where a write can leave it otherwise (recovery after a kill). A file is
        replaced by rename, bytes and mode at once, so only kinds that chmod apart from writing need it."""

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

    def rebase(self, current: bytes | None) -> bytes | None:
        """What undo should write when the target no longer holds what keyconf wrote but only because its
        client rewrote it (see rewrites.py); None: a real conflict, undo refuses."""
        return None

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


def common_prefix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the common start of a and b (at most `limit`): chunks compared as memoryviews (memcmp,
    no copies), then halving inside the first chunk that differs."""
    va, vb = memoryview(a), memoryview(b)
    lo, step = 0, 1 << 16
    while lo < limit:
        hi = min(limit, lo + step)
        if va[lo:hi] != vb[lo:hi]:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if va[lo:mid] == vb[lo:mid]:
                    lo = mid
                else:
                    hi = mid
            return lo
        lo = hi
    return limit


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    va, vb = memoryview(a), memoryview(b)
    la, lb = len(a), len(b)
    lo, step = 0, 1 << 16  # lo: bytes known equal at the end
    while lo < limit:
        hi = min(limit, lo + step)
        if va[la - hi:la - lo] != vb[lb - hi:lb - lo]:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if va[la - mid:la - lo] == vb[lb - mid:lb - lo]:
                    lo = mid
                else:
                    hi = mid
            return lo
        lo = hi
    return limit


DIFF_WINDOW = 1 << 16  # above this, only the part around the change is handed to difflib


def text_diff(name: str, before: bytes | None, after: bytes | None) -> str:
    import difflib
    import re

    offset = 0
    if before is not None and after is not None and len(before) + len(after) > DIFF_WINDOW:
        # A one-key change in a 200 MB ~/.claude.json: diff the changed lines with their context only,
        # and shift the hunk line numbers by the lines skipped at the top.
        before, after, offset = _window(before, after, context=3)
    old = [] if before is None else before.decode("utf-8", "replace").splitlines(keepends=True)
    new = [] if after is None else after.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(
        old, new,
        fromfile="/dev/null" if before is None else f"a/{name}",
        tofile="/dev/null" if after is None else f"b/{name}",
        n=2,
    )
    if offset:
        def shift(match):
            return f"@@ -{int(match[1]) + offset}{match[2] or ''} +{int(match[3]) + offset}{match[4] or ''} @@"

        lines = (re.sub(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", shift, line) if line.startswith("@@") else line
                 for line in lines)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _window(before: bytes, after: bytes, context: int) -> tuple[bytes, bytes, int]:
    """The differing middle of before/after, widened to whole lines plus `context` lines each side, and the
    number of lines cut from the top."""
    shortest = min(len(before), len(after))
    head = common_prefix(before, after, shortest)
    tail = common_suffix(before, after, shortest - head)
    start = before.rfind(b"\n", 0, head) + 1  # back to the start of the first changed line
    for _ in range(context):
        if start == 0:
            break
        start = before.rfind(b"\n", 0, start - 1) + 1
    end = len(before) - tail  # forward past the end of the last changed line
    if end > start and before[end - 1:end] != b"\n":
        nl = before.find(b"\n", end)
        end = len(before) if nl < 0 else nl + 1
    for _ in range(context):
        nl = before.find(b"\n", end)
        end = len(before) if nl < 0 else nl + 1
    cut_tail = len(before) - end
    return before[start:end], after[start:len(after) - cut_tail], before.count(b"\n", 0, start)
