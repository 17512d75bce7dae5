"""Profiles: a name and a Base URL root. Keys live in the secret store, never here; models belong to each
client's binding (a Claude model means nothing to Codex).

`profiles.toml` is read with stdlib `tomllib` and written by a tiny emitter, so `status` never pays
for tomlkit.
"""

from __future__ import annotations

import re
import tomllib

from keyconf.engine import fsutil
from keyconf.errors import KeyconfError, UnsafeEdit, UsageError
from keyconf.formats import tomltext
from keyconf.paths import Paths

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Profile:
    FIELDS = ("base_url", "secret_store", "created")

    def __init__(self, name: str, base_url: str, secret_store: str = "file", created: str = "",
                 usage: dict[str, str] | None = None):
        self.name = name
        self.base_url = base_url
        self.secret_store = secret_store  # where its key was put: keyring | file
        self.created = created
        # a cc-switch link's usage-query settings, kept as text for `status --verify` and never run
        self.usage = usage


def check_name(name: str) -> str:
    if isinstance(name, str) and name.startswith("sk-") and len(name) >= 16:
        raise UsageError("that profile name looks like an API key; profile names are printed and stored in "
                         "plain text", hint="name the profile after the key's name on the dashboard "
                                            "(claude-code-mac), and give the key with --key-stdin")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UsageError(
            f"invalid profile name {_shown(name)}",
            hint="use letters, digits, '.', '_' or '-', like the key's name on the dashboard (claude-code-mac)",
        )
    return name


def _shown(name) -> str:
    """A name as typed, with control characters escaped (never echo a terminal escape sequence raw)."""
    return ascii(name) if isinstance(name, str) else repr(name)


class Profiles:
    """profiles.toml in memory. Changes are planned (`edit()`) and written by the change's transaction,
    so `undo` also takes back a new profile or a new default."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self.default: str | None = None
        self.items: dict[str, Profile] = {}
        raw = fsutil.read_bytes(paths.profiles_file)
        self.raw = raw
        if raw:
            try:
                data = tomllib.loads(raw.decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise UnsafeEdit(f"{paths.profiles_file} is not valid TOML: {exc}") from None
            self.default = data.get("default")
            for name, body in data.get("profiles", {}).items():
                if isinstance(body, dict):
                    self.items[name] = Profile(name, **{k: str(v) for k, v in body.items() if k in Profile.FIELDS})
                    usage = body.get("usage")
                    if isinstance(usage, dict):
                        self.items[name].usage = {str(k): str(v) for k, v in usage.items()}

    def get(self, name: str | None) -> Profile:
        chosen = name or self.default
        if not chosen:
            raise KeyconfError("no profile yet", hint="run `keyconf use CLIENT` with --base-url and a key first",
                               code=2)
        if chosen not in self.items:
            raise KeyconfError(f"no profile named {chosen!r}",
                               hint="see `keyconf profile list`", code=2)
        return self.items[chosen]

    def put(self, profile: Profile, *, make_default: bool = False) -> None:
        """Add or update a profile. It becomes the default only when asked, or when there is none."""
        previous = self.items.get(profile.name)
        if profile.usage is None and previous is not None:
            profile.usage = previous.usage  # metadata only a link sets: `use` and `rotate` keep it
        self.items[profile.name] = profile
        if make_default or not self.default or self.default not in self.items:
            self.default = profile.name

    def remove(self, name: str) -> None:
        self.items.pop(name, None)
        if self.default == name:
            self.default = next(iter(self.items), None)

    def render(self) -> bytes | None:
        if not self.items and self.raw is None:
            return None
        lines = ["# keyconf profiles. Keys are not here: they are in the secret store.\n"]
        if self.default:
            lines.append(f"default = {tomltext.string(self.default)}\n")
        for profile in self.items.values():
            lines.append(f"\n[profiles.{tomltext.string(profile.name)}]\n")
            for key in Profile.FIELDS:
                value = getattr(profile, key)
                if value:
                    lines.append(f"{key} = {tomltext.string(value)}\n")
            if profile.usage:
                lines.append(f"\n[profiles.{tomltext.string(profile.name)}.usage]\n")
                lines += [f"{tomltext.string(k)} = {tomltext.string(v)}\n" for k, v in profile.usage.items()]
        return "".join(lines).encode("utf-8")

    def edit(self):
        from keyconf.engine.edits import FileEdit

        after = self.render()
        if after is not None and self.raw is not None and _same(self.raw, after):
            after = self.raw
        return FileEdit(self.paths.profiles_file, self.raw, after, private=True, internal=True)


def _same(a: bytes, b: bytes) -> bool:
    try:
        return tomllib.loads(a.decode("utf-8")) == tomllib.loads(b.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
