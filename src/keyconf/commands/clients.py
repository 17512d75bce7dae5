"""`use` and `remove`: plan every client, carry the plans out as one transaction, then verify."""

from __future__ import annotations

from dataclasses import dataclass

from keyconf import adapters, engine
from keyconf.adapters.base import ClientPlan, Context, UseOptions
from keyconf.commands.common import check_cached, confirm, final_code, masked, show_diffs, verify_report
from keyconf.commands.profile_input import KeySource, choose_profile, save_profile
from keyconf.errors import KeyconfError, UsageError
from keyconf.output import Reporter
from keyconf.paths import Paths
from keyconf.state import State


@dataclass
class RunFlags:
    dry_run: bool = False
    no_verify: bool = False
    yes: bool = False
    deep: bool = False
    no_open: bool = False


def _check_options(adapter, opts: UseOptions) -> None:
    if opts.via not in adapter.vias:
        raise UsageError(f"{adapter.id} cannot be configured --via {opts.via}",
                         hint=f"{adapter.id} supports: {', '.join(adapter.vias)}", client=adapter.id)
    if opts.no_plaintext and not adapter.supports_no_plaintext:
        raise UsageError(f"{adapter.id} cannot read its key from keyconf at run time, so --no-plaintext "
                         "is not possible for it", hint="drop --no-plaintext for this client", client=adapter.id)


def _options_for(opts) -> callable:
    return opts if callable(opts) else (lambda client: opts)


def _plan_all(ctx: Context, chosen, names, opts, out: Reporter) -> tuple[list[ClientPlan], dict]:
    plans, failed = [], {}
    for adapter in names:
        try:
            client_opts = _options_for(opts)(adapter.id)
            if client_opts.model is None:
                # a re-run without --model keeps the model this client was given before
                client_opts = client_opts.with_model(ctx.state.bindings.get(adapter.id, {}).get("model"))
            _check_options(adapter, client_opts)
            plans.append(adapter.plan_use(ctx, chosen.profile, chosen.key, client_opts))
        except KeyconfError as exc:
            failed[adapter.id] = exc
    return plans, failed


def _commit(ctx: Context, plans: list[ClientPlan], command: str, known_keys: dict | None = None):
    """All edits of one change: the clients' files, the shared shell files, and keyconf's state."""
    paths, state = ctx.paths, ctx.state
    was_env = {c for c, b in state.bindings.items() if b.get("via") == "env"}
    had_env = bool(state.shell_files or state.registry or was_env)
    for plan in plans:
        if plan.binding is None:
            state.bindings.pop(plan.client, None)
        else:
            state.bindings[plan.client] = plan.binding
    edits = [e for plan in plans for e in plan.edits]
    if had_env or any(b.get("via") == "env" for b in state.bindings.values()):
        from keyconf import shellenv

        known = dict(known_keys or {})

        def key_of(profile: str) -> str:
            if profile not in known:
                known[profile] = ctx.profile_key(profile)
            return known[profile]

        shell_edits, state.shell_files = shellenv.plan(paths, state.bindings, state.shell_files, key_of)
        if paths.platform == "windows":
            from keyconf import winenv

            shell_edits += winenv.plan(shellenv.variables(state.bindings, key_of), state)
        edits += shell_edits
        for plan in plans:
            if plan.client in was_env or (plan.binding or {}).get("via") == "env":
                plan.shared = shell_edits
    edits.append(state.edit())
    return edits, (lambda: engine.apply(paths, edits, command=command,
                                        extra={"clients": [p.client for p in plans]}))


def use(names: list[str], use_all: bool, src: KeySource, opts, flags: RunFlags, out: Reporter) -> int:
    """`opts` is one UseOptions for every client, or a function giving each client its own."""
    paths = Paths.from_environ()
    chosen_adapters = adapters.resolve(names, use_all) if names or use_all else []
    if flags.dry_run:
        chosen = choose_profile(paths, src)
        ctx = Context(paths, State.load(paths))
        plans, failed = _plan_all(ctx, chosen, chosen_adapters, opts, out)
        edits, _ = _commit(ctx, plans, "use", {chosen.profile.name: chosen.key})
        show_diffs(out, paths, edits)
        return _report(out, paths, chosen, plans, failed, {}, planned=True)
    with engine.locked(paths):
        chosen = choose_profile(paths, src)
        ctx = Context(paths, State.load(paths))
        plans, failed = _plan_all(ctx, chosen, chosen_adapters, opts, out)
        replaced = [r for plan in plans for r in plan.replaces]
        if replaced:
            out.say("This replaces settings made outside keyconf (`keyconf remove` gives them back):", err=True)
            for line in replaced:
                out.say(f"  {line}", err=True)
            if not confirm(out, "Go on?", flags.yes):
                out.say("nothing was changed", err=True)
                return 0
        if plans:
            save_profile(paths, chosen, src, out)
            _, run = _commit(ctx, plans, "use", {chosen.profile.name: chosen.key})
            entry = run()
            if entry:
                out.extra["change_id"] = entry.id
    for plan in plans:
        if plan.link:
            _hand_over_link(ctx, plan, flags.no_open, out)
    findings = {}
    if not flags.no_verify:
        cache: dict = {}
        for plan in plans:
            target = adapters.get(plan.client).target(ctx)
            if target is not None:
                findings[plan.client] = check_cached(cache, target, flags.deep)
    return _report(out, paths, chosen, plans, failed, findings)


