"""Aider (`aider-chat` on PyPI): a few top-level keys of `~/.aider.conf.yml`.

Owns `openai-api-base` (root + /v1), `openai-api-key` (not with `--via env`) and, with `--model`, `model` and
`weak-model` = `openai/<model>` (the `openai/` prefix makes litellm send the OpenAI shape to the base; without a
weak model Aider picks its own, e.g. openai/gpt-5-nano, which the key's group may lack). Checked with Aider 0.86.2:
it sends `Authorization: Bearer` to `{openai-api-base}/chat/completions` with the model without its prefix.

Aider never writes this file, so the user's comments and layout stay (edited by `yamlkeys` on `yamltext`, the
result re-read and compared with the intended data). Precedence (aider/args.py, configargparse): command line >
`AIDER_*` variables > `.aider.conf.yml` of the current directory > of the git root > of the home folder; `doctor`
names what beats keyconf's file. With `--via env` the key is `AIDER_OPENAI_API_KEY` in keyconf's shell files
(Aider's own variable for `--openai-api-key`, so no other tool reads it) and the file holds only the URL and
models. Aider runs no command for a key, so `--no-plaintext` is refused.
"""

from __future__ import annotations

from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

BASE, KEY, MODEL, WEAK = "openai-api-base", "openai-api-key", "model", "weak-model"
KEY_VAR = "AIDER_OPENAI_API_KEY"
# Aider's variables for the keys keyconf owns: they beat every .aider.conf.yml
OVERRIDES = {"AIDER_OPENAI_API_BASE": BASE, KEY_VAR: KEY, "AIDER_MODEL": MODEL, "AIDER_WEAK_MODEL": WEAK}
NO_PLAINTEXT = ("Aider runs no command for its key: it reads it from .aider.conf.yml or from a variable (`--via env` "
                "keeps it out of the file, in keyconf's 0600 shell file as AIDER_OPENAI_API_KEY)")


def aider_model(model: str) -> str:
    """The model as Aider names it: litellm's `openai/` prefix sends it to openai-api-base."""
    return model if model.startswith("openai/") else f"openai/{model}"


