"""Command-line surface. Thin on purpose: parse flags, hand over to keyconf.commands.*, map errors to exit
codes. Heavy modules (httpx, keyring, tomlkit, sqlite3) are imported only inside the commands that need them.
"""

from __future__ import annotations

import functools
import sys

import click

from keyconf import __version__
from keyconf.model import SHELLS


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


@cli.command()
@click.argument("clients", nargs=-1, metavar="CLIENT...", shell_complete=_complete_clients)
@click.option("--all", "use_all", is_flag=True, help="Every client installed here (the others are named).")
@key_options
@click.option("--model", metavar="MODEL", help="Default model to set in the client.")
@click.option("--via", type=click.Choice(["config", "env"]),
              help="Client config file (default), or environment variables (for clients that read them).")
@click.option("--no-plaintext", is_flag=True,
              help="Keep the key out of client files: the client asks keyconf for it at run time.")
@click.option("--anthropic-auth", type=click.Choice(["token", "api-key"]), default="token", show_default=True,
              help="claude-code: send the key as ANTHROPIC_AUTH_TOKEN (Bearer) or ANTHROPIC_API_KEY (x-api-key).")
@click.option("--shell", "shells", multiple=True,
              type=click.Choice(SHELLS), help="Shells to write (shell, --via env).")
@click.option("--protocol", type=click.Choice(["openai", "anthropic"]), help="cherry-studio: provider type.")
@click.option("--no-open", is_flag=True, help="cherry-studio: do not open the import link.")
@verify_options
@write_options
@json_option
@run("use")
def use(session, clients, use_all, profile, base_url, key_stdin, key_env, secret_store, model, via, no_plaintext,
        anthropic_auth, shells, protocol, no_open, no_verify, force, deep, timeout, dry_run, yes):
    """Write a profile into each CLIENT, then verify it.

    Without a CLIENT, a terminal is offered the installed clients. The key is read from --key-stdin,
    --key-env VAR, KEYCONF_API_KEY or a hidden prompt; never from argv.

    \b
    Clients:
    {clients}

    \b
    Examples:
      keyconf use claude-code                       ask for the Base URL and key
      keyconf use codex --profile work              reuse the stored profile "work"
      keyconf use --all                             every client installed here
      pbpaste | keyconf use codex --key-stdin --base-url https://relay.example.com
      keyconf use claude-code --no-plaintext        the client asks keyconf for the key
      keyconf use claude-code --via env --shell zsh
    """
    from keyconf.commands.use import use as use_clients
    from keyconf.model import Options
    from keyconf.pipeline.profile import KeySource
    from keyconf.pipeline.run import Flags

    src = KeySource(profile, base_url, key_stdin, key_env, secret_store)
    opts = Options(via=via, no_plaintext=no_plaintext, model=model, anthropic_auth=anthropic_auth,
                   shells=tuple(shells), protocol=protocol)
    flags = Flags(dry_run=dry_run, no_verify=no_verify, yes=yes, deep=deep, no_open=no_open, force=force,
                  timeout=timeout)
    return use_clients(session, list(clients), use_all, src, opts, flags)


def _with_client_ids(command) -> None:
    """Help that lists the clients takes them from the registry (a cheap import: no adapter is loaded), in
    lines of its own (click would break `gemini-cli` at its hyphen)."""
    import textwrap

    from keyconf.adapters import CLIENT_IDS

    lines = textwrap.wrap(", ".join(CLIENT_IDS), 90, break_on_hyphens=False, break_long_words=False)
    command.help = command.help.replace("{clients}", "\n    ".join("  " + line for line in lines))


_with_client_ids(use)


@cli.command()
@click.argument("clients", nargs=-1, metavar="[CLIENT]...", shell_complete=_complete_clients)
@click.option("--verify", "check", is_flag=True,
              help="Also ask the relay (all clients at once), with the key's quota and expiry.")
