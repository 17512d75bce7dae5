"""The readers, one per format, each reading its links the way its own app does (sources in the package
docstring), and `parse`, which picks the reader by scheme."""

from __future__ import annotations

import re

from keyconf.errors import UsageError
from keyconf.links._configs import _apply_config, _ccswitch_config
from keyconf.links._more import read_ccr, read_chatbox
from keyconf.links._reader import (
    SCHEME,
    ImportRequest,
    Parser,
    Split,
    echo,
    first_wins,
    nonempty,
    note_params,
    printable,
)

MAX_LINK = 64 * 1024

# cc-switch's `app` -> keyconf's client id.
CCSWITCH_APPS = {"claude": "claude-code", "codex": "codex", "gemini": "gemini-cli", "opencode": "opencode",
                 "openclaw": "openclaw", "hermes": "hermes"}
# Apps cc-switch knows that keyconf has no client for (cc-switch parser.rs).
_CCSWITCH_OTHER_APPS = ("grokbuild",)
_CCSWITCH_HINT = "keyconf imports ccswitch links for " + ", ".join(CCSWITCH_APPS)

SOURCES = {"ccswitch": "CC Switch", "cherrystudio": "Cherry Studio", "aionui": "AionUI", "deepchat": "DeepChat",
           "ama": "AMA", "opencat": "OpenCat", "lobechat": "Lobe Chat", "aiaw": "AI as Workspace",
           "nextchat": "NextChat", "ccr": "claude-code-router", "chatbox": "Chatbox", "paste": "pasted text"}
SUPPORTED = ("ccswitch://, cherrystudio://, aionui://, deepchat://, ama://, opencat://, ccr://, chatbox:// and the "
             "https settings links of Lobe Chat (?settings=), AI as Workspace (set-provider?provider=) and NextChat "
             "(#/?settings=)")

# ImportRequest.models key -> cc-switch parameter, in the order New API's button writes them.
MODEL_PARAMS = (("model", "model"), ("haiku", "haikuModel"), ("sonnet", "sonnetModel"), ("opus", "opusModel"))


def _check_text(link) -> None:
    if not isinstance(link, str):
        raise UsageError("the link must be text")
    if len(link) > MAX_LINK or len(link.encode("utf-8", "surrogatepass")) > MAX_LINK:
        raise UsageError("the link is longer than 64 KiB; no dashboard makes links that long",
                         hint="copy the link again with the dashboard's button")
    bad = next((i for i, c in enumerate(link) if 0xD800 <= ord(c) <= 0xDFFF), None)
    if bad is not None:
        # a byte that is not UTF-8 (the shell and stdin hand it over as a lone surrogate): no app makes that
        raise UsageError(f"the link is not UTF-8 text (an undecodable byte at character {bad + 1})",
                         hint="copy the link again with the dashboard's button")


def read(text: str) -> ImportRequest:
    """A link, or pasted text that carries a Base URL and a key (links._paste). UsageError otherwise."""
    from keyconf.links._paste import looks_pasted, parse_paste

    _check_text(text)
    scheme = SCHEME.match(text.strip())
    if not (scheme and scheme[1].lower() in READERS) and looks_pasted(text):
        try:
            return parse_paste(text)
        except (ValueError, RecursionError, UnicodeError, OverflowError):
            raise UsageError("the pasted text could not be read") from None
    return parse(text)


def parse(link: str) -> ImportRequest:
    """Read one dashboard link. Raises UsageError (exit 2) with a message that holds neither key nor link."""
    _check_text(link)
    text = tidy(link)
    parts = Split(text)
    if parts.scheme is None:
        looks_like_key = text.startswith("sk-") or bool(re.fullmatch(r"[\w-]{16,}", text))
        raise UsageError("this is not a link" + (" (it looks like a key)" if looks_like_key else ""),
                         hint=f"keyconf import takes the link a dashboard's import button makes: {SUPPORTED}"
                         + ("; to use a key, run `keyconf use CLIENT --key-stdin`" if looks_like_key else ""))
    parser = Parser(parts)
    reader = READERS.get(parts.scheme)
    if reader is None:
        raise UsageError(f"keyconf does not know links starting with {echo(parts.scheme + ':')}",
                         hint=f"keyconf reads {SUPPORTED}")
    try:
        request = reader(parser)
        request.given_url = parser.given.get(request.base_url)
        return request
    except (ValueError, RecursionError, UnicodeError, OverflowError):
        # the readers refuse with their own messages; this is the net under them (exit 2, never 1)
        raise UsageError("the link could not be read", hint="copy the link again with the dashboard's button") \
            from None


