"""The one writer: lock, recover, re-check, journal, write atomically, all or nothing; and undo from the journal.

The journal is a write-ahead log. Before the first target is touched, an entry holding everything needed to
go back (old bytes or, for big files, the changed middle plus hashes; modes; folders that will be created) is
durable on disk with status "pending". Only then are the targets written; the entry is marked "done" last.
A run killed in between leaves a pending entry, which the next keyconf run that takes the lock (every
changing command does so first) recovers (`recover`): a change whose files all hold their new bytes was
killed after its last write and is finished; any other is rolled back file by file, from what each file
holds now: the old bytes (nothing to do but its old mode), the new bytes (put the old ones back), or
something else (refuse, naming the file: someone changed it since).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from keyconf.engine import fsutil
from keyconf.engine.edits import Edit, FileEdit, common_prefix, common_suffix, digest
from keyconf.errors import KeyconfError, UnsafeEdit
from keyconf.paths import Paths

JOURNAL_KEEP = 50  # newest changes kept for undo; older ones are pruned


BIG_FILE = 1 << 20  # above this, an entry keeps only the part of the old file that changed (and hashes)


FORMAT = 2  # entries written as a write-ahead log (older "pending" entries are never rolled back)


_STAGING, _TRASH = ".new-", ".old-"


@dataclass
class Entry:
    """One journaled change."""

    id: str
    folder: Path
    meta: dict

    @property
    def status(self) -> str:
        return self.meta.get("status", "?")

    def before(self, index: int, current: bytes | None = None) -> bytes | None:
        """The old bytes of edit `index`. A big file's entry keeps only the middle that changed: the old file
        is rebuilt around it from `current`, which must be the bytes the change wrote (checked by hash)."""
        rec = self.meta["edits"][index]
        if not rec.get("before_present"):
            return None
        blob = (self.folder / f"{index}.before").read_bytes()
        delta = rec.get("delta")
        if not delta:
            return blob
        if current is None or digest(current) != rec.get("after_sha"):
            raise UnsafeEdit(f"{rec['path']} is not as change {self.id} left it, and for a file this big keyconf "
                             "kept only the part it changed; the old file cannot be rebuilt from what is there now",
                             hint="restore the file from a backup, or take keyconf's settings out by hand",
                             client=rec.get("client"))
        view = memoryview(current)
        old = b"".join((view[:delta["prefix"]], blob, view[len(view) - delta["suffix"]:]))
        if digest(old) != rec.get("before_sha"):
            raise UnsafeEdit(f"the journal entry {self.id} for {rec['path']} is damaged; the old file cannot be "
                             "rebuilt", client=rec.get("client"))
        return old

    def recorded(self, index: int) -> Edit:
        """Edit `index` as recorded, its old bytes loaded unless they must be rebuilt from the current file
        (big files); `after` is unknown: only its hash is kept."""
        rec = self.meta["edits"][index]
        before = None if rec.get("delta") else self.before(index)
        kind = "json-rewritten" if rec.get("client_rewrites") else rec.get("kind", "file")
        return _edit_class(kind).from_record(rec, before)

    def edits(self) -> list[Edit]:
        """The recorded edits with their old bytes."""
        out = []
        for i, rec in enumerate(self.meta["edits"]):
            edit = self.recorded(i)
            if rec.get("delta"):
                edit.before = self.before(i, edit.read_current())
            out.append(edit)
        return out

    def save(self) -> None:
        fsutil.atomic_write(self.folder / "entry.json", json.dumps(self.meta, indent=1).encode(), private=True)


# Edits of other kinds than files, defined where they belong (the Windows registry, Cursor's SQLite rows, the
# system keyring, files their client rewrites), rebuilt from the journal by name: the engine sits below the code
# that plans those edits.
_EDIT_KINDS = {"registry": ("keyconf.osenv.winenv", "RegistryEdit"),
               "sqlite": ("keyconf.formats.sqliterows", "RowsEdit"),
               "keyring": ("keyconf.stores.secretstore", "KeyringEdit"),
               "json-rewritten": ("keyconf.formats.jsonrewrite", "RewrittenJsonEdit")}


def _edit_class(kind: str):
    if kind not in _EDIT_KINDS:
        return FileEdit
    import importlib

    module, name = _EDIT_KINDS[kind]
    return getattr(importlib.import_module(module), name)


def _new_id(root: Path) -> str:
    # Sortable by time (microseconds), so "the last change" is the last id.
    while True:
        now = time.time_ns()
        entry_id = time.strftime("%Y%m%d-%H%M%S", time.localtime(now / 1e9)) + f"-{now // 1000 % 1_000_000:06d}"
        if not (root / entry_id).exists():
            return entry_id
        time.sleep(0.000_01)


def _old_part(before: bytes | None, after: bytes | None) -> tuple[bytes | None, dict | None]:
    """What the journal keeps of the old bytes: all of them, or for a big file only the middle that changed."""
    if before is None or after is None or len(before) <= BIG_FILE:
        return before, None
    shortest = min(len(before), len(after))
    prefix = common_prefix(before, after, shortest)
    suffix = common_suffix(before, after, shortest - prefix)
    return before[prefix:len(before) - suffix], {"prefix": prefix, "suffix": suffix, "size": len(before)}


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), fsutil.PRIVATE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _journal(paths: Paths, edits: Sequence[Edit], command: str, extra: dict) -> Entry:
    """Write the entry in a hidden staging folder, then rename it into place: an entry is either complete
    and durable (files and folders fsync'd) or not there at all."""
    root = fsutil.ensure_private_dir(paths.journal_dir)
    entry_id = _new_id(root)
    staging = root / f"{_STAGING}{entry_id}"
    staging.mkdir(mode=0o700)
    records = []
    for i, edit in enumerate(edits):
        rec = edit.record()
        rec["before_present"] = edit.before is not None
        rec["mode_after"] = edit.final_mode()  # recovery that finishes the change settles the mode with it
        if isinstance(edit, FileEdit):
            rec["created_dirs"] = [str(d) for d in edit.created_dirs]
            rec["remove_dirs"] = [str(d) for d in edit.remove_dirs]
        old, delta = _old_part(edit.before, edit.after)
        if delta:
            rec["delta"] = delta
        if old is not None:
            # The old bytes may hold an old key: journal files are 0600 like every file with a key.
            _write_new(staging / f"{i}.before", old)
        records.append(rec)
    meta = {"format": FORMAT, "id": entry_id, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command,
            "status": "pending", "edits": records, **extra}
    _write_new(staging / "entry.json", json.dumps(meta, indent=1).encode())
    fsutil.fsync_dir(staging)
    os.replace(staging, root / entry_id)
    fsutil.fsync_dir(root)
    return Entry(entry_id, root / entry_id, meta)


def apply(paths: Paths, edits: Sequence[Edit], *, command: str, extra: dict | None = None) -> Entry | None:
    """Carry out a plan as one transaction. Returns the journal entry, or None if nothing changed.

    Call it inside `locked()`. Every target is checked first (writable, and still holding the bytes it was
    planned from): if one fails, nothing is written (exit 3). If a write fails half-way, the files already
    written are put back.
    """
    edits = [e for e in edits if e.changes]
    if not edits:
        return None
    for edit in edits:
        edit.preflight()
        if not edit.holds(edit.before):
            raise UnsafeEdit(
                f"{edit.target} changed while keyconf was working on it; nothing was written",
                hint="run the command again",
                client=edit.client,
            )
        edit.snapshot_mode()
    history = None
    for edit in edits:
        if isinstance(edit, FileEdit):
            if history is None:
                history = _history(paths)
            _plan_file(edit, history)
    try:
        entry = _journal(paths, edits, command, extra or {})
    except OSError as exc:  # disk full, say: nothing was touched yet (the next run removes the half entry)
        raise UnsafeEdit(f"could not write keyconf's journal in {paths.journal_dir}: {exc.strerror or exc}; "
                         "nothing was changed") from exc
    done: list[Edit] = []
    try:
        for edit in edits:
            edit.put(edit.after)
            done.append(edit)
        for edit in edits:
            if isinstance(edit, FileEdit) and edit.after is None:
                _remove_empty(edit.remove_dirs)
    except BaseException as exc:
        complete = _put_back(done)
        for edit in edits:
            if isinstance(edit, FileEdit):
                _remove_empty(edit.created_dirs)
        if complete:
            entry.meta["status"] = "rolled-back"
            entry.save()
        # else the entry stays pending: the next keyconf run finishes putting the files back
        if isinstance(exc, OSError):
            failed = getattr(exc, "filename", "") or "a file"
            raise UnsafeEdit(f"could not write {failed}: {exc.strerror or exc}; " + (
                "every file was put back as it was" if complete else
                "some files could not be put back yet; the next keyconf command will do it")) from exc
        raise
    entry.meta["status"] = "done"
    entry.save()
    _prune(paths)
    return entry


def _put_back(done: Sequence[Edit]) -> bool:
    complete = True
    for edit in reversed(done):
        try:
            edit.put(edit.before, restoring=True)
        except (OSError, KeyconfError):
            complete = False
    return complete


def _plan_file(edit: FileEdit, history: list[dict]) -> None:
    """Decide the mode the file gets, and the folders created for it or removable after deleting it."""
    path = str(edit.path)
    if edit.before is None:
        edit.created_dirs = fsutil.missing_folders(edit.path)
    if edit.after is None:
        # deleting a file keyconf created: also remove the folders it created for it, if left empty
        for rec in history:
            if rec.get("path") == path and not rec.get("before_present"):
                edit.remove_dirs = [Path(d) for d in rec.get("created_dirs", [])]
                break
        return
    if edit.mode_after is not None:  # undo: the mode the file had
        return
    if edit.private:
        edit.mode_after = fsutil.PRIVATE
    elif edit.mode_before is not None:
        # The key leaves the file (remove): give back the mode it had before keyconf made it private,
        # unless someone changed the mode since.
        edit.mode_after = edit.mode_before
        for rec in history:
            if rec.get("path") != path or rec.get("mode_after") in (None, rec.get("mode_before")):
                continue
            if rec.get("mode_before") is not None and rec["mode_after"] == edit.mode_before:
                edit.mode_after = rec["mode_before"]
            break


def _history(paths: Paths) -> list[dict]:
    """Edit records of changes that took effect, newest first."""
    return [rec for entry in entries(paths) if entry.status in ("done", "undone") for rec in entry.meta["edits"]]


def _remove_empty(folders: Sequence[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty (the user put something there), or already gone


def _prune(paths: Paths) -> None:
    import shutil

    for old in entries(paths)[JOURNAL_KEEP:]:
        if old.status == "pending":
            continue
        # renamed first, so a prune cut short leaves a hidden folder (removed later), not a torn entry
        trash = old.folder.with_name(_TRASH + old.id)
        try:
            os.replace(old.folder, trash)
        except OSError:
            continue
        shutil.rmtree(trash, ignore_errors=True)


def entries(paths: Paths) -> list[Entry]:
    """Journal entries, newest first. An entry is "undone" when a later undo of it took effect."""
    root = paths.journal_dir
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir(), reverse=True):
        if folder.name.startswith("."):
            continue
        try:
            meta = json.loads((folder / "entry.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("edits"), list):
            out.append(Entry(folder.name, folder, meta))
    # Derived, not only stored: an undo marks its entry "undone" in a second write that a kill can skip.
    undone: set[str] = set()
    for entry in out:
        if entry.status in ("done", "undone"):
            entry.meta["status"] = "undone" if entry.id in undone else "done"
            if entry.status == "done" and entry.meta.get("undo_of"):
                undone.add(entry.meta["undo_of"])
    return out
