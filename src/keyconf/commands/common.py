"""Pieces shared by commands: exit codes, diffs, verification reports. Light: `status` imports it."""

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


def check_targets(session, targets: list, deep: bool = False, timeout: float | None = None,
                  cache: dict | None = None, on_result=None, with_key_info: bool = False) -> dict:
    """Verify targets concurrently, one request per distinct (URL, key) (per model too with `deep`); a
    spinner with the client names on a terminal meanwhile. Returns {client: Finding}."""
    from keyconf import verify
    from keyconf.progress import Spinner

    targets = list(targets)
    if not targets:
        return {}
    with Spinner([t.client for t in targets], enabled=not session.out.json_mode) as spin:
        def done(target, finding):
            if on_result:
                with spin.paused(done=target.client):
                    on_result(target, finding)

        return verify.check_many(targets, deep=deep, timeout=timeout, cache=cache, on_result=done,
                                 with_key_info=with_key_info)


def masked(key: str | None) -> str | None:
    return mask(key) if key else None

