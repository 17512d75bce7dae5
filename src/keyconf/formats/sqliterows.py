"""Rows of a VS Code-style `ItemTable(key, value)` SQLite store as an edit the transaction engine can run.

The rows an edit touches are carried as canonical bytes (JSON of key -> [type, base64]), so the engine
compares, journals and restores them exactly like file contents; `put` applies them in one
`BEGIN IMMEDIATE` transaction with a busy timeout.

Values keep their SQLite storage class and exact bytes: TEXT comes back as `str` (bytes that are not
UTF-8 ride along as surrogate escapes and are written back byte for byte), BLOB as `bytes`, INTEGER as
`int`, REAL as `float`, and a row whose value is NULL as `NULL` (falsy, distinct from an absent row: None).

The database file, and its `-wal`/`-shm` while they exist, hold the key once keyconf writes it: a private
edit makes them 0600 before writing, and the mode they had is journaled (`mode_before`) and given back by
undo, rollback, and a remove that passes the mode recorded at `use`.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

from keyconf.engine.edits import Edit
from keyconf.errors import UnsafeEdit

BUSY_TIMEOUT_MS = 2000
PRIVATE = 0o600


class _Null:
    """An ItemTable row whose value is SQL NULL (the row exists; None means it does not)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()


def _text_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def _has_escapes(value: str) -> bool:
    """Text read from bytes that are not UTF-8 (surrogate escapes, see read_rows)."""
    try:
        value.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def encode(rows: dict) -> bytes:
    data = {}
    for key in sorted(rows):
        value = rows[key]
        if value is None:
            data[key] = None
        elif value is NULL:
            data[key] = ["null"]
        elif isinstance(value, bytes):
            data[key] = ["blob", base64.b64encode(value).decode()]
        elif isinstance(value, str):
            data[key] = ["text", base64.b64encode(_text_bytes(value)).decode()]
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"cannot store {type(value).__name__} in an ItemTable row")
        elif isinstance(value, int):
            data[key] = ["integer", str(value)]
        else:
            data[key] = ["real", value.hex()]  # exact, nan and inf included
    return json.dumps(data, sort_keys=True).encode()


def decode(content: bytes) -> dict:
    rows = {}
    for key, item in json.loads(content).items():
        if item is None:
            rows[key] = None
        elif item[0] == "null":
            rows[key] = NULL
        elif item[0] == "integer":
            rows[key] = int(item[1])
        elif item[0] == "real":
            rows[key] = float.fromhex(item[1])
        else:
            raw = base64.b64decode(item[1])
            rows[key] = raw if item[0] == "blob" else raw.decode("utf-8", "surrogateescape")
    return rows


