"""`keyconf env CLIENT --shell SHELL`: an eval-able snippet for any shell on any OS (key masked unless
--reveal), for docs, scripts and other machines."""

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


def env(client: str, shell: str | None, profile_name: str | None, reveal: bool, out: Reporter) -> int:
    paths = Paths.from_environ()
    adapter = adapters.get(client)
    profiles = Profiles(paths)
    bound = State.load(paths).bindings.get(client, {}).get("profile")
    profile = profiles.get(profile_name or bound)
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
