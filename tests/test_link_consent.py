"""A link is untrusted input: it writes only with a person's yes on a terminal (or -y typed by the caller, never
for a clicked link), it never takes over an existing profile silently, and a clicked link's key leaves the
command line at once. The handler runs for real: the registered Exec line, the real xdg-open, a terminal
emulator (tests/fake_terminal.py, called as `$TERMINAL -e ...`) and /proc polled while the prompt waits."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import KEY, snapshot
from keyconf import links
from test_handler import desktop_file, exec_argv, xdg  # noqa: F401 - xdg is a fixture

EXE = Path(sys.executable).parent / "keyconf"
FAKE_TERMINAL = Path(__file__).parent / "fake_terminal.py"
OTHER = "sk-AttackerKey000011112222333"


def clean_env(**extra) -> dict:
    """No terminal emulator to be found unless one is given: $TERMINAL unset, a PATH without one."""
    env = {k: v for k, v in os.environ.items() if k != "TERMINAL"}
    env["PATH"] = f"{EXE.parent}:/usr/bin:/bin"
    env.update(extra)
    return env


def claude_link(relay, name="team", key=KEY):
    return links.ccswitch_link("claude", name, relay.url, key, {"model": "claude-sonnet-4-5"})[0]


# ---- consent -------------------------------------------------------------------------------------------------

def test_a_piped_link_without_yes_writes_nothing_and_json_still_prints(kc, home, relay):
    before = snapshot(home)
    result = kc("import", "-", "--json", input=claude_link(relay) + "\n")
    assert result.code == 2, result.output
    doc = result.json()
    assert doc["ok"] is False and "nobody at a terminal" in doc["errors"][0]["message"]
    assert "-y" in doc["errors"][0]["hint"]
    assert doc["host"]["host"] == "127.0.0.1" and doc["host"]["kind"] == "loopback (this machine)"
    assert snapshot(home) == before and not (home / ".config" / "keyconf").exists()


def test_yes_is_refused_for_a_clicked_link(kc, home, relay):
    before = snapshot(home)
    result = kc("import", "--from-handler", "-y", claude_link(relay))
    assert result.code == 2 and "--from-handler" in result.stderr
    assert snapshot(home) == before and KEY not in result.output


def test_the_handler_without_a_terminal_writes_nothing(home, relay, xdg):  # noqa: F811
    """The issue's two launch paths: the Exec line as a desktop runs it, and the real xdg-open, both with stdin
    /dev/null, no tty and no terminal emulator: exit 3, 0 writes (before: 2 of 2 wrote)."""
    assert subprocess.run([str(EXE), "handler", "install"], capture_output=True, timeout=60).returncode == 0
    link = claude_link(relay)
    writes = 0
    for argv in (exec_argv(home, link), ["xdg-open", link]):
        before = snapshot(home)
        # xdg-open looks up the scheme's handler only with a display (else it tries text browsers)
        run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                             env=clean_env(DISPLAY=":99"), start_new_session=True)  # no controlling terminal
        assert run.returncode == (3 if argv[0] != "xdg-open" else 4), run.stdout + run.stderr  # xdg-open: 4
        assert "nothing was written" in run.stderr and "no terminal emulator" in run.stderr
        writes += snapshot(home) != before
        assert KEY not in run.stdout + run.stderr
    assert writes == 0
    assert not (home / ".claude" / "settings.json").exists()


def _fake_terminal_env(tmp_path, answers=(), no_tty=False):
    screen = tmp_path / "screen.txt"
    env = clean_env(TERMINAL=f"{sys.executable} {FAKE_TERMINAL}", FAKE_TERMINAL_SCREEN=str(screen),
                    FAKE_TERMINAL_ANSWERS=json.dumps(list(answers)), XDG_RUNTIME_DIR=str(tmp_path))
    if no_tty:
        env["FAKE_TERMINAL_NO_TTY"] = "1"
    return env, screen


def _wait_for(path: Path, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)
    return path.read_text(errors="replace")


def test_the_handler_opens_a_terminal_and_asks_there(home, relay, tmp_path, xdg):  # noqa: F811
    """Exec line -> keyconf (no terminal) -> `$TERMINAL -e keyconf import --from-handler --link-from PIPE`: the
    preview, the host and the question on the new terminal; yes writes. The link never was on the terminal's
    command line, and the pipe's folder is gone afterwards."""
    assert subprocess.run([str(EXE), "handler", "install"], capture_output=True, timeout=60).returncode == 0
    env, screen = _fake_terminal_env(tmp_path, [("Import into", "y"), ("Press Enter to close", "")])
    run = subprocess.run(exec_argv(home, claude_link(relay)), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=120, env=env, start_new_session=True)
    assert run.returncode == 0, run.stdout + run.stderr
    shown = _wait_for(screen)
    assert "[exit 0]" in shown, shown
    assert "relay host: 127.0.0.1, loopback (this machine)" in shown and "sk-…YZ42" in shown
    assert KEY not in shown
    argv = json.loads(Path(str(screen) + ".argv").read_text())
    assert "--link-from" in argv and not any(KEY in a for a in argv)
    env_written = json.loads((home / ".claude" / "settings.json").read_text())["env"]
    assert env_written["ANTHROPIC_AUTH_TOKEN"] == KEY and env_written["ANTHROPIC_BASE_URL"] == relay.url
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("keyconf-link-")]


