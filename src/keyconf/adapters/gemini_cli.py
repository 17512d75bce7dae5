"""Gemini CLI: `~/.gemini/.env` (one keyconf block) and `security.auth.selectedType` in `~/.gemini/settings.json`.

Gemini CLI reads GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL (the relay's root; it appends `/v1beta/models/...`) and
GEMINI_MODEL from the environment, and from `$GEMINI_CLI_HOME/.gemini/.env` (default home: the user's) for the
variables the environment does not set: an exported variable always beats the file. Without
`selectedType = "gemini-api-key"` a base URL alone makes it pick an auth method that headless runs reject.

The `.env` is parsed by dotenv 17 (no escapes; last assignment wins), so keyconf appends one marked block and
re-parses the result to prove every other variable reads as before and ours read as meant.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, run_folder
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit, UsageError
from keyconf.formats import dotenv
from keyconf.formats.jsondoc import JsonDoc
from keyconf.formats.jsonowned import restore_owned, set_owned
from keyconf.masking import mask
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

KEY = "GEMINI_API_KEY"
BASE_URL = "GOOGLE_GEMINI_BASE_URL"
MODEL = "GEMINI_MODEL"
NAMES = (KEY, BASE_URL, MODEL)
AUTH_TYPE = ("security", "auth", "selectedType")
API_KEY_AUTH = "gemini-api-key"
BEGIN, END = dotenv.BEGIN, dotenv.END
# variables that would make Gemini CLI pick another key or auth method than the profile's
RUN_NEUTRALISED = ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA")
TRUST_HINT = ("run `gemini` there once and trust the folder, or list it in ~/.gemini/trustedFolders.json; "
              "for scripts use `gemini --skip-trust` or GEMINI_CLI_TRUST_WORKSPACE=true")


def assignment(name: str, value: str) -> str:
    """`NAME='value'` as Gemini CLI's dotenv reads it back exactly (formats.dotenv), or why it can't be."""
    try:
        return dotenv.assignment(name, value)
    except dotenv.NoSpelling:
        what = "the key" if name == KEY else f"{name} ({value!r})"
        raise UsageError(f"{what} holds ', \" and ` together, and Gemini CLI's .env has no escapes: no quoting "
                         "would make it read the same value back", client="gemini-cli",
                         hint="use `--via env` (shell quoting takes any value), or create a key without those "
                              "characters") from None


def render_block(variables: dict[str, str], nl: str) -> str:
    lines = [BEGIN, "# Added by keyconf for Gemini CLI. `keyconf remove gemini-cli` takes this block out."]
    lines += [assignment(name, value) for name, value in variables.items()]
    return nl.join(lines + [END]) + nl


parse_dotenv = dotenv.parse  # the name the tests and the other readers use


class GeminiCli(Adapter):
    id = "gemini-cli"
    title = "Gemini CLI"
    protocol = "gemini"
    vias = ("config", "env")
    options = ("model", "shells")
    no_plaintext_why = "Gemini CLI cannot run a command for its key; the key goes to a 0600 file"
    binary = "gemini"
    # What each release sends (run against a loopback relay), with API-key auth as keyconf sets it: `auto`
    # (the default) asks a router model which main model to use, pro or flash; pro is also its fallback.
    # Add a row when a release moves a name.
    # Rows: (first release, last release, the name used with no model set, {alias: the models it sends}).
    model_table = {"family": "gemini", "releases": (
        ("0.61.0", "0.61.0", "auto", {
            "auto": ("gemini-3.1-pro-preview", "gemini-3.8-flash", "gemini-3.5-flash-lite"),
            "pro": ("gemini-3.1-pro-preview",), "flash": ("gemini-3.8-flash",),
            "flash-lite": ("gemini-3.5-flash-lite",)}),
    )}
    npm_package = "@google/gemini-cli"

    # where -----------------------------------------------------------------------------------------
    def folder(self, ctx: Context) -> Path:
        # GEMINI_CLI_HOME replaces the home folder; the files stay in its `.gemini` (checked with 0.61).
        home = (ctx.env.get("GEMINI_CLI_HOME") or "").strip()
        return (Path(home) if home else ctx.paths.home) / ".gemini"

    def env_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / ".env"

    def settings_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "settings.json"

    def app_folder(self, ctx: Context) -> Path:
        return self.folder(ctx)

    def env_vars(self, profile, opts: Options) -> dict:
        variables = {KEY: {"key_of": profile.name}, BASE_URL: {"value": profile.base_url}}
        if opts.model:
            variables[MODEL] = {"value": opts.model}
        return variables

    def link(self, profile, key: str, opts: Options) -> tuple[str, str]:
        from keyconf import links

        return links.ccswitch_link("gemini", profile.name, profile.base_url, key, {"model": opts.model})

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """The environment beats ~/.gemini/.env, so the variables alone do it when the user's settings already
        select API-key auth. Otherwise (a Google login selected) the CLI would ignore the key, and its only
        per-process way round is GEMINI_CLI_HOME: an overlay home whose `.gemini` holds a copy of the user's
        settings.json with selectedType = gemini-api-key and a symlink to every other entry of the user's
        folder (history, trusted folders, extensions, MCP servers stay the user's). The system settings file
        would be the lighter overlay, but the CLI ignores one that root does not own."""
        env = {BASE_URL: profile.base_url, **({MODEL: model} if model else {})}
        launch = Launch(self.binary, env=env, key_vars=(KEY,), unset=RUN_NEUTRALISED)
        settings = self.settings_file(ctx)
        doc = JsonDoc(fsutil.read_bytes(settings), ctx.paths.display(settings))
        auth = doc.get(AUTH_TYPE) if doc.is_object(AUTH_TYPE[:2]) else None
        if auth == API_KEY_AUTH:
            return launch
        set_owned(doc, {AUTH_TYPE: json.dumps(API_KEY_AUTH)}, None)
        body = doc.content() or b""
        import hashlib

        home = run_folder(ctx, self.id) / f"home-{hashlib.sha256(body).hexdigest()[:16]}"
        folder = self.folder(ctx)
        launch.env["GEMINI_CLI_HOME"] = str(home)
        launch.files[home / ".gemini" / "settings.json"] = body
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                if entry.name != "settings.json":
                    launch.links[home / ".gemini" / entry.name] = entry
        launch.notes.append(f"{ctx.paths.display(settings)} selects {auth or 'no'} auth; this run uses a copy with "
                            "gemini-api-key (GEMINI_CLI_HOME in keyconf's folder, your other files linked)")
        return launch

    # planning --------------------------------------------------------------------------------------
    def _env_text(self, ctx: Context, path: Path):
        from keyconf.osenv.shellenv import RcText

        return RcText(fsutil.read_bytes(path), ctx.paths.display(path), family="dotenv")

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        old = ctx.memo(self.id)
        files = {}

        settings = self.settings_file(ctx)
        doc = JsonDoc(fsutil.read_bytes(settings), ctx.paths.display(settings))
        owned_before = old.get("files", {}).get(str(settings))
        current = doc.raw(AUTH_TYPE)
        if current not in (None, json.dumps(API_KEY_AUTH)) and not owned_before:
            plan.replaces.append(f"security.auth.selectedType = {current} in {doc.name}")
        files[str(settings)] = set_owned(doc, {AUTH_TYPE: json.dumps(API_KEY_AUTH)}, owned_before)
        plan.edits.append(FileEdit(settings, doc.original(), doc.content(), client=self.id))

        env_path = self.env_file(ctx)
        record = old.get("files", {}).get(str(env_path))
        if opts.via == "env":
            if record:  # a block from an earlier `--via config` goes: the shell provides the variables now
                self._drop_block(ctx, env_path, record, plan)
            plan.binding = Binding(self.id, profile.name, opts, {"files": files})
            plan.notes.append(f"Gemini CLI also needs security.auth.selectedType in {doc.name}; keyconf set it")
        else:
            wanted = {KEY: key, BASE_URL: profile.base_url}
            if opts.model:
                wanted[MODEL] = opts.model
            files[str(env_path)] = self._put_block(ctx, env_path, wanted, record, plan)
            plan.binding = Binding(self.id, profile.name, opts, {"files": files})
            for name in wanted:
                if ctx.env.get(name) is not None and ctx.env.get(name) != wanted[name]:
                    plan.warnings.append(f"{name} is exported in this shell and beats {ctx.paths.display(env_path)} "
                                         f"(Gemini CLI reads the file only for variables not set): unset it, or use "
                                         f"--via env")
        if not old:  # said once, when Gemini CLI is first set up
            plan.notes.append("Gemini CLI runs (and reads ~/.gemini/.env) only in folders it trusts: " + TRUST_HINT)
        if not opts.model:
            plan.warnings.append("no model set: Gemini CLI will ask the relay for its own default and routing "
                                 "models (gemini-3.x names); pass --model with one your key's group offers")
        return plan

    def _put_block(self, ctx: Context, path: Path, wanted: dict, record: dict | None, plan: ClientPlan) -> dict:
        before = fsutil.read_bytes(path)
        env = self._env_text(ctx, path)
        if record is None:
            record = {"sep": env.separator(), "created": not env.existed}
        elif "digest" not in record:
            record = {**record, "legacy": True}  # written before keyconf kept digests: its block is keyconf's
        users = self._without_block(env)
        for name in (KEY, BASE_URL):
            theirs = parse_dotenv(users).get(name)
            if theirs is not None and theirs != wanted[name]:
                shown = mask(theirs) if name == KEY else theirs
                plan.replaces.append(f"{name} = {shown} in {env.name} (keyconf's block after it wins)")
        record = env.put_owned_block(render_block(wanted, env.nl), record)
        plan.warnings += env.notes
        self._guard(env, {**parse_dotenv(users), **wanted})
        plan.edits.append(FileEdit(path, before, env.content(record["created"]), private=True, client=self.id))
        return record

    def _drop_block(self, ctx: Context, path: Path, record: dict, plan: ClientPlan) -> None:
        before = fsutil.read_bytes(path)
        if before is None:
            return
        env = self._env_text(ctx, path)
        env.take_owned_block(record)
        self._guard(env, parse_dotenv(env.text))
        # not private: the key leaves the file, which gets back the mode it had before keyconf made it 0600
        plan.edits.append(FileEdit(path, before, env.content(record.get("created", False)), client=self.id))

    @staticmethod
    def _without_block(env) -> str:
        return dotenv.without_block(env)

    def _guard(self, env, intended: dict) -> None:
        dotenv.guard(env, intended, reader="Gemini CLI", client=self.id)

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        for name, record in binding.memo.get("files", {}).items():
            path = Path(name)
            if path.name == ".env":
                self._drop_block(ctx, path, record, plan)
                continue
            doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path))
            if not doc.existed:
                continue
            restore_owned(doc, record)
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, str | None, list[str]]:
        """The .env's variables, the selected auth type, and problems reading either file."""
        problems = []
        try:
            text = (fsutil.read_bytes(self.env_file(ctx)) or b"").decode("utf-8-sig")
            values = parse_dotenv(text)
        except (UnicodeDecodeError, UnsafeEdit) as exc:
            values = {}
            problems.append(f"{ctx.paths.display(self.env_file(ctx))}: {exc}")
        try:
            doc = JsonDoc(fsutil.read_bytes(self.settings_file(ctx)), ctx.paths.display(self.settings_file(ctx)))
            auth = doc.get(AUTH_TYPE) if doc.is_object(AUTH_TYPE[:2]) else None
        except UnsafeEdit as exc:
            auth = None
            problems.append(exc.message)
        return values, auth, problems

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        values, auth, problems = self._read(ctx)
        st = ClientStatus(self.id, self.installed(ctx), bool(values.get(BASE_URL) and values.get(KEY)),
                          profile=binding.profile if binding else None, via=binding.via if binding else None,
                          base_url=values.get(BASE_URL) or None, where=[ctx.paths.display(self.env_file(ctx))])
        if values.get(KEY):
            st.key = mask(values[KEY])
        for name in NAMES:
            exported = ctx.env.get(name)
            if exported is not None and name in values and exported != values[name]:
                shown = mask(exported) if name == KEY else exported
                st.conflicts.append(f"{name} is exported in this shell ({shown}) and beats the one in "
                                    f"{ctx.paths.display(self.env_file(ctx))}")
        st.model = values.get(MODEL) or None
        if st.configured and not binding:
            st.notes.append("set outside keyconf")
        st.conflicts += problems
        if st.configured and auth != API_KEY_AUTH:
            st.conflicts.append(f"{ctx.paths.display(self.settings_file(ctx))} selects auth {auth!r}, not "
                                f"{API_KEY_AUTH!r}: Gemini CLI ignores the key; run `keyconf use gemini-cli` again")
        if st.configured:
            st.where.append(ctx.paths.display(self.settings_file(ctx)))
        return st

    def target(self, ctx: Context) -> Target | None:
        values, _, _ = self._read(ctx)
        if not values.get(BASE_URL):
            return None
        return Target(values[BASE_URL].rstrip("/"), values.get(KEY), self.protocol, values.get(MODEL) or None,
                      client=self.id)

    def doctor(self, ctx: Context, cwd: str | None = None) -> list[tuple[str, str]]:
        binding = ctx.binding(self.id)
        if binding is None:
            return []
        found = []
        if ctx.env.get("GOOGLE_API_KEY"):
            found.append(("info", "GOOGLE_API_KEY is exported: Gemini CLI prints \"Both GOOGLE_API_KEY and "
                                  "GEMINI_API_KEY are set. Using GOOGLE_API_KEY.\" but sends GEMINI_API_KEY with an "
                                  "API-key login; unset it to silence that"))
        _, _, problems = self._read(ctx)
        trust_off = self._folder_trust_disabled(ctx)
        if binding.via != "env":
            try:
                shadow = self._shadowing_env(ctx, Path(cwd or os.getcwd()))
            except OSError:  # the current folder is gone
                shadow = None
            if shadow:
                found.append(("warning", f"{ctx.paths.display(shadow)} hides {ctx.paths.display(self.env_file(ctx))}"
                                         " when Gemini CLI runs here: it reads only the first .env it finds going up "
                                         "from its folder; add the variables there, or use --via env"))
            if not trust_off and ctx.env.get("GEMINI_CLI_TRUST_WORKSPACE") != "true":
                found.append(("info", "Gemini CLI ignores ~/.gemini/.env in a folder it does not trust (headless "
                                      "runs stop with 'not running in a trusted directory'): " + TRUST_HINT))
        if not found and not problems:
            found.append(("ok", "Gemini CLI files are in place"))
        return found

    def _folder_trust_disabled(self, ctx: Context) -> bool:
        try:
            doc = JsonDoc(fsutil.read_bytes(self.settings_file(ctx)), str(self.settings_file(ctx)))
            return doc.is_object(("security", "folderTrust")) and doc.get(("security", "folderTrust", "enabled")) \
                is False
        except UnsafeEdit:
            return False

    def _shadowing_env(self, ctx: Context, start: Path) -> Path | None:
        """The `.env` Gemini CLI would read instead of ours when started in `start` (it takes the first
        `.gemini/.env` or `.env` walking up, and falls back to ours only at the top)."""
        ours = self.env_file(ctx)
        folder = start
        while True:
            for candidate in (folder / ".gemini" / ".env", folder / ".env"):
                if candidate.is_file():
                    return None if candidate == ours else candidate
            if folder.parent == folder:
                return None
            folder = folder.parent


ADAPTER = GeminiCli()
