"""Kill keyconf at every rename/fsync/write/unlink/openat/mkdir/rmdir of a clean run; check both ways back.

For each client scenario and each command (`use`; `remove` and `undo` after a clean `use`), a clean run under
strace counts the syscalls; then, for every N, the command is run again from the same starting point with
`strace -e inject=SYSCALL:signal=KILL:when=N` (SIGKILL at the Nth call, before it runs). After each kill:

  - no user file is torn: each holds its bytes from before the command or from the clean run's end;
  - (a) `keyconf remove CLIENT` (its recovery runs first), then the killed command again and `remove` once
    more: HOME is byte-identical to the original (keyconf's own folder aside);
  - (b) from the same killed state, `keyconf undo` until nothing is left: HOME is the original again;
  - no `*.keyconf-tmp` file is left after the first command that follows the kill.

    .venv/bin/python benchmarks/crash_harness.py [--client claude-code] [--command use] [--syscall rename]
                                                 [--every K]   # K>1: every K-th N only (a quicker sweep)

Adding a client is one line in SCENARIOS (its id, the files a realistic user has, extra `use` flags).
tests/test_crash.py runs a few N per syscall of this in the suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
KEY = "sk-Crash0123456789abcdefXYZ42"
SYSCALLS = ("rename", "fsync", "write", "unlink", "openat", "mkdir", "rmdir")
COMMANDS = ("use", "remove", "undo")


@dataclass
class Scenario:
    client: str
    files: dict[str, str]  # path under HOME -> content the user had
    use_args: tuple[str, ...] = ()


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

SCENARIOS = [
    Scenario("claude-code", {".claude/settings.json": SETTINGS, ".claude.json": CLAUDE_STATE}),
    Scenario("codex", {".codex/config.toml": CODEX_CONFIG}),
    Scenario("shell", {".bashrc": "# bashrc\nalias ll='ls -l'\nexport PATH=\"$HOME/bin:$PATH\"\n",
                       ".zshrc": "# zshrc\nsetopt autocd\n"},
             ("--shell", "bash", "--shell", "zsh", "--shell", "fish")),
    Scenario("gemini-cli", {".gemini/settings.json": '{"ui": {"theme": "Default"}}\n',
                            ".gemini/.env": "# mine\nGOOGLE_CLOUD_PROJECT=p1\n"}),
    Scenario("opencode", {".config/opencode/opencode.json": '{\n  // mine\n  "theme": "opencode",\n}\n'}),
    Scenario("pi", {".pi/agent/models.json": '{\n  // mine\n  "providers": {}\n}\n',
                    ".pi/agent/settings.json": '{\n  "theme": "dark"\n}\n'}, ("--model", "gpt-5")),
    Scenario("kilo", {".config/kilo/kilo.jsonc": '{\n  // mine\n  "theme": "kilo",\n}\n'}, ("--model", "gpt-5")),
    Scenario("openclaw", {".openclaw/openclaw.json": '{\n  // mine\n  "agents": {},\n}\n'}, ("--model", "gpt-5")),
    Scenario("hermes", {".hermes/config.yaml": "# mine\nmodel: ''\nproviders: {}\ntoolsets:\n  - hermes-cli\n"},
             ("--model", "gpt-5")),
]


@dataclass
class Figures:
    kills: int = 0
    runs: int = 0
    failures: list[str] = field(default_factory=list)
    temp_left: int = 0
    temp_after_kill: int = 0
    torn: int = 0
    seconds: float = 0.0

    def add(self, other: "Figures") -> None:
        self.kills += other.kills
        self.runs += other.runs
        self.failures += other.failures
        self.temp_left += other.temp_left
        self.temp_after_kill += other.temp_after_kill
        self.torn += other.torn
        self.seconds += other.seconds


class Sandbox:
    """HOME and KEYCONF_HOME side by side in `live`, at a fixed path, so the journal's paths stay valid when a
    saved state is copied back into place."""

    def __init__(self, root: Path, scenario: Scenario):
        self.root = root
        self.scenario = scenario
        self.live = root / "live"
        self.home = self.live / "home"
        self.keyconf_home = self.live / "keyconf"
        self.saved: dict[str, Path] = {}

    def env(self) -> dict:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("ANTHROPIC_", "OPENAI_", "KEYCONF_", "CODEX_", "CLAUDE_", "XDG_", "ZDOTDIR",
                                     "APPDATA", "GEMINI_"))
                and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        keep.update({"HOME": str(self.home), "KEYCONF_HOME": str(self.keyconf_home),
                     "XDG_CONFIG_HOME": str(self.home / ".config"), "XDG_DATA_HOME": str(self.home / ".local/share"),
                     "KEYCONF_SECRET_STORE": "file", "KEYCONF_API_KEY": KEY,
                     "KEYCONF_BASE_URL": "https://relay.example.com", "NO_COLOR": "1",
                     "PATH": "/usr/bin:/bin"})
        return keep

    def fresh(self) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        self.home.mkdir(parents=True)
        for rel, content in self.scenario.files.items():
            path = self.home / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            os.chmod(path, 0o644)

    def save(self, name: str) -> None:
        dest = self.root / f"saved-{name}"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.live, dest, symlinks=True)
        self.saved[name] = dest

    def load(self, name: str) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        shutil.copytree(self.saved[name], self.live, symlinks=True)

    def argv(self, command: str) -> list[str]:
        if command == "use":
            return ["use", self.scenario.client, "--no-verify", *self.scenario.use_args]
        if command == "remove":
            return ["remove", self.scenario.client]
        return ["undo"]

    def run(self, argv: list[str], prefix: list[str] = ()) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, PYTHON, "-m", "keyconf", *argv], env=self.env(), cwd=self.root,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    def user_files(self) -> dict[str, tuple[bytes, int]]:
        """Every file under HOME (keyconf's temp files aside: counted on their own): bytes and mode. Folders
        too (so one left behind counts), as an empty marker."""
        out = {}
        for path in sorted(self.home.rglob("*")):
            rel = path.relative_to(self.home).as_posix()
            if rel.endswith(".keyconf-tmp"):
                continue
            if path.is_dir() and not path.is_symlink():
                out[rel + "/"] = (b"", 0)
            else:
                out[rel] = (path.read_bytes(), os.stat(path).st_mode & 0o777)
        return out

    def temp_files(self) -> list[Path]:
        return list(self.live.rglob("*.keyconf-tmp"))


def _diff(got: dict, want: dict) -> str:
    names = sorted(set(got) | set(want))
    bad = [n for n in names if got.get(n) != want.get(n)]
    return ", ".join(f"{n} ({'missing' if n not in got else 'extra' if n not in want else 'differs'})"
                     for n in bad[:4])


def count_syscalls(box: Sandbox, command: str, syscalls) -> tuple[dict[str, int], dict[str, int]]:
    """Calls of each syscall by keyconf's own process in a clean run, and for write/openat the number made
    before it opens its lock file (those only import Python code: no kill there can touch any state)."""
    log = box.root / "strace.log"
    done = box.run(box.argv(command), ["strace", "-f", "-qq", "-o", str(log), "-e", "trace=" + ",".join(syscalls)])
    if done.returncode != 0:
        raise SystemExit(f"clean run of `keyconf {' '.join(box.argv(command))}` failed:\n{done.stderr}")
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


def _prepare(box: Sandbox, command: str) -> None:
    box.fresh()
    box.save("original")
    if command in ("remove", "undo"):
        done = box.run(box.argv("use"))
        if done.returncode != 0:
            raise SystemExit(f"setup `use` failed:\n{done.stderr}")
    box.save("start")
    done = box.run(box.argv(command))
    if done.returncode != 0:
        raise SystemExit(f"clean `{command}` failed:\n{done.stderr}")
    box.save("clean-end")


def one_kill(box: Sandbox, command: str, syscall: str, n: int, figs: Figures, states: dict) -> None:
    box.load("start")
    label = f"{box.scenario.client} {command} {syscall}#{n}"
    inject = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
              "-e", f"inject={syscall}:signal=KILL:when={n}"]
    done = box.run(box.argv(command), inject)
    figs.runs += 1
    if done.returncode not in (-9, 137):
        if done.returncode != 0:
            figs.failures.append(f"{label}: not killed, exit {done.returncode}: {done.stderr.strip()[-300:]}")
        return  # the Nth call of this syscall was in a child process or never came
    figs.kills += 1
    figs.temp_after_kill += len(box.temp_files())
    now = box.user_files()
    for name, value in now.items():
        if value[0] and value not in (states["start"].get(name), states["clean-end"].get(name)):
            figs.torn += 1
            figs.failures.append(f"{label}: {name} is neither its old nor its new content")
    box.save("killed")

    def expect_original(how: str) -> None:
        got = box.user_files()
        if got != states["original"]:
            figs.failures.append(f"{label}: after {how}, HOME differs from the original: "
                                 f"{_diff(got, states['original'])}")

    def step(argv: list[str], how: str, first: bool = False) -> bool:
        result = box.run(argv)
        if first:
            left = box.temp_files()
            figs.temp_left += len(left)
            if left:
                figs.failures.append(f"{label}: {len(left)} temp file(s) left after `{how}`: {left[0].name}")
        if result.returncode != 0:
            figs.failures.append(f"{label}: `keyconf {' '.join(argv)}` exit {result.returncode}: "
                                 f"{result.stderr.strip()[-300:]}")
            return False
        return True

    # (a) remove (recovery first), re-run the killed command, remove again
    if step(box.argv("remove"), "remove", first=True):
        expect_original("remove")
        if step(box.argv(command), f"re-run {command}") and step(box.argv("remove"), "remove (after re-run)"):
            expect_original(f"re-run {command} + remove")
    # (b) from the same killed state: undo until nothing is left
    box.load("killed")
    for i in range(6):
        result = box.run(["undo"])
        if i == 0:
            left = box.temp_files()
            figs.temp_left += len(left)
            if left:
                figs.failures.append(f"{label}: {len(left)} temp file(s) left after `undo`: {left[0].name}")
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


def sweep(scenario: Scenario, command: str, syscalls=SYSCALLS, pick: int | None = None,
          every: int = 1, log=print) -> Figures:
    """Kill `keyconf COMMAND` for `scenario` at every N of each syscall (every K-th; or `pick` Ns spread
    over the range: the quick subset the test suite runs)."""
    figs = Figures()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kc-crash-") as tmp:
        box = Sandbox(Path(tmp), scenario)
        _prepare(box, command)
        states = {}
        for name in ("original", "start", "clean-end"):
            box.load(name)
            states[name] = box.user_files()
        box.load("start")
        counts, skip = count_syscalls(box, command, syscalls)
        for syscall in syscalls:
            first, last = skip[syscall] + 1, counts[syscall]
            wanted = _spread(first, last, pick) if pick else range(first, last + 1, every)
            for n in wanted:
                one_kill(box, command, syscall, n, figs, states)
        figs.seconds = time.perf_counter() - start
        log(f"{scenario.client:<12} {command:<7} calls " +
            " ".join(f"{s}={counts[s] - skip[s]}" for s in syscalls) +
            f" | kills {figs.kills:>4} failed {len(figs.failures):>3} temp-left {figs.temp_left} "
            f"torn {figs.torn} ({figs.seconds:.0f} s)")
    return figs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", action="append", help="client id (default: every scenario)")
    parser.add_argument("--command", action="append", choices=COMMANDS)
    parser.add_argument("--syscall", action="append", choices=SYSCALLS)
    parser.add_argument("--every", type=int, default=1, help="only every K-th N (default 1: all)")
    args = parser.parse_args()
    if not shutil.which("strace"):
        print("strace is not installed (apt-get install strace)", file=sys.stderr)
        return 2
    total = Figures()
    for scenario in SCENARIOS:
        if args.client and scenario.client not in args.client:
            continue
        for command in args.command or COMMANDS:
            total.add(sweep(scenario, command, tuple(args.syscall or SYSCALLS), every=args.every))
    print(f"\nkills injected: {total.kills} (of {total.runs} runs)")
    print(f"recoveries failed: {len(total.failures)}")
    print(f"torn files right after a kill: {total.torn}")
    print(f"temp files right after the kills: {total.temp_after_kill}; left after recovery: {total.temp_left}")
    print(f"time: {total.seconds:.0f} s")
    for line in total.failures[:40]:
        print("  FAIL", line)
    return 1 if total.failures or total.temp_left else 0


if __name__ == "__main__":
    sys.exit(main())
