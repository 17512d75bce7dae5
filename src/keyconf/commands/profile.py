"""`keyconf profile list|show|rm|default|rotate`."""

from __future__ import annotations

from keyconf.errors import KeyconfError, UsageError
from keyconf.model import Request
from keyconf.pipeline.profile import Chosen, KeySource
from keyconf.pipeline.report import masked
from keyconf.pipeline.run import Flags, Job, run
from keyconf.session import Session
from keyconf.stores import secretstore
from keyconf.stores.profiles import Profiles
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
    profile = Profiles(session.paths).get(name)  # said before any question; decided again under the lock
    used_by: list[str] = []

    def requests(state) -> list[Request]:
        Profiles(session.paths).get(name)
        used_by[:] = state.clients_of(profile.name)
        if used_by and not force:
            raise UsageError(f"profile {name!r} is still used by {', '.join(used_by)}",
                             hint=f"run `keyconf remove {' '.join(used_by)}` first, or pass --force to take "
                                  "keyconf's settings out of them in the same change")
        # --force: the clients that use it lose keyconf's settings in the same change (a binding to a
        # profile that is gone would leave them, and the shell files, without a key)
        return [Request(client, "remove") for client in used_by]

    def drop(book, secrets) -> None:
        book.remove(profile.name)
        secrets.delete(profile.secret_store, profile.name)

    # all or nothing: a client whose file can't be edited keeps its settings, so its profile stays too
    job = Job("profile rm", requests, profile_changes=drop, verify=False, all_or_nothing=True,
              question=f"Delete profile {profile.name} and its stored key?")
    outcome = run(session, job, Flags(dry_run=dry_run, yes=yes))
    if dry_run or not outcome.written:
        return outcome.code
    session.out.result({"profile": profile.name, "status": "removed", "clients": used_by})
    session.out.say(f"removed profile {profile.name} and its key (`keyconf undo` brings them back)")
    return 0


def default(session: Session, name: str, dry_run: bool = False) -> int:
    """Choose the profile that commands use when no --profile is given."""
    def requests(state) -> list[Request]:
        Profiles(session.paths).get(name)  # under the lock: it may have gone meanwhile
        return []

    def choose(book, secrets) -> None:
        book.default = name

    outcome = run(session, Job("profile default", requests, profile_changes=choose, verify=False),
                  Flags(dry_run=dry_run))
    if dry_run or not outcome.written:
        return outcome.code
    session.out.result({"profile": name, "status": "default"})
    session.out.say(f"{name} is now the default profile")
    return 0


def rotate(session: Session, name: str | None, key_stdin: bool, key_env: str | None, flags: Flags) -> int:
    """A new key for a profile, written everywhere the profile is used, each client as it was set up."""
    profile = Profiles(session.paths).get(name)
    key = session.read_key(key_stdin=key_stdin, key_env=key_env, prompt=True)[0]
    if not State.load(session.paths).clients_of(profile.name):
        session.out.say(f"profile {profile.name}: no client uses it yet; only the stored key changes")
    chosen = Chosen(profile, key, new_key=True, existed=True)
    chosen.must_exist = True  # a profile removed meanwhile is not brought back (see refreshed)
    src = KeySource(profile=profile.name, key_stdin=key_stdin, key_env=key_env, key=key)
    return run(session, Job("profile rotate", [], src=src, chosen=chosen), flags).code


def add(session: Session, name: str, base_url: str | None, key_stdin: bool, key_env: str | None,
        secret_store: str | None, flags: Flags) -> int:
    """Store a new profile (Base URL and key asked, checked against the relay) without configuring any
    client: one for `keyconf run` and pins. Through the change pipeline, so `undo` takes it back."""
    from keyconf.pipeline.profile import choose_profile
    from keyconf.stores.profiles import check_name

    check_name(name)
    if name in Profiles(session.paths).items:
        raise UsageError(f"profile {name!r} already exists",
                         hint=f"`keyconf profile rotate {name}` gives it a new key; `keyconf profile show {name}`")
    src = KeySource(name, base_url, key_stdin, key_env, secret_store)
    chosen = choose_profile(session, src)
    chosen.keep = True
    outcome = run(session, Job("profile add", [], src=src, chosen=chosen), flags)
    if (flags.no_verify or flags.dry_run) and outcome.code == 0:  # no check reported the profile: say it here
        status = "planned" if flags.dry_run else "stored"
        session.out.result({"profile": name, "status": status, "base_url": chosen.profile.base_url,
                            "key": masked(chosen.key), "verify": None})
        session.out.say(f"profile {name}: {'would be stored' if flags.dry_run else 'key stored'} "
                        f"({chosen.profile.base_url}, {masked(chosen.key)}; not checked)")
    return outcome.code
