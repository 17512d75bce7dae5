"""`keyconf export`: this machine's profiles and clients as an apply file (no key in it)."""

from __future__ import annotations

from keyconf.session import Session
from keyconf.stores.profiles import Profiles
from keyconf.stores.state import State


def export(session: Session, key_source: str) -> int:
    from keyconf.pipeline.applyfile import render_export

    profiles = Profiles(session.paths)
    bindings = {client: {"profile": b.profile, **b.options.to_record(full=True)}
                for client, b in State.load(session.paths).bindings.items()}
    ordered = sorted(profiles.items.values(), key=lambda p: p.name != profiles.default)
    text = render_export(ordered, bindings, key_source)
    session.out.extra["apply_file"] = text
    session.out.say(text.rstrip("\n"))  # nothing but the file on stdout (no key is in it)
    return 0
