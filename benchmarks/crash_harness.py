"""Kill keyconf at every rename/fsync/write/unlink/openat/mkdir/rmdir of a clean run; check both ways back.

One realistic HOME holds every client's files (Claude Code, Codex, rc files, Gemini CLI, opencode, a Cursor
database). Each case is a changing command (the `use` of each client and of all at once, `remove`,
`remove --all`, `undo`, `apply`, `import`, `pin`, `profile rotate`, `profile rm --force`, `profile default`),
run after its set-up commands. A clean run under strace counts the syscalls; then, for every N, the command is
run again from the same starting point, at the same absolute paths (the journal names them), with
`strace -e inject=SYSCALL:signal=KILL:when=N` (SIGKILL at the Nth call, before it runs). After each kill:

  - no user file is torn: each holds its content from before the command or from the clean run's end;
  - (a) `keyconf remove --all` (its recovery runs first), the killed command again, and `remove --all` once
    more: HOME is the original again (keyconf's own folder aside; a Cursor database compared by its rows);
  - (b) from the same killed state, `keyconf undo` until nothing is left: HOME is the original again;
  - after the first command that follows the kill, keyconf's folder holds no pending journal entry and
    there is no `*.keyconf-tmp` file anywhere.

    .venv/bin/python benchmarks/crash_harness.py [--case use-codex] [--syscall rename] [--every K]
                                                 # K>1: every K-th N only (a quicker sweep)

Adding a client is one entry in FILES (the files a realistic user has) and one in CLIENTS.
tests/test_crash.py runs a few N per syscall of this in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
KEY = "sk-Crash0123456789abcdefXYZ42"
NEW_KEY = "sk-Rotated0123456789abcdefQ77"
URL = "https://relay.example.com"
SYSCALLS = ("rename", "fsync", "write", "unlink", "openat", "mkdir", "rmdir")
CURSOR_DB = ".config/Cursor/User/globalStorage/state.vscdb"


SETTINGS = """{
  "permissions": {"allow": ["Bash(ls)", "Read(~/notes)"], "deny": []},
  "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo hi"}]}]},
  "statusLine": {"type": "command", "command": "~/.claude/status.sh"},
  "theme": "dark"
}
"""
CLAUDE_STATE = '{\n  "numStartups": 12,\n  "projects": {"/home/u/p": {"allowedTools": []}},\n  "userID": "abc"\n}\n'
CODEX_CONFIG = """# my codex settings
model = "o3"  # the default
approval_policy = "on-request"

[mcp_servers.files]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "/home/u"]

