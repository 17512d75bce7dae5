"""`keyconf profile ...` and `keyconf secret`."""

from __future__ import annotations

import click

from keyconf.cli.app import (
    _complete_profiles,
    cli,
    json_option,
    run,
    verify_options,
    write_options,
)


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