@json_option
@run("status")
def status(session, clients, check):
    """Show what each client is set to use.

    Per client: installed?, configured?, profile, Base URL, masked key, where, conflicts; with --verify
    also what the relay says, with the key's remaining quota and expiry.

    \b
    Examples:
      keyconf status
      keyconf status codex --json
      keyconf status --verify
    """
    from keyconf.commands.status import status as show_status

    return show_status(session, list(clients), check)


@cli.command()
@click.argument("clients", nargs=-1, metavar="[CLIENT]...", shell_complete=_complete_clients)
@click.option("--all", "use_all", is_flag=True, help="Every supported client.")
@click.option("--deep", is_flag=True, help="Also send one minimal real request in each client's protocol.")
@click.option("--timeout", type=click.FloatRange(0.1, 600), metavar="SECONDS",
              help="Seconds to wait for the relay (default: KEYCONF_TIMEOUT or 15).")
@json_option
@run("verify")
def verify(session, clients, use_all, deep, timeout):
    """Check the Base URL and key each client is set to use.

    Default: every configured client, all at once; each checks the model it will really ask for, and
    shows the key's remaining quota and expiry when the relay tells.

    \b
    Examples:
      keyconf verify
      keyconf verify codex --deep        one real request in Codex's protocol
    """
    from keyconf.commands.verify import verify as verify_clients

    return verify_clients(session, list(clients), use_all, deep, timeout)


@cli.command("run")
@click.argument("client", shell_complete=_complete_clients)
@click.argument("args", nargs=-1, metavar="[-- ARGS...]")
@click.option("--profile", metavar="NAME", shell_complete=_complete_profiles,
              help="Profile to use (default: the folder's .keyconf.toml pin, else the default profile).")
@click.option("--model", metavar="MODEL", help="Model for this run (default: the pin's, else the client's own).")
@click.option("--print", "print_", is_flag=True,
              help="Print the equivalent command line for your shell instead (the key fetched by `keyconf secret`).")
@click.option("--shell", type=click.Choice(["bash", "zsh", "fish", "powershell"]),
              help="Syntax for --print (default: your login shell).")
@click.option("--dry-run", is_flag=True, help="Show what would be set (key masked); start nothing.")
@json_option
@run("run")
def run_(session, client, args, profile, model, print_, shell, dry_run):
    """Start CLIENT with a profile for this one process.

    Nothing outside keyconf's own folder is written: your global settings keep working in every other
    terminal. The key reaches the client only through that process's environment (or `keyconf secret`),
    never its arguments. Exit status, signals, the terminal and the folder are the client's own (exec).
    Give the client's own arguments after --; for `shell`, the command to run (default: your $SHELL).
    A desktop app, which no terminal starts, is refused with the reason.

    \b
    Examples:
      keyconf run claude-code --profile work
      keyconf run codex --profile home -- exec "fix the tests"
      keyconf run claude-code --print --shell zsh     a line for an alias
      keyconf run shell --profile work -- python script.py
      keyconf run gemini-cli --dry-run
    """
    from keyconf.commands import run as commands

    return commands.run(session, client, profile, model, args, print_, shell, dry_run)


@cli.command()
@click.argument("profile", required=False, shell_complete=_complete_profiles)
@click.option("--model", "models", multiple=True, metavar="CLIENT=MODEL",
              help="A model for one client under this folder (repeatable).")
@click.option("--clear", is_flag=True, help="Remove this folder's .keyconf.toml.")
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@json_option
@run("pin")
def pin(session, profile, models, clear, dry_run):
    """Pin this folder to a profile (.keyconf.toml).

    `run`, `env`, `status` and `verify` started here or in any folder below use the pinned profile and
    say so. The file names the profile only: no key, no URL. Without PROFILE: show the pin in effect.

    \b
    Examples:
      keyconf pin work
      keyconf pin work --model claude-code=claude-sonnet-4-5 --model opencode=gpt-5
      keyconf pin
      keyconf pin --clear
    """
    from keyconf.commands import pin as commands

    return commands.pin(session, profile, models, clear, dry_run)