def test_no_on_the_handlers_terminal_writes_nothing(home, relay, tmp_path, xdg):  # noqa: F811
    assert subprocess.run([str(EXE), "handler", "install"], capture_output=True, timeout=60).returncode == 0
    env, screen = _fake_terminal_env(tmp_path, [("Import into", "n"), ("Press Enter to close", "")])
    before = snapshot(home)
    run = subprocess.run(exec_argv(home, claude_link(relay)), stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=120, env=env, start_new_session=True)
    assert run.returncode == 0
    assert "nothing was changed" in _wait_for(screen)
    assert snapshot(home) == before


def test_a_terminal_without_a_tty_writes_nothing(home, relay, tmp_path, xdg):  # noqa: F811
    """A launcher whose "terminal" gives no tty: the keyconf in it refuses too (exit 3)."""
    assert subprocess.run([str(EXE), "handler", "install"], capture_output=True, timeout=60).returncode == 0
    env, screen = _fake_terminal_env(tmp_path, no_tty=True)
    before = snapshot(home)
    subprocess.run(exec_argv(home, claude_link(relay)), stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=120, env=env, start_new_session=True)
    shown = _wait_for(screen)
    assert "[exit 3]" in shown and "nothing was written" in shown
    assert snapshot(home) == before


# ---- the key leaves the command line at once ---------------------------------------------------------------

def _cmdlines_with(needle: bytes, skip: int) -> int:
    hits = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == skip:
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                hits += needle in f.read()
        except OSError:
            pass
    return hits


def poll_handler(relay, polls_while_waiting: int = 200) -> dict:
    """`keyconf import --from-handler LINK` on a pty, /proc/*/cmdline of every process polled from the start;
    the figures the issue asks for. The key is this run's own (other test runs on the machine use KEY)."""
    import secrets

    key = "sk-Poll" + secrets.token_hex(12)
    relay.keys.add(key)
    main, child = pty.openpty()
    start = time.monotonic()
    proc = subprocess.Popen([str(EXE), "import", "--from-handler", claude_link(relay, key=key)], stdin=child,
                            stdout=child, stderr=child, close_fds=True, env=clean_env())
    os.close(child)
    seen, last_hit, early_polls, early_hits = bytearray(), None, 0, 0
    while b"Import into" not in seen:
        assert time.monotonic() - start < 60, bytes(seen)
        early_polls += 1
        if _cmdlines_with(key.encode(), os.getpid()):
            early_hits += 1
            last_hit = time.monotonic() - start
        if select.select([main], [], [], 0)[0]:
            seen.extend(os.read(main, 4096))
    waiting_hits = sum(_cmdlines_with(key.encode(), os.getpid()) for _ in range(polls_while_waiting))
    with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
        own = f.read().split(b"\0")
    os.write(main, b"n\r")
    deadline = time.monotonic() + 30
    while b"Press Enter" not in seen and time.monotonic() < deadline:
        if select.select([main], [], [], 0.1)[0]:
            seen.extend(os.read(main, 4096))
    os.write(main, b"\r")
    proc.wait(timeout=30)
    os.close(main)
    return {"early_polls": early_polls, "early_hits": early_hits, "window_s": last_hit,
            "waiting_polls": polls_while_waiting, "waiting_hits": waiting_hits, "own_cmdline": own}


def test_the_clicked_links_key_leaves_proc_cmdline_at_once(home, relay):
    figures = poll_handler(relay)
    print("\n/proc figures:", {k: v for k, v in figures.items() if k != "own_cmdline"})
    assert figures["waiting_hits"] == 0  # every poll while the question waits: no process shows the key
    assert figures["own_cmdline"][-3:] == [b"--from-handler", b"-", b""] or b"-" in figures["own_cmdline"]
    if figures["window_s"] is not None:
        assert figures["window_s"] < 2.0  # the interpreter's start, before main() runs


