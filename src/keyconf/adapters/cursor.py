"""Cursor: rows of its SQLite `state.vscdb` (ItemTable).

Owns, in the `applicationUser` JSON row, only `openAIBaseUrl` (root + /v1) and `useOpenAIKey` (and a model
in `aiSettings.userAddedModels` with --model); writes the key into `cursorAuth/openAIKey` and deletes the
`secret://` row so Cursor encrypts the new key at its next start. Cursor must be fully quit: it keeps the
blob in memory and writes it back.
"""

from __future__ import annotations

import json
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc
from keyconf.formats.jsonowned import prior_of, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target
from keyconf.osenv.system import running
from keyconf.urls import is_private, openai_base

USER_ROW = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser"
KEY_ROW = "cursorAuth/openAIKey"
SECRET_ROW = "secret://cursorAuth/openAIKey"
ROWS = (USER_ROW, KEY_ROW, SECRET_ROW)


def user_dir(ctx: Context) -> Path:
    """Cursor's `User` folder, where VS Code forks keep it on each OS."""
    paths = ctx.paths
    if paths.platform == "macos":
        return paths.home / "Library" / "Application Support" / "Cursor" / "User"
    if paths.platform == "windows":
        appdata = ctx.env.get("APPDATA", "").strip()
        return (Path(appdata) if appdata else paths.home / "AppData" / "Roaming") / "Cursor" / "User"
    return paths.xdg_config_home / "Cursor" / "User"


