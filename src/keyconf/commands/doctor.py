"""`keyconf doctor`: what would break a config, machine-wide first (variables, proxies, keyring, the key
commands of --no-plaintext clients, PowerShell's policy), then each configured client's relay."""

from __future__ import annotations

from keyconf import adapters
from keyconf.adapters.base import Context
from keyconf.errors import Exit
from keyconf.osenv.system import running
from keyconf.pipeline.checks import check_targets
from keyconf.pipeline.readback import context, status_of, targets_of
from keyconf.session import Session

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def doctor(session: Session) -> int:
    """Machine-wide checks first (they need no configured client), then each configured client's relay."""
    out = session.out
    ctx = context(session)
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
    _keyring(session, finding)
    _proxies(session, installed, finding)
    for item in _helper_findings(session, ctx):
        finding(*item)
    for item in _powershell_findings(session, ctx):
        finding(*item)
    bound = adapters.resolve([c for c in adapters.CLIENT_IDS if c in ctx.state.bindings])
    targets = targets_of(ctx, bound, on_error=lambda adapter, exc: finding("problem", exc.message, adapter.id))

    def relay(target, result) -> None:
        if result.ok:
            finding("ok", f"relay {target.root} accepts the key ({result.reason})", target.client)
        else:
            finding("problem", f"{result.reason}. {result.hint}", target.client)

    check_targets(session, targets, on_result=relay)
    out.say("no problems found" if not problems else
            f"{problems} problem{'s' if problems != 1 else ''} found")
    return 0 if not problems else Exit.PARTIAL


def _keyring(session: Session, finding) -> None:
    from keyconf.stores import secretstore

    ok, why = secretstore.KeyringBackend(session.paths.settings.keyring_timeout).available()
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
    from keyconf.osenv.shellenv import other_setters

    in_rc = other_setters(session.paths, proxy)
    # desktop apps: started from a dock or menu, they read no shell start-up file (and so no proxy set there)
    desktop = [c for c in installed if adapters.get(c).desktop_app]
    if in_rc and desktop:
        where, _, name = in_rc[0].partition(" sets ")
        finding("warning", f"{name} is only exported in a shell ({where}); {', '.join(desktop)} started from a "
                           "dock or menu won't use that proxy")


def _helper_findings(session: Session, ctx: Context) -> list[tuple[str, str, str]]:
    """With --no-plaintext a client runs keyconf to get the key: run that command as the client would and
    check it prints the profile's key (its output is compared, never shown)."""
    found = []
    for adapter in adapters.resolve([c for c in adapters.CLIENT_IDS if c in ctx.state.bindings]):
        client, binding = adapter.id, ctx.state.bindings[adapter.id]
        if not binding.options.no_plaintext or not adapter.key_command_name:
            continue
        what = adapter.key_command_name
        argv = adapter.key_command(ctx)
        if not argv:
            found.append(("problem", f"no {what} found in the client's settings; run `keyconf use {client} "
                                     "--no-plaintext` again", client))
            continue
        found.append(_run_key_command(session, argv, ctx.profile_key(binding.profile), what, client))
    return found


def _run_key_command(session: Session, argv: list[str], expected: str | None, what: str,
                     client: str) -> tuple[str, str, str]:
    import subprocess

    from keyconf.masking import mask
    from keyconf.osenv.system import fragile_command_warning

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
    from keyconf.osenv import shellenv

    # the clients whose variables the PowerShell block sets: the findings are theirs
    clients = ", ".join(c for c, b in ctx.state.bindings.items() if b.env is not None and "powershell" in b.env.shells)
    if not clients:
        return []
    effective, user = shellenv.execution_policy(session.paths)
    if effective is None:
        return [("info", "no PowerShell found to ask for its execution policy", clients)]
    said = f"PowerShell execution policy {effective} (CurrentUser: {user or 'Undefined'})"
    if shellenv.runs_scripts(effective):
        return [("ok", f"{said}: the profile block runs", clients)]
    where = ("the user variables (registry) still apply" if session.paths.platform == "windows"
             else "new PowerShell windows won't see the variables")
    return [("warning", f"{said}: PowerShell runs no profile script, so keyconf's block does nothing; {where}; "
                        "`Set-ExecutionPolicy -Scope CurrentUser RemoteSigned` lets it run", clients)]
