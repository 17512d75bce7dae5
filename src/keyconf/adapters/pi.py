"""Pi (`@mariozechner/pi-coding-agent`): a provider of keyconf's own in `models.json`, the default in `settings.json`.

Owns, in `~/.pi/agent/models.json` (`PI_CODING_AGENT_DIR` moves the folder), `providers.keyconf.{baseUrl, api,
apiKey}` and, with `--model`, `providers.keyconf.models = [{"id": M}]`; in `settings.json` `defaultProvider`
and `defaultModel` (without them Pi picks the first model that has a key, a built-in one first).

The key: Pi resolves `apiKey` as "!command" (run through the shell, its stdout used), else the value of the
environment variable of that name, else the literal (`dist/core/resolve-config-value.js`). So `--no-plaintext`
writes `!keyconf secret PROFILE`; otherwise the key is the literal, in a models.json written 0600. An entry for
provider `keyconf` in Pi's `auth.json` would beat both: doctor says so.

models.json is read with comments stripped (JSONC) and never rewritten by Pi; a schema error there drops every
custom model, so keyconf's block is complete or absent. settings.json is plain JSON that Pi rewrites itself
(an interactive start adds `lastChangelogVersion` and reformats; switching model saves new defaults): its edit
is a `RewrittenJsonEdit`, and a default the user changed in Pi since is a conflict that keyconf leaves alone.
Checked with Pi 0.73.1: `openai-completions` sends `Authorization: Bearer` to `{baseUrl}/chat/completions`.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

PROVIDER_ID = "keyconf"
PROVIDER = ("providers", PROVIDER_ID)
API = "openai-completions"
DEFAULTS = (("defaultProvider",), ("defaultModel",))
# `keyconf run`: an extension file that registers a provider of its own; its apiKey names this variable
RUN_PROVIDER_ID = "keyconf-run"
RUN_KEY_VAR = "KEYCONF_PI_RUN_API_KEY"


class Pi(Adapter):
    id = "pi"
    title = "Pi"
    protocol = "chat"
    options = ("model", "no_plaintext")
    binary = "pi"
    key_command_name = "apiKey command"

    # where -----------------------------------------------------------------------------------------
    def agent_dir(self, ctx: Context) -> Path:
        explicit = (ctx.env.get("PI_CODING_AGENT_DIR") or "").strip()
        if explicit:
            return Path(explicit).expanduser() if explicit.startswith("~") else Path(explicit)
        return ctx.paths.home / ".pi" / "agent"

    def app_folder(self, ctx: Context) -> Path:
        return self.agent_dir(ctx)

    def models_file(self, ctx: Context) -> Path:
        return self.agent_dir(ctx) / "models.json"

    def settings_file(self, ctx: Context) -> Path:
        return self.agent_dir(ctx) / "settings.json"

    def auth_file(self, ctx: Context) -> Path:
        return self.agent_dir(ctx) / "auth.json"

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """`--extension FILE --model keyconf-run/MODEL`: an extension in keyconf's folder calls
        `pi.registerProvider("keyconf-run", ...)` with apiKey = the *name* KEYCONF_PI_RUN_API_KEY, which Pi
        resolves from this process's environment; `--model` selects it over settings.json's default. Checked
        with Pi 0.73.1: models.json, settings.json and auth.json stay as they are (a run is saved with the
        user's sessions); per Pi's --help, `--no-extensions` still loads one named by `-e`. Pi needs each model's
        full description from an extension (input, cost, context window), so keyconf gives neutral ones."""
        from keyconf.adapters.runoverlay import overlay_path, run_model
        from keyconf.urls import openai_base

        model = run_model(self, ctx, model)
        described = {"id": model, "name": model, "reasoning": False, "input": ["text"],
                     "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                     "contextWindow": 128000, "maxTokens": 16384}
        provider = {"name": f"keyconf run: {profile.name}", "baseUrl": openai_base(profile.base_url),
                    "apiKey": RUN_KEY_VAR, "api": API, "models": [described]}
        # JSON is a JavaScript expression: the values can't break out of the call
        body = ("// keyconf run: the relay of one profile for one Pi process (no key here: Pi reads "
                f"{RUN_KEY_VAR})\nexport default function (pi) {{\n  pi.registerProvider("
                f"{json.dumps(RUN_PROVIDER_ID)}, {json.dumps(provider)});\n}}\n").encode()
        path = overlay_path(ctx, self.id, "extension", body, ".mjs")
        return Launch(self.binary, key_vars=(RUN_KEY_VAR,), files={path: body},
                      argv=["--extension", str(path), "--model", f"{RUN_PROVIDER_ID}/{model}"])

    def _models(self, ctx: Context) -> JsonDoc:
        path = self.models_file(ctx)
        return JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)  # Pi strips comments

    def _settings(self, ctx: Context) -> JsonDoc:
        path = self.settings_file(ctx)
        return JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path))  # plain JSON.parse in Pi

    # planning --------------------------------------------------------------------------------------
    def _key_value(self, ctx: Context, profile, key: str, opts: Options, plan: ClientPlan) -> str:
        if opts.no_plaintext:
            from keyconf.osenv.system import fragile_command_warning

            argv = ctx.keyconf_argv() + ["secret", profile.name]
            fragile = fragile_command_warning(argv, "Pi's apiKey command")
            if fragile:
                plan.warnings.append(fragile)
            return "!" + shlex.join(argv)
        if key.startswith("!"):
            # Pi would run the rest of the key as a shell command
            raise UnsafeEdit("this key starts with `!`, which Pi runs as a shell command instead of sending it",
                             hint="use --no-plaintext (Pi then asks keyconf for the key)", client=self.id)
        if ctx.env.get(key):
            plan.warnings.append("a variable named like this key is set in this shell: Pi would send its value "
                                 "instead; use --no-plaintext")
        return key

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        memo = ctx.memo(self.id)
        files = memo.get("files", {})
        models_path, settings_path = self.models_file(ctx), self.settings_file(ctx)

        models = self._models(ctx)
        owned_models = files.get(str(models_path))
        if models.raw(("providers",)) is not None and not models.is_object(("providers",)):
            raise UnsafeEdit(f"{models.name}: `providers` is not an object; keyconf will not replace it",
                             client=self.id)
        if models.raw(PROVIDER) is not None and not owned_models:
            raise UnsafeEdit(f"{models.name} already has a provider `{PROVIDER_ID}` that keyconf did not write",
                             hint="rename or remove that provider, then run keyconf again", client=self.id)
        desired = {PROVIDER + ("baseUrl",): encode(openai_base(profile.base_url)), PROVIDER + ("api",): encode(API),
                   PROVIDER + ("apiKey",): encode(self._key_value(ctx, profile, key, opts, plan))}
        if opts.model:
            desired[PROVIDER + ("models",)] = encode([{"id": opts.model}])
        out = {str(models_path): set_owned(models, desired, owned_models)}
        plan.edits.append(FileEdit(models_path, models.original(), models.content(), private=not opts.no_plaintext,
                                   client=self.id))

        settings = self._settings(ctx)
        owned_settings = files.get(str(settings_path))
        wanted = {}
        if opts.model:
            wanted = {("defaultProvider",): encode(PROVIDER_ID), ("defaultModel",): encode(opts.model)}
            for path in DEFAULTS:
                now = settings.raw(path)
                if now is None or json.loads(now) == json.loads(wanted[path]):
                    continue
                if not owns(owned_settings, path):
                    plan.replaces.append(f"{path[0]} = {now} in {settings.name}")
                elif json.loads(now) != memo.get("wrote", {}).get(path[0]):
                    plan.replaces.append(f"{path[0]} = {now} in {settings.name} (chosen in Pi since keyconf set it)")
        else:
            plan.warnings.append("no model set: Pi lists no relay model and keeps its own default; pass --model "
                                 "with one your key's group offers")
        if wanted or owned_settings:
            from keyconf.formats.jsonrewrite import RewrittenJsonEdit

            out[str(settings_path)] = owned = set_owned(settings, wanted, owned_settings)
            plan.edits.append(RewrittenJsonEdit(settings_path, settings.original(), settings.content(),
                                                client=self.id, owned=owned))
        wrote = {path[0]: json.loads(raw) for path, raw in wanted.items()}
        plan.binding = Binding(self.id, profile.name, opts, {"files": out, "wrote": wrote})
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        files = binding.memo.get("files", {})
        for name, owned in files.items():
            path = Path(name)
            if path.name == "settings.json":
                doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path))
                owned = self._keep_changed(doc, owned, binding.memo.get("wrote", {}), plan)
            else:
                doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
            if not doc.existed:
                continue
            restore_owned(doc, owned)
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = None
        return plan

    @staticmethod
    def _keep_changed(doc: JsonDoc, owned: dict, wrote: dict, plan: ClientPlan) -> dict:
        """A default changed in Pi since keyconf set it is the user's choice now: it stays, and is no longer ours."""
        keys = dict(owned.get("keys", {}))
        for path in DEFAULTS:
            pkey = json.dumps(list(path))
            raw = doc.raw(path)
            if pkey in keys and path[0] in wrote and raw is not None and json.loads(raw) != wrote[path[0]]:
                del keys[pkey]
                plan.notes.append(f"{path[0]} was changed in Pi to {raw}; keyconf leaves it in {doc.name}")
        return {**owned, "keys": keys}

    def key_command(self, ctx: Context) -> list[str] | None:
        """As Pi runs a `!command` apiKey: the rest of the value through the shell."""
        value = self._read(ctx)[0].get("apiKey")
        return ["/bin/sh", "-c", value[1:]] if isinstance(value, str) and value.startswith("!") else None

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, dict, list[str]]:
        """keyconf's provider, Pi's settings and problems reading them."""
        problems, provider, settings = [], {}, {}
        try:
            doc = self._models(ctx)
            found = doc.get(PROVIDER) if doc.is_object(("providers",)) else None
            provider = found if isinstance(found, dict) else {}
        except UnsafeEdit as exc:
            problems.append(exc.message)
        try:
            data = json.loads(fsutil.read_bytes(self.settings_file(ctx)) or b"{}")
            settings = data if isinstance(data, dict) else {}
        except ValueError:
            problems.append(f"{ctx.paths.display(self.settings_file(ctx))} is not valid JSON: Pi ignores it")
        return provider, settings, problems

    def _key(self, ctx: Context, provider: dict) -> tuple[str | None, str]:
        """The key Pi will send, resolved as Pi does, and how it is given."""
        value = provider.get("apiKey")
        if not isinstance(value, str) or not value:
            return None, "none"
        if value.startswith("!"):
            binding = ctx.binding(self.id)
            return (ctx.profile_key(binding.profile) if binding else None), "a command"
        if ctx.env.get(value):
            return ctx.env[value], f"${value}"
        remember(value)
        return value, "models.json"

    def _auth_entry(self, ctx: Context) -> bool:
        try:
            data = json.loads(fsutil.read_bytes(self.auth_file(ctx)) or b"{}")
        except ValueError:
            return False
        return isinstance(data, dict) and PROVIDER_ID in data

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        provider, settings, problems = self._read(ctx)
        base = provider.get("baseUrl") if isinstance(provider.get("baseUrl"), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(base), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=base,
                          where=[ctx.paths.display(self.models_file(ctx))])
        st.conflicts += problems
        if st.configured:
            key, source = self._key(ctx, provider)
            st.key = mask(key) if key and source != "a command" else f"via {source}"
            st.model = self._model(provider, settings)
            if settings.get("defaultProvider") != PROVIDER_ID:
                st.notes.append(f"Pi's default provider is {settings.get('defaultProvider') or 'not set'}, "
                                f"not `{PROVIDER_ID}`")
            if self._auth_entry(ctx):
                st.conflicts.append(f"{ctx.paths.display(self.auth_file(ctx))} has a `{PROVIDER_ID}` entry, "
                                    "which beats models.json's apiKey")
        return st

    @staticmethod
    def _model(provider: dict, settings: dict) -> str | None:
        if settings.get("defaultProvider") == PROVIDER_ID and isinstance(settings.get("defaultModel"), str):
            return settings["defaultModel"]
        return None

    def target(self, ctx: Context) -> Target | None:
        provider, settings, _ = self._read(ctx)
        base = provider.get("baseUrl")
        if not isinstance(base, str) or not base:
            return None
        key, _ = self._key(ctx, provider)
        binding = ctx.binding(self.id)
        model = self._model(provider, settings) or (binding.options.model if binding else None)
        return Target(strip_v1(base), key, self.protocol, model, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings:
            return []
        provider, settings, problems = self._read(ctx)
        found = [("problem", p) for p in problems]
        if self._auth_entry(ctx):
            found.append(("problem", f"{ctx.paths.display(self.auth_file(ctx))} has an entry `{PROVIDER_ID}`: "
                                     "Pi sends that key instead of keyconf's; remove the entry"))
        model = self._model(provider, settings)
        if model:
            found.append(("ok", f"Pi uses {PROVIDER_ID}/{model}"))
        else:
            found.append(("warning", f"Pi's default is {settings.get('defaultProvider') or 'its own'}/"
                                     f"{settings.get('defaultModel') or '…'}, not the relay's (a built-in provider "
                                     "with a key in the shell, e.g. ANTHROPIC_API_KEY, wins): run "
                                     "`keyconf use pi --model MODEL`"))
        return found


ADAPTER = Pi()
