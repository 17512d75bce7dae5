"""Planning and committing a change (the pipeline's middle; `pipeline.run` drives it).

    change = plan(session, command, requests, profiles=[chosen])   # reads files, writes nothing
    commit(session, change)                                        # one journaled transaction

A change holds the clients' edits, the shared shell-environment files, keyconf's state, profiles.toml and
the stored keys (secrets.json, or keyring entries written last), so `undo` gives all of them back.
"""

from __future__ import annotations

from keyconf import adapters, engine
from keyconf.adapters.base import Context
from keyconf.errors import Exit, KeyconfError, UsageError
from keyconf.model import Binding, ClientPlan, Options, Request, key_in_variables
from keyconf.session import Session
from keyconf.stores.state import State


class Change:
    """Everything one command will change, planned; `edits` is what the engine carries out."""

    def __init__(self, command: str, ctx: Context):
        self.command = command
        self.ctx = ctx
        self.plans: list[ClientPlan] = []
        self.failed: dict[str, KeyconfError] = {}
        self.edits: list = []
        self.chosen: dict = {}  # profile name -> Chosen
        self.warnings: list[str] = []
        self.entry = None

    @property
    def state(self) -> State:
        return self.ctx.state

    def chosen_for(self, plan: ClientPlan):
        binding = plan.binding
        name = binding.profile if binding else None
        return self.chosen.get(name) if name else None


# ---- options ------------------------------------------------------------------------------------

def options_for(adapter, opts: Options, old: Binding | None, sticky: bool = True) -> Options:
    """The options a client is configured with: the given ones checked against what the adapter declares,
    the defaults it declares, and the model it had before when none is given (so a re-run keeps it)."""
    via = opts.via if opts.via in adapter.vias else None
    if opts.via not in (None, "config") and via is None:
        raise UsageError(f"{adapter.id} cannot be configured --via {opts.via}",
                         hint=f"{adapter.id} supports: {', '.join(adapter.vias)}", client=adapter.id)
    values = {k: v for k, v in opts.to_record().items() if k in adapter.options}
    values["via"] = via or adapter.vias[0]
    if opts.no_plaintext and "no_plaintext" not in adapter.options:
        why = adapter.no_plaintext_why or f"{adapter.title} cannot read its key from keyconf at run time"
        raise UsageError(f"--no-plaintext is not possible for {adapter.title}: {why}",
                         hint="drop --no-plaintext for this client", client=adapter.id)
    if key_in_variables(values):
        raise UsageError("--no-plaintext and --via env do not go together: the variables hold the key",
                         hint="use --no-plaintext with --via config", client=adapter.id)
    if old is not None and sticky:
        for name in ("model", "models", "shells"):
            if name in adapter.options and not values.get(name) and getattr(old.options, name):
                values[name] = getattr(old.options, name)
    return Options(**values)


# ---- planning -----------------------------------------------------------------------------------

def plan(session: Session, command: str, requests: list[Request], profiles=(), *, state: State | None = None,
         profile_changes=None, sticky: bool = True) -> Change:
    """Plan a change: every request's edits, the shell files, keyconf's state, profiles and keys.

    `profiles` are the `Chosen` profiles the requests use (the first one is the default for requests that
    name none). Clients already bound to a profile whose key or URL changes are re-planned with it, so a
    profile's key is one key everywhere. Writes nothing.
    """
    from keyconf.pipeline.profile import plan_profile
    from keyconf.stores import secretstore
    from keyconf.stores.profiles import Profiles

    paths = session.paths
    state = state or State.load(paths)
    chosen = {c.profile.name: c for c in profiles}
    ctx = Context(paths, state, {name: c.key for name, c in chosen.items()})
    change = Change(command, ctx)
    change.chosen = chosen
    first = next(iter(chosen), None)

    requests = _with_bound_clients(state, requests, chosen)
    for request in requests:
        try:
            change.plans.append(_plan_client(ctx, request, chosen[request.profile or first]
                                             if request.action == "use" else None, sticky))
        except KeyconfError as exc:
            change.failed[request.client] = exc

    # keyconf's own records change with the clients, in the same transaction
    was_env = {c for c, b in state.bindings.items() if b.via == "env"}
    had_env = bool(state.shell_files or state.registry or was_env)
    for client_plan in change.plans:
        if client_plan.status == "not configured":
            continue
        if client_plan.binding is None:
            state.bindings.pop(client_plan.client, None)
        else:
            state.bindings[client_plan.client] = client_plan.binding
    edits = [e for p in change.plans for e in p.edits]
    if had_env or any(b.via == "env" for b in state.bindings.values()):
        shell_edits = _shell_edits(ctx, change)
        edits += shell_edits
        for client_plan in change.plans:
            if client_plan.client in was_env or (client_plan.binding and client_plan.binding.via == "env"):
                client_plan.shared = shell_edits
    profile_book = Profiles(paths)
    secrets = secretstore.SecretWrites(paths)
    for c in chosen.values():
        if any(p.binding and p.binding.profile == c.profile.name for p in change.plans) or not requests or c.keep:
            change.warnings += plan_profile(paths, c, profile_book, secrets)
    if profile_changes:
        profile_changes(profile_book, secrets)
    secret_edits = secrets.edits()
    edits += [state.edit(), profile_book.edit()]
    edits += [e for e in secret_edits if e.kind != "keyring"]
    edits += [e for e in secret_edits if e.kind == "keyring"]  # last: the keyring is not transactional
    change.edits = edits
    return change


