"""Roo Code (a VS Code extension): an import file of keyconf's own, and the editor setting that points at it.

Roo Code reads `roo-cline.autoImportSettingsPath` from the editor's user settings at every activation and, when the
file exists, imports its `providerProfiles` (RooCodeInc/Roo-Code src/utils/autoImportSettings.ts,
src/core/config/importExport.ts): same-named profiles are replaced, the user's others stay, and
`currentApiConfigName` is set to the file's value each time. keyconf writes that file in its own folder
(`$KEYCONF_HOME/roo-code/import.json`, 0600: it holds the key; strict JSON, which is what Roo's JSON.parse takes)
with one OpenAI-compatible profile `keyconf-relay` (`openAiBaseUrl` = root + /v1, the OpenAI SDK's baseURL) and
no `globalSettings`, and owns only the setting in each installed VS Code-family editor's settings.json (JSONC,
every other byte kept). `remove` deletes the file and gives the setting back; the profile Roo imported stays in
Roo's own store until deleted there.
"""

from __future__ import annotations

import json
from pathlib import Path

from keyconf.adapters import editors
from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target

SETTING = ("roo-cline.autoImportSettingsPath",)
PROFILE_NAME = "keyconf-relay"
EXTENSION_ID = "rooveterinaryinc.roo-cline"  # Marketplace id: its folder under the editor's extensions


def import_file(ctx: Context) -> Path:
    return ctx.paths.keyconf_home / "roo-code" / "import.json"


def import_body(base_url: str, key: str, model: str | None) -> bytes:
    """The import file: one OpenAI-compatible profile, made current (the shape importSettingsFromPath takes)."""
    from keyconf.urls import openai_base

    profile = {"apiProvider": "openai", "openAiBaseUrl": openai_base(base_url), "openAiApiKey": key}
    if model:
        profile["openAiModelId"] = model
    doc = {"providerProfiles": {"currentApiConfigName": PROFILE_NAME, "apiConfigs": {PROFILE_NAME: profile}}}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _doc(ctx: Context, path: Path) -> JsonDoc:
    return JsonDoc(editors.read(ctx, path), ctx.paths.display(path), jsonc=True)


