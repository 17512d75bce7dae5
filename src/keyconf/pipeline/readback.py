"""What a client is set to use, read back: from its own files, or, for a client bound through shell
variables, from its binding (the shell-environment code owns those for every client)."""

from __future__ import annotations

from keyconf import adapters
from keyconf.adapters.base import Context
from keyconf.errors import KeyconfError
from keyconf.model import ClientStatus, Target


def status_of(adapter, ctx: Context) -> ClientStatus:
    binding = ctx.binding(adapter.id)
    # a client that has files of its own but is bound through shell variables: the shell-environment code
    # reports it (a client that only has variables, `shell`, reads them itself)
    if binding is not None and binding.via == "env" and "config" in adapter.vias:
        from keyconf.osenv import shellenv
        from keyconf.stores.profiles import Profiles

        profile = Profiles(ctx.paths).items.get(binding.profile or "")
        names = tuple(adapter.env_vars(profile, binding.options)) if profile else ()
        st = shellenv.env_status(adapter.id, adapter.installed(ctx), ctx.paths, binding, names)
        if st.configured and st.base_url is None:  # the URL sits in the client's own file (Droid's entry)
            own = adapter.status(ctx)
            st.base_url, st.model = own.base_url, st.model or own.model
            st.where, st.conflicts = own.where + st.where, own.conflicts + st.conflicts
        return st
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


def context(session) -> Context:
    from keyconf.stores.state import State

    return Context(session.paths, State.load(session.paths))


def pick(ctx: Context, names, use_all: bool, default_bound: bool) -> list:
    """The adapters a read-only command looks at: the named ones; else every client (`default_bound`: the
    configured ones, when there are any); always in the registry's order."""
    if names:
        return adapters.resolve(names)
    if use_all:
        return adapters.resolve(adapters.CLIENT_IDS)
    if default_bound and ctx.state.bindings:
        return adapters.resolve([c for c in adapters.CLIENT_IDS if c in ctx.state.bindings])
    return adapters.resolve(adapters.CLIENT_IDS)


def targets_of(ctx: Context, chosen, on_error=None) -> list[Target]:
    """What each chosen client is set to use now, each labelled with its client; a client whose files can't
    be read goes to `on_error(adapter, exc)` (skipped without one), one that is not configured is left out."""
    targets = []
    for adapter in chosen:
        try:
            target = target_of(adapter, ctx)
        except KeyconfError as exc:
            if on_error is not None:
                on_error(adapter, exc)
            continue
        if target is not None:
            target.client = adapter.id
            targets.append(target)
    return targets


def binding_and_profile(session, client: str, name: str | None):
    """The client's binding (options, variables) and the profile to print: --profile, else the client's,
    else the default (`env`, `link`)."""
    from keyconf.stores.profiles import Profiles
    from keyconf.stores.state import State

    binding = State.load(session.paths).bindings.get(client)
    profile = Profiles(session.paths).get(name or (binding.profile if binding else None))
    return binding, profile
