"""Continue's CLI `cn` (npm `@continuedev/cli`): one model entry of keyconf's own in `~/.continue/config.yaml`, its
key in `~/.continue/.env`.

Owns the item of `models:` named "keyconf", put first in the list because cn uses the first chat model
(`provider: openai`, `model`, `apiBase` = root + /v1, `apiKey` = `${{ secrets.KEYCONF_CONTINUE_API_KEY }}`,
`roles`) and one marked block in `~/.continue/.env` (`0600`) that sets
that secret; `CONTINUE_GLOBAL_DIR` moves the folder. Checked with cn 1.5.47: `cn -p` sends `Authorization: Bearer`
to `{apiBase}/chat/completions`; model ids starting gpt-5 / o1-o9 go to `{apiBase}/responses` instead, so verify
speaks that protocol for them. The key never sits in config.yaml: cn resolves `${{ secrets.NAME }}` from its
environment and from `~/.continue/.env`, which it reads like the dotenv package (no escapes: keyconf picks a quote
that reads back exactly, `formats/dotenv`).

cn rewrites config.yaml in one case: with `ANTHROPIC_API_KEY` in its environment and no `--config`, `cn -p`
appends two Anthropic models holding that key in plain text, drops comments inside `models` and changes quoting.
keyconf warns when that variable is set (in `use` and `doctor`). Otherwise cn leaves the file as it is, so the
YAML is edited in place (`formats/yamlitems` on `yamltext`; re-read and compared with the intended data).
"""

from __future__ import annotations

import re
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, home_or, run_folder, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit, UsageError
from keyconf.masking import mask
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

NAME = "keyconf"
SECRET = "KEYCONF_CONTINUE_API_KEY"
API_KEY = "${{ secrets.%s }}" % SECRET
TOP = "models"
HEADER = "name: Local Config\nversion: 1.0.0\nschema: v1\n"  # what a new config.yaml needs besides models
RESPONSES = re.compile(r"^(?:gpt-5|gpt-5-codex|o[0-9])")  # cn 1.5.47 sends these to /responses
REWRITES = ("ANTHROPIC_API_KEY is set: `cn` without --config then rewrites ~/.continue/config.yaml (comments in "
            "`models` dropped, two Anthropic models with that key in plain text added); unset it before running cn")
NO_PLAINTEXT = ("cn runs no command for its key: it reads ${{ secrets.* }} from its environment or ~/.continue/.env; "
                "keyconf keeps the key out of config.yaml, in that 0600 .env")