@cli.command("import")
@click.argument("link", required=False, metavar="[LINK|-]")
@click.option("--to", "to", multiple=True, metavar="CLIENT",
              help="Client(s) to configure (default: the link's own client; else you are asked).")
@click.option("--profile", metavar="NAME", help="Profile name (default: the link's name, else the relay's host).")
@click.option("--model", metavar="MODEL", help="Model to set (default: the link's).")
@click.option("--no-open", is_flag=True, help="cherry-studio: do not open the import link.")
@click.option("--from-handler", is_flag=True, hidden=True,
              help="Started by the OS for a clicked link (keyconf handler install).")
@click.option("--link-from", metavar="PIPE", hidden=True,
              help="The handler's named pipe holding the link (so it is never on a command line).")
@verify_options
@write_options
@json_option
@run("import")
def import_(session, link, to, profile, model, no_open, from_handler, link_from, no_verify, force, deep, timeout,
            dry_run, yes):
    """Apply a one-click import link from a relay dashboard.

    Links of cc-switch, Cherry Studio, AionUI, DeepChat, AMA, OpenCat, Lobe Chat, AI as Workspace,
    NextChat, claude-code-router (ccr://) and Chatbox; also pasted text that holds a Base URL and a key (a
    dashboard's env script, a Codex config.toml + auth.json, a curl command). Without LINK (or with -) it is
    read from standard input, or asked for with a hidden prompt: the link holds your key, so it is never
    echoed and shown only masked. Nothing is written until you confirm on a terminal, or pass -y.

    \b
    Examples:
      keyconf import                         paste the link at the hidden prompt
      pbpaste | keyconf import -             asks on the terminal
      keyconf import --to codex --to claude-code
    """
    from keyconf.commands import import_ as importcmd
    from keyconf.pipeline.run import Flags

    flags = Flags(dry_run=dry_run, no_verify=no_verify, yes=yes, deep=deep, no_open=no_open, force=force,
                  timeout=timeout)
    return importcmd.import_(session, link, tuple(to), profile, model, flags, from_handler, link_from)


@cli.command("apply")
@click.argument("file", metavar="FILE")
@click.option("--prune", is_flag=True, help="Also take keyconf's settings out of clients the file doesn't name.")
@click.option("--secret-store", type=click.Choice(["auto", "keyring", "file"]),
              help="Where new keys are kept (default: KEYCONF_SECRET_STORE or auto).")
@verify_options
@write_options
@json_option
@run("apply")
def apply_(session, file, prune, secret_store, no_verify, force, deep, timeout, dry_run, yes):
    """Set up profiles and clients from an apply file.

    FILE, or - for standard input; one change, undone as one. Running it again with the same file changes
    nothing. Keys come from the file's key sources (env, prompt, stdin, command, stored); never from the file
    itself.

    \b
    Examples:
      keyconf apply team.toml --dry-run
      keyconf export > mine.toml && keyconf apply mine.toml    (on another machine)
    """
    from keyconf.commands.apply import apply
    from keyconf.pipeline.run import Flags

    flags = Flags(dry_run=dry_run, no_verify=no_verify, yes=yes, deep=deep, force=force, timeout=timeout)
    return apply(session, file, flags, prune, secret_store)


@cli.command()
@click.option("--key-source", type=click.Choice(["prompt", "env"]), default="prompt", show_default=True,
              help="How the file asks for each key: a hidden prompt, or KEYCONF_KEY_<PROFILE>.")
@json_option
@run("export")
def export(session, key_source):
    """Print this machine's setup as an apply file.

    No key is in it: the file says where each key comes from.

    \b
    Examples:
      keyconf export > keyconf.toml
      keyconf export --key-source env    keys from KEYCONF_KEY_<PROFILE> when applied
    """
    from keyconf.commands.export import export as export_file

    return export_file(session, key_source)


