"""The journal as a write-ahead log: a keyconf killed mid-change is rolled back by the next one; big files are
journaled as what changed; modes, owners and created folders come back with undo and remove."""

from __future__ import annotations

import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import KEY
from keyconf import engine
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.paths import Paths


@pytest.fixture
def paths(home):
    return Paths.from_environ()


def killed_apply(changes: list[tuple[Path, bytes | None, bytes | None]], puts_before_kill: int) -> None:
    """Run engine.apply in a child process that SIGKILLs itself after `puts_before_kill` files were written
    (or, when they all were, before the entry is marked done)."""
    code = textwrap.dedent(f"""
        import os, pickle, signal, sys
        from pathlib import Path
        from keyconf import engine
        from keyconf.engine.edits import FileEdit
        from keyconf.paths import Paths

        real_put, done = FileEdit.put, []

        def put(self, content, **kw):
            if len(done) == {puts_before_kill}:
                os.kill(os.getpid(), signal.SIGKILL)
            real_put(self, content, **kw)
            done.append(self)

        def save(self):  # all files written: die before the entry says "done"
            os.kill(os.getpid(), signal.SIGKILL)

        FileEdit.put = put
        engine.Entry.save = save
        paths = Paths.from_environ()
        changes = pickle.loads(sys.stdin.buffer.read())
        with engine.locked(paths):
            engine.apply(paths, [FileEdit(p, b, a, private=True) for p, b, a in changes], command="test")
    """)
    data = pickle.dumps([(str(p), b, a) for p, b, a in changes])
    done = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def test_killed_change_is_rolled_back_by_the_next_lock(paths, home):
    a, b, c = home / "a", home / "new" / "deep" / "b", home / "c"
    a.write_bytes(b"old a")
    os.chmod(a, 0o644)
    c.write_bytes(b"old c")
    killed_apply([(a, b"old a", b"new a"), (b, None, b"new b"), (c, b"old c", b"new c")], puts_before_kill=2)
    assert a.read_bytes() == b"new a" and b.exists() and c.read_bytes() == b"old c"
    [entry] = engine.pending(paths)
    with engine.locked(paths) as report:
        pass
    assert a.read_bytes() == b"old a" and stat.S_IMODE(a.stat().st_mode) == 0o644
    assert not (home / "new").exists()  # the folders the change created went with its file
    assert report.entries == [entry.id]
    assert "rolled it back" in report[0] and "a" in report[0]
    assert engine.entries(paths)[0].status == "rolled-back" and not engine.pending(paths)
    with engine.locked(paths) as again:
        assert list(again) == []


def test_kill_before_any_file_was_touched_leaves_files_alone(paths, home):
    a = home / "a"
    a.write_bytes(b"old")
    killed_apply([(a, b"old", b"new")], puts_before_kill=0)
    with engine.locked(paths) as report:
        pass
    assert a.read_bytes() == b"old"
    assert "had not changed any file" in report[0]


def test_file_changed_after_the_kill_is_refused_by_name_then_forced(paths, home):
    a, b = home / "a", home / "b"
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    killed_apply([(a, b"old a", b"new a"), (b, b"old b", b"new b")], puts_before_kill=2)
    a.write_bytes(b"the user edited this since")
    with pytest.raises(UnsafeEdit, match=r"interrupted .* and .*a changed since") as info:
        with engine.locked(paths):
            pass
    assert info.value.code == 3 and "undo --force" in info.value.hint
    assert b.read_bytes() == b"new b"  # nothing written when refusing
    with engine.locked(paths, force=True):
        pass
    assert a.read_bytes() == b"old a" and b.read_bytes() == b"old b"


def test_leftover_temp_files_and_half_written_entries_are_removed(paths, home):
    target = home / ".claude" / "settings.json"
    target.parent.mkdir()
    target.write_bytes(b"{}")
    killed_apply([(target, b"{}", b'{"k": 1}')], puts_before_kill=1)
    stray = [target.parent / ".settings.json.abc123.keyconf-tmp", paths.keyconf_home / ".profiles.toml.x.keyconf-tmp"]
    for path in stray:
        path.write_bytes(b"may hold a key")
    staging = paths.journal_dir / ".new-20990101-000000-000000"
    staging.mkdir()
    (staging / "0.before").write_bytes(b"x")
    with engine.locked(paths) as report:
        pass
    assert not any(p.exists() for p in stray) and not staging.exists()
    assert any("temp file" in line for line in report)
    assert not list(home.rglob("*.keyconf-tmp"))


