"""claude-code-router's and Chatbox's provider links: read the way those apps read them, and made for a profile.

- claude-code-router `ccr://provider?name=&base_url=&api_key=&protocol=&models=` (musistudio/claude-code-router
  packages/core/src/contracts/deep-link.ts): URLSearchParams, the first non-empty value wins; a `payload`
  parameter (JSON, or base64url JSON) carries the same fields; `models` may repeat and split on commas and
  newlines; a base_url without a scheme gets https://. `manifest=<url>` names settings to download: keyconf
  never fetches what a link points at, so it refuses and says so.
- Chatbox `chatbox://provider/import?config=<base64 JSON>` (chatboxai/chatbox src/main/deeplinks.ts,
  src/renderer/utils/provider-config.ts): `{"id", "name", "type", "settings": {"apiHost", "apiKey", "models":
  [{"modelId"}]}}`, js-base64 decoding (both alphabets, padding optional, a space is a `+`).
"""

from __future__ import annotations

import re

from keyconf.links._reader import SCHEME, ImportRequest, Parser, echo, nonempty, note_params

# claude-code-router's protocols -> the keyconf client that speaks it (None: several do; ask, or --to)
CCR_PROTOCOLS = {"anthropic_messages": "claude-code", "openai_responses": "codex",
                 "gemini_generate_content": "gemini-cli", "openai_chat_completions": None}
# keyconf's verification protocol of a client (adapter.protocol) -> claude-code-router's
_CCR_OF = {"anthropic": "anthropic_messages", "responses": "openai_responses", "chat": "openai_chat_completions",
           "gemini": "gemini_generate_content"}
_CCR_FIELDS = ("name", "base_url", "api_key", "protocol", "models", "payload")


def _first(pairs, name: str) -> str | None:
    """URLSearchParams.get, skipping blank values as claude-code-router's firstStringParam does."""
    for key, value in pairs:
        if key == name and value.strip():
            return value.strip()
    return None


def read_ccr(p: Parser) -> ImportRequest:
    link = p.link
    p.no_credentials()
    first_segment = (link.path.strip("/").split("/") or [""])[0].lower()
    if (link.authority or "").lower() != "provider" and first_segment != "provider":
        p.fail("unsupported claude-code-router link: keyconf reads ccr://provider?name=...&base_url=...&api_key=...")
    pairs = p.pairs(link.query)
    payload: dict = {}
    raw_payload = _first(pairs, "payload")
    if raw_payload is not None:
        text = raw_payload if raw_payload.startswith("{") else p.text(p.b64(raw_payload, "payload"), "payload")
        payload = p.json(text, "payload")

    def field(name):
        value = _first(pairs, name)
        if value is None and isinstance(payload.get(name), str) and payload[name].strip():
            value = payload[name].strip()
        return value

    if field("manifest") is not None:
        p.fail("this claude-code-router link only names a manifest to download (manifest=<url>); keyconf never "
               "fetches settings a link points at, so nothing was fetched or written",
               hint="ask the provider for its Base URL and key (or a link that carries them)")
    protocol = field("protocol")
    if protocol is not None and protocol not in CCR_PROTOCOLS:
        p.fail(f"unsupported protocol {echo(protocol)} in the claude-code-router link",
               hint="claude-code-router knows " + ", ".join(CCR_PROTOCOLS))
    key = p.clean_key(field("api_key"), "api_key")
    base = field("base_url")
    if base is not None and not SCHEME.match(base):
        base = "https://" + base  # claude-code-router's providerUrlWithDefaultScheme
    root = p.root(base, "base_url")
    models = []
    for value in [v for k, v in pairs if k == "models"] + _payload_models(payload):
        models += [m.strip() for m in re.split(r"[\n,]+", value) if m.strip()]
    model = p.model(models[0], "models") if models else None
    for extra in dict.fromkeys(models[1:]):
        p.note("models (more)", extra, "keyconf sets one model")
    for name, value in payload.items():
        if name not in _CCR_FIELDS:
            p.note(f"payload {name}", value)
    note_params(p, pairs, set(_CCR_FIELDS), reasons={"source": "where the link came from; shown, not applied"})
    client = CCR_PROTOCOLS.get(protocol or "")
    return ImportRequest("ccr", app=client, clients=[client] if client else [], name=field("name"), base_url=root,
                         key=key, models={"model": model} if model else {}, ignored=p.ignored,
                         protocol="anthropic" if protocol == "anthropic_messages" else None,
                         shown=p.render(pairs, {"payload": payload} if raw_payload is not None else {}))


def _payload_models(payload: dict) -> list[str]:
    value = payload.get("models")
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found += [item[k] for k in ("id", "slug", "model", "name") if isinstance(item.get(k), str)][:1]
    return found


def read_chatbox(p: Parser) -> ImportRequest:
    from keyconf.links._reader import first_wins

    link = p.link
    p.no_credentials()
    if link.authority != "provider" or link.path != "/import":
        p.fail("unsupported Chatbox link: keyconf reads chatbox://provider/import?config=...")
    pairs = p.pairs(link.query)
    params = first_wins(pairs)
    if not (params.get("config") or "").strip():
        p.fail("the Chatbox link carries no config", hint="make the link again with the provider's button")
    doc = p.json(p.text(p.b64(params["config"], "config payload"), "config payload"), "config payload")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        p.fail("the Chatbox link's config has no settings object")
    key = p.clean_key(settings.get("apiKey"), "settings.apiKey")
    root = p.root(settings.get("apiHost"), "settings.apiHost")
    kind = doc.get("type")
    model = None
    for index, entry in enumerate(settings.get("models") if isinstance(settings.get("models"), list) else []):
        model_id = entry.get("modelId") if isinstance(entry, dict) else None
        if index == 0 and isinstance(model_id, str):
            model = p.model(model_id, "settings.models[0].modelId")
        else:
            p.note(f"settings.models[{index}]", model_id if isinstance(model_id, str) else entry,
                   "keyconf sets one model")
    for name, value in settings.items():
        if name not in ("apiKey", "apiHost", "models"):
            p.note(f"settings.{name}", value)
    name = doc.get("name") if isinstance(doc.get("name"), str) else None
    given_id = doc.get("id")
    if isinstance(given_id, str) and given_id.startswith("keyconf-"):
        name = given_id[len("keyconf-"):]  # a link keyconf made: its id carries the profile's name
    for field, value in doc.items():
        if field in ("settings", "name") or (field == "type" and value in ("openai", "openai-responses", "anthropic")):
            continue
        p.note(field, value, "keyconf gives each profile its own provider id" if field == "id" else "")
    note_params(p, pairs, {"config"})
    return ImportRequest("chatbox", name=nonempty(name), base_url=root, key=key,
                         models={"model": model} if model else {}, ignored=p.ignored,
                         protocol="anthropic" if kind == "anthropic" else None, shown=p.render(pairs, {"config": doc}))


# ---- the links keyconf makes ---------------------------------------------------------------------------------