def _hand_over_link(ctx: Context, plan: ClientPlan, no_open: bool, out: Reporter) -> None:
    """Open an import link with the OS handler, or show how to get it (the full link holds the key)."""
    adapter = adapters.get(plan.client)
    link, masked_link = plan.link
    if not no_open and adapter.can_open(ctx):
        adapter.open(ctx, link)
        plan.notes.append(f"opened the import link in {adapter.title}: confirm the import in its dialog")
        return
    reason = "--no-open was given" if no_open else f"no {adapter.title} link handler is registered"
    plan.notes.append(f"{reason}; the link (key masked) is {masked_link}")
    plan.notes.append(f"print the full link with `keyconf link {plan.client} --reveal` (it contains your key) "
                      f"and open it where {adapter.title} runs, or use `keyconf link {plan.client} --open`")


def _report(out: Reporter, paths: Paths, chosen, plans, failed, findings, planned: bool = False) -> int:
    codes, successes = [], 0
    for plan in plans:
        finding = findings.get(plan.client)
        changed = plan.changed
        status = "planned" if planned else ("configured" if changed or plan.link else "unchanged")
        item = {"client": plan.client, "status": status, "changed": changed, "profile": chosen.profile.name,
                "base_url": chosen.profile.base_url, "key": masked(chosen.key),
                "verify": finding.to_json() if finding else None, "notes": plan.notes, "warnings": plan.warnings}
        out.result(item)
        label = {"configured": "configured", "unchanged": "already set, nothing changed",
                 "planned": "would be configured (dry run)"}[status]
        out.say(f"{plan.client}: {label} (profile {chosen.profile.name}, {chosen.profile.base_url}, "
                f"{masked(chosen.key)})", style="green" if status != "planned" else None)
        for path in changed:
            out.say(f"  {'would write' if planned else 'wrote'} {paths.display(path)}")
        for note in plan.notes:
            out.say(f"  note: {note}")
        for warning in plan.warnings:
            out.warn(f"{plan.client}: {warning}")
        if finding:
            verify_report(out, plan.client, finding)
            codes.append(finding.code)
            if finding.ok:
                successes += 1
        else:
            successes += 1
    for client, exc in failed.items():
        out.error(exc, client)
        out.result({"client": client, "status": "failed", "changed": [], "profile": chosen.profile.name,
                    "base_url": chosen.profile.base_url, "key": masked(chosen.key), "verify": None})
        codes.append(int(exc.code))
    if findings and any(not f.ok for f in findings.values()):
        out.say("The settings were written; fix the problem above and run `keyconf verify`, "
                "or `keyconf undo` to put the files back.", err=True)
    return final_code(codes, successes)


def remove(names: list[str], use_all: bool, flags: RunFlags, out: Reporter) -> int:
    paths = Paths.from_environ()
    if use_all:
        names = list(State.load(paths).bindings)
        if not names:
            out.say("keyconf has not configured any client; nothing to remove")
            return 0
    chosen_adapters = adapters.resolve(names)
    with engine.locked(paths):
        ctx = Context(paths, State.load(paths))
        plans, failed = [], {}
        for adapter in chosen_adapters:
            if adapter.id not in ctx.state.bindings:
                plan = ClientPlan(adapter.id)
                plan.notes.append(f"keyconf has not configured {adapter.title}; nothing to remove")
                plans.append(plan)
                continue
            try:
                plans.append(adapter.plan_remove(ctx))
            except KeyconfError as exc:
                failed[adapter.id] = exc
        edits, run = _commit(ctx, plans, "remove")
        if flags.dry_run:
            show_diffs(out, paths, edits)
        else:
            entry = run()
            if entry:
                out.extra["change_id"] = entry.id
    codes = []
    for plan in plans:
        changed = plan.changed
        status = "planned" if flags.dry_run else ("removed" if changed else "unchanged")
        out.result({"client": plan.client, "status": status, "changed": changed, "notes": plan.notes})
        out.say(f"{plan.client}: " + ("keyconf's settings taken out" if changed else "nothing to remove"))
        for edit in plan.edits + plan.shared:
            if edit.changes and not edit.internal:
                verb = "delete" if edit.after is None else "restore"
                out.say(f"  {'would ' + verb if flags.dry_run else verb + 'd'} {paths.display(edit.target)}")
        for note in plan.notes:
            out.say(f"  note: {note}")
    for client, exc in failed.items():
        out.error(exc, client)
        codes.append(int(exc.code))
    return final_code(codes, len(plans))


def rotate(name: str | None, key_stdin: bool, key_env: str | None, flags: RunFlags, out: Reporter) -> int:
    """A new key for a profile, written everywhere the profile is used, each client as it was set up."""
    from keyconf.keyinput import read_key
    from keyconf.profiles import Profiles

    paths = Paths.from_environ()
    profile = Profiles(paths).get(name)
    key = read_key(key_stdin=key_stdin, key_env=key_env, prompt=True)
    bindings = State.load(paths).bindings
    bound = sorted(c for c, b in bindings.items() if b.get("profile") == profile.name)

    def opts_for(client: str) -> UseOptions:
        return UseOptions.from_binding(bindings[client])

    src = KeySource(profile=profile.name, key=key)
    if not bound:
        out.say(f"profile {profile.name}: no client uses it yet; only the stored key changes")
    code = use(bound, False, src, opts_for, flags, out)
    if not bound and not flags.dry_run:
        with engine.locked(paths):
            save_profile(paths, choose_profile(paths, src), src, out)
        out.result({"profile": profile.name, "status": "rotated", "key": masked(key)})
    return code
