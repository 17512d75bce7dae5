"""What every client adapter offers, and the small records passed between adapters and commands.

Adapters are pure planners: they read files and return a `ClientPlan`; they never write or print.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from keyconf.edits import FileEdit
from keyconf.paths import Paths
from keyconf.state import State


@dataclass
class UseOptions:
    via: str = "config"  # config | env
    no_plaintext: bool = False
    model: str | None = None
    anthropic_auth: str = "token"  # claude-code: token (ANTHROPIC_AUTH_TOKEN) | api-key (ANTHROPIC_API_KEY)
    shells: tuple[str, ...] = ()
    protocol: str | None = None


@dataclass
class Context:
    paths: Paths
    state: State

    @property
    def env(self):
        return self.paths.env

    def profile_key(self, name: str | None) -> str | None:
        """The stored key of a profile (for clients that fetch it from keyconf at run time)."""
        if not name:
            return None
        from keyconf import secretstore
        from keyconf.profiles import Profiles

        profiles = Profiles(self.paths)
        if name not in profiles.items:
            return None
        return secretstore.read_key(self.paths, profiles.items[name])

    def keyconf_argv(self) -> list[str]:
        """An absolute command that runs this keyconf (for apiKeyHelper and Codex's auth command)."""
        script = Path(sys.executable).parent / ("keyconf.exe" if os.name == "nt" else "keyconf")
        if script.exists():
            return [str(script)]
        found = shutil.which("keyconf", path=self.env.get("PATH"))
        if found:
            return [os.path.abspath(found)]
        return [sys.executable, "-m", "keyconf"]


@dataclass
class Target:
    """What a client is set to use, for verification."""

    root: str
    key: str | None
    protocol: str  # anthropic | responses | chat
    model: str | None = None


@dataclass
class ClientPlan:
    client: str
    edits: list[FileEdit] = field(default_factory=list)
    binding: dict | None = None  # the new binding record; None drops it
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return [str(e.path) for e in self.edits if e.changes and not e.internal]


@dataclass
class ClientStatus:
    client: str
    installed: bool
    configured: bool
    profile: str | None = None
    via: str | None = None
    base_url: str | None = None
    key: str | None = None  # masked
    where: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Adapter:
    id = ""
    title = ""
    protocol = "chat"
    vias: tuple[str, ...] = ("config",)
    supports_no_plaintext = False
    binary: str | None = None

    def installed(self, ctx: Context) -> bool:
        return bool(self.binary and shutil.which(self.binary, path=ctx.env.get("PATH")))

    def plan_use(self, ctx: Context, profile, key: str, opts: UseOptions) -> ClientPlan:
        raise NotImplementedError

    def plan_remove(self, ctx: Context) -> ClientPlan:
        raise NotImplementedError

    def status(self, ctx: Context) -> ClientStatus:
        raise NotImplementedError

    def target(self, ctx: Context) -> Target | None:
        """The Base URL and key this client is set to use now, read back from its files."""
        raise NotImplementedError
