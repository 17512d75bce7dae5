"""The links keyconf makes: cc-switch's (byte for byte what New API's button makes) and Cherry Studio's (an id of
keyconf's own per profile), plus New API's `Chats` templates resolved exactly as its token list does."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from keyconf.errors import UsageError
from keyconf.links._formats import CCSWITCH_APPS, MODEL_PARAMS, parse
from keyconf.links._more import _CCR_OF
from keyconf.links._reader import form, uri_component

_CLIENT_APPS = {client: app for app, client in CCSWITCH_APPS.items()}
# Apps whose endpoint New API's button gives as origin + /v1 (OpenAI-style clients).
_V1_APPS = ("codex", "opencode", "openclaw", "hermes")

# New API's default `Chats` templates (setting/chats in QuantumNous/new-api; `{key}` is `sk-` + the token's key,
# `{address}` the server address percent-encoded) and one-api's NextChat one.
DASHBOARD_TEMPLATES = {
    "cherrystudio": "cherrystudio://providers/api-keys?v=1&data={cherryConfig}",
    "aionui": "aionui://provider/add?v=1&data={aionuiConfig}",
    "deepchat": "deepchat://provider/install?v=1&data={deepchatConfig}",
    "lobechat": 'https://chat-preview.lobehub.com/?settings={"keyVaults":{"openai":{"apiKey":"{key}",'
                '"baseURL":"{address}/v1"}}}',
    "aiaw": 'https://aiaw.app/set-provider?provider={"type":"openai","settings":{"apiKey":"{key}",'
            '"baseURL":"{address}/v1","compatibility":"strict"}}',
    "ama": "ama://set-api-key?server={address}&key={key}",
    "opencat": "opencat://team/join?domain={address}&token={key}",
    "nextchat": 'https://app.nextchat.dev/#/?settings={"key":"{key}","url":"{address}"}',
}


def ccswitch_link(app: str, name: str, endpoint_root: str, key: str, models: dict | None = None) -> tuple[str, str]:
    """The cc-switch link New API's "CC Switch" button makes (web/src/components/table/tokens/modals/
    CCSwitchModal.jsx `buildCCSwitchURL`), and its masked form. `app` is a cc-switch app or keyconf client id;
    `endpoint_root` the relay's root (OpenAI-style apps get root + /v1, as the button does); `key` the whole key
    (New API passes `sk-` + the token's key); `models` as ImportRequest.models (tiers only for claude)."""
    app = _CLIENT_APPS.get(app, app)
    if app not in CCSWITCH_APPS:
        raise UsageError(f"no ccswitch link for {app!r}", hint="ccswitch links exist for "
                         + ", ".join(CCSWITCH_APPS.values()))
    endpoint = endpoint_root + "/v1" if app in _V1_APPS else endpoint_root
    fields = [("resource", "provider"), ("app", app), ("name", name), ("endpoint", endpoint), ("apiKey", key)]
    for field, param in MODEL_PARAMS:
        if (models or {}).get(field) and (field == "model" or app == "claude"):
            fields.append((param, models[field]))
    fields += [("homepage", endpoint_root), ("enabled", "true")]
    link = "ccswitch://v1/import?" + "&".join(f"{k}={form(v)}" for k, v in fields)
    return link, parse(link).masked()


def cherry_provider_id(profile_name: str) -> str:
    # Never New API's built-in `new-api` id: Cherry would append the key to that provider's key list.
    return f"keyconf-{profile_name}"


_CHERRY_MANGLED = set("'()")


def cherry_payload(profile_name: str, root: str, key: str, protocol: str | None = None) -> dict:
    """keyconf's own Cherry Studio provider: an id per profile, the root as Cherry wants it."""
    data = {"id": cherry_provider_id(profile_name), "baseUrl": root, "apiKey": key,
            "name": f"{profile_name} · keyconf", "type": "anthropic" if protocol == "anthropic" else "openai"}
    for field, value in data.items():
        bad = sorted(_CHERRY_MANGLED & set(value))
        if bad:
            what = "the key" if field == "apiKey" else f"the {field} {value!r}"
            raise UsageError(f"{what} contains {' '.join(bad)}, which Cherry Studio's import mangles",
                             hint="rename the profile (or use another key) without ' ( )", client="cherry-studio")
    return data


def cherry_link(profile_name: str, root: str, key: str, protocol: str | None = None) -> tuple[str, str]:
    """`cherrystudio://providers/api-keys?v=1&data=...`: standard base64 of compact UTF-8 JSON, percent-encoded
    (Cherry swaps `_`/`-` back to `+`/`/`, so the URL-safe alphabet would decode wrong), and its masked form.
    The same bytes as adapters/cherry_studio.py build_link(payload(...))."""
    raw = json.dumps(cherry_payload(profile_name, root, key, protocol), ensure_ascii=False,
                     separators=(",", ":")).encode("utf-8")
    link = f"cherrystudio://providers/api-keys?v=1&data={quote(base64.b64encode(raw).decode('ascii'), safe='')}"
    return link, parse(link).masked()


def dashboard_link(template: str, server_address: str, token_key: str) -> str:
    """A `Chats` template resolved exactly as New API's token list does (`onOpenLink`): the three config
    placeholders are base64 (btoa of the UTF-8 JSON) then encodeURIComponent; otherwise `{address}` is
    encodeURIComponent(server address) and `{key}` is `sk-` + the token's key, inserted raw."""
    key = f"sk-{token_key}"
    configs = {"{cherryConfig}": {"id": "new-api", "baseUrl": server_address, "apiKey": key},
               "{aionuiConfig}": {"platform": "new-api", "baseUrl": server_address, "apiKey": key},
               "{deepchatConfig}": {"id": "new-api", "baseUrl": server_address, "apiKey": key}}
    for placeholder, payload in configs.items():
        if placeholder in template:
            raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            return template.replace(placeholder, uri_component(base64.b64encode(raw).decode("ascii")))
    return template.replace("{address}", uri_component(server_address)).replace("{key}", key)


def ccr_link(name: str, root: str, key: str, protocol: str, model: str | None = None) -> tuple[str, str]:
    """A claude-code-router provider link for a profile. `protocol`: a client's verification protocol
    (anthropic | responses | chat | gemini). The Base URL in the shape the protocol's SDKs take: the root for
    Anthropic and Gemini, root + /v1 for OpenAI's (keyconf reads either back)."""
    ccr_protocol = _CCR_OF.get(protocol, "openai_chat_completions")
    base = root + "/v1" if ccr_protocol.startswith("openai") else root
    fields = [("name", name), ("base_url", base), ("api_key", key), ("protocol", ccr_protocol)]
    if model:
        fields.append(("models", model))
    link = "ccr://provider?" + "&".join(f"{k}={form(v)}" for k, v in fields)
    return link, parse(link).masked()


def chatbox_link(profile_name: str, root: str, key: str, protocol: str | None = None,
                 model: str | None = None) -> tuple[str, str]:
    """Chatbox's import link for a profile: a custom provider of keyconf's own id (never a built-in one, which
    would have its key replaced), the host in the shape Chatbox wants (root for OpenAI, root + /v1 for
    Anthropic), URL-safe unpadded base64 as clients-desktop.md advises."""
    anthropic = protocol == "anthropic"
    settings: dict = {"apiHost": root + "/v1" if anthropic else root, "apiKey": key}
    if model:
        settings["models"] = [{"modelId": model, "type": "chat"}]
    doc = {"id": f"keyconf-{profile_name}", "name": f"{profile_name} · keyconf",
           "type": "anthropic" if anthropic else "openai", "settings": settings}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    link = "chatbox://provider/import?config=" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return link, parse(link).masked()
