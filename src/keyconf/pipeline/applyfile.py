"""The apply file: one TOML file of profiles and clients (product.md, "The apply file").

    version = 1
    [profiles.work]
    base_url = "https://relay.example.com"
    key = { env = "WORK_KEY" }
    [clients.claude-code]
    profile = "work"

`parse` checks all of it before anything is asked or written, and every error names the file and line.
`render_export` writes this machine's profiles and bindings back as such a file, never with a key in it.
Pure: no I/O here (FILE `-`, prompts and writing belong to the command).
"""

from __future__ import annotations

import json
import re
import tomllib

from keyconf.errors import KeyconfError, UsageError
from keyconf.formats import tomltext
from keyconf.keys import sources as keysources
from keyconf.keys.sources import KeySpec
from keyconf.model import SHELLS, key_in_variables
from keyconf.urls import normalise_root

SUPPORTED_VERSIONS = (1,)
TOP_LEVEL = ("version", "profiles", "clients")
PROFILE_KEYS = ("base_url", "key", "models")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


# ---- options a client takes -------------------------------------------------------------------------

class Bad(ValueError):
    """A value that does not fit; the message never repeats a long value (it could be a key)."""


class Option:
    """One setting of a client in the file: `check(value)` returns the value to use or raises Bad;
    `default` is what `use` does without it (export leaves defaults out)."""

    def __init__(self, check, default=None, values: tuple = ()):
        self.check = check
        self.default = default
        self.values = values  # the choices, for a choice


def choice(*values: str) -> Option:
    def check(value):
        if not isinstance(value, str) or value not in values:
            raise Bad(f"must be {_one_of(values)}, not {_shown(value)}")
        return value

    return Option(check, values[0], values)


def _flag(value):
    if not isinstance(value, bool):
        raise Bad(f"must be true or false, not {_shown(value)}")
    return value


def _model(value):
    if not isinstance(value, str) or not value.strip():
        raise Bad(f"must be a model name (a non-empty string), not {_shown(value)}")
    return value.strip()


def _shells(value):
    if not isinstance(value, list) or not value:
        raise Bad(f"must be a list of shells like [\"bash\", \"zsh\"] (from {', '.join(SHELLS)}), "
                  f"not {_shown(value)}")
    for item in value:
        if item not in SHELLS:
            raise Bad(f"lists {_shown(item)}, which is not a shell keyconf writes; choose from {', '.join(SHELLS)}")
    return tuple(dict.fromkeys(value))


MODEL = Option(_model)
FLAG = Option(_flag, False)
SHELL_LIST = Option(_shells, ())

def _tiers(value):
    if not isinstance(value, dict) or not value or set(value) - {"haiku", "sonnet", "opus"}:
        raise Bad(f"must be a table of tier models like {{ sonnet = \"...\" }} (haiku, sonnet, opus), "
                  f"not {_shown(value)}")
    return {tier: _model(model) for tier, model in value.items()}


# How each option of `use` is checked in a file; which client takes which is declared by the adapters.
CHECKS = {"model": MODEL, "models": Option(_tiers), "no_plaintext": FLAG,
          "anthropic_auth": choice("token", "api-key"), "shells": SHELL_LIST,
          "protocol": choice("openai", "anthropic")}


def _options_table() -> dict[str, dict[str, Option]]:
    """{client: {option: Option}} from what each adapter declares (`Adapter.options`, `Adapter.vias`): one
    place decides what a client takes, for `use`, `import` and this file alike."""
    from keyconf import adapters

    table = {}
    for client in adapters.CLIENT_IDS:
        adapter = adapters.get(client)
        options = {name: CHECKS[name] for name in adapter.options}
        if adapter.vias[0] == "config":  # a client written through a config file may take `via`
            options = {"model": options.pop("model")} if "model" in options else {}
            options.update({"via": choice(*adapter.vias)},
                           **{n: CHECKS[n] for n in adapter.options if n != "model"})
        table[client] = options
    return table


OPTIONS: dict[str, dict[str, Option]] = _options_table()
CLIENTS = tuple(OPTIONS)


def _combination(client: str, options: dict) -> tuple[str, str] | None:
    """Options that are each fine but not together: (the option to blame, why)."""
    if key_in_variables(options):
        return "no_plaintext", ('no_plaintext and via = "env" do not go together: the shell variables hold '
                                'the key (no_plaintext works with via = "config")')
    if "shells" in options and "via" in OPTIONS[client] and options.get("via") != "env":
        return "shells", 'shells only applies with via = "env" (the shell files hold the variables)'
    return None


# ---- what parse returns -----------------------------------------------------------------------------

