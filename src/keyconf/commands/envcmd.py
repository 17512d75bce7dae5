"""`keyconf env` (an eval-able snippet for any shell on any OS) and `keyconf link` (a one-click import
link): both print a key only with --reveal."""

from __future__ import annotations

import os
from pathlib import Path

from keyconf import adapters, secretstore, shellenv
from keyconf.errors import UsageError
from keyconf.masking import mask
from keyconf.output import Reporter
from keyconf.paths import Paths
from keyconf.profiles import Profiles
from keyconf.state import State


def default_shell(paths: Paths) -> str:
    login = Path(paths.env.get("SHELL", "")).name
    if login in shellenv.SHELLS:
        return login
    return "powershell" if paths.platform == "windows" or os.name == "nt" else "bash"


def _profile_for(paths: Paths, client: str, name: str | None):
    bound = State.load(paths).bindings.get(client, {}).get("profile")
    return Profiles(paths).get(name or bound)


def link(client: str, profile_name: str | None, model: str | None, protocol: str | None, open_: bool,
         reveal: bool, out: Reporter) -> int:
    from keyconf.adapters.base import Context, UseOptions, open_with_os

    paths = Paths.from_environ()
    adapter = adapters.get(client)
    profile = _profile_for(paths, client, profile_name)
    key = secretstore.read_key(paths, profile)
    made = adapter.link(profile, key, UseOptions(model=model, protocol=protocol))
    if made is None:
        raise UsageError(f"{adapter.title} has no one-click import link",
                         hint=f"use `keyconf use {client}`, or `keyconf link cherry-studio|claude-code|codex`")
    full, masked = made
    out.result({"client": client, "profile": profile.name, "link": full if reveal else masked,
                "revealed": reveal, "opened": open_})
    if open_:
        open_with_os(Context(paths, State.load(paths)), full)
        out.say(f"opened the {adapter.title} import link; confirm the import in its dialog")
    if out.json_mode:
        return 0
    if reveal:
        out.raw(full + "\n")
    elif not open_:
        out.say(masked)
        out.say("(the key is masked; add --reveal to print the working link, or --open to open it)", err=True)
    return 0


def env(client: str, shell: str | None, profile_name: str | None, reveal: bool, out: Reporter) -> int:
    paths = Paths.from_environ()
    adapter = adapters.get(client)
    profile = _profile_for(paths, client, profile_name)
    specs = adapter.env_vars(profile)
    if specs is None:
        raise UsageError(f"{adapter.title} does not read environment variables",
                         hint=f"use `keyconf use {client}` (or `keyconf link {client}`) instead")
    shell = shell or default_shell(paths)
    family = shellenv.FAMILY[shell]
    key = secretstore.read_key(paths, profile)
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
