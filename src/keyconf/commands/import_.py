"""`keyconf import`: what a dashboard's one-click import button does, for every client, headless.

A link holds the key: it is read from stdin or a hidden prompt (an argument works, since that is how an OS
hands a link to its handler, but it lands in shell history), never echoed, and shown masked. The link is
parsed into one request (`keyconf.links`), which becomes a profile and client requests for the change
pipeline: checked against the relay first, written in one transaction, undone by `keyconf undo`.
"""

from __future__ import annotations

from keyconf import adapters
from keyconf.errors import Exit, KeyconfError, UsageError
from keyconf.model import Options, Request
from keyconf.pipeline.profile import Chosen, given_profile
from keyconf.pipeline.run import Flags, Job, run
from keyconf.session import Session
from keyconf.stores.profiles import check_name


def _read_link(session: Session, given: str | None, from_handler: bool = False) -> str:
    if given not in (None, "-"):
        if session.interactive and not session.out.json_mode and not from_handler:
            session.out.say("note: a link typed as an argument holds your key and is now in your shell history; "
                            "next time run `keyconf import` and paste it at the prompt", err=True)
        return given
    if given is None and session.can_ask:
        import click

        return click.prompt("Paste the link (input hidden)", hide_input=True, err=True)
    line = session.stdin.readline()
    if not line.strip():
        raise UsageError("no link given", hint="paste it at the prompt (`keyconf import`), or pipe it: "
                                               "`pbpaste | keyconf import -`")
    return line.strip()


def _targets(session: Session, request, to: tuple[str, ...]) -> list[str]:
    if to:
        return [adapters.get(name).id for name in dict.fromkeys(to)]
    if request.clients:
        return list(request.clients)
    from keyconf.pipeline.choose import choose_clients

    return choose_clients(session, why=f"this {request.source} link does not say which client it is for")


def _chosen(session: Session, request, name: str, yes: bool) -> Chosen | None:
    """The link's profile: a new one, the same one again, or an existing one updated (asked first; None:
    the person said no)."""
    chosen = given_profile(session.paths, name, request.base_url, request.key)
    if chosen.new_key or chosen.url_changed:
        if chosen.existed:
            what = " and ".join(w for w, changed in (("Base URL", chosen.url_changed), ("key", chosen.new_key))
                                if changed)
            if not session.confirm(f"Profile {name} exists with another {what}; update it (and every client "
                                   "that uses it)?", yes):
                return None
    return chosen


def options_from(request, client: str, model: str | None) -> Options:
    """The link's models (and Cherry's provider type) as the options of `use`."""
    values: dict = {}
    chosen_model = model or request.models.get("model")
    if chosen_model:
        values["model"] = chosen_model
    tiers = {t: request.models[t] for t in ("haiku", "sonnet", "opus") if request.models.get(t)}
    takes = adapters.get(client).options  # only what the client takes (Claude Code's tiers, Cherry's type)
    if tiers and "models" in takes:
        values["models"] = tiers
    if request.protocol and "protocol" in takes:
        values["protocol"] = request.protocol
    return Options(**values)


def import_(session: Session, link: str | None, to: tuple[str, ...], profile_name: str | None,
            model: str | None, flags: Flags, from_handler: bool = False) -> int:
    if not (from_handler and session.can_ask):
        return _import(session, link, to, profile_name, model, flags, from_handler)
    # The OS opened a terminal for the clicked link and closes it when keyconf ends: say what happened
    # (errors too), then let it be read.
    try:
        code = _import(session, link, to, profile_name, model, flags, from_handler)
    except KeyconfError as exc:
        session.out.error(exc)
        code = int(exc.code)
    import click

    click.prompt("Press Enter to close", default="", show_default=False, err=True)
    return code


def _import(session: Session, link: str | None, to: tuple[str, ...], profile_name: str | None,
            model: str | None, flags: Flags, from_handler: bool) -> int:
    from keyconf import links

    out = session.out
    request = links.parse(_read_link(session, link, from_handler))
    out.extra["link"] = request.masked()
    out.say(f"link: {request.masked()}", err=True)
    for line in request.ignored:
        out.say(f"  carried but not applied: {line}", err=True)
    name = check_name(profile_name) if profile_name is not None else links.profile_name_for(request)
    clients = _targets(session, request, to)
    chosen = _chosen(session, request, name, flags.yes)
    if chosen is None:
        out.say("nothing was changed; pass --profile NAME to import it as another profile", err=True)
        return Exit.OK
    requests = [Request(c, "use", options_from(request, c, model)) for c in clients]
    if link not in (None, "-") and session.can_ask and not flags.yes and not flags.dry_run:
        # the OS started keyconf with a link (a dashboard button): show what would change, then ask
        run(session, Job("import", requests, chosen=chosen), Flags(dry_run=True))
        if not session.confirm(f"Import into {', '.join(clients)} as profile {name}?", False):
            out.say("nothing was changed", err=True)
            return Exit.OK
    return run(session, Job("import", requests, chosen=chosen), flags).code