def json_bytes(value, what: str) -> bytes | None:
    """The bytes of a row that should hold JSON text (TEXT or BLOB), for JsonDoc; None for an absent row.

    JsonDoc refuses bytes that are not UTF-8 or not JSON, naming `what`; here the other storage classes.
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return _text_bytes(value)
    kind = "NULL" if value is NULL else "an INTEGER" if isinstance(value, int) else "a REAL number"
    raise UnsafeEdit(f"{what} holds {kind}, not JSON text; keyconf will not edit it",
                     hint="this Cursor database looks damaged; let Cursor rewrite it (quit and start it) or "
                          "report your Cursor version")


def json_object(value, what: str) -> dict:
    """A row's JSON object, for reading back (status, verify); {} for an absent row; UnsafeEdit if odd."""
    raw = json_bytes(value, what)
    if raw is None:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnsafeEdit(f"{what} is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise UnsafeEdit(f"{what} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UnsafeEdit(f"{what} holds a JSON {type(data).__name__}, not an object")
    return data


def text_of(value) -> str | None:
    """A row's value as text to show or send (a key row may be TEXT, BLOB or stranger); None if empty."""
    if value is None or value is NULL:
        return None
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = _text_bytes(value).decode("utf-8", "replace")
    else:
        text = str(value)
    return text or None


def file_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _files(path: Path) -> list[Path]:
    """The database and the side files SQLite keeps next to it while connections are open."""
    return [Path(path)] + [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]


def _chmod_all(path: Path, mode: int) -> None:
    for each in _files(path):
        try:
            os.chmod(each, mode)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise UnsafeEdit(f"cannot set the permissions of {each} ({exc.strerror})") from None


def connect(path: Path, *, readonly: bool = False):
    import sqlite3

    if readonly:
        # as_uri percent-encodes the path: a `?` or `#` in a folder name must not end the file name
        conn = sqlite3.connect(Path(os.path.abspath(path)).as_uri() + "?mode=ro", uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _problem(exc, name: str) -> UnsafeEdit:
    """An SQLite error as the user's problem: busy, not a database, or unreadable."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return UnsafeEdit(f"{name} is locked by another program ({text}); nothing was changed in it",
                          hint="quit Cursor fully (all windows), then run keyconf again")
    if "not a database" in text or "malformed" in text or "encrypted" in text:
        return UnsafeEdit(f"{name} is not a readable SQLite database ({text}); keyconf will not edit it",
                          hint="if Cursor still starts, it keeps a backup; please report your Cursor version")
    return UnsafeEdit(f"cannot use {name} ({text}); nothing was changed in it")


def check_shape(conn, name: str) -> None:
    import sqlite3

    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(ItemTable)")]
    except sqlite3.Error as exc:
        raise _problem(exc, name) from None
    if columns[:2] != ["key", "value"]:
        raise UnsafeEdit(f"{name} does not have the ItemTable(key, value) keyconf expects; "
                         "this Cursor version stores settings differently", hint="please report your Cursor version")


def check_free(path: Path, name: str) -> bool:
    """Whether another program holds the database's write lock: a `BEGIN IMMEDIATE` taken and rolled back
    at once (a short wait, no write). Not "a -wal file exists": a keyconf killed mid-transaction leaves a
    -wal that SQLite itself rolls back at the next open, and a program that has the database open but is
    not writing does not hold the lock. UnsafeEdit naming the file for a database that can't be opened."""
    import sqlite3

    try:
        conn = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    except sqlite3.Error as exc:
        raise _problem(exc, name) from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise _problem(exc, name) from None
    except sqlite3.Error as exc:
        raise _problem(exc, name) from None
    finally:
        conn.close()


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def _tidy(leftovers: list[Path]) -> None:
    """A read-only connection to a WAL database makes -wal/-shm files it cannot delete again: take away the
    ones this read created, while still empty (reading must leave the folder as it was)."""
    for extra in leftovers:
        try:
            if extra.stat().st_size == 0 or extra.name.endswith("-shm"):
                extra.unlink()
        except OSError:
            pass


def read_rows(path: Path, keys, name: str) -> dict:
    created = [p for p in _sidecars(path) if not p.exists()]
    try:
        return _read_rows(path, keys, name)
    finally:
        wal = path.with_name(path.name + "-wal")
        if wal in created and (not wal.exists() or wal.stat().st_size == 0):
            _tidy([p for p in created if p.exists()])


def _read_rows(path: Path, keys, name: str) -> dict:
    import sqlite3

    try:
        conn = connect(path, readonly=True)
    except sqlite3.Error as exc:
        raise UnsafeEdit(f"cannot open {name}: {exc}") from None
    try:
        check_shape(conn, name)
        rows: dict = {key: None for key in keys}
        seen: dict[str, int] = {}
        marks = ",".join("?" * len(rows))
        try:
            utf8 = conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
            # The raw bytes of TEXT (CAST), so text that is not UTF-8 is read instead of failing in Python
            # (a UTF-16 database, never written by VS Code, is read as text by SQLite itself).
            column = "CASE WHEN typeof(value) = 'text' THEN CAST(value AS BLOB) ELSE value END" if utf8 else "value"
            found = conn.execute(f"SELECT key, typeof(value), {column} FROM ItemTable WHERE key IN ({marks})",
                                 list(rows)).fetchall()
        except sqlite3.Error as exc:
            raise _problem(exc, name) from None
        for key, kind, value in found:
            seen[key] = seen.get(key, 0) + 1
            if kind == "text" and isinstance(value, bytes):
                value = value.decode("utf-8", "surrogateescape")
            elif kind == "text":
                value = value or ""
            elif kind == "blob":
                value = value or b""
            elif kind == "null":
                value = NULL
            rows[key] = value
        doubled = sorted(key for key, count in seen.items() if count > 1)
        if doubled:
            raise UnsafeEdit(f"{name} has {seen[doubled[0]]} rows for `{doubled[0]}`; keyconf will not guess "
                             "which one Cursor reads", hint="please report your Cursor version")
        return rows
    finally:
        conn.close()


class RowsEdit(Edit):
    """Rows to put into a database, all in one transaction.

    Made without a mode (a `use`): a private edit makes the database files 0600 before writing. Made with
    one (an undo from the journal, or a remove passing the mode recorded at `use`): the files get that
    mode back. Either way `snapshot_mode` journals the mode they had just before.
    """

    kind = "sqlite"

    def __init__(self, path, before: bytes | None, after: bytes | None, private: bool = True,
                 internal: bool = False, client: str | None = None, mode_before: int | None = None):
        super().__init__(Path(path), before, after, private, internal, client, mode_before)
        self.mode_after = mode_before  # what the files should end with, when given

    def _keys(self) -> list[str]:
        return sorted(decode(self.before or self.after or b"{}"))

    def read_current(self) -> bytes:
        return encode(read_rows(self.path, self._keys(), str(self.path)))

    def snapshot_mode(self) -> None:
        self.mode_before = file_mode(self.path)

    def final_mode(self) -> int | None:
        return self.mode_after if self.mode_after is not None else PRIVATE if self.private else None

    def settle_mode(self, mode: int) -> None:
        # the chmod and the write are two steps: a kill between them leaves the files 0600 (or still open)
        if file_mode(self.path) not in (None, mode):
            _chmod_all(self.path, mode)

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        target = self.mode_before if restoring else self.mode_after
        if target is None and self.private and not restoring:
            target = PRIVATE
        # Tighten before the key is written (SQLite gives a new -wal/-shm the database's mode); loosen after
        # it is gone.
        tighten = target is not None and target & 0o077 == 0
        had = file_mode(self.path)
        if tighten:
            _chmod_all(self.path, target)
        try:
            self._write_rows(decode(content or b"{}"))
        except BaseException:
            if tighten and had is not None:
                _chmod_all(self.path, had)  # nothing was written: nor is the mode changed
            raise
        if target is not None and not tighten:
            _chmod_all(self.path, target)

    def _write_rows(self, rows: dict) -> None:
        import sqlite3

        try:
            conn = connect(self.path)
        except sqlite3.Error as exc:
            raise UnsafeEdit(f"cannot open {self.path}: {exc}") from None
        try:
            conn.execute("BEGIN IMMEDIATE")
            for key, value in rows.items():
                if value is None:
                    conn.execute("DELETE FROM ItemTable WHERE key = ?", (key,))
                elif isinstance(value, str) and not value.isascii() and _has_escapes(value):
                    # CAST of the raw bytes: text that is not UTF-8 goes back exactly as it was read
                    conn.execute("INSERT OR REPLACE INTO ItemTable (key, value) VALUES (?, CAST(? AS TEXT))",
                                 (key, _text_bytes(value)))
                else:
                    conn.execute("INSERT OR REPLACE INTO ItemTable (key, value) VALUES (?, ?)",
                                 (key, None if value is NULL else value))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            problem = _problem(exc, str(self.path))
            problem.client = self.client
            raise problem from None
        finally:
            conn.close()

    def diff(self, display) -> str:
        from keyconf.engine.edits import text_diff

        def show(content):
            if content is None:
                return None
            lines = []
            for key, value in decode(content).items():
                if value is None:
                    text = "(absent)"
                elif isinstance(value, str):
                    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                elif isinstance(value, bytes):
                    text = f"<{len(value)} bytes>"
                else:
                    text = repr(value)
                lines.append(f"{key} = {text}\n")
            return "".join(lines).encode()

        return text_diff(display(self.path) + " (rows)", show(self.before), show(self.after))
