"""`.keyconf.toml`: the profile a folder (and every folder under it) is pinned to, with optional per-client
models. `run`, `env`, `status` and `verify` started anywhere under it use that profile, and say so.

    profile = "work"

    [models]
    claude-code = "claude-sonnet-4-5"

The file names a profile only: never a key or a URL (a pin is meant to be committed with a project).
Read with stdlib tomllib, so finding the pin costs `run` and `status` nothing heavy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from keyconf.errors import UsageError
from keyconf.formats import tomltext

FILE_NAME = ".keyconf.toml"


class Pin:
    __slots__ = ("path", "profile", "models")

    def __init__(self, path: Path, profile: str, models: dict[str, str] | None = None):
        self.path = path
        self.profile = profile
        self.models = dict(models or {})


def find(start: Path) -> Path | None:
    """The nearest `.keyconf.toml` in `start` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def load(path: Path) -> Pin:
    """The pin in `path`; anything but a profile name and a table of client models is refused by name."""
    from keyconf.adapters import CLIENT_IDS, canonical
    from keyconf.stores.profiles import check_name

    hint = f"fix it, or remove it with `keyconf pin --clear` in {path.parent}"
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}", hint=hint) from None
    except OSError as exc:
        raise UsageError(f"{path} can't be read: {exc.strerror}", hint=hint) from None
    unknown = sorted(set(data) - {"profile", "models"})
    if unknown:
        raise UsageError(f"{path}: unknown setting {', '.join(map(repr, unknown))}; a pin holds only `profile` "
                         "and a [models] table (never a key or a URL)", hint=hint)
    profile = data.get("profile")
    if not isinstance(profile, str):
        raise UsageError(f"{path}: `profile = \"NAME\"` is missing", hint=hint)
    try:
        check_name(profile)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc.message}", hint=hint) from None
    models = data.get("models", {})
    if not isinstance(models, dict) or not all(isinstance(v, str) and v.strip() for v in models.values()):
        raise UsageError(f"{path}: [models] must map client names to model names", hint=hint)
    strangers = sorted(name for name in models if canonical(name) is None)
    if strangers:
        raise UsageError(f"{path}: unknown client {', '.join(map(repr, strangers))} in [models]",
                         hint=f"clients: {', '.join(CLIENT_IDS)}")
    return Pin(path, profile, {canonical(name): model for name, model in models.items()})


def render(profile: str, models: dict[str, str]) -> bytes:
    lines = ["# keyconf pin: `keyconf run`, `env`, `status` and `verify` under this folder use this profile.\n",
             "# It names a profile of keyconf's; the key and Base URL stay in keyconf's own store.\n",
             f"profile = {tomltext.string(profile)}\n"]
    if models:
        lines.append("\n[models]\n")
        lines += [f"{client} = {tomltext.string(model)}\n" for client, model in sorted(models.items())]
    return "".join(lines).encode("utf-8")


class Chosen:
    """The profile a command uses here, and why: `flag` (--profile), `pin` (a .keyconf.toml), `client` (the
    profile the client was configured with) or `default`."""

    __slots__ = ("profile", "source", "pin")

    def __init__(self, profile, source: str, pin: Pin | None = None):
        self.profile = profile
        self.source = source
        self.pin = pin

    @property
    def why(self) -> str:
        if self.source == "pin":
            return f"pinned by {self.pin.path}"
        return {"flag": "--profile", "client": "the client's profile", "default": "the default profile"}[self.source]

    def model_for(self, client: str) -> str | None:
        return self.pin.models.get(client) if self.pin else None

    def to_json(self) -> dict:
        return {"profile": self.profile.name, "source": self.source,
                "pin_file": str(self.pin.path) if self.pin else None}


def choose(paths, flag: str | None, cwd: Path | None = None, bound: str | None = None) -> Chosen:
    """--profile, else the pin over `cwd`, else the client's own profile (`bound`), else the default. A pin
    naming a profile that is not stored is a usage error naming the pin file."""
    from keyconf.stores.profiles import Profiles

    profiles = Profiles(paths)
    if flag:
        return Chosen(profiles.get(flag), "flag")
    where = find(cwd or Path.cwd())
    if where is not None:
        pin = load(where)
        if pin.profile not in profiles.items:
            raise UsageError(f"{where} pins profile {pin.profile!r}, which keyconf does not have",
                             hint=f"store it with `keyconf profile add {pin.profile}`, or pin another one "
                                  f"(`keyconf pin NAME` in {where.parent}); see `keyconf profile list`")
        return Chosen(profiles.items[pin.profile], "pin", pin)
    if bound and bound in profiles.items:
        return Chosen(profiles.items[bound], "client")
    return Chosen(profiles.get(None), "default")


def describe(paths) -> dict:
    """Which profile `keyconf run` would use in the current folder, and why (for `status`); a pin that names
    a profile keyconf doesn't have is described, not raised."""
    from keyconf.errors import KeyconfError

    try:
        return choose(paths, None).to_json()
    except KeyconfError as exc:
        return {"profile": None, "source": None, "pin_file": None, "error": exc.message}
