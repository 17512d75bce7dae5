"""Hermes Agent (`hermes-agent` on PyPI): a provider of keyconf's own in `~/.hermes/config.yaml`.

Owns `providers.keyconf` (Hermes' keyed provider schema: `name`, `api` = root + /v1, `api_key`, `default_model`)
and, with `--model`, `model.provider = custom:keyconf` and `model.default`. A named provider is looked up by
`model.provider` before any variable: `CUSTOM_BASE_URL` and `HERMES_INFERENCE_PROVIDER` only steer a bare
`custom` or an unset provider (`hermes_cli/runtime_provider.py`). Checked with Hermes 0.19.0: it sends
`Authorization: Bearer` to `{api}/chat/completions` (after probing a few local-server paths, harmless 404s).

The key: Hermes reads `api_key` as a literal with `${VAR}` expanded from the environment, or `key_env`; it runs no
command, so `--no-plaintext` is refused and the key is the literal, in config.yaml written 0600 (Hermes chmods
its config files 0600 itself). The YAML is edited by `yamltext` (comments and every other byte kept, the result
re-read and compared with the intended data).
"""

from __future__ import annotations

from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

PROVIDER_ID = "keyconf"
SELECTOR = f"custom:{PROVIDER_ID}"
# `keyconf run`: a HERMES_HOME in keyconf's folder whose config.yaml (a copy of the user's) adds this provider
RUN_PROVIDER_ID = "keyconf-run"
RUN_KEY_VAR = "KEYCONF_HERMES_RUN_API_KEY"
NO_PLAINTEXT = ("Hermes cannot run a command to get its key (its config takes a literal or ${VAR} from the "
                "environment, which its own .env file fills), so the key would still be stored in a file; the key "
                "goes to Hermes' config.yaml, 0600")


