"""Commands that change many things at once or look at the machine: import, apply, export, undo, doctor."""

from __future__ import annotations

import click

from keyconf.cli.app import (
    cli,
    json_option,
    run,
    verify_options,
    write_options,
)


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

