"""Eight keyconf commands at once, mixed (use, remove, profile rotate, profile rm --force, apply, import, undo),
on one HOME, round after round: every end state must be one that some serial order of the same commands
gives, and no key may be lost.

Each round starts 8 commands drawn at random from POOL at the same moment (`--json`, so each says the id of
the change it wrote). Then:

  - exit codes: 0, or 2 for a profile another command removed first ("no profile named X"); never a crash;
  - serial order: from the round's starting state (same absolute paths), the commands that wrote are run
    one by one in the order of their change ids; the end state (every file under HOME, and keyconf's
    state, profiles and stored keys) must equal the concurrent one. Each command that wrote nothing must
    write nothing, with the same exit code, at some point of that order;
  - no lost key: every profile has its stored key and every stored key a profile; every client keyconf
    says is configured holds its profile's stored key; no journal entry is left pending.

    .venv/bin/python benchmarks/concurrency.py [--rounds 50] [--seed 1]

tests/test_concurrency.py runs a few rounds of this in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
URL = "https://relay.example.com"
KEY = "sk-Conc0123456789abcdefXYZ42"
ROTATED = {"a": "sk-RotA0123456789abcdefXYZ11", "b": "sk-RotB0123456789abcdefXYZ22"}
WORKERS = 8

FILES = {".claude/settings.json": '{\n  "theme": "dark"\n}\n', ".codex/config.toml": '# mine\nmodel = "o3"\n',
         ".bashrc": "# bashrc\nalias ll='ls -l'\n"}
APPLY_FILE = f"""version = 1

[profiles.team]
base_url = "{URL}/team"
key = {{ env = "KEYCONF_API_KEY" }}

[clients.claude-code]
profile = "team"

[clients.codex]
profile = "team"
"""
SETUP = (("use", "claude-code", "shell", "--profile", "a", "--shell", "bash", "--no-verify"),
         ("use", "codex", "--profile", "b", "--no-verify"))
POOL = (
    ("use", "claude-code", "--profile", "b", "--no-verify"),
    ("use", "codex", "--profile", "a", "--no-verify"),
    ("use", "shell", "--profile", "b", "--shell", "bash", "--no-verify"),
    ("remove", "claude-code"),
    ("remove", "codex", "shell"),
    ("profile", "rotate", "a", "--key-env", "ROTATED_A", "--no-verify"),
    ("profile", "rotate", "b", "--key-env", "ROTATED_B", "--no-verify"),
    ("profile", "rm", "a", "--force", "-y"),
    ("profile", "rm", "b", "--force", "-y"),
    ("apply", "{root}/team.toml", "--no-verify"),
    ("import", "-", "--no-verify", "-y"),
    ("undo",),
)
# where each client keeps the key (under HOME, or under keyconf's folder for shell variables)
KEY_FILES = {"claude-code": ("home", ".claude/settings.json"), "codex": ("home", ".codex/auth.json"),
             "shell": ("keyconf", "env/keyconf.sh")}


@dataclass
class Figures:
    rounds: int = 0
    commands: int = 0
    writers: int = 0
    codes: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    lost_keys: int = 0
    not_serial: int = 0
    seconds: float = 0.0


def _link() -> str:
    sys.path.insert(0, str(REPO / "src"))
    from keyconf.links import ccswitch_link

    return ccswitch_link("codex", "imported", URL + "/imp", KEY)[0] + "\n"


class Home:
    def __init__(self, root: Path):
        self.root = root
        self.live = root / "live"
        self.home = self.live / "home"
        self.keyconf = self.live / "keyconf"
        (root / "team.toml").write_text(APPLY_FILE)
        self.link = _link()

    def env(self) -> dict:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(
            ("ANTHROPIC_", "OPENAI_", "KEYCONF_", "CODEX_", "CLAUDE_", "XDG_", "ZDOTDIR", "GEMINI_"))}
        keep.update({"HOME": str(self.home), "KEYCONF_HOME": str(self.keyconf), "SHELL": "/bin/bash",
                     "XDG_CONFIG_HOME": str(self.home / ".config"), "XDG_DATA_HOME": str(self.home / ".local/share"),
                     "KEYCONF_SECRET_STORE": "file", "KEYCONF_API_KEY": KEY, "KEYCONF_BASE_URL": URL,
                     "ROTATED_A": ROTATED["a"], "ROTATED_B": ROTATED["b"], "NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
        return keep

    def fresh(self) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        self.home.mkdir(parents=True)
        for rel, text in FILES.items():
            (self.home / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.home / rel).write_text(text)
        for argv in SETUP:
            done = self.run(argv)
            assert done.returncode == 0, done.stderr

    def argv(self, argv) -> list[str]:
        return [a.replace("{root}", str(self.root)) for a in argv]

    def start(self, argv) -> subprocess.Popen:
        proc = subprocess.Popen([PYTHON, "-m", "keyconf", *self.argv(argv), "--json"], env=self.env(),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return proc

    def run(self, argv) -> subprocess.CompletedProcess:
        proc = self.start(argv)
        out, err = proc.communicate(self.link if argv[0] == "import" else "", timeout=120)
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    def save(self, dest: Path) -> None:
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.live, dest, symlinks=True)

    def load(self, src: Path) -> None:
        shutil.rmtree(self.live, ignore_errors=True)
        shutil.copytree(src, self.live, symlinks=True)

    def fingerprint(self) -> dict:
        """Everything a serial order decides: files under HOME, keyconf's state, profiles, keys, env files."""
        out = {}
        for path in sorted(self.live.rglob("*")):
            rel = path.relative_to(self.live).as_posix()
            if path.is_dir() or rel.startswith("keyconf/journal") or rel == "keyconf/lock":
                continue
            out[rel] = path.read_bytes()
        return out

    def lost_keys(self) -> list[str]:
        problems = []
        profiles = self._profiles()
        secrets_file = self.keyconf / "secrets.json"
        secrets = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
        stored = {name: value for name, value in secrets.items() if isinstance(value, str)}
        if set(profiles) != set(stored):
            problems.append(f"profiles {sorted(profiles)} vs stored keys {sorted(stored)}")
        state = json.loads((self.keyconf / "state.json").read_text()) if (self.keyconf / "state.json").exists() else {}
        for client, binding in state.get("bindings", {}).items():
            profile = binding.get("profile")
            if profile not in stored:
                problems.append(f"{client} is bound to profile {profile}, which has no stored key")
                continue
            where, rel = KEY_FILES[client]
            path = (self.home if where == "home" else self.keyconf) / rel
            if not path.exists() or stored[profile].encode() not in path.read_bytes():
                problems.append(f"{client} (profile {profile}) does not hold its profile's key")
        for entry in (self.keyconf / "journal").glob("*/entry.json"):
            if json.loads(entry.read_text()).get("status") == "pending":
                problems.append(f"journal entry {entry.parent.name} pending")
        return problems

    def _profiles(self) -> list[str]:
        path = self.keyconf / "profiles.toml"
        if not path.exists():
            return []
        import tomllib

        return list(tomllib.loads(path.read_text()).get("profiles", {}))


