"""A one-line spinner on stderr naming what is still being waited for ("checking claude-code, codex").

Only on a terminal and never under --json (the caller decides with `enabled`); a context manager whose
thread is joined on exit, so nothing is left running. Lines printed while it spins go through
`paused()`, which erases the spinner line first so output never lands in the middle of it.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager

_FRAMES_UNICODE = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_FRAMES_ASCII = "|/-\\"


class Spinner:
    def __init__(self, names, *, enabled: bool, label: str = "checking", stream=None,
                 interval: float = 0.1, delay: float = 0.2):
        self.stream = stream or sys.stderr
        self.names = list(names)
        self.label = label
        self.interval = interval
        self.delay = delay  # a check that answers quickly never shows a spinner at all (no flicker)
        self.enabled = enabled and _is_terminal(self.stream)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0  # what is on the line now, to erase it
        encoding = (getattr(self.stream, "encoding", "") or "").lower()
        self._frames = _FRAMES_UNICODE if "utf" in encoding else _FRAMES_ASCII

    def __enter__(self) -> Spinner:
        if self.enabled:
            self._thread = threading.Thread(target=self._spin, name="keyconf-spinner", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._erase()

    def done(self, name: str) -> None:
        """`name` has its answer: stop naming it."""
        with self._lock:
            if name in self.names:
                self.names.remove(name)

    @contextmanager
    def paused(self, done: str | None = None):
        """Erase the spinner line and keep it off while the caller prints (optionally marking `done`)."""
        with self._lock:
            if done is not None and done in self.names:
                self.names.remove(done)
            self._erase()
            yield

    # ------------------------------------------------------------------------------------------
    def _spin(self) -> None:
        if self._stop.wait(self.delay):
            return
        frame = 0
        while not self._stop.is_set():
            with self._lock:
                if self.names:
                    self._draw(self._frames[frame % len(self._frames)])
                else:
                    self._erase()
            frame += 1
            self._stop.wait(self.interval)

    def _draw(self, frame: str) -> None:
        text = f"{self.label} {', '.join(self.names)}…"
        limit = _columns(self.stream) - 3
        if len(text) > limit:
            text = text[: max(limit - 1, 0)] + "…"
        width = len(text) + 2
        if "NO_COLOR" not in os.environ:
            frame = f"\x1b[36m{frame}\x1b[0m"
        # Erased with spaces, not an erase-line sequence: fine on any terminal.
        self.stream.write(f"\r{frame} {text}" + " " * max(self._width - width, 0) + "\r")
        self.stream.flush()
        self._width = width

    def _erase(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _is_terminal(stream) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _columns(stream) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns >= 20 else 80  # a pty nobody sized says 0
