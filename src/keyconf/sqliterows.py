"""Rows of a VS Code-style `ItemTable(key, value)` SQLite store as an edit the transaction engine can run.

The rows an edit touches are carried as canonical bytes (JSON of key -> [type, base64]), so the engine
compares, journals and restores them exactly like file contents; `put` applies them in one
`BEGIN IMMEDIATE` transaction with a busy timeout.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from keyconf.edits import Edit
from keyconf.errors import UnsafeEdit

BUSY_TIMEOUT_MS = 2000


def encode(rows: dict[str, bytes | str | None]) -> bytes:
    data = {}
    for key in sorted(rows):
        value = rows[key]
        if value is None:
            data[key] = None
        elif isinstance(value, bytes):
            data[key] = ["blob", base64.b64encode(value).decode()]
        else:
            data[key] = ["text", base64.b64encode(value.encode("utf-8")).decode()]
    return json.dumps(data, sort_keys=True).encode()


def decode(content: bytes) -> dict[str, bytes | str | None]:
    rows = {}
    for key, item in json.loads(content).items():
        if item is None:
            rows[key] = None
        else:
            raw = base64.b64decode(item[1])
            rows[key] = raw if item[0] == "blob" else raw.decode("utf-8")
    return rows


def connect(path: Path, *, readonly: bool = False):
    import sqlite3

    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def check_shape(conn, name: str) -> None:
    import sqlite3

    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(ItemTable)")]
    except sqlite3.DatabaseError as exc:
        raise UnsafeEdit(f"{name} is not a readable SQLite database ({exc})") from None
    if columns[:2] != ["key", "value"]:
        raise UnsafeEdit(f"{name} does not have the ItemTable(key, value) keyconf expects; "
                         "this Cursor version stores settings differently", hint="please report your Cursor version")


def read_rows(path: Path, keys, name: str) -> dict[str, bytes | str | None]:
    import sqlite3

    try:
        conn = connect(path, readonly=True)
    except sqlite3.Error as exc:
        raise UnsafeEdit(f"cannot open {name}: {exc}") from None
    try:
        check_shape(conn, name)
        rows = {key: None for key in keys}
        marks = ",".join("?" * len(rows))
        try:
            for key, value in conn.execute(f"SELECT key, value FROM ItemTable WHERE key IN ({marks})", list(rows)):
                rows[key] = value
        except sqlite3.OperationalError as exc:
            raise UnsafeEdit(f"{name} is locked or busy ({exc}); quit Cursor fully and try again") from None
        return rows
    finally:
        conn.close()


class RowsEdit(Edit):
    kind = "sqlite"

    def __init__(self, path, before: bytes | None, after: bytes | None, private: bool = True,
                 internal: bool = False, client: str | None = None, mode_before: int | None = None):
        super().__init__(Path(path), before, after, private, internal, client, mode_before)

    def _keys(self) -> list[str]:
        return sorted(decode(self.before or self.after or b"{}"))

    def read_current(self) -> bytes:
        return encode(read_rows(self.path, self._keys(), str(self.path)))

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        import sqlite3

        rows = decode(content or b"{}")
        try:
            conn = connect(self.path)
        except sqlite3.Error as exc:
            raise UnsafeEdit(f"cannot open {self.path}: {exc}") from None
        try:
            conn.execute("BEGIN IMMEDIATE")
            for key, value in rows.items():
                if value is None:
                    conn.execute("DELETE FROM ItemTable WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT OR REPLACE INTO ItemTable (key, value) VALUES (?, ?)", (key, value))
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise UnsafeEdit(f"{self.path} is locked ({exc}); quit Cursor fully and try again; nothing was "
                             "changed in it", client=self.client) from None
        finally:
            conn.close()

    def diff(self, display) -> str:
        from keyconf.edits import text_diff

        def show(content):
            if content is None:
                return None
            lines = []
            for key, value in decode(content).items():
                text = "(absent)" if value is None else (value if isinstance(value, str) else f"<{len(value)} bytes>")
                lines.append(f"{key} = {text}\n")
            return "".join(lines).encode()

        return text_diff(display(self.path) + " (rows)", show(self.before), show(self.after))