[profiles.fast]
model = "gpt-5-mini"
"""

FILES = {  # what a realistic user has, per client (the Cursor database is built by `make_cursor_db`)
    "claude-code": {".claude/settings.json": SETTINGS, ".claude.json": CLAUDE_STATE},
    "codex": {".codex/config.toml": CODEX_CONFIG},
    "shell": {".bashrc": "# bashrc\nalias ll='ls -l'\nexport PATH=\"$HOME/bin:$PATH\"\n",
              ".zshrc": "# zshrc\nsetopt autocd\n"},
    "gemini-cli": {".gemini/settings.json": '{"ui": {"theme": "Default"}}\n',
                   ".gemini/.env": "# mine\nGOOGLE_CLOUD_PROJECT=p1\n"},
    "opencode": {".config/opencode/opencode.json": '{\n  // mine\n  "theme": "opencode",\n}\n'},
    "pi": {".pi/agent/models.json": '{\n  // mine\n  "providers": {}\n}\n',
           ".pi/agent/settings.json": '{\n  "theme": "dark"\n}\n'},
    "kilo": {".config/kilo/kilo.jsonc": '{\n  // mine\n  "theme": "kilo",\n}\n'},
    "openclaw": {".openclaw/openclaw.json": '{\n  // mine\n  "agents": {},\n}\n'},
    "hermes": {".hermes/config.yaml": "# mine\nmodel: ''\nproviders: {}\ntoolsets:\n  - hermes-cli\n"},
    "pin": {"project/notes.txt": "a folder of mine\n"},
}
CLIENTS = {  # client -> extra `use` flags
    "claude-code": (), "codex": (), "shell": ("--shell", "bash", "--shell", "zsh", "--shell", "fish"),
    "gemini-cli": (), "opencode": (), "cursor": (), "cherry-studio": ("--no-open",),
    "pi": ("--model", "gpt-5"), "kilo": ("--model", "gpt-5"), "openclaw": ("--model", "gpt-5"),
    "hermes": ("--model", "gpt-5"),
}
FILE_CLIENTS = ("claude-code", "codex", "gemini-cli", "opencode", "cursor", "pi", "kilo", "openclaw", "hermes")


def use(*clients: str, profile: str | None = None) -> tuple[str, ...]:
    extra: list[tuple[str, ...]] = []
    for c in clients:  # each option once (`--model gpt-5` then goes to every client of the change)
        tokens = list(CLIENTS[c])
        while tokens:
            option = tuple(tokens[:2]) if len(tokens) > 1 and not tokens[1].startswith("--") else tokens[:1]
            del tokens[:len(option)]
            if tuple(option) not in extra and not (option[0] == "--model" and any(o[0] == "--model" for o in extra)):
                extra.append(tuple(option))
    return ("use", *clients, "--no-verify", *(t for o in extra for t in o),
            *(("--profile", profile) if profile else ()))


USE_ALL = use(*FILE_CLIENTS)


@dataclass
class Case:
    name: str
    argv: tuple[str, ...]  # the command killed
    setup: tuple[tuple[str, ...], ...] = ()  # run first, from the user's original HOME
    stdin: str = ""
    rerun_codes: tuple[int, ...] = (0,)  # a re-run after recovery: 2 = "no profile named X" (it was finished)
    cwd: str = ""  # run in this folder under HOME (pin writes there)
    way_back: tuple[tuple[str, ...], ...] = (("remove", "--all"),)  # what takes the command's writes out


def _import_link() -> str:
    sys.path.insert(0, str(REPO / "src"))
    from keyconf.links import ccswitch_link

    return ccswitch_link("claude-code", "imported", URL, KEY)[0] + "\n"


APPLY_FILE = f"""version = 1

[profiles.team]
base_url = "{URL}"
key = {{ env = "KEYCONF_API_KEY" }}

[clients.claude-code]
profile = "team"

[clients.codex]
profile = "team"

[clients.gemini-cli]
profile = "team"

[clients.shell]
profile = "team"
shells = ["bash"]
"""


def cases() -> list[Case]:
    out = [Case(f"use-{c}", use(c)) for c in CLIENTS]
    out += [
        Case("use-all", use(*FILE_CLIENTS, "shell")),
        Case("remove", ("remove", "claude-code", "gemini-cli"), setup=(USE_ALL,)),
        Case("remove-all", ("remove", "--all"), setup=(USE_ALL, use("shell"))),
        Case("undo", ("undo",), setup=(USE_ALL,)),
        Case("apply", ("apply", "{root}/team.toml", "--no-verify")),
        Case("import", ("import", "-", "--no-verify", "-y"), stdin=_import_link()),
        Case("rotate", ("profile", "rotate", "default", "--key-env", "KEYCONF_NEW_KEY", "--no-verify"),
             setup=(USE_ALL, use("shell"))),
        Case("profile-rm", ("profile", "rm", "default", "--force", "-y"), setup=(USE_ALL,), rerun_codes=(0, 2)),
        Case("pin", ("pin", "default"), setup=(use("shell"),), cwd="project",
             way_back=(("pin", "--clear"), ("remove", "--all"))),
        Case("profile-default", ("profile", "default", "b"),
             setup=(use("shell", profile="a"), use("claude-code", profile="b"))),
    ]
    return out


@dataclass
class Figures:
    kills: int = 0
    runs: int = 0
    failures: list[str] = field(default_factory=list)
    temp_left: int = 0
    pending_left: int = 0
    temp_after_kill: int = 0
    torn: int = 0
    seconds: float = 0.0

    def add(self, other: "Figures") -> None:
        self.kills += other.kills
        self.runs += other.runs
        self.failures += other.failures
        self.temp_left += other.temp_left
        self.pending_left += other.pending_left
        self.temp_after_kill += other.temp_after_kill
        self.torn += other.torn
        self.seconds += other.seconds


def make_cursor_db(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    user = {"openAIBaseUrl": "", "useOpenAIKey": False, "theme": "dark"}
    conn.executemany("INSERT INTO ItemTable VALUES (?, ?)", [
        ("src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser",
         json.dumps(user)), ("workbench.view", '{"state": 1}'), ("cursorAuth/cachedEmail", "me@example.com")])
    conn.commit()
    conn.close()
    os.chmod(path, 0o644)


def cursor_rows(path: Path) -> bytes:
    """A Cursor database as its rows (its bytes change with every write: page counters, freed pages)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return repr(sorted(conn.execute("SELECT key, typeof(value), value FROM ItemTable"))).encode()
    finally:
        conn.close()


