"""What every client adapter offers. Adapters are pure planners: they read files and return a `ClientPlan`;
they never write, print or ask. Everything a client needs that is not reading and planning its own files
(the shell variables of `--via env`, the secret store, verification, the transaction) is done once, by the
change pipeline, from what the adapter declares here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from keyconf.errors import UsageError
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target
from keyconf.osenv.system import which
from keyconf.paths import Paths
from keyconf.stores.state import State


class Context:
    """What an adapter may look at: the paths and environment, keyconf's state, and the keys known so far
    in this change (a key stored by this same change is not in the secret store yet)."""

    def __init__(self, paths: Paths, state: State, keys: dict | None = None):
        self.paths = paths
        self.state = state
        self.keys = dict(keys or {})

    @property
    def env(self):
        return self.paths.env

    def binding(self, client: str) -> Binding | None:
        return self.state.bindings.get(client)

    def memo(self, client: str) -> dict:
        binding = self.state.bindings.get(client)
        return binding.memo if binding else {}

    def profile_key(self, name: str | None) -> str | None:
        """The key of a profile (for clients that fetch it from keyconf at run time, and for checks)."""
        if not name:
            return None
        if name in self.keys:
            return self.keys[name]
        from keyconf.stores import secretstore
        from keyconf.stores.profiles import Profiles

        profiles = Profiles(self.paths)
        if name not in profiles.items:
            return None
        try:
            return secretstore.read_key(self.paths, profiles.items[name])
        except Exception:  # noqa: BLE001 - a missing key reads as "none"; the caller reports that
            return None

    def keyconf_argv(self) -> list[str]:
        from keyconf.osenv.system import keyconf_argv

        return keyconf_argv(self.env)


class Adapter(ABC):
    """One client. Subclasses set the class attributes (what the client can do) and implement the planning
    and reading methods. Commands ask these, never which client an adapter is."""

    id = ""
    title = ""
    protocol = "chat"  # what verification speaks to the relay for it: anthropic | responses | chat | gemini
    vias: tuple[str, ...] = ("config",)  # the first is the default
    options: tuple[str, ...] = ("model",)  # options of `use` this client takes besides `via`
    binary: str | None = None
    process_names: tuple[str, ...] = ()  # a running app that must restart (or quit, for Cursor)
    needs_app = False  # True: can only be configured where the app is installed (Cursor's database)
    desktop_app = False  # started from a dock or menu: reads no shell start-up file (doctor's proxy check)
    key_command_name = ""  # what the client calls the command it runs for its key (--no-plaintext), if any
    no_plaintext_why = ""  # why --no-plaintext is not possible, for clients that can't take it
    # What each release asks the relay for when no model is set, and what its aliases mean
    # (plain data: {"family": "claude", "releases": ((first, last, default, {alias: models}), ...)}, read at
    # run time by adapters/releases.py). None: the user picks in the app.
    model_table = None
    npm_package: str | None = None  # where its installed release is read (osenv.clientversion)
    run_why = ""  # why `keyconf run` can't start this client (a desktop app started from its own launcher)

    # declared knowledge -------------------------------------------------------------------------
    def installed(self, ctx: Context) -> bool:
        """The client's program is on PATH, or its own folder exists (and keyconf did not make it)."""
        if self.binary and which(self.binary, ctx.env.get("PATH")):
            return True
        folder = self.app_folder(ctx)
        return bool(folder and folder.is_dir() and not ctx.memo(self.id).get("made_folder"))

    def app_folder(self, ctx: Context) -> Path | None:
        """The folder the client keeps its settings in, whose presence says it is installed."""
        return None

    def env_vars(self, profile, opts: Options) -> dict | None:
        """The environment variables this client reads, as configured by `opts`
        ({name: {"value": text} | {"key_of": profile}}), or None for desktop apps that read none."""
        return None

    def models_for(self, name: str, tiers: dict, release) -> list[str] | None:
        """The models a configured name makes the client send, main first (Claude Code's `opus`, Gemini CLI's
        `auto`), given its tier settings and its release (a releases.Release, None when unknown). None:
        it depends on a release keyconf does not know."""
        from keyconf.adapters.releases import expand, table_of

        return expand(table_of(self), name, tiers, release)

    def intended_target(self, profile, key: str, opts: Options) -> Target:
        """What the client will use once `opts` are written: checked before anything is written."""
        return Target(profile.base_url, key, self.protocol, opts.model, client=self.id)

    def link(self, profile, key: str, opts: Options) -> tuple[str, str] | None:
        """A one-click import link for this client and its masked form, or None."""
        return None

    # planning -------------------------------------------------------------------------------------
    @abstractmethod
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        """The edits that make the client use `profile` and `key` with `opts`. Reads, never writes."""

    @abstractmethod
    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        """Take keyconf's settings out again; only called when the client has a binding."""

    # reading back ---------------------------------------------------------------------------------
    @abstractmethod
    def status(self, ctx: Context) -> ClientStatus:
        """What the client is set to use, for `status` and `doctor`."""

    @abstractmethod
    def target(self, ctx: Context) -> Target | None:
        """The Base URL and key this client is set to use now, read back from its files."""

    # optional abilities ---------------------------------------------------------------------------
    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        """Client-specific findings for `keyconf doctor`: (level, text) with level ok|info|warning|problem."""
        return []

    def key_command(self, ctx: Context) -> list[str] | None:
        """The command (argv) the client runs for its key, as written in its settings (`key_command_name`)."""
        return None

    def after_commit(self, ctx: Context, plan: ClientPlan, no_open: bool) -> None:
        """A step that must follow the written change (Cherry Studio: hand the import link over)."""

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """How `keyconf run` starts this client for one process with `profile`, through the client's own
        per-process settings (variables, flags, overlay files in `run_folder`); no file of the client's is
        touched and the key goes only into the variables named in `key_vars`. Pure: writes nothing."""
        why = self.run_why or "it has no per-process settings"
        raise UsageError(f"`keyconf run` can't start {self.title}: {why}",
                         hint=f"configure it for every start with `keyconf use {self.id}`", client=self.id)


def home_or(ctx: Context, variable: str, *default: str) -> Path:
    """A client's folder: `$variable` when set (CODEX_HOME, CLAUDE_CONFIG_DIR, ...), else under HOME."""
    value = ctx.env.get(variable, "").strip()
    return Path(value) if value else ctx.paths.home.joinpath(*default)


def run_folder(ctx: Context, client: str) -> Path:
    """Where `keyconf run` keeps a client's overlay files: inside keyconf's own (0700) state folder."""
    return ctx.paths.keyconf_home / "run" / client


def strip_v1(base: str) -> str:
    """A client's OpenAI-shaped URL (root + /v1) back to the root."""
    base = base.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base