class Cursor(Adapter):
    id = "cursor"
    title = "Cursor"
    protocol = "chat"
    desktop_app = True
    run_why = "Cursor is a desktop app that reads its key from its own database, not from a process's environment"
    binary = "cursor"
    process_names = ("Cursor", "cursor", "Cursor.exe")
    needs_app = True  # the settings database exists only once Cursor has run

    def app_folder(self, ctx: Context) -> Path:
        return user_dir(ctx)

    def _db(self, ctx: Context) -> Path:
        return user_dir(ctx) / "globalStorage" / "state.vscdb"

    def _check_can_edit(self, ctx: Context) -> None:
        db = self._db(ctx)
        name = ctx.paths.display(db)
        if not db.exists():
            raise UnsafeEdit(f"Cursor's settings database {name} does not exist yet",
                             hint="launch Cursor once, quit it fully, then run keyconf again", client=self.id)
        from keyconf.formats import sqliterows

        # "running": a Cursor process, or a program holding the database's write lock (never a -wal file
        # alone: an interrupted keyconf write leaves one, which SQLite rolls back at the next open)
        if running(ctx.env, self.process_names):
            why = "Cursor is running"
        elif not sqliterows.check_free(db, name):
            why = f"Cursor is running ({name} is locked by another program)"
        else:
            return
        raise UnsafeEdit(f"{why}; it keeps its settings in memory and would overwrite keyconf's change to {name}",
                         hint="quit Cursor fully (all windows; on macOS Cmd+Q), then run keyconf again",
                         client=self.id)

    def _row_name(self, ctx: Context) -> str:
        """How a message names the settings row: with its database, so the user knows which file."""
        return f"{ctx.paths.display(self._db(ctx))}: Cursor's applicationUser row"

    def _rows(self, ctx: Context) -> dict:
        from keyconf.formats import sqliterows

        db = self._db(ctx)
        rows = sqliterows.read_rows(db, ROWS, ctx.paths.display(db))
        remember(sqliterows.text_of(rows.get(KEY_ROW)))  # a key found in the database is masked from here on
        return rows

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.formats import sqliterows

        plan = ClientPlan(self.id)
        self._check_can_edit(ctx)
        rows = self._rows(ctx)
        old = ctx.memo(self.id)
        user_raw = rows[USER_ROW]
        row_name = self._row_name(ctx)
        doc = JsonDoc(sqliterows.json_bytes(user_raw, row_name), row_name)
        desired = {("openAIBaseUrl",): json.dumps(openai_base(profile.base_url)), ("useOpenAIKey",): "true"}
        model = opts.model
        if model:
            models = doc.get(("aiSettings", "userAddedModels"), [])
            if not isinstance(models, list):
                raise UnsafeEdit(f"aiSettings.userAddedModels in {row_name} is not a list", client=self.id)
            prior = prior_of(old.get("owned"), ("aiSettings", "userAddedModels"))
            base = json.loads(prior) if prior else models
            desired[("aiSettings", "userAddedModels")] = json.dumps(base + ([model] if model not in base else []))
        owned = set_owned(doc, desired, old.get("owned"))
        after_rows = {USER_ROW: self._as_stored(user_raw, doc.content()), KEY_ROW: key, SECRET_ROW: None}
        priors = dict(old.get("rows", {}))
        for row in (KEY_ROW, SECRET_ROW):
            priors.setdefault(row, sqliterows.encode({row: rows[row]}).decode())
        plan.edits.append(sqliterows.RowsEdit(self._db(ctx), sqliterows.encode(rows), sqliterows.encode(after_rows),
                                              client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {
            "owned": owned, "rows": priors, "user_row_existed": old.get("user_row_existed", user_raw is not None),
            "db_mode": old.get("db_mode", sqliterows.file_mode(self._db(ctx)))})  # remove restores it
        if is_private(profile.base_url):
            plan.warnings.append("Cursor sends chat through its own servers, which cannot reach a relay on "
                                 "localhost or a private network: its Verify button may pass but chat will fail")
        plan.notes.append("an IP-restricted key will not work in Cursor (requests come from Cursor's servers)")
        plan.notes.append("start Cursor: it moves the key into its encrypted store at start; "
                          "`keyconf status cursor` shows whether it did")
        return plan

    @staticmethod
    def _as_stored(original, content: bytes | None):
        """Write the JSON row back with the type it had (TEXT or BLOB); a new row as TEXT."""
        if content is None:
            return None
        return content if isinstance(original, bytes) else content.decode("utf-8")

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        from keyconf.formats import sqliterows

        plan = ClientPlan(self.id)
        memo = binding.memo
        self._check_can_edit(ctx)
        rows = self._rows(ctx)
        user_raw = rows[USER_ROW]
        after = dict(rows)
        if user_raw is not None:
            row_name = self._row_name(ctx)
            doc = JsonDoc(sqliterows.json_bytes(user_raw, row_name), row_name)
            restore_owned(doc, memo.get("owned"))
            content = doc.content()
            if not memo.get("user_row_existed", True) and doc.member_count(()) == 0:
                content = None  # the row keyconf created goes again
            after[USER_ROW] = self._as_stored(user_raw, content)
        for prior in memo.get("rows", {}).values():
            after.update(sqliterows.decode(prior.encode()))
        plan.edits.append(sqliterows.RowsEdit(self._db(ctx), sqliterows.encode(rows), sqliterows.encode(after),
                                              client=self.id, mode_before=memo.get("db_mode")))
        plan.notes.append("restart Cursor to see the change")
        return plan

    def status(self, ctx: Context) -> ClientStatus:
        from keyconf.formats import sqliterows

        binding = ctx.binding(self.id)
        db = self._db(ctx)
        st = ClientStatus(self.id, self.installed(ctx), False, profile=binding.profile if binding else None,
                          via=binding.via if binding else None, where=[ctx.paths.display(db)])
        if not db.exists():
            if st.installed:
                st.notes.append("no settings database yet: launch Cursor once and quit it")
            return st
        try:
            rows = self._rows(ctx)
            user = sqliterows.json_object(rows[USER_ROW], self._row_name(ctx))
        except (UnsafeEdit, ValueError) as exc:
            st.conflicts.append(getattr(exc, "message", str(exc)))
            return st
        base = user.get("openAIBaseUrl")
        st.base_url = base if isinstance(base, str) and base else None  # a hand-edited row may hold anything
        st.configured = bool(st.base_url and user.get("useOpenAIKey"))
        plain, secret = sqliterows.text_of(rows[KEY_ROW]), rows[SECRET_ROW]
        if plain:
            st.key = mask(plain)
            st.notes.append("key not yet moved into Cursor's encrypted store (it does so at its next start)")
        elif secret:
            st.key = "(encrypted by Cursor)"
            if binding:
                st.notes.append("Cursor has moved the key into its encrypted store")
        if user.get("useClaudeKey"):
            st.notes.append("Cursor's Anthropic key toggle (useClaudeKey) is also on")
        if st.base_url and is_private(st.base_url):
            st.conflicts.append("the Base URL is on localhost or a private network, which Cursor's servers "
                                "cannot reach")
        return st

    def target(self, ctx: Context) -> Target | None:
        from keyconf.formats import sqliterows

        binding = ctx.binding(self.id)
        db = self._db(ctx)
        if not db.exists():
            return None
        rows = self._rows(ctx)
        try:
            user = sqliterows.json_object(rows[USER_ROW], self._row_name(ctx))
        except UnsafeEdit:
            return None
        base = user.get("openAIBaseUrl")
        if not isinstance(base, str) or not base.rstrip("/"):
            return None
        base = base.rstrip("/")
        key = sqliterows.text_of(rows[KEY_ROW])
        if not key and binding:
            key = ctx.profile_key(binding.profile)  # Cursor has encrypted it: use the stored one
        return Target(strip_v1(base), key, self.protocol, binding.options.model if binding else None,
                      client=self.id)


ADAPTER = Cursor()