class Sandbox:
    """HOME and KEYCONF_HOME side by side in `live`, at a fixed path, so the journal's paths stay valid when a
    saved state is copied back into place."""

    def __init__(self, root: Path, case: Case):
        self.root = root
        self.case = case
        self.live = root / "live"
        self.home = self.live / "home"
        self.keyconf_home = self.live / "keyconf"
        self.saved: dict[str, Path] = {}
        (root / "team.toml").write_text(APPLY_FILE)

    def env(self) -> dict:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("ANTHROPIC_", "OPENAI_", "KEYCONF_", "CODEX_", "CLAUDE_", "XDG_", "ZDOTDIR",
                                     "APPDATA", "GEMINI_"))
                and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        keep.update({"HOME": str(self.home), "KEYCONF_HOME": str(self.keyconf_home),
                     "XDG_CONFIG_HOME": str(self.home / ".config"), "XDG_DATA_HOME": str(self.home / ".local/share"),
                     "KEYCONF_SECRET_STORE": "file", "KEYCONF_API_KEY": KEY, "KEYCONF_NEW_KEY": NEW_KEY,
                     "KEYCONF_BASE_URL": URL, "NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
        return keep

    def fresh(self) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        self.home.mkdir(parents=True)
        for files in FILES.values():
            for rel, content in files.items():
                path = self.home / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
                os.chmod(path, 0o644)
        make_cursor_db(self.home / CURSOR_DB)

    def save(self, name: str) -> None:
        dest = self.root / f"saved-{name}"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.live, dest, symlinks=True)
        self.saved[name] = dest

    def load(self, name: str) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        shutil.copytree(self.saved[name], self.live, symlinks=True)

    def argv(self) -> list[str]:
        return [a.replace("{root}", str(self.root)) for a in self.case.argv]

    def run(self, argv, prefix: list[str] = (), stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, PYTHON, "-m", "keyconf", *argv], env=self.env(),
                              cwd=self.home / self.case.cwd if self.case.cwd else self.root,
                              capture_output=True, text=True, timeout=120, input=stdin)

    def run_case(self, prefix: list[str] = ()) -> subprocess.CompletedProcess:
        return self.run(self.argv(), prefix, self.case.stdin)

    def user_files(self) -> dict[str, tuple[bytes, int]]:
        """Every file under HOME (keyconf's temp files aside: counted on their own): bytes and mode; a Cursor
        database as its rows (SQLite's side files aside). Folders too (so one left behind counts)."""
        out = {}
        for path in sorted(self.home.rglob("*")):
            rel = path.relative_to(self.home).as_posix()
            if rel.endswith(".keyconf-tmp") or rel.startswith(CURSOR_DB + "-"):
                continue
            if path.is_dir() and not path.is_symlink():
                out[rel + "/"] = (b"", 0)
            elif rel == CURSOR_DB:
                out[rel] = (cursor_rows(path), os.stat(path).st_mode & 0o777)
            else:
                out[rel] = (path.read_bytes(), os.stat(path).st_mode & 0o777)
        return out

    def temp_files(self) -> list[Path]:
        return list(self.live.rglob("*.keyconf-tmp"))

    def pending(self) -> list[str]:
        """Journal entries still pending (a change neither finished nor rolled back)."""
        found = []
        for entry in (self.keyconf_home / "journal").glob("*/entry.json"):
            try:
                if json.loads(entry.read_text()).get("status") == "pending":
                    found.append(entry.parent.name)
            except (OSError, ValueError):
                found.append(entry.parent.name + " (unreadable)")
        return found