def tidy(link: str) -> str:
    # As a browser does (WHATWG URL): surrounding spaces and control characters go, tabs and newlines inside
    # (a link wrapped by a terminal) are dropped. Quotes or <> around a pasted link go too.
    text = link.strip("".join(map(chr, range(33))))
    text = re.sub(r"[\t\n\r]", "", text)
    if len(text) >= 2 and (text[0], text[-1]) in (('"', '"'), ("'", "'"), ("<", ">")):
        text = text[1:-1].strip()
    return text


# ---- cc-switch ----------------------------------------------------------------------------------------------

# Where each app's `config` payload keeps the endpoint, key and models (cc-switch provider.rs merge_*_config),
# in order of preference.


def _read_ccswitch(p: Parser) -> ImportRequest:
    link = p.link
    p.no_credentials()
    if link.authority != "v1":
        if not link.authority:
            p.fail("this ccswitch link is malformed: it should start with ccswitch://v1/import?")
        p.fail(f"unsupported ccswitch link version {echo(link.authority)}: keyconf reads v1 links",
               hint="make the link again with the dashboard's button, or update keyconf")
    if link.path != "/import":
        p.fail(f"unsupported ccswitch link {echo(link.path)}: keyconf reads ccswitch://v1/import?...")
    pairs = p.pairs(link.query)
    params = dict(pairs)  # cc-switch collects the query into a map: the last duplicate wins
    resource = params.get("resource")
    if resource is None:
        p.fail("the ccswitch link has no resource parameter")
    if resource != "provider":
        p.fail(f"keyconf imports providers only; this ccswitch link imports a {echo(resource)}",
               hint="open it with CC Switch itself")
    app = params.get("app")
    if app is None:
        p.fail("the ccswitch link has no app parameter")
    if app not in CCSWITCH_APPS:
        if app in _CCSWITCH_OTHER_APPS:
            p.fail(f"keyconf has no client for cc-switch's app {echo(app)}",
                   hint=_CCSWITCH_HINT)
        p.fail(f"unknown app {echo(app)} in the ccswitch link", hint=_CCSWITCH_HINT)
    client = CCSWITCH_APPS[app]

    fields = {"endpoint": nonempty(params.get("endpoint")), "key": nonempty(params.get("apiKey"))}
    used = {"resource", "app", "name", "endpoint", "apiKey", "model"}
    for field, param in MODEL_PARAMS:
        if field == "model" or app == "claude":
            fields[field] = p.model(params.get(param), param)
            used.add(param)
    payloads = {}
    if "config" in params:
        payloads["config"] = doc = _ccswitch_config(p, params)
        used.update(("config", "configFormat"))
        _apply_config(p, app, doc, fields)
    if "configUrl" in params:
        used.add("configUrl")
        p.note("configUrl", params["configUrl"], "keyconf never fetches configuration named by a link")
        if fields["endpoint"] is None or fields["key"] is None:
            p.fail("this ccswitch link keeps its endpoint or key at a URL (configUrl), and keyconf never fetches "
                   "what a link points at; nothing was fetched or written",
                   hint="ask for a link that carries endpoint and apiKey, or run `keyconf use CLIENT`")

    usage = _ccswitch_usage(p, params, used)
    endpoints = [e.strip() for e in (fields["endpoint"] or "").split(",") if e.strip()]
    roots = [p.root(e, "endpoint") for e in endpoints]  # cc-switch refuses a link with any non-http(s) endpoint
    key = p.clean_key(fields["key"], "apiKey")
    root = roots[0] if roots else p.root(None, "endpoint")

    note_params(p, pairs, used, last_wins=True, reasons={
        "haikuModel": "only Claude Code has tier models", "sonnetModel": "only Claude Code has tier models",
        "opusModel": "only Claude Code has tier models"})
    models = {field: fields[field] for field, _ in MODEL_PARAMS if fields.get(field)}
    for extra in endpoints[1:]:
        p.note("endpoint (extra)", extra, "the endpoints are checked in order; the first that answers is used")
    request = ImportRequest("ccswitch", app=client, clients=[client], name=nonempty(params.get("name")),
                            base_url=root, key=key, models=models, ignored=p.ignored,
                            shown=p.render(pairs, payloads))
    request.endpoints = list(dict.fromkeys(roots))  # commands/import_ picks the first that answers
    request.usage = usage
    return request


