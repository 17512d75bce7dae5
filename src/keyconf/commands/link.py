"""`keyconf link CLIENT`: the client's one-click import link (cc-switch's, Cherry Studio's), masked unless
--reveal, or opened with the system's handler; it replays the client's binding."""

from __future__ import annotations

from keyconf import adapters
from keyconf.errors import UsageError
from keyconf.model import Options
from keyconf.pipeline.readback import binding_and_profile
from keyconf.pipeline.report import refuse_reveal_with_json
from keyconf.session import Session
from keyconf.stores import secretstore


def _made_link(adapter, profile, key: str, opts: Options, fmt: str | None) -> tuple[str, str]:
    """CLIENT's link in the asked format: cc-switch's for the clients cc-switch knows, Cherry Studio's for
    any profile; without --format, the client's own kind."""
    from keyconf import links

    if fmt == "cherry":
        return links.cherry_link(profile.name, profile.base_url, key, opts.protocol)
    if fmt == "ccr":
        return links.ccr_link(profile.name, profile.base_url, key, adapter.protocol, opts.model)
    if fmt == "chatbox":
        # Chatbox speaks OpenAI's chat API or Anthropic's; --protocol picks, else the client's own
        protocol = opts.protocol or ("anthropic" if adapter.protocol == "anthropic" else None)
        return links.chatbox_link(profile.name, profile.base_url, key, protocol, opts.model)
    if fmt == "ccswitch":
        return links.ccswitch_link(adapter.id, profile.name, profile.base_url, key,
                                   {"model": opts.model, **(opts.models or {})})
    made = adapter.link(profile, key, opts)
    if made is None:
        from keyconf.adapters.base import Adapter

        linked = [c for c in adapters.CLIENT_IDS if type(adapters.get(c)).link is not Adapter.link]
        raise UsageError(f"{adapter.title} has no one-click import link of its own",
                         hint=f"use `keyconf use {adapter.id}`; links exist for: {', '.join(linked)} "
                              "(and --format cherry makes a Cherry Studio link of any profile)")
    return made


def link(session: Session, client: str, profile_name: str | None, model: str | None, protocol: str | None,
         open_: bool, reveal: bool, fmt: str | None = None) -> int:
    from keyconf.osenv.system import open_link

    out = session.out
    refuse_reveal_with_json(out, reveal, "the working link by itself", "the link")
    adapter = adapters.get(client)
    client = adapter.id  # an alias (`claude`) names the same client
    binding, profile = binding_and_profile(session, client, profile_name)
    opts = binding.options if binding else Options()
    if model or protocol:
        opts = opts.replace(**{k: v for k, v in (("model", model), ("protocol", protocol)) if v})
    key = secretstore.read_key(session.paths, profile)
    made = _made_link(adapter, profile, key, opts, fmt)
    full, masked = made
    out.result({"client": client, "profile": profile.name, "link": full if reveal else masked,
                "revealed": reveal, "opened": open_})
    if open_:
        open_link(session.env, session.paths.platform, full)  # no handler: exit 3 with the manual way
        out.say(f"opened the {adapter.title} import link; confirm the import in its dialog")
    if out.json_mode:
        return 0
    if reveal:
        out.raw(full + "\n")
    elif not open_:
        out.say(masked)
        out.say("(the key is masked; add --reveal to print the working link, or --open to open it)", err=True)
    return 0