@cli.command()
@json_option
@run("doctor")
def doctor(session):
    """Find what breaks configs on this machine.

    Conflicting variables, proxies, keyring, installed clients, onboarding, running apps, the relay, and
    the commands that --no-plaintext clients run for their key. Exit 0 when nothing is wrong.

    \b
    Examples:
      keyconf doctor
      keyconf doctor --json
    """
    from keyconf.commands.doctor import doctor as run_doctor

    return run_doctor(session)


@cli.command()
@click.argument("change_id", required=False, metavar="[ID]")
@click.option("--list", "list_", is_flag=True, help="List journaled changes.")
@click.option("--force", is_flag=True, help="Restore even if a file changed after the change.")
@write_options
@json_option
@run("undo")
def undo(session, change_id, list_, force, dry_run, yes):
    """Put back the files of the last (or given) change.

    \b
    Examples:
      keyconf undo
      keyconf undo --list
      keyconf undo 20260101-120000-000001 --dry-run
    """
    from keyconf.commands import undo as history

    if list_:
        return history.undo_list(session)
    return history.undo(session, change_id, force, dry_run, yes)


@cli.command()
@click.argument("clients", nargs=-1, metavar="CLIENT...", shell_complete=_complete_clients)
@click.option("--all", "use_all", is_flag=True, help="Every client keyconf configured.")
@write_options
@json_option
@run("remove")
def remove(session, clients, use_all, dry_run, yes):
    """Take keyconf's settings out of each CLIENT.

    Every other byte stays as it is; settings keyconf replaced come back.

    \b
    Examples:
      keyconf remove codex
      keyconf remove --all --dry-run
    """
    from keyconf.commands.remove import remove as remove_clients
    from keyconf.pipeline.run import Flags

    return remove_clients(session, list(clients), use_all, Flags(dry_run=dry_run, yes=yes))


@cli.command("env")
@click.argument("client", shell_complete=_complete_clients)
@click.option("--shell", type=click.Choice(SHELLS),
              help="Syntax to print (default: your login shell).")
@click.option("--profile", metavar="NAME", shell_complete=_complete_profiles,
              help="Profile to print (default: the client's, else the default).")
@click.option("--reveal", is_flag=True, help="Print the key itself (for eval); otherwise it is masked.")
@json_option
@run("env")
def env_(session, client, shell, profile, reveal):
    """Print CLIENT's variables for eval in any shell.

    On a terminal the key is masked; piped (as for eval) it needs --reveal.

    \b
    Examples:
      eval "$(keyconf env shell --shell bash --reveal)"
      keyconf env shell --shell fish --reveal | source
      keyconf env shell --shell powershell --reveal | Invoke-Expression
    """
    from keyconf.commands.env import env

    return env(session, client, shell, profile, reveal)


@cli.command()
@click.argument("client", shell_complete=_complete_clients)
@click.option("--profile", metavar="NAME", shell_complete=_complete_profiles,
              help="Profile to link (default: the client's, else the default).")
@click.option("--model", metavar="MODEL", help="Model to put in the link (cc-switch links).")
@click.option("--protocol", type=click.Choice(["openai", "anthropic"]), help="cherry-studio: provider type.")
@click.option("--format", "fmt", type=click.Choice(["ccswitch", "cherry", "ccr", "chatbox"]),
              help="Link kind (default: cherry for cherry-studio, ccswitch for the others; ccr: "
                   "claude-code-router, chatbox: Chatbox).")
@click.option("--open", "open_", is_flag=True, help="Open the link with the system's handler.")
@click.option("--reveal", is_flag=True, help="Print the full link; it contains the key.")
@json_option
@run("link")
def link(session, client, profile, model, protocol, fmt, open_, reveal):
    """Print (or open) CLIENT's one-click import link.

    A cc-switch or Cherry Studio link: the same bytes a New API dashboard's button makes for the profile.
    Without --reveal the key in the printed link is masked; `keyconf import` reads such a link back.

    \b
    Examples:
      keyconf link cherry-studio --open
      keyconf link codex --reveal
    """
    from keyconf.commands.link import link as make_link

    return make_link(session, client, profile, model, protocol, open_, reveal, fmt)


