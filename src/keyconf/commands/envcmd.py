"""`keyconf env` (an eval-able snippet for any shell on any OS) and `keyconf link` (a one-click import
link): both print a key only with --reveal, and both replay the client's binding."""

from __future__ import annotations

import os
from pathlib import Path

from keyconf import adapters, secretstore, shellenv
from keyconf.errors import UsageError
from keyconf.masking import mask
from keyconf.model import Options
from keyconf.profiles import Profiles
from keyconf.session import Session
from keyconf.state import State


def _stdout_is_terminal() -> bool:
    import sys

    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def default_shell(session: Session) -> str:
    login = Path(session.env.get("SHELL", "")).name
    if login in shellenv.SHELLS:
        return login
    return "powershell" if session.paths.platform == "windows" or os.name == "nt" else "bash"


def _binding_and_profile(session: Session, client: str, name: str | None):
    """The client's binding (options, variables) and the profile to print: --profile, else the client's,
    else the default."""
    binding = State.load(session.paths).bindings.get(client)
    profile = Profiles(session.paths).get(name or (binding.profile if binding else None))
    return binding, profile


def _made_link(adapter, profile, key: str, opts: Options, fmt: str | None) -> tuple[str, str]:
    """CLIENT's link in the asked format: cc-switch's for the clients cc-switch knows, Cherry Studio's for
    any profile; without --format, the client's own kind."""
    from keyconf import links

    if fmt == "cherry":
        return links.cherry_link(profile.name, profile.base_url, key, opts.protocol)
    if fmt == "ccswitch":
        return links.ccswitch_link(adapter.id, profile.name, profile.base_url, key,
                                   {"model": opts.model, **(opts.models or {})})
    made = adapter.link(profile, key, opts)
    if made is None:
        from keyconf.adapters.base import Adapter

        linked = [c for c in adapters.CLIENT_IDS if type(adapters.get(c)).link is not Adapter.link]
        raise UsageError(f"{adapter.title} has no one-click import link of its own",
                         hint=f"use `keyconf use {adapter.id}`; links exist for: {', '.join(linked)} "
                              "(and --format cherry makes a Cherry Studio link of any profile)")
    return made


def _reveal_alone(out, reveal: bool, prints: str, thing: str) -> None:
    if reveal and out.json_mode:
        raise UsageError(f"--reveal prints {prints}; --json output is always masked",
                         hint=f"drop --json to get {thing}, or drop --reveal for the masked one")


def link(session: Session, client: str, profile_name: str | None, model: str | None, protocol: str | None,
         open_: bool, reveal: bool, fmt: str | None = None) -> int:
    from keyconf.system import open_link

    out = session.out
    _reveal_alone(out, reveal, "the working link by itself", "the link")
    adapter = adapters.get(client)
    client = adapter.id  # an alias (`qwen`) names the same binding
    binding, profile = _binding_and_profile(session, client, profile_name)
    opts = binding.options if binding else Options()
    if model or protocol:
        opts = opts.replace(**{k: v for k, v in (("model", model), ("protocol", protocol)) if v})
    key = secretstore.read_key(session.paths, profile)
    made = _made_link(adapter, profile, key, opts, fmt)
    full, masked = made
    out.result({"client": client, "profile": profile.name, "link": full if reveal else masked,
                "revealed": reveal, "opened": open_})
    if open_:
        open_link(session.env, session.paths.platform, full)  # no handler: exit 3 with the manual way
        out.say(f"opened the {adapter.title} import link; confirm the import in its dialog")
    if out.json_mode:
        return 0
    if reveal:
        out.raw(full + "\n")
    elif not open_:
        out.say(masked)
        out.say("(the key is masked; add --reveal to print the working link, or --open to open it)", err=True)
    return 0


def env(session: Session, client: str, shell: str | None, profile_name: str | None, reveal: bool) -> int:
    """Exactly the variables the client's binding configures (auth variable, model, URL shape)."""
    out = session.out
    _reveal_alone(out, reveal, "the snippet by itself, for eval", "the snippet")
    adapter = adapters.get(client)
    client = adapter.id  # an alias (`qwen`) names the same binding
    binding, profile = _binding_and_profile(session, client, profile_name)
    if binding is not None and binding.env is not None and not profile_name:
        specs = binding.env.vars
    else:
        specs = adapter.env_vars(profile, binding.options if binding else Options())
    if specs is None:
        raise UsageError(f"{adapter.title} does not read environment variables",
                         hint=f"use `keyconf use {client}` instead")
    if not reveal and not out.json_mode and not _stdout_is_terminal():
        # `eval "$(keyconf env ...)"` would export the masked text as the key: refuse instead of breaking it
        raise UsageError("add --reveal: this output is meant for eval, and without --reveal the key would be "
                         "the masked text", hint=f"eval \"$(keyconf env {client} --reveal)\"; on a terminal "
                                                 "(or with --json) the key is shown masked")
    shell = shell or default_shell(session)
    family = shellenv.FAMILY[shell]
    key = secretstore.read_key(session.paths, profile)
    values = {name: (spec["value"] if "value" in spec else (key if reveal else mask(key)))
              for name, spec in specs.items()}
    lines = [shellenv.assignment(family, name, value) for name, value in values.items()]
    out.result({"client": client, "profile": profile.name, "shell": shell, "revealed": reveal,
                "variables": {n: (v if "value" in specs[n] else mask(key)) for n, v in values.items()}})
    if out.json_mode:
        return 0
    if reveal:
        out.raw("\n".join(lines) + "\n")
    else:
        out.say("\n".join(lines))
        out.say("(the key is masked; add --reveal to print it, e.g. for eval)", err=True)
    return 0
