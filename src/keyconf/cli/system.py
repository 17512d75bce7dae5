"""The link handler, help and completion."""

from __future__ import annotations

import click

from keyconf.cli.app import (
    cli,
    json_option,
    run,
)
from keyconf.model import SHELLS


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

