"""A terminal emulator for tests, called as `$TERMINAL -e COMMAND...` (the contract of x-terminal-emulator):
runs COMMAND on a new pty, answers its prompts in order from FAKE_TERMINAL_ANSWERS (a JSON list of
[prompt, answer]), and writes its own argv to FAKE_TERMINAL_SCREEN.argv and what the command showed, then
`[exit N]`, to FAKE_TERMINAL_SCREEN. With FAKE_TERMINAL_NO_TTY=1 it runs COMMAND with no terminal at all
(stdin /dev/null, output to files), as a broken launcher would."""

import json
import os
import pty
import select
import subprocess
import sys
import time

command = sys.argv[sys.argv.index("-e") + 1:]
screen = os.environ["FAKE_TERMINAL_SCREEN"]
with open(screen + ".argv", "w") as f:
    json.dump(sys.argv, f)

if os.environ.get("FAKE_TERMINAL_NO_TTY"):
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    with open(screen + ".tmp", "wb") as f:
        f.write(done.stdout + done.stderr + f"\n[exit {done.returncode}]\n".encode())
    os.replace(screen + ".tmp", screen)
    sys.exit(0)

answers = json.loads(os.environ.get("FAKE_TERMINAL_ANSWERS", "[]"))
main, child = pty.openpty()
proc = subprocess.Popen(command, stdin=child, stdout=child, stderr=child, close_fds=True)
os.close(child)
seen, at = bytearray(), 0
deadline = time.monotonic() + 90


def pump() -> bool:
    ready, _, _ = select.select([main], [], [], 0.1)
    if ready:
        try:
            data = os.read(main, 4096)
        except OSError:
            return False
        if not data:
            return False
        seen.extend(data)
    return True


for prompt, answer in answers:
    needle = prompt.encode()
    while seen.find(needle, at) < 0 and time.monotonic() < deadline and pump():
        pass
    if seen.find(needle, at) < 0:
        break
    at = seen.find(needle, at) + len(needle)
    os.write(main, answer.encode() + b"\r")
code = proc.wait(timeout=90)
while pump() and select.select([main], [], [], 0.2)[0]:
    pass
with open(screen + ".tmp", "wb") as f:
    f.write(bytes(seen) + f"\n[exit {code}]\n".encode())
os.replace(screen + ".tmp", screen)
