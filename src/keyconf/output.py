"""The one place that prints. Human lines or one JSON document, always scrubbed of keys."""

from __future__ import annotations

import json
import os
import sys

from keyconf.errors import KeyconfError
from keyconf.masking import redact, redact_data


def _color_ok(stream) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


class Reporter:
    def __init__(self, command: str, json_mode: bool = False):
        self.command = command
        self.json_mode = json_mode
        self.results: list[dict] = []
        self.errors: list[dict] = []
        self.extra: dict = {}

    # human output -----------------------------------------------------------------------------
    def say(self, text: str = "", *, err: bool = False, style: str | None = None) -> None:
        """A human line (suppressed under --json, where stdout belongs to the JSON document)."""
        if self.json_mode and not err:
            return
        stream = sys.stderr if err else sys.stdout
        text = redact(text)
        if style and _color_ok(stream):
            import click

            text = click.style(text, fg=style)
        print(text, file=stream, flush=True)

    def warn(self, text: str) -> None:
        if self.json_mode:
            self.extra.setdefault("warnings", []).append(redact(text))
            return
        self.say(f"warning: {text}", err=True, style="yellow")

    def to_terminal(self) -> bool:
        """Whether stdout is a terminal (a person reads it) rather than a pipe or a file (a program does)."""
        try:
            return sys.stdout.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def raw(self, text: str) -> None:
        """Text printed as is: the one unmasked path (`keyconf secret`, `env --reveal`, `link --reveal`)."""
        sys.stdout.write(text)
        sys.stdout.flush()

    # structured results -----------------------------------------------------------------------
    def result(self, item: dict) -> None:
        self.results.append(item)

    def error(self, exc: KeyconfError, client: str | None = None) -> None:
        client = client or exc.client
        entry = {"code": int(exc.code), "message": redact(exc.message), "client": client}
        if exc.hint:
            entry["hint"] = redact(exc.hint)
        self.errors.append(entry)
        if not self.json_mode:
            prefix = f"{client}: " if client else ""
            self.say(f"error: {prefix}{exc.message}", err=True, style="red")
            if exc.hint:
                self.say(f"  hint: {exc.hint}", err=True)

    def failed(self, code: int, message: str, client: str | None = None, hint: str = "") -> None:
        """A failure already told to a person in its own lines (a failed check): listed in `errors` too, so
        a script reading --json finds every failure there."""
        entry = {"code": int(code), "message": redact(message), "client": client}
        if hint:
            entry["hint"] = redact(hint)
        self.errors.append(entry)

    def finish(self, code: int) -> int:
        if self.json_mode:
            doc = {"keyconf": 1, "command": self.command, "ok": code == 0, "exit_code": int(code),
                   "results": self.results, "errors": self.errors, **self.extra}
            # Mask the strings, then serialise: json.dumps escapes `"` and `\\`, and an escaped key no longer
            # looks like the key (a mask that ends in `"` inserted after serialising would break the JSON too).
            print(json.dumps(redact_data(doc), ensure_ascii=False, indent=2), flush=True)
        return int(code)
