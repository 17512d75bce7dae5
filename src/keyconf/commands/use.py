"""`keyconf use CLIENT...`: the profile into each client, checked against the relay first."""

from __future__ import annotations

from keyconf import adapters
from keyconf.model import Options, Request
from keyconf.pipeline.profile import KeySource
from keyconf.pipeline.run import Flags, Job, run
from keyconf.session import Session


def use(session: Session, names: list[str], use_all: bool, src: KeySource, opts: Options, flags: Flags) -> int:
    from keyconf.pipeline.choose import choose_clients, installed_clients

    if use_all:
        # every installed client; the others are named once, not failed
        names = installed_clients(session)
        skipped = [c for c in adapters.CLIENT_IDS if c not in names]
        if skipped:
            session.out.say(f"skipped (not installed here): {', '.join(skipped)}", err=True)
    elif not names:
        names = choose_clients(session, "no client was named")
    requests = [Request(a.id, "use", opts) for a in adapters.resolve(names)]
    return run(session, Job("use", requests, src=src), flags).code