def test_undo_after_a_kill_stops_at_the_rollback(kc, home, monkeypatch):
    """`undo` right after a killed command gives back the state before that command, not one more."""
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b'{"theme": "dark"}\n')
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    assert kc("use", "claude-code", "--base-url", "https://relay.example.com", "--no-verify").code == 0
    used = settings.read_bytes()
    other = home / "other"  # a second file, not yet written when the kill came: the change is half-done
    killed_apply([(settings, used, b'{"half": true}\n'), (other, None, b"x")], puts_before_kill=1)
    result = kc("undo", "--json")
    assert result.code == 0, result.output
    doc = result.json()
    assert doc["ok"] and doc["errors"] == [] and doc["results"][0]["status"] == "rolled-back"
    assert "rolled it back" in doc["recovered"][0]
    assert settings.read_bytes() == used
    killed_apply([(settings, used, b'{"half": true}\n'), (other, None, b"x")], puts_before_kill=1)
    result = kc("undo")
    assert result.code == 0 and "rolled it back" in result.stderr and "nothing else was undone" in result.stdout
    assert settings.read_bytes() == used
    assert kc("undo").code == 0
    assert settings.read_bytes() == b'{"theme": "dark"}\n'
    assert not engine.pending(Paths.from_environ())


def test_undo_with_nothing_to_undo_is_not_an_error(kc):
    result = kc("undo")
    assert result.code == 0 and "nothing to undo" in result.stdout and "error" not in result.output
    doc = kc("undo", "--json").json()
    assert doc["ok"] is True and doc["exit_code"] == 0 and doc["errors"] == []


def test_an_undo_cut_short_before_marking_its_entry_still_counts(paths, home):
    a = home / "a"
    a.write_bytes(b"1")
    entry = engine.apply(paths, [FileEdit(a, b"1", b"2")], command="use")
    engine.apply(paths, engine.plan_undo(entry, force=False), command="undo", extra={"undo_of": entry.id})
    # killed before restore() wrote "undone" into the entry: the done undo entry still says so
    assert engine.find_entry(paths, entry.id).status == "undone"
    assert engine.last_entry(paths) is None


# big files ------------------------------------------------------------------------------------------------

