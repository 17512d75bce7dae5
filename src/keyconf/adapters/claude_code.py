"""Claude Code: `env` block of the user settings file, plus the onboarding flag in its global state.

Owns only ANTHROPIC_BASE_URL (root, no /v1), one of ANTHROPIC_AUTH_TOKEN / ANTHROPIC_API_KEY (or
`apiKeyHelper` with --no-plaintext), ANTHROPIC_MODEL, and `hasCompletedOnboarding` in `.claude.json`.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, home_or, run_folder
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, prior_of, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target
from keyconf.osenv.system import fragile_command_warning

TOKEN = "ANTHROPIC_AUTH_TOKEN"  # sent as Authorization: Bearer, no approval prompt
API_KEY = "ANTHROPIC_API_KEY"  # sent as x-api-key; interactive mode asks to approve it
BASE_URL = "ANTHROPIC_BASE_URL"
MODEL = "ANTHROPIC_MODEL"
TIER_MODELS = {"haiku": "ANTHROPIC_DEFAULT_HAIKU_MODEL", "sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL",
               "opus": "ANTHROPIC_DEFAULT_OPUS_MODEL"}
ONBOARDED = ("hasCompletedOnboarding",)
# What each release sends with no model set, and what its aliases mean (run against a loopback relay; plain
# data, read by adapters/releases.py). `default`/`best` are the opus tier, `opusplan` the sonnet tier (opus in
# plan mode only); a tier's ANTHROPIC_DEFAULT_*_MODEL replaces its alias in every release. Rows: (first
# release, last release, the name used with no model set, {alias: the models it sends}). Add a row when a
# release moves a name, and raise the last one's upper bound when a newer release sends the same.
_TIER_ALIASES = {"default": ("@opus",), "best": ("@opus",), "opusplan": ("@sonnet", "@opus")}
MODELS = {"family": "claude", "releases": (
    ("2.1.0", "2.1.218", "default", {"opus": ("claude-opus-4-8",), "sonnet": ("claude-sonnet-5",),
                                     "haiku": ("claude-haiku-4-5-20251001",), **_TIER_ALIASES}),
    ("2.1.219", "2.1.279", "default", {"opus": ("claude-opus-5",), "sonnet": ("claude-sonnet-5",),
                                       "haiku": ("claude-haiku-4-5-20251001",), **_TIER_ALIASES}),
    ("2.1.280", "2.1.332", "default", {"opus": ("claude-opus-5-5",), "sonnet": ("claude-sonnet-5-5",),
                                       "haiku": ("claude-haiku-5-5",), **_TIER_ALIASES}),
)}

def _env(var: str) -> tuple[str, str]:
    return ("env", var)


def config_dir(ctx: Context) -> Path:
    return home_or(ctx, "CLAUDE_CONFIG_DIR", ".claude")


def settings_file(ctx: Context) -> Path:
    return config_dir(ctx) / "settings.json"


def state_file(ctx: Context) -> Path:
    # With CLAUDE_CONFIG_DIR set, Claude Code keeps its global state inside that folder.
    explicit = ctx.env.get("CLAUDE_CONFIG_DIR", "").strip()
    return Path(explicit) / ".claude.json" if explicit else ctx.paths.home / ".claude.json"


def auth_var(opts: Options) -> str:
    return API_KEY if opts.anthropic_auth == "api-key" else TOKEN


def model_vars(opts: Options) -> dict:
    """ANTHROPIC_MODEL and the tier models (ANTHROPIC_DEFAULT_*_MODEL) the options ask for."""
    found = {MODEL: opts.model} if opts.model else {}
    for tier, var in TIER_MODELS.items():
        if (opts.models or {}).get(tier):
            found[var] = opts.models[tier]
    return found


def _digest(body: bytes) -> str:
    """A short name for an overlay's content: concurrent runs with other profiles never share a file."""
    import hashlib

    return hashlib.sha256(body).hexdigest()[:16]


def _onboarded(path: Path) -> bool:
    """`hasCompletedOnboarding: true` in the global state file, found without parsing it (it can be huge)."""
    content = fsutil.read_bytes(path) or b""
    return re.search(rb'"hasCompletedOnboarding"\s*:\s*true', content) is not None


