"""Zed: one provider of keyconf's own in `settings.json`, and its key only in an environment variable.

Owns `language_models.openai_compatible.keyconf-relay` (`api_url` = root + /v1), or with `--protocol anthropic`
`language_models.anthropic_compatible.keyconf-relay` (`api_url` = the root), each with the `--model` in
`available_models` (Zed lists only the models named there). The key is never written into the file (Zed's docs):
Zed reads the variable it derives from the provider id, `<ID>_API_KEY` in upper snake case, so
KEYCONF_RELAY_API_KEY, which keyconf's shell env files export (`--via env`, the only way: the keychain item Zed
would otherwise keep is stored per api_url in a format not read here). An id of lowercase words joined by `-`
makes that name certain. settings.json is JSONC that Zed writes too: only the provider entry is touched.
"""

from __future__ import annotations

from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target

PROVIDER_ID = "keyconf-relay"
SECTIONS = {"openai": "openai_compatible", "anthropic": "anthropic_compatible"}
# Zed requires a context window per model; relays don't publish it, so a common size for each family.
MAX_TOKENS = {"openai": 128000, "anthropic": 200000}


def key_var(provider_id: str = PROVIDER_ID) -> str:
    """The variable Zed reads a compatible provider's key from: `format!("{}_API_KEY", id)` in UpperSnake
    (convert_case), for ids of lowercase words joined by `-` (the only kind keyconf uses)."""
    return provider_id.replace("-", "_").upper() + "_API_KEY"


KEY_VAR = key_var()


def _kind(opts: Options) -> str:
    return "anthropic" if opts.protocol == "anthropic" else "openai"


def _entry(kind: str) -> tuple:
    return ("language_models", SECTIONS[kind], PROVIDER_ID)


