"""Undo from the journal: the last (or a given) change, its files put back exactly as they were, as a change
of its own.
"""

from __future__ import annotations

from typing import Sequence

from keyconf.engine.edits import Edit, digest
from keyconf.engine.journal import Entry, _journal, apply, entries
from keyconf.errors import Exit, KeyconfError, UnsafeEdit
from keyconf.paths import Paths


class NothingToUndo(KeyconfError):
    """The journal holds no change that can be undone (not an error: exit 0)."""

    code = Exit.OK


def last_entry(paths: Paths) -> Entry | None:
    """The newest change that can be undone, or None."""
    for entry in entries(paths):
        if entry.status == "done" and entry.meta["command"] != "undo":
            return entry
    return None


def find_entry(paths: Paths, entry_id: str | None) -> Entry:
    if entry_id:
        for entry in entries(paths):
            if entry.id == entry_id or entry.id.endswith(entry_id):
                return entry
        raise KeyconfError(f"no change with id {entry_id!r} in the journal", hint="see `keyconf undo --list`",
                           code=2)
    entry = last_entry(paths)
    if entry is None:
        raise NothingToUndo("nothing to undo: the journal has no change left")
    return entry


def plan_undo(entry: Entry, *, force: bool) -> list[Edit]:
    """Edits that give every file of `entry` its old bytes (and mode) back; refuses if a file changed since."""
    out = []
    for i, rec in enumerate(entry.meta["edits"]):
        old = entry.recorded(i)
        cls = type(old)
        current = old.read_current()
        rebased = None
        if digest(current) != rec.get("after_sha") and not force:
            rebased = old.rebase(current)  # a client's own rewrite of the file keyconf left is no conflict
            if rebased is None:
                raise UnsafeEdit(
                    f"{rec['path']} changed after change {entry.id}; undo would lose that",
                    hint="look at the file, then run `keyconf undo --force` to restore it anyway",
                    client=rec.get("client"),
                )
        before = rebased if rebased is not None else entry.before(i, current) if rec.get("delta") else old.before
        edit = cls(old.path, current, before, private=old.private, internal=old.internal,
                   client=old.client, mode_before=old.mode_before)
        edit.mode_after = old.mode_before  # an undo gives back the file as it was, mode and owner too
        edit.owner_after = old.owner_before
        out.append(edit)
    return out


def restore(paths: Paths, entry: Entry, edits: Sequence[Edit]) -> Entry | None:
    """Write an undo plan (itself journaled, so it can be looked at later) and mark the entry undone."""
    result = apply(paths, edits, command="undo", extra={"undo_of": entry.id})
    if result is None and entry.status == "done":
        # nothing left to write (the files already hold their old bytes): record the undo all the same
        result = _journal(paths, [], "undo", {"undo_of": entry.id})
        result.meta["status"] = "done"
        result.save()
    entry.meta["status"] = "undone"
    entry.save()
    return result
