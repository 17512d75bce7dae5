"""keyconf on a real terminal (a pty): the client menu of `use`, the empty-key refusal, and `env` masking
on a terminal while refusing a pipe."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

from conftest import KEY

EXE = Path(os.sys.executable).parent / "keyconf"


def _read_until(fd: int, needle: bytes, seen: bytearray, start: int, timeout: float = 20) -> int:
    """Read until `needle` appears after `start`; return where it ends."""
    deadline = time.monotonic() + timeout
    while seen.find(needle, start) < 0:
        assert time.monotonic() < deadline, f"waited for {needle!r}; got {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.extend(os.read(fd, 4096))
            except OSError:
                break
    return seen.find(needle, start) + len(needle)


def on_terminal(args, answers, env=None, *, argv=None, controlling: bool = False, timeout: float = 30):
    """Run keyconf (or `argv`) with stdin, stdout and stderr on one pty; answer each prompt as it appears.
    `controlling`: the pty is also its controlling terminal (/dev/tty), as in a terminal window."""
    def take_terminal():
        import fcntl
        import termios

        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    main, child = pty.openpty()
    proc = subprocess.Popen(argv or [str(EXE), *args], stdin=child, stdout=child, stderr=child,
                            env=dict(env or os.environ), close_fds=True,
                            preexec_fn=take_terminal if controlling else None)
    os.close(child)
    seen, at = bytearray(), 0
    for prompt, answer in answers:
        at = _read_until(main, prompt, seen, at)
        os.write(main, answer.encode() + b"\r")
    code = proc.wait(timeout=timeout)
    try:
        while select.select([main], [], [], 0.2)[0]:
            seen.extend(os.read(main, 4096))
    except OSError:
        pass
    os.close(main)
    return code, bytes(seen).decode("utf-8", "replace")


def test_use_without_a_client_offers_a_menu_and_takes_a_number(home, relay, no_clients_on_path):
    (home / ".codex").mkdir()  # installed: codex and the shell (no client binary on this PATH)
    env = {**os.environ, "PATH": str(no_clients_on_path)}
    code, screen = on_terminal(["use", "--no-verify"], [
        (b"Enter: all installed)", "2"), (b"Base URL", relay.url), (b"API key (input hidden)", KEY)], env)
    assert code == 0, screen
    assert "1. codex" in screen and "2. shell" in screen
    assert KEY not in screen
    assert not (home / ".codex" / "config.toml").exists()  # 2 = shell only
    assert KEY in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()


def test_the_key_prompt_refuses_an_empty_key_and_says_why(home, relay):
    code, screen = on_terminal(["use", "codex", "--no-verify", "--base-url", relay.url], [
        (b"API key (input hidden)", ""), (b"API key (input hidden)", KEY)])
    assert code == 0, screen
    first_prompt = screen.index("API key (input hidden)")
    second = screen.index("API key (input hidden)", first_prompt + 1)
    reason = screen[first_prompt:second].lower()
    assert "empty" in reason, screen
    assert KEY not in screen


def test_env_on_a_terminal_is_masked_and_in_a_pipe_refused(home, relay):
    done = subprocess.run([str(EXE), "use", "shell", "--key-stdin", "--base-url", relay.url, "--no-verify",
                           "--shell", "bash"], input=KEY + "\n", text=True, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    code, screen = on_terminal(["env", "shell", "--shell", "bash"], [])
    assert code == 0, screen
    assert "export OPENAI_API_KEY='sk-…YZ42'" in screen and KEY not in screen
    # a real pipe, as in eval "$(keyconf env shell)": nothing on stdout, exit 2, the reason on stderr
    piped = subprocess.run([str(EXE), "env", "shell", "--shell", "bash"], capture_output=True, text=True, timeout=60)
    assert piped.returncode == 2 and piped.stdout == ""
    assert "add --reveal: this output is meant for eval" in piped.stderr
    revealed = subprocess.run([str(EXE), "env", "shell", "--shell", "bash", "--reveal"], capture_output=True,
                              text=True, timeout=60)
    assert revealed.returncode == 0 and f"export OPENAI_API_KEY='{KEY}'" in revealed.stdout
