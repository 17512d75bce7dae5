"""`status`, `verify` and `doctor`: read-only looks at what each client is set to use."""

from __future__ import annotations

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
        if check and st.configured and st.profile:
            _usage_report(ctx, st.profile, item, out)
    if check:
        return final_code([f.code for f in findings.values()], sum(f.ok for f in findings.values()))
    return 0


def _usage_report(ctx: Context, profile_name: str, item: dict, out) -> None:
    """The usage-query settings a cc-switch link carried: shown, never run (running a link's script would let
    a web page run code here)."""
    from keyconf.profiles import Profiles

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


# desktop apps: started from a dock or menu, they read no shell start-up file (and so no proxy set there)
DESKTOP_APPS = ("cursor", "cherry-studio")
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def doctor(session: Session) -> int:
    """Machine-wide checks first (they need no configured client), then each configured client's relay."""
    out = session.out
    ctx = _context(session)
    problems = 0

    def finding(kind: str, text: str, client: str | None = None) -> None:
        nonlocal problems
        problems += kind == "problem"
        out.result({"client": client, "status": kind, "message": text})
        out.say(f"{kind}: {(client + ': ') if client else ''}{text}",
                style={"problem": "red", "warning": "yellow"}.get(kind))

    installed, conflicts = [], 0
    for adapter in adapters.resolve(adapters.CLIENT_IDS):
        st = status_of(adapter, ctx)
        if st.installed:
            installed.append(adapter.id)
        for conflict in st.conflicts:
            conflicts += 1
            finding("problem", conflict, adapter.id)
        if st.configured and running(ctx.env, adapter.process_names):
            finding("warning", f"{adapter.title} is running; restart it to pick up the new settings", adapter.id)
        for hint in adapter.doctor(ctx):
            finding(*hint, adapter.id)
    finding("info", "installed clients: " + (", ".join(installed) if installed else "none found") +
            ("" if ctx.state.bindings else "; none configured by keyconf yet (`keyconf use CLIENT`)"))
    if not conflicts:
        finding("ok", "no variable or start-up file line that would override keyconf's settings")
    _keyring(finding)
    _proxies(session, installed, finding)
    for item in _helper_findings(session, ctx):
        finding(*item)
    for item in _powershell_findings(session, ctx):
        finding(*item)
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
    out.say("no problems found" if not problems else
            f"{problems} problem{'s' if problems != 1 else ''} found")
    return 0 if not problems else Exit.PARTIAL


def _keyring(finding) -> None:
    from keyconf import secretstore

    ok, why = secretstore.KeyringBackend().available()
    finding("ok" if ok else "warning", f"system keyring: {why}" if ok else
            f"no usable system keyring ({why}); keys go to a 0600 file")


def _proxies(session: Session, installed: list[str], finding) -> None:
    env = session.env
    proxy = sorted(k for k in PROXY_VARS if env.get(k))
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy")
    if not proxy:
        finding("ok", "no proxy variables set")
        return
    finding("info", "proxy settings in effect: " + ", ".join(proxy) +
            (f"; NO_PROXY={no_proxy}" if no_proxy else "; NO_PROXY is not set"))
    # A proxy exported from an rc file reaches what starts from a shell, not a desktop app from the dock.
    from keyconf.shellenv import other_setters

    in_rc = other_setters(session.paths, proxy)
    desktop = [c for c in installed if c in DESKTOP_APPS]
    if in_rc and desktop:
        where, _, name = in_rc[0].partition(" sets ")
        finding("warning", f"{name} is only exported in a shell ({where}); {', '.join(desktop)} started from a "
                           "dock or menu won't use that proxy")


def _helper_findings(session: Session, ctx: Context) -> list[tuple[str, str, str]]:
    """With --no-plaintext a client runs keyconf to get the key: run that command as the client would and
    check it prints the profile's key (its output is compared, never shown)."""
    found = []
    for client in ("claude-code", "codex"):
        binding = ctx.state.bindings.get(client)
        if binding is None or not binding.options.no_plaintext:
            continue
        what = "apiKeyHelper" if client == "claude-code" else "auth command"
        argv = _client_command(ctx, client)
        if not argv:
            found.append(("problem", f"no {what} found in the client's settings; run `keyconf use {client} "
                                     "--no-plaintext` again", client))
            continue
        found.append(_run_key_command(session, argv, ctx.profile_key(binding.profile), what, client))
    return found


def _client_command(ctx: Context, client: str) -> list[str] | None:
    """The command a client runs for its key, as written in its settings."""
    import shlex

    adapter = adapters.get(client)
    if client == "claude-code":
        helper = adapter._read_settings(ctx)[0].get("apiKeyHelper")
        try:
            return shlex.split(helper) if helper else None
        except ValueError:
            return [helper]
    data = adapter._read(ctx)[0]
    auth = ((data.get("model_providers") or {}).get("keyconf") or {}).get("auth") or {}
    command, args = auth.get("command"), auth.get("args") or []
    if not isinstance(command, str) or not all(isinstance(a, str) for a in args):
        return None
    return [command, *args]


def _run_key_command(session: Session, argv: list[str], expected: str | None, what: str,
                     client: str) -> tuple[str, str, str]:
    import subprocess

    from keyconf.masking import mask
    from keyconf.system import fragile_command_warning

    shown = " ".join(argv[:1] + ["…"] * (len(argv) > 1))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                              env=dict(session.env))
    except (OSError, subprocess.SubprocessError) as exc:
        return ("problem", f"its {what} ({shown}) cannot run: {type(exc).__name__}: "
                           f"{getattr(exc, 'strerror', None) or exc}; run `keyconf use {client} --no-plaintext` "
                           "again from a keyconf that stays installed", client)
    printed = done.stdout.strip()
    if done.returncode != 0 or not printed:
        return ("problem", f"its {what} ({shown}) exits {done.returncode} without printing a key", client)
    if expected is not None and printed != expected:
        return ("problem", f"its {what} prints a {len(printed)}-character value, not the profile's key "
                           f"({mask(expected)})", client)
    fragile = fragile_command_warning(argv, f"its {what}")
    if fragile:
        return ("warning", fragile, client)
    return ("ok", f"its {what} runs and prints the profile's key ({mask(printed)})", client)


def _powershell_findings(session: Session, ctx: Context) -> list[tuple[str, str, str]]:
    """Where keyconf put a block in a PowerShell profile: will PowerShell run it? Windows PowerShell's
    default policy (Restricted) runs no profile at all."""
    from keyconf import shellenv

    if not any(b.env is not None and "powershell" in b.env.shells for b in ctx.state.bindings.values()):
        return []
    effective, user = shellenv.execution_policy(session.paths)
    if effective is None:
        return [("info", "no PowerShell found to ask for its execution policy", "shell")]
    said = f"PowerShell execution policy {effective} (CurrentUser: {user or 'Undefined'})"
    if shellenv.runs_scripts(effective):
        return [("ok", f"{said}: the profile block runs", "shell")]
    where = ("the user variables (registry) still apply" if session.paths.platform == "windows"
             else "new PowerShell windows won't see the variables")
    return [("warning", f"{said}: PowerShell runs no profile script, so keyconf's block does nothing; {where}; "
                        "`Set-ExecutionPolicy -Scope CurrentUser RemoteSigned` lets it run", "shell")]
