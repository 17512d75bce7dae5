"""Eight keyconf processes mixing `use` and `remove` on one HOME serialise: every run succeeds, the files end
as some serial order leaves them, and the journal is one chain (each change starts where the last one ended)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from conftest import KEY, snapshot
from keyconf import engine
from keyconf.paths import Paths

SETTINGS = b'{\n  "permissions": {"allow": ["Bash(ls)"]},\n  "theme": "dark"\n}\n'
CODEX = b'# mine\nmodel = "o3"\n\n[mcp_servers.files]\ncommand = "npx"\n'


def spawn(*args: str) -> subprocess.Popen:
    env = dict(os.environ, KEYCONF_API_KEY=KEY, KEYCONF_BASE_URL="https://relay.example.com")
    return subprocess.Popen([sys.executable, "-m", "keyconf", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def client_files(home: Path, client: str) -> dict:
    prefix = {"claude-code": (".claude/", ".claude.json"), "codex": (".codex/",)}[client]
    return {k: v for k, v in snapshot(home).items() if k.startswith(prefix)}


def test_eight_processes_mixing_use_and_remove_serialise(kc, home, monkeypatch):
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_bytes(SETTINGS)
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_bytes(CODEX)
    original = snapshot(home)
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    assert kc("use", "claude-code", "codex", "--base-url", "https://relay.example.com", "--no-verify").code == 0
    configured = {c: client_files(home, c) for c in ("claude-code", "codex")}
    assert kc("remove", "claude-code", "codex").code == 0
    assert snapshot(home) == original
    unset = {c: client_files(home, c) for c in ("claude-code", "codex")}

    runs = [(verb, client) for verb in ("use", "remove") for client in ("claude-code", "codex")] * 2
    random.Random(12).shuffle(runs)
    procs = [spawn(verb, client, *(["--no-verify"] if verb == "use" else [])) for verb, client in runs]
    for proc, run in zip(procs, runs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (run, err)
        assert "Traceback" not in err

    paths = Paths.from_environ()
    bindings = set(json.loads(paths.state_file.read_text()).get("bindings", {}))
    for client in ("claude-code", "codex"):
        want = configured[client] if client in bindings else unset[client]
        assert client_files(home, client) == want, client
    assert not engine.pending(paths) and not list(home.rglob("*.keyconf-tmp"))

    # one chain per file: every change started from the bytes the previous change of that file left
    last: dict[str, str | None] = {}
    for entry in reversed(engine.entries(paths)):
        if entry.status not in ("done", "undone"):
            continue
        for rec in entry.meta["edits"]:
            if rec["path"] in last:
                assert rec["before_sha"] == last[rec["path"]], (entry.id, rec["path"])
            last[rec["path"]] = rec["after_sha"]

    # and the whole log replays backwards to the user's files
    for _ in range(20):
        result = kc("undo")
        assert result.code == 0, result.output
        if "nothing to undo" in result.stdout:
            break
    assert snapshot(home) == original


def test_use_remove_profile_rm_and_rotate_at_once_leave_profiles_and_keys_consistent(kc, home, monkeypatch):
    """The defect of issue 12: `profile rm` took no lock, so profiles and stored keys went out of step."""
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    for name in ("a", "b"):
        assert kc("use", "shell", "--profile", name, "--base-url", "https://relay.example.com",
                  "--no-verify").code == 0
    runs = [("use", "shell", "--profile", "a", "--no-verify"), ("use", "shell", "--profile", "b", "--no-verify"),
            ("remove", "shell"), ("profile", "rm", "a", "--force", "-y"), ("profile", "rm", "b", "--force", "-y"),
            ("profile", "rotate", "a", "--key-env", "KEYCONF_API_KEY", "--no-verify"),
            ("profile", "rotate", "b", "--key-env", "KEYCONF_API_KEY", "--no-verify"),
            ("use", "shell", "--profile", "a", "--no-verify")]
    for round_ in range(3):
        random.Random(round_).shuffle(runs)
        procs = [spawn(*run) for run in runs]
        for proc, run in zip(procs, runs):
            out, err = proc.communicate(timeout=120)
            # 2: a profile another run removed first; never a crash
            assert proc.returncode in (0, 2), (run, proc.returncode, err)
            assert "Traceback" not in err and "unexpected" not in err
        paths = Paths.from_environ()
        profiles = kc("profile", "list", "--json").json()["results"]
        secrets = json.loads(paths.secrets_file.read_text()) if paths.secrets_file.exists() else {}
        assert {p["profile"] for p in profiles} == set(secrets), round_
        assert not engine.pending(paths) and not list(home.rglob("*.keyconf-tmp"))


def test_eight_mixed_commands_end_as_some_serial_order_with_no_key_lost():
    """A few rounds of benchmarks/concurrency.py (use, remove, rotate, profile rm --force, apply, import and
    undo, 8 at once): each end state is the one a serial order gives, and no key is lost."""
    from conftest import REPO

    sys.path.insert(0, str(REPO / "benchmarks"))
    import concurrency

    lines = []
    figs = concurrency.run_rounds(3, seed=20, log=lines.append)
    assert figs.failures == [], "\n".join(figs.failures + lines)
    assert figs.lost_keys == 0 and figs.not_serial == 0 and figs.writers > 0
