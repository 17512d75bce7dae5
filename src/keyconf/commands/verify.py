"""`keyconf verify`: the Base URL and key each client is set to use, checked against the relay, all at once."""

from __future__ import annotations

from keyconf.errors import Exit, KeyconfError
from keyconf.pipeline.checks import check_targets
from keyconf.pipeline.readback import context, pick, target_of
from keyconf.pipeline.report import final_code, masked, verify_report
from keyconf.session import Session


def verify(session: Session, names, use_all: bool, deep: bool, timeout: float | None = None) -> int:
    """Every client at once: one request per distinct (URL, key); each line printed as soon as known."""
    out = session.out
    ctx = context(session)
    codes, successes, targets = [], 0, []
    for adapter in pick(ctx, names, use_all, default_bound=True):
        try:
            target = target_of(adapter, ctx)
        except KeyconfError as exc:
            out.error(exc, adapter.id)
            codes.append(int(exc.code))
            continue
        if target is None:
            if names:
                exc = KeyconfError(f"{adapter.id} is not configured", hint=f"run `keyconf use {adapter.id}`",
                                   code=Exit.USAGE)
                out.error(exc, adapter.id)
                codes.append(int(exc.code))
            continue
        target.client = adapter.id
        targets.append(target)

    def report(target, finding) -> None:
        nonlocal successes
        out.result({"client": target.client, "status": "ok" if finding.ok else "failed", "base_url": target.root,
                    "key": masked(target.key), "verify": finding.to_json()})
        out.say(f"{target.client}: {target.root} {masked(target.key)}")
        verify_report(out, target.client, finding)
        codes.append(finding.code)
        successes += finding.ok

    pinned = _pinned_target(session)
    if pinned is not None:
        targets.append(pinned)
    check_targets(session, targets, deep, timeout, on_result=report, with_key_info=True)
    if not codes:
        out.say("no configured client to verify; run `keyconf use CLIENT` first")
    return final_code(codes, successes)


def _pinned_target(session: Session):
    """A .keyconf.toml over this folder: its profile (what `keyconf run` uses here) is checked too. A pin
    naming a profile keyconf does not have stops the command (exit 2, the file named)."""
    from pathlib import Path

    from keyconf.model import Target
    from keyconf.pipeline import pins
    from keyconf.stores import secretstore

    if pins.find(Path.cwd()) is None:
        return None
    chosen = pins.choose(session.paths, None)
    profile = chosen.profile
    session.out.say(f"pinned here: profile {profile.name} ({chosen.why})", err=True)
    return Target(profile.base_url, secretstore.read_key(session.paths, profile), "chat",
                  client=f"pinned profile {profile.name}")