class ContinueCli(Adapter):
    id = "continue"
    title = "Continue CLI"
    protocol = "chat"
    options = ("model",)
    binary = "cn"
    default_model = "gpt-4o-mini"
    no_plaintext_why = NO_PLAINTEXT

    # where -----------------------------------------------------------------------------------------
    def folder(self, ctx: Context) -> Path:
        return home_or(ctx, "CONTINUE_GLOBAL_DIR", ".continue")

    def app_folder(self, ctx: Context) -> Path:
        return self.folder(ctx)

    def config_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "config.yaml"

    def env_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / ".env"

    def protocol_for(self, model: str | None) -> str:
        return "responses" if model and RESPONSES.match(model) else "chat"

    def intended_target(self, profile, key: str, opts: Options) -> Target:
        model = opts.model or self.default_model
        return Target(profile.base_url, key, self.protocol_for(model), model, client=self.id)

    def _doc(self, ctx: Context):
        from keyconf.formats.yamltext import YamlText

        path = self.config_file(ctx)
        try:
            return YamlText(fsutil.read_bytes(path), ctx.paths.display(path))
        except UnsafeEdit as exc:
            exc.client = self.id
            raise

    def _env_text(self, ctx: Context):
        from keyconf.osenv.shellenv import RcText

        path = self.env_file(ctx)
        return RcText(fsutil.read_bytes(path), ctx.paths.display(path), family="dotenv")

    # planning --------------------------------------------------------------------------------------
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        import copy

        from keyconf.formats import yamlitems
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        old = ctx.memo(self.id)
        model = opts.model or self.default_model
        if not opts.model:
            plan.warnings.append(f"no model set: keyconf lists {model} for cn; pass --model with one your key's "
                                 "group offers")
        path = self.config_file(ctx)
        doc = self._doc(ctx)
        record = copy.deepcopy(old.get("yaml") or {})
        if not doc.text.strip() and "blank" not in record:  # a new (or blank) file gets cn's header lines too
            record.update(created=not doc.existed, blank=doc.text)
        found = yamlitems.find(doc, TOP, NAME) if doc.existed else None
        if found is not None and not old:
            raise UnsafeEdit(f"{doc.name} already has a model named \"{NAME}\" that keyconf did not write",
                             hint="rename or remove it, then run keyconf again", client=self.id)
        entry = {"name": NAME, "provider": "openai", "model": model, "apiBase": openai_base(profile.base_url),
                 "apiKey": API_KEY, "roles": ["chat", "edit", "apply"]}
        rendered = self._fields(profile, model)
        intended = copy.deepcopy(doc.data)
        try:
            if "blank" in record and not doc.text.strip():
                doc._splice(0, len(doc.text), HEADER.replace("\n", doc.nl))
                intended = {"name": "Local Config", "version": "1.0.0", "schema": "v1"}
            items = list(intended.get(TOP) or [])
            if found is not None:
                items[found[0]] = entry
            else:
                items.insert(0, entry)
            intended[TOP] = items
            yamlitems.put(doc, TOP, rendered, record)
        except UnsafeEdit as exc:
            exc.client = self.id
            raise
        doc.guard(intended)
        plan.edits.append(FileEdit(path, doc.original.encode("utf-8") if doc.existed else None, doc.content(),
                                   client=self.id))
        env_record = self._put_secret(ctx, key, old.get("env"), plan)
        plan.binding = Binding(self.id, profile.name, opts, {"yaml": record, "env": env_record})
        if ctx.env.get("ANTHROPIC_API_KEY"):
            plan.warnings.append(REWRITES)
        if RESPONSES.match(model):
            plan.notes.append(f"cn sends {model} to the relay's Responses API (/v1/responses), not chat completions")
        return plan

    def _fields(self, profile, model: str) -> list[tuple[str, str]]:
        """keyconf's model item as (key, YAML text) pairs; the secret reference unquoted, as Continue's own docs
        write it (cn substitutes it in the text)."""
        from keyconf.formats.yamltext import scalar
        from keyconf.urls import openai_base

        fields = [("name", NAME), ("provider", "openai"), ("model", model), ("apiBase", openai_base(profile.base_url))]
        return [(k, scalar(v)) for k, v in fields] + [("apiKey", API_KEY), ("roles", "[chat, edit, apply]")]

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """`cn --config FILE`: a config of keyconf's own in its run folder holding only keyconf's model, whose key
        cn resolves from this process's KEYCONF_CONTINUE_API_KEY (it beats ~/.continue/.env). With --config cn
        also leaves ~/.continue/config.yaml alone even when ANTHROPIC_API_KEY is set."""
        from keyconf.formats import yamlitems

        binding = ctx.binding(self.id)
        model = model or (binding.options.model if binding else None) or self.default_model
        path = run_folder(ctx, self.id) / "config.yaml"
        body = HEADER.replace("Local Config", "keyconf run") + "models:\n" + \
            yamlitems.render(self._fields(profile, model), "  ", "\n")
        launch = Launch(self.binary, argv=["--config", str(path)], files={path: body.encode()},
                        key_vars=(SECRET,))
        launch.notes.append("this run uses keyconf's model only: your own models, rules and MCP servers in "
                            "~/.continue/config.yaml are not loaded")
        return launch

    def _put_secret(self, ctx: Context, key: str, record: dict | None, plan: ClientPlan) -> dict:
        from keyconf.formats import dotenv

        path = self.env_file(ctx)
        env = self._env_text(ctx)
        if record is None:
            record = {"sep": env.separator(), "created": not env.existed}
        try:
            line = dotenv.assignment(SECRET, key)
        except dotenv.NoSpelling:
            raise UsageError("the key holds ', \" and ` together, and cn's .env has no escapes: no quoting would "
                             "make it read the same value back", client=self.id,
                             hint="create a key without those characters") from None
        block = env.nl.join([dotenv.BEGIN, "# Added by keyconf for Continue's cn (the secret its config.yaml names). "
                             "`keyconf remove continue` takes this block out.", line, dotenv.END]) + env.nl
        users = dotenv.without_block(env)
        record = env.put_owned_block(block, record)
        plan.warnings += env.notes
        dotenv.guard(env, {**dotenv.parse(users), SECRET: key}, reader="cn", client=self.id)
        plan.edits.append(FileEdit(path, fsutil.read_bytes(path), env.content(record["created"]), private=True,
                                   client=self.id))
        return record

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        import copy

        from keyconf.formats import dotenv, yamlitems

        plan = ClientPlan(self.id)
        record = binding.memo.get("yaml") or {}
        path = self.config_file(ctx)
        doc = self._doc(ctx)
        if doc.existed:
            intended = copy.deepcopy(doc.data)
            if isinstance(intended.get(TOP), list):
                intended[TOP] = [i for i in intended[TOP] if not (isinstance(i, dict) and i.get("name") == NAME)]
            try:
                yamlitems.take(doc, TOP, NAME, record)
            except UnsafeEdit as exc:
                exc.client = self.id
                raise
            if "top" in record and intended.get(TOP) == []:  # the list was keyconf's: its old value comes back
                if record["top"] is None:
                    del intended[TOP]
                else:
                    import yaml

                    intended[TOP] = yaml.safe_load(f"{TOP}{record['top']}")[TOP]
            if "blank" in record and doc.text == HEADER.replace("\n", doc.nl):
                doc.text, intended = record["blank"], {}
                doc._compose()
                doc.gone = bool(record.get("created"))
            doc.guard(intended)
            plan.edits.append(FileEdit(path, doc.original.encode("utf-8"), doc.content(), client=self.id))
        env_record = binding.memo.get("env")
        env_path = self.env_file(ctx)
        before = fsutil.read_bytes(env_path)
        if env_record and before is not None:
            env = self._env_text(ctx)
            env.take_owned_block(env_record)
            dotenv.guard(env, dotenv.parse(env.text), reader="cn", client=self.id)
            plan.edits.append(FileEdit(env_path, before, env.content(env_record.get("created", False)),
                                       client=self.id))
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, list[str]]:
        if not self.config_file(ctx).exists():
            return {}, []
        try:
            data = self._doc(ctx).data
        except UnsafeEdit as exc:
            return {}, [exc.message]
        models = data.get(TOP) if isinstance(data.get(TOP), list) else []
        ours = next((m for m in models if isinstance(m, dict) and m.get("name") == NAME), None)
        return ours or {}, []

    def _secret(self, ctx: Context, entry: dict) -> tuple[str | None, str]:
        from keyconf.formats import dotenv

        value = entry.get("apiKey")
        match = re.fullmatch(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}", value) if isinstance(value, str) else None
        if match is None:
            return (value, "config.yaml") if isinstance(value, str) and value else (None, "none")
        name = match.group(1)
        if ctx.env.get(name):
            return ctx.env[name], f"${name}"
        text = (fsutil.read_bytes(self.env_file(ctx)) or b"").decode("utf-8", "replace")
        found = dotenv.parse(text).get(name)
        return (found, ".env") if found else (None, f"secret {name} (not set)")

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        entry, problems = self._read(ctx)
        base = entry.get("apiBase") if isinstance(entry.get("apiBase"), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(base), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=base,
                          where=[ctx.paths.display(self.config_file(ctx)), ctx.paths.display(self.env_file(ctx))])
        st.conflicts += problems
        if st.configured:
            key, source = self._secret(ctx, entry)
            st.key = mask(key) if key else f"via {source}"
            st.model = entry.get("model")
            if ctx.env.get("ANTHROPIC_API_KEY"):
                st.conflicts.append(REWRITES)
        return st

    def target(self, ctx: Context) -> Target | None:
        entry, _ = self._read(ctx)
        base = entry.get("apiBase")
        if not isinstance(base, str) or not base:
            return None
        key, _ = self._secret(ctx, entry)
        model = entry.get("model") if isinstance(entry.get("model"), str) else None
        return Target(strip_v1(base), key, self.protocol_for(model), model, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings:
            return []
        entry, problems = self._read(ctx)
        found = [("problem", p) for p in problems]
        if not entry:
            found.append(("problem", f"{ctx.paths.display(self.config_file(ctx))} has no model named {NAME} any "
                                     "more: run `keyconf use continue` again"))
        else:
            key, source = self._secret(ctx, entry)
            found.append(("ok", f"cn's model {NAME} ({entry.get('model')}) at {entry.get('apiBase')}, key from "
                                f"{source}") if key else
                         ("problem", f"cn's model {NAME} names {source}: cn will send no key"))
        if ctx.env.get("ANTHROPIC_API_KEY"):
            found.append(("warning", REWRITES))
        if ctx.env.get(SECRET):
            found.append(("warning", f"${SECRET} is set in this environment: cn uses it instead of the key in "
                                     "~/.continue/.env"))
        local = Path.cwd() / ".env"
        if local.is_file() and f"{SECRET}=" in local.read_text(errors="replace"):
            found.append(("warning", f"{local} sets {SECRET}: cn loads it at start, over ~/.continue/.env"))
        found.append(("info", "cn asks api.continue.dev for its newest version at every start (no setting stops "
                              "that) and then updates itself with npm unless ~/.continue/index/globalContext.json "
                              "has {\"autoUpdateCli\": false}"))
        return found


ADAPTER = ContinueCli()