def big_json(mb: int) -> bytes:
    row = b'    "/home/u/project-%07d": {"history": ["x"], "allowedTools": []},\n'
    body = b"".join(row % i for i in range(mb * 1_000_000 // len(row)))
    return b'{\n  "numStartups": 3,\n  "projects": {\n' + body + b'    "last": {}\n  },\n  "userID": "u"\n}\n'


def entry_size(entry) -> int:
    return sum(p.stat().st_size for p in entry.folder.iterdir())


def test_big_file_is_journaled_as_the_changed_part_and_undone_exactly(paths, home):
    path = home / ".claude.json"
    before = big_json(4)
    path.write_bytes(before)
    os.chmod(path, 0o640)
    after = before.replace(b'"numStartups": 3,', b'"numStartups": 3,\n  "hasCompletedOnboarding": true,')
    entry = engine.apply(paths, [FileEdit(path, before, after)], command="use")
    assert entry_size(entry) < 4096
    assert entry.meta["edits"][0]["delta"]["size"] == len(before)
    engine.restore(paths, entry, engine.plan_undo(entry, force=False))
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_big_file_changed_since_cannot_be_rebuilt_even_with_force(paths, home):
    path = home / ".claude.json"
    before = big_json(2)
    path.write_bytes(before)
    entry = engine.apply(paths, [FileEdit(path, before, before.replace(b'"u"', b'"v"'))], command="use")
    path.write_bytes(before + b" ")
    with pytest.raises(UnsafeEdit, match="changed after"):
        engine.plan_undo(entry, force=False)
    with pytest.raises(UnsafeEdit, match="kept only the part it changed"):
        engine.plan_undo(entry, force=True)


def test_killed_change_of_a_big_file_is_rolled_back(paths, home):
    path = home / "big.json"
    before = big_json(2)
    path.write_bytes(before)
    killed_apply([(path, before, before[:-2] + b', "k": 1}\n'), (home / "second", None, b"x")], puts_before_kill=1)
    assert engine.pending(paths)[0].meta["edits"][0]["delta"]
    with engine.locked(paths):
        pass
    assert path.read_bytes() == before


@pytest.mark.parametrize("where", ["start", "middle", "end", "grow", "shrink"])
def test_delta_rebuilds_any_change_position(paths, home, monkeypatch, where):
    monkeypatch.setattr("keyconf.engine.journal.BIG_FILE", 10)
    before = b"0123456789abcdefghij" * 5
    after = {"start": b"X" + before[1:], "middle": before[:50] + b"YY" + before[52:], "end": before[:-1] + b"Z",
             "grow": before[:30] + b"inserted" + before[30:], "shrink": before[:20] + before[60:]}[where]
    path = home / "f"
    path.write_bytes(before)
    entry = engine.apply(paths, [FileEdit(path, before, after)], command="t")
    assert len((entry.folder / "0.before").read_bytes()) < len(before)
    engine.restore(paths, entry, engine.plan_undo(entry, force=False))
    assert path.read_bytes() == before


def test_repeated_bytes_around_the_change_still_rebuild(paths, home, monkeypatch):
    monkeypatch.setattr("keyconf.engine.journal.BIG_FILE", 10)
    before = b"a" * 100
    after = b"a" * 101  # prefix and suffix overlap: the engine must not count a byte twice
    path = home / "f"
    path.write_bytes(before)
    entry = engine.apply(paths, [FileEdit(path, before, after)], command="t")
    engine.restore(paths, entry, engine.plan_undo(entry, force=False))
    assert path.read_bytes() == before


# modes, owners, folders -----------------------------------------------------------------------------------

def test_remove_gives_back_the_mode_keyconf_took_away(paths, home):
    path = home / "settings.json"
    path.write_bytes(b"{}")
    os.chmod(path, 0o644)
    engine.apply(paths, [FileEdit(path, b"{}", b'{"key": 1}', private=True)], command="use")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    engine.apply(paths, [FileEdit(path, b'{"key": 1}', b'{"key": 2}', private=True)], command="use")
    engine.apply(paths, [FileEdit(path, b'{"key": 2}', b"{}")], command="remove")  # the key is out again
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_remove_keeps_a_mode_the_user_chose_since(paths, home):
    path = home / "settings.json"
    path.write_bytes(b"{}")
    os.chmod(path, 0o644)
    engine.apply(paths, [FileEdit(path, b"{}", b'{"key": 1}', private=True)], command="use")
    os.chmod(path, 0o640)
    engine.apply(paths, [FileEdit(path, b'{"key": 1}', b"{}")], command="remove")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_remove_takes_away_folders_keyconf_created_if_left_empty(paths, home):
    made = home / ".config" / "fish" / "conf.d" / "keyconf.fish"
    kept = home / ".codex" / "auth.json"
    engine.apply(paths, [FileEdit(made, None, b"set -gx A b\n"), FileEdit(kept, None, b"{}")], command="use")
    (home / ".codex" / "notes").write_text("the user's")
    engine.apply(paths, [FileEdit(made, b"set -gx A b\n", None), FileEdit(kept, b"{}", None)], command="remove")
    assert not (home / ".config" / "fish").exists() and (home / ".config").exists()
    assert (home / ".codex" / "notes").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give files away")
def test_root_keeps_the_owner_of_user_files(paths, home):
    path = home / "settings.json"
    path.write_bytes(b"{}")
    os.chown(path, 65534, 65534)
    entry = engine.apply(paths, [FileEdit(path, b"{}", b'{"k": 1}', private=True)], command="use")
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)
    os.chown(path, 0, 0)  # something else took it over; undo gives it back as it was
    engine.restore(paths, entry, engine.plan_undo(entry, force=False))
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def test_journal_entry_is_complete_or_absent(paths, home):
    a = home / "a"
    entry = engine.apply(paths, [FileEdit(a, None, b"x")], command="t")
    meta = json.loads((entry.folder / "entry.json").read_text())
    assert meta["format"] == engine.FORMAT and meta["status"] == "done"
    assert not [p for p in paths.journal_dir.iterdir() if p.name.startswith(".")]


def test_folder_made_just_before_the_kill_goes_with_its_temp_file(paths, home):
    target = home / ".config" / "fish" / "conf.d" / "keyconf.fish"
    killed_apply([(target, None, b"set -gx A b\n")], puts_before_kill=0)
    target.parent.mkdir(parents=True)  # as atomic_write had done when the kill came: folder and temp file
    (target.parent / ".keyconf.fish.x1y2.keyconf-tmp").write_bytes(b"set -gx A b\n")
    with engine.locked(paths):
        pass
    assert not (home / ".config" / "fish").exists()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=40), st.binary(max_size=40), st.integers(0, 300),
       st.integers(0, 300))
