"""`status`, `verify` and `doctor`: read-only looks at what each client is set to use."""

from __future__ import annotations

import os

from keyconf import adapters
from keyconf.adapters.base import Context
from keyconf.commands.common import check_targets, final_code, masked, verify_report
from keyconf.commands.readback import status_of, target_of
from keyconf.errors import Exit, KeyconfError
from keyconf.session import Session
from keyconf.state import State
from keyconf.system import running


def _context(session: Session) -> Context:
    return Context(session.paths, State.load(session.paths))


def _pick(ctx: Context, names, use_all: bool, default_bound: bool) -> list:
    if names:
        return adapters.resolve(names)
    if use_all:
        return adapters.resolve(adapters.CLIENT_IDS)
    if default_bound and ctx.state.bindings:
        return adapters.resolve([c for c in adapters.CLIENT_IDS if c in ctx.state.bindings])
    return adapters.resolve(adapters.CLIENT_IDS)


def status(session: Session, names, check: bool = False) -> int:
    """What each client is set to; with `check` (status --verify) also what the relay says, all at once."""
    out = session.out
    ctx = _context(session)
    chosen = _pick(ctx, names, False, default_bound=False)
    statuses = [(adapter, status_of(adapter, ctx)) for adapter in chosen]
    findings = _check_configured(session, ctx, [a for a, st in statuses if st.configured]) if check else {}
    for adapter, st in statuses:
        _key_matches_profile(ctx, adapter, st)
        item = st.to_json()
        finding = findings.get(adapter.id)
        if check:
            item["verify"] = finding.to_json() if finding else None
        out.result(item)
        state = "configured" if st.configured else ("installed, not configured" if st.installed
                                                    else "not installed")
        out.say(f"{adapter.id}: {state}", style="green" if st.configured else None)
        if st.configured:
            detail = [f"profile {st.profile or '(set outside keyconf)'}"]
            if st.via:
                detail.append(f"via {st.via}")
            out.say(f"  {', '.join(detail)}")
            out.say(f"  base URL {st.base_url}   key {st.key or '(none)'}")
            if st.model:
                out.say(f"  model {st.model}")
        if st.where:
            out.say(f"  in {', '.join(st.where)}")
        for note in st.notes:
            out.say(f"  note: {note}")
        for conflict in st.conflicts:
            out.say(f"  conflict: {conflict}", style="yellow")
        if finding:
            verify_report(out, adapter.id, finding)
    if check:
        return final_code([f.code for f in findings.values()], sum(f.ok for f in findings.values()))
    return 0


def _check_configured(session: Session, ctx: Context, configured) -> dict:
    targets = []
    for adapter in configured:
        try:
            target = target_of(adapter, ctx)
        except KeyconfError:
            continue
        if target is not None:
            target.client = adapter.id
            targets.append(target)
    return check_targets(session, targets, with_key_info=True)


def _key_matches_profile(ctx: Context, adapter, st) -> None:
    """A profile's key is one key: flag a client whose configured key is another. Only for keys in the file
    store (asking the system keyring would cost `status` its speed)."""
    binding = ctx.binding(adapter.id)
    if not st.configured or binding is None or binding.via == "env":
        return
    from keyconf.profiles import Profiles

    profile = Profiles(ctx.paths).items.get(binding.profile or "")
    if profile is None:
        st.conflicts.append(f"its profile {binding.profile!r} no longer exists")
        return
    if profile.secret_store != "file":
        return
    try:
        target = adapter.target(ctx)
    except KeyconfError:
        return
    stored = ctx.profile_key(profile.name)
    if target is not None and target.key and stored and target.key != stored:
        st.conflicts.append(f"its key differs from profile {profile.name}'s key; `keyconf use {adapter.id}` "
                            "writes the profile's key again")


def verify(session: Session, names, use_all: bool, deep: bool, timeout: float | None = None) -> int:
    """Every client at once: one request per distinct (URL, key); each line printed as soon as known."""
    out = session.out
    ctx = _context(session)
    codes, successes, targets = [], 0, []
    for adapter in _pick(ctx, names, use_all, default_bound=True):
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

    check_targets(session, targets, deep, timeout, on_result=report, with_key_info=True)
    if not codes:
        out.say("no configured client to verify; run `keyconf use CLIENT` first")
    return final_code(codes, successes)


def doctor(session: Session) -> int:
    out = session.out
    ctx = _context(session)
    problems = 0

    def finding(kind: str, text: str, client: str | None = None) -> None:
        nonlocal problems
        problems += kind == "problem"
        out.result({"client": client, "status": kind, "message": text})
        out.say(f"{kind}: {(client + ': ') if client else ''}{text}",
                style={"problem": "red", "warning": "yellow"}.get(kind))

    for adapter in adapters.resolve(adapters.CLIENT_IDS):
        st = status_of(adapter, ctx)
        for conflict in st.conflicts:
            finding("problem", conflict, adapter.id)
        if st.configured and running(ctx.env, adapter.process_names):
            finding("warning", f"{adapter.title} is running; restart it to pick up the new settings", adapter.id)
        for hint in adapter.doctor(ctx):
            finding(*hint, adapter.id)
    from keyconf import secretstore

    ok, why = secretstore.KeyringBackend().available()
    finding("ok" if ok else "warning", f"system keyring: {why}" if ok else
            f"no usable system keyring ({why}); keys go to a 0600 file")
    proxy = {k: v for k, v in os.environ.items() if k.lower() in ("https_proxy", "http_proxy", "all_proxy")}
    if proxy:
        finding("info", "proxy settings in effect: " + ", ".join(sorted(proxy)) +
                (f"; NO_PROXY={os.environ.get('NO_PROXY') or os.environ.get('no_proxy')}"
                 if os.environ.get("NO_PROXY") or os.environ.get("no_proxy") else "; NO_PROXY is not set"))
    targets = []
    for adapter in adapters.resolve([c for c in adapters.CLIENT_IDS if c in ctx.state.bindings]):
        try:
            target = target_of(adapter, ctx)
        except KeyconfError as exc:
            finding("problem", exc.message, adapter.id)
            continue
        if target is not None:
            target.client = adapter.id
            targets.append(target)

    def relay(target, result) -> None:
        if result.ok:
            finding("ok", f"relay {target.root} accepts the key ({result.reason})", target.client)
        else:
            finding("problem", f"{result.reason}. {result.hint}", target.client)

    check_targets(session, targets, on_result=relay)
    if not problems:
        out.say("no problems found")
    return 0 if not problems else Exit.PARTIAL
