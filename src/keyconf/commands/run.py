"""`keyconf run CLIENT [-- ARGS]`: start the client's own program with a profile for that one process.

The adapter says how (`Adapter.launch`: variables, variables to take out, extra arguments, overlay files in
keyconf's own folder); this module only carries it out, then `exec`s the client, so exit status, signals,
the terminal and the working folder are the client's own. Nothing outside keyconf's folder is written, and
the key travels only in the new process's environment (or is fetched by `keyconf secret` at start).

Kept light on purpose: the path to `exec` imports no httpx, tomlkit or sqlite3, and keyring only when the
profile's key is in the keyring.
"""

from __future__ import annotations

import os
import re
import sys

from keyconf import adapters
from keyconf.adapters.base import Context
from keyconf.errors import KeyconfError, UsageError
from keyconf.masking import mask
from keyconf.osenv.system import which
from keyconf.pipeline import pins
from keyconf.session import Session
from keyconf.stores.state import State

# a word every shell takes as is (zsh expands a leading `=`, old fish a leading `%`: those get quoted)
_BARE = re.compile(r"^[A-Za-z0-9_./:@+,-][A-Za-z0-9_./:=@%+,-]*$")


def run(session: Session, client: str, profile_name: str | None, model: str | None, args: tuple,
        print_: bool, shell: str | None, dry_run: bool) -> int:
    out = session.out
    if out.json_mode and not (print_ or dry_run):
        raise UsageError("--json goes with --print or --dry-run: a started client owns stdout",
                         hint=f"keyconf run {client} --dry-run --json")
    adapter = adapters.get(client)
    ctx = Context(session.paths, State.load(session.paths))
    chosen = pins.choose(session.paths, profile_name)  # --profile, else the folder's pin, else the default
    profile = chosen.profile
    launch = adapter.launch(ctx, profile, model or chosen.model_for(adapter.id))
    user_args = list(args)
    program = launch.program
    if program is None:  # the `shell` client: the command is the user's (default: their shell)
        program = user_args.pop(0) if user_args else (session.env.get("SHELL") or "/bin/sh")
    argv = [program, *launch.argv, *user_args]
    about = f"{adapter.id} with profile {profile.name} ({chosen.why}), {profile.base_url}"

    if print_ or dry_run:
        key = _key(session, profile) if dry_run or launch.key_vars else None
        item = {"client": adapter.id, **chosen.to_json(), "base_url": profile.base_url,
                "key": mask(key) if key else None, "env": dict(launch.env),
                "key_vars": list(launch.key_vars), "unset": list(launch.unset), "argv": argv,
                "files": [str(p) for p in launch.files], "links": len(launch.links), "notes": launch.notes}
        if print_:
            from keyconf.osenv.shellenv import login_shell

            shell = shell or login_shell(session.env, session.paths.platform)
            secret = session_secret_argv(ctx, profile.name)
            item["shell"] = shell
            item["command"] = render(shell, launch, argv, secret)
            if not dry_run:
                _write_overlay(launch)  # the printed line names these files: they must exist
        item["status"] = "planned" if dry_run else "printed"
        out.result(item)
        if print_ and not out.json_mode:
            out.raw(item["command"] + "\n")
            out.say(f"({about}; the key is fetched by `keyconf secret {profile.name}` when the line runs)",
                    err=True)
        elif not out.json_mode:
            _show_plan(out, about, launch, argv, key)
        return 0

    path = _program_path(program, session.env.get("PATH"))
    if path is None:
        where = "is not an executable file" if os.sep in program else "is not on PATH"
        raise UsageError(f"{program} {where}", hint=f"install {adapter.title} first" if launch.program
                         else "give the command after --: keyconf run shell -- python script.py", client=adapter.id)
    env = dict(session.env)
    for name in launch.unset:
        env.pop(name, None)
    env.update(launch.env)
    if launch.key_vars:
        key = _key(session, profile)
        env.update({name: key for name in launch.key_vars})
    _write_overlay(launch)
    out.say(f"keyconf run: {about}", err=True)
    for note in launch.notes:
        out.say(f"  note: {note}", err=True)
    _exec(path, argv, env)
    return 0  # not reached on POSIX


def _program_path(program: str, search: str | None) -> str | None:
    """The program to exec: looked up on PATH, or as given when it names a file (`./tool`, `/usr/bin/env`)."""
    if os.sep in program or (os.altsep and os.altsep in program):
        return program if os.path.isfile(program) and os.access(program, os.X_OK) else None
    return which(program, search)


def _key(session: Session, profile) -> str:
    from keyconf.stores import secretstore  # keyring itself is imported only for a key kept there

    return secretstore.read_key(session.paths, profile)


