"""A clicked link, from the OS to a person at a terminal, without the key lingering in a command line.

The OS starts a URL handler with the link (and so the key) as an argument, and `/proc/PID/cmdline` is readable
by every local user for as long as the process lives. So:

- `scrub_argv` overwrites the link in this process's own command line as soon as `main` runs (Linux: the
  kernel serves cmdline from the process's memory, which /proc/self/mem can rewrite, as setproctitle does);
  Python keeps its own copy in `sys.argv`, which no other process can read.
- `open_terminal`: a desktop starts the handler without a terminal (xdg-open does, whatever `Terminal=true`
  says, when the browser has one), so keyconf opens one itself (`$TERMINAL`, else `x-terminal-emulator`) and
  hands it the link through a named pipe in a private folder: the new process's command line holds a path,
  never the link.
- `read_fifo`: the other end, in the terminal.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

# import's options that take a value: the word after them is not the link
_VALUE_OPTIONS = ("--to", "--profile", "--model", "--timeout", "--link-from")
HANDOFF_SECONDS = 120  # how long a terminal may take to start and read the link


def link_arguments(argv: list[str]) -> list[str]:
    """The positional arguments of `keyconf import ...` (the link), or [] for any other command."""
    if "import" not in argv:
        return []
    found, skip = [], False
    for arg in argv[argv.index("import") + 1:]:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif arg == "--":
            continue
        elif not arg.startswith("-") and arg:
            found.append(arg)
    return found


def scrub_argv(secrets: list[str]) -> bool:
    """Blank these arguments in /proc/self/cmdline (Linux). True when the command line no longer shows them."""
    if not secrets or not os.path.exists("/proc/self/stat"):
        return False
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2:].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (proc(5) fields 48, 49)
        with open("/proc/self/mem", "r+b", buffering=0) as mem:
            mem.seek(start)
            raw = mem.read(end - start)
            words = raw.split(b"\0")
            wanted = {os.fsencode(s) for s in secrets}
            # same length, so nothing after it moves: "-" then NULs (ps shows `import -`)
            new = b"\0".join(b"-" + b"\0" * (len(w) - 1) if w in wanted and w else w for w in words)
            if new != raw:
                mem.seek(start)
                mem.write(new)
        with open("/proc/self/cmdline", "rb") as f:
            shown = f.read()
        return not any(w in shown for w in wanted)
    except (OSError, ValueError, IndexError):
        return False


def terminal_command(env: Mapping[str, str]) -> list[str] | None:
    """The user's terminal emulator, as `[program, "-e"]`: $TERMINAL, else Debian's x-terminal-emulator."""
    import shlex

    from keyconf.osenv.system import which

    path = env.get("PATH") or os.defpath
    chosen = env.get("TERMINAL", "").strip()
    if chosen:
        try:
            words = shlex.split(chosen)
        except ValueError:
            words = []
        program = words and (words[0] if os.path.isabs(words[0]) else which(words[0], path))
        if program and os.access(program, os.X_OK):
            return [program, *words[1:], "-e"]
    program = which("x-terminal-emulator", path)
    return [program, "-e"] if program else None


def open_terminal(env: Mapping[str, str], keyconf: list[str], link: str, extra: list[str]) -> str | None:
    """Start `keyconf import --from-handler` in a new terminal and give it the link through a named pipe.
    None when it was read there; else why not (no terminal emulator, or it never read the link)."""
    import subprocess
    import tempfile

    term = terminal_command(env)
    if term is None:
        return "no terminal emulator was found ($TERMINAL is unset and x-terminal-emulator is not installed)"
    folder = tempfile.mkdtemp(prefix="keyconf-link-", dir=env.get("XDG_RUNTIME_DIR") or None)  # mode 0700
    fifo = os.path.join(folder, "link")
    try:
        os.mkfifo(fifo, 0o600)
        command = [*term, *keyconf, "import", "--from-handler", *extra, "--link-from", fifo]
        proc = subprocess.Popen(command, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + HANDOFF_SECONDS
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until the terminal's keyconf opens it
                break
            except OSError as exc:
                import errno

                if exc.errno != errno.ENXIO:
                    raise
            if proc.poll() not in (None, 0):
                return f"the terminal ({os.path.basename(term[0])}) exited with status {proc.returncode}"
            if time.monotonic() > deadline:
                return f"the terminal ({os.path.basename(term[0])}) did not start keyconf within " \
                       f"{HANDOFF_SECONDS} seconds"
            time.sleep(0.05)
        os.set_blocking(fd, True)
        try:
            data = link.encode("utf-8", "surrogateescape")
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        return None
    except OSError as exc:
        return f"could not start a terminal: {exc.strerror or exc}"
    finally:
        for remove, path in ((os.unlink, fifo), (os.rmdir, folder)):
            try:
                remove(path)
            except OSError:
                pass


def read_fifo(path: str, limit: int) -> str:
    """The link from the named pipe `open_terminal` made. Only a pipe of this user is read (the option is
    hidden, but a path to some other file must not become a link)."""
    import stat

    from keyconf.errors import UsageError

    try:
        info = os.stat(path)
        if not stat.S_ISFIFO(info.st_mode) or info.st_uid != os.getuid():
            raise UsageError("--link-from takes the pipe keyconf's handler made, nothing else")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"could not read the link from the handler: {exc.strerror or exc}") from None
    return data.decode("utf-8", "surrogateescape").strip()


def notify(env: Mapping[str, str], message: str) -> None:
    """A desktop notification, best effort: a handler without a terminal has no other way to be seen."""
    import subprocess

    from keyconf.osenv.system import which

    program = which("notify-send", env.get("PATH") or os.defpath)
    if program:
        try:
            subprocess.run([program, "keyconf", message], env=dict(env), timeout=5, capture_output=True,
                           stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass
