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
    from keyconf import verify

    if deep:
        cache: dict = {}
        return {client: check_cached(cache, target, deep) for client, target in targets.items()}
    pairs: dict = {}
    found = {}
    for client, target in targets.items():
        remember(target.key)
        pair = (target.root, target.key)
        if pair not in pairs:
            pairs[pair] = verify.check(target.root, target.key)  # one request per (URL, key)
        found[client] = _with_model(pairs[pair], target.model)
    return found


def _with_model(finding, model: str | None):
    """The key's check narrowed to the model the client will ask for."""
    from keyconf import verify
    from keyconf.errors import Exit

    if not finding.ok or not model or not finding.models or model in finding.models:
        return finding
    import difflib

    close = difflib.get_close_matches(model, finding.models, n=5, cutoff=0.3)
    return verify.Finding(False, Exit.NO_ACCESS, f"model {model!r} is not available to this key",
                          "available group: choose one of " + ", ".join(close or finding.models[:5]),
                          models=finding.models, checked=finding.checked)


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
