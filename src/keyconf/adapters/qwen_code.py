"""Qwen Code: a provider `keyconf` in `~/.qwen/settings.json`, and its key in one block of `~/.qwen/.env`.

Qwen Code (0.24) takes credentials only from the environment variable an entry's `envKey` names, never from
`modelProviders` itself, and loads `~/.qwen/.env` (`$QWEN_HOME/.env`) for variables the shell does not set. So
keyconf owns, in settings.json: `modelProviders.keyconf` (one entry: the model, `envKey` =
KEYCONF_QWEN_API_KEY, `baseUrl` = root + /v1), `providerProtocol.keyconf = "openai"` (a provider id that is not
a protocol name is skipped without it), `security.auth.selectedType = "openai"` (headless runs stop without
one), `model.name` and `model.baseUrl` (which pick that entry even where another provider lists the same model
id); in `.env` one marked block with KEYCONF_QWEN_API_KEY (0600), or with `--via env` nothing there: keyconf's
shell files export the variable. A variable of keyconf's own name is one no shell or project `.env` sets by
accident, unlike OPENAI_API_KEY. Checked with 0.24.4: `qwen -p` sends `Authorization: Bearer` to
`{baseUrl}/chat/completions`.

Qwen rewrites settings.json on its first start when `"$version"` is missing (adds `"$version": 4`, reformats the
object it touched); keyconf writes `"$version": 4` only into a file it creates (an older file needs Qwen's own
migration). Owned values are compared as data, not text, so Qwen's reformatting of them is no change.
"""

from __future__ import annotations

import os
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit, UsageError
from keyconf.formats import dotenv
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

PROVIDER_ID = "keyconf"
KEY_VAR = "KEYCONF_QWEN_API_KEY"
PROTOCOL = "openai"  # Qwen's auth type for OpenAI-compatible chat completions
ENTRY = ("modelProviders", PROVIDER_ID)
MAPPING = ("providerProtocol", PROVIDER_ID)
AUTH_TYPE = ("security", "auth", "selectedType")
MODEL_NAME = ("model", "name")
MODEL_URL = ("model", "baseUrl")
VERSION = ("$version",)
SETTINGS_VERSION = 4  # Qwen Code 0.24's SETTINGS_VERSION
OBJECTS = (("modelProviders",), ("providerProtocol",), ("security",), ("security", "auth"), ("model",))
# `keyconf run`: the system settings file, which Qwen ranks above user and project settings, moved by this
# variable into keyconf's folder; the key in a variable of its own that no file sets
SYSTEM_SETTINGS_VAR = "QWEN_CODE_SYSTEM_SETTINGS_PATH"
RUN_KEY_VAR = "KEYCONF_QWEN_RUN_API_KEY"
NO_PLAINTEXT = ("Qwen Code reads its key only from an environment variable (it runs no command for it); the key "
                "goes to its 0600 ~/.qwen/.env")


