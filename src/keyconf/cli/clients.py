"""Commands about clients: use, status, verify, remove, env, link, run, pin."""

from __future__ import annotations

import click

from keyconf.cli.app import (
    _complete_clients,
    _complete_profiles,
    cli,
    json_option,
    key_options,
    run,
    verify_options,
    write_options,
)
from keyconf.model import SHELLS


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

