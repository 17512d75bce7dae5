"""`keyconf pin [PROFILE] [--model CLIENT=MODEL]... [--clear]`: pin the current folder to a profile.

The pin file is written by the engine like every other change (journaled; `keyconf undo` takes it back).
Without PROFILE or --clear it says which pin is in effect here.
"""

from __future__ import annotations

from pathlib import Path

from keyconf import adapters
from keyconf.errors import UsageError
from keyconf.pipeline import pins
from keyconf.session import Session


def _models(pairs: tuple) -> dict[str, str]:
    models = {}
    for pair in pairs:
        client, sep, model = pair.partition("=")
        if not sep or not client.strip() or not model.strip():
            raise UsageError(f"--model takes CLIENT=MODEL, not {pair!r}", hint="keyconf pin work --model "
                                                                                "claude-code=claude-sonnet-4-5")
        models[adapters.get(client.strip()).id] = model.strip()
    return models


def pin(session: Session, name: str | None, model_pairs: tuple, clear: bool, dry_run: bool) -> int:
    out = session.out
    here = Path.cwd() / pins.FILE_NAME
    if clear and (name or model_pairs):
        raise UsageError("--clear takes no profile or model", hint="keyconf pin --clear")
    if not clear and name is None:
        if model_pairs:
            raise UsageError("name the profile to pin", hint="keyconf pin NAME --model CLIENT=MODEL")
        return _show(session)
    if clear:
        before = _read(here)
        if before is None:
            out.result({"pin_file": str(here), "status": "unchanged", "profile": None})
            found = pins.find(Path.cwd())
            out.say(f"no {pins.FILE_NAME} here" + (f"; {found} still applies (clear it in {found.parent})"
                                                    if found else ""))
            return 0
        return _write(session, here, before, None, "cleared", None, dry_run)
    from keyconf.stores.profiles import Profiles, check_name

    check_name(name)
    Profiles(session.paths).get(name)  # an unknown profile: exit 2 with the list to look at
    models = _models(model_pairs)
    return _write(session, here, _read(here), pins.render(name, models), "pinned", name, dry_run, models)


def _read(path: Path) -> bytes | None:
    from keyconf.engine import fsutil

    return fsutil.read_bytes(path)


def _write(session: Session, path: Path, before: bytes | None, after: bytes | None, verb: str,
           name: str | None, dry_run: bool, models: dict | None = None) -> int:
    from keyconf.engine.edits import FileEdit
    from keyconf.pipeline import change as pipeline
    from keyconf.pipeline.report import show

    out = session.out
    item = {"pin_file": str(path), "profile": name, "models": models or {}}
    if before == after:
        out.result({**item, "status": "unchanged"})
        out.say(f"{path} already pins {name}; nothing changed")
        return 0
    with session.lock():
        change = pipeline.plan(session, "pin", [])
        change.edits.insert(0, FileEdit(path, before, after))
        if dry_run:
            show(session, change)
            out.result({**item, "status": "planned"})
            return 0
        pipeline.commit(session, change)
    out.result({**item, "status": verb})
    if after is None:
        out.say(f"removed {path} (`keyconf undo` brings it back)")
    else:
        out.say(f"pinned {path.parent} to profile {name}: `keyconf run CLIENT` under it uses {name}")
    return 0


def _show(session: Session) -> int:
    out = session.out
    found = pins.find(Path.cwd())
    if found is None:
        out.result({"pin_file": None, "profile": None, "status": "none"})
        out.say(f"no {pins.FILE_NAME} here or above; `keyconf pin NAME` pins this folder")
        return 0
    pin = pins.load(found)
    out.result({"pin_file": str(found), "profile": pin.profile, "models": pin.models, "status": "pinned"})
    out.say(f"{found}: profile {pin.profile}")
    for client, model in sorted(pin.models.items()):
        out.say(f"  {client}: model {model}")
    return 0