class ProfileSpec:
    def __init__(self, name: str, base_url: str, key_source: KeySpec, models: dict[str, str], where: str = ""):
        self.name = name
        self.base_url = base_url  # normalised root
        self.key_source = key_source
        self.models = models  # client -> default model
        self.where = where  # "FILE:LINE" of its table, for messages

    def __repr__(self) -> str:
        return f"ProfileSpec({self.name!r}, {self.base_url!r}, {self.key_source!r}, {self.models!r})"


class ClientSpec:
    def __init__(self, client: str, profile: str, options: dict, where: str = ""):
        self.client = client
        self.profile = profile
        self.options = options  # as written, checked and normalised (shells a tuple)
        self.where = where

    def __repr__(self) -> str:
        return f"ClientSpec({self.client!r}, {self.profile!r}, {self.options!r})"


class ApplyFile:
    def __init__(self, name: str, profiles: dict[str, ProfileSpec], clients: dict[str, ClientSpec],
                 warnings: list[str]):
        self.name = name
        self.profiles = profiles  # in file order
        self.clients = clients  # in file order
        self.warnings = warnings

    def options_for(self, client: str) -> dict:
        """The client's options with its profile's default model filled in: keyword arguments for
        UseOptions (model, via, no_plaintext, anthropic_auth, shells, protocol), only those that are set."""
        spec = self.clients[client]
        options = dict(spec.options)
        model = self.profiles[spec.profile].models.get(client)
        if model and "model" not in options:
            options["model"] = model
        return options


# ---- parse --------------------------------------------------------------------------------------

def parse(text: str, name: str) -> ApplyFile:
    """Check an apply file completely; raise UsageError("FILE:LINE: ...") at the first problem."""
    text = text.removeprefix("\ufeff")  # Notepad's byte order mark
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{name}:{_toml_error_line(str(exc), text)}: not valid TOML: {_toml_error_text(exc)}",
                         hint="fix the file (strings need quotes; one [clients.NAME] table per client)") from None
    return _Checker(text, name, data).run()


def _toml_error_line(message: str, text: str) -> int:
    m = re.search(r"\(at line (\d+), column \d+\)", message)
    if m:
        return int(m.group(1))
    return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))  # "(at end of document)"


def _toml_error_text(exc: Exception) -> str:
    return re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))


