"""Factory Droid (BYOK): one custom model of keyconf's own in `~/.factory/settings.json`, and the session default.

Owns one element of `customModels` (the one whose `displayName` is "keyconf": `model`, `baseUrl` = root + /v1,
`apiKey`, `provider` = generic-chat-completion-api, `maxOutputTokens`) and `sessionDefaultSettings.model` =
"custom:keyconf-0", the id Droid 0.225 gives that entry (displayName, whitespace runs turned to "-", then the count
of earlier entries with the same name). Without the default, `droid exec` falls back to Factory's own models and
asks for a login. Checked with 0.225.2: `droid exec` sends `Authorization: Bearer` to `{baseUrl}/chat/completions`
and needs no Factory account.

The key: the literal in the entry (the file made 0600), or with `--via env` the text `${KEYCONF_DROID_API_KEY}`,
which Droid expands from its environment, the variable coming from keyconf's shell files. Droid runs no command for
a key, so `--no-plaintext` is refused.

Droid's interactive start rewrites the file (comments dropped, 2-space JSON, each entry gains `id`, `index`,
`noImageSupport`): keyconf compares its entry's own fields as data, so that rewrite is no change, and `remove`
takes out only keyconf's element from the rewritten array. A trailing comma makes Droid ignore the whole file
silently, so such a file is refused.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats import jsonarray
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

NAME = "keyconf"  # the displayName of keyconf's entry
MODEL_ID = f"custom:{NAME}-0"
MODELS = ("customModels",)
DEFAULT = ("sessionDefaultSettings", "model")
KEY_VAR = "KEYCONF_DROID_API_KEY"
PROVIDER = "generic-chat-completion-api"
MAX_OUTPUT = 16384
# `keyconf run`: a runtime settings file (`droid --settings FILE`) with a custom model of its own
RUN_NAME = "keyconf run"
RUN_MODEL_ID = "custom:keyconf-run-0"  # Droid's id for the first entry named RUN_NAME
RUN_KEY_VAR = "KEYCONF_DROID_RUN_API_KEY"
NO_PLAINTEXT = ("Droid runs no command for its key: it reads it from settings.json or from an environment variable "
                "(`--via env` keeps it out of settings.json, in keyconf's 0600 shell file)")


def _ours(entry) -> bool:
    return isinstance(entry, dict) and entry.get("displayName") == NAME


class Droid(Adapter):
    id = "droid"
    title = "Factory Droid"
    protocol = "chat"
    vias = ("config", "env")
    options = ("model", "shells")
    no_plaintext_why = NO_PLAINTEXT
    binary = "droid"
    # A custom model needs an id: without --model keyconf lists this one (Droid's own default is a Factory model
    # that needs a Factory login).
    default_model = "gpt-5"

    # where -----------------------------------------------------------------------------------------
    def folder(self, ctx: Context) -> Path:
        # FACTORY_HOME_OVERRIDE replaces the home folder; the files stay in its `.factory` (checked with 0.225.2)
        home = (ctx.env.get("FACTORY_HOME_OVERRIDE") or "").strip()
        return (Path(home) if home else ctx.paths.home) / ".factory"

    def settings_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "settings.json"

    def app_folder(self, ctx: Context) -> Path:
        return self.folder(ctx)

    def env_vars(self, profile, opts: Options) -> dict:
        return {KEY_VAR: {"key_of": profile.name}}

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """`--settings FILE` ("runtime settings file merged for this process only", Droid 0.225) in keyconf's
        folder: one custom model of its own, named "keyconf run", whose apiKey is `${KEYCONF_DROID_RUN_API_KEY}`
        (Droid expands it from this process's environment), made the session default. Checked with 0.225.2: it
        beats ~/.factory/settings.json's default and keyconf's own entry there; settings.json, the user's
        custom models, sessions and MCP servers stay as they are (`droid exec -m ...` still picks another)."""
        from keyconf.adapters.runoverlay import overlay_path, run_model
        from keyconf.urls import openai_base

        model = run_model(self, ctx, model, self.default_model)
        entry = {"model": model, "displayName": RUN_NAME, "baseUrl": openai_base(profile.base_url),
                 "apiKey": "${" + RUN_KEY_VAR + "}", "provider": PROVIDER, "maxOutputTokens": MAX_OUTPUT}
        body = (json.dumps({"customModels": [entry], "sessionDefaultSettings": {"model": RUN_MODEL_ID}}, indent=2)
                + "\n").encode()
        path = overlay_path(ctx, self.id, "settings", body, ".json")
        return Launch(self.binary, key_vars=(RUN_KEY_VAR,), argv=["--settings", str(path)], files={path: body})

    def _doc(self, ctx: Context) -> JsonDoc:
        path = self.settings_file(ctx)
        doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
        lines = doc.trailing_comma_lines
        if lines:
            raise UnsafeEdit(f"{doc.name}, line {lines[0]}: a trailing comma, with which Droid ignores the whole file "
                             "(\"No custom models configured\"); keyconf will not edit it",
                             hint="delete that comma, then run keyconf again", client=self.id)
        return doc

    # planning --------------------------------------------------------------------------------------
    def _entry(self, profile, key: str, opts: Options) -> dict:
        from keyconf.urls import openai_base

        return {"model": opts.model or self.default_model, "displayName": NAME,
                "baseUrl": openai_base(profile.base_url),
                "apiKey": "${" + KEY_VAR + "}" if opts.via == "env" else key,
                "provider": PROVIDER, "maxOutputTokens": MAX_OUTPUT}

    def _models(self, doc: JsonDoc, owned: bool) -> tuple[list, int | None]:
        """The customModels array as data, and the index of keyconf's entry."""
        kind = doc.kind(MODELS)
        if kind not in (None, "array"):
            raise UnsafeEdit(f"{doc.name}: `customModels` is not an array (line {doc.line_of(MODELS)}); keyconf "
                             "will not replace it", client=self.id)
        models = doc.get(MODELS, [])
        ours = [i for i, entry in enumerate(models) if _ours(entry)]
        if len(ours) > 1 or (ours and not owned):
            raise UnsafeEdit(f"{doc.name} already has a custom model named \"{NAME}\" that keyconf did not write",
                             hint="rename or remove it, then run keyconf again", client=self.id)
        return models, (ours[0] if ours else None)

    def _put_entry(self, doc: JsonDoc, entry: dict, record: dict | None, plan: ClientPlan) -> dict:
        """Add or update keyconf's element; returns what `remove` needs (the array's text before keyconf) and
        what keyconf wrote (without the key: state.json holds no key), to tell an edit of it from Droid's own."""
        models, index = self._models(doc, record is not None)
        raw = doc.raw(MODELS)
        written = {k: v for k, v in entry.items() if k != "apiKey"}
        new_record = {"prior": record["prior"] if record else raw, "written": written}
        if index is not None and all(models[index].get(k) == v for k, v in entry.items()):
            return new_record  # Droid's own fields beside ours (id, index, ...) are no change
        if index is not None:
            current = models[index]
            if record and record.get("written") and any(current.get(k) != v for k, v in record["written"].items()):
                plan.notes.append(f"keyconf's custom model in {doc.name} was changed since keyconf wrote it; set back")
            entry = {**current, **entry}  # fields Droid added to it stay
            new = jsonarray.replace(raw, index, json.dumps(entry, ensure_ascii=False))
        elif raw is None:
            new = "[" + json.dumps(entry, ensure_ascii=False) + "]"
        else:
            new = jsonarray.append(raw, json.dumps(entry, ensure_ascii=False))
        expected = models[:index] + [entry] + models[index + 1:] if index is not None else models + [entry]
        others = self._rest(doc)
        doc.set_raw(MODELS, new)
        self._guard(doc, expected, others)
        return new_record

    @staticmethod
    def _rest(doc: JsonDoc) -> dict:
        data = doc.get((), {})
        data.pop(MODELS[0], None)
        return data

    def _guard(self, doc: JsonDoc, expected: list, others: dict) -> None:
        """The array holds exactly what was meant, and nothing else in the file moved (jsondoc guards its own
        edits; this one is spliced as text)."""
        if doc.get(MODELS, None) != expected or self._rest(doc) != others:
            raise UnsafeEdit(f"{doc.name}: keyconf's change of customModels would not read back as meant; nothing "
                             "was written", hint="this is a bug in keyconf: please report it", client=self.id)

    def _take_entry(self, doc: JsonDoc, record: dict) -> None:
        """Take keyconf's element out: the array's old text when nothing else in it changed, else just ours."""
        models, index = self._models(doc, True)
        if index is None:
            return
        rest = models[:index] + models[index + 1:]
        prior = record.get("prior")
        others = self._rest(doc)
        if prior is None and not rest:
            doc.delete(MODELS)
        elif prior is not None and jsonarray.load(prior) == rest:
            doc.set_raw(MODELS, prior)  # byte for byte what the user had
        else:  # Droid or the user changed the array since: keep that, drop only ours
            doc.set_raw(MODELS, jsonarray.drop(doc.raw(MODELS), index))
        if prior is None and not rest:
            if doc.get(MODELS, None) is not None or self._rest(doc) != others:
                raise UnsafeEdit(f"{doc.name}: taking keyconf's entry out would not read back as meant",
                                 client=self.id)
            return
        self._guard(doc, rest, others)

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        if not opts.model:
            plan.warnings.append(f"no model set: keyconf lists {self.default_model} for Droid; pass --model with one "
                                 "your key's group offers")
        old = ctx.memo(self.id)
        path = self.settings_file(ctx)
        doc = self._doc(ctx)
        owned_before = old.get("owned")
        entry = self._entry(profile, key, opts)
        array = self._put_entry(doc, entry, old.get("array"), plan)
        current = doc.raw(DEFAULT)
        if doc.kind(DEFAULT[:1]) not in (None, "object"):
            raise UnsafeEdit(f"{doc.name}: `sessionDefaultSettings` is not an object; keyconf will not replace it",
                             client=self.id)
        if current not in (None, encode(MODEL_ID)) and not owns(owned_before, DEFAULT):
            plan.replaces.append(f"sessionDefaultSettings.model = {current} in {doc.name}")
        owned = set_owned(doc, {DEFAULT: encode(MODEL_ID)}, owned_before)
        # the key sits in the file unless Droid reads it from the environment; then the file keeps its mode
        plan.edits.append(FileEdit(path, doc.original(), doc.content(), private=opts.via != "env", client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {"array": array, "owned": owned})
        if not old:
            plan.notes.append("Droid's interactive start asks to trust each new folder and rewrites settings.json "
                              "(comments go); keyconf's entry survives that, and `droid exec` does neither")
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        path = self.settings_file(ctx)
        doc = self._doc(ctx)
        if doc.existed:
            self._take_entry(doc, binding.memo.get("array") or {})
            restore_owned(doc, binding.memo.get("owned"))
            # not private: the key leaves the file, which gets back the mode it had before keyconf made it 0600
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, object, list[str]]:
        try:
            doc = self._doc(ctx)
            models = doc.get(MODELS) if doc.kind(MODELS) == "array" else []
            default = doc.get(DEFAULT) if doc.is_object(DEFAULT[:1]) else None
        except UnsafeEdit as exc:
            return {}, None, [exc.message]
        entry = next((m for m in models if _ours(m)), {})
        return entry, default, []

    def _key(self, ctx: Context, entry: dict) -> tuple[str | None, str]:
        value = entry.get("apiKey") if isinstance(entry.get("apiKey"), str) else None
        if value and value.startswith("${") and value.endswith("}"):
            var = value[2:-1]
            return ctx.env.get(var) or None, f"${var}"
        remember(value)  # a key found in the file is masked in everything printed after
        return value, "settings.json"

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        entry, default, problems = self._read(ctx)
        url = entry.get("baseUrl") if isinstance(entry.get("baseUrl"), str) else None
        path = self.settings_file(ctx)
        st = ClientStatus(self.id, self.installed(ctx), bool(url), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=url, where=[ctx.paths.display(path)])
        st.conflicts += problems
        if not st.configured:
            return st
        key, source = self._key(ctx, entry)
        st.key = mask(key) if key else f"from {source} (not set in this shell)"
        st.model = entry.get("model") if isinstance(entry.get("model"), str) else None
        if default != MODEL_ID:
            st.conflicts.append(f"sessionDefaultSettings.model is {default!r}, not {MODEL_ID!r}: `droid exec` uses "
                                "another model; run `keyconf use droid` again")
        st.conflicts += self._overrides(ctx, None)
        if source == "settings.json" and key and stat.S_IMODE(path.stat().st_mode) & 0o077:
            st.conflicts.append(f"{ctx.paths.display(path)} holds the key and others can read it (Droid's own rewrite "
                                f"may have reset its mode): chmod 600 {ctx.paths.display(path)}")
        if not binding:
            st.notes.append("set outside keyconf")
        return st

    def target(self, ctx: Context) -> Target | None:
        entry, _, _ = self._read(ctx)
        url = entry.get("baseUrl")
        if not isinstance(url, str) or not url:
            return None
        key, _ = self._key(ctx, entry)
        binding = ctx.binding(self.id)
        if key is None and binding is not None:
            key = ctx.profile_key(binding.profile)
        model = entry.get("model") if isinstance(entry.get("model"), str) else None
        return Target(strip_v1(url), key, self.protocol, model, client=self.id)

    def _overrides(self, ctx: Context, start: Path | None) -> list[str]:
        """Settings layers that beat ~/.factory/settings.json and pick another model (checked with 0.225.2):
        ~/.factory/settings.local.json, and a project's .factory/settings.json or settings.local.json in the
        folder Droid starts in or any folder above it."""
        candidates = [self.folder(ctx) / "settings.local.json"]
        folder = start
        while folder is not None:
            if folder / ".factory" != self.folder(ctx):
                candidates += [folder / ".factory" / "settings.json", folder / ".factory" / "settings.local.json"]
            folder = folder.parent if folder.parent != folder else None
        found = []
        for path in candidates:
            if not path.is_file():
                continue
            try:
                doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
                model = doc.get(DEFAULT) if doc.is_object(DEFAULT[:1]) else None
            except UnsafeEdit:
                continue
            if model not in (None, MODEL_ID):
                found.append(f"{ctx.paths.display(path)} sets sessionDefaultSettings.model = {model!r}, which beats "
                             f"keyconf's {MODEL_ID!r} when Droid starts {'here' if start else 'anywhere'}")
        return found

    def doctor(self, ctx: Context, cwd: str | None = None) -> list[tuple[str, str]]:
        import os

        binding = ctx.binding(self.id)
        if binding is None:
            return []
        found = []
        try:
            here = Path(cwd or os.getcwd())
        except OSError:  # the current folder is gone
            here = None
        found += [("warning", text) for text in self._overrides(ctx, here)]
        entry, default, problems = self._read(ctx)
        if binding.via == "env" and not ctx.env.get(KEY_VAR):
            found.append(("warning", f"{KEY_VAR} is not set in this shell: Droid started from here sends no key; "
                                     "open a new terminal (keyconf's shell block sets it)"))
        if entry and default != MODEL_ID:
            found.append(("warning", f"Droid's session default is {default!r}: it uses Factory's models (and asks for "
                                     f"a login) instead of the relay; run `keyconf use droid` again"))
        found.append(("info", "Droid's interactive start asks \"Trust this folder?\" once per folder (`droid exec` "
                              "does not ask)"))
        if ctx.env.get("FACTORY_AIRGAP_ENABLED") != "true":
            found.append(("info", "Droid also talks to Factory's servers (telemetry); FACTORY_AIRGAP_ENABLED=true "
                                  "keeps it to the relay"))
        if not any(level in ("warning", "problem") for level, _ in found) and not problems:
            found.append(("ok", f"Droid uses {MODEL_ID} ({entry.get('model')})"))
        return found


ADAPTER = Droid()
