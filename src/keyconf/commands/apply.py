"""`keyconf apply FILE`: a new laptop, or a fleet, from one file. An apply file is a list of requests for the
change pipeline: every client in one transaction, keys asked once, a second run changes nothing."""

from __future__ import annotations

from keyconf.errors import KeyconfError, UsageError
from keyconf.model import Options, Request
from keyconf.pipeline.profile import given_profile
from keyconf.pipeline.run import Flags, Job, run
from keyconf.session import Session
from keyconf.stores import secretstore
from keyconf.stores.profiles import Profiles
from keyconf.stores.state import State


def _read(session: Session, file: str) -> tuple[str, str]:
    if file == "-":
        return session.stdin.read(), "<stdin>"
    try:
        with open(file, encoding="utf-8-sig") as handle:
            return handle.read(), file
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{file} is not UTF-8 text") from None


def _key_io(session: Session, from_stdin: bool):
    paths = session.paths
    existing = Profiles(paths).items

    def read_stored(name: str) -> str | None:
        if name not in existing:
            return None
        try:
            return secretstore.read_key(paths, existing[name])
        except KeyconfError:
            return None

    return session.key_io(stdin_free=not from_stdin, read_stored=read_stored, interactive=session.can_ask)


def _chosen(session: Session, spec, key: str, store_choice: str | None):
    chosen = given_profile(session.paths, spec.name, spec.base_url, key, store_choice)
    chosen.keep = True  # a profile of the file is stored even when no client uses it (the parser warned)
    chosen.key_from_store = spec.key_source.kind == "stored"
    return chosen


def apply(session: Session, file: str, flags: Flags, prune: bool, secret_store: str | None) -> int:
    from keyconf.keys import sources as keysources
    from keyconf.pipeline import applyfile

    text, name = _read(session, file)
    parsed = applyfile.parse(text, name)
    for warning in parsed.warnings:
        session.out.warn(warning)
    keys = keysources.resolve_keys(parsed.profiles.values(), _key_io(session, file == "-"))
    requests = [Request(client, "use", Options(**parsed.options_for(client)), profile=spec.profile)
                for client, spec in parsed.clients.items()]
    bound = State.load(session.paths).bindings
    others = [c for c in bound if c not in parsed.clients]
    if prune:
        requests += [Request(c, "remove") for c in others]
    elif others:
        session.out.say(f"left alone (not in {name}): {', '.join(others)}; --prune takes keyconf's settings "
                        "out of them", err=True)
    used = {spec.profile for spec in parsed.clients.values()}
    order = sorted(parsed.profiles.values(), key=lambda p: p.name not in used)  # the file's default first

    def choose():
        return [_chosen(session, spec, keys[spec.name], secret_store) for spec in order]

    return run(session, Job("apply", requests, choose=choose, sticky=False, all_or_nothing=True), flags).code
