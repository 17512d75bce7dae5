"""Cursor on a real SQLite database built the way Cursor's state.vscdb is."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import KEY

USER_ROW = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser"
SECRET = {"type": "Buffer", "data": [118, 49, 48, 1, 2, 3, 250, 251]}
USER = {"openAIBaseUrl": "", "useOpenAIKey": False, "useClaudeKey": False, "composerState": {"mode": "agent"},
        "aiSettings": {"userAddedModels": ["my-model"], "modelOverrideEnabled": ["gpt-4o"]}, "theme": "Ünicode ✓"}


def db_path(home: Path) -> Path:
    return home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"


def make_db(home: Path, *, user_row=True, blob=False) -> Path:
    path = db_path(home)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    rows = [(f"workbench.view.{i}", json.dumps({"state": i, "x": "y" * (i % 50)})) for i in range(300)]
    rows += [("binary.row", b"\x00\x01\xff"), ("secret://cursorAuth/openAIKey", json.dumps(SECRET)),
             ("cursorAuth/cachedEmail", "me@example.com")]
    if user_row:
        text = json.dumps(USER, ensure_ascii=False, indent=None)
        rows.append((USER_ROW, text.encode() if blob else text))
    conn.executemany("INSERT INTO ItemTable VALUES (?, ?)", rows)
    conn.commit()
    conn.close()
    return path


def dump(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {k: (type(v).__name__, v) for k, v in conn.execute("SELECT key, value FROM ItemTable")}
    finally:
        conn.close()


def use(kc, url, *extra):
    return kc("use", "cursor", "--key-stdin", "--base-url", url, "--no-verify", *extra, input=KEY + "\n")


@pytest.mark.parametrize("blob", [False, True])
def test_use_sets_rows_and_remove_restores_every_row(kc, home, blob):
    path = make_db(home, blob=blob)
    before = dump(path)
    result = use(kc, "https://relay.example.com/v1", "--model", "claude-sonnet-4-5")
    assert result.code == 0, result.output
    after = dump(path)
    user = json.loads(after[USER_ROW][1])
    assert user["openAIBaseUrl"] == "https://relay.example.com/v1" and user["useOpenAIKey"] is True
    assert user["aiSettings"]["userAddedModels"] == ["my-model", "claude-sonnet-4-5"]
    assert user["composerState"] == USER["composerState"] and user["theme"] == USER["theme"]
    assert after[USER_ROW][0] == ("bytes" if blob else "str")
    assert after["cursorAuth/openAIKey"] == ("str", KEY)
    assert "secret://cursorAuth/openAIKey" not in after
    for key, value in before.items():
        if key not in (USER_ROW, "secret://cursorAuth/openAIKey"):
            assert after[key] == value  # every other row, byte for byte
    assert KEY not in result.output
    assert kc("remove", "cursor").code == 0
    assert dump(path) == before


def test_second_use_is_no_change_and_undo_restores(kc, home):
    path = make_db(home)
    before = dump(path)
    assert use(kc, "https://relay.example.com").code == 0
    once = dump(path)
    assert use(kc, "https://relay.example.com").code == 0
    assert dump(path) == once
    assert kc("undo").code == 0
    assert dump(path) == before


def test_missing_user_row_is_created_and_deleted_again(kc, home):
    path = make_db(home, user_row=False)
    before = dump(path)
    assert use(kc, "https://relay.example.com").code == 0
    assert json.loads(dump(path)[USER_ROW][1]) == {"openAIBaseUrl": "https://relay.example.com/v1",
                                                    "useOpenAIKey": True}
    assert kc("remove", "cursor").code == 0
    assert dump(path) == before


def test_missing_database_says_launch_cursor_once(kc, home):
    result = use(kc, "https://relay.example.com")
    assert result.code == 3 and "launch Cursor once" in result.stderr


def test_write_lock_from_another_connection_is_exit_3_and_nothing_changes(kc, home, monkeypatch):
    path = make_db(home)
    before = dump(path)
    from keyconf.formats import sqliterows

    monkeypatch.setattr(sqliterows, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO ItemTable VALUES ('held', 'x')")
    try:
        result = use(kc, "https://relay.example.com")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 3, result.output
    assert "Cursor" in result.stderr
    assert dump(path) == before


def test_lock_taken_between_plan_and_write_is_refused(kc, home, monkeypatch):
    """Even past the WAL check, the write itself uses BEGIN IMMEDIATE with a busy timeout."""
    path = make_db(home)
    before = dump(path)
    from keyconf.adapters import cursor
    from keyconf.formats import sqliterows

    monkeypatch.setattr(sqliterows, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(cursor.Cursor, "_check_can_edit", lambda self, ctx: None)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = use(kc, "https://relay.example.com")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 3
    assert dump(path) == before


def test_malformed_json_row_is_refused(kc, home):
    path = make_db(home)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE ItemTable SET value = ? WHERE key = ?", ("{not json", USER_ROW))
    conn.commit()
    conn.close()
    before = dump(path)
    result = use(kc, "https://relay.example.com")
    assert result.code == 3 and "applicationUser" in result.stderr
    assert dump(path) == before


def test_unexpected_shape_is_refused(kc, home):
    path = db_path(home)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE Other (a, b)")
    conn.commit()
    conn.close()
    result = use(kc, "https://relay.example.com")
    assert result.code == 3 and "ItemTable" in result.stderr


def test_private_url_warns_and_status_reads_back(kc, home, relay):
    path = make_db(home)
    result = kc("use", "cursor", "--key-stdin", "--base-url", relay.url, input=KEY + "\n")
    assert result.code == 0, result.output
    assert "cannot reach a relay on localhost" in result.stderr
    assert "IP-restricted key" in result.stdout
    item = kc("status", "cursor", "--json").json()["results"][0]
    assert item["configured"] and item["key"] == "sk-…YZ42" and item["base_url"] == relay.url + "/v1"
    assert any("not yet moved" in n for n in item["notes"])
    # Cursor starts and encrypts the key: plain row gone, secret row present
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM ItemTable WHERE key = 'cursorAuth/openAIKey'")
    conn.execute("INSERT INTO ItemTable VALUES ('secret://cursorAuth/openAIKey', ?)", (json.dumps(SECRET),))
    conn.commit()
    conn.close()
    item = kc("status", "cursor", "--json").json()["results"][0]
    assert item["key"] == "(encrypted by Cursor)"
    assert any("moved the key into its encrypted store" in n for n in item["notes"])
    assert kc("verify", "cursor").code == 0  # the stored key stands in for the encrypted one


from adapter_contract import AdapterContract  # noqa: E402
from conftest import snapshot  # noqa: E402


class TestCursorContract(AdapterContract):
    client = "cursor"
    cannot_run = "desktop app"
    use_args = ("--model", "gpt-4o-mini")


    def arrange(self, home):
        make_db(home)

    def observe(self, home):
        # SQLite moves pages around: the promise is about the rows, every one byte for byte.
        files = snapshot(home)
        db = files.pop(str(db_path(home).relative_to(home)), None)
        try:
            return files, dump(db_path(home))
        except sqlite3.DatabaseError:
            return files, db

    def break_file(self, home):
        db_path(home).unlink()
        db_path(home).write_bytes(b"this is not a database at all" * 100)
        return db_path(home)

    def plant(self, home, token):
        conn = sqlite3.connect(db_path(home))
        conn.execute("INSERT INTO ItemTable VALUES (?, ?)", ("cursorAuth/openAIKey", token))
        conn.commit()
        conn.close()


# ---- permissions and odd databases ---------------------------------------------------------------------

def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_database_is_0600_while_it_holds_the_key_and_gets_its_mode_back(kc, home):
    import os

    path = make_db(home)
    os.chmod(path, 0o644)
    shm = path.with_name(path.name + "-shm")
    shm.write_bytes(b"")  # a side file left from Cursor's last run
    os.chmod(shm, 0o644)
    assert use(kc, "https://relay.example.com").code == 0
    assert mode(path) == 0o600 and (not shm.exists() or mode(shm) == 0o600)
    assert kc("remove", "cursor").code == 0
    assert mode(path) == 0o644
    assert use(kc, "https://relay.example.com").code == 0 and mode(path) == 0o600
    assert kc("undo").code == 0 and mode(path) == 0o644  # undo of use: the old mode
    assert use(kc, "https://relay.example.com").code == 0
    assert kc("remove", "cursor").code == 0 and mode(path) == 0o644
    assert kc("undo").code == 0 and mode(path) == 0o600  # undo of remove: the key is back, so is 0600
    entries = sorted((home / ".config" / "keyconf" / "journal").iterdir())
    records = [json.loads((e / "entry.json").read_text())["edits"] for e in entries]
    assert any(r["kind"] == "sqlite" and r["mode_before"] == 0o644 for edits in records for r in edits)


def raw_dump(path) -> list:
    """Every row with its storage class and exact bytes (text that is not UTF-8 included)."""
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT key, typeof(value), CAST(value AS BLOB) FROM ItemTable"))
    finally:
        conn.close()


def _put(path, key, sql_value: str, *params):
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM ItemTable WHERE key = ?", (key,))
    conn.execute(f"INSERT INTO ItemTable VALUES (?, {sql_value})", (key, *params))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("sql_value,params,message", [
    ("?", (b'{"a": "caf\xe9"}',), "applicationUser row is not UTF-8"),  # BLOB
    ("CAST(? AS TEXT)", (b'{"a": "caf\xe9"}',), "applicationUser row is not UTF-8"),  # TEXT
    ("?", (42,), "applicationUser row holds an INTEGER"),
    ("?", (1.5,), "applicationUser row holds a REAL"),
    ("NULL", (), "applicationUser row holds NULL"),
    ("?", ("[1, 2]",), "holds an array at the top level"),
    ("?", ('{"a": 1,}',), "not valid JSON"),
])
def test_odd_user_rows_are_exit_3_naming_the_row(kc, home, sql_value, params, message):
    path = make_db(home)
    _put(path, USER_ROW, sql_value, *params)
    before = raw_dump(path)
    result = use(kc, "https://relay.example.com")
    assert result.code == 3, result.output
    assert message in result.stderr
    assert raw_dump(path) == before


@pytest.mark.parametrize("sql_value,params", [
    ("?", (b"sk-old\xff",)), ("CAST(? AS TEXT)", (b"caf\xe9",)), ("?", (7,)), ("NULL", ()), ("?", ("",)),
])
def test_odd_key_and_secret_rows_come_back_byte_exact(kc, home, sql_value, params):
    path = make_db(home)
    _put(path, "cursorAuth/openAIKey", sql_value, *params)
    _put(path, "secret://cursorAuth/openAIKey", sql_value, *params)
    before = raw_dump(path)
    assert use(kc, "https://relay.example.com").code == 0
    assert ("cursorAuth/openAIKey", "text", KEY.encode()) in raw_dump(path)
    assert kc("remove", "cursor").code == 0
    assert raw_dump(path) == before


def test_database_that_is_not_sqlite_or_has_no_table_or_doubled_rows_is_exit_3(kc, home):
    path = db_path(home)
    path.parent.mkdir(parents=True)
    for content, message in ((b"this is not a database, just text" * 100, "not a readable SQLite database"),
                             (b"", "does not have the ItemTable")):
        path.write_bytes(content)
        result = use(kc, "https://relay.example.com")
        assert result.code == 3 and message in result.stderr, result.output
        assert path.read_bytes() == content
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ItemTable (key TEXT, value BLOB)")  # no UNIQUE: two rows for one key
    conn.executemany("INSERT INTO ItemTable VALUES (?, ?)", [(USER_ROW, "{}"), (USER_ROW, '{"a": 1}')])
    conn.commit()
    conn.close()
    result = use(kc, "https://relay.example.com")
    assert result.code == 3 and "2 rows for" in result.stderr, result.output


def test_exclusively_locked_database_is_exit_3_saying_locked(kc, home, monkeypatch):
    path = make_db(home)
    from keyconf.formats import sqliterows

    monkeypatch.setattr(sqliterows, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = use(kc, "https://relay.example.com")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 3, result.output
    assert "locked" in result.stderr and "state.vscdb" in result.stderr


def test_folder_with_uri_characters_is_read(kc, home, monkeypatch):
    """The read-only connection is a file: URI; a `?` or `#` in the path must not cut it."""
    odd = home / "odd?dir#x"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(odd))
    path = odd / "Cursor" / "User" / "globalStorage" / "state.vscdb"
    path.parent.mkdir(parents=True)
    real = make_db(home)
    path.write_bytes(real.read_bytes())
    assert use(kc, "https://relay.example.com").code == 0
    assert kc("remove", "cursor").code == 0


@pytest.mark.parametrize("row,sql_value,params", [
    (USER_ROW, "?", ("[1]",)), (USER_ROW, "?", (5,)), (USER_ROW, "CAST(? AS TEXT)", (b"\xe9",)),
    (USER_ROW, "?", ('{"openAIBaseUrl": {"a": 1}, "useOpenAIKey": true}',)),
    ("cursorAuth/openAIKey", "?", (7,)), ("cursorAuth/openAIKey", "?", (b"\xff\xfe",)),
])
def test_status_and_verify_read_odd_rows_without_crashing(kc, home, row, sql_value, params):
    path = make_db(home)
    _put(path, row, sql_value, *params)
    for command in (("status", "cursor"), ("status", "cursor", "--json"), ("verify", "cursor")):
        result = kc(*command)
        assert result.code in (0, 2, 3), result.output  # not configured is a usage error, never exit 1


def test_refused_write_leaves_the_mode_as_it_was(kc, home, monkeypatch):
    import os

    path = make_db(home)
    os.chmod(path, 0o644)
    from keyconf.adapters import cursor
    from keyconf.formats import sqliterows

    monkeypatch.setattr(sqliterows, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(cursor.Cursor, "_check_can_edit", lambda self, ctx: None)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert use(kc, "https://relay.example.com").code == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert mode(path) == 0o644


def test_a_running_cursor_is_refused(kc, home, tmp_path):
    """A real process named `cursor` (a copy of sleep): keyconf must not edit the database under it."""
    import shutil
    import subprocess

    make_db(home)
    fake = tmp_path / "cursor"
    shutil.copy(shutil.which("sleep"), fake)
    proc = subprocess.Popen([str(fake), "30"])
    try:
        import time
        from pathlib import Path

        comm = Path(f"/proc/{proc.pid}/comm")
        deadline = time.monotonic() + 10
        while comm.exists() and comm.read_text().strip() != "cursor" and time.monotonic() < deadline:
            time.sleep(0.01)  # the kernel names the process a moment after exec has begun
        before = dump(db_path(home))
        result = use(kc, "https://relay.example.com")
        assert result.code == 3 and "Cursor is running" in result.output
        assert dump(db_path(home)) == before
    finally:
        proc.kill()
        proc.wait()
