"""Typed records shared by the commands, the adapters and the shell-environment code.

This module sits below all of them (it imports nothing of keyconf's), so a record means the same thing
everywhere: `Options` are the flags of `use` for one client, `Binding` is what keyconf remembers about a
configured client (replayed by `rotate`, `env`, `import`, `apply` and `export`), `Request` is one client
to configure or clean, `ClientPlan` is an adapter's answer, `ClientStatus` and `Target` are read back.

Plain classes rather than dataclasses: `status` imports this module, and dataclasses pulls in `inspect`
(~9 ms), a tenth of the budget for the whole command.
"""

from __future__ import annotations

STATE_VERSION = 2
SHELLS = ("bash", "zsh", "fish", "powershell")  # the shells keyconf writes environment blocks for

# Every option a client may accept, with its default. Adapters declare which ones they take
# (`Adapter.options`); `use`, `apply` and `import` refuse the others by name.
DEFAULTS = {
    "via": "config",  # config | env | link
    "no_plaintext": False,
    "model": None,
    "models": None,  # Claude Code's tier models: {"haiku", "sonnet", "opus"} -> model
    "anthropic_auth": "token",  # claude-code: token (ANTHROPIC_AUTH_TOKEN) | api-key (ANTHROPIC_API_KEY)
    "shells": (),
    "protocol": None,  # cherry-studio: openai | anthropic
}


class Options:
    """The options one client is (to be) configured with."""

    __slots__ = tuple(DEFAULTS)

    def __init__(self, **values):
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        for name, default in DEFAULTS.items():
            setattr(self, name, values.get(name, default))
        self.shells = tuple(self.shells or ())
        self.models = dict(self.models) if self.models else None

    def replace(self, **changes) -> "Options":
        return Options(**{**self.to_record(full=True), **changes})

    def to_record(self, full: bool = False) -> dict:
        """The options as a dict; without `full`, only those that differ from their defaults (what state.json
        keeps and what a re-run replays)."""
        record = {name: getattr(self, name) for name in DEFAULTS}
        record["shells"] = list(self.shells)
        return record if full else {k: v for k, v in record.items() if v != _default(k)}

    @classmethod
    def from_record(cls, record: dict | None) -> "Options":
        return cls(**{k: v for k, v in (record or {}).items() if k in DEFAULTS})

    def __eq__(self, other) -> bool:
        return isinstance(other, Options) and self.to_record() == other.to_record()

    def __repr__(self) -> str:
        return f"Options({self.to_record()!r})"


def key_in_variables(values: dict) -> bool:
    """--no-plaintext with --via env: each fine, not together (the shell variables hold the key). The one
    rule `use`, `import` and apply files share; each words it for its own surface (flags, file keys)."""
    return bool(values.get("no_plaintext")) and values.get("via") == "env"


def _default(name: str):
    value = DEFAULTS[name]
    return [] if name == "shells" else value


class EnvSpec:
    """The environment variables a binding exports through the shell files (`--via env`, and `shell`).

    `vars` maps a variable name to {"value": text} or {"key_of": profile}: the key itself is never kept
    here, it is fetched from the secret store when the env files are rendered.
    """

    __slots__ = ("vars", "shells", "seq")

    def __init__(self, vars: dict, shells, seq: int = 0):
        self.vars = dict(vars)
        self.shells = sorted(set(shells))
        self.seq = seq  # the latest `use` wins where two clients export the same variable

    def to_record(self) -> dict:
        return {"vars": self.vars, "shells": list(self.shells), "seq": self.seq}

    @classmethod
    def from_record(cls, record: dict | None) -> "EnvSpec | None":
        if not record:
            return None
        return cls(record.get("vars", {}), record.get("shells", ()), record.get("seq", 0))


class Binding:
    """Which profile a client uses, how, with which options; plus what its adapter must remember.

    `memo` is private to the adapter (what it owned in which file, the user's prior values, ...): only the
    adapter reads it. Commands touch only the typed fields.
    """

    __slots__ = ("client", "profile", "options", "memo", "env")

    def __init__(self, client: str, profile: str | None, options: Options, memo: dict | None = None,
                 env: EnvSpec | None = None):
        self.client = client
        self.profile = profile
        self.options = options
        self.memo = dict(memo or {})
        self.env = env

    @property
    def via(self) -> str:
        return self.options.via

    def to_record(self) -> dict:
        record = {"profile": self.profile, "options": self.options.to_record(), "memo": self.memo}
        if self.env is not None:
            record["env"] = self.env.to_record()
        return record

    @classmethod
    def from_record(cls, client: str, record: dict) -> "Binding":
        return cls(client, record.get("profile"), Options.from_record(record.get("options")),
                   record.get("memo"), EnvSpec.from_record(record.get("env")))


