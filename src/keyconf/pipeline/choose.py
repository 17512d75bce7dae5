"""Which clients a command is for when none are named: a terminal gets a menu of the installed clients,
a script a usage error listing them (`use` with no client, `import` of a link that names none)."""

from __future__ import annotations

from keyconf import adapters
from keyconf.adapters.base import Context
from keyconf.errors import UsageError
from keyconf.session import Session
from keyconf.stores.state import State


def installed_clients(session: Session) -> list[str]:
    ctx = Context(session.paths, State.load(session.paths))
    return [c for c in adapters.CLIENT_IDS if adapters.get(c).installed(ctx)]


def choose_clients(session: Session, why: str) -> list[str]:
    installed = installed_clients(session)
    if not session.can_ask:
        raise UsageError(f"name the clients to configure: {why}",
                         hint=f"installed here: {', '.join(installed)}; all clients: {', '.join(adapters.CLIENT_IDS)}"
                              " (or --all for every installed client)")
    import click

    out = session.out
    out.say("Which clients should use it?", err=True)
    for number, client in enumerate(installed, 1):
        out.say(f"  {number}. {client:<14} {adapters.get(client).title}", err=True)
    answer = click.prompt("Numbers or names, separated by spaces (Enter: all installed)", default="",
                          show_default=False, err=True)
    return parse_choice(answer, installed)


def parse_choice(answer: str, installed: list[str]) -> list[str]:
    """`1 3`, `codex claude-code`, or nothing (all installed) -> client ids; anything else is refused."""
    words = answer.replace(",", " ").split()
    if not words:
        return list(installed)
    chosen = []
    for word in words:
        if word.isdigit() and 1 <= int(word) <= len(installed):
            client = installed[int(word) - 1]
        elif adapters.canonical(word):
            client = adapters.canonical(word)
        else:
            raise UsageError(f"{word!r} is not one of the listed numbers or a client name",
                             hint=f"clients: {', '.join(adapters.CLIENT_IDS)}")
        if client not in chosen:
            chosen.append(client)
    return chosen
