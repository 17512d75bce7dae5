"""`profile list|show|rm` and `secret`."""

from __future__ import annotations

from keyconf.stores import secretstore
from keyconf.pipeline.report import masked
from keyconf.errors import KeyconfError, UsageError
from keyconf.model import Request
from keyconf.stores.profiles import Profiles
from keyconf.session import Session
from keyconf.stores.state import State


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
    from keyconf.pipeline import change as pipeline

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
    from keyconf.pipeline import change as pipeline

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