class Aider(Adapter):
    id = "aider"
    title = "Aider"
    protocol = "chat"
    vias = ("config", "env")
    options = ("model", "shells")
    binary = "aider"
    no_plaintext_why = NO_PLAINTEXT

    # where -----------------------------------------------------------------------------------------
    def config_file(self, ctx: Context) -> Path:
        return ctx.paths.home / ".aider.conf.yml"

    def app_folder(self, ctx: Context) -> Path:
        return ctx.paths.home / ".aider"

    def env_vars(self, profile, opts: Options) -> dict:
        return {KEY_VAR: {"key_of": profile.name}}

    def _doc(self, ctx: Context, path: Path | None = None):
        from keyconf.formats.yamltext import YamlText

        path = path or self.config_file(ctx)
        try:
            return YamlText(fsutil.read_bytes(path), ctx.paths.display(path))
        except UnsafeEdit as exc:
            exc.client = self.id
            raise

    # planning --------------------------------------------------------------------------------------
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        import copy

        from keyconf.formats import yamlkeys
        from keyconf.formats.yamltext import scalar
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        path = self.config_file(ctx)
        old = ctx.memo(self.id).get("record")
        doc = self._doc(ctx, path)
        # a second `use` starts from the user's own text: keys keyconf no longer writes (the key after a switch
        # to --via env, the models without --model) go back to what they were
        record: dict = {}
        if old:
            try:
                yamlkeys.restore(doc, copy.deepcopy(old))
            except UnsafeEdit as exc:
                exc.client = self.id
                raise
            doc.gone = False
        values = {BASE: openai_base(profile.base_url)}
        if opts.via != "env":
            values[KEY] = key
        if opts.model:
            values[MODEL] = values[WEAK] = aider_model(opts.model)
        else:
            plan.warnings.append("no model set: Aider picks its own default model (it may not be in your key's "
                                 "group); pass --model with one the group offers")
        intended = copy.deepcopy(doc.data)
        owned = (old or {}).get("keys", {})
        for name, value in values.items():
            if doc.get(name) not in (None, value) and name not in owned:
                shown = mask(str(doc.get(name))) if name == KEY else doc.get(name)
                plan.replaces.append(f"{name} = {shown} in {doc.name}")
            try:
                yamlkeys.set_key(doc, name, scalar(value), record)
            except UnsafeEdit as exc:
                exc.client = self.id
                raise
            intended[name] = value
        if old:  # the text restored above is the user's own; whether keyconf made the file is known from before
            record["created"] = old.get("created", False)
        doc.guard(intended)
        plan.edits.append(FileEdit(path, doc.original.encode("utf-8") if doc.existed else None, doc.content(),
                                   private=opts.via != "env", client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {"record": record})
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        import copy

        from keyconf.formats import yamlkeys

        plan = ClientPlan(self.id)
        record = binding.memo.get("record")
        path = self.config_file(ctx)
        doc = self._doc(ctx, path)
        if record and doc.existed:
            intended = copy.deepcopy(doc.data)
            for name, prior in record.get("keys", {}).items():
                if prior is None:
                    intended.pop(name, None)
                else:
                    import yaml

                    intended[name] = yaml.safe_load(f"{name}{prior}")[name]
            try:
                yamlkeys.restore(doc, record)
            except UnsafeEdit as exc:
                exc.client = self.id
                raise
            doc.guard({} if doc.gone else intended)
            plan.edits.append(FileEdit(path, doc.original.encode("utf-8"), doc.content(), client=self.id))
        plan.binding = None
        return plan

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """Aider's own variables beat every .aider.conf.yml: the user's settings stay in use, none is written."""
        from keyconf.urls import openai_base

        env = {"AIDER_OPENAI_API_BASE": openai_base(profile.base_url)}
        if model:
            env["AIDER_MODEL"] = env["AIDER_WEAK_MODEL"] = aider_model(model)
        return Launch(self.binary, env=env, key_vars=(KEY_VAR,))

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, list[str]]:
        if not self.config_file(ctx).exists():
            return {}, []
        try:
            return self._doc(ctx).data, []
        except UnsafeEdit as exc:
            return {}, [exc.message]

    def _key(self, ctx: Context, data: dict) -> tuple[str | None, str]:
        if ctx.env.get(KEY_VAR):
            return ctx.env[KEY_VAR], f"${KEY_VAR}"
        value = data.get(KEY)
        if isinstance(value, str) and value:
            remember(value)
            return value, ".aider.conf.yml"
        if ctx.env.get("OPENAI_API_KEY"):
            return ctx.env["OPENAI_API_KEY"], "$OPENAI_API_KEY"
        return None, "none"

    @staticmethod
    def _model(data: dict) -> str | None:
        model = data.get(MODEL)
        if isinstance(model, str) and model.startswith("openai/"):
            return model[len("openai/"):]
        return model if isinstance(model, str) else None

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        data, problems = self._read(ctx)
        base = data.get(BASE) if isinstance(data.get(BASE), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(base), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=base,
                          where=[ctx.paths.display(self.config_file(ctx))])
        st.conflicts += problems
        if st.configured:
            key, source = self._key(ctx, data)
            st.key = mask(key) if key and source == ".aider.conf.yml" else f"via {source}"
            st.model = self._model(data)
            st.conflicts += [f"${var} is set: it beats {name} in .aider.conf.yml" for var, name in OVERRIDES.items()
                             if ctx.env.get(var) and not (var == KEY_VAR and binding and binding.via == "env")]
        return st

    def target(self, ctx: Context) -> Target | None:
        data, _ = self._read(ctx)
        base = ctx.env.get("AIDER_OPENAI_API_BASE") or data.get(BASE)
        if not isinstance(base, str) or not base:
            return None
        key, _ = self._key(ctx, data)
        model = ctx.env.get("AIDER_MODEL") or data.get(MODEL)
        model = self._model({MODEL: model}) if model else None
        return Target(strip_v1(base), key, self.protocol, model, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings:
            return []
        data, problems = self._read(ctx)
        found = [("problem", p) for p in problems]
        binding = ctx.binding(self.id)
        for var, name in OVERRIDES.items():
            if ctx.env.get(var) and not (var == KEY_VAR and binding.via == "env"):
                found.append(("warning", f"${var} is set in this environment: Aider uses it instead of {name} "
                                         "from ~/.aider.conf.yml"))
        local = Path.cwd() / ".aider.conf.yml"
        if local != self.config_file(ctx) and local.is_file():
            found.append(("warning", f"{local} (this folder's) beats ~/.aider.conf.yml key by key when Aider runs "
                                     "here"))
        dotenv = ctx.paths.home / ".env"
        if dotenv.is_file():
            text = dotenv.read_text(errors="replace")
            hits = [var for var in OVERRIDES if f"{var}=" in text]
            if hits:
                found.append(("warning", f"~/.env sets {', '.join(hits)}, which Aider loads over its config file"))
        if not isinstance(data.get(MODEL), str) or not data[MODEL].startswith("openai/"):
            found.append(("warning", "Aider's model is not an openai/ model, so it does not use the relay: run "
                                     "`keyconf use aider --model MODEL`"))
        else:
            found.append(("ok", f"Aider uses {data[MODEL]} at {data.get(BASE)}"))
        found.append(("info", "Aider exits 0 even when the relay refuses a request: read its output"))
        return found


ADAPTER = Aider()
