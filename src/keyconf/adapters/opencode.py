"""opencode: a provider block in its JSONC config, and the key in its `auth.json`.

Owns, in `opencode.json` (`opencode.jsonc` when that is the file the user has; `OPENCODE_CONFIG` names another),
`provider.keyconf.{npm,name,options.baseURL}`, the `--model` under `provider.keyconf.models` and the top-level
`model = "keyconf/<model>"`; in `$XDG_DATA_HOME/opencode/auth.json` only `keyconf.{type,key}`. One stable
provider id, as for Codex, so sessions keep their provider. opencode 1.18 sends `Authorization: Bearer` to
`{baseURL}/chat/completions` (streamed) through `@ai-sdk/openai-compatible`.
"""

from __future__ import annotations

import json
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit, UsageError
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

PROVIDER_ID = "keyconf"
PROVIDER = ("provider", PROVIDER_ID)
PACKAGE = "@ai-sdk/openai-compatible"
# Checked with opencode 1.18.33: the config resolves only {env:VAR} and {file:path}, nothing runs a command,
# so a key kept out of opencode's files would still sit in a file or in keyconf's shell env file.
NO_PLAINTEXT = ("opencode cannot run a command to get its key (its config resolves only {env:VAR} and "
                "{file:path}), so the key would still be stored in a file; the key goes to opencode's 0600 "
                "auth.json")


# `keyconf run opencode`: a provider of its own (nothing of the user's `keyconf` provider is merged in)
RUN_PROVIDER_ID = "keyconf-run"
RUN_KEY_VAR = "KEYCONF_OPENCODE_API_KEY"


def _jsonc(content: bytes | None, name: str) -> JsonDoc:
    """opencode's config is JSONC: users have comments and trailing commas, and every byte of them stays."""
    return JsonDoc(content, name, jsonc=True)


