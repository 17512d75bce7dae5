"""The Claude Code extension in VS Code and its forks (VS Code Insiders, VSCodium, Cursor, Windsurf).

Owns, in each installed editor's user `settings.json`: `claudeCode.disableLoginPrompt: true` and, inside the
array `claudeCode.environmentVariables` (items `{"name", "value"}`), only the items named ANTHROPIC_BASE_URL (the
relay's root), ANTHROPIC_AUTH_TOKEN (the key) and, with --model, ANTHROPIC_MODEL; the user's other items keep
their place and bytes. The extension checks credentials from this setting before it starts its bundled CLI
(Anthropic's LLM-gateway page), so it is the one place that works; the key sits in the file in plain text
(written 0600), which Settings Sync uploads unless the setting is in `settingsSync.ignoredSettings`.

The editor writes this file too: the array's text keyconf wrote is remembered, and `remove` gives the old
array back whole when it is unchanged, else takes out (or gives back) only keyconf's items.
"""

from __future__ import annotations

import json
from pathlib import Path

from keyconf.adapters import editors
from keyconf.adapters.base import Adapter, Context
from keyconf.engine import fsutil
from keyconf.errors import UnsafeEdit
from keyconf.formats import jsonarray
from keyconf.formats.jsondoc import JsonDoc
from keyconf.formats.jsonowned import prior_of, restore_owned, set_owned, with_prior
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target

ENV = ("claudeCode.environmentVariables",)
NO_LOGIN = ("claudeCode.disableLoginPrompt",)
BASE_URL, TOKEN, API_KEY, MODEL = "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "ANTHROPIC_MODEL"
LEGACY_ENV = "claude-code.environmentVariables"  # Windsurf's reported older name (unverified)
EXTENSION_ID = "anthropic.claude-code"  # Marketplace id: its folder under the editor's extensions


def _items(raw: str | None) -> list:
    return jsonarray.load(raw) if raw is not None else []


def _index(raw: str, name: str) -> int | None:
    for i, item in enumerate(_items(raw)):
        if isinstance(item, dict) and item.get("name") == name:
            return i
    return None


def _element(raw: str, index: int) -> str:
    start, end = jsonarray.spans(raw)[index]
    return raw[start:end]


def put_items(raw: str | None, values: dict[str, str]) -> str:
    """The array text with an item {"name", "value"} per entry of `values`: replaced in place where an item of
    that name exists, else added after the last one."""
    raw = raw if raw is not None else "[]"
    for name, value in values.items():
        element = json.dumps({"name": name, "value": value}, ensure_ascii=False)
        index = _index(raw, name)
        raw = jsonarray.replace(raw, index, element) if index is not None else jsonarray.append(raw, element)
    return raw


def revert_items(raw: str, prior: str | None, names) -> str:
    """The array text with the items named `names` as they were in `prior` (their old text), or taken out."""
    for name in names:
        index = _index(raw, name)
        if index is None:
            continue
        old = _index(prior, name) if prior is not None else None
        raw = jsonarray.replace(raw, index, _element(prior, old)) if old is not None else jsonarray.drop(raw, index)
    return raw


def _doc(ctx: Context, path: Path) -> JsonDoc:
    return JsonDoc(editors.read(ctx, path), ctx.paths.display(path), jsonc=True)


def _sync_ignored(doc: JsonDoc) -> bool:
    """Settings Sync leaves the environment items out (they hold the key)."""
    ignored = doc.get(("settingsSync.ignoredSettings",))
    return isinstance(ignored, list) and ENV[0] in ignored


