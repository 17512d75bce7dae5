"""The command-line application: the `keyconf` group, `main`, and what every command shares: one Session per
run built in `run`, KeyconfError to its exit code, always one JSON document with --json, and the common
options. Heavy modules (httpx, keyring, tomlkit, sqlite3) are imported only inside the commands that need them.
"""

from __future__ import annotations

import functools
import sys

import click

from keyconf import __version__


def _json_requested(argv: list[str]) -> bool:
    return "--json" in (argv[:argv.index("--")] if "--" in argv else argv)  # after `--`: a client's own flags

# Commands that change keyconf's state: a change a killed keyconf left half-done is finished or rolled back
# before they read anything (their own early "nothing to do" answers included). Dry runs write nothing.
CHANGING = ("use", "import", "apply", "remove", "pin", "handler install", "handler remove", "profile add",
            "profile rm", "profile default", "profile rotate")


def run(command: str):
    """Wrap a command body: one Session (paths, Reporter, terminal or not) built here and handed down,
    KeyconfError -> its exit code, always one JSON document."""

    def decorate(body):
        @functools.wraps(body)
        def wrapper(*args, json_mode: bool = False, **kwargs):
            from keyconf.errors import KeyconfError
            from keyconf.output import Reporter
            from keyconf.session import Session

            out = Reporter(command, json_mode)
            try:
                session = Session.from_environ(out)
                if command in CHANGING and not kwargs.get("dry_run"):
                    session.recover_first()
                code = body(session, *args, **kwargs)
            except KeyconfError as exc:
                out.error(exc)
                code = int(exc.code)
            return out.finish(code or 0)

        return wrapper

    return decorate

def _complete_clients(ctx, param, incomplete):
    from keyconf.commands import completion

    return completion.clients(ctx, param, incomplete)

def _complete_profiles(ctx, param, incomplete):
    from keyconf.commands import completion

    return completion.profiles(ctx, param, incomplete)

def json_option(fn):
    return click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")(fn)

def key_options(fn):
    options = [
        click.option("--profile", metavar="NAME", shell_complete=_complete_profiles,
                     help="Profile to use or create (the key's name on the dashboard)."),
        click.option("--base-url", metavar="URL", help="Base URL from the dashboard (a pasted /v1 is fine)."),
        click.option("--key-stdin", is_flag=True, help="Read the key from one line of standard input."),
        click.option("--key-env", metavar="VAR", help="Read the key from environment variable VAR."),
        click.option("--secret-store", type=click.Choice(["auto", "keyring", "file"]),
                     help="Where a new key is kept (default: KEYCONF_SECRET_STORE or auto)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn

def verify_options(fn):
    options = [
        click.option("--no-verify", is_flag=True, help="Write without checking the key against the relay."),
        click.option("--force", is_flag=True, help="Write even if the relay rejects the key or URL (says so)."),
        click.option("--deep", is_flag=True, help="Check with one minimal real request in the client's protocol."),
        click.option("--timeout", type=click.FloatRange(0.1, 600), metavar="SECONDS",
                     help="Seconds to wait for the relay (default: KEYCONF_TIMEOUT or 15)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn

def write_options(fn):
    options = [
        click.option("--dry-run", is_flag=True, help="Show the diff (keys masked); write nothing."),
        click.option("-y", "--yes", is_flag=True,
                     help="Do not ask (a terminal is asked before replacing settings made outside keyconf)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn

@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="keyconf")
def cli():
    """Point your AI tools at a relay key and Base URL, correctly and reversibly, then prove it works.

    \b
    Examples:
      keyconf use claude-code        ask for Base URL and key, write, verify
      keyconf use codex cursor       reuse the stored profile
      keyconf status                 what each client is set to
      keyconf doctor                 find what would break a config
      keyconf undo                   put the last change back
      keyconf help use               help on one command
    """

def _pasted_keys(argv: list[str]) -> list[str]:
    """Arguments (or `--flag=value` values) that are API keys pasted where a name was meant. Remembered, so
    that every message quoting them shows them masked."""
    from keyconf.masking import looks_like_key, remember

    found = [word for arg in argv for word in {arg, arg.partition("=")[2]} if looks_like_key(word)]
    for key in found:
        remember(key)
    return found

def main(argv: list[str] | None = None) -> None:
    if argv is None and "import" in sys.argv:
        # a link on the command line holds the key: take it out of /proc/PID/cmdline before anything else
        from keyconf.osenv.handoff import link_arguments, scrub_argv

        scrub_argv(link_arguments(sys.argv[1:]))
    argv = sys.argv[1:] if argv is None else argv
    pasted = _pasted_keys(argv) if any("sk-" in arg for arg in argv) else []
    try:
        code = cli.main(args=argv, prog_name="keyconf", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("\ninterrupted", err=True)
        code = 130
    except click.ClickException as exc:
        # usage errors come from click itself; --json still gets its one document
        if _json_requested(argv):
            from keyconf.errors import UsageError
            from keyconf.output import Reporter

            out = Reporter((argv or ["?"])[0], json_mode=True)
            out.error(UsageError(exc.format_message()))
            code = out.finish(exc.exit_code)
        else:
            import io

            from keyconf.masking import redact

            shown = io.StringIO()
            exc.show(file=shown)
            click.echo(redact(shown.getvalue()), err=True, nl=False)
            code = exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback with a key in it
        import os

        from keyconf.masking import redact

        if os.environ.get("KEYCONF_DEBUG"):
            raise
        click.echo(redact(f"error: unexpected {type(exc).__name__}: {exc}"), err=True)
        click.echo("  (set KEYCONF_DEBUG=1 for the traceback)", err=True)
        code = 1
        if _json_requested(argv):  # the one document, exit 1 included
            from keyconf.errors import KeyconfError
            from keyconf.output import Reporter

            out = Reporter((argv or ["?"])[0], json_mode=True)
            out.error(KeyconfError(redact(f"unexpected {type(exc).__name__}: {exc}")))
            code = out.finish(1)
    if pasted:
        from keyconf.masking import mask

        click.echo(f"note: {mask(pasted[0])} on the command line looks like an API key; keyconf never takes a key "
                   "there (it stays in your shell history): pipe it with --key-stdin, set KEYCONF_API_KEY, or let "
                   "keyconf ask for it", err=True)
    sys.exit(code if isinstance(code, int) else 0)

