"""One Session per run, built once in `cli`: where files are (Paths, from the environment), keyconf's
environment knobs (each checked when first needed: a bad value is a usage error), where output goes (the
Reporter), where input comes from (keys and Base URLs through `key_io`), and whether a person is there to
answer.

Commands take the session instead of reading `os.environ` or `sys.stdin` themselves, so a test builds a
Session for any OS, any environment and any input without swapping process-wide globals.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from keyconf.output import Reporter
from keyconf.paths import Paths


class Session:
    def __init__(self, paths: Paths, out: Reporter, stdin: TextIO | None = None,
                 interactive: bool | None = None):
        self.paths = paths
        self.out = out
        self.stdin = stdin if stdin is not None else sys.stdin
        if interactive is None:
            interactive = _isatty(self.stdin)
        self.interactive = interactive  # a person at a terminal can be asked
        self.settings = paths.settings  # KEYCONF_* knobs, each checked (exit 2) when a command needs it

    @classmethod
    def from_environ(cls, out: Reporter) -> "Session":
        return cls(Paths.from_environ(), out)

    @property
    def env(self):
        return self.paths.env

    @property
    def can_ask(self) -> bool:
        """Questions go to a person only: not to scripts, and never into --json output."""
        return self.interactive and not self.out.json_mode

    def key_io(self, *, stdin_free: bool = True, read_stored=None, interactive: bool | None = None):
        """How keys come in for this run (keys.sources.KeyIO): this session's environment and standard input,
        and a terminal's prompts when a person is there. `stdin_free` False: standard input holds something
        else (an apply file read from `-`)."""
        from keyconf.keys.input import ask_visible, prompt_hidden
        from keyconf.keys.sources import KeyIO

        ask = self.interactive if interactive is None else interactive
        return KeyIO(self.env, stdin=self.stdin if stdin_free else None, prompt=prompt_hidden if ask else None,
                     read_stored=read_stored, ask=ask_visible if ask else None)

    def read_key(self, *, key_stdin: bool = False, key_env: str | None = None,
                 prompt: bool = True) -> tuple[str | None, list[str]]:
        """The key from --key-stdin, --key-env VAR, KEYCONF_API_KEY or a hidden prompt, and notes on what was
        cleaned from it; (None, []) when none was given and `prompt` is False."""
        from keyconf.keys.input import read_key_with_notes

        return read_key_with_notes(self.key_io(), key_stdin=key_stdin, key_env=key_env, prompt=prompt)

    def read_base_url(self, given: str | None = None, *, prompt: bool = True) -> str | None:
        from keyconf.keys.input import read_base_url

        return read_base_url(self.key_io(), given, prompt=prompt)

    def lock(self, *, recovery: bool = True, force: bool = False):
        """keyconf's one lock, with what it waited for and what it recovered said on stderr (a change killed
        half-way is finished or rolled back by whichever command takes the lock next; see engine.locked)."""
        from keyconf import engine

        return engine.locked(self.paths, notify=lambda text: self.out.say(text, err=True), recovery=recovery,
                             force=force)

    def recover_first(self) -> None:
        """Before a changing command reads keyconf's state: a change a killed keyconf left half-done is
        finished or rolled back now, under the lock (what was done is said on stderr)."""
        from keyconf import engine

        if engine.needs_recovery(self.paths):
            with self.lock():
                pass

    def at_terminal(self, *, stdout: bool = False) -> bool:
        """A person at a terminal can answer: the question on stderr, the answer from stdin (and, when what is
        shown before the question must be seen too, stdout). A desktop may start keyconf with none of them."""
        streams = (sys.stderr, sys.stdout) if stdout else (sys.stderr,)
        return self.can_ask and all(_isatty(s) for s in streams)

    def controlling_terminal(self) -> bool:
        """Standard input is taken (`pbpaste | keyconf import -`) but a person is at this process's terminal:
        messages reach it on stderr and /dev/tty can be asked. Never under --json."""
        if self.out.json_mode or not _isatty(sys.stderr) or os.name == "nt":
            return False
        try:
            with open("/dev/tty", "rb"):
                return True
        except OSError:
            return False

    def ask_terminal(self, question: str) -> bool:
        """A yes/no question on /dev/tty (see controlling_terminal); anything but y/yes is no."""
        with open("/dev/tty", "r+b", buffering=0) as tty:  # a terminal is not seekable: unbuffered bytes
            tty.write(f"{question} [y/N]: ".encode("utf-8", "replace"))
            answer = tty.readline(64).decode("utf-8", "replace")
        return answer.strip().lower() in ("y", "yes")

    def confirm(self, question: str, yes: bool) -> bool:
        """Ask on a terminal unless --yes; scripts are not asked, since every change can be undone."""
        if yes or not self.can_ask:
            return True
        import click

        return click.confirm(question, default=False, err=True)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
