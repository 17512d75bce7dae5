"""`keyconf status`: what each client is set to use, read back from its files (no network unless --verify)."""

from __future__ import annotations

from keyconf.adapters.base import Context
from keyconf.errors import KeyconfError
from keyconf.pipeline.checks import check_targets
from keyconf.pipeline.readback import context, pick, status_of, targets_of
from keyconf.pipeline.report import final_code, verify_report
from keyconf.session import Session


def status(session: Session, names, check: bool = False) -> int:
    """What each client is set to; with `check` (status --verify) also what the relay says, all at once."""
    out = session.out
    ctx = context(session)
    chosen = pick(ctx, names, False, default_bound=False)
    statuses = [(adapter, status_of(adapter, ctx)) for adapter in chosen]
    findings = check_targets(session, targets_of(ctx, [a for a, st in statuses if st.configured]),
                                   with_key_info=True) if check else {}
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
        if check and st.configured and st.profile:
            _usage_report(ctx, st.profile, item, out)
    _say_run_profile(session)
    if check:
        return final_code([f.code for f in findings.values()], sum(f.ok for f in findings.values()))
    return 0


def _say_run_profile(session: Session) -> None:
    """The profile `keyconf run` would use in this folder, and why (flag, pin file, default)."""
    from keyconf.pipeline import pins

    here = pins.describe(session.paths)
    session.out.extra["run"] = here
    if here.get("error"):
        session.out.say(f"keyconf run here: {here['error']}", style="yellow")
    elif here["profile"]:
        why = f"pinned by {here['pin_file']}" if here["source"] == "pin" else "the default profile"
        session.out.say(f"keyconf run here: profile {here['profile']} ({why})")


def _usage_report(ctx: Context, profile_name: str, item: dict, out) -> None:
    """The usage-query settings a cc-switch link carried: shown, never run (running a link's script would let
    a web page run code here)."""
    from keyconf.stores.profiles import Profiles

    profile = Profiles(ctx.paths).items.get(profile_name)
    if profile is None or not profile.usage:
        return
    usage = dict(profile.usage)
    script = usage.pop("script", None)
    item["usage"] = {**usage, **({"script_chars": len(script)} if script else {})}
    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in usage.items())
    if script:
        shown += (", " if shown else "") + f"a script of {len(script)} characters"
    out.say(f"  usage settings from the link (kept, never run): {shown}")


def _key_matches_profile(ctx: Context, adapter, st) -> None:
    """A profile's key is one key: flag a client whose configured key is another. Only for keys in the file
    store (asking the system keyring would cost `status` its speed)."""
    binding = ctx.binding(adapter.id)
    if not st.configured or binding is None or binding.via == "env":
        return
    from keyconf.stores.profiles import Profiles

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
