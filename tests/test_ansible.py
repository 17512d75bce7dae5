"""examples/ansible/playbook.yml, run for real: `ansible-playbook -i localhost, -c local` against a temp HOME.

The playbook is checked with stand-ins first (a `keyconf` that prints keyconf's JSON envelope, a `pipx` that
"installs" it), so its own logic is proven whatever keyconf does; then with the real keyconf.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KEY, REPO, REQUIRE_REAL

PLAYBOOK = REPO / "examples" / "ansible" / "playbook.yml"
TEAM = REPO / "examples" / "ansible" / "team.toml"
KEY2 = "sk-Stdin0123456789abcdefSTU99"


def _ansible_playbook() -> str:
    found = Path(sys.executable).with_name("ansible-playbook")
    if found.exists():
        return str(found)
    found = shutil.which("ansible-playbook")
    if found:
        return found
    if REQUIRE_REAL:
        pytest.fail("ansible-playbook is not installed; scripts/test installs ansible-core")
    pytest.skip("ansible-playbook is not installed (pip install ansible-core)")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# A stand-in for `keyconf apply`: records its arguments and the keys it was given (hashed), prints the JSON
# envelope, and changes something only the first time (like the real, idempotent apply).
STUB_KEYCONF = r'''
import hashlib, json, os, sys
from pathlib import Path
sha = lambda s: hashlib.sha256(s.encode()).hexdigest()
home = Path(os.environ["HOME"])
marker = home / ".stub-applied"
changed = [] if marker.exists() else [str(marker)]
marker.write_text("applied\n")
stdin_lines = [line.rstrip("\n") for line in sys.stdin]
record = {"argv": sys.argv[1:], "env_key": sha(os.environ.get("RELAY_KEY", "")),
          "stdin": [sha(line) for line in stdin_lines], "tty": sys.stdin.isatty()}
with open(home / "stub.log", "a") as log:
    log.write(json.dumps(record) + "\n")
code = int(os.environ.get("STUB_EXIT", "0"))
errors = ([{"code": code, "message": "the relay says the quota is used up (sk-…ab12)", "client": "codex"}]
          if code else [])
print(json.dumps({"keyconf": 1, "command": "apply", "ok": code == 0, "exit_code": code,
                  "results": [{"client": "codex", "status": "configured" if changed else "unchanged",
                               "changed": changed, "profile": "work", "base_url": "https://relay.example.com",
                               "key": "sk-…ab12", "verify": None},
                              {"client": "shell", "status": "unchanged", "changed": [], "profile": "work",
                               "base_url": "https://relay.example.com", "key": "sk-…ab12", "verify": None}],
                  "errors": errors}, indent=2))
sys.exit(code)
'''

# A stand-in for pipx: `install PKG` puts the stub keyconf into $PIPX_BIN_DIR; `environment --value X` answers.
STUB_PIPX = r'''
import os, shutil, sys
from pathlib import Path
home = Path(os.environ["HOME"])
with open(home / "pipx.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
bin_dir = Path(os.environ["PIPX_BIN_DIR"])
if sys.argv[1:3] == ["environment", "--value"]:
    print(bin_dir)
elif sys.argv[1] == "install":
    bin_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(os.environ["STUB_KEYCONF"], bin_dir / "keyconf")
    print("  installed package keyconf")
'''


class Ansible:
    def __init__(self, home: Path, tmp: Path):
        self.home = home
        self.tmp = tmp
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.vars = tmp / "keys.yml"  # stands for an ansible-vault file: keys never on a command line
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        self.env.update(PATH=f"{self.bin}:/usr/bin:/bin", LC_ALL="C.UTF-8", ANSIBLE_NOCOLOR="1",
                        ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"), ANSIBLE_RETRY_FILES_ENABLED="false",
                        PIPX_BIN_DIR=str(tmp / "pipx-bin"))

    def script(self, name: str, body: str, where: Path | None = None) -> Path:
        path = (where or self.bin) / name
        path.write_text(f"#!{sys.executable}\n{body}")
        path.chmod(0o755)
        return path

    def keys(self, env_keys: dict, stdin_keys: list) -> None:
        self.vars.write_text(json.dumps({"keyconf_env_keys": env_keys, "keyconf_stdin_keys": stdin_keys}))
        self.vars.chmod(0o600)

    def run(self, *extra: str, verbosity: str = "-v") -> tuple[subprocess.CompletedProcess, dict]:
        argv = [_ansible_playbook(), "-i", "localhost,", "-c", "local", verbosity, str(PLAYBOOK),
                "-e", f"ansible_python_interpreter={sys.executable}", *extra]
        if self.vars.exists():
            argv += ["-e", f"@{self.vars}"]
        proc = subprocess.run(argv, env=self.env, cwd=self.tmp, capture_output=True, text=True, timeout=180)
        m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
        assert m, proc.stdout + proc.stderr
        recap = dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups())))
        return proc, recap

    def stub_log(self) -> list[dict]:
        return [json.loads(line) for line in (self.home / "stub.log").read_text().splitlines()]


@pytest.fixture
def ansible(home, tmp_path):
    return Ansible(home, tmp_path)


def test_playbook_passes_the_syntax_check(ansible):
    proc = subprocess.run([_ansible_playbook(), "--syntax-check", "-i", "localhost,", str(PLAYBOOK)],
                          env=ansible.env, cwd=ansible.tmp, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stub_keyconf_first_run_changes_second_does_not_and_no_key_is_shown(ansible):
    ansible.script("keyconf", STUB_KEYCONF)
    ansible.keys({"RELAY_KEY": KEY}, [KEY2])
    team = ansible.tmp / "team file.toml"
    team.write_text("version = 1\n")

    first, recap = ansible.run("-e", f"keyconf_file='{team}'", verbosity="-vvv")
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap["changed"] == 1 and recap["failed"] == 0
    second, recap = ansible.run("-e", f"keyconf_file='{team}'", verbosity="-vvv")
    assert second.returncode == 0 and recap["changed"] == 0, second.stdout

    calls = ansible.stub_log()
    assert [c["argv"] for c in calls] == [["apply", str(team), "--json", "-y"]] * 2
    assert all(c["env_key"] == _sha(KEY) and c["stdin"] == [_sha(KEY2)] and not c["tty"] for c in calls)
    for proc in (first, second):
        output = proc.stdout + proc.stderr
        assert KEY not in output and KEY2 not in output
        assert "sk-…ab12" in output  # keyconf's (masked) report is shown
    assert not (ansible.home / "pipx.log").exists()  # keyconf was there: nothing installed


def test_no_verify_and_exit_codes(ansible):
    ansible.script("keyconf", STUB_KEYCONF)
    ansible.keys({"RELAY_KEY": KEY}, [])
    ansible.env["STUB_EXIT"] = "9"

    failed, recap = ansible.run("-e", "keyconf_file=/etc/team.toml", "-e", "keyconf_verify=false")
    assert failed.returncode != 0 and recap["failed"] == 1
    assert "the relay says the quota is used up" in failed.stdout  # keyconf's error, shown despite no_log
    assert KEY not in failed.stdout + failed.stderr
    assert ansible.stub_log()[0]["argv"] == ["apply", "/etc/team.toml", "--json", "-y", "--no-verify"]

    accepted, recap = ansible.run("-e", "keyconf_file=/etc/team.toml", "-e", '{"keyconf_ok_exit_codes": [0, 9]}')
    assert accepted.returncode == 0 and recap["failed"] == 0, accepted.stdout


def test_bad_variables_are_refused_before_anything_runs(ansible):
    ansible.script("keyconf", STUB_KEYCONF)
    ansible.keys({"RELAY KEY; rm -rf ~": KEY}, [])
    proc, recap = ansible.run("-e", "keyconf_file=/etc/team.toml")
    assert recap["failed"] == 1 and not (ansible.home / "stub.log").exists()
    proc, recap = ansible.run()  # no keyconf_file
    assert recap["failed"] == 1


def test_installs_keyconf_with_pipx_when_it_is_missing(ansible):
    stub = ansible.script("keyconf-stub", STUB_KEYCONF, where=ansible.tmp)
    ansible.env["STUB_KEYCONF"] = str(stub)
    ansible.script("pipx", STUB_PIPX)
    ansible.keys({"RELAY_KEY": KEY}, [])

    first, recap = ansible.run("-e", "keyconf_file=/etc/team.toml", "-e", f"keyconf_package={REPO}")
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap["changed"] == 2  # keyconf installed, then the apply changed a file
    second, recap = ansible.run("-e", "keyconf_file=/etc/team.toml", "-e", f"keyconf_package={REPO}")
    assert second.returncode == 0 and recap["changed"] == 0, second.stdout
    pipx_calls = (ansible.home / "pipx.log").read_text().splitlines()
    assert pipx_calls == [f"install {REPO}", "environment --value PIPX_BIN_DIR"]  # once: found the second time
    assert len(ansible.stub_log()) == 2


def test_real_keyconf_apply_first_run_changes_second_does_not(ansible, relay):
    keyconf = Path(sys.executable).with_name("keyconf")
    (ansible.bin / "keyconf").symlink_to(keyconf)
    team = ansible.tmp / "team.toml"
    team.write_text(TEAM.read_text().replace("https://relay.example.com", relay.url))
    ansible.keys({"TEAM_RELAY_KEY": KEY}, [])

    first, recap = ansible.run("-e", f"keyconf_file={team}")
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap["changed"] == 1
    configured = _files(ansible.home)
    assert any(".codex" in name for name in configured) and ".claude/settings.json" in configured
    second, recap = ansible.run("-e", f"keyconf_file={team}")
    assert second.returncode == 0 and recap["changed"] == 0, second.stdout
    assert _files(ansible.home) == configured  # not one byte changed, no journal entry added
    for proc in (first, second):
        assert KEY not in proc.stdout + proc.stderr
    assert relay.requests  # verified against the relay


def _files(root: Path) -> dict[str, bytes]:
    """Every file under root and its bytes, Ansible's own folder left out."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".ansible" not in p.relative_to(root).parts}
