"""The readers, one per format, each reading its links the way its own app does (sources in the package
docstring), and `parse`, which picks the reader by scheme."""

from __future__ import annotations

import re

from keyconf.errors import UsageError
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
_CLAUDE_ENV = (("endpoint", "ANTHROPIC_BASE_URL"), ("key", "ANTHROPIC_AUTH_TOKEN"), ("key", "ANTHROPIC_API_KEY"),
               ("model", "ANTHROPIC_MODEL"), ("haiku", "ANTHROPIC_DEFAULT_HAIKU_MODEL"),
               ("sonnet", "ANTHROPIC_DEFAULT_SONNET_MODEL"), ("opus", "ANTHROPIC_DEFAULT_OPUS_MODEL"))
_GEMINI_ENV = (("key", "GEMINI_API_KEY"), ("endpoint", "GOOGLE_GEMINI_BASE_URL"), ("endpoint", "GEMINI_BASE_URL"),
               ("model", "GEMINI_MODEL"))
_CODEX_RESERVED = ("openai", "ollama", "lmstudio", "oss", "amazon-bedrock")


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


def _apply_config(p: Parser, app: str, doc: dict, fields: dict) -> None:
    """Fill the fields the parameters left empty from the payload (cc-switch: parameters win); note the rest."""
    candidates, others = _CONFIG_READERS[app](p, doc)
    from_params = {field for field, value in fields.items() if value is not None}
    for field, label, value in candidates:
        if field in from_params:
            p.note(f"config {label}", value, "the link's parameter wins")
        elif nonempty(value) is None:
            p.note(f"config {label}", value, "empty")
        elif fields.get(field) is None:
            fields[field] = value.strip() if field in ("endpoint", "key") else p.model(value, f"config {label}")
        else:
            p.note(f"config {label}", value, "another entry of the config wins")
    for label, value in others:
        p.note(f"config {label}", value, "not applied: a link only sets the Base URL, key and models")


def _ccswitch_config(p: Parser, params: dict) -> dict:
    fmt = params.get("configFormat") or "json"  # cc-switch: json unless told
    if fmt not in ("json", "toml"):
        p.fail(f"unsupported configFormat {echo(fmt)} in the ccswitch link: cc-switch reads json or toml")
    text = p.text(p.b64(params["config"], "config payload"), "config payload")
    return p.json(text, "config payload") if fmt == "json" else p.toml(text, "config payload")


def _config_claude(p: Parser, doc: dict):
    env = doc.get("env")
    if not isinstance(env, dict):
        p.fail("the link's config payload has no env object (cc-switch requires one for Claude)")
    candidates, others = _env_candidates(env, _CLAUDE_ENV, "env.")
    return candidates, others + [(k, v) for k, v in doc.items() if k != "env"]


def _config_gemini(p: Parser, doc: dict):
    # cc-switch reads the variables at the top level; its own export wraps them in `env`: read either.
    if isinstance(doc.get("env"), dict):
        candidates, others = _env_candidates(doc["env"], _GEMINI_ENV, "env.")
        return candidates, others + [(k, v) for k, v in doc.items() if k != "env"]
    return _env_candidates(doc, _GEMINI_ENV, "")


def _env_candidates(env: dict, table, prefix: str):
    names = {name for _, name in table}
    candidates = [(field, prefix + name, env[name]) for field, name in table
                  if name in env and isinstance(env[name], str)]
    others = [(prefix + name, value) for name, value in env.items()
              if name not in names or not isinstance(value, str)]
    return candidates, others