def intended_targets(session: Session, requests: list[Request], profiles=(), *, sticky: bool = True) -> list:
    """What each client of the change will use once written, worked out from the requests alone (no client
    file is read), so the relay is asked before anything is planned. A request that can't be planned is left
    out here; planning reports it."""
    state = State.load(session.paths)
    chosen = {c.profile.name: c for c in profiles}
    first = next(iter(chosen), None)
    targets = []
    for request in _with_bound_clients(state, requests, chosen):
        if request.action != "use":
            continue
        try:
            adapter = adapters.get(request.client)
            c = chosen[request.profile or first]
            opts = options_for(adapter, request.options, state.bindings.get(request.client), sticky)
        except (KeyconfError, KeyError):
            continue
        targets.append(adapter.intended_target(c.profile, c.key, opts))
    return targets


def _plan_client(ctx: Context, request: Request, c, sticky: bool) -> ClientPlan:
    """One client's plan: the adapter's edits, the binding to record, what it will use (checked first)."""
    from keyconf.osenv import shellenv

    adapter = adapters.get(request.client)
    old = ctx.state.bindings.get(request.client)
    if request.action == "remove":
        if old is None:
            client_plan = ClientPlan(adapter.id)
            client_plan.status = "not configured"
            client_plan.notes.append(f"keyconf has not configured {adapter.title}; nothing to remove")
            return client_plan
        client_plan = adapter.plan_remove(ctx, old)
        client_plan.binding = None
        return client_plan
    opts = options_for(adapter, request.options, old, sticky)
    client_plan = adapter.plan_use(ctx, c.profile, c.key, opts)
    folder = adapter.app_folder(ctx)
    if folder is not None:  # a folder keyconf makes does not make the client "installed" (status, --all)
        made = old.memo.get("made_folder") if old is not None else not folder.is_dir()
        client_plan.binding.memo["made_folder"] = bool(made)
    if opts.via == "env":  # the shell-environment code owns every client's variables
        client_plan.binding.env = shellenv.env_spec(ctx.state.bindings, adapter.id,
                                                    adapter.env_vars(c.profile, opts), opts.shells, ctx.paths)
        client_plan.notes.append(shellenv.restart_note(client_plan.binding.env.shells))
    client_plan.target = adapter.intended_target(c.profile, c.key, opts)
    return client_plan


def _with_bound_clients(state: State, requests: list[Request], chosen: dict) -> list[Request]:
    """A profile's key and URL are one: clients bound to a profile that changes are re-planned with it."""
    named = {r.client for r in requests}
    extra = []
    for c in chosen.values():
        if not c.existed or not (c.new_key or c.url_changed):
            continue
        for client in state.clients_of(c.profile.name):
            if client not in named:
                binding = state.bindings[client]
                extra.append(Request(client, "use", binding.options, profile=c.profile.name))
                named.add(client)
    return list(requests) + extra


def _shell_edits(ctx: Context, change: Change) -> list:
    from keyconf.osenv import shellenv

    paths, state = ctx.paths, ctx.state

    def key_of(profile: str) -> str:
        key = ctx.profile_key(profile)
        if key is None:
            raise KeyconfError(f"no key is stored for profile {profile!r}, which a shell variable uses",
                               hint=f"keyconf profile rotate {profile}", code=Exit.SECRET_STORE)
        return key

    edits, state.shell_files = shellenv.plan(paths, state.bindings, state.shell_files, key_of,
                                             warnings=change.warnings)
    if paths.platform == "windows":
        from keyconf.osenv import winenv

        edits += winenv.plan(shellenv.variables(state.bindings, key_of), state)
    return edits


# ---- committing ---------------------------------------------------------------------------------

def commit(session: Session, change: Change) -> None:
    """Carry out the change as one journaled transaction, then the after-commit steps (Cherry's link)."""
    change.entry = engine.apply(session.paths, change.edits, command=change.command,
                                extra={"clients": [p.client for p in change.plans]})
    if change.entry:
        session.out.extra["change_id"] = change.entry.id



def after_commit(session: Session, change: Change, flags) -> None:
    for client_plan in change.plans:
        if client_plan.link:
            try:
                adapters.get(client_plan.client).after_commit(change.ctx, client_plan, flags.no_open)
            except KeyconfError as exc:
                client_plan.status = "link ready"
                client_plan.warnings.append(f"{exc.message}; {exc.hint}" if exc.hint else exc.message)
