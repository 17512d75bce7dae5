"""The `keyconf` program. `keyconf run CLIENT [--profile P] [--model M] [-- ARGS]` is what people put in
aliases and start many times a day, so it takes a short way in: without importing click and the whole
command table (about half of keyconf's start-up), straight to `exec`. Any other form of the line (help,
--print, --dry-run, --json, an unknown option, an error to report) goes through the full CLI as always.
"""

from __future__ import annotations

import sys

_VALUED = ("--profile", "--model")


def _simple_run(words: list[str]) -> tuple[str, dict, list[str]] | None:
    """CLIENT, {--profile, --model} and the client's arguments of a plain `run` line; None for anything else
    (the full CLI then parses it, reports its errors and prints its help)."""
    if not words or words[0].startswith("-"):
        return None
    client, values, args = words[0], {}, []
    rest = iter(words[1:])
    for word in rest:
        if word == "--":
            args += list(rest)
            break
        name, eq, value = word.partition("=")
        if name in _VALUED:
            value = value if eq else next(rest, "")
            if not value or value.startswith("-") or name in values:
                return None
            values[name] = value
        elif word.startswith("-") or "sk-" in word:
            return None  # an option of keyconf's (or a pasted key): the full CLI handles and reports it
        else:
            args.append(word)
    return client, values, args


def _fast_run(words: list[str]) -> None:
    """Start the client if the line is a plain `run`; return (having done nothing) when it is not, or when
    something must be reported: the full CLI then says it, with its exit code and --json."""
    parsed = _simple_run(words)
    if parsed is None:
        return
    client, values, args = parsed
    from keyconf.adapters import canonical

    if canonical(client) is None:
        return
    from keyconf.commands import run
    from keyconf.errors import KeyconfError
    from keyconf.output import Reporter
    from keyconf.session import Session

    try:
        run.run(Session.from_environ(Reporter("run")), client, values.get("--profile"), values.get("--model"),
                tuple(args), False, None, False)
    except KeyconfError:
        return


def main() -> None:
    words = sys.argv[1:]
    if words[:1] == ["run"]:
        try:
            _fast_run(words[1:])
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            sys.exit(130)
    from keyconf.cli import main as full

    full(words)