def _diff(got: dict, want: dict) -> str:
    names = sorted(set(got) | set(want))
    bad = [n for n in names if got.get(n) != want.get(n)]
    return ", ".join(f"{n} ({'missing' if n not in got else 'extra' if n not in want else 'differs'})"
                     for n in bad[:4])


def count_syscalls(box: Sandbox, syscalls) -> tuple[dict[str, int], dict[str, int]]:
    """Calls of each syscall by keyconf's own process in a clean run, and for write/openat the number made
    before it opens its lock file (those only import Python code: no kill there can touch any state)."""
    log = box.root / "strace.log"
    done = box.run_case(["strace", "-f", "-qq", "-o", str(log), "-e", "trace=" + ",".join(syscalls)])
    if done.returncode != 0:
        raise SystemExit(f"clean run of `keyconf {' '.join(box.argv())}` failed:\n{done.stderr}")
    counts = dict.fromkeys(syscalls, 0)
    before_lock = dict.fromkeys(syscalls, 0)
    main_pid, locked = None, False
    for line in log.read_text().splitlines():
        m = re.match(r"(\d+)\s+(\w+)\(", line)
        if not m:
            continue
        pid, name = m.groups()
        main_pid = main_pid or pid
        if pid != main_pid or name not in counts:
            continue
        counts[name] += 1
        if not locked:
            before_lock[name] += 1
            if name == "openat" and "keyconf/lock\"" in line:
                locked = True
                before_lock[name] -= 1  # the lock's own open is a fair place to die, too
    return counts, {n: (before_lock[n] if n in ("write", "openat") else 0) for n in syscalls}


def _prepare(box: Sandbox) -> None:
    box.fresh()
    box.save("original")
    for argv in box.case.setup:
        done = box.run(argv)
        if done.returncode != 0:
            raise SystemExit(f"set-up `keyconf {' '.join(argv)}` failed:\n{done.stderr}")
    box.save("start")
    done = box.run_case()
    if done.returncode != 0:
        raise SystemExit(f"clean `keyconf {' '.join(box.argv())}` failed:\n{done.stderr}")
    box.save("clean-end")


def one_kill(box: Sandbox, syscall: str, n: int, figs: Figures, states: dict) -> None:
    box.load("start")
    label = f"{box.case.name} {syscall}#{n}"
    inject = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
              "-e", f"inject={syscall}:signal=KILL:when={n}"]
    done = box.run_case(inject)
    figs.runs += 1
    if done.returncode not in (-9, 137):
        if done.returncode != 0:
            figs.failures.append(f"{label}: not killed, exit {done.returncode}: {done.stderr.strip()[-300:]}")
        return  # the Nth call of this syscall was in a child process or never came
    figs.kills += 1
    figs.temp_after_kill += len(box.temp_files())
    now = box.user_files()
    for name, (content, _) in now.items():
        # content only: a mode may be mid-change (a database is made 0600 just before its rows are written);
        # recovery must settle it, which the ways back below check
        if content and content not in (states["start"].get(name, (None,))[0],
                                       states["clean-end"].get(name, (None,))[0]):
            figs.torn += 1
            figs.failures.append(f"{label}: {name} is neither its old nor its new content")
    box.save("killed")

    def expect_original(how: str) -> None:
        got = box.user_files()
        if got != states["original"]:
            figs.failures.append(f"{label}: after {how}, HOME differs from the original: "
                                 f"{_diff(got, states['original'])}")

    def tidy(how: str) -> None:
        left, pending = box.temp_files(), box.pending()
        figs.temp_left += len(left)
        figs.pending_left += len(pending)
        if left:
            figs.failures.append(f"{label}: {len(left)} temp file(s) left after `{how}`: {left[0]}")
        if pending:
            figs.failures.append(f"{label}: journal entry {pending[0]} still pending after `{how}`")

    def step(argv, how: str, codes=(0,), stdin: str = "") -> bool:
        result = box.run(argv, stdin=stdin)
        if result.returncode not in codes:
            figs.failures.append(f"{label}: `keyconf {' '.join(argv)}` exit {result.returncode}: "
                                 f"{result.stderr.strip()[-300:]}")
            return False
        return True

    # (a) remove --all (recovery first), re-run the killed command, remove --all again
    def way_back(how: str) -> bool:
        for i, argv in enumerate(box.case.way_back):
            if not step(argv, " ".join(argv) + how):
                return False
            if i == 0 and not how:
                tidy(" ".join(argv))
        return True

    if way_back(""):
        if step(box.argv(), f"re-run {box.case.name}", box.case.rerun_codes, box.case.stdin) \
                and way_back(" (after re-run)"):
            expect_original(f"re-run {box.case.name} + {' + '.join(' '.join(a) for a in box.case.way_back)}")
    # (b) from the same killed state: undo until nothing is left
    box.load("killed")
    for i in range(12):
        result = box.run(["undo"])
        if i == 0:
            tidy("undo")
        if result.returncode != 0:
            figs.failures.append(f"{label}: `keyconf undo` #{i + 1} exit {result.returncode}: "
                                 f"{result.stderr.strip()[-300:]}")
            return
        if "nothing to undo" in result.stdout:
            break
    expect_original("undo until nothing is left")