def test_scrub_argv_blanks_only_the_link():
    from keyconf.osenv import handoff

    assert handoff.link_arguments(["import", "--to", "codex", "--profile", "p", "ccswitch://x", "-y"]) == [
        "ccswitch://x"]
    assert handoff.link_arguments(["use", "codex"]) == []
    code = ("import sys; from keyconf.osenv.handoff import scrub_argv; ok = scrub_argv([sys.argv[2]]);"
            "print(ok, open('/proc/self/cmdline','rb').read().split(b'\\0')[3:5])")
    done = subprocess.run([sys.executable, "-c", code, "keep", "ccswitch://v1/import?apiKey=" + KEY],
                          capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "True [b'keep', b'-']", done.stdout + done.stderr


# ---- no silent take-over -----------------------------------------------------------------------------------

def _profiles(kc):
    return {p["profile"]: p for p in kc("profile", "list", "--json").json()["results"]}


def test_a_link_named_like_an_existing_profile_becomes_a_new_one(kc, home, relay):
    """The issue's take-over: `default` bound to three clients, then a link named `default` with another host
    and key, piped with -y. Before: 3 of 3 clients moved, the user's key gone. Now: 0 profiles changed."""
    relay.keys.add(OTHER)
    assert kc("use", "claude-code", "codex", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "bash",
              input=KEY + "\n").code == 0
    before = _profiles(kc)
    assert list(before) == ["default"]
    codex_before = (home / ".codex" / "config.toml").read_bytes()
    shell_before = (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_bytes()
    attacker = relay.url.replace("127.0.0.1", "localhost")
    link = links.ccswitch_link("claude", "default", attacker, OTHER, {})[0]
    result = kc("import", "-", "-y", "--json", input=link + "\n")
    assert result.code == 0, result.output
    after = _profiles(kc)
    changed = [name for name in before if after[name]["base_url"] != before[name]["base_url"]
               or after[name].get("key") != before[name].get("key")]
    assert changed == []
    assert after["default-2"]["base_url"] == attacker
    assert kc("secret", "default").stdout.strip() == KEY  # the user's own key is still there
    assert (home / ".codex" / "config.toml").read_bytes() == codex_before  # only the link's client moved
    assert (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_bytes() == shell_before
    assert "stays as it is" in result.stderr and "default-2" in result.stderr


def test_replacing_a_profile_needs_its_name_and_a_yes(kc, home, relay):
    relay.keys.add(OTHER)
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", "team",
              input=KEY + "\n").code == 0
    link = links.ccswitch_link("codex", "team", relay.url, OTHER, {})[0]
    refused = kc("import", "-", "--profile", "team", input=link + "\n")
    assert refused.code == 2 and kc("secret", "team").stdout.strip() == KEY
    done = kc("import", "-", "--profile", "team", "-y", input=link + "\n")
    assert done.code == 0, done.output
    assert kc("secret", "team").stdout.strip() == OTHER


def test_the_same_link_again_reuses_its_profile(kc, home, relay):
    link = claude_link(relay, name="work")
    assert kc("import", "-", "-y", input=link + "\n").code == 0
    again = kc("import", "-", "-y", "--json", input=link + "\n")
    assert again.code == 0 and again.json()["results"][0]["profile"] == "work"
    assert list(_profiles(kc)) == ["work"]


@pytest.mark.parametrize("answer, written", [("y", True), ("n", False)])
def test_a_pasted_link_on_a_terminal_shows_the_host_and_asks(home, relay, answer, written):
    from test_terminal import on_terminal

    link = claude_link(relay)
    code, screen = on_terminal(["import"], [(b"Paste the link (input hidden)", link), (b"Import into", answer)],
                               env=clean_env())
    assert code == 0, screen
    assert "relay host: 127.0.0.1, loopback (this machine)" in screen and KEY not in screen
    assert (home / ".claude" / "settings.json").exists() is written


def _piped_on_terminal(command: str, answers, env) -> tuple[int, str]:
    """`sh -c COMMAND` (a pipeline into keyconf) with a pty as its controlling terminal, as in a terminal
    window: keyconf's stdin is the pipe, and the question goes to /dev/tty."""
    from test_terminal import on_terminal

    return on_terminal(None, answers, env, argv=["sh", "-c", command], controlling=True, timeout=60)


@pytest.mark.parametrize("answer, written", [("y", True), ("n", False)])
def test_a_piped_link_asks_the_person_at_the_terminal(home, relay, answer, written):
    """`pbpaste | keyconf import -` in a terminal: stdin is the pipe, the question goes to /dev/tty."""
    env = clean_env(LINK=claude_link(relay))
    code, screen = _piped_on_terminal(f'printf "%s\\n" "$LINK" | {EXE} import -', [(b"Import into", answer)], env)
    assert code == 0, screen
    assert "relay host: 127.0.0.1, loopback (this machine)" in screen and KEY not in screen
    assert (home / ".claude" / "settings.json").exists() is written


def test_a_piped_env_script_says_what_it_found_and_asks(home, relay):
    env = clean_env(SCRIPT=f"export ANTHROPIC_BASE_URL={relay.url}\nexport ANTHROPIC_AUTH_TOKEN={KEY}\n")
    code, screen = _piped_on_terminal(f'printf "%s" "$SCRIPT" | {EXE} import -', [(b"Import into", "y")], env)
    assert code == 0, screen
    assert f"pasted: env script: Base URL {relay.url}" in screen and "sk-…YZ42" in screen and KEY not in screen
    assert json.loads((home / ".claude" / "settings.json").read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY
