"""What verification says when it cannot tell which model a client will ask for (a release newer than its
adapter's model table, no client installed, an alias whose meaning moved): never a guess. It names the
models of the client's family the key's group offers, and how to make the answer certain (`--model`)."""

from __future__ import annotations


def family_models(adapter, offered: list[str]) -> list[str]:
    from keyconf.adapters.releases import table_of

    table = table_of(adapter)
    family = table.family if table else ""
    return [m for m in offered if family and m.lower().startswith(family)]


def cannot_tell(adapter, why: str, offered: list[str]) -> str:
    """One note: why, what the group offers of that family, which --model to set."""
    title = adapter.title if adapter is not None else "the client"
    text = f"{why}, so keyconf cannot tell which model {title} will ask for"
    from keyconf.adapters.releases import table_of

    same = family_models(adapter, offered)
    table = table_of(adapter)
    if same:
        shown = ", ".join(same[:8]) + ("…" if len(same) > 8 else "")
        text += f"; the key's group offers these {table.family} models: {shown}"
        pick = same[0]
    else:
        family = f"{table.family} " if table else ""
        text += f"; the key's group offers no {family}models" + (f" (it offers {', '.join(offered[:5])})"
                                                                 if offered else "")
        pick = offered[0] if offered else None
    if pick and adapter is not None:
        text += f". To be sure, set the model: keyconf use {adapter.id} --model {pick}"
    return text
