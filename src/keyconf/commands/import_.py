"""`keyconf import`: what a dashboard's one-click import button does, for every client, headless.

A link holds the key: it is read from stdin or a hidden prompt (an argument works, since that is how an OS
hands a link to its handler, but it lands in shell history), never echoed, and shown masked. The link is
parsed into one request (`keyconf.links`), which becomes a profile and client requests for the change
pipeline: checked against the relay first, written in one transaction, undone by `keyconf undo`.

A link is untrusted input (a web page or a chat message chose its host, and that host then answers as "the
model"), so consent is explicit: nothing is written unless a person said yes on a terminal, after seeing the
real host and the change, or the caller typed -y. A clicked link (`--from-handler`) never takes -y and needs a
terminal; a link never changes an existing profile unless asked to by name (`--profile`) and confirmed.
"""

from __future__ import annotations

from keyconf import adapters
from keyconf.errors import Exit, KeyconfError, UnsafeEdit, UsageError
from keyconf.model import Options, Request
from keyconf.pipeline.profile import Chosen, given_profile
from keyconf.pipeline.run import Flags, Job, run
from keyconf.session import Session
from keyconf.stores.profiles import check_name

HANDLER_NO_TERMINAL = ("a clicked link is imported only after you confirm it on a terminal, and this one has "
                       "none; nothing was written")
HANDLER_HINT = "copy the link, then run `keyconf import` in a terminal and paste it at the prompt"


def _read_link(session: Session, given: str | None, from_handler: bool = False, link_from: str | None = None) -> str:
    from keyconf.links import MAX_LINK

    if link_from is not None:
        from keyconf.osenv.handoff import read_fifo

        return read_fifo(link_from, MAX_LINK)
    if given not in (None, "-"):
        if session.interactive and not session.out.json_mode and not from_handler:
            session.out.say("note: a link typed as an argument holds your key and is now in your shell history; "
                            "next time run `keyconf import` and paste it at the prompt", err=True)
        return given
    if given is None and session.can_ask:
        import click

        return click.prompt("Paste the link (input hidden)", hide_input=True, err=True)
    try:
        # a pipe may carry more than a link: an env script, a config file, a curl command (links._paste)
        text = session.stdin.readline() if session.interactive else session.stdin.read(MAX_LINK + 1)
    except UnicodeDecodeError:
        raise UsageError("the link is not UTF-8 text", hint="copy the link again with the dashboard's button") \
            from None
    if not text.strip():
        raise UsageError("no link given", hint="paste it at the prompt (`keyconf import`), or pipe it: "
                                               "`pbpaste | keyconf import -`")
    return text.strip()


def _targets(session: Session, request, to: tuple[str, ...]) -> list[str]:
    if to:
        return [adapters.get(name).id for name in dict.fromkeys(to)]
    if request.clients:
        return list(request.clients)
    from keyconf.links import SOURCES
    from keyconf.pipeline.choose import choose_clients

    what = "pasted text" if request.source == "paste" else f"{SOURCES.get(request.source, request.source)} link"
    return choose_clients(session, why=f"this {what} does not say which client it is for")


def consent(session: Session, question: str, flags: Flags, from_handler: bool) -> bool:
    """Yes only from a person on a terminal (the one of stdin, or for a piped link the controlling terminal),
    or -y typed by the caller (never for a clicked link). Without either, refuse: a link is not a script's own
    input, and "nobody could be asked" is not a yes."""
    if flags.yes and not from_handler:
        return True
    if session.at_terminal(stdout=from_handler):
        import click

        return click.confirm(question, default=False, err=True)
    if not from_handler and session.controlling_terminal():
        return session.ask_terminal(question)  # the link came through a pipe; its reader is at the terminal
    if from_handler:
        raise UnsafeEdit(HANDLER_NO_TERMINAL, hint=HANDLER_HINT)
    raise UsageError("a link is imported only when a person confirms it, and nobody at a terminal can be asked "
                     "here (standard error is not a terminal, or --json); nothing was written",
                     hint="run `keyconf import` on a terminal and paste the link, or, having read the link "
                          "yourself, pass -y (--yes)")