def _change_id(out: str) -> str | None:
    try:
        return json.loads(out).get("change_id")
    except ValueError:
        return None


def one_round(box: Home, rng: random.Random, figs: Figures, label: str) -> None:
    start_dir = box.root / "round-start"
    box.save(start_dir)
    commands = [rng.choice(POOL) for _ in range(WORKERS)]
    procs = [box.start(argv) for argv in commands]
    results = []
    for argv, proc in zip(commands, procs):
        out, err = proc.communicate(box.link if argv[0] == "import" else "", timeout=300)
        results.append((argv, proc.returncode, _change_id(out), err))
    end = box.fingerprint()
    end_dir = box.root / "round-end"
    box.save(end_dir)
    figs.commands += len(results)
    for argv, code, _, err in results:
        figs.codes[code] = figs.codes.get(code, 0) + 1
        if code not in (0, 2) or "Traceback" in err:
            figs.failures.append(f"{label}: `keyconf {' '.join(argv)}` exit {code}: {err.strip()[-300:]}")
    lost = box.lost_keys()
    figs.lost_keys += len(lost)
    figs.failures += [f"{label}: {p}" for p in lost]

    # the serial order the lock gave: the writers by change id
    writers = sorted((r for r in results if r[2]), key=lambda r: r[2])
    others = [r for r in results if not r[2]]
    figs.writers += len(writers)
    box.load(start_dir)
    steps = [box.root / "serial-0"]
    box.save(steps[0])
    for i, (argv, code, _, _) in enumerate(writers, 1):
        done = box.run(argv)
        if done.returncode != code:
            figs.failures.append(f"{label}: serially, `keyconf {' '.join(argv)}` exit {done.returncode}, "
                                 f"concurrently {code}")
        steps.append(box.root / f"serial-{i}")
        box.save(steps[-1])
    if box.fingerprint() != end:
        figs.not_serial += 1
        got = box.fingerprint()
        differ = sorted(k for k in set(got) | set(end) if got.get(k) != end.get(k))
        figs.failures.append(f"{label}: end state is not the serial order's ({', '.join(differ[:4])}); "
                             f"order: {[' '.join(w[0]) for w in writers]}")
    for argv, code, _, _ in others:  # wrote nothing: it must write nothing, the same way, somewhere in the order
        fits = False
        for step in steps:
            box.load(step)
            before = box.fingerprint()
            done = box.run(argv)
            if done.returncode == code and box.fingerprint() == before and not _change_id(done.stdout):
                fits = True
                break
        if not fits:
            figs.not_serial += 1
            figs.failures.append(f"{label}: `keyconf {' '.join(argv)}` (exit {code}, no change) fits no point "
                                 "of the serial order")
    box.load(end_dir)
    if not box._profiles():
        box.fresh()  # every profile is gone: start again, so rounds keep racing over something


def run_rounds(rounds: int, seed: int = 1, log=print) -> Figures:
    figs = Figures()
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kc-conc-") as tmp:
        box = Home(Path(tmp))
        box.fresh()
        for i in range(rounds):
            failed = len(figs.failures)
            one_round(box, rng, figs, f"round {i + 1}")
            figs.rounds += 1
            log(f"round {i + 1:>3}: {'ok' if len(figs.failures) == failed else 'FAILED'} "
                f"({figs.writers} writers so far, {time.perf_counter() - t0:.0f} s)")
    figs.seconds = time.perf_counter() - t0
    return figs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figs = run_rounds(args.rounds, args.seed, log=lambda line: print(line, flush=True))
    print(f"\nrounds: {figs.rounds} x {WORKERS} concurrent commands ({figs.commands} commands, "
          f"{figs.writers} wrote a change)")
    print(f"exit codes: {dict(sorted(figs.codes.items()))}")
    print(f"end states not equal to a serial order: {figs.not_serial}")
    print(f"lost keys: {figs.lost_keys}")
    print(f"failures: {len(figs.failures)}")
    print(f"time: {figs.seconds:.0f} s")
    for line in figs.failures[:40]:
        print("  FAIL", line)
    return 1 if figs.failures else 0


if __name__ == "__main__":
    sys.exit(main())
