"""`keyconf env CLIENT`: an eval-able snippet for any shell on any OS; the key only with --reveal; it
replays the client's binding."""

from __future__ import annotations

from pathlib import Path

from keyconf import adapters
from keyconf.errors import UsageError
from keyconf.masking import mask
from keyconf.model import Options
from keyconf.osenv import shellenv
from keyconf.pipeline.readback import binding_and_profile
from keyconf.pipeline.report import refuse_reveal_with_json
from keyconf.session import Session
from keyconf.stores import secretstore


def default_shell(session: Session) -> str:
    return shellenv.login_shell(session.env, session.paths.platform)


def _pinned(session: Session, name: str | None):
    """`env` under a folder pinned with .keyconf.toml: the pin's profile (unless --profile), said on stderr."""
    from keyconf.pipeline import pins

    if name or pins.find(Path.cwd()) is None:
        return None
    chosen = pins.choose(session.paths, None)
    session.out.say(f"(profile {chosen.profile.name}, {chosen.why})", err=True)
    return chosen


def env(session: Session, client: str, shell: str | None, profile_name: str | None, reveal: bool) -> int:
    """Exactly the variables the client's binding configures (auth variable, model, URL shape)."""
    out = session.out
    refuse_reveal_with_json(out, reveal, "the snippet by itself, for eval", "the snippet")
    adapter = adapters.get(client)
    client = adapter.id  # an alias (`claude`) names the same client
    binding, profile = binding_and_profile(session, client, profile_name)
    pinned = _pinned(session, profile_name)
    if pinned is not None:
        profile = pinned.profile
        opts = binding.options if binding else Options()
        model = pinned.model_for(adapter.id)
        specs = adapter.env_vars(profile, opts.replace(model=model) if model else opts)
    elif binding is not None and binding.env is not None and not profile_name:
        specs = binding.env.vars
    else:
        specs = adapter.env_vars(profile, binding.options if binding else Options())
    if specs is None:
        raise UsageError(f"{adapter.title} does not read environment variables",
                         hint=f"use `keyconf use {client}` instead")
    if not reveal and not out.json_mode and not out.to_terminal():
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
