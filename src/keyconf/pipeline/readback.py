"""What a client is set to use, read back: from its own files, or, for a client bound through shell
variables, from its binding (the shell-environment code owns those for every client)."""

from __future__ import annotations

from keyconf.adapters.base import Context
from keyconf.model import ClientStatus, Target


def status_of(adapter, ctx: Context) -> ClientStatus:
    binding = ctx.binding(adapter.id)
    if binding is not None and binding.via == "env" and adapter.id != "shell":
        from keyconf.osenv import shellenv
        from keyconf.stores.profiles import Profiles

        profile = Profiles(ctx.paths).items.get(binding.profile or "")
        names = tuple(adapter.env_vars(profile, binding.options)) if profile else ()
        return shellenv.env_status(adapter.id, adapter.installed(ctx), ctx.paths, binding, names)
    return adapter.status(ctx)


def target_of(adapter, ctx: Context) -> Target | None:
    binding = ctx.binding(adapter.id)
    if binding is not None and binding.via == "env":
        from keyconf.stores.profiles import Profiles

        profile = Profiles(ctx.paths).items.get(binding.profile or "")
        if profile is None:
            return None
        return adapter.intended_target(profile, ctx.profile_key(profile.name), binding.options)
    return adapter.target(ctx)