class ClaudeVscode(Adapter):
    id = "claude-vscode"
    title = "Claude Code extension (VS Code, Cursor, VSCodium, Windsurf)"
    protocol = "anthropic"
    options = ("model",)
    desktop_app = True
    run_why = ("the Claude Code extension runs inside the editor, which reads its settings.json, not a "
               "process's environment (for the terminal CLI use `keyconf run claude-code`)")

    # where -----------------------------------------------------------------------------------------
    def installed(self, ctx: Context) -> bool:
        return bool(editors.installed(ctx))

    def _files(self, ctx: Context) -> list[Path]:
        """The settings files to write: every installed editor's, and those written before."""
        return editors.target_files(ctx, ctx.memo(self.id).get("files", {}))

    # planning --------------------------------------------------------------------------------------
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        memo = ctx.memo(self.id)
        old_files, old_names = memo.get("files", {}), memo.get("names", {})
        files = self._files(ctx)
        if not files:
            path, warning = editors.first_editor_file(ctx)
            files = [path]
            plan.warnings.append(warning)
        values = {BASE_URL: profile.base_url, TOKEN: key}
        if opts.model:
            values[MODEL] = opts.model
        owned_files, names, wrote, docs, synced, created = {}, {}, {}, [], [], []
        for path in files:
            doc = _doc(ctx, path)
            owned_before = old_files.get(str(path))
            if str(path) in memo.get("created", []) or (owned_before is None and editors.absent(ctx, path)):
                created.append(str(path))
            current = doc.raw(ENV)
            if current is not None and doc.kind(ENV) != "array":
                raise UnsafeEdit(f"{doc.name}: `{ENV[0]}` is not an array (line {doc.line_of(ENV)}); keyconf will "
                                 "not replace it", client=self.id)
            if doc.kind(NO_LOGIN) not in (None, "boolean") and not owned_before:
                plan.replaces.append(f"{NO_LOGIN[0]} = {doc.raw(NO_LOGIN)} in {doc.name}")
            stale = [n for n in old_names.get(str(path), []) if n not in values]
            if current is not None and stale:
                current = revert_items(current, prior_of(owned_before, ENV), stale)
            for item in _items(current):
                if isinstance(item, dict) and item.get("name") in (TOKEN, API_KEY):
                    remember(item.get("value") if isinstance(item.get("value"), str) else None)
                if isinstance(item, dict) and item.get("name") == API_KEY and item.get("value"):
                    plan.warnings.append(f"{doc.name} also sets {API_KEY} for the extension: Claude Code sends it "
                                         "beside the relay token; delete that item")
            desired = {NO_LOGIN: "true", ENV: put_items(current, values)}
            owned_files[str(path)] = set_owned(doc, desired, owned_before)
            names[str(path)] = list(values)
            wrote[str(path)] = doc.raw(ENV)
            docs.append((path, doc))
            plan.notes.append(editors.where_note(ctx, path, EXTENSION_ID, "the Claude Code extension"))
            if not _sync_ignored(doc):
                synced.append(editors.title_of(ctx, path))
        for path, doc in docs:  # only once every file could be planned (see editors.add_edit)
            editors.add_edit(ctx, plan, self.id, path, doc, private=True)
        if synced:
            plan.warnings.append(f"{', '.join(synced)}: " + editors.SYNC_WARNING.format(setting=f"`{ENV[0]}`"))
        plan.notes.append("run \"Developer: Reload Window\" in each editor so the extension reads the new settings")
        plan.binding = Binding(self.id, profile.name, opts, {"files": owned_files, "names": names, "wrote": wrote,
                                                         "created": created})
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        docs = []
        for name, owned in binding.memo.get("files", {}).items():
            path = Path(name)
            doc = _doc(ctx, path)
            if not doc.existed:
                continue
            current, prior = doc.raw(ENV), prior_of(owned, ENV)
            if current is not None and doc.kind(ENV) == "array" and current != binding.memo.get("wrote", {}).get(name):
                # the editor or the user changed the array since: keep their items, take out only ours
                merged = revert_items(current, prior, binding.memo.get("names", {}).get(name, ()))
                if prior is not None or _items(merged):
                    owned = with_prior(owned, ENV, merged)
            restore_owned(doc, owned)
            editors.drop_if_bare(doc, name in binding.memo.get("created", []))
            docs.append((path, doc))
        for path, doc in docs:
            editors.add_edit(ctx, plan, self.id, path, doc, private=True)
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context, path: Path) -> tuple[dict, list[str]]:
        """{name: value} of the extension's environment items in one settings file, and problems reading it."""
        try:
            doc = _doc(ctx, path)
        except UnsafeEdit as exc:
            return {}, [exc.message]
        if doc.raw(ENV) is None:
            return {}, []
        if doc.kind(ENV) != "array":
            return {}, [f"{doc.name}: `{ENV[0]}` is not an array"]
        found = {}
        for item in _items(doc.raw(ENV)):
            if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str):
                found[item["name"]] = item["value"]
        for var in (TOKEN, API_KEY):
            remember(found.get(var))  # a key found in the file is masked in everything printed after
        return found, []

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        st = ClientStatus(self.id, self.installed(ctx), False, profile=binding.profile if binding else None,
                          via=binding.via if binding else None)
        seen = set()
        for path in self._files(ctx):
            env, problems = self._read(ctx, path)
            st.conflicts += problems
            st.where.append(ctx.paths.display(path))
            if env.get(BASE_URL):
                seen.add((env.get(BASE_URL), env.get(TOKEN) or env.get(API_KEY)))
                if not st.configured:
                    st.configured, st.base_url, st.model = True, env[BASE_URL], env.get(MODEL)
                    key = env.get(TOKEN) or env.get(API_KEY)
                    st.key = mask(key) if key else None
                st.notes.append(f"{editors.title_of(ctx, path)}: configured")
            elif binding:
                st.notes.append(f"{editors.title_of(ctx, path)}: not configured")
        if len(seen) > 1:
            st.conflicts.append("the editors' settings name different relays or keys")
        if st.configured and not binding:
            st.notes.append("set outside keyconf")
        return st

    def target(self, ctx: Context) -> Target | None:
        for path in self._files(ctx):
            env, _ = self._read(ctx, path)
            if env.get(BASE_URL):
                return Target(env[BASE_URL].rstrip("/"), env.get(TOKEN) or env.get(API_KEY), self.protocol,
                              env.get(MODEL), client=self.id)
        return None

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        """Settings Sync, the spawned CLI's onboarding flag, the login prompt that comes back, Windsurf's name."""
        binding = ctx.binding(self.id)
        if binding is None:
            return []
        findings = []
        for name in binding.memo.get("files", {}):
            path = Path(name)
            try:
                doc = _doc(ctx, path)
            except UnsafeEdit as exc:
                findings.append(("problem", exc.message))
                continue
            title = editors.title_of(ctx, path)
            if not _sync_ignored(doc):
                findings.append(("warning", f"{title}: " + editors.SYNC_WARNING.format(setting=f"`{ENV[0]}`")))
            if title == "Windsurf" and doc.raw((LEGACY_ENV,)) is not None:
                findings.append(("warning", f"Windsurf's settings also have `{LEGACY_ENV}` (an older name some "
                                            "builds read): it may override keyconf's relay settings"))
        from keyconf.adapters.claude_code import ONBOARDED, state_file

        try:
            state = JsonDoc(fsutil.read_bytes(state_file(ctx)), ctx.paths.display(state_file(ctx)))
            onboarded = state.get(ONBOARDED) is True
        except UnsafeEdit:
            onboarded = False
        if not onboarded:
            findings.append(("warning", f"{ctx.paths.display(state_file(ctx))} lacks hasCompletedOnboarding: true; "
                                        "the CLI the extension starts may show its login screen (`keyconf use "
                                        "claude-code` sets it)"))
        findings.append(("info", "if the extension still asks to log in, reload the window; some releases show "
                                 "the prompt despite claudeCode.disableLoginPrompt (anthropics/claude-code #89588)"))
        return findings


ADAPTER = ClaudeVscode()
