"""`use`, `remove` and `profile rotate`: each only builds requests for the change pipeline."""

from __future__ import annotations

from keyconf import adapters
from keyconf.commands import change as pipeline
from keyconf.commands.change import Flags
from keyconf.commands.profile_input import Chosen, KeySource, choose_profile, refreshed
from keyconf.errors import Exit
from keyconf.model import Options, Request
from keyconf.session import Session

MAX_TRIES = 3  # a terminal is asked again for the part that failed (the key, or the URL), this often


def use(session: Session, names: list[str], use_all: bool, src: KeySource, opts: Options, flags: Flags) -> int:
    from keyconf.commands.choose import choose_clients, installed_clients

    if use_all:
        # every installed client; the others are named once, not failed
        names = installed_clients(session)
        skipped = [c for c in adapters.CLIENT_IDS if c not in names]
        if skipped:
            session.out.say(f"skipped (not installed here): {', '.join(skipped)}", err=True)
    elif not names:
        names = choose_clients(session, "no client was named")
    chosen_adapters = adapters.resolve(names)
    requests = [Request(a.id, "use", opts) for a in chosen_adapters]
    return run_use(session, "use", requests, src, flags)


def run_use(session: Session, command: str, requests: list[Request], src: KeySource | None, flags: Flags,
            chosen: Chosen | None = None, *, choose=None, sticky: bool = True, all_or_nothing: bool = False) -> int:
    """Choose the profile(s), check them against the relay, then plan and commit under the lock.

    A key the relay rejects, a relay that can't be reached or a wrong URL writes nothing (unless --force);
    a person at a terminal is asked again for the part that failed (when the key came from a prompt).
    `choose()` gives the Chosen profiles (default: the one profile of `src`)."""
    def pick():
        if choose is not None:
            return choose()
        return [chosen or choose_profile(session.paths, src)]

    profiles = pick()
    findings: dict = {}
    for attempt in range(1, MAX_TRIES + 1):
        if flags.no_verify and not flags.dry_run:
            break  # nothing to check first: plan once, under the lock
        change = pipeline.plan(session, command, requests, profiles, sticky=sticky)
        if flags.dry_run:
            pipeline.show(session, change)
            return pipeline.report(session, change, {}, planned=True)
        if all_or_nothing and change.failed:
            session.out.say("nothing was written: every client is set up in one transaction", err=True)
            return pipeline.report(session, change, {}, written=False)
        findings = pipeline.check(session, change, flags)
        failed = pipeline.hard_failure(findings)
        if failed is None or flags.force:
            change = None  # planned again under the lock; a big file's plan is not held twice
            break
        if attempt < MAX_TRIES and src is not None and session.can_ask and _ask_again(session, src, failed,
                                                                                     findings):
            chosen = None
            profiles = pick()
            continue
        session.out.say("nothing was written" + ("" if session.out.json_mode else
                        "; fix the problem above, or pass --force to write anyway"), err=True)
        return pipeline.report(session, change, findings, written=False)
    with session.lock():
        profiles = [refreshed(session.paths, c) for c in profiles]
        change = pipeline.plan(session, command, requests, profiles, sticky=sticky)
        if all_or_nothing and change.failed:
            return pipeline.report(session, change, {}, written=False)
        if not pipeline.confirm_replacements(session, change, flags.yes):
            session.out.say("nothing was changed", err=True)
            return Exit.OK
        pipeline.commit(session, change)
    pipeline.after_commit(session, change, flags)
    if findings and pipeline.hard_failure(findings) is not None:
        session.out.warn("written despite the failed check (--force)")
    return pipeline.report(session, change, findings)


def _ask_again(session: Session, src: KeySource, code: int, findings: dict) -> bool:
    """Show what failed with the dashboard's hint and ask for the part that failed. False: can't ask."""
    from keyconf.keyinput import read_base_url, read_key

    finding = next(f for f in findings.values() if f.code == code)
    session.out.say(f"check failed: {finding.reason}", err=True, style="red")
    if finding.hint:
        session.out.say(f"  hint: {finding.hint}", err=True)
    if code == Exit.KEY_REJECTED:
        if src.key_given:
            return False
        src.key = read_key(key_stdin=False, key_env=None, prompt=True)
    else:
        src.base_url = read_base_url(None, prompt=True)
    return True


def remove(session: Session, names: list[str], use_all: bool, flags: Flags) -> int:
    from keyconf.state import State

    with session.lock():  # decided under the lock: which clients keyconf configured, after any recovery
        if use_all:
            names = list(State.load(session.paths).bindings)
            if not names:
                session.out.say("keyconf has not configured any client; nothing to remove")
                return Exit.OK
        chosen_adapters = adapters.resolve(names)
        requests = [Request(a.id, "remove") for a in chosen_adapters]
        change = pipeline.plan(session, "remove", requests)
        if flags.dry_run:
            pipeline.show(session, change)
        else:
            pipeline.commit(session, change)
    return pipeline.report(session, change, {}, planned=flags.dry_run)


def rotate(session: Session, name: str | None, key_stdin: bool, key_env: str | None, flags: Flags) -> int:
    """A new key for a profile, written everywhere the profile is used, each client as it was set up."""
    from keyconf.keyinput import read_key
    from keyconf.profiles import Profiles
    from keyconf.state import State

    profile = Profiles(session.paths).get(name)
    key = read_key(key_stdin=key_stdin, key_env=key_env, prompt=True)
    if not State.load(session.paths).clients_of(profile.name):
        session.out.say(f"profile {profile.name}: no client uses it yet; only the stored key changes")
    chosen = Chosen(profile, key, new_key=True, existed=True)
    chosen.must_exist = True  # a profile removed meanwhile is not brought back (see refreshed)
    src = KeySource(profile=profile.name, key=key)
    return run_use(session, "profile rotate", [], src, flags, chosen=chosen)