# cc-switch's usage-query fields (a script it runs to show a balance): kept as text, never run; the two
# secrets are not kept at all.
_USAGE_FIELDS = {"usageEnabled": "enabled", "usageBaseUrl": "base_url", "usageUserId": "user_id",
                 "usageAutoInterval": "auto_interval", "usageScript": "script"}
_USAGE_SECRETS = ("usageApiKey", "usageAccessToken")


def _ccswitch_usage(p: Parser, params: dict, used: set) -> dict:
    usage = {}
    for param, name in _USAGE_FIELDS.items():
        value = params.get(param)
        if value is not None and value.strip():
            if any(not c.isprintable() and c not in "\n\t" for c in value):
                p.fail(f"the link's {param} contains control characters")
            usage[name] = value[:4096]
            used.add(param)
            p.note(param, value, "kept as the profile's usage settings, shown by `status --verify`, never run")
    for param in _USAGE_SECRETS:
        if param in params:
            used.add(param)
            p.note(param, params[param], "a secret: not kept")
    return usage




# ---- Cherry Studio, AionUI, DeepChat: base64 JSON in `data` ----------------------------------------------------

def _data_link(p: Parser, source: str, host: str, path: str, id_field: str) -> ImportRequest:
    title = SOURCES[source]
    link = p.link
    p.no_credentials()
    if link.authority != host or link.path != path:
        p.fail(f"unsupported {title} link: keyconf reads {link.scheme}://{host}{path}?v=1&data=...")
    pairs = p.pairs(link.query)
    params = first_wins(pairs)  # URLSearchParams.get
    p.check_version(params, title)
    if not (params.get("data") or "").strip():
        p.fail(f"the {title} link carries no data", hint="make the link again with the dashboard's button")
    text = p.text(p.b64(params["data"], "data payload"), "data payload")
    doc = p.json(text, "data payload", cherry=source == "cherrystudio")
    key = p.clean_key(doc.get("apiKey"), "apiKey")
    root = p.root(doc.get("baseUrl"), "baseUrl")
    name = doc.get("name") if isinstance(doc.get("name"), str) else None
    given_id = doc.get(id_field)
    if isinstance(given_id, str) and given_id.startswith("keyconf-"):
        name = given_id[len("keyconf-"):]  # a link keyconf made: its id carries the profile's name
    protocol = None
    for field, value in doc.items():
        if field in ("apiKey", "baseUrl", "name"):
            continue
        if field == id_field:
            p.note(field, value, "keyconf gives each profile its own provider id")
        elif source == "cherrystudio" and field == "type" and value in ("anthropic", "openai"):
            protocol = "anthropic" if value == "anthropic" else None
        else:
            p.note(field, value)
    note_params(p, pairs, {"v", "data"})
    clients = ["cherry-studio"] if source == "cherrystudio" else []
    return ImportRequest(source, clients=clients, name=nonempty(name), base_url=root, key=key,
                         ignored=p.ignored, protocol=protocol, shown=p.render(pairs, {"data": doc}))


def _read_cherry(p):
    return _data_link(p, "cherrystudio", "providers", "/api-keys", "id")


def _read_aionui(p):
    return _data_link(p, "aionui", "provider", "/add", "platform")


def _read_deepchat(p):
    return _data_link(p, "deepchat", "provider", "/install", "id")


# ---- AMA, OpenCat: plain parameters ---------------------------------------------------------------------------

def _plain_link(p: Parser, source: str, host: str, paths: tuple, url_param: str, key_param: str):
    title = SOURCES[source]
    link = p.link
    p.no_credentials()
    if link.authority != host or link.path not in paths:
        p.fail(f"unsupported {title} link: keyconf reads {link.scheme}://{host}{paths[0]}?{url_param}=...&"
               f"{key_param}=...")
    pairs = p.pairs(link.query)
    params = first_wins(pairs)
    key = p.clean_key(params.get(key_param), key_param)
    root = p.root(params.get(url_param), url_param)
    note_params(p, pairs, {url_param, key_param})
    return ImportRequest(source, base_url=root, key=key, ignored=p.ignored, shown=p.render(pairs, {}))