class RooCode(Adapter):
    id = "roo-code"
    title = "Roo Code (VS Code extension)"
    protocol = "chat"
    options = ("model",)
    desktop_app = True
    run_why = "Roo Code runs inside the editor and imports its settings from a file at the editor's start"

    def installed(self, ctx: Context) -> bool:
        return bool(editors.installed(ctx))

    def _files(self, ctx: Context) -> list[Path]:
        return editors.target_files(ctx, ctx.memo(self.id).get("files", {}))

    # planning --------------------------------------------------------------------------------------
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        old = ctx.memo(self.id).get("files", {})
        target = import_file(ctx)
        files = self._files(ctx)
        if not files:
            path, warning = editors.first_editor_file(ctx)
            files = [path]
            plan.warnings.append(warning)
        owned, docs, created = {}, [], []
        made = ctx.memo(self.id).get("created", [])
        for path in files:
            if str(path) in made or (str(path) not in old and editors.absent(ctx, path)):
                created.append(str(path))
            doc = _doc(ctx, path)
            prior = doc.get(SETTING)
            if prior not in (None, "", str(target)) and not owns(old.get(str(path)), SETTING):
                plan.replaces.append(f"{SETTING[0]} = {prior!r} in {doc.name}")
            owned[str(path)] = set_owned(doc, {SETTING: encode(str(target))}, old.get(str(path)))
            docs.append((path, doc))
            plan.notes.append(editors.where_note(ctx, path, EXTENSION_ID, "Roo Code"))
        for path, doc in docs:  # only once every file could be planned (see editors.add_edit)
            editors.add_edit(ctx, plan, self.id, path, doc)
        plan.edits.append(FileEdit(target, fsutil.read_bytes(target), import_body(profile.base_url, key, opts.model),
                                   private=True, client=self.id))
        if not opts.model:
            plan.warnings.append("no model set: the profile names none and Roo Code asks for one; pass --model with "
                                 "one your key's group offers")
        plan.warnings.append(f"Roo Code imports {ctx.paths.display(target)} at every start of the editor and makes "
                             f"`{PROFILE_NAME}` its current profile each time (a choice made in Roo lasts until then)")
        plan.notes.append("run \"Developer: Reload Window\" in each editor so Roo Code imports the profile")
        plan.binding = Binding(self.id, profile.name, opts, {"files": owned, "created": created})
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        docs = []
        for name, owned in binding.memo.get("files", {}).items():
            doc = _doc(ctx, Path(name))
            if not doc.existed:
                continue
            restore_owned(doc, owned)
            editors.drop_if_bare(doc, name in binding.memo.get("created", []))
            docs.append((Path(name), doc))
        for path, doc in docs:
            editors.add_edit(ctx, plan, self.id, path, doc)
        target = import_file(ctx)
        if target.exists():
            plan.edits.append(FileEdit(target, fsutil.read_bytes(target), None, private=True, client=self.id))
        plan.notes.append(f"Roo Code keeps the imported profile `{PROFILE_NAME}` in its own store: delete it in "
                          "Roo's settings if it should go too")
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _profile(self, ctx: Context, path: Path) -> tuple[dict | None, list[str]]:
        """The keyconf profile in the file the setting names, or None; problems found on the way."""
        try:
            named = _doc(ctx, path).get(SETTING)
        except UnsafeEdit as exc:
            return None, [exc.message]
        if not isinstance(named, str) or not named:
            return None, []
        # Roo's resolvePath: absolute, `~/...`, or relative to the home folder
        file = Path(named[2:] if named.startswith("~/") else named)
        if not file.is_absolute():
            file = ctx.paths.home / file
        try:
            data = json.loads(fsutil.read_bytes(file) or b"null")
        except ValueError:
            return None, [f"{ctx.paths.display(file)} (Roo Code's import file) is not valid JSON"]
        configs = (((data or {}).get("providerProfiles") or {}).get("apiConfigs") or {}) \
            if isinstance(data, dict) else {}
        entry = configs.get(PROFILE_NAME) if isinstance(configs, dict) else None
        if not isinstance(entry, dict):
            return None, []
        remember(entry.get("openAiApiKey") if isinstance(entry.get("openAiApiKey"), str) else None)
        return entry, []

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        st = ClientStatus(self.id, self.installed(ctx), False, profile=binding.profile if binding else None,
                          via=binding.via if binding else None)
        for path in self._files(ctx):
            entry, problems = self._profile(ctx, path)
            st.conflicts += problems
            st.where.append(ctx.paths.display(path))
            if entry and not st.configured:
                st.configured, st.base_url = True, entry.get("openAiBaseUrl")
                st.model, st.key = entry.get("openAiModelId"), mask(entry.get("openAiApiKey"))
                st.where.append(ctx.paths.display(import_file(ctx)))
        if st.configured and not binding:
            st.notes.append("set outside keyconf")
        return st

    def target(self, ctx: Context) -> Target | None:
        for path in self._files(ctx):
            entry, _ = self._profile(ctx, path)
            if entry and isinstance(entry.get("openAiBaseUrl"), str):
                return Target(strip_v1(entry["openAiBaseUrl"]), entry.get("openAiApiKey"), self.protocol,
                              entry.get("openAiModelId"), client=self.id)
        return None

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        binding = ctx.binding(self.id)
        if binding is None:
            return []
        findings = []
        for name in binding.memo.get("files", {}):
            try:
                named = _doc(ctx, Path(name)).get(SETTING)
            except UnsafeEdit as exc:
                findings.append(("problem", exc.message))
                continue
            if named != str(import_file(ctx)):
                findings.append(("problem", f"{editors.title_of(ctx, name)}: {SETTING[0]} no longer names keyconf's "
                                            "import file: run `keyconf use roo-code` again"))
        if not import_file(ctx).exists():
            findings.append(("problem", f"{ctx.paths.display(import_file(ctx))} is missing: Roo Code skips the import"))
        findings.append(("info", f"Roo Code re-imports the file at every editor start and makes `{PROFILE_NAME}` "
                                 "current again; it also copies the profile (with the key) into its own store"))
        return findings


ADAPTER = RooCode()
