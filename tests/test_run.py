"""`keyconf run` (a profile for one process), `--print`, `keyconf pin` and `keyconf profile add`.

The per-client contract (real binaries reach only the profile's relay, nothing written outside keyconf's
folder, no key on any command line) is in adapter_contract.py; here: pins, exec pass-through (exit status,
signals, the process itself), the printed line run by real shells, and the light import path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapter_contract import KEY_B, cmdline_watch
from conftest import KEY, real_binary, require_tool, snapshot

EXE = Path(sys.executable).parent / "keyconf"
PRINT_ENV = "import os; print(os.environ.get('OPENAI_API_KEY'), os.environ.get('ANTHROPIC_API_KEY'))"


@pytest.fixture
def two(kc, relay):
    """Profiles A (the default) and B, both on the loopback relay."""
    relay.keys.add(KEY_B)
    for name, key in (("A", KEY), ("B", KEY_B)):
        done = kc("profile", "add", name, "--key-stdin", "--base-url", relay.url, "--no-verify", input=key + "\n")
        assert done.code == 0, done.output
    return relay


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "project"
    (folder / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def keyconf(*args: str, cwd: Path | None = None, env: dict | None = None, **kwargs):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, **kwargs)


# ---- pin ------------------------------------------------------------------------------------------------

def test_pin_writes_the_file_run_uses_it_below_and_clear_removes_it(kc, two, project):
    done = kc("pin", "B", "--model", "claude-code=claude-sonnet-4-5", "--json")
    assert done.code == 0, done.output
    assert done.json()["results"][0]["status"] == "pinned"
    text = (project / ".keyconf.toml").read_text()
    assert 'profile = "B"' in text and 'claude-code = "claude-sonnet-4-5"' in text
    assert KEY_B not in text and two.url not in text  # a pin names the profile only
    os.chdir(project / "src" / "deep")
    planned = kc("run", "claude-code", "--dry-run", "--json").json()["results"][0]
    assert planned["profile"] == "B" and planned["source"] == "pin"
    assert planned["pin_file"] == str(project / ".keyconf.toml")
    assert planned["env"]["ANTHROPIC_MODEL"] == "claude-sonnet-4-5"
    assert kc("run", "claude-code", "--profile", "A", "--dry-run", "--json").json()["results"][0]["source"] == "flag"
    shown = kc("pin")
    assert "profile B" in shown.stdout and "claude-code: model claude-sonnet-4-5" in shown.stdout
    os.chdir(project)
    assert kc("pin", "--clear").code == 0
    assert not (project / ".keyconf.toml").exists()
    assert kc("run", "claude-code", "--dry-run", "--json").json()["results"][0]["source"] == "default"
    assert kc("undo").code == 0  # the pin is journaled like every change
    assert 'profile = "B"' in (project / ".keyconf.toml").read_text()


def test_pin_dry_run_writes_nothing(kc, two, project):
    done = kc("pin", "B", "--dry-run")
    assert done.code == 0, done.output
    assert ".keyconf.toml" in done.output and not (project / ".keyconf.toml").exists()


def test_pin_of_unknown_profile_or_bad_model_is_refused(kc, two, project):
    assert kc("pin", "nope").code == 2
    bad = kc("pin", "B", "--model", "claude-sonnet-4-5")
    assert bad.code == 2 and "CLIENT=MODEL" in bad.stderr
    assert kc("pin", "B", "--model", "vim=x").code == 2
    assert not (project / ".keyconf.toml").exists()


@pytest.mark.parametrize("command", [["run", "codex", "--dry-run"], ["env", "shell", "--reveal"], ["verify"],
                                     ["run", "claude-code"]])
def test_a_pin_naming_an_unknown_profile_is_exit_2_naming_the_file(kc, two, project, command):
    pin = project / ".keyconf.toml"
    pin.write_text('profile = "gone"\n')
    os.chdir(project / "src")
    result = kc(*command)
    assert result.code == 2, result.output
    assert str(pin) in result.stderr and "gone" in result.stderr


@pytest.mark.parametrize("content, says", [('profile = "B"\nkey = "sk-Whatever00000000000000"\n', "unknown setting"),
                                           ('profile = "B"\nbase_url = "https://x"\n', "unknown setting"),
                                           ("profile = B\n", "not valid TOML"),
                                           ('[models]\ncodex = "x"\n', "missing")])
def test_a_pin_holding_anything_else_is_refused(kc, two, project, content, says):
    (project / ".keyconf.toml").write_text(content)
    result = kc("run", "codex", "--dry-run")
    assert result.code == 2 and says in result.stderr, result.output
    assert "sk-Whatever00000000000000" not in result.output


def test_status_says_which_profile_run_uses_here_and_why(kc, two, project):
    plain = kc("status", "codex", "--json").json()
    assert plain["run"] == {"profile": "A", "source": "default", "pin_file": None}
    assert "keyconf run here: profile A (the default profile)" in kc("status", "codex").stdout
    assert kc("pin", "B").code == 0
    os.chdir(project / "src")
    pinned = kc("status", "codex", "--json").json()["run"]
    assert pinned == {"profile": "B", "source": "pin", "pin_file": str(project / ".keyconf.toml")}
    assert f"profile B (pinned by {project / '.keyconf.toml'})" in kc("status", "codex").stdout


def test_env_and_verify_under_a_pin_use_the_pinned_profile_and_say_so(kc, two, project):
    assert kc("pin", "B").code == 0
    env = kc("env", "shell", "--shell", "bash", "--reveal")
    assert env.code == 0, env.output
    assert f"export OPENAI_API_KEY='{KEY_B}'" in env.stdout and "pinned by" in env.stderr
    checked = kc("verify", "--json")
    assert checked.code == 0, checked.output
    assert [r["client"] for r in checked.json()["results"]] == ["pinned profile B"]
    assert checked.json()["results"][0]["key"] == "sk-…BBBB"


# ---- profile add ----------------------------------------------------------------------------------------

def test_profile_add_checks_the_key_and_stores_it_without_configuring_a_client(kc, relay, home):
    before = snapshot(home)
    done = kc("profile", "add", "work", "--key-stdin", "--base-url", relay.url + "/v1", "--json", input=KEY + "\n")
    assert done.code == 0, done.output
    item = done.json()["results"][0]
    assert item["profile"] == "work" and item["status"] == "stored" and item["verify"]["ok"]
    assert KEY not in done.stdout
    assert relay.seen("/v1/models")
    assert snapshot(home) == before  # no client file
    listed = kc("profile", "list", "--json").json()["results"]
    assert [(p["profile"], p["base_url"], p["clients"]) for p in listed] == [("work", relay.url, [])]
    assert kc("secret", "work").stdout == KEY + "\n"
    again = kc("profile", "add", "work", "--key-stdin", "--base-url", relay.url, input=KEY + "\n")
    assert again.code == 2 and "already exists" in again.stderr
    assert kc("undo").code == 0
    assert kc("profile", "list", "--json").json()["results"] == []


def test_profile_add_with_a_rejected_key_stores_nothing(kc, relay):
    done = kc("profile", "add", "work", "--key-stdin", "--base-url", relay.url, input="sk-wrong000000000000000\n")
    assert done.code == 5, done.output
    assert kc("profile", "list", "--json").json()["results"] == []


def test_profile_add_dry_run_and_key_env(kc, relay, monkeypatch):
    monkeypatch.setenv("WORK_KEY", KEY)
    dry = kc("profile", "add", "work", "--key-env", "WORK_KEY", "--base-url", relay.url, "--dry-run", "--json")
    assert dry.code == 0, dry.output
    assert dry.json()["results"][-1]["status"] == "planned" and KEY not in dry.stdout
    assert kc("profile", "list", "--json").json()["results"] == []
    assert kc("profile", "add", "work", "--key-env", "WORK_KEY", "--base-url", relay.url).code == 0


# ---- run: refusals, --print ----------------------------------------------------------------------------

def test_run_refuses_desktop_apps_unknown_clients_and_json_without_dry_run(kc, two):
    cursor = kc("run", "cursor")
    assert cursor.code == 2 and "desktop app" in cursor.stderr
    assert kc("run", "vim").code == 2
    assert kc("run", "codex", "--json").code == 2
    assert kc("run", "opencode", "--dry-run").code == 2  # opencode needs a model


def test_run_of_a_missing_program_is_a_clear_usage_error(kc, two, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    result = kc("run", "codex")
    assert result.code == 2 and "codex is not on PATH" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_printed_line_runs_in_the_real_shell_with_the_key_fetched_at_run_time(kc, two, shell):
    program = require_tool(shell)
    result = kc("run", "shell", "--profile", "B", "--print", "--shell", shell, "--", "python3", "-c", PRINT_ENV)
    assert result.code == 0, result.output
    line = result.stdout.strip()
    assert KEY_B not in line and "secret B" in line
    env = {**os.environ, "ANTHROPIC_API_KEY": "sk-stray-export-000000000"}
    done = subprocess.run([program, "-c", line], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [KEY_B, "None"]  # the key arrived; the stray export was taken out


def test_printed_powershell_line_fetches_the_key_and_restores_the_session(kc, two):
    line = kc("run", "codex", "--profile", "B", "--print", "--shell", "powershell").stdout.strip()
    assert KEY_B not in line
    assert "$env:KEYCONF_CODEX_API_KEY = (& " in line and "secret B)" in line
    assert "finally { foreach ($n in $saved.Keys)" in line
    import shutil

    if not (shutil.which("pwsh") or shutil.which("powershell")):
        pytest.skip("no PowerShell here: the line's shape is checked above")


# ---- run: exec pass-through -------------------------------------------------------------------------------

def test_exit_status_passes_through(two):
    done = keyconf("run", "shell", "--profile", "B", "--", "sh", "-c", "exit 7")
    assert done.returncode == 7, done.stderr


def test_run_is_an_exec_and_ctrl_c_reaches_the_client(two, tmp_path):
    """The keyconf process becomes the client (same pid): SIGINT goes to the client's own handler, and what
    the client exits with is what the caller sees. Neither the key is on its command line."""
    script = ("import signal, sys, time\n"
              "signal.signal(signal.SIGINT, lambda *a: sys.exit(42))\n"
              "print('ready', flush=True)\n"
              "time.sleep(60)\n")
    stop = cmdline_watch(KEY_B)
    proc = subprocess.Popen([str(EXE), "run", "shell", "--profile", "B", "--", "python3", "-c", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "ready"
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[0].endswith(b"python3") and cmdline[1] == b"-c"  # the same process, now the client
        assert Path(f"/proc/{proc.pid}/cwd").resolve() == tmp_path.resolve()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 42
    finally:
        proc.kill()
    assert stop() == []
    assert "keyconf run: shell with profile B (--profile)" in proc.stderr.read()


def test_stdin_and_stdout_are_the_clients(two):
    done = subprocess.run([str(EXE), "run", "shell", "--profile", "B", "--", "cat"], input="hello\n",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "hello\n"


def test_signals_python_ignores_are_default_again_in_the_client(two):
    """Python starts with SIGPIPE ignored and exec keeps an ignored signal ignored: keyconf undoes that, so
    `keyconf run shell -- yes | head -1` ends like `yes | head -1`."""
    done = subprocess.run(f"'{EXE}' run shell --profile B -- yes | head -1", shell=True, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout == "y\n" and "Broken pipe" not in done.stderr


# ---- run: light -------------------------------------------------------------------------------------------

PROBE = """
import sys
from keyconf.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print("LOADED:" + " ".join(m for m in ("httpx", "keyring", "tomlkit", "sqlite3") if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("client", ["claude-code", "codex", "gemini-cli", "opencode", "shell"])
def test_run_imports_no_heavy_module(two, client):
    args = ["run", client, "--profile", "B", "--model", "m", "--print", "--shell", "bash"]
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True,
                            timeout=60)
    assert "LOADED:" in result.stderr, result.stderr
    assert result.stderr.rsplit("LOADED:", 1)[1].split() == []


# ---- real clients ---------------------------------------------------------------------------------------

@pytest.mark.e2e
def test_claude_in_a_pinned_folder_goes_to_the_pinned_profile(kc, home, tmp_path, monkeypatch):
    """Global settings on relay A, the project pinned to B: a plain `keyconf run claude-code` goes to B."""
    import fakerelay

    claude = real_binary("claude")
    relay_a, relay_b = fakerelay.start(keys=[KEY]), fakerelay.start(keys=[KEY_B])
    try:
        assert kc("use", "claude-code", "--profile", "A", "--key-stdin", "--base-url", relay_a.url, "--no-verify",
                  input=KEY + "\n").code == 0
        assert kc("profile", "add", "B", "--key-stdin", "--base-url", relay_b.url, "--no-verify",
                  input=KEY_B + "\n").code == 0
        project = tmp_path / "project"
        (project / "sub").mkdir(parents=True)
        monkeypatch.chdir(project)
        assert kc("pin", "B").code == 0
        env = {"PATH": f"{Path(claude).parent}{os.pathsep}{os.environ['PATH']}", "DISABLE_TELEMETRY": "1",
               "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        done = keyconf("run", "claude-code", "--", "-p", "ping", "--model", "claude-sonnet-4-5", cwd=project / "sub",
                       env=env)
    finally:
        relay_a.stop()
        relay_b.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pong" in done.stdout
    assert f"pinned by {project / '.keyconf.toml'}" in done.stderr
    calls = [r for r in relay_b.seen("/v1/messages")]
    assert calls and all(c.headers.get("authorization") == f"Bearer {KEY_B}" for c in calls)
    assert relay_a.requests == []


@pytest.mark.e2e
def test_gemini_with_a_google_login_selected_runs_on_the_key_through_an_overlay_home(kc, home, relay):
    """selectedType = oauth-personal in the user's settings would make Gemini CLI ignore the key; the run's
    overlay home (keyconf's folder) carries a copy with gemini-api-key and links to the user's other files."""
    gemini = real_binary("gemini")
    folder = home / ".gemini"
    folder.mkdir()
    settings = {"security": {"auth": {"selectedType": "oauth-personal"}}, "ui": {"theme": "GitHub"},
                "privacy": {"usageStatisticsEnabled": False},
                "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False}}
    (folder / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    (folder / "trustedFolders.json").write_text("{}\n")
    assert kc("profile", "add", "B", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    before = snapshot(home)
    work = home / "work"
    work.mkdir()
    env = {"PATH": f"{Path(gemini).parent}{os.pathsep}{os.environ['PATH']}", "GEMINI_TELEMETRY_ENABLED": "false",
           "NO_COLOR": "1"}
    done = keyconf("run", "gemini-cli", "--profile", "B", "--model", "gemini-2.5-flash", "--", "--skip-trust", "-p",
                   "ping", cwd=work, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = [r for r in relay.requests if r.path.startswith("/v1beta/models/gemini-2.5-flash")]
    assert calls and all(c.headers.get("x-goog-api-key") == KEY for c in calls)
    after = snapshot(home)
    assert {k: after.get(k) for k in before} == before
    overlays = list((home / ".config" / "keyconf" / "run" / "gemini-cli").glob("home-*/.gemini"))
    assert len(overlays) == 1
    copy = overlays[0] / "settings.json"
    assert json.loads(copy.read_text())["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert copy.stat().st_mode & 0o777 == 0o600 and KEY.encode() not in copy.read_bytes()
    assert (overlays[0] / "trustedFolders.json").resolve() == (folder / "trustedFolders.json").resolve()


@pytest.mark.e2e
def test_codex_exit_status_of_a_failing_run_passes_through(kc, home, relay):
    """`keyconf run codex -- exec` against a relay that refuses the key ends as codex itself does."""
    codex = real_binary("codex")
    relay.fail(401, "Invalid token")
    assert kc("profile", "add", "B", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    work = home / "work"
    work.mkdir()
    env = {"PATH": f"{Path(codex).parent}{os.pathsep}{os.environ['PATH']}", "RUST_LOG": "error"}
    args = ("--", "exec", "--skip-git-repo-check", "ping")
    started = time.monotonic()
    via = keyconf("run", "codex", "--profile", "B", "--model", "gpt-5-codex", *args, cwd=work, env=env)
    assert time.monotonic() - started < 110
    argv = kc("run", "codex", "--profile", "B", "--model", "gpt-5-codex", "--dry-run", "--json").json()
    direct = subprocess.run([codex, *argv["results"][0]["argv"][1:], *args[1:]], capture_output=True, text=True,
                            timeout=120, cwd=work, env={**os.environ, **env, "KEYCONF_CODEX_API_KEY": KEY},
                            stdin=subprocess.DEVNULL)
    assert via.returncode != 0 and via.returncode == direct.returncode, (via.stderr, direct.stderr)


# ---- the short way in -------------------------------------------------------------------------------------

@pytest.mark.parametrize("words, parsed", [
    (["codex"], ("codex", {}, [])),
    (["codex", "--profile", "B", "--", "exec", "--json", "hi"],
     ("codex", {"--profile": "B"}, ["exec", "--json", "hi"])),
    (["codex", "exec", "--model=gpt-5", "hi"], ("codex", {"--model": "gpt-5"}, ["exec", "hi"])),
    (["codex", "--print"], None),
    (["codex", "--dry-run"], None),
    (["codex", "--json"], None),
    (["codex", "-h"], None),
    (["codex", "--profile"], None),
    (["codex", "--profile", "--", "x"], None),
    (["codex", "--profile", "A", "--profile", "B"], None),
    (["codex", "--bogus"], None),
    (["codex", "sk-pasted0123456789abc"], None),
    (["--profile", "B", "codex"], None),
    ([], None),
])
def test_which_run_lines_take_the_short_way_in(words, parsed):
    """Plain lines skip click; every other line (help, --print, --json, mistakes) gets the full CLI."""
    from keyconf.launch import _simple_run

    assert _simple_run(words) == parsed


def test_mistakes_on_the_short_way_are_reported_by_the_full_cli(two):
    unknown = keyconf("run", "codex", "--profile", "nope")
    assert unknown.returncode == 2 and "no profile named 'nope'" in unknown.stderr
    assert keyconf("run", "vim").returncode == 2
    assert keyconf("run", "codex", "--bogus").returncode == 2
    helped = keyconf("run", "--help")
    assert helped.returncode == 0 and "Examples:" in helped.stdout


@pytest.mark.keyring
def test_run_reads_a_key_kept_in_the_real_keyring(kc, relay, monkeypatch):
    """A profile whose key is in the system keyring: `run` fetches it there (the only case it imports
    keyring) and hands it to the client's environment."""
    from test_secrets import _keyring_ready

    if not _keyring_ready():
        pytest.skip("no keyring daemon (run under scripts/test)")
    monkeypatch.setenv("KEYCONF_SECRET_STORE", "keyring")
    done = kc("profile", "add", "kr", "--key-stdin", "--base-url", relay.url, "--no-verify", input=KEY + "\n")
    assert done.code == 0, done.output
    assert kc("profile", "show", "kr", "--json").json()["results"][0]["secret_store"] == "keyring"
    ran = keyconf("run", "shell", "--profile", "kr", "--", "python3", "-c", PRINT_ENV)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [KEY, "None"]


def test_aliases_name_clients_in_run_and_in_a_pin(kc, two, project):
    (project / ".keyconf.toml").write_text('profile = "B"\n\n[models]\nclaude = "claude-sonnet-4-5"\n')
    planned = kc("run", "claude", "--dry-run", "--json")
    assert planned.code == 0, planned.output
    item = planned.json()["results"][0]
    assert item["client"] == "claude-code" and item["env"]["ANTHROPIC_MODEL"] == "claude-sonnet-4-5"
    done = keyconf("run", "claude", "--", "--version", env={"PATH": "/nonexistent"})
    assert done.returncode == 2 and "claude is not on PATH" in done.stderr


def test_the_shell_client_runs_a_program_given_by_its_path(two, tmp_path):
    tool = tmp_path / "tool.sh"
    tool.write_text('#!/bin/sh\necho "$OPENAI_BASE_URL" "$#"\n')
    tool.chmod(0o755)
    done = keyconf("run", "shell", "--profile", "B", "--", "./tool.sh", "a b", "=c", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [two.url + "/v1", "2"]
    missing = keyconf("run", "shell", "--profile", "B", "--", "./nope.sh", cwd=tmp_path)
    assert missing.returncode == 2 and "./nope.sh is not an executable file" in missing.stderr