class QwenCode(Adapter):
    id = "qwen-code"
    title = "Qwen Code"
    protocol = "chat"
    vias = ("config", "env")  # env: KEYCONF_QWEN_API_KEY comes from keyconf's shell files, no .env block
    options = ("model", "shells")
    no_plaintext_why = NO_PLAINTEXT
    binary = "qwen"
    # A provider entry needs a model id. Without --model keyconf lists this one, the Qwen coding model relays
    # offer under that name (Qwen's own default, `coder-model`, exists only behind its sign-in).
    default_model = "qwen3-coder-plus"

    # where -----------------------------------------------------------------------------------------
    def folder(self, ctx: Context) -> Path:
        home = (ctx.env.get("QWEN_HOME") or "").strip()
        return Path(home) if home else ctx.paths.home / ".qwen"

    def settings_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "settings.json"

    def env_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / ".env"

    def env_vars(self, profile, opts: Options) -> dict:
        # what `keyconf env` prints: the variable keyconf's provider entry names (it beats ~/.qwen/.env)
        return {KEY_VAR: {"key_of": profile.name}}

    def app_folder(self, ctx: Context) -> Path:
        return self.folder(ctx)

    def system_settings_file(self, ctx: Context) -> Path:
        """Qwen's system settings (`getSystemSettingsPath` in 0.24): the variable, else the platform's place."""
        explicit = (ctx.env.get(SYSTEM_SETTINGS_VAR) or "").strip()
        if explicit:
            return Path(explicit)
        return Path({"macos": "/Library/Application Support/QwenCode/settings.json",
                     "windows": "C:\\ProgramData\\qwen-code\\settings.json"}.get(ctx.paths.platform,
                                                                                "/etc/qwen-code/settings.json"))

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """QWEN_CODE_SYSTEM_SETTINGS_PATH names a copy of the system settings (the highest settings layer; an
        administrator's file, if any, stays in force in the copy) that adds one `openai` provider entry whose
        envKey names KEYCONF_QWEN_RUN_API_KEY, selects it and the openai auth type. `modelProviders` merges by
        replacing, so this run lists only that entry. Checked with 0.24.4: it beats ~/.qwen/settings.json,
        ~/.qwen/.env and a shell's OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL; the user's settings,
        sessions, MCP servers and trusted folders stay in use."""
        from keyconf.adapters.runoverlay import overlay_path, run_model
        from keyconf.urls import openai_base

        model = run_model(self, ctx, model, self.default_model)
        system = self.system_settings_file(ctx)
        doc = JsonDoc(fsutil.read_bytes(system), ctx.paths.display(system), jsonc=True)
        url = openai_base(profile.base_url)
        entry = {"id": model, "name": f"{model} (keyconf run: {profile.name})", "envKey": RUN_KEY_VAR, "baseUrl": url}
        desired = {("modelProviders",): {PROTOCOL: [entry]}, AUTH_TYPE: PROTOCOL, MODEL_NAME: model, MODEL_URL: url,
                   VERSION: SETTINGS_VERSION}  # with "$version" Qwen leaves the file as it is
        for path in (("security",), AUTH_TYPE[:2], ("model",)):
            if doc.kind(path) not in (None, "object"):
                raise UnsafeEdit(f"{doc.name}: `{'.'.join(path)}` is not an object; keyconf can't add its run "
                                 "settings to a copy of it", client=self.id)
        set_owned(doc, {path: encode(value) for path, value in desired.items()}, None)
        body = doc.content() or b""
        path = overlay_path(ctx, self.id, "system-settings", body, ".json")
        launch = Launch(self.binary, env={SYSTEM_SETTINGS_VAR: str(path)}, key_vars=(RUN_KEY_VAR,), files={path: body})
        if doc.existed:
            launch.notes.append(f"the system settings {doc.name} stay in force: this run uses a copy with keyconf's "
                                "provider added")
        return launch

    # reading a file the way Qwen does ------------------------------------------------------------------
    def _settings(self, ctx: Context) -> JsonDoc:
        """settings.json: comments are fine for Qwen, a trailing comma makes it stop ("unexpected critical error")."""
        path = self.settings_file(ctx)
        doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
        lines = doc.trailing_comma_lines
        if lines:
            raise UnsafeEdit(f"{doc.name}, line {lines[0]}: a trailing comma, which Qwen Code cannot read (it stops "
                             "and moves the file to settings.json.corrupted); keyconf will not edit it",
                             hint="delete that comma, then run keyconf again", client=self.id)
        return doc

    def _env(self, ctx: Context, path: Path, content: bytes | None):
        from keyconf.osenv.shellenv import RcText

        return RcText(content, ctx.paths.display(path), family="dotenv")

    # planning --------------------------------------------------------------------------------------
    def _check_shape(self, doc: JsonDoc, owned_before: dict | None) -> None:
        for path in OBJECTS:
            if doc.kind(path) not in (None, "object"):
                # Qwen's first settings layout had flat keys (`"model": "name"`); Qwen migrates it on its next start
                old_layout = path == ("model",) and doc.raw(VERSION) is None
                raise UnsafeEdit(f"{doc.name}: `{'.'.join(path)}` is not an object (line {doc.line_of(path)}); "
                                 "keyconf will not replace it", client=self.id,
                                 hint="this is Qwen Code's old settings layout: start `qwen` once (it migrates the "
                                      "file), then run keyconf again" if old_layout else "")
        if doc.is_object(ENTRY[:1]) and doc.raw(ENTRY) is not None and not owns(owned_before, ENTRY):
            raise UnsafeEdit(f"{doc.name} already has a provider `{PROVIDER_ID}` under modelProviders that keyconf "
                             "did not write", hint="rename or remove it, then run keyconf again", client=self.id)

    @staticmethod
    def _as_found(doc: JsonDoc, desired: dict) -> dict:
        """The raw texts to own: a value that already holds the intended data keeps its bytes (Qwen reformats
        the object it adds `$version` to; that is no change of ours to undo or redo)."""
        raws = {}
        for path, value in desired.items():
            current = doc.raw(path)
            raws[path] = current if current is not None and doc.get(path) == value else encode(value)
        return raws

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.urls import openai_base

        model = opts.model or self.default_model
        try:
            line = dotenv.assignment(KEY_VAR, key) if opts.via != "env" else ""
        except dotenv.NoSpelling:
            raise UsageError("the key holds ', \" and ` together, and Qwen Code's .env has no escapes: no quoting "
                             "would make it read the same value back", client=self.id,
                             hint="use `--via env` (shell quoting takes any value), or create a key without "
                                  "those characters") from None
        plan = ClientPlan(self.id)
        if not opts.model:
            plan.warnings.append(f"no model set: keyconf lists {model} for Qwen Code (its own default, coder-model, "
                                 "is Qwen's sign-in model); pass --model with one your key's group offers")
        old = ctx.memo(self.id).get("files", {})
        settings, env_path = self.settings_file(ctx), self.env_file(ctx)
        doc = self._settings(ctx)
        owned_before = old.get(str(settings))
        self._check_shape(doc, owned_before)

        url = openai_base(profile.base_url)
        desired = {ENTRY: [{"id": model, "name": model, "envKey": KEY_VAR, "baseUrl": url}],
                   MAPPING: PROTOCOL, AUTH_TYPE: PROTOCOL, MODEL_NAME: model, MODEL_URL: url}
        if not doc.existed or doc.empty or owns(owned_before, VERSION):
            desired[VERSION] = SETTINGS_VERSION
        elif doc.raw(VERSION) is None:
            plan.notes.append(f"Qwen Code adds \"$version\": {SETTINGS_VERSION} to {doc.name} on its next start "
                              "(its own migration; keyconf's entries stay, and `keyconf remove` leaves that line)")
        for path, what in ((AUTH_TYPE, "security.auth.selectedType"), (MODEL_NAME, "model.name")):
            current = doc.raw(path)
            if current is not None and doc.get(path) != desired[path] and not owns(owned_before, path):
                plan.replaces.append(f"{what} = {current} in {doc.name}")
        for path in desired:
            if owns(owned_before, path) and doc.raw(path) is not None and doc.get(path) != desired[path] \
                    and path not in (MODEL_NAME, MODEL_URL, ENTRY):
                plan.notes.append(f"{'.'.join(path)} in {doc.name} was changed since keyconf wrote it; set back")
        files = {str(settings): set_owned(doc, self._as_found(doc, desired), owned_before)}
        plan.edits.append(FileEdit(settings, doc.original(), doc.content(), client=self.id))

        record = old.get(str(env_path))
        if opts.via == "env":
            if record:  # a block from an earlier `--via config` goes: the shell provides the variable now
                self._drop_block(ctx, env_path, record, plan)
            plan.binding = Binding(self.id, profile.name, opts, {"files": files})
            return plan
        before = fsutil.read_bytes(env_path)
        env = self._env(ctx, env_path, before)
        record = record or {"sep": env.separator(), "created": not env.existed}
        users = dotenv.parse(dotenv.without_block(env))
        if users.get(KEY_VAR) not in (None, key):
            plan.replaces.append(f"{KEY_VAR} = {mask(users[KEY_VAR])} in {env.name} (keyconf's block after it wins)")
        header = "# Added by keyconf: the key Qwen Code's settings.json names. `keyconf remove qwen-code` takes it out."
        env.set_block(env.nl.join([dotenv.BEGIN, header, line, dotenv.END]) + env.nl, record["sep"])
        dotenv.guard(env, {**users, KEY_VAR: key}, reader=self.title, client=self.id)
        files[str(env_path)] = record
        plan.edits.append(FileEdit(env_path, before, env.content(record["created"]), private=True, client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {"files": files})
        exported = ctx.env.get(KEY_VAR)
        if exported and exported != key:
            plan.warnings.append(f"{KEY_VAR} is exported in this shell and beats {env.name} (Qwen Code reads the "
                                 "file only for variables not set): unset it")
        return plan

    def _drop_block(self, ctx: Context, path: Path, record: dict, plan: ClientPlan) -> None:
        before = fsutil.read_bytes(path)
        if before is None:
            return
        env = self._env(ctx, path, before)
        users = dotenv.parse(dotenv.without_block(env))
        env.remove_block(record.get("sep", ""))
        dotenv.guard(env, users, reader=self.title, client=self.id)
        # not private: the key leaves the file, which gets back the mode it had before keyconf made it 0600
        plan.edits.append(FileEdit(path, before, env.content(record.get("created", False)), client=self.id))

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        for name, record in binding.memo.get("files", {}).items():
            path = Path(name)
            before = fsutil.read_bytes(path)
            if before is None:
                continue
            if path.name == ".env":
                self._drop_block(ctx, path, record, plan)
                continue
            doc = JsonDoc(before, ctx.paths.display(path), jsonc=True)
            restore_owned(doc, record)
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> dict:
        """keyconf's entry, the selected auth type and model, the key Qwen would get, and reading problems."""
        found = {"entry": {}, "auth": None, "model": None, "key": None, "key_from": None, "problems": []}
        try:
            doc = self._settings(ctx)
            entries = doc.get(ENTRY) if doc.is_object(ENTRY[:1]) else None
            if isinstance(entries, list) and entries and isinstance(entries[0], dict):
                found["entry"] = entries[0]
            if doc.is_object(AUTH_TYPE[:2]) and doc.is_object(AUTH_TYPE[:1]):
                found["auth"] = doc.get(AUTH_TYPE)
            if doc.is_object(MODEL_NAME[:1]):
                found["model"] = doc.get(MODEL_NAME)
        except UnsafeEdit as exc:
            found["problems"].append(exc.message)
        var = found["entry"].get("envKey") if isinstance(found["entry"].get("envKey"), str) else KEY_VAR
        try:
            path = self.env_file(ctx)
            in_file = dotenv.parse(self._env(ctx, path, fsutil.read_bytes(path)).text)
        except UnsafeEdit as exc:
            in_file = {}
            found["problems"].append(exc.message)
        if ctx.env.get(var):  # Qwen takes the shell's value first
            found["key"], found["key_from"] = ctx.env[var], f"{var} exported in this shell"
        elif in_file.get(var):
            found["key"], found["key_from"] = in_file[var], ctx.paths.display(self.env_file(ctx))
        remember(found["key"])  # a key found in the files is masked in everything printed after
        return found

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        found = self._read(ctx)
        entry = found["entry"]
        url = entry.get("baseUrl") if isinstance(entry.get("baseUrl"), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(url), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=url,
                          where=[ctx.paths.display(self.settings_file(ctx))])
        st.conflicts += found["problems"]
        if not st.configured:
            return st
        st.key = mask(found["key"]) if found["key"] else None
        via_env = binding is not None and binding.via == "env"
        if found["key_from"]:
            st.where.append(found["key_from"])
        elif via_env:
            st.notes.append(f"{KEY_VAR} comes from keyconf's shell files: a new terminal has it")
        else:
            st.conflicts.append(f"no {entry.get('envKey') or KEY_VAR} in the shell or "
                                f"{ctx.paths.display(self.env_file(ctx))}: Qwen Code has no key for the relay")
        st.model = found["model"] if isinstance(found["model"], str) else None
        if found["key_from"] and found["key_from"].endswith("shell") and binding and not via_env:
            st.conflicts.append(f"{found['key_from']} beats the one keyconf wrote to "
                                f"{ctx.paths.display(self.env_file(ctx))}")
        if found["auth"] != PROTOCOL:
            st.conflicts.append(f"security.auth.selectedType is {found['auth']!r}, not {PROTOCOL!r}: Qwen Code does "
                                "not use keyconf's provider; run `keyconf use qwen-code` again")
        elif st.model != entry.get("id"):
            st.conflicts.append(f"model.name is {st.model!r}, not keyconf's {entry.get('id')!r}: Qwen Code may "
                                "pick another provider's model")
        if not binding:
            st.notes.append("set outside keyconf")
        return st

    def target(self, ctx: Context) -> Target | None:
        found = self._read(ctx)
        url = found["entry"].get("baseUrl")
        if not isinstance(url, str) or not url:
            return None
        model = found["model"] if isinstance(found["model"], str) else found["entry"].get("id")
        return Target(strip_v1(url), found["key"], self.protocol, model, client=self.id)

    def doctor(self, ctx: Context, cwd: str | None = None) -> list[tuple[str, str]]:
        if ctx.binding(self.id) is None:
            return []
        found = []
        exported = ctx.env.get(KEY_VAR)
        problems = self._read(ctx)["problems"]
        if ctx.binding(self.id).via == "env":
            if not exported:
                found.append(("warning", f"{KEY_VAR} is not set in this shell: Qwen Code started from here has no "
                                         "key; open a new terminal (keyconf's shell block sets it)"))
        elif exported is not None:
            found.append(("warning", f"{KEY_VAR} is exported in this shell: Qwen Code uses it instead of the key in "
                                     f"{ctx.paths.display(self.env_file(ctx))}; unset it"))
        try:
            here = Path(cwd or os.getcwd())
        except OSError:  # the current folder is gone
            here = None
        if here is not None:
            found += self._project_traps(ctx, here)
        if not ctx.env.get("QWEN_USAGE_STATISTICS_ENABLED") and not self._statistics_off(ctx):
            found.append(("info", "Qwen Code sends usage statistics to Alibaba Cloud on every run; "
                                  "\"privacy\": {\"usageStatisticsEnabled\": false} in its settings.json (or "
                                  "QWEN_USAGE_STATISTICS_ENABLED=0) turns that off"))
        if not any(level in ("warning", "problem") for level, _ in found) and not problems:
            found.append(("ok", "Qwen Code files are in place"))
        return found

    def _statistics_off(self, ctx: Context) -> bool:
        try:
            doc = self._settings(ctx)
            return doc.is_object(("privacy",)) and doc.get(("privacy", "usageStatisticsEnabled")) is False
        except UnsafeEdit:
            return False

    def _project_traps(self, ctx: Context, start: Path) -> list[tuple[str, str]]:
        """A project's files that beat keyconf's: its `.qwen/settings.json` (workspace settings override the
        user's), and a `.qwen/.env` or `.env` found first going up that sets keyconf's variable (trusted
        folders only, but then it wins)."""
        found = []
        workspace = start / ".qwen" / "settings.json"
        if workspace.is_file() and workspace != self.settings_file(ctx):
            try:
                doc = JsonDoc(fsutil.read_bytes(workspace), ctx.paths.display(workspace), jsonc=True)
                beats = [".".join(p) for p in (("modelProviders",), ("providerProtocol",), AUTH_TYPE, MODEL_NAME)
                         if doc.raw(p[:1]) is not None and (len(p) == 1 or _has(doc, p))]
            except UnsafeEdit:
                beats = []
            if beats:
                found.append(("warning", f"{ctx.paths.display(workspace)} sets {', '.join(beats)}: in this folder "
                                         "that beats keyconf's settings in the user settings.json"))
        folder, ours = start, self.env_file(ctx)
        while folder != ctx.paths.home:
            for candidate in (folder / ".qwen" / ".env", folder / ".env"):
                if candidate.is_file() and candidate != ours:
                    try:
                        text = (fsutil.read_bytes(candidate) or b"").decode("utf-8", "replace")
                    except UnsafeEdit:
                        continue
                    if KEY_VAR in dotenv.parse(text):
                        found.append(("warning", f"{ctx.paths.display(candidate)} sets {KEY_VAR}: Qwen Code reads "
                                                 "it before ~/.qwen/.env in a trusted folder; remove that line"))
                    return found
            if folder.parent == folder:
                break
            folder = folder.parent
        return found


def _has(doc: JsonDoc, path: tuple) -> bool:
    for depth in range(1, len(path)):
        if not doc.is_object(path[:depth]):
            return False
    return doc.raw(path) is not None


ADAPTER = QwenCode()