class Opencode(Adapter):
    id = "opencode"
    title = "opencode"
    protocol = "chat"
    options = ("model",)
    no_plaintext_why = NO_PLAINTEXT
    binary = "opencode"
    npm_package = "opencode-ai"
    # What differs in opencode's forks (Kilo Code CLI): the folder under the XDG folders, the config files it
    # merges (later wins; the first is the one created), and its variables.
    folder = "opencode"
    config_names = ("opencode.json", "opencode.jsonc")
    config_var = "OPENCODE_CONFIG"
    auth_content_var = "OPENCODE_AUTH_CONTENT"
    config_content_var = "OPENCODE_CONFIG_CONTENT"

    # where -----------------------------------------------------------------------------------------
    def _xdg(self, ctx: Context, var: str, default: str) -> Path:
        # opencode uses these XDG folders on every OS (xdg-basedir), macOS and Windows included.
        value = (ctx.env.get(var) or "").strip()
        return Path(value) if value else ctx.paths.home / default

    def config_file(self, ctx: Context) -> Path:
        explicit = (ctx.env.get(self.config_var) or "").strip()
        if explicit:
            return Path(explicit)
        folder = self._xdg(ctx, "XDG_CONFIG_HOME", ".config") / self.folder
        # opencode merges config.json, opencode.json, then opencode.jsonc (later wins): edit the one that wins.
        existing = [folder / name for name in self.config_names if (folder / name).is_file()]
        return existing[-1] if existing else folder / self.config_names[0]

    def auth_file(self, ctx: Context) -> Path:
        return self._xdg(ctx, "XDG_DATA_HOME", ".local/share") / self.folder / "auth.json"

    def config_edit(self, path: Path, doc: JsonDoc, owned: dict) -> FileEdit:
        return FileEdit(path, doc.original(), doc.content(), client=self.id)

    def app_folder(self, ctx: Context) -> Path:
        return self.config_file(ctx).parent

    # planning --------------------------------------------------------------------------------------
    def _check_shape(self, doc: JsonDoc, owned_before: dict | None) -> None:
        if doc.raw(("provider",)) is not None and not doc.is_object(("provider",)):
            raise UnsafeEdit(f"{doc.name}: `provider` is not an object; keyconf will not replace it", client=self.id)
        if doc.raw(PROVIDER) is not None and not owned_before:
            raise UnsafeEdit(f"{doc.name} already has a provider `{PROVIDER_ID}` that keyconf did not write",
                             hint="rename or remove that provider, then run keyconf again", client=self.id)

    def link(self, profile, key: str, opts: Options) -> tuple[str, str]:
        from keyconf import links

        return links.ccswitch_link("opencode", profile.name, profile.base_url, key, {"model": opts.model})

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """OPENCODE_CONFIG_CONTENT: a config opencode merges over the user's files (the highest layer), with a
        provider of its own whose apiKey is `{env:KEYCONF_OPENCODE_API_KEY}`, resolved by opencode from this
        process's environment. It needs a model: --model, the pin's, or the one `keyconf use` set."""
        from keyconf.urls import openai_base

        binding = ctx.binding(self.id)
        model = model or (binding.options.model if binding else None)
        if not model:
            raise UsageError("`keyconf run opencode` needs a model: opencode would otherwise send its own default "
                             "model to its own servers", hint="pass --model MODEL (one your key's group offers), or "
                             "pin one: keyconf pin PROFILE --model opencode=MODEL", client=self.id)
        provider = {"npm": PACKAGE, "name": f"keyconf run: {profile.name}",
                    "options": {"baseURL": openai_base(profile.base_url), "apiKey": "{env:" + RUN_KEY_VAR + "}"},
                    "models": {model: {}}}
        content = {"provider": {RUN_PROVIDER_ID: provider}, "model": f"{RUN_PROVIDER_ID}/{model}"}
        launch = Launch(self.binary, env={"OPENCODE_CONFIG_CONTENT": json.dumps(content)}, key_vars=(RUN_KEY_VAR,))
        if ctx.env.get("OPENCODE_CONFIG_CONTENT"):
            launch.notes.append("OPENCODE_CONFIG_CONTENT from your shell is replaced for this run")
        return launch

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        old = ctx.memo(self.id).get("files", {})
        config, auth_path = self.config_file(ctx), self.auth_file(ctx)
        for name in old:  # a config file used before (opencode.jsonc appeared since): take our block out there
            if name not in (str(config), str(auth_path)):
                self._restore(ctx, Path(name), old[name], plan)

        doc = _jsonc(fsutil.read_bytes(config), ctx.paths.display(config))
        owned_before = old.get(str(config))
        self._check_shape(doc, owned_before)
        desired = {PROVIDER + ("npm",): encode(PACKAGE), PROVIDER + ("name",): encode(f"keyconf: {profile.name}"),
                   PROVIDER + ("options", "baseURL"): encode(openai_base(profile.base_url))}
        if opts.model:
            desired[PROVIDER + ("models", opts.model)] = "{}"
            desired[("model",)] = encode(f"{PROVIDER_ID}/{opts.model}")
            prior = doc.raw(("model",))
            if prior not in (None, desired[("model",)]) and not owns(owned_before, ("model",)):
                plan.replaces.append(f"model = {prior} in {doc.name}")
        else:
            current = doc.get(("model",))
            keeps = f"model {current!r}" if current else "its own default model"
            plan.warnings.append(f"no model set: {self.title} keeps {keeps} and lists no relay model; pass --model "
                                 "with one your key's group offers")
        files = {str(config): set_owned(doc, desired, owned_before)}
        plan.edits.append(self.config_edit(config, doc, files[str(config)]))

        auth = JsonDoc(fsutil.read_bytes(auth_path), ctx.paths.display(auth_path))
        owned = {(PROVIDER_ID, "type"): encode("api"), (PROVIDER_ID, "key"): encode(key)}
        files[str(auth_path)] = set_owned(auth, owned, old.get(str(auth_path)))
        plan.edits.append(FileEdit(auth_path, auth.original(), auth.content(), private=True, client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {"files": files})
        if ctx.env.get(self.auth_content_var):
            plan.warnings.append(f"{self.auth_content_var} is set in this shell: {self.title} then ignores "
                                 "auth.json and sends no key to the relay; unset it")
        return plan

    def _restore(self, ctx: Context, path: Path, owned: dict, plan: ClientPlan) -> None:
        doc = (JsonDoc if path.name == "auth.json" else _jsonc)(fsutil.read_bytes(path), ctx.paths.display(path))
        if not doc.existed:
            return
        restore_owned(doc, owned)
        plan.edits.append(FileEdit(path, doc.original(), doc.content(), private=path.name == "auth.json",
                                   client=self.id))

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        for name, owned in binding.memo.get("files", {}).items():
            self._restore(ctx, Path(name), owned, plan)
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, dict, list[str]]:
        """keyconf's provider block, the top-level model and the auth entry, and problems reading them."""
        problems = []
        found = {"provider": {}, "model": None}
        try:
            doc = _jsonc(fsutil.read_bytes(self.config_file(ctx)), ctx.paths.display(self.config_file(ctx)))
            provider = doc.get(PROVIDER) if doc.is_object(("provider",)) else None
            found = {"provider": provider if isinstance(provider, dict) else {}, "model": doc.get(("model",))}
        except UnsafeEdit as exc:
            problems.append(exc.message)
        try:
            data = json.loads(fsutil.read_bytes(self.auth_file(ctx)) or b"{}")
            entry = data.get(PROVIDER_ID) if isinstance(data, dict) else None
        except ValueError:
            entry = None
            problems.append(f"{ctx.paths.display(self.auth_file(ctx))} is not valid JSON")
        return found, entry if isinstance(entry, dict) else {}, problems

    @staticmethod
    def _base_url(provider: dict) -> str | None:
        options = provider.get("options")
        url = options.get("baseURL") if isinstance(options, dict) else None
        return url if isinstance(url, str) and url else None

    def _key(self, provider: dict, entry: dict) -> tuple[str | None, str]:
        options = provider.get("options") if isinstance(provider.get("options"), dict) else {}
        literal = options.get("apiKey")
        if isinstance(literal, str) and literal.startswith(("{env:", "{file:")):
            return None, literal
        if isinstance(literal, str) and literal:
            remember(literal)
            return literal, "options.apiKey"
        key = entry.get("key") if isinstance(entry.get("key"), str) else None
        remember(key)  # a key found in the files is masked in everything printed after
        return (key or None), "auth.json"

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        config, entry, problems = self._read(ctx)
        provider = config["provider"]
        st = ClientStatus(self.id, self.installed(ctx), bool(self._base_url(provider)),
                          profile=binding.profile if binding else None, via=binding.via if binding else None,
                          base_url=self._base_url(provider), where=[ctx.paths.display(self.config_file(ctx))])
        st.conflicts += problems
        if st.configured:
            key, source = self._key(provider, entry)
            st.key = mask(key) if key else f"via {source}"
            if source == "auth.json":
                st.where.append(ctx.paths.display(self.auth_file(ctx)))
            model = config["model"]
            st.model = model if isinstance(model, str) else None
            if not (isinstance(model, str) and model.startswith(PROVIDER_ID + "/")):
                st.notes.append(f"{self.title}'s default model is not one of provider `{PROVIDER_ID}`")
            if ctx.env.get(self.auth_content_var):
                st.conflicts.append(f"{self.auth_content_var} is set: {self.title} ignores auth.json and sends no "
                                    "relay key")
        if ctx.env.get(self.config_content_var):
            st.conflicts.append(f"{self.config_content_var} is set: {self.title} merges it over the config file")
        return st

    def target(self, ctx: Context) -> Target | None:
        config, entry, _ = self._read(ctx)
        base = self._base_url(config["provider"])
        if not base:
            return None
        key, _ = self._key(config["provider"], entry)
        binding = ctx.binding(self.id)
        if key is None:
            key = ctx.profile_key(binding.profile if binding else None)
        model = config["model"]
        model = model[len(PROVIDER_ID) + 1:] if isinstance(model, str) and model.startswith(PROVIDER_ID + "/") \
            else (binding.options.model if binding else None)
        return Target(strip_v1(base), key, self.protocol, model, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings:
            return []
        config, _, _ = self._read(ctx)
        model = config["model"]
        if isinstance(model, str) and model.startswith(PROVIDER_ID + "/"):
            return [("ok", f"{self.title} uses {model}")]
        return [("warning", f"{self.title}'s default model is {model or 'its own'}, not one of the relay's: run "
                            f"`keyconf use {self.id} --model MODEL`, or pick {PROVIDER_ID}/... in {self.title}")]


ADAPTER = Opencode()