def _spread(first: int, last: int, count: int) -> list[int]:
    """`count` call numbers spread evenly over first..last (both ends included when count > 1)."""
    if last < first:
        return []
    if count == 1:
        return [(first + last) // 2]
    return sorted({first + round(i * (last - first) / (count - 1)) for i in range(count)})


def sweep(case: Case, syscalls=SYSCALLS, pick: int | None = None, every: int = 1, log=print,
          at: list[int] | None = None) -> Figures:
    """Kill `case` at every N of each syscall (every K-th; or `pick` Ns spread over the range: the quick
    subset the test suite runs)."""
    figs = Figures()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kc-crash-") as tmp:
        box = Sandbox(Path(tmp), case)
        _prepare(box)
        states = {}
        for name in ("original", "start", "clean-end"):
            box.load(name)
            states[name] = box.user_files()
        box.load("start")
        counts, skip = count_syscalls(box, syscalls)
        for syscall in syscalls:
            first, last = skip[syscall] + 1, counts[syscall]
            wanted = _spread(first, last, pick) if pick else range(first, last + 1, every)
            if at:
                wanted = [n for n in at if first <= n <= last]  # replaying chosen kill points
            for n in wanted:
                one_kill(box, syscall, n, figs, states)
        figs.seconds = time.perf_counter() - start
        log(f"{case.name:<18} calls " + " ".join(f"{s}={counts[s] - skip[s]}" for s in syscalls) +
            f" | kills {figs.kills:>4} failed {len(figs.failures):>3} temp-left {figs.temp_left} "
            f"pending-left {figs.pending_left} torn {figs.torn} ({figs.seconds:.0f} s)")
    return figs


def find_case(name: str) -> Case:
    return next(c for c in cases() if c.name == name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", help="case name (default: every case); see --list")
    parser.add_argument("--list", action="store_true", help="list the cases")
    parser.add_argument("--syscall", action="append", choices=SYSCALLS)
    parser.add_argument("--every", type=int, default=1, help="only every K-th N (default 1: all)")
    parser.add_argument("--at", type=int, action="append", help="only call number N (to replay a failure)")
    args = parser.parse_args()
    if args.list:
        for case in cases():
            print(f"{case.name:<18} keyconf {' '.join(case.argv)}")
        return 0
    if not shutil.which("strace"):
        print("strace is not installed (apt-get install strace)", file=sys.stderr)
        return 2
    total = Figures()
    for case in cases():
        if args.case and case.name not in args.case:
            continue
        total.add(sweep(case, tuple(args.syscall or SYSCALLS), every=args.every, at=args.at))
        sys.stdout.flush()
    print(f"\nkills injected: {total.kills} (of {total.runs} runs)")
    print(f"recoveries failed: {len(total.failures)}")
    print(f"torn files right after a kill: {total.torn}")
    print(f"temp files right after the kills: {total.temp_after_kill}; left after recovery: {total.temp_left}")
    print(f"journal entries left pending after recovery: {total.pending_left}")
    print(f"time: {total.seconds:.0f} s")
    for line in total.failures[:60]:
        print("  FAIL", line)
    return 1 if total.failures or total.temp_left else 0


if __name__ == "__main__":
    sys.exit(main())
