"""Recovery of a change a killed keyconf left pending: finished when every file holds its new bytes, else
rolled back file by file from what each holds now (see `journal`).
"""

from __future__ import annotations

import time
from pathlib import Path

from keyconf.engine import fsutil
from keyconf.engine.edits import Edit
from keyconf.engine.journal import _STAGING, _TRASH, FORMAT, Entry, _remove_empty, entries
from keyconf.errors import UnsafeEdit
from keyconf.paths import Paths


class Recovered(list):
    """What recovery did, as lines to show the user; `entries` lists the ids of changes it rolled back,
    `finished` those it completed (every file already held its new bytes)."""

    def __init__(self):
        super().__init__()
        self.entries: list[str] = []
        self.finished: list[Entry] = []


def needs_recovery(paths: Paths) -> bool:
    """Whether a killed keyconf left something behind in the journal (a pending change, a half-written entry
    or prune, a temp file): cheap enough to ask at the start of every changing command."""
    root = paths.journal_dir
    if not root.is_dir():
        return False
    for item in root.iterdir():
        if item.name.startswith((_STAGING, _TRASH)) or (item.is_dir() and fsutil.temp_files(item)):
            return True
    return bool(pending(paths))


def recover(paths: Paths, *, force: bool = False) -> Recovered:
    """Finish or roll back changes a killed keyconf left pending, and remove keyconf's leftover temp files.

    Call inside `locked()` (it is, by default). A pending change whose files all hold their new bytes was
    killed after its last write (removing emptied folders, marking the entry done): it is finished, not
    undone. Otherwise, per file: holds the old bytes → fine (its old mode is given back, should a kill have
    come between a chmod and the write); the new bytes → old ones put back; anything else → UnsafeEdit
    naming it, nothing written (with `force`, the old bytes are put back anyway where the journal has them
    whole).
    """
    import shutil

    report = Recovered()
    root = paths.journal_dir
    folders = {paths.keyconf_home}
    interrupted = []
    if root.is_dir():
        for item in root.iterdir():
            if item.name.startswith((_STAGING, _TRASH)):
                shutil.rmtree(item, ignore_errors=True)  # a journal write or prune cut short
            elif item.is_dir():
                folders.add(item)  # an entry's own `.entry.json.*.keyconf-tmp` from a save cut short
        interrupted = pending(paths)
        for entry in interrupted:
            for rec in entry.meta["edits"]:
                if rec.get("kind", "file") == "file":
                    folders.add(fsutil.real_path(Path(rec["path"])).parent)
    # first, so that a folder the interrupted change created holds nothing of ours when it is removed
    leftovers = [tmp for folder in folders for tmp in fsutil.temp_files(folder)]
    for tmp in leftovers:
        tmp.unlink(missing_ok=True)
    for entry in interrupted:
        line, finished = _recover_entry(paths, entry, force)
        report.append(line)
        if finished:
            report.finished.append(entry)
        else:
            report.entries.append(entry.id)
    if leftovers:
        report.append(f"removed {len(leftovers)} temp file(s) an interrupted keyconf left behind")
    return report


def _recover_entry(paths: Paths, entry: Entry, force: bool) -> tuple[str, bool]:
    edits, states = [], []
    for i, rec in enumerate(entry.meta["edits"]):
        edit = entry.recorded(i)
        now = edit.current_digest()
        state = "old" if now == rec.get("before_sha") else "new" if now == rec.get("after_sha") else "neither"
        edits.append(edit)
        states.append(state)
    if all(state == "new" for state in states):
        return _roll_forward(paths, entry, edits), True
    return _roll_back(paths, entry, edits, states, force), False


def _roll_forward(paths: Paths, entry: Entry, edits: list[Edit]) -> str:
    """Every file holds what the change wrote: do its last steps (a mode set after the write, emptied
    folders removed) and mark it done, as if it had not been killed."""
    for edit, rec in zip(edits, entry.meta["edits"]):
        if rec.get("mode_after") is not None:
            edit.settle_mode(rec["mode_after"])
        _remove_empty([Path(d) for d in rec.get("remove_dirs", [])])
    entry.meta["status"] = "done"
    entry.meta["recovered"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    entry.save()
    return (f"keyconf was interrupted at the very end of change {entry.id} (`{entry.meta.get('command')}`), "
            "after every file was written; it is now complete")


def _roll_back(paths: Paths, entry: Entry, edits: list[Edit], states: list[str], force: bool) -> str:
    stuck = [edit for edit, state in zip(edits, states) if state == "neither"]
    if stuck and not force:
        names = ", ".join(paths.display(e.target) for e in stuck)
        raise UnsafeEdit(
            f"keyconf was interrupted during change {entry.id} ({entry.meta.get('command')}), and {names} "
            "changed since; keyconf cannot tell whether to put back its old bytes",
            hint="look at it; `keyconf undo --force` puts back the bytes it had before that change "
                 "(losing what changed in it since)", client=stuck[0].client)
    restored, kept = [], []
    for i in reversed(range(len(edits))):
        edit, state, rec = edits[i], states[i], entry.meta["edits"][i]
        if state == "old":
            if rec.get("mode_before") is not None:
                edit.settle_mode(rec["mode_before"])  # killed between tightening the mode and the write
            continue
        if state == "neither" and rec.get("delta"):
            kept.append(edit)  # only the changed middle of this big file was kept: it cannot be rebuilt
            continue
        if rec.get("delta"):
            edit.before = entry.before(i, edit.read_current())
        edit.put(edit.before, restoring=True)
        restored.append(edit)
    for rec in entry.meta["edits"]:
        _remove_empty([Path(d) for d in rec.get("created_dirs", [])])  # also those made before a kill
    entry.meta["status"] = "rolled-back"
    entry.meta["recovered"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    entry.save()
    what = f"keyconf was interrupted during change {entry.id} (`{entry.meta.get('command')}`) and rolled it back"
    shown = [paths.display(e.target) for e in reversed(restored) if not e.internal]
    if not restored:
        what += " (it had not changed any file yet)"
    elif shown:
        what += ": put back " + ", ".join(shown)
    if kept:
        what += "; left as they are now: " + ", ".join(paths.display(e.target) for e in kept)
    return what + "; run that command again if you still want it"


def pending(paths: Paths) -> list[Entry]:
    """Changes a killed keyconf left half-done (rolled back by the next `locked()`), newest first."""
    return [e for e in entries(paths) if e.status == "pending" and e.meta.get("format") == FORMAT]
