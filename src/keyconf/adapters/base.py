"""What every client adapter offers, and the small records passed between adapters and commands.

Adapters are pure planners: they read files and return a `ClientPlan`; they never write or print.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from keyconf.edits import FileEdit
from keyconf.paths import Paths
from keyconf.state import State


# Plain classes rather than dataclasses: `status` imports this module, and dataclasses pulls in
# `inspect` (~9 ms), a tenth of the budget for the whole command.


def which(name: str, path: str | None) -> str | None:
    """shutil.which without importing shutil (and with it bz2/lzma) on the status path."""
    exts = os.environ.get("PATHEXT", ".EXE").split(os.pathsep) if os.name == "nt" else [""]
    for folder in (path or "").split(os.pathsep):
        for ext in exts:
            candidate = os.path.join(folder, name + ext)
            if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def running(ctx: "Context", names: tuple[str, ...]) -> bool:
    """Is a process with one of these exact names running? (pgrep where there is one; False elsewhere.)"""
    pgrep = which("pgrep", ctx.env.get("PATH") or os.defpath)
    if os.name == "nt" or not names or not pgrep:
        return False
    import subprocess

    return any(subprocess.run([pgrep, "-x", name], capture_output=True).returncode == 0 for name in names)


class UseOptions:
    def __init__(self, via: str = "config", no_plaintext: bool = False, model: str | None = None,
                 anthropic_auth: str = "token", shells: tuple[str, ...] = (), protocol: str | None = None):
        self.via = via  # config | env
        self.no_plaintext = no_plaintext
        self.model = model
        self.anthropic_auth = anthropic_auth  # claude-code: token (ANTHROPIC_AUTH_TOKEN) | api-key
        self.shells = shells
        self.protocol = protocol

    def with_model(self, model: str | None) -> "UseOptions":
        return UseOptions(self.via, self.no_plaintext, model, self.anthropic_auth, self.shells, self.protocol)

    @classmethod
    def from_binding(cls, binding: dict) -> "UseOptions":
        """The options a client was set up with (what `profile rotate` repeats with the new key)."""
        return cls(via=binding.get("via", "config"), no_plaintext=binding.get("no_plaintext", False),
                   model=binding.get("model"), anthropic_auth=binding.get("anthropic_auth", "token"),
                   shells=tuple(binding.get("shells", ())), protocol=binding.get("protocol"))


class Context:
    def __init__(self, paths: Paths, state: State):
        self.paths = paths
        self.state = state

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
        found = which("keyconf", self.env.get("PATH"))
        if found:
            return [os.path.abspath(found)]
        return [sys.executable, "-m", "keyconf"]


class Target:
    """What a client is set to use, for verification."""

    def __init__(self, root: str, key: str | None, protocol: str, model: str | None = None):
        self.root = root
        self.key = key
        self.protocol = protocol  # anthropic | responses | chat
        self.model = model


class ClientPlan:
    def __init__(self, client: str):
        self.client = client
        self.edits: list[FileEdit] = []
        self.binding: dict | None = None  # the new binding record; None drops it
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.shared: list[FileEdit] = []  # edits of files shared with other clients (shell env files)
        self.link: tuple[str, str] | None = None  # (link, masked link) to open after the change (Cherry Studio)
        self.replaces: list[str] = []  # settings made outside keyconf that this change replaces (asked on a TTY)

    @property
    def changed(self) -> list[str]:
        return [e.target for e in self.edits + self.shared if e.changes and not e.internal]


class ClientStatus:
    def __init__(self, client: str, installed: bool, configured: bool, profile: str | None = None,
                 via: str | None = None, base_url: str | None = None, where: list[str] | None = None):
        self.client = client
        self.installed = installed
        self.configured = configured
        self.profile = profile
        self.via = via
        self.base_url = base_url
        self.key: str | None = None  # masked
        self.where = where or []
        self.conflicts: list[str] = []
        self.notes: list[str] = []

    def to_json(self) -> dict:
        return dict(vars(self))


def open_with_os(ctx: "Context", link: str) -> None:
    """Hand a link to the OS handler (the OS passes it on to the app as an argument: that is how deep links
    work, so an import link's key is briefly on that app's command line)."""
    import subprocess

    from keyconf.errors import UsageError

    if ctx.paths.platform == "windows" and os.name == "nt":
        os.startfile(link)  # noqa: S606
        return
    opener = which("open" if ctx.paths.platform == "macos" else "xdg-open", ctx.env.get("PATH"))
    if not opener:
        raise UsageError("no program to open links (xdg-open / open) was found")
    subprocess.run([opener, link], check=False, timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ccswitch_link(app: str, profile, key: str, endpoint: str, model: str | None) -> tuple[str, str]:
    """A cc-switch import link (`ccswitch://v1/import?resource=provider&app=...`) and its masked form."""
    from urllib.parse import urlencode

    from keyconf.masking import mask

    fields = {"resource": "provider", "app": app, "name": profile.name, "endpoint": endpoint, "apiKey": key}
    if model:
        fields["model"] = model
    link = "ccswitch://v1/import?" + urlencode(fields)
    return link, "ccswitch://v1/import?" + urlencode({**fields, "apiKey": mask(key)}, safe="…")


class Adapter:
    id = ""
    title = ""
    protocol = "chat"
    vias: tuple[str, ...] = ("config",)
    supports_no_plaintext = False
    binary: str | None = None
    process_names: tuple[str, ...] = ()  # a running app that must restart (or quit, for Cursor)

    def installed(self, ctx: Context) -> bool:
        return bool(self.binary and which(self.binary, ctx.env.get("PATH")))

    def plan_use(self, ctx: Context, profile, key: str, opts: UseOptions) -> ClientPlan:
        raise NotImplementedError

    def plan_remove(self, ctx: Context) -> ClientPlan:
        """Take keyconf's settings out again; only called when the client has a binding."""
        raise NotImplementedError

    def status(self, ctx: Context) -> ClientStatus:
        raise NotImplementedError

    def target(self, ctx: Context) -> Target | None:
        """The Base URL and key this client is set to use now, read back from its files."""
        raise NotImplementedError

    def link(self, profile, key: str, opts: UseOptions) -> tuple[str, str] | None:
        """A one-click import link for this client and its masked form, or None."""
        return None

    def env_vars(self, profile) -> dict | None:
        """The environment variables this client reads ({name: {"value"} | {"key_of"}}), or None if it reads
        none (desktop apps)."""
        return None