def _chosen(session: Session, request, name: str, explicit: bool, flags: Flags, from_handler: bool) -> Chosen | None:
    """The link's profile. A profile of that name with another Base URL or key is never changed silently: the
    link gets a new name (`default-2`) unless --profile named it, and then only with consent (None: no)."""
    chosen = given_profile(session.paths, name, request.base_url, request.key)
    if not (chosen.existed and (chosen.new_key or chosen.url_changed)):
        return chosen
    if explicit:
        what = " and ".join(w for w, changed in (("Base URL", chosen.url_changed), ("key", chosen.new_key))
                            if changed)
        question = (f"Profile {name} exists with another {what}; replace them with the link's (every client "
                    "that uses the profile follows)?")
        return chosen if flags.dry_run or consent(session, question, flags, from_handler) else None
    for number in range(2, 1000):
        candidate = f"{name[:60]}-{number}"
        fresh = given_profile(session.paths, candidate, request.base_url, request.key)
        if not (fresh.existed and (fresh.new_key or fresh.url_changed)):
            session.out.say(f"profile {name} already exists with another Base URL or key and stays as it is; "
                            f"this link becomes profile {candidate} (--profile {name} replaces it instead)",
                            err=True)
            return fresh
    raise UsageError(f"too many profiles named {name}-N", hint="pass --profile NAME")


def _pick_endpoint(session: Session, request, clients: list[str], flags: Flags) -> None:
    """A cc-switch endpoint list: the first endpoint that answers as a relay for this key (as cc-switch's
    speed test would), said; with --no-verify, the first."""
    out = session.out
    count = len(request.endpoints)
    if flags.no_verify:
        out.say(f"the link lists {count} endpoints; using the first, {request.endpoints[0]} (not checked: "
                "--no-verify)", err=True)
        return
    from keyconf.model import Target
    from keyconf.pipeline.checks import check_targets

    protocol = adapters.get(clients[0]).protocol if clients else "chat"
    for number, root in enumerate(request.endpoints, 1):
        label = f"endpoint {number}"
        finding = check_targets(session, [Target(root, request.key, protocol, client=label)],
                                timeout=flags.timeout).get(label)
        if finding is not None and not finding.hard:
            out.say(f"the link lists {count} endpoints; endpoint {number} of {count} answered: using {root}",
                    err=True)
            out.extra["endpoint_chosen"] = root
            if root != request.base_url:
                request.base_url, request.given_url = root, None
            return
        out.say(f"  endpoint {number} of {count}, {root}: {finding.reason if finding else 'no answer'}", err=True)
    out.say(f"none of the {count} endpoints answered; the first, {request.endpoints[0]}, is checked again below",
            err=True)


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
            model: str | None, flags: Flags, from_handler: bool = False, link_from: str | None = None) -> int:
    if from_handler and flags.yes:
        raise UsageError("-y/--yes is refused with --from-handler: a clicked link was chosen by a web page, so a "
                         "person confirms it", hint=HANDLER_HINT)
    if link_from is not None and not from_handler:
        raise UsageError("--link-from is for keyconf's own handler (--from-handler)")
    if from_handler and not session.at_terminal(stdout=True):
        return _no_terminal(session, link, to, profile_name, model, flags, link_from)
    if not from_handler:
        return _import(session, link, to, profile_name, model, flags, from_handler, link_from)
    # keyconf opened this terminal for the clicked link and it closes when keyconf ends: say what happened
    # (errors too), then let it be read.
    try:
        code = _import(session, link, to, profile_name, model, flags, from_handler, link_from)
    except KeyconfError as exc:
        session.out.error(exc)
        code = int(exc.code)
    import click

    click.prompt("Press Enter to close", default="", show_default=False, err=True)
    return code