def _read_ama(p):
    return _plain_link(p, "ama", "set-api-key", ("", "/"), "server", "key")


def _read_opencat(p):
    return _plain_link(p, "opencat", "team", ("/join",), "domain", "token")


# ---- https settings links: Lobe Chat, AI as Workspace, NextChat ------------------------------------------------

def _read_web(p: Parser) -> ImportRequest:
    link = p.link
    if not link.authority:
        p.fail("this web link has no host", hint=f"keyconf reads {SUPPORTED}")
    p.no_credentials()
    pairs = p.pairs(link.query)
    params = first_wins(pairs)
    frag_pairs, frag_prefix = [], ""
    if link.fragment is not None:
        frag_path, _, frag_query = link.fragment.partition("?")
        frag_pairs = p.pairs(frag_query)
        frag_prefix = f"#{frag_path}?"
    frag = first_wins(frag_pairs)
    if "settings" in params:
        return _read_lobe(p, pairs, params)
    if "settings" in frag:
        return _read_nextchat(p, pairs, frag_pairs, frag, frag_prefix)
    if "provider" in params and link.path.rstrip("/").endswith("/set-provider"):
        return _read_aiaw(p, pairs, params)
    p.fail("this web link is not a settings link keyconf knows",
           hint=f"keyconf reads {SUPPORTED}; to use a Base URL and a key, run `keyconf use CLIENT --base-url URL`")


def _read_lobe(p, pairs, params):
    doc = p.json(params["settings"], "settings")
    vaults = doc.get("keyVaults")
    if not isinstance(vaults, dict):
        p.fail("the Lobe Chat link's settings carry no keyVaults")
    chosen = "openai" if isinstance(vaults.get("openai"), dict) else next(
        (name for name, entry in vaults.items() if isinstance(entry, dict) and "apiKey" in entry), None)
    if chosen is None:
        p.fail("the Lobe Chat link's keyVaults hold no provider with an apiKey")
    entry = vaults[chosen]
    key = p.clean_key(entry.get("apiKey"), f"keyVaults.{chosen}.apiKey")
    root = p.root(entry.get("baseURL"), f"keyVaults.{chosen}.baseURL")
    for name, value in entry.items():
        if name not in ("apiKey", "baseURL"):
            p.note(f"keyVaults.{chosen}.{name}", value)
    for name, value in vaults.items():
        if name != chosen:
            p.note(f"keyVaults.{name}", value, "keyconf imports one provider")
    for name, value in doc.items():
        if name != "keyVaults":
            p.note(f"settings {name}", value)
    note_params(p, pairs, {"settings"})
    return ImportRequest("lobechat", base_url=root, key=key, ignored=p.ignored,
                         shown=p.render(pairs, {"settings": doc}))


def _read_aiaw(p, pairs, params):
    doc = p.json(params["provider"], "provider")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        p.fail("the AI as Workspace link's provider carries no settings")
    key = p.clean_key(settings.get("apiKey"), "settings.apiKey")
    root = p.root(settings.get("baseURL"), "settings.baseURL")
    for name, value in settings.items():
        if name not in ("apiKey", "baseURL"):
            p.note(f"settings.{name}", value)
    for name, value in doc.items():
        if name != "settings":
            p.note(name, value)
    note_params(p, pairs, {"provider"})
    return ImportRequest("aiaw", base_url=root, key=key, ignored=p.ignored,
                         shown=p.render(pairs, {"provider": doc}))


def _read_nextchat(p, pairs, frag_pairs, frag, frag_prefix):
    doc = p.json(frag["settings"], "settings")
    key = p.clean_key(doc.get("key"), "key")
    root = p.root(doc.get("url"), "url")
    for name, value in doc.items():
        if name not in ("key", "url"):
            p.note(f"settings {name}", value)
    note_params(p, frag_pairs, {"settings"})
    note_params(p, pairs, set())
    fragment = printable(frag_prefix) + p.query(frag_pairs, {"settings": doc})
    return ImportRequest("nextchat", base_url=root, key=key, ignored=p.ignored,
                         shown=p.render(pairs, {}, fragment=fragment))


READERS = {"ccr": read_ccr, "chatbox": read_chatbox, "ccswitch": _read_ccswitch, "cherrystudio": _read_cherry,
           "aionui": _read_aionui, "deepchat": _read_deepchat, "ama": _read_ama, "opencat": _read_opencat,
           "https": _read_web, "http": _read_web}