@cli.group()
def handler():
    """Let a dashboard's CC Switch button open keyconf.

    Registers `keyconf import` for ccswitch:// links (the link a relay dashboard's "CC Switch" button
    makes), so a click configures the client; keyconf shows the change, key masked, and asks first.

    \b
    Examples:
      keyconf handler install
      keyconf handler status
      keyconf handler remove
    """


@handler.command("install")
@click.option("--force", is_flag=True, help="Take the scheme over from the program that handles it now.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@json_option
@run("handler install")
def handler_install(session, force, dry_run):
    """Register keyconf for ccswitch:// links.

    Only when no other program handles them (--force takes them over). A clicked link opens a terminal
    running `keyconf import LINK`, which shows the change (key masked) and asks before writing. Linux: a
    desktop entry and xdg-mime's default; Windows: HKCU\\Software\\Classes\\ccswitch; macOS needs an app
    bundle, so it says what to run instead.

    \b
    Examples:
      keyconf handler install
      keyconf handler install --force     replace cc-switch as the handler
    """
    from keyconf.commands import handler as commands

    return commands.install(session, force, dry_run)


@handler.command("remove")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
@json_option
@run("handler remove")
def handler_remove(session, dry_run):
    """Stop opening ccswitch:// links with keyconf.

    The previous handler gets them back.

    \b
    Examples:
      keyconf handler remove
    """
    from keyconf.commands import handler as commands

    return commands.remove(session, dry_run)


@handler.command("status")
@json_option
@run("handler status")
def handler_status(session):
    """Which program opens ccswitch:// links.

    And whether keyconf's command passes the link on (%u).

    \b
    Examples:
      keyconf handler status
      keyconf handler status --json
    """
    from keyconf.commands import handler as commands

    return commands.status(session)


@cli.command()
@click.argument("profile", required=False)
@run("secret")
def secret(session, profile):
    """Print PROFILE's raw key, for a client's key command.

    What apiKeyHelper and Codex's auth command run (see `use --no-plaintext`); the only command that
    prints a key by itself.

    \b
    Examples:
      keyconf secret work
      export OPENAI_API_KEY="$(keyconf secret work)"
    """
    from keyconf.commands.secret import secret as print_secret

    return print_secret(session, profile)


@cli.group()
def profile():
    """Manage profiles: add, list, show, default, rm, rotate.

    \b
    Examples:
      keyconf profile add work
      keyconf profile list
      keyconf profile default work
      keyconf profile rotate work
    """


@profile.command("add")
@click.argument("name")
@click.option("--base-url", metavar="URL", help="Base URL from the dashboard (a pasted /v1 is fine).")
@click.option("--key-stdin", is_flag=True, help="Read the key from one line of standard input.")
@click.option("--key-env", metavar="VAR", help="Read the key from environment variable VAR.")
@click.option("--secret-store", type=click.Choice(["auto", "keyring", "file"]),
              help="Where the key is kept (default: KEYCONF_SECRET_STORE or auto).")
@verify_options
@click.option("--dry-run", is_flag=True, help="Show what would be stored (key masked); write nothing.")
@json_option
@run("profile add")
def profile_add(session, name, base_url, key_stdin, key_env, secret_store, no_verify, force, deep, timeout,
                dry_run):
    """Store a profile without configuring any client.

    Asks the Base URL and the key (or --base-url, --key-stdin, --key-env), checks them against the relay,
    and keeps them for `keyconf run`, pins and later `use`. One change: `keyconf undo` takes it back.

    \b
    Examples:
      keyconf profile add work
      keyconf profile add home --base-url https://relay.example.com --key-env HOME_KEY
    """
    from keyconf.commands import profile as profiles
    from keyconf.pipeline.run import Flags

    flags = Flags(dry_run=dry_run, no_verify=no_verify, yes=True, deep=deep, force=force, timeout=timeout)
    return profiles.add(session, name, base_url, key_stdin, key_env, secret_store, flags)


@profile.command("list")
@json_option
@run("profile list")
def profile_list(session):
    """List profiles and the clients that use them.

    \b
    Examples:
      keyconf profile list
      keyconf profile list --json
    """
    from keyconf.commands import profile as profiles

    return profiles.list_(session)


@profile.command("show")
@click.argument("name", required=False, shell_complete=_complete_profiles)
@json_option
@run("profile show")
def profile_show(session, name):
    """Show a profile (the key masked).

    \b
    Examples:
      keyconf profile show
      keyconf profile show work
    """
    from keyconf.commands import profile as profiles

    return profiles.show(session, name)


@profile.command("rm")
@click.argument("name", shell_complete=_complete_profiles)
@click.option("--force", is_flag=True, help="Remove even if clients use it (their keyconf settings go too).")
@write_options
@json_option
@run("profile rm")
def profile_rm(session, name, force, dry_run, yes):
    """Remove a profile and its stored key.

    \b
    Examples:
      keyconf profile rm old
      keyconf profile rm old --force -y
    """
    from keyconf.commands import profile as profiles

    return profiles.remove(session, name, force, yes, dry_run)


@profile.command("default")
@click.argument("name", shell_complete=_complete_profiles)
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@json_option
@run("profile default")
def profile_default(session, name, dry_run):
    """Make NAME the profile used when no --profile is given.

    \b
    Examples:
      keyconf profile default work
    """
    from keyconf.commands import profile as profiles

    return profiles.default(session, name, dry_run)


@profile.command("rotate")
@click.argument("name", required=False, shell_complete=_complete_profiles)
@click.option("--key-stdin", is_flag=True, help="Read the new key from one line of standard input.")
@click.option("--key-env", metavar="VAR", help="Read the new key from environment variable VAR.")
@verify_options
@write_options
@json_option
@run("profile rotate")
def profile_rotate(session, name, key_stdin, key_env, no_verify, force, deep, timeout, dry_run, yes):
    """Replace a profile's key everywhere it is used.

    The new key is checked against the relay first; every client bound to the profile gets it.

    \b
    Examples:
      keyconf profile rotate work
      keyconf profile rotate work --key-env NEW_KEY
    """
    from keyconf.commands import profile as profiles
    from keyconf.pipeline.run import Flags

    flags = Flags(dry_run=dry_run, no_verify=no_verify, yes=yes, deep=deep, force=force, timeout=timeout)
    return profiles.rotate(session, name, key_stdin, key_env, flags)


@cli.command("help")
@click.argument("command", nargs=-1, metavar="[COMMAND]...")
@click.pass_context
def help_(ctx, command):
    """Show the help of COMMAND (or of keyconf).

    \b
    Examples:
      keyconf help use
      keyconf help profile rotate
    """
    cmd, cmd_ctx = cli, ctx.parent
    for name in command:
        sub = cmd.get_command(cmd_ctx, name) if isinstance(cmd, click.Group) else None
        if sub is None:
            raise click.UsageError(f"no command `{' '.join(command)}`; see `keyconf --help`", ctx)
        cmd, cmd_ctx = sub, click.Context(sub, info_name=name, parent=cmd_ctx)
    click.echo(cmd.get_help(cmd_ctx))


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the shell completion script for SHELL.

    Completes commands, options, client names and profile names.

    \b
    Examples:
      eval "$(keyconf completion bash)"                 in ~/.bashrc
      eval "$(keyconf completion zsh)"                  in ~/.zshrc
      keyconf completion fish > ~/.config/fish/completions/keyconf.fish
      keyconf completion powershell | Out-String | Invoke-Expression    in $PROFILE
    """
    from keyconf.commands.completion import script

    click.echo(script(cli, shell), nl=False)


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
