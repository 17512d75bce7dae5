"""`undo`: give files back their bytes from the journal."""

from __future__ import annotations

from keyconf import engine
from keyconf.pipeline.report import show_diffs


def undo_list(session) -> int:
    out, paths = session.out, session.paths
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


def undo(session, entry_id: str | None, force: bool, dry_run: bool, yes: bool) -> int:
    out, paths = session.out, session.paths
    # A dry run writes nothing, not even a recovery: it says what the next command will roll back.
    with session.lock(recovery=not dry_run, force=force) as recovered:
        if dry_run and not entry_id:
            for pending in engine.pending(paths):
                out.say(f"change {pending.id} ({pending.meta['command']}) was interrupted; the next keyconf "
                        "command rolls it back (nothing else would be undone)")
                return 0
        if recovered.entries:
            out.extra["recovered"] = list(recovered)
        if recovered.entries and not entry_id:
            # A killed command was just rolled back: the user is back where they were before it, which is
            # what this undo asked for. Going on would also undo the change before it.
            out.result({"id": recovered.entries[0], "status": "rolled-back", "changed": []})
            out.say("nothing else was undone; run `keyconf undo` again to undo the change before it")
            return 0
        finished_undo = next((e for e in recovered.finished if e.meta.get("undo_of")), None)
        if finished_undo is not None and not entry_id:
            # the killed command was an undo, and it had written everything: it is what this undo asked for
            out.result({"id": finished_undo.meta["undo_of"], "status": "undone", "changed": []})
            out.say(f"the interrupted undo of change {finished_undo.meta['undo_of']} is complete; nothing else "
                    "was undone")
            return 0
        entry = engine.find_entry(paths, entry_id) if entry_id else engine.last_entry(paths)
        if entry is None:
            out.result({"status": "nothing to undo", "changed": []})
            out.say("nothing to undo: the journal has no change left")
            return 0
        if entry.status == "undone" and not force:
            out.say(f"change {entry.id} was already undone")
            return 0
        edits = engine.plan_undo(entry, force=force)
        if dry_run:
            show_diffs(out, paths, edits)
            return 0
        if force and not session.confirm(f"Restore the files of {entry.id}, losing changes made since?", yes):
            out.say("nothing was changed", err=True)
            return 0
        done = engine.restore(paths, entry, edits)
        if done is not None:
            out.extra["change_id"] = done.id
    changed = [e for e in edits if not e.internal and e.changes]
    files = [paths.display(e.target) for e in changed]
    out.result({"id": entry.id, "status": "undone", "changed": files})
    out.say(f"undid change {entry.id} ({entry.meta['command']})")
    for edit in changed:
        out.say(f"  {'deleted' if edit.after is None else 'restored'} {paths.display(edit.target)}")
    return 0
