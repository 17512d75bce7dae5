"""`undo`: give files back their bytes from the journal."""

from __future__ import annotations

from keyconf import engine
from keyconf.commands.common import confirm, show_diffs
from keyconf.output import Reporter
from keyconf.paths import Paths


def undo_list(out: Reporter) -> int:
    paths = Paths.from_environ()
    entries = engine.entries(paths)
    if not entries:
        out.say("the journal is empty")
    for entry in entries:
        files = [paths.display(rec["path"]) for rec in entry.meta["edits"] if not rec.get("internal")]
        clients = ",".join(entry.meta.get("clients", [])) or "-"
        extra = f" (undo of {entry.meta['undo_of']})" if entry.meta.get("undo_of") else ""
        out.result({"id": entry.id, "time": entry.meta.get("time"), "command": entry.meta["command"],
                    "status": entry.status, "clients": entry.meta.get("clients", []), "changed": files})
        out.say(f"{entry.id}  {entry.meta['command']:<7} {entry.status:<11} {clients:<24} {', '.join(files)}{extra}")
    return 0


def undo(entry_id: str | None, force: bool, dry_run: bool, yes: bool, out: Reporter) -> int:
    paths = Paths.from_environ()
    with engine.locked(paths):
        entry = engine.find_entry(paths, entry_id)
        if entry.status == "undone" and not force:
            out.say(f"change {entry.id} was already undone")
            return 0
        edits = engine.plan_undo(entry, force=force)
        if dry_run:
            show_diffs(out, paths, edits)
            return 0
        if force and not confirm(out, f"Restore the files of {entry.id}, losing changes made since?", yes):
            out.say("nothing was changed", err=True)
            return 0
        engine.restore(paths, entry, edits)
    files = [paths.display(e.target) for e in edits if not e.internal and e.changes]
    out.result({"id": entry.id, "status": "undone", "changed": files})
    out.say(f"undid change {entry.id} ({entry.meta['command']})")
    for name in files:
        out.say(f"  restored {name}")
    return 0
