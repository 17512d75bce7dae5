"""The `keyconf` command's first moment. A clicked link arrives as an argument, key included, and
/proc/PID/cmdline shows it to every local user: it is blanked here, before the CLI and click are imported
(which take most of the start-up time), then the CLI runs. `cli.main` blanks it too, for `python -m keyconf`.

`keyconf run CLIENT [--profile P] [--model M] [-- ARGS]` is what people put in aliases and start many times a
day, so a plain run line takes a short way in: without importing click and the whole command table (about
half of keyconf's start-up), straight to `exec`. Any other form of it (help, --print, --dry-run, --json, an
unknown option, an error to report) goes through the full CLI as always."""

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
    if sys.argv[1:2] == ["run"]:
        try:
            _fast_run(sys.argv[2:])
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            sys.exit(130)
    if "import" in sys.argv[1:]:
        from keyconf.osenv.handoff import link_arguments, scrub_argv

        scrub_argv(link_arguments(sys.argv[1:]))
    from keyconf.cli import main as cli_main

    cli_main()