def _no_terminal(session: Session, link, to, profile_name, model, flags: Flags, link_from) -> int:
    """A clicked link without a terminal: on a Linux desktop open one (the link goes to it through a pipe, not
    its command line); else refuse, saying so where it can be seen."""
    from keyconf.osenv import handoff
    from keyconf.osenv.system import keyconf_argv

    why = None
    if link_from is not None:
        from keyconf.links import MAX_LINK

        handoff.read_fifo(link_from, MAX_LINK)  # taken (and dropped) so the handler that waits on it ends
    elif link not in (None, "-") and session.paths.platform == "linux":
        extra = [arg for name, value in (("--profile", profile_name), ("--model", model)) if value
                 for arg in (name, value)] + [arg for client in to for arg in ("--to", client)]
        extra += [flag for flag, on in (("--dry-run", flags.dry_run), ("--no-verify", flags.no_verify),
                                        ("--no-open", flags.no_open)) if on]
        why = handoff.open_terminal(session.env, keyconf_argv(session.env), link, extra)
        if why is None:
            session.out.say("opened a terminal for the link: confirm or refuse it there", err=True)
            return Exit.OK
    handoff.notify(session.env, HANDLER_NO_TERMINAL)
    raise UnsafeEdit(HANDLER_NO_TERMINAL + (f" ({why})" if why else ""), hint=HANDLER_HINT)


def _import(session: Session, link: str | None, to: tuple[str, ...], profile_name: str | None,
            model: str | None, flags: Flags, from_handler: bool, link_from: str | None) -> int:
    from keyconf import links

    out = session.out
    text = _read_link(session, link, from_handler, link_from)
    try:
        request = links.read(text)
    except UsageError as exc:
        from keyconf.links._paste import looks_pasted

        if link is None and session.can_ask and looks_pasted(text):
            # the hidden prompt reads one line: a pasted script or config arrived cut
            exc.hint = ("the prompt takes one line; pipe a script or config file instead: "
                        "`pbpaste | keyconf import -` (or `xclip -o -selection clipboard | keyconf import -`)")
        raise
    out.extra["link"] = request.masked()
    host = request.host()
    out.extra["host"] = host.as_json()
    out.say(f"{'pasted' if request.source == 'paste' else 'link'}: {request.masked()}", err=True)
    for line in host.lines():
        out.say(line, err=True)
    for line in request.ignored:
        out.say(f"  carried but not applied: {line}", err=True)
    explicit = profile_name is not None
    name = check_name(profile_name) if explicit else links.profile_name_for(request)
    relay = host.host
    if len(request.endpoints) > 1:
        from keyconf.links import describe_host

        out.extra["endpoints"] = list(request.endpoints)
        for number, root in enumerate(request.endpoints[1:], 2):
            for line in describe_host(root).lines():
                out.say(line.replace("relay host:", f"endpoint {number} host:"), err=True)
        relay = "whichever answers first of " + ", ".join(describe_host(r).host for r in request.endpoints)
    clients = _targets(session, request, to)
    chosen = _chosen(session, request, name, explicit, flags, from_handler)
    if chosen is None:
        out.say("nothing was changed; pass --profile NAME to import it as another profile", err=True)
        return Exit.OK
    if request.usage:
        chosen.profile.usage = dict(request.usage)
    name = chosen.profile.name
    requests = [Request(c, "use", options_from(request, c, model)) for c in clients]
    if not flags.dry_run and not (flags.yes and not from_handler):
        if session.at_terminal(stdout=from_handler) or (not from_handler and session.controlling_terminal()):
            # show what would change (key masked), then ask
            run(session, Job("import", requests, chosen=chosen), Flags(dry_run=True))
        warned = " (see the warning about its host)" if host.warnings else ""
        if not consent(session, f"Import into {', '.join(clients)} as profile {name}, relay {relay}{warned}?",
                       flags, from_handler):
            out.say("nothing was changed", err=True)
            return Exit.OK
    if len(request.endpoints) > 1 and not flags.dry_run:
        # only now, with consent: the key goes to the link's endpoints in turn
        first = request.base_url
        _pick_endpoint(session, request, clients, flags)
        if request.base_url != first:
            out.extra["host"] = request.host().as_json()
            chosen = _chosen(session, request, name, explicit, flags, from_handler)
            if chosen is None:
                out.say("nothing was changed", err=True)
                return Exit.OK
            if request.usage:
                chosen.profile.usage = dict(request.usage)
    return run(session, Job("import", requests, chosen=chosen), flags).code
