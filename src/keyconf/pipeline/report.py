"""What a command tells the user: one line per client, its files, notes, verification, and the exit code of the
whole; diffs for --dry-run. Light: `status` imports it."""

from __future__ import annotations

from keyconf.errors import Exit
from keyconf.masking import mask
from keyconf.output import Reporter
from keyconf.paths import Paths


def final_code(codes: list[int], successes: int) -> int:
    """0 when all went well; the shared code when everything failed alike; 8 when it was mixed."""
    failed = [c for c in codes if c]
    if not failed:
        return Exit.OK
    if successes:
        return Exit.PARTIAL
    return failed[0] if len(set(failed)) == 1 else Exit.PARTIAL


def show_diffs(out: Reporter, paths: Paths, edits) -> None:
    """The diff of every user-visible edit; keyconf's own records (profiles, stored keys, state) by name."""
    changed = [e for e in edits if e.changes]
    for edit in changed:
        if not edit.internal:
            out.say(edit.diff(paths.display).rstrip("\n"))
    own = [paths.display(e.target) for e in changed if e.internal]
    if own:
        out.say("keyconf's own records that change: " + ", ".join(own))
    if not changed:
        out.say("no changes")


def verify_report(out: Reporter, client: str, finding) -> None:
    if finding.ok:
        out.say(f"  verify: ok, {finding.reason}", style="green")
    else:
        out.say(f"  verify: FAILED, {finding.reason}", style="red")
        if finding.hint:
            out.say(f"  hint: {finding.hint}")
        out.failed(finding.code, finding.reason, client, finding.hint)
    for warning in getattr(finding, "warnings", None) or ():
        out.say(f"  warning: {warning}", style="yellow")
    for note in getattr(finding, "notes", None) or ():
        out.say(f"  note: {note}")
    info = getattr(finding, "key_info", None)
    if info and info.get("summary"):
        out.say(f"  key: {info['summary']}")


def refuse_reveal_with_json(out: Reporter, reveal: bool, prints: str, thing: str) -> None:
    if reveal and out.json_mode:
        from keyconf.errors import UsageError

        raise UsageError(f"--reveal prints {prints}; --json output is always masked",
                         hint=f"drop --json to get {thing}, or drop --reveal for the masked one")


def masked(key: str | None) -> str | None:
    return mask(key) if key else None


def show(session, change) -> None:
    """--dry-run: the diff of every planned edit, keys masked (every profile's key is looked up first, so
    a key in a file being restored or removed is masked like the one being written)."""
    from keyconf.stores.profiles import Profiles

    for name in Profiles(session.paths).items:
        change.ctx.profile_key(name)  # reading a key remembers it for redaction
    show_diffs(session.out, session.paths, change.edits)


def report(session, change, findings: dict, *, planned: bool = False,
           written: bool = True) -> int:
    """One line per client (and its files, notes, warnings, verification); the exit code of the whole."""
    out, paths = session.out, session.paths
    for c in change.chosen.values():
        for note in c.notes:
            out.say(f"note: {note}", err=True)
    for warning in change.warnings:
        out.warn(warning)
    codes, successes = [], 0
    for client_plan in change.plans:
        finding = findings.get(client_plan.client)
        changed = client_plan.changed if written or planned else []
        c = change.chosen_for(client_plan)
        removing = client_plan.binding is None
        if planned:
            status = "planned"
        elif not written:
            status = "not written"
        elif client_plan.status:
            status = client_plan.status
        elif removing:
            status = "removed" if changed else "unchanged"
        else:
            status = "configured" if changed else "unchanged"
        item = {"client": client_plan.client, "status": status, "changed": changed}
        if c is not None:
            item.update({"profile": c.profile.name, "base_url": c.profile.base_url, "key": masked(c.key)})
        item.update({"verify": finding.to_json() if finding else None, "notes": client_plan.notes,
                     "warnings": client_plan.warnings})
        out.result(item)
        label = {"configured": "configured", "unchanged": "already set, nothing changed",
                 "planned": "would be changed (dry run)", "removed": "keyconf's settings taken out",
                 "not written": "not written"}.get(status, status)
        if removing and status == "unchanged":
            label = "nothing to remove"
        detail = f" (profile {c.profile.name}, {c.profile.base_url}, {masked(c.key)})" if c is not None else ""
        out.say(f"{client_plan.client}: {label}{detail}", style="green" if status in ("configured", "removed")
                else None)
        for edit in client_plan.edits + client_plan.shared:
            if edit.changes and not edit.internal and (written or planned):
                verb = "delete" if edit.after is None else ("restore" if removing else "write")
                out.say(f"  {'would ' + verb if planned else _past(verb)} {paths.display(edit.target)}")
        for note in client_plan.notes:
            out.say(f"  note: {note}")
        for warning in client_plan.warnings:
            out.warn(f"{client_plan.client}: {warning}")
        if finding:
            verify_report(out, client_plan.client, finding)
            codes.append(finding.code)
            successes += finding.ok and written
        else:
            successes += written or planned
    for client, exc in change.failed.items():
        out.error(exc, client)
        out.result({"client": client, "status": "failed", "changed": [], "verify": None})
        codes.append(int(exc.code))
    for name, finding in findings.items():
        if name.startswith("profile "):  # the key of a profile no client uses yet
            out.result({"profile": name.split(" ", 1)[1],
                        "status": status_of_profile(written, planned, change.command),
                        "verify": finding.to_json()})
            out.say(f"{name}: key {'stored' if written and not planned else 'checked'}")
            verify_report(out, name, finding)
            codes.append(finding.code)
            successes += finding.ok
    return final_code(codes, successes)


def status_of_profile(written: bool, planned: bool, command: str = "profile rotate") -> str:
    done = "stored" if command == "profile add" else "rotated"
    return "planned" if planned else (done if written else "not written")


def _past(verb: str) -> str:
    return {"write": "wrote", "delete": "deleted", "restore": "restored"}[verb]