# Keys of a version-1 binding (a flat dict each adapter filled in) that were options or env settings;
# everything else was the adapter's own memo.
_V1_OPTIONS = ("via", "no_plaintext", "model", "anthropic_auth", "protocol")
_V1_ENV = ("vars", "shells", "seq")


def binding_from_v1(client: str, record: dict) -> Binding:
    """Migrate a state.json version-1 binding record."""
    options = {k: record[k] for k in _V1_OPTIONS if record.get(k) is not None}
    if record.get("via") == "env" and record.get("shells"):
        options["shells"] = record["shells"]
    env = None
    if record.get("via") == "env" or "vars" in record:
        env = EnvSpec(record.get("vars", {}), record.get("shells", ()), record.get("seq", 0))
    memo = {k: v for k, v in record.items() if k not in _V1_OPTIONS + _V1_ENV + ("profile",)}
    return Binding(client, record.get("profile"), Options(**options), memo, env)


class Request:
    """One client to configure (`use`) or clean (`remove`), as any command builds it."""

    __slots__ = ("client", "action", "options", "profile")

    def __init__(self, client: str, action: str = "use", options: Options | None = None,
                 profile: str | None = None):
        self.client = client
        self.action = action  # use | remove
        self.options = options or Options()
        self.profile = profile  # None: the profile the change is about

    def __repr__(self) -> str:
        return f"Request({self.client!r}, {self.action!r}, {self.options!r})"


class Target:
    """What a client is (or will be) set to use, for verification."""

    __slots__ = ("client", "root", "key", "protocol", "model", "tiers", "models")

    def __init__(self, root: str, key: str | None, protocol: str = "chat", model: str | None = None,
                 tiers: dict | None = None, client: str | None = None, *, models=()):
        self.root = root
        self.key = key
        self.protocol = protocol  # anthropic | responses | chat | gemini
        self.model = model  # None: the client's own default model (verification knows it)
        self.tiers = dict(tiers or {})  # Claude Code: {"opus"|"sonnet"|"haiku": model}
        self.client = client  # a client id (its adapter knows its models), or a label ("profile work")
        self.models = tuple(models)  # more models the client uses besides `model`


class ClientPlan:
    """An adapter's answer to a request: the edits, the binding to record, and what to tell the user."""

    def __init__(self, client: str):
        self.client = client
        self.edits: list = []
        self.binding: Binding | None = None  # the new binding record; None drops it
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.shared: list = []  # edits of files shared with other clients (shell env files)
        self.link: tuple[str, str] | None = None  # (link, masked link) to hand over after the commit
        self.replaces: list[str] = []  # settings made outside keyconf that this change replaces (asked)
        self.target: Target | None = None  # what the client will use, checked before the commit
        self.status: str | None = None  # what happened, when "configured" would say too much ("link ready")

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
        self.key: str | None = None  # masked, or a description of where the key comes from
        self.model: str | None = None
        self.where = where or []
        self.conflicts: list[str] = []
        self.notes: list[str] = []

    def to_json(self) -> dict:
        return dict(vars(self))


class Launch:
    """How `keyconf run` starts a client for one process with a profile: the adapter's answer to `launch`.

    `env` holds plain values (URLs, models, names of overlay files); the variables in `key_vars` get the key,
    which never appears in `argv` or in `files`. `unset` are variables that would beat the profile (a stray
    ANTHROPIC_API_KEY). `files` are overlay files inside keyconf's own state folder ({path: bytes}, written
    0600 before the start), `links` symlinks there ({path: target}). `program` None: the first argument
    after `--` is the program (the `shell` client).
    """

    __slots__ = ("program", "env", "key_vars", "unset", "argv", "files", "links", "notes")

    def __init__(self, program: str | None, env: dict | None = None, key_vars=(), unset=(), argv=(),
                 files: dict | None = None, links: dict | None = None):
        self.program = program
        self.env = dict(env or {})
        self.key_vars = tuple(key_vars)
        self.unset = tuple(unset)
        self.argv = list(argv)
        self.files = dict(files or {})
        self.links = dict(links or {})
        self.notes: list[str] = []
