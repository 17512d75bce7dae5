"""`keyconf remove CLIENT...`: keyconf's settings taken out of each client, every other byte kept."""

from __future__ import annotations

from keyconf import adapters
from keyconf.model import Request
from keyconf.pipeline.run import Flags, Job, run
from keyconf.session import Session


def remove(session: Session, names: list[str], use_all: bool, flags: Flags) -> int:
    clients = [a.id for a in adapters.resolve(names)]

    def requests(state) -> list[Request]:
        # decided under the lock, after recovery: --all is every client bound now
        return [Request(c, "remove") for c in (list(state.bindings) if use_all else clients)]

    outcome = run(session, Job("remove", requests, verify=False), flags)
    if use_all and outcome.change is not None and not outcome.change.plans:
        session.out.say("keyconf has not configured any client; nothing to remove")
    return outcome.code
