"""One-click import links: read every link a relay dashboard's buttons make, and make the cc-switch and Cherry
Studio links keyconf offers itself. Pure: no I/O, nothing printed; every refusal is a UsageError (exit 2).

Each format is read the way its own app reads it:
- cc-switch `ccswitch://v1/import?resource=provider&app=...`: farion1231/cc-switch
  src-tauri/src/deeplink/{parser,provider,utils}.rs (query into a map, so the last duplicate wins; lenient
  base64; the `config` payload fills endpoint, key and models only where the parameters don't).
- Cherry Studio `cherrystudio://providers/api-keys?v=1&data=`: CherryHQ/cherry-studio
  src/main/services/urlschema/handle-providers.ts (URLSearchParams, so the first duplicate wins; both base64
  alphabets; a payload that is not strict JSON gets Cherry's own `'`->`"`, `(`/`)` removal as a second try).
- AionUI, DeepChat, AMA, OpenCat and the https settings links (Lobe Chat, AI as Workspace, NextChat): the
  templates of QuantumNous/new-api web/src/hooks/tokens/useTokensData.jsx (`onOpenLink`) and one-api's NextChat.

A link comes from a web page, so it is untrusted input: only the Base URL, the key and the model names are
taken from it. Everything else it carries (homepage, notes, `enabled`, other environment variables such as
`NODE_OPTIONS` in a `config` payload) is listed in `ImportRequest.ignored`, never applied. No message shows the
key or the raw link.

The package: `_reader` (what every reader shares), `_formats` (one reader per format, `parse`), `_build` (the
links keyconf makes). Import from `keyconf.links` only.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from keyconf.links._build import (
    DASHBOARD_TEMPLATES,
    ccr_link,
    ccswitch_link,
    chatbox_link,
    cherry_link,
    cherry_payload,
    cherry_provider_id,
    dashboard_link,
)
from keyconf.links._formats import CCSWITCH_APPS, MAX_LINK, MODEL_PARAMS, SOURCES, SUPPORTED, parse, read
from keyconf.links._host import describe as describe_host
from keyconf.links._more import CCR_PROTOCOLS
from keyconf.links._reader import ImportRequest

__all__ = ["CCR_PROTOCOLS", "CCSWITCH_APPS", "DASHBOARD_TEMPLATES", "MAX_LINK", "MODEL_PARAMS", "SOURCES",
           "SUPPORTED", "ImportRequest", "ccr_link", "ccswitch_link", "chatbox_link", "cherry_link", "cherry_payload",
           "cherry_provider_id", "dashboard_link", "describe_host", "parse", "profile_name_for", "read"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def profile_name_for(request: ImportRequest) -> str:
    """The link's name when it is a valid profile name, else one made from the relay's host
    (`https://relay.example.com:8443` -> `relay-example-com-8443`). Always a valid profile name."""
    name = (request.name or "").strip()
    if _NAME.fullmatch(name) and name != request.key:
        return name
    parts = urlsplit(request.base_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "") + (f"-{port}" if port else "")
    slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:64].rstrip("-")
    return slug or "relay"