class Zed(Adapter):
    id = "zed"
    title = "Zed"
    protocol = "chat"
    vias = ("env",)  # the key only ever in the variable Zed derives from the provider id
    options = ("model", "protocol", "shells")
    binary = "zed"
    desktop_app = True
    process_names = ("zed", "Zed", "zed-editor")
    run_why = "Zed is an editor that keeps one running instance; a process started for one run would join it"

    # where -----------------------------------------------------------------------------------------
    def folder(self, ctx: Context) -> Path:
        paths = ctx.paths
        if paths.platform == "windows":
            appdata = ctx.env.get("APPDATA", "").strip()
            return (Path(appdata) if appdata else paths.home / "AppData" / "Roaming") / "Zed"
        if paths.platform == "macos":
            return paths.home / ".config" / "zed"
        flatpak = ctx.env.get("FLATPAK_XDG_CONFIG_HOME", "").strip()
        return (Path(flatpak) if flatpak else paths.xdg_config_home) / "zed"

    def settings_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "settings.json"

    def app_folder(self, ctx: Context) -> Path:
        return self.folder(ctx)

    def _doc(self, ctx: Context) -> JsonDoc:
        path = self.settings_file(ctx)
        return JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)

    def env_vars(self, profile, opts: Options) -> dict:
        return {KEY_VAR: {"key_of": profile.name}}

    def intended_target(self, profile, key: str, opts: Options) -> Target:
        protocol = "anthropic" if _kind(opts) == "anthropic" else "chat"
        return Target(profile.base_url, key, protocol, opts.model, client=self.id)

    # planning --------------------------------------------------------------------------------------
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        path = self.settings_file(ctx)
        doc = self._doc(ctx)
        owned_before = ctx.memo(self.id).get("files", {}).get(str(path))
        kind = _kind(opts)
        for depth in (1, 2):  # language_models, then its section
            where = _entry(kind)[:depth]
            if doc.kind(where) not in (None, "object"):
                raise UnsafeEdit(f"{doc.name}: `{'.'.join(where)}` is not an object (line {doc.line_of(where)}); "
                                 "keyconf will not replace it", client=self.id)
        if doc.raw(_entry(kind)) is not None and not owns(owned_before, _entry(kind)):
            raise UnsafeEdit(f"{doc.name} already has a provider `{PROVIDER_ID}` under {SECTIONS[kind]} that keyconf "
                             "did not write", hint="rename or remove it, then run keyconf again", client=self.id)
        entry = {"api_url": openai_base(profile.base_url) if kind == "openai" else profile.base_url,
                 "available_models": []}
        if opts.model:
            entry["available_models"] = [{"name": opts.model, "display_name": f"{opts.model} ({profile.name})",
                                          "max_tokens": MAX_TOKENS[kind]}]
        else:
            plan.warnings.append("no model set: Zed lists only the models named in the provider and asks the relay "
                                 "for none; pass --model with one your key's group offers")
        files = {str(path): set_owned(doc, {_entry(kind): encode(entry)}, owned_before)}
        plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {"files": files})
        plan.notes.append(f"Zed reads the key from ${KEY_VAR}: restart Zed from a shell that has it (Zed started "
                          "from the Dock or a desktop menu does not read shell start-up files)")
        if ctx.env.get(KEY_VAR):
            plan.notes.append(f"{KEY_VAR} set in this shell keeps its old value until the shell re-reads its files")
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        for name, owned in binding.memo.get("files", {}).items():
            path = Path(name)
            doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
            if not doc.existed:
                continue
            restore_owned(doc, owned)
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[str | None, dict]:
        """The kind (openai | anthropic) and entry of keyconf's provider in settings.json, if there."""
        doc = self._doc(ctx)
        for kind in SECTIONS:
            parent = _entry(kind)[:2]
            if doc.is_object(("language_models",)) and doc.is_object(parent) and doc.is_object(_entry(kind)):
                return kind, doc.get(_entry(kind))
        return None, {}

    def status(self, ctx: Context) -> ClientStatus:
        from keyconf.osenv import shellenv

        binding = ctx.binding(self.id)
        st = shellenv.env_status(self.id, self.installed(ctx), ctx.paths, binding, (KEY_VAR,))
        st.where.insert(0, ctx.paths.display(self.settings_file(ctx)))
        try:
            kind, entry = self._read(ctx)
        except UnsafeEdit as exc:
            st.conflicts.append(exc.message)
            return st
        url = entry.get("api_url") if isinstance(entry.get("api_url"), str) else None
        st.base_url = url
        models = [m.get("name") for m in entry.get("available_models") or [] if isinstance(m, dict)]
        st.model = models[0] if models else None
        if url and not st.configured:
            st.configured = True
            st.key = f"${KEY_VAR} (not exported by keyconf)" if not binding else st.key
            st.notes.append("set outside keyconf" if not binding else "")
        if binding and not url:
            st.conflicts.append(f"keyconf's provider {PROVIDER_ID} is no longer in {self.settings_file(ctx).name}")
        st.notes = [n for n in st.notes if n]
        return st

    def target(self, ctx: Context) -> Target | None:
        kind, entry = self._read(ctx)
        url = entry.get("api_url")
        if not isinstance(url, str) or not url:
            return None
        binding = ctx.binding(self.id)
        key = ctx.env.get(KEY_VAR) or ctx.profile_key(binding.profile if binding else None)
        models = [m.get("name") for m in entry.get("available_models") or [] if isinstance(m, dict)]
        return Target(strip_v1(url) if kind == "openai" else url.rstrip("/"), key,
                      "anthropic" if kind == "anthropic" else "chat", models[0] if models else None, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        """The traps: a variable Zed can't see (started from the Dock), a keychain key that loses to it, no model."""
        binding = ctx.binding(self.id)
        if binding is None:
            return []
        findings = []
        try:
            kind, entry = self._read(ctx)
        except UnsafeEdit as exc:
            return [("problem", exc.message)]
        if not entry:
            findings.append(("problem", f"keyconf's provider {PROVIDER_ID} is missing from "
                                        f"{ctx.paths.display(self.settings_file(ctx))}: run `keyconf use zed` again"))
        elif not entry.get("available_models"):
            findings.append(("warning", "Zed lists no model for the relay: run `keyconf use zed --model MODEL`"))
        exported = ctx.env.get(KEY_VAR)
        if not exported:
            findings.append(("warning", f"{KEY_VAR} is not set in this shell: Zed started from here has no relay "
                                        "key; open a new terminal (keyconf's shell block sets it)"))
        elif exported != ctx.profile_key(binding.profile):
            findings.append(("warning", f"{KEY_VAR} in this shell is not profile {binding.profile}'s key: open a new "
                                        "terminal, or find the line that sets it"))
        findings.append(("info", f"Zed reads the key from ${KEY_VAR} only when started from a shell that has it; "
                                 "started from the Dock or a desktop menu it asks for the key and keeps it in the "
                                 "system keychain instead"))
        return findings


ADAPTER = Zed()
