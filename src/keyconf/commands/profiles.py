"""`profile list|show|rm|rotate` and `secret`."""

from __future__ import annotations

from keyconf import secretstore
from keyconf.commands.common import confirm, masked
from keyconf.errors import KeyconfError, UsageError
from keyconf.output import Reporter
from keyconf.paths import Paths
from keyconf.profiles import Profiles
from keyconf.state import State


def _bound(paths: Paths, name: str) -> list[str]:
    return sorted(c for c, b in State.load(paths).bindings.items() if b.get("profile") == name)


def list_(out: Reporter) -> int:
    paths = Paths.from_environ()
    profiles = Profiles(paths)
    if not profiles.items:
        out.say("no profiles yet; `keyconf use CLIENT` creates one")
    for profile in profiles.items.values():
        default = profile.name == profiles.default
        clients = _bound(paths, profile.name)
        out.result({"profile": profile.name, "base_url": profile.base_url, "default": default,
                    "secret_store": profile.secret_store, "clients": clients})
        out.say(f"{'*' if default else ' '} {profile.name:<20} {profile.base_url:<40} "
                f"{profile.secret_store:<8} {', '.join(clients) or '-'}")
    return 0


def show(name: str | None, out: Reporter) -> int:
    paths = Paths.from_environ()
    profiles = Profiles(paths)
    profile = profiles.get(name)
    try:
        key = masked(secretstore.read_key(paths, profile))
    except KeyconfError as exc:
        key = f"(unavailable: {exc.message})"
    clients = _bound(paths, profile.name)
    out.result({"profile": profile.name, "base_url": profile.base_url, "key": key,
                "secret_store": profile.secret_store,
                "default": profile.name == profiles.default, "clients": clients})
    out.say(f"profile      {profile.name}{' (default)' if profile.name == profiles.default else ''}")
    out.say(f"base URL     {profile.base_url}")
    out.say(f"key          {key}   (in the {profile.secret_store} store)")
    out.say(f"used by      {', '.join(clients) or '-'}")
    return 0


def remove(name: str, force: bool, yes: bool, out: Reporter) -> int:
    paths = Paths.from_environ()
    profiles = Profiles(paths)
    profile = profiles.get(name)
    clients = _bound(paths, profile.name)
    if clients and not force:
        raise UsageError(f"profile {name!r} is still used by {', '.join(clients)}",
                         hint=f"run `keyconf remove {' '.join(clients)}` first, or pass --force")
    if not confirm(out, f"Delete profile {profile.name} and its stored key?", yes):
        out.say("nothing was changed", err=True)
        return 0
    secretstore.backend(paths, profile.secret_store).delete(profile.name)
    profiles.remove(profile.name)
    out.result({"profile": profile.name, "status": "removed", "clients": clients})
    out.say(f"removed profile {profile.name} and its key")
    return 0


def secret(name: str | None, out: Reporter) -> int:
    """The one command that prints a key: for apiKeyHelper and Codex's auth command."""
    paths = Paths.from_environ()
    profile = Profiles(paths).get(name)
    key = secretstore.read_key(paths, profile)
    out.raw(key + "\n")
    return 0
