"""What a client asks the relay for, per release: the reader of the one data table each adapter keeps
(`Adapter.model_table`, plain data so that `status`, which imports every adapter, pays nothing for it), and
the lookup verification does with it.

A client's default model and the meaning of its aliases move with its releases (Claude Code's default
changed three times in 2.1.x). Each table row covers a range of releases that was run against a loopback
relay; a release outside every row (newer than the newest one tried, or older than the oldest) is one
keyconf cannot speak for, and verification says so instead of naming a stale model.
"""

from __future__ import annotations

from keyconf.osenv.clientversion import parse_version


class Release:
    """A range of releases (inclusive) and what they ask for.

    `default`: the name the client uses when no model is set (an alias of `aliases`, or a model).
    `aliases`: short names the client resolves itself, each to the models it then sends (main first:
    Gemini's `auto` sends a router model as well as its main one).
    """

    def __init__(self, first: str, last: str, default: str, aliases: dict | None = None):
        self.first = first
        self.last = last
        self.default = default
        self.aliases = dict(aliases or {})

    def covers(self, version: tuple[int, int, int]) -> bool:
        return parse_version(self.first) <= version <= parse_version(self.last)


class ModelTable:
    def __init__(self, family: str, releases: tuple):
        self.family = family  # the prefix of the vendor's model names (claude, gpt, gemini): listed when unsure
        self.releases = tuple(releases)  # of Release, oldest first

    def release(self, version: str | None) -> Release | None:
        parsed = parse_version(version)
        if parsed is None:
            return None
        return next((r for r in self.releases if r.covers(parsed)), None)

    @property
    def newest(self) -> str:
        return self.releases[-1].last

    @property
    def oldest(self) -> str:
        return self.releases[0].first

    @property
    def alias_names(self) -> frozenset:
        """Every alias any known release has: a configured name among them needs the release to mean anything."""
        return frozenset(name for r in self.releases for name in r.aliases)

    def why_unknown(self, version: str | None) -> str:
        """Why no row applies, in words."""
        parsed = parse_version(version)
        if parsed is None:
            return "keyconf could not tell which release is installed"
        if parsed > parse_version(self.newest):
            return f"it is newer than the releases keyconf knows (up to {self.newest})"
        return f"it is older than the releases keyconf knows (from {self.oldest})"


class Asked:
    """The models a client will ask for, as far as keyconf can tell.

    `models`: known to be asked for (main first), each checked against the group's list. `default`: the main
    one is the release's own default (no model set). `unsure`: why keyconf cannot tell the main model (an
    unknown release, or an alias whose meaning moved) or None when it can.
    """

    def __init__(self, models: list, default: bool = False, unsure: str | None = None):
        self.models = models
        self.default = default
        self.unsure = unsure
        self.version: str | None = None  # the installed release, when it was looked up


_TABLES: dict = {}


def table_of(adapter) -> ModelTable | None:
    """The adapter's model table, read once."""
    data = getattr(adapter, "model_table", None) if adapter is not None else None
    if not data:
        return None
    if adapter.id not in _TABLES:
        _TABLES[adapter.id] = ModelTable(data["family"], tuple(Release(*row) for row in data["releases"]))
    return _TABLES[adapter.id]


def expand(table: ModelTable | None, name: str, tiers: dict, release: Release | None) -> list | None:
    """The models a configured name makes the client send (main first); None when that depends on a release
    keyconf does not know. A tier pin (Claude Code's ANTHROPIC_DEFAULT_OPUS_MODEL for `opus`) beats the
    release's alias in every release; in an alias, `@tier` means that tier's pin, else the release's alias."""
    key = name.strip().lower()
    if tiers.get(key):
        return [tiers[key]]
    if table is None or key not in table.alias_names:
        return [name.strip()]
    if release is None or key not in release.aliases:
        return None
    found: list = []
    for item in release.aliases[key]:
        model = (tiers.get(item[1:]) or release.aliases[item[1:]][0]) if item.startswith("@") else item
        if model not in found:
            found.append(model)
    return found


def asked_for(adapter, target, deep: bool, installed) -> Asked:
    """What `target`'s client will ask the relay for. `installed()` gives the client's Installed release
    (osenv.clientversion), called only when the answer depends on it.

    No model set: the release's default, when the client is named (or a deep check needs a model).
    A model set: itself, or what the alias means in that release. Extra models (Claude Code's tier pins)
    are set by the user and always known."""
    tiers = {k: v for k, v in (target.tiers or {}).items() if v}
    extras = [m for m in list(target.models or ()) + list(tiers.values()) if m]
    configured = (target.model or "").strip()
    table = table_of(adapter)
    title = adapter.title if adapter is not None else "the client"
    memo: list = []

    def release():
        if not memo:
            found = installed()
            memo.append((found, table.release(found.version) if table and found.version else None))
        return memo[0]

    def resolve(name: str):
        if adapter is None:
            return [name]
        found = adapter.models_for(name, tiers, None)  # a full name, or a pinned tier: no release needed
        if found is None and table is not None and release()[1] is not None:
            found = adapter.models_for(name, tiers, release()[1])
        return found

    main, default, unsure = [], False, None
    if configured:
        main = resolve(configured)
        if main is None:
            main, unsure = [], f"{configured!r} is a {title} alias whose model moves with its releases; " + \
                _unknown(title, table, *release())
    elif table is not None and (target.client or deep):
        found, rel = release()
        if rel is not None:
            main, default = adapter.models_for(rel.default, tiers, rel) or [], True
        else:
            unsure = _unknown(title, table, found, None)
    models: list = []
    for model in main + [m for extra in extras for m in (resolve(extra) or [])]:
        if model not in models:
            models.append(model)
    asked = Asked(models, default, unsure)
    if memo and memo[0][0].version:
        asked.version = memo[0][0].version
    return asked


def _unknown(title: str, table, found, rel) -> str:
    if found.version is None and getattr(found, "missing", False):
        return f"{title} is not installed here ({found.problem})"
    if found.version is None:
        return f"keyconf could not read which {title} release is installed ({found.problem})"
    return f"{title} {found.version} is installed and {table.why_unknown(found.version)}"