def _config_codex(p: Parser, doc: dict):
    """`{"auth": {"OPENAI_API_KEY"}, "config": "<config.toml>"}` (cc-switch's Codex shape)."""
    candidates, others = [], []
    auth = doc.get("auth")
    if isinstance(auth, dict):
        for name, value in auth.items():
            if name == "OPENAI_API_KEY" and isinstance(value, str):
                candidates.append(("key", "auth.OPENAI_API_KEY", value))
            else:
                others.append((f"auth.{name}", value))
    elif auth is not None:
        others.append(("auth", auth))
    config = doc.get("config")
    if config is None and auth is None:
        toml = doc  # configFormat=toml: the payload is config.toml itself
    else:
        if isinstance(config, str):
            toml = p.toml(config, "Codex config.toml in the config payload")
        elif isinstance(config, dict):
            toml = config
        else:
            toml = {}
            if config is not None:
                others.append(("config", config))
        others += [(k, v) for k, v in doc.items() if k not in ("auth", "config")]

    active = toml.get("model_provider") if isinstance(toml.get("model_provider"), str) else None
    providers = toml.get("model_providers") if isinstance(toml.get("model_providers"), dict) else {}
    table = providers.get(active) if isinstance(providers.get(active), dict) else {}
    used = set()
    if isinstance(table.get("base_url"), str):
        candidates.append(("endpoint", f"model_providers.{active}.base_url", table["base_url"]))
        used.add(("model_providers", active, "base_url"))
    if isinstance(toml.get("base_url"), str):
        candidates.append(("endpoint", "base_url", toml["base_url"]))
        used.add(("base_url",))
    for pid in sorted(providers):  # cc-switch's deeplink merge falls back to the first provider with one
        entry = providers[pid]
        if pid != active and isinstance(entry, dict) and isinstance(entry.get("base_url"), str):
            candidates.append(("endpoint", f"model_providers.{pid}.base_url", entry["base_url"]))
            used.add(("model_providers", pid, "base_url"))
    if active not in _CODEX_RESERVED and isinstance(table.get("experimental_bearer_token"), str):
        candidates.append(("key", f"model_providers.{active}.experimental_bearer_token",
                           table["experimental_bearer_token"]))
        used.add(("model_providers", active, "experimental_bearer_token"))
    if isinstance(toml.get("experimental_bearer_token"), str):
        candidates.append(("key", "experimental_bearer_token", toml["experimental_bearer_token"]))
        used.add(("experimental_bearer_token",))
    if isinstance(toml.get("model"), str):
        candidates.append(("model", "model", toml["model"]))
        used.add(("model",))
    for name, value in toml.items():
        if name == "model_providers" and isinstance(value, dict):
            for pid, entry in value.items():
                if isinstance(entry, dict):
                    others += [(f"model_providers.{pid}.{k}", v) for k, v in entry.items()
                               if ("model_providers", pid, k) not in used]
                else:
                    others.append((f"model_providers.{pid}", entry))
        elif (name,) not in used:
            others.append((name, value))
    return candidates, others


def _config_opencode(p: Parser, doc: dict):
    """cc-switch's additive apps (opencode, openclaw, hermes): apiKey / api_key / options.apiKey, baseUrl /
    base_url / options.baseURL."""
    options = doc.get("options") if isinstance(doc.get("options"), dict) else {}
    table = (("key", "apiKey", doc), ("key", "api_key", doc), ("key", "options.apiKey", options),
             ("endpoint", "baseUrl", doc), ("endpoint", "base_url", doc), ("endpoint", "options.baseURL", options))
    candidates, used = [], set()
    for field, label, where in table:
        name = label.rsplit(".", 1)[-1]
        if isinstance(where.get(name), str):
            candidates.append((field, label, where[name]))
            used.add(label)
    others = []
    for name, value in doc.items():
        if name == "options" and isinstance(value, dict):
            others += [(f"options.{k}", v) for k, v in value.items() if f"options.{k}" not in used]
        elif name not in used:
            others.append((name, value))
    return candidates, others


_CONFIG_READERS = {"claude": _config_claude, "codex": _config_codex, "gemini": _config_gemini,
                   "opencode": _config_opencode, "openclaw": _config_opencode, "hermes": _config_opencode}


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
