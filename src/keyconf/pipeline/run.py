"""The one driver of every change. A command builds a `Job` (what to change) and calls `run`; this module
does the rest, the same way for `use`, `remove`, `import`, `apply`, `profile rotate|rm|default`:

    pick the profile(s)        (a stored one, or Base URL and key from flags, environment or a prompt)
    check them                 (the relay, before anything is planned; a terminal is asked again for the
                                part that failed, keeping the rest)
    lock                       (recovery of a killed change first; see engine.locked)
    plan                       (once, under the lock: every client file, shell file, profile and key)
    show, or confirm + commit  (one journaled transaction; `undo` takes it all back)
    report                     (one line per client; the exit code of the whole)
"""

from __future__ import annotations

from keyconf.errors import Exit
from keyconf.session import Session

MAX_TRIES = 3  # a terminal is asked again for the part that failed (the key, or the URL), this often


class Flags:
    """The flags every changing command shares."""

    def __init__(self, dry_run: bool = False, no_verify: bool = False, yes: bool = False, deep: bool = False,
                 no_open: bool = False, force: bool = False, timeout: float | None = None):
        self.dry_run = dry_run
        self.no_verify = no_verify
        self.yes = yes
        self.deep = deep
        self.no_open = no_open
        self.force = force  # write despite a failed check
        self.timeout = timeout


class Job:
    """What one command asks of the pipeline.

    `requests`: the clients to configure or clean, or a function of the state that gives them, called under
    the lock (what a command decided before the lock is decided again there). Profiles come from `src` (a
    stored profile, or a new one from the Base URL and key given or asked), `chosen` (one given whole), or
    `choose()` (several: an apply file). `profile_changes(book, secrets)` edits profiles in the same change;
    `question` is asked (on a terminal, unless --yes) before the commit. `verify`: the relay is asked first.
    """

    def __init__(self, command: str, requests=(), *, src=None, chosen=None, choose=None, profile_changes=None,
                 question: str | None = None, verify: bool = True, sticky: bool = True,
                 all_or_nothing: bool = False):
        self.command = command
        self.requests = requests
        self.src = src
        self.chosen = chosen
        self.choose = choose
        self.profile_changes = profile_changes
        self.question = question
        self.verify = verify
        self.sticky = sticky  # a client keeps the model it had when none is given (not for apply files)
        self.all_or_nothing = all_or_nothing  # a client that can't be planned stops the whole change

    def profiles(self, session: Session) -> list:
        from keyconf.pipeline.profile import choose_profile

        if self.choose is not None:
            return self.choose()
        if self.chosen is not None:
            return [self.chosen]
        if self.src is not None:
            return [choose_profile(session, self.src)]
        return []

    def requests_now(self, state) -> list:
        return list(self.requests(state) if callable(self.requests) else self.requests)


class Outcome:
    def __init__(self, code: int, change=None, written: bool = False):
        self.code = code
        self.change = change
        self.written = written


def run(session: Session, job: Job, flags: Flags) -> Outcome:
    from keyconf.pipeline import change as pipeline
    from keyconf.pipeline.checks import check_before_writing, first_hard_failure
    from keyconf.pipeline.profile import refreshed
    from keyconf.pipeline.report import report, show
    from keyconf.stores.state import State

    out = session.out
    profiles = job.profiles(session)
    if flags.dry_run:  # shown without the lock: a dry run writes nothing, not even a recovery
        change = pipeline.plan(session, job.command, job.requests_now(State.load(session.paths)), profiles,
                               sticky=job.sticky, profile_changes=job.profile_changes)
        show(session, change)
        return Outcome(report(session, change, {}, planned=True), change)
    findings: dict = {}
    if job.verify and not flags.no_verify:
        for attempt in range(1, MAX_TRIES + 1):
            requests = job.requests_now(State.load(session.paths))
            targets = pipeline.intended_targets(session, requests, profiles, sticky=job.sticky)
            findings = check_before_writing(session, targets, profiles, flags, clients=bool(requests))
            failed = first_hard_failure(findings)
            if failed is None or flags.force:
                break
            if attempt < MAX_TRIES and _ask_again(session, job.src, failed, profiles):
                job.chosen = None
                profiles = job.profiles(session)
                continue
            change = pipeline.plan(session, job.command, requests, profiles, sticky=job.sticky)
            if job.all_or_nothing and change.failed:  # a file that can't be edited comes first: --force can't help
                out.say("nothing was written: every client is set up in one transaction", err=True)
                return Outcome(report(session, change, {}, written=False), change)
            out.say("nothing was written" + ("" if out.json_mode else
                    "; fix the problem above, or pass --force to write anyway"), err=True)
            return Outcome(report(session, change, findings, written=False), change)
    with session.lock():
        profiles = [refreshed(session.paths, c) for c in profiles]
        requests = job.requests_now(State.load(session.paths))
        change = pipeline.plan(session, job.command, requests, profiles, sticky=job.sticky,
                               profile_changes=job.profile_changes)
        if job.all_or_nothing and change.failed:
            out.say("nothing was written: every client is set up in one transaction", err=True)
            return Outcome(report(session, change, findings, written=False), change)
        if not _confirmed(session, change, job, flags.yes):
            out.say("nothing was changed", err=True)
            return Outcome(Exit.OK, change)
        pipeline.commit(session, change)
    pipeline.after_commit(session, change, flags)
    if first_hard_failure(findings) is not None:
        out.warn("written despite the failed check (--force)")
    return Outcome(report(session, change, findings), change, written=True)


def _confirmed(session: Session, change, job: Job, yes: bool) -> bool:
    """Settings made outside keyconf that the change replaces are shown, and a terminal is asked; so is the
    job's own question."""
    replaced = [r for p in change.plans for r in p.replaces]
    if replaced:
        session.out.say("This replaces settings made outside keyconf (`keyconf remove` gives them back):",
                        err=True)
        for line in replaced:
            session.out.say(f"  {line}", err=True)
        if not session.confirm("Go on?", yes):
            return False
    return not job.question or session.confirm(job.question, yes)


def _ask_again(session: Session, src, finding, profiles) -> bool:
    """Show what failed with the dashboard's hint and ask for the part that failed, keeping the other (what
    was typed is not asked again). False: nobody can be asked, or the key came from a flag (asking again
    cannot give another)."""
    if src is None or not session.can_ask or finding.ask_again is None or not profiles:
        return False
    current = profiles[0]
    session.out.say(f"check failed: {finding.reason}", err=True, style="red")
    if finding.hint:
        session.out.say(f"  hint: {finding.hint}", err=True)
    if finding.ask_again == "key":
        if src.key_given(session):
            return False
        src.base_url = src.base_url or current.profile.base_url
        src.key = session.read_key(prompt=True)[0]
    else:
        src.key = src.key or current.key
        src.base_url = session.read_base_url(prompt=True)
    return True