class _Checker:
    def __init__(self, text: str, name: str, data: dict):
        self.text = text
        self.name = name
        self.data = data
        self._lines = None  # tomltext.KeyLines, made on the first message that names a line

    # where -------------------------------------------------------------------------------------
    def line(self, *path) -> int:
        """The line that mentions `path`, else its nearest mentioned parent, else 1."""
        if self._lines is None:
            from keyconf.formats.tomltext import KeyLines

            self._lines = KeyLines(self.text)
        return self._lines.line_of(path)

    def where(self, *path) -> str:
        return f"{self.name}:{self.line(*path)}"

    def fail(self, path: tuple, message: str, hint: str = "") -> UsageError:
        return UsageError(f"{self.where(*path)}: {message}", hint=hint)

    # the checks ----------------------------------------------------------------------------------
    def run(self) -> ApplyFile:
        for key in self.data:
            if key not in TOP_LEVEL:
                raise self.fail((key,), f"unknown top-level key {_name(key)}; an apply file has: "
                                        f"{', '.join(TOP_LEVEL)}", hint=_did_you_mean(key, TOP_LEVEL))
        self.check_version()
        profiles = self.check_profiles()
        clients = self.check_clients(profiles)
        used = {c.profile for c in clients.values()}
        warnings = [f"{p.where}: profile {_name(p.name)} is used by no client (its key is still asked for and stored)"
                    for p in profiles.values() if p.name not in used]
        return ApplyFile(self.name, profiles, clients, warnings)

    def check_version(self) -> None:
        supported = ", ".join(map(str, SUPPORTED_VERSIONS))
        if "version" not in self.data:
            raise self.fail((), f"`version` is missing; supported versions: {supported}",
                            hint="put `version = 1` at the top of the file")
        version = self.data["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version not in SUPPORTED_VERSIONS:
            raise self.fail(("version",), f"version {_shown(version)} is not supported; supported versions: "
                            f"{supported}", hint="this file may be for a newer keyconf: upgrade keyconf")

    def table(self, path: tuple, value) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"{_dotted(path)} must be a table, not {_shown(value)}")
        return value

    def check_profiles(self) -> dict[str, ProfileSpec]:
        profiles = {}
        for name, body in self.table(("profiles",), self.data.get("profiles", {})).items():
            path = ("profiles", name)
            if not _PROFILE_NAME.fullmatch(name):
                raise self.fail(path, f"invalid profile name {_shown(name)}",
                                hint="use letters, digits, '.', '_' or '-' (up to 64), like the key's name on "
                                     "the dashboard: claude-code-mac")
            body = self.table(path, body)
            for key in body:
                if key not in PROFILE_KEYS:
                    raise self.fail(path + (key,), f"unknown key {_name(key)} in profile {_name(name)}; a profile "
                                                   f"takes: {', '.join(PROFILE_KEYS)}")
            profiles[name] = ProfileSpec(name, self.check_base_url(path, body), self.check_key(path, body),
                                         self.check_models(path, body), self.where(*path))
        return profiles

    def check_base_url(self, path: tuple, body: dict) -> str:
        if "base_url" not in body:
            raise self.fail(path, f"profile {_name(path[1])} has no base_url",
                            hint='add base_url = "https://..." (the Base URL shown on the dashboard)')
        raw = body["base_url"]
        if not isinstance(raw, str):
            raise self.fail(path + ("base_url",), f"{_dotted(path + ('base_url',))} must be a string, not "
                            f"{_shown(raw)}")
        try:
            return normalise_root(raw)
        except KeyconfError as exc:
            raise self.fail(path + ("base_url",), f"{_dotted(path + ('base_url',))}: {exc.message}",
                            hint=exc.hint) from None

    def check_key(self, path: tuple, body: dict) -> KeySpec:
        if "key" not in body:
            return keysources.DEFAULT
        try:
            return keysources.spec_from_toml(body["key"])
        except keysources.BadSpec as exc:
            raise self.fail(path + ("key",), f"{_dotted(path + ('key',))} {exc}") from None

    def check_models(self, path: tuple, body: dict) -> dict[str, str]:
        models = {}
        for client, model in self.table(path + ("models",), body.get("models", {})).items():
            where = path + ("models", client)
            if client not in OPTIONS:
                raise self.fail(where, _unknown_client(client), hint=_did_you_mean(client, CLIENTS))
            if "model" not in OPTIONS[client]:
                raise self.fail(where, f"{client} takes no model, so {_dotted(where)} has no use",
                                hint=f"remove it from {_dotted(path + ('models',))}")
            try:
                models[client] = MODEL.check(model)
            except Bad as exc:
                raise self.fail(where, f"{_dotted(where)} {exc}") from None
        return models

    def check_clients(self, profiles: dict[str, ProfileSpec]) -> dict[str, ClientSpec]:
        clients = {}
        for client, body in self.table(("clients",), self.data.get("clients", {})).items():
            path = ("clients", client)
            if client not in OPTIONS:
                raise self.fail(path, _unknown_client(client), hint=_did_you_mean(client, CLIENTS))
            body = self.table(path, body)
            profile = self.check_client_profile(path, body, profiles)
            options = {}
            for option, value in body.items():
                if option == "profile":
                    continue
                options[option] = self.check_option(client, option, value)
            clash = _combination(client, options)
            if clash:
                raise self.fail(path + (clash[0],), f"{client}: {clash[1]}")
            clients[client] = ClientSpec(client, profile, options, self.where(*path))
        return clients

    def check_client_profile(self, path: tuple, body: dict, profiles: dict) -> str:
        names = ", ".join(profiles) or "(none)"
        if "profile" not in body:
            if len(profiles) == 1:
                return next(iter(profiles))  # one profile in the file: no doubt which
            raise self.fail(path, f"{_dotted(path)} has no profile; the file defines: {names}",
                            hint='add profile = "NAME" to the table')
        profile = body["profile"]
        if not isinstance(profile, str):
            raise self.fail(path + ("profile",), f"{_dotted(path + ('profile',))} must be a string, not "
                            f"{_shown(profile)}")
        if profile not in profiles:
            raise self.fail(path + ("profile",), f"{path[1]} names profile {_name(profile)}, which the file does "
                            f"not define; the file defines: {names}",
                            hint=f"add a [profiles.{_key(profile) if _harmless(profile) else 'NAME'}] table with "
                                 "its base_url, or fix the name")
        return profile

    def check_option(self, client: str, option: str, value):
        path = ("clients", client, option)
        takes = "profile, " + ", ".join(OPTIONS[client])
        if option not in OPTIONS[client]:
            users = [c for c, opts in OPTIONS.items() if option in opts]
            if users:
                raise self.fail(path, f"option {_name(option)} does not apply to {client} (only to "
                                      f"{', '.join(users)}); {client} takes: {takes}")
            known = sorted({o for opts in OPTIONS.values() for o in opts} | {"profile"})
            raise self.fail(path, f"unknown option {_name(option)} for {client}; {client} takes: {takes}",
                            hint=_did_you_mean(option, known))
        try:
            return OPTIONS[client][option].check(value)
        except Bad as exc:
            raise self.fail(path, f"{_dotted(path)} {exc}") from None