def session_secret_argv(ctx: Context, profile: str) -> list[str]:
    return ctx.keyconf_argv() + ["secret", profile]


def _write_overlay(launch) -> None:
    """The overlay files, 0600 in keyconf's own 0700 folders; the symlinks follow the user's folder (a link
    to an entry that is gone is taken out)."""
    from keyconf.engine import fsutil

    for path, body in launch.files.items():
        fsutil.ensure_private_dir(path.parent)
        if fsutil.read_bytes(path) != body:
            fsutil.atomic_write(path, body, private=True)
    folders = {link.parent for link in launch.links} | {p.parent for p in launch.files if launch.links}
    for folder in folders:
        fsutil.ensure_private_dir(folder)
        for entry in folder.iterdir():
            if entry.is_symlink() and entry not in launch.links:
                entry.unlink()
    for link, target in launch.links.items():
        if link.is_symlink() and os.readlink(link) == str(target):
            continue
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            continue  # a file the client made here itself (it had none of its own then): kept
        try:
            link.symlink_to(target)
        except FileExistsError:
            pass  # another run made it at the same moment


def _exec(path: str, argv: list[str], env: dict) -> None:
    """Become the client. Python ignores SIGPIPE and SIGXFSZ and an exec keeps ignored signals ignored:
    give the client the defaults it would have had from a shell."""
    import signal

    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no real exec on Windows: wait for the client and hand its exit status on
        import subprocess

        sys.exit(subprocess.call([path, *argv[1:]], env=env))
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execve(path, argv, env)
    except OSError as exc:
        raise KeyconfError(f"could not start {path}: {exc.strerror}", code=2) from None


# ---- --dry-run and --print -------------------------------------------------------------------------------

def _show_plan(out, about: str, launch, argv: list[str], key: str | None) -> None:
    out.say(f"keyconf run would start {about}:")
    for name, value in launch.env.items():
        out.say(f"  set    {name}={value}")
    for name in launch.key_vars:
        out.say(f"  set    {name}={mask(key) if key else '(the key)'}   (the profile's key)")
    for name in launch.unset:
        out.say(f"  unset  {name}")
    for path in launch.files:
        out.say(f"  write  {path}   (keyconf's folder, 0600; no key in it)")
    if launch.links:
        out.say(f"  link   {len(launch.links)} entries of your own folder beside it")
    for note in launch.notes:
        out.say(f"  note: {note}")
    out.say(f"  run    {' '.join(_word('posix', a) for a in argv)}")


def _word(family: str, text: str) -> str:
    from keyconf.osenv.shellenv import quote

    return text if _BARE.match(text) else quote(family, text)


def render(shell: str, launch, argv: list[str], secret: list[str]) -> str:
    """One line for `shell` that starts the client as `keyconf run` would; the key is fetched by `keyconf
    secret` when the line runs, never written into it."""
    from keyconf.osenv.shellenv import FAMILY

    family = FAMILY[shell]
    words = " ".join(_word(family, a) for a in argv)
    fetch = " ".join(_word(family, a) for a in secret)
    if family == "powershell":
        names = [*launch.env, *launch.key_vars, *launch.unset]
        sets = [f"$env:{n} = {_quote(family, v)}" for n, v in launch.env.items()]
        sets += [f"$env:{n} = (& {fetch})" for n in launch.key_vars]
        sets += [f"Remove-Item Env:{n} -ErrorAction SilentlyContinue" for n in launch.unset]
        program, rest = _quote(family, argv[0]), " ".join(_quote(family, a) for a in argv[1:])
        saved = ", ".join(_quote(family, n) for n in names)
        return ("& { $saved = @{}; foreach ($n in @(" + saved + ")) { $saved[$n] = "
                "[Environment]::GetEnvironmentVariable($n) }; try { " + "; ".join(sets) + f"; & {program} {rest}"
                .rstrip() + " } finally { foreach ($n in $saved.Keys) { [Environment]::SetEnvironmentVariable($n, "
                "$saved[$n]) } } }")
    subst = f"\"$({fetch})\"" if family == "posix" else f"({fetch})"
    prefix = [f"{n}={_word(family, v)}" for n, v in launch.env.items()]
    prefix += [f"{n}={subst}" for n in launch.key_vars]
    # assignments before a command go into its environment only; `env -u` takes the stray ones out
    unset = ["env", *(f"-u {n}" for n in launch.unset)] if launch.unset else []
    return " ".join([*prefix, *unset, words])


def _quote(family: str, text: str) -> str:
    from keyconf.osenv.shellenv import quote

    return quote(family, text)