def test_changed_middle_and_its_surroundings_rebuild_the_old_bytes(base, old_mid, new_mid, cut, length):
    before = base[:cut] + old_mid + base[cut:]
    after = base[:cut] + new_mid + base[cut + length:]
    from keyconf.engine import journal

    original_big = journal.BIG_FILE
    journal.BIG_FILE = -1
    try:
        middle, delta = journal._old_part(before, after)
    finally:
        journal.BIG_FILE = original_big
    assert delta["prefix"] + delta["suffix"] <= min(len(before), len(after))
    rebuilt = after[:delta["prefix"]] + middle + after[len(after) - delta["suffix"]:]
    assert rebuilt == before


def test_undo_dry_run_after_a_kill_writes_nothing_and_says_so(kc, paths, home):
    a = home / "a"
    a.write_bytes(b"old")
    killed_apply([(a, b"old", b"new")], puts_before_kill=1)
    result = kc("undo", "--dry-run")
    assert result.code == 0 and "was interrupted" in result.stdout
    assert a.read_bytes() == b"new" and engine.pending(paths)


# issue 20: recovery first, finishing what was finished, modes, races ------------------------------------

def killed_keyconf(argv: list[str], patch: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `keyconf ARGV` in a child process after `patch` (Python that SIGKILLs it somewhere)."""
    code = "import os, signal, sys\n" + textwrap.dedent(patch) + "\nfrom keyconf.cli import main\nmain(sys.argv[1:])\n"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, timeout=60,
                          env=env or dict(os.environ), stdin=subprocess.DEVNULL)


DIE_WHEN_DONE = """
from keyconf import engine
real_save = engine.Entry.save
def save(self):
    if self.meta.get("status") == "done":
        os.kill(os.getpid(), signal.SIGKILL)  # every file written: killed while marking the entry done
    real_save(self)
engine.Entry.save = save
"""


def test_remove_killed_after_its_last_write_is_finished_not_reverted(kc, home, monkeypatch):
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b'{"theme": "dark"}\n')
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    assert kc("use", "claude-code", "--base-url", "https://relay.example.com", "--no-verify").code == 0
    done = killed_keyconf(["remove", "claude-code"], DIE_WHEN_DONE)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert settings.read_bytes() == b'{"theme": "dark"}\n'
    paths = Paths.from_environ()
    [entry] = engine.pending(paths)
    # the early "nothing to remove" answer comes after recovery, which finishes the remove
    again = kc("remove", "--all")
    assert again.code == 0 and "nothing to remove" in again.stdout
    assert "it is now complete" in again.stderr
    assert not engine.pending(paths) and engine.find_entry(paths, entry.id).status == "done"
    # an unrelated command later does not bring the key back
    assert kc("use", "shell", "--no-verify").code == 0
    assert settings.read_bytes() == b'{"theme": "dark"}\n'
    assert KEY.encode() not in settings.read_bytes()


def test_temp_file_of_a_cut_entry_save_goes_with_the_next_command(kc, paths, home):
    a = home / "a"
    entry = engine.apply(paths, [FileEdit(a, None, b"x")], command="t")
    stray = entry.folder / ".entry.json.ab12cd.keyconf-tmp"
    stray.write_bytes(b"{")
    assert engine.needs_recovery(paths)
    result = kc("remove", "--all")
    assert result.code == 0 and "nothing to remove" in result.stdout
    assert not stray.exists() and not engine.needs_recovery(paths)


def test_an_undo_killed_after_its_writes_counts_once(kc, home, monkeypatch):
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b'{"theme": "dark"}\n')
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    assert kc("use", "claude-code", "--base-url", "https://relay.example.com", "--no-verify").code == 0
    assert kc("use", "shell", "--no-verify").code == 0
    done = killed_keyconf(["undo"], DIE_WHEN_DONE)
    assert done.returncode == -signal.SIGKILL, done.stderr
    result = kc("undo")
    assert result.code == 0 and "is complete; nothing else was undone" in result.stdout, result.output
    assert KEY.encode() in settings.read_bytes()  # the claude-code change is still there
    assert kc("undo").code == 0
    assert settings.read_bytes() == b'{"theme": "dark"}\n'


def _cursor_db(home: Path) -> Path:
    import sqlite3

    db = home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    conn.execute("INSERT INTO ItemTable VALUES ('theme', 'dark')")
    conn.commit()
    conn.close()
    os.chmod(db, 0o644)
    return db


def test_cursor_killed_between_chmod_and_write_gets_its_mode_back(kc, home, monkeypatch):
    db = _cursor_db(home)
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    done = killed_keyconf(["use", "cursor", "--base-url", "https://relay.example.com", "--no-verify"], """
        from keyconf.formats import sqliterows
        def write(self, rows):
            os.kill(os.getpid(), signal.SIGKILL)
        sqliterows.RowsEdit._write_rows = write
    """)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # tightened, nothing written yet
    result = kc("remove", "--all")
    assert result.code == 0, result.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o644
    assert kc("use", "cursor", "--base-url", "https://relay.example.com", "--no-verify").code == 0


def test_cursor_wal_left_by_a_killed_writer_is_not_cursor_running(kc, home, monkeypatch):
    db = _cursor_db(home)
    code = f"""
import os, signal, sqlite3
conn = sqlite3.connect({str(db)!r}, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO ItemTable VALUES ('half', 'written')")
conn.execute("COMMIT")
conn.execute("BEGIN IMMEDIATE")
conn.executemany("INSERT INTO ItemTable VALUES (?, ?)", [(f"k{{i}}", "x" * 500) for i in range(3000)])
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    wal = db.with_name(db.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    result = kc("use", "cursor", "--base-url", "https://relay.example.com", "--no-verify")
    assert result.code == 0, result.output
    assert kc("remove", "cursor").code == 0


def test_rotate_racing_profile_rm_does_not_bring_the_profile_back(kc, home, monkeypatch):
    """rotate read the profile before the lock; `profile rm --force` removed it meanwhile (injected in the
    window): rotate is then "no profile named a" (exit 2), as if it had run after the removal."""
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    assert kc("use", "shell", "--profile", "a", "--base-url", "https://relay.example.com", "--no-verify").code == 0
    from keyconf.session import Session

    real_lock = Session.lock
    ran = []

    def lock(self, **kw):
        if not ran:
            ran.append(subprocess.run([sys.executable, "-m", "keyconf", "profile", "rm", "a", "--force", "-y"],
                                      capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL))
        return real_lock(self, **kw)

    monkeypatch.setattr(Session, "lock", lock)
    monkeypatch.setenv("NEW_KEY", "sk-Rotated0123456789abcdefXYZ")
    result = kc("profile", "rotate", "a", "--key-env", "NEW_KEY", "--no-verify")
    assert ran and ran[0].returncode == 0, ran[0].stderr
    assert result.code == 2 and "no profile named 'a'" in result.stderr, result.output
    monkeypatch.setattr(Session, "lock", real_lock)
    assert kc("profile", "list", "--json").json()["results"] == []
    paths = Paths.from_environ()
    assert not paths.secrets_file.exists() or "a" not in json.loads(paths.secrets_file.read_text())


def test_use_of_a_stored_profile_racing_rotate_writes_the_rotated_key(kc, home, monkeypatch):
    """`use` read the stored key before the lock; `profile rotate` stored a new one meanwhile (injected in the
    window): the use writes the new key, as it would have run after the rotate."""
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    assert kc("use", "shell", "--profile", "a", "--base-url", "https://relay.example.com", "--no-verify").code == 0
    monkeypatch.delenv("KEYCONF_API_KEY")
    from keyconf.session import Session

    rotated = "sk-Rotated0123456789abcdefXYZ"
    real_lock = Session.lock
    ran = []

    def lock(self, **kw):
        if not ran:
            env = dict(os.environ, NEW_KEY=rotated)
            ran.append(subprocess.run([sys.executable, "-m", "keyconf", "profile", "rotate", "a", "--key-env",
                                       "NEW_KEY", "--no-verify"], capture_output=True, text=True, timeout=60,
                                      stdin=subprocess.DEVNULL, env=env))
        return real_lock(self, **kw)

    monkeypatch.setattr(Session, "lock", lock)
    result = kc("use", "claude-code", "--profile", "a", "--no-verify")
    assert ran and ran[0].returncode == 0, ran[0].stderr
    assert result.code == 0, result.output
    settings = (home / ".claude" / "settings.json").read_bytes()
    assert rotated.encode() in settings and KEY.encode() not in settings