class Hermes(Adapter):
    id = "hermes"
    title = "Hermes Agent"
    protocol = "chat"
    options = ("model",)
    binary = "hermes"
    no_plaintext_why = NO_PLAINTEXT

    # where -----------------------------------------------------------------------------------------
    def home(self, ctx: Context) -> Path:
        explicit = (ctx.env.get("HERMES_HOME") or "").strip()
        return Path(explicit).expanduser() if explicit else ctx.paths.home / ".hermes"

    def app_folder(self, ctx: Context) -> Path:
        return self.home(ctx)

    def config_file(self, ctx: Context) -> Path:
        return self.home(ctx) / "config.yaml"

    def _doc(self, ctx: Context, path: Path | None = None):
        from keyconf.formats.yamltext import YamlText

        path = path or self.config_file(ctx)
        try:
            return YamlText(fsutil.read_bytes(path), ctx.paths.display(path))
        except UnsafeEdit as exc:
            exc.client = self.id
            raise

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """HERMES_HOME names an overlay home in keyconf's folder: a copy of the user's config.yaml (edited as
        `use` edits it, every other byte kept) with a provider `keyconf-run` whose api_key is
        `${KEYCONF_HERMES_RUN_API_KEY}` (expanded by Hermes from its environment) and `model.provider` /
        `model.default` naming it, and a symlink to every other entry of the user's Hermes home (.env, sessions,
        memories, skills, state.db). A named provider is looked up before CUSTOM_BASE_URL and the like, so the
        user's `.env` (loaded over the environment) can't steer it; no file sets the run's variable. Checked
        with Hermes 0.19.0. Changes Hermes makes to config.yaml during such a run stay in the copy."""
        import copy

        from keyconf.adapters.runoverlay import overlay_path, run_model
        from keyconf.formats.yamltext import scalar
        from keyconf.urls import openai_base

        model = run_model(self, ctx, model)
        folder = self.home(ctx)
        if folder.is_relative_to(ctx.paths.keyconf_home / "run"):  # a run started inside a run: the user's home
            folder = ctx.paths.home / ".hermes"
        doc = self._doc(ctx, folder / "config.yaml")
        intended = copy.deepcopy(doc.data) if isinstance(doc.data, dict) else {}
        provider = {"name": f"keyconf run: {profile.name}", "api": openai_base(profile.base_url),
                    "api_key": "${" + RUN_KEY_VAR + "}", "default_model": model}
        record: dict = {}
        doc.set_entry("providers", RUN_PROVIDER_ID, "\n".join(f"{k}: {scalar(v)}" for k, v in provider.items()),
                      record)
        doc.set_entry("model", "default", scalar(model), record)
        doc.set_entry("model", "provider", scalar(f"custom:{RUN_PROVIDER_ID}"), record)
        providers = intended.get("providers") if isinstance(intended.get("providers"), dict) else {}
        chosen = intended.get("model") if isinstance(intended.get("model"), dict) else {}
        intended["providers"] = {**providers, RUN_PROVIDER_ID: provider}
        intended["model"] = {**chosen, "provider": f"custom:{RUN_PROVIDER_ID}", "default": model}
        doc.guard(intended)
        body = doc.content() or b""
        home = overlay_path(ctx, self.id, "home", body)
        launch = Launch(self.binary, env={"HERMES_HOME": str(home)}, key_vars=(RUN_KEY_VAR,),
                        files={home / "config.yaml": body})
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                if entry.name != "config.yaml":
                    launch.links[home / entry.name] = entry
        return launch

    # planning --------------------------------------------------------------------------------------
    def link(self, profile, key: str, opts: Options):
        from keyconf import links

        return links.ccswitch_link("hermes", profile.name, profile.base_url, key, {"model": opts.model})

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        import copy

        from keyconf.formats.yamltext import scalar
        from keyconf.urls import openai_base

        if "${" in key:
            raise UnsafeEdit("this key holds `${`, which Hermes expands as a variable instead of sending it",
                             client=self.id)
        plan = ClientPlan(self.id)
        path = self.config_file(ctx)
        files = ctx.memo(self.id).get("files", {})
        for name, record in files.items():  # HERMES_HOME moved since: keyconf's entries leave the old file
            if name != str(path):
                self._restore(ctx, Path(name), record, plan)
        doc = self._doc(ctx, path)
        record = copy.deepcopy(files.get(str(path)) or {})
        intended = copy.deepcopy(doc.data)
        provider = {"name": f"keyconf: {profile.name}", "api": openai_base(profile.base_url), "api_key": key}
        if opts.model:
            provider["default_model"] = opts.model
        block = "\n".join(f"{k}: {scalar(v)}" for k, v in provider.items())
        if not isinstance(intended.get("providers"), dict):
            intended["providers"] = {}
        intended["providers"][PROVIDER_ID] = provider
        doc.set_entry("providers", PROVIDER_ID, block, record)
        if opts.model:
            model = intended.get("model") if isinstance(intended.get("model"), dict) else {}
            prior = doc.get("model", "provider") if isinstance(doc.get("model"), dict) else doc.get("model")
            if prior not in (None, "", SELECTOR) and "model/provider" not in record.get("entries", {}):
                plan.replaces.append(f"model.provider = {prior} in {doc.name}"
                                     if isinstance(doc.get("model"), dict) else f"model = {prior} in {doc.name}")
            intended["model"] = {**model, "provider": SELECTOR, "default": opts.model}
            # each new entry goes first in its mapping: `provider` ends up above `default`
            doc.set_entry("model", "default", scalar(opts.model), record)
            doc.set_entry("model", "provider", scalar(SELECTOR), record)
        else:
            plan.warnings.append("no model set: Hermes keeps its own provider and model; pass --model with one your "
                                 "key's group offers to make it use the relay")
        doc.guard(intended)
        plan.edits.append(FileEdit(path, doc.original.encode("utf-8") if doc.existed else None, doc.content(),
                                   private=True, client=self.id))
        wrote = {"model/provider": SELECTOR, "model/default": opts.model} if opts.model else {}
        plan.binding = Binding(self.id, profile.name, opts, {"files": {str(path): record}, "wrote": wrote})
        return plan

    def _restore(self, ctx: Context, path: Path, record: dict, plan: ClientPlan, wrote: dict | None = None) -> None:
        import copy

        doc = self._doc(ctx, path)
        if not doc.existed:
            return
        changed = [ident for ident, value in (wrote or {}).items() if doc.get(*ident.split("/")) not in (None, value)]
        if changed:
            # the model was picked in Hermes since keyconf set it (`hermes model`): that choice stays
            record = {**record, "entries": {k: v for k, v in record.get("entries", {}).items()
                                            if not k.startswith("model/")},
                      "tops": {k: v for k, v in record.get("tops", {}).items() if k != "model"}}
            plan.notes.append(f"Hermes' model was changed since keyconf set it ({', '.join(changed)}); keyconf "
                              f"leaves `model` as it is in {doc.name}")
        intended = copy.deepcopy(doc.data)
        doc.restore(record)
        # what must remain: everything but keyconf's entries (their old values where they had some)
        for ident, prior in (record.get("entries") or {}).items():
            top, key = ident.split("/", 1)
            if isinstance(intended.get(top), dict) and key in intended[top]:
                if prior is None:
                    del intended[top][key]
                else:
                    import yaml

                    intended[top][key] = yaml.safe_load(prior)
        for top, prior in (record.get("tops") or {}).items():
            if intended.get(top) == {}:
                if prior is None:
                    del intended[top]
                else:
                    import yaml

                    intended[top] = yaml.safe_load(f"{top}{prior}")[top]
        if doc.gone:
            intended = {}
        doc.guard(intended)
        plan.edits.append(FileEdit(path, doc.original.encode("utf-8"), doc.content(), client=self.id))

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        for name, record in binding.memo.get("files", {}).items():
            self._restore(ctx, Path(name), record, plan, binding.memo.get("wrote"))
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, dict, list[str]]:
        if not self.config_file(ctx).exists():
            return {}, {}, []  # `status` of every client pays nothing for the YAML parser then
        try:
            doc = self._doc(ctx)
        except UnsafeEdit as exc:
            return {}, {}, [exc.message]
        providers = doc.get("providers")
        provider = providers.get(PROVIDER_ID) if isinstance(providers, dict) else None
        model = doc.get("model")
        return (provider if isinstance(provider, dict) else {}), (model if isinstance(model, dict) else {}), []

    def _key(self, ctx: Context, provider: dict) -> tuple[str | None, str]:
        env = provider.get("key_env")
        if isinstance(env, str) and env and ctx.env.get(env):
            return ctx.env[env], f"${env}"
        value = provider.get("api_key")
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            return ctx.env.get(value[2:-1]) or None, value
        if isinstance(value, str) and value:
            remember(value)
            return value, "config.yaml"
        return None, "none"

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        provider, model, problems = self._read(ctx)
        base = provider.get("api") if isinstance(provider.get("api"), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(base), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=base,
                          where=[ctx.paths.display(self.config_file(ctx))])
        st.conflicts += problems
        if st.configured:
            key, source = self._key(ctx, provider)
            st.key = mask(key) if key and source == "config.yaml" else f"via {source}"
            st.model = model.get("default") if model.get("provider") == SELECTOR else None
            if model.get("provider") != SELECTOR:
                st.notes.append(f"Hermes' model.provider is {model.get('provider') or 'not set'}, not {SELECTOR}")
            if provider.get("enabled") is False:
                st.conflicts.append(f"providers.{PROVIDER_ID}.enabled is false: Hermes skips the provider")
        return st

    def target(self, ctx: Context) -> Target | None:
        provider, model, _ = self._read(ctx)
        base = provider.get("api")
        if not isinstance(base, str) or not base:
            return None
        key, _ = self._key(ctx, provider)
        binding = ctx.binding(self.id)
        chosen = model.get("default") if model.get("provider") == SELECTOR else None
        chosen = chosen or provider.get("default_model") or (binding.options.model if binding else None)
        return Target(strip_v1(base), key, self.protocol, chosen if isinstance(chosen, str) else None, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings:
            return []
        provider, model, problems = self._read(ctx)
        found = [("problem", p) for p in problems]
        if model.get("provider") == SELECTOR:
            found.append(("ok", f"Hermes uses {SELECTOR} ({model.get('default')})"))
        else:
            found.append(("warning", f"Hermes' model.provider is {model.get('provider') or 'not set'}, so it does "
                                     f"not use the relay: run `keyconf use hermes --model MODEL`"))
        if provider.get("enabled") is False:
            found.append(("problem", f"providers.{PROVIDER_ID}.enabled is false in config.yaml: Hermes skips it"))
        return found


ADAPTER = Hermes()
