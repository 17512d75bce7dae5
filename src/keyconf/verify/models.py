"""Which models a client will ask for (from its adapter's release table) and what is wrong when the key's
group doesn't offer them."""

from __future__ import annotations

import re

from keyconf.errors import Exit
from keyconf.verify.findings import FAMILIES, Finding


def _client(target):
    """The adapter of the client the target is for; for a bare protocol check, the client that speaks it
    and knows its models (Claude Code for anthropic). None: no client knows (chat)."""
    from keyconf import adapters

    client = target.client
    if client in adapters.CLIENT_IDS:
        return adapters.get(client)
    if client:
        return None  # a profile's own check ("profile work"): no client's defaults apply
    return next((a for a in map(adapters.get, adapters.CLIENT_IDS)
                 if a.protocol == (target.protocol or "chat") and a.model_table), None)


def _wanted(target, deep: bool):
    """What the client will ask for (adapters.releases.Asked): its models, main first, whether the main one is
    the installed release's default, and why keyconf cannot tell when it cannot.

    A built-in default is only looked for when the client is known (or a deep request needs a model):
    check() callers without a client keep the old meaning, no model set means no model checked.
    """
    from keyconf.adapters import releases
    from keyconf.osenv import clientversion

    client = _client(target)
    return releases.asked_for(client, target, deep, lambda: clientversion.of(client))


def _closest(model: str, available: list[str]) -> list[str]:
    """Up to five offered models nearest to `model`, its own family (claude-, gpt-, gemini-) first."""
    import difflib

    family = re.match(r"[a-z]+", model.lower())
    same = [m for m in available if family and m.lower().startswith(family.group(0))]
    if same:
        return difflib.get_close_matches(model, same, n=5, cutoff=0) or same[:5]
    return difflib.get_close_matches(model, available, n=5, cutoff=0.3) or available[:5]


def _title(target) -> str:
    client = _client(target)
    return client.title if client else "the client"


def _model_problem(target, wanted: list[str], default: bool, available: list[str],
                   version: str | None = None) -> Finding | None:
    version = f" {version}" if version else ""
    protocol = target.protocol or "chat"
    if not available:
        return Finding(False, Exit.NO_ACCESS, "the key's group offers no models at all",
                       "available group: give the key a group with models on the dashboard, or clear its model limits")
    configured = bool((target.model or "").strip() or target.tiers)
    if not configured and protocol in FAMILIES:
        word, family = FAMILIES[protocol]
        if not any(word in m.lower() for m in available):
            return Finding(False, Exit.NO_ACCESS,
                           f"the key's group offers no {family} model, so {_title(target)} cannot work with it "
                           f"(it offers {', '.join(available[:5])}{'…' if len(available) > 5 else ''})",
                           f"available group: choose a group with {family} models for this key on the dashboard, "
                           "or set the models the client should use (--model)")
    for i, model in enumerate(wanted):
        if model in available:
            continue
        closest = _closest(model, available)
        if default and i == 0:
            return Finding(False, Exit.NO_ACCESS,
                           f"{_title(target)}{version} asks for {model} when no model is set, and the key's group "
                           "does not offer it",
                           f"available group: set a model the group offers, e.g. --model {closest[0]} "
                           f"(closest: {', '.join(closest)}), or change the key's group", model=model)
        return Finding(False, Exit.NO_ACCESS, f"model {model!r} is not available to this key",
                       "available group: choose one of " + ", ".join(closest) + ", or change the key's group",
                       model=model)
    return None


def _odd_key(key: str) -> Finding | None:
    from keyconf.keys.input import describe_char

    for i, ch in enumerate(key):
        if not 0x21 <= ord(ch) <= 0x7E:
            return Finding(False, Exit.KEY_REJECTED,
                           f"the configured key contains {describe_char(ch)} at character {i + 1}, which no relay "
                           "accepts", "complete key: copy the whole key again and run keyconf use again")
    return None


