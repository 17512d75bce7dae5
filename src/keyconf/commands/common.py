"""Pieces shared by commands: exit codes, diffs, verification reports. Light: `status` imports it."""

from __future__ import annotations

from keyconf.errors import Exit
from keyconf.masking import mask, remember
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
    shown = False
    for edit in edits:
        if edit.changes and not edit.internal:
            out.say(edit.diff(paths.display).rstrip("\n"))
            shown = True
    if not shown:
        out.say("no changes")


def verify_report(out: Reporter, client: str, finding) -> None:
    if finding.ok:
        out.say(f"  verify: ok, {finding.reason}", style="green")
    else:
        out.say(f"  verify: FAILED, {finding.reason}", style="red")
        if finding.hint:
            out.say(f"  hint: {finding.hint}")


def check_targets(session, targets: dict, deep: bool = False, timeout: float | None = None) -> dict:
    """Verify each client's target; one request per distinct (URL, key, protocol, model)."""
    cache: dict = {}
    return {client: check_cached(cache, target, deep) for client, target in targets.items()}


def check_cached(cache: dict, target, deep: bool = False):
    from keyconf import verify

    remember(target.key)
    ident = (target.root, target.key, target.model, target.protocol, deep)
    if ident not in cache:
        cache[ident] = verify.check(target.root, target.key, model=target.model, protocol=target.protocol,
                                    deep=deep)
    return cache[ident]


def masked(key: str | None) -> str | None:
    return mask(key) if key else None


def confirm(out: Reporter, question: str, yes: bool) -> bool:
    """Ask on a terminal unless --yes (for commands not yet given a Session)."""
    import sys

    if yes or out.json_mode or not sys.stdin.isatty():
        return True
    import click

    return click.confirm(question, default=False, err=True)