class ClaudeCode(Adapter):
    id = "claude-code"
    title = "Claude Code"
    protocol = "anthropic"
    vias = ("config", "env")
    options = ("model", "models", "no_plaintext", "anthropic_auth", "shells")
    binary = "claude"
    process_names = ("claude",)
    key_command_name = "apiKeyHelper"
    model_table = MODELS
    npm_package = "@anthropic-ai/claude-code"

    def app_folder(self, ctx: Context) -> Path:
        return config_dir(ctx)

    def _load(self, ctx: Context, path: Path) -> JsonDoc:
        # No local copy of the bytes: ~/.claude.json can be hundreds of MB, and the document alone keeps
        # what it needs to give them back (`original()`).
        return JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path))

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        settings = settings_file(ctx)
        doc = self._load(ctx, settings)
        if doc.raw(("env",)) is not None and not doc.is_object(("env",)):
            raise UnsafeEdit(f"{doc.name}: `env` is not a JSON object; keyconf will not replace it",
                             hint="make `env` an object of strings, then run keyconf again", client=self.id)
        old = ctx.memo(self.id)
        owned_before = old.get("files", {}).get(str(settings))

        desired = {_env(BASE_URL): encode(profile.base_url)}
        use_var = auth_var(opts)
        if opts.via == "env":
            desired = {}  # the shell provides the variables; settings.json keeps nothing of ours
            stray = ()
            for var in (BASE_URL, TOKEN, API_KEY):
                if doc.raw(_env(var)) not in (None, '""') and not owns(owned_before, _env(var)):
                    plan.warnings.append(f"{doc.name} sets {var}, which beats the shell variable; "
                                         "remove it there or use --via config")
        elif opts.no_plaintext:
            argv = ctx.keyconf_argv()
            desired[("apiKeyHelper",)] = encode(shlex.join(argv + ["secret", profile.name]))
            fragile = fragile_command_warning(argv, "Claude Code's apiKeyHelper")
            if fragile:
                plan.warnings.append(fragile)
            stray = (TOKEN, API_KEY)
        else:
            desired[_env(use_var)] = encode(key)
            stray = (API_KEY if use_var == TOKEN else TOKEN,)
        for var in stray:
            # A second credential is sent beside ours (x-api-key next to Bearer) and some relays reject
            # that; an empty value in `env` beats a shell export.
            in_shell = bool(ctx.env.get(var))
            prior = prior_of(owned_before, _env(var), doc.raw(_env(var)))
            in_file = prior not in (None, '""')
            if in_shell or in_file:
                desired[_env(var)] = '""'
                where = "exported in your shell" if in_shell else f"set in {doc.name}"
                plan.notes.append(f"{var} is {where}; keyconf sets it to \"\" in {doc.name} so Claude Code "
                                  f"sends only the relay key (remove gives it back)")
        if opts.via != "env":
            for var, value in model_vars(opts).items():
                desired[_env(var)] = encode(value)
        for path, raw in desired.items():
            prior = doc.raw(path)
            ours = owns(owned_before, path)
            if prior not in (None, '""', raw) and not ours and path[-1] in (BASE_URL, TOKEN, API_KEY, "apiKeyHelper"):
                value = json.loads(prior)
                shown = mask(value) if path[-1] in (TOKEN, API_KEY) and isinstance(value, str) else prior
                plan.replaces.append(f"{'.'.join(path)} = {shown} in {doc.name}")
        owned = set_owned(doc, desired, owned_before)
        plan.edits.append(FileEdit(settings, doc.original(), doc.content(), private=True, client=self.id))

        # Without the onboarding flag the first run shows a login screen and ignores the relay.
        state_path = state_file(ctx)
        state_doc = self._load(ctx, state_path)
        owned_state = set_owned(state_doc, {ONBOARDED: "true"}, old.get("files", {}).get(str(state_path)))
        plan.edits.append(FileEdit(state_path, state_doc.original(), state_doc.content(), client=self.id))

        files = {str(settings): owned, str(state_path): owned_state}
        plan.binding = Binding(self.id, profile.name, opts, {"files": files})
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        for name, owned in binding.memo.get("files", {}).items():
            path = Path(name)
            doc = self._load(ctx, path)
            if not doc.existed:
                continue
            restore_owned(doc, owned)
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = None
        return plan

    def link(self, profile, key: str, opts: Options) -> tuple[str, str]:
        from keyconf import links

        return links.ccswitch_link("claude", profile.name, profile.base_url, key,
                                   {"model": opts.model, **(opts.models or {})})

    def env_vars(self, profile, opts: Options) -> dict:
        variables = {BASE_URL: {"value": profile.base_url}, auth_var(opts): {"key_of": profile.name}}
        for var, value in model_vars(opts).items():
            variables[var] = {"value": value}
        return variables

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """`--settings FILE`: flag settings beat ~/.claude/settings.json, whose `env` beats the shell (so a
        variable alone would lose to a key set there). The overlay empties both key variables and names
        `keyconf secret` as apiKeyHelper: the key is fetched at start, never written (Claude Code then sends
        it as Bearer and x-api-key). The user's hooks, permissions, MCP servers and sessions stay in use."""
        env = {BASE_URL: profile.base_url, TOKEN: "", API_KEY: ""}
        if model:
            env[MODEL] = model
        helper = shlex.join(ctx.keyconf_argv() + ["secret", profile.name])
        body = (json.dumps({"apiKeyHelper": helper, "env": env}, indent=2) + "\n").encode()
        path = run_folder(ctx, self.id) / f"settings-{_digest(body)}.json"
        launch = Launch(self.binary, env={BASE_URL: profile.base_url, **({MODEL: model} if model else {})},
                        unset=(TOKEN, API_KEY), argv=["--settings", str(path)], files={path: body})
        state = state_file(ctx)
        if not _onboarded(state):
            launch.notes.append(f"{ctx.paths.display(state)} has no hasCompletedOnboarding: an interactive start "
                                "shows Claude Code's first-start screens (`claude -p` runs skip them)")
        return launch

    def models_for(self, name: str, tiers: dict, release) -> list[str] | None:
        from keyconf.adapters.releases import expand, table_of

        bare = re.sub(r"\[1m\]$", "", name.strip(), flags=re.IGNORECASE)  # the 1M-context marker
        return expand(table_of(self), bare, tiers, release)

    def intended_target(self, profile, key: str, opts: Options) -> Target:
        return Target(profile.base_url, key, self.protocol, opts.model, opts.models, client=self.id)

    def key_command(self, ctx: Context) -> list[str] | None:
        import shlex

        helper = self._read_settings(ctx)[0].get("apiKeyHelper")
        try:
            return shlex.split(helper) if helper else None
        except ValueError:
            return [helper]

    def _read_settings(self, ctx: Context) -> tuple[dict, list[str]]:
        """keyconf's settings as strings ({"env": {VAR: text}, "apiKeyHelper": text}) and the problems found
        reading them (a value of another type is reported, "`env.ANTHROPIC_AUTH_TOKEN` is a number")."""
        path = settings_file(ctx)
        try:
            doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path))
            doc.require_kind(("env",), "object")
        except UnsafeEdit as exc:
            return {"env": {}, "apiKeyHelper": None}, [exc.message]
        env, problems = {}, []
        for var in (BASE_URL, TOKEN, API_KEY, MODEL, *TIER_MODELS.values()):
            try:
                value = doc.get_str(_env(var))
            except UnsafeEdit as exc:
                problems.append(exc.message)
                continue
            if value is not None:
                env[var] = value
        for var in (TOKEN, API_KEY):
            remember(env.get(var))  # a key found in the file is masked in everything printed after
        try:
            helper = doc.get_str(("apiKeyHelper",))
        except UnsafeEdit as exc:
            helper = None
            problems.append(exc.message)
        return {"env": env, "apiKeyHelper": helper}, problems

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        settings, problems = self._read_settings(ctx)
        env = settings["env"]
        st = ClientStatus(self.id, self.installed(ctx), bool(env.get(BASE_URL)),
                          profile=binding.profile if binding else None, via=binding.via if binding else None,
                          base_url=env.get(BASE_URL) or None,
                          where=[ctx.paths.display(settings_file(ctx))])
        st.model = env.get(MODEL)
        st.conflicts += problems
        if settings.get("apiKeyHelper"):
            st.key = "via apiKeyHelper: " + str(settings["apiKeyHelper"])
        elif env.get(TOKEN) or env.get(API_KEY):
            st.key = mask(env.get(TOKEN) or env.get(API_KEY))
        if env.get(TOKEN) and env.get(API_KEY):
            st.conflicts.append(f"both {TOKEN} and {API_KEY} are set in settings.json: both are sent")
        for var in (API_KEY, TOKEN, BASE_URL):
            exported = ctx.env.get(var)
            if exported and var not in env:
                st.conflicts.append(f"{var} is exported in this shell and settings.json does not override it")
        if st.configured and not binding:
            st.notes.append("set outside keyconf")
        return st

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        """Without the onboarding flag Claude Code shows a login screen and ignores the relay."""
        if self.id not in ctx.state.bindings:
            return []
        try:
            doc = self._load(ctx, state_file(ctx))
        except Exception as exc:  # noqa: BLE001 - doctor reports, never fails
            return [("problem", getattr(exc, "message", str(exc)))]
        if doc.get(ONBOARDED) is not True:
            return [("problem", f"{doc.name} lacks hasCompletedOnboarding: true, so Claude Code will show its "
                                "login screen; run `keyconf use claude-code` again")]
        return [("ok", "onboarding flag set")]

    def target(self, ctx: Context) -> Target | None:
        settings, _ = self._read_settings(ctx)
        env = settings["env"]
        if not env.get(BASE_URL):
            return None
        key = env.get(TOKEN) or env.get(API_KEY)
        if not key and settings.get("apiKeyHelper"):
            key = ctx.profile_key(ctx.state.profile_of(self.id))
        tiers = {t: env[v] for t, v in TIER_MODELS.items() if env.get(v)}
        return Target(env[BASE_URL].rstrip("/"), key, self.protocol, env.get(MODEL), tiers, client=self.id)


ADAPTER = ClaudeCode()
