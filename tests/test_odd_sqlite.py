"""Odd rows in Cursor's state.vscdb: the applicationUser JSON in every layout and storage class, key and
secret rows of every SQLite type, text that is not UTF-8.

For each generated database: `use cursor` then `remove cursor` gives back every row with its storage
class and exact bytes, a second `use` changes nothing, the database is 0600 while it holds the key and
gets its own mode back on remove, and keyconf never exits 1 (exit 3 must name the problem).
KEYCONF_ODD_EXAMPLES sets how many databases (default 300; 1000+ for the big run).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, run_keyconf

EXAMPLES = int(os.environ.get("KEYCONF_ODD_EXAMPLES", "300"))
TALLY: Counter = Counter()
USER_ROW = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser"
KEY_ROW = "cursorAuth/openAIKey"
SECRET_ROW = "secret://cursorAuth/openAIKey"
URL = "https://relay.example.com"


def db_path(home):
    return home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"


class Text(bytes):
    """Bytes to store as TEXT (through CAST, so they need not be UTF-8)."""


def make_db(home, rows: list[tuple[str, object]], mode: int = 0o644):
    path = db_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    for key, value in rows:
        if isinstance(value, Text):
            conn.execute("INSERT INTO ItemTable VALUES (?, CAST(? AS TEXT))", (key, bytes(value)))
        else:
            conn.execute("INSERT INTO ItemTable VALUES (?, ?)", (key, value))
    conn.commit()
    conn.close()
    os.chmod(path, mode)
    return path


def dump(path) -> dict:
    """Every row as (storage class, exact bytes or value)."""
    conn = sqlite3.connect(path)
    try:
        return {k: (t, v) for k, t, v in conn.execute(
            "SELECT key, typeof(value), CASE WHEN typeof(value) = 'text' THEN CAST(value AS BLOB) ELSE value END "
            "FROM ItemTable")}
    finally:
        conn.close()


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- odd applicationUser JSON ----------------------------------------------------------------------------

ODD_STRINGS = ["", "é✓😀", "\u2028\u2029", "\x00\x1f", "quote\"back\\slash", "</script>", "\ud83d\ude00"]
ODD_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64), st.sampled_from([0.1, -0.0, 1e308, 5e-324]),
              st.sampled_from(ODD_STRINGS), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["a", "openAIBaseUrl", "useOpenAIKey", "é", ""]), inner, max_size=3)),
    max_leaves=8)


@st.composite
def user_documents(draw) -> bytes | None:
    doc = {}
    for name in draw(st.lists(st.sampled_from(["composerState", "theme", "é", "", "x" * 40, "nested"]),
                              unique=True, max_size=4)):
        doc[name] = draw(ODD_VALUES)
    # keyconf's own members, already there with odd values
    if draw(st.booleans()):
        doc["openAIBaseUrl"] = draw(st.sampled_from(["", None, 0, {"a": 1}, "https://old.example.com/v1"]))
    if draw(st.booleans()):
        doc["useOpenAIKey"] = draw(st.sampled_from([False, True, None, "true", 1]))
    if draw(st.booleans()):
        doc["aiSettings"] = draw(st.sampled_from([{}, {"userAddedModels": []},
                                                  {"userAddedModels": ["my-model"], "x": [1, {"y": None}]},
                                                  {"modelOverrideEnabled": ["gpt-4o"]}]))
    indent = draw(st.sampled_from([None, 0, 1, 2, 4, "\t"]))
    text = json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans()),
                      separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])) if indent is None else None)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    text = draw(st.sampled_from(["", " ", "\n", "\t\r\n"])) + text + draw(st.sampled_from(["", " ", "\n", "\r\n"]))
    if draw(st.booleans()) and text.strip() not in ("{}", ""):  # a duplicate member: JSON.parse keeps the last
        text = text.replace("{", '{"openAIBaseUrl": "dup", ', 1)
    if draw(st.booleans()):
        text = text.replace("/", "\\/")  # escaped slashes are the same JSON
    return text.encode("utf-8", "surrogatepass") if "\ud83d" in text else text.encode()


def stored(draw, raw: bytes):
    """The JSON row as TEXT or BLOB."""
    return Text(raw) if draw(st.booleans()) else raw


@st.composite
def databases(draw) -> list[tuple[str, object]]:
    rows = [(f"workbench.view.{i}", json.dumps({"state": i})) for i in range(draw(st.integers(0, 5)))]
    rows.append(("binary.row", b"\x00\x01\xff"))
    user = draw(user_documents())
    if draw(st.integers(0, 9)):  # mostly present
        rows.append((USER_ROW, stored(draw, user)))
    key_row = draw(st.sampled_from(["absent", "text", "blob", "integer", "null", "empty", "latin1"]))
    value = {"text": "sk-old-key-0000", "blob": b"sk-old-blob\xff", "integer": 42, "null": None, "empty": "",
             "latin1": Text(b"caf\xe9")}.get(key_row)
    if key_row != "absent":
        rows.append((KEY_ROW, value))
    secret = draw(st.sampled_from(["absent", "json", "blob", "latin1"]))
    secret_value = {"json": json.dumps({"type": "Buffer", "data": [118, 49, 48]}), "blob": b"v10\x01\x02\xfa",
                    "latin1": Text(b"\xfe\xff")}.get(secret)
    if secret != "absent":
        rows.append((SECRET_ROW, secret_value))
    rows.append(("cursorAuth/cachedEmail", Text(b"me@example.com")))
    return rows


def _fast(monkeypatch):
    """Durability is the crash harness's subject; here only bytes count, and fsyncs are most of the time."""
    from keyconf.formats import sqliterows

    real = sqliterows.connect

    def connect(path, *, readonly=False):
        conn = real(path, readonly=readonly)
        conn.execute("PRAGMA synchronous=OFF")
        return conn

    monkeypatch.setattr(sqliterows, "connect", connect)
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    # and pgrep for a running Cursor (three processes per run; tests/test_cursor.py covers that check)
    from keyconf.adapters import cursor

    monkeypatch.setattr(cursor, "running", lambda ctx, names: False, raising=False)


# ---- the property ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if TALLY:
        print(f"\nodd Cursor databases: {dict(TALLY)}")


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(databases(), st.sampled_from([[], ["--model", "my-model"], ["--model", "claude-sonnet-4-5"]]))
def test_odd_rows_round_trip_byte_exact(home, monkeypatch, rows, extra):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    _fast(monkeypatch)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    path = make_db(home, rows)
    before = dump(path)
    args = ("use", "cursor", "--base-url", URL, "--no-verify", *extra)
    result = run_keyconf(*args)
    TALLY[f"exit {result.code}"] += 1
    assert result.code != 1, result.output
    if result.code == 3:
        assert "applicationUser" in result.stderr, result.output  # the only row keyconf must be able to read
        TALLY["exit 3: " + result.stderr.split("\n")[0].split(": ", 1)[-1][:60]] += 1
        assert dump(path) == before and mode(path) == 0o644
        return
    assert result.code == 0, result.output
    after = dump(path)
    assert after[KEY_ROW] == ("text", KEY.encode()) and SECRET_ROW not in after
    assert json.loads(after[USER_ROW][1])["openAIBaseUrl"] == URL + "/v1"
    assert mode(path) == 0o600
    assert run_keyconf(*args).code == 0 and dump(path) == after
    removed = run_keyconf("remove", "cursor")
    assert removed.code == 0, removed.output
    assert dump(path) == before
    assert mode(path) == 0o644
    TALLY["round trips"] += 1
