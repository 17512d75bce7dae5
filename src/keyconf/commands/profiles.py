"""`profile list|show|rm` and `secret`."""

from __future__ import annotations

from keyconf import secretstore
from keyconf.commands.common import masked
from keyconf.errors import KeyconfError, UsageError
from keyconf.model import Request
from keyconf.profiles import Profiles
from keyconf.session import Session
from keyconf.state import State


def list_(session: Session) -> int:
    out = session.out
    profiles = Profiles(session.paths)
    state = State.load(session.paths)
    if not profiles.items:
        out.say("no profiles yet; `keyconf use CLIENT` creates one")
        return 0
    out.say(f"  {'PROFILE':<20} {'BASE URL':<40} {'STORE':<8} CLIENTS")
    for profile in profiles.items.values():
        default = profile.name == profiles.default
        clients = state.clients_of(profile.name)
        out.result({"profile": profile.name, "base_url": profile.base_url, "default": default,
                    "secret_store": profile.secret_store, "clients": clients})
        out.say(f"{'*' if default else ' '} {profile.name:<20} {profile.base_url:<40} "
                f"{profile.secret_store:<8} {', '.join(clients) or '-'}")
    out.say("(* = the default profile; change it with `keyconf profile default NAME`)")
    return 0


def show(session: Session, name: str | None) -> int:
    out = session.out
    profiles = Profiles(session.paths)
    profile = profiles.get(name)
    try:
        key = masked(secretstore.read_key(session.paths, profile))
    except KeyconfError as exc:
        key = f"(unavailable: {exc.message})"
    clients = State.load(session.paths).clients_of(profile.name)
    out.result({"profile": profile.name, "base_url": profile.base_url, "key": key,
                "secret_store": profile.secret_store,
                "default": profile.name == profiles.default, "clients": clients})
    out.say(f"profile      {profile.name}{' (default)' if profile.name == profiles.default else ''}")
    out.say(f"base URL     {profile.base_url}")
    out.say(f"key          {key}   (in the {profile.secret_store} store)")
    out.say(f"used by      {', '.join(clients) or '-'}")
    return 0


def remove(session: Session, name: str, force: bool, yes: bool, dry_run: bool = False) -> int:
    """Delete a profile and its key, in one journaled change (so `undo` brings both back)."""
    from keyconf.commands import change as pipeline

    out = session.out
    with session.lock():
        profile = Profiles(session.paths).get(name)
        clients = State.load(session.paths).clients_of(profile.name)
        if clients and not force:
            raise UsageError(f"profile {name!r} is still used by {', '.join(clients)}",
                             hint=f"run `keyconf remove {' '.join(clients)}` first, or pass --force to take "
                                  "keyconf's settings out of them in the same change")
        if not dry_run and not session.confirm(f"Delete profile {profile.name} and its stored key?", yes):
            out.say("nothing was changed", err=True)
            return 0

        def drop(book, secrets) -> None:
            book.remove(profile.name)
            secrets.delete(profile.secret_store, profile.name)

        # --force: the clients that use it lose keyconf's settings in the same change (a binding to a
        # profile that is gone would leave them, and the shell files, without a key)
        requests = [Request(client, "remove") for client in clients]
        change = pipeline.plan(session, "profile rm", requests, profile_changes=drop)
        if dry_run:
            pipeline.show(session, change)
            return pipeline.report(session, change, {}, planned=True)
        pipeline.commit(session, change)
    if requests:
        pipeline.report(session, change, {})
    out.result({"profile": profile.name, "status": "removed", "clients": clients})
    out.say(f"removed profile {profile.name} and its key (`keyconf undo` brings them back)")
    return 0


def default(session: Session, name: str, dry_run: bool = False) -> int:
    """Choose the profile that commands use when no --profile is given."""
    from keyconf.commands import change as pipeline

    with session.lock():
        Profiles(session.paths).get(name)

        def choose(book, secrets) -> None:
            book.default = name

        change = pipeline.plan(session, "profile default", [], profile_changes=choose)
        if dry_run:
            pipeline.show(session, change)
            return 0
        pipeline.commit(session, change)
    session.out.result({"profile": name, "status": "default"})
    session.out.say(f"{name} is now the default profile")
    return 0


def secret(session: Session, name: str | None) -> int:
    """The one command that prints a key: for apiKeyHelper and Codex's auth command."""
    profile = Profiles(session.paths).get(name)
    key = secretstore.read_key(session.paths, profile)
    session.out.raw(key + "\n")
    return 0


def add(session: Session, name: str, base_url: str | None, key_stdin: bool, key_env: str | None,
        secret_store: str | None, flags) -> int:
    """Store a new profile (Base URL and key asked, checked against the relay) without configuring any
    client: one for `keyconf run` and pins. Through the change pipeline, so `undo` takes it back."""
    from keyconf.commands.clients import run_use
    from keyconf.commands.profile_input import KeySource, choose_profile
    from keyconf.profiles import check_name

    check_name(name)
    if name in Profiles(session.paths).items:
        raise UsageError(f"profile {name!r} already exists",
                         hint=f"`keyconf profile rotate {name}` gives it a new key; `keyconf profile show {name}`")
    src = KeySource(name, base_url, key_stdin, key_env, secret_store)
    chosen = choose_profile(session.paths, src)
    chosen.keep = True
    code = run_use(session, "profile add", [], src, flags, chosen=chosen)
    if (flags.no_verify or flags.dry_run) and code == 0:  # no check reported the profile: say it here
        status = "planned" if flags.dry_run else "stored"
        session.out.result({"profile": name, "status": status, "base_url": chosen.profile.base_url,
                            "key": masked(chosen.key), "verify": None})
        session.out.say(f"profile {name}: {'would be stored' if flags.dry_run else 'key stored'} "
                        f"({chosen.profile.base_url}, {masked(chosen.key)}; not checked)")
    return code