def _unknown_client(client: str) -> str:
    return f"unknown client {_name(client)}; known clients: {', '.join(CLIENTS)}"


def _did_you_mean(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""  # one of ours: never a key


def _one_of(values) -> str:
    quoted = [json.dumps(v) for v in values]
    return quoted[0] if len(quoted) == 1 else "one of " + ", ".join(quoted)


def _shown(value) -> str:
    """A value for an error message; long strings are described, not repeated (a key pasted in the wrong
    place must not end up in the terminal or a CI log)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _harmless(value) else f"a string of {len(value)} characters"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"  # dates and times


def _harmless(text: str) -> bool:
    """Short enough, and not shaped like a relay key, to be repeated in a message."""
    return len(text) <= 40 and not text.startswith("sk-")


def _name(text: str) -> str:
    """A name the user wrote (profile, client, option), quoted; a key pasted as a name is not repeated."""
    return repr(text) if _harmless(text) else f"(a name of {len(text)} characters)"


def _key(part: str) -> str:
    """A TOML key: bare when it can be, else a basic string."""
    from keyconf.formats.tomltext import BARE_KEY

    return part if BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)


def _dotted(path: tuple) -> str:
    return ".".join(_key(str(p)) if _harmless(str(p)) else "…" for p in path)


# ---- export -------------------------------------------------------------------------------------

def env_var_for(profile: str) -> str:
    """KEYCONF_KEY_<PROFILE>: upper-cased, every other character than a letter or digit made `_`."""
    return "KEYCONF_KEY_" + re.sub(r"[^A-Z0-9]", "_", profile.upper())


def render_export(profiles, bindings: dict, key_source: str = "prompt") -> str:
    """An apply file for these profiles (objects with .name and .base_url) and bindings (state.json's shape:
    client -> {"profile", "via", "model", "no_plaintext", ...}). Options equal to what `use` does without
    them are left out. It holds no key: each is `{ prompt = true }` or `{ env = "KEYCONF_KEY_<PROFILE>" }`."""
    if key_source not in ("prompt", "env"):
        raise UsageError(f"unknown key source {key_source!r} for export; choose prompt or env")
    profiles = list(profiles)
    names = {p.name for p in profiles}
    env_names = _distinct_env_names([p.name for p in profiles])
    lines = ["# keyconf apply file, written by `keyconf export`. It holds no key: "
             + ("each key is read from the variable named below." if key_source == "env"
                else "each key is asked for once, with a hidden prompt."),
             "# Apply it with: keyconf apply FILE", "", "version = 1", ""]
    for profile in profiles:
        spec = KeySpec("env", env_names[profile.name]) if key_source == "env" else keysources.DEFAULT
        lines += [f"[profiles.{_key(profile.name)}]", f"base_url = {_toml(profile.base_url)}",
                  f"key = {spec.to_toml()}", ""]
    for client, binding in bindings.items():
        if client not in OPTIONS:
            lines += [f"# {client}: not a client this keyconf knows; left out", ""]
            continue
        if binding.get("profile") not in names:
            lines += [f"# {client}: its profile {binding.get('profile')!r} no longer exists; left out", ""]
            continue
        lines += [f"[clients.{_key(client)}]", f"profile = {_toml(binding['profile'])}"]
        lines += [f"{option} = {_toml(value)}" for option, value in exported_options(client, binding).items()]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def exported_options(client: str, binding: dict) -> dict:
    """The options of a binding worth writing down: those that differ from `use`'s defaults and that the
    file accepts (Cherry Studio's internal via = "link" is not an option)."""
    options = {}
    for option, spec in OPTIONS[client].items():
        value = binding.get(option)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = list(value)
        try:
            checked = spec.check(value)
        except Bad:
            continue
        if checked != spec.default:
            options[option] = value
    return options


def _distinct_env_names(names: list[str]) -> dict[str, str]:
    """`work.eu` and `work-eu` would both be KEYCONF_KEY_WORK_EU: number the later ones."""
    taken, out = set(), {}
    for name in names:
        var, n = env_var_for(name), 2
        while var in taken:
            var, n = f"{env_var_for(name)}_{n}", n + 1
        taken.add(var)
        out[name] = var
    return out


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return tomltext.string(value)
