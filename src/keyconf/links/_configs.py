"""cc-switch's `config` payloads (a base64 JSON or TOML fragment of a client's own settings), read for the Base
URL, key and models only: everything else in them is listed as not applied. Shared by the link readers and
by pasted text (a Codex config.toml pasted whole)."""

from __future__ import annotations

from keyconf.links._reader import Parser, echo, nonempty

_CODEX_RESERVED = ("openai", "ollama", "lmstudio", "oss", "amazon-bedrock")


_CLAUDE_ENV = (("endpoint", "ANTHROPIC_BASE_URL"), ("key", "ANTHROPIC_AUTH_TOKEN"), ("key", "ANTHROPIC_API_KEY"),
               ("model", "ANTHROPIC_MODEL"), ("haiku", "ANTHROPIC_DEFAULT_HAIKU_MODEL"),
               ("sonnet", "ANTHROPIC_DEFAULT_SONNET_MODEL"), ("opus", "ANTHROPIC_DEFAULT_OPUS_MODEL"))

_GEMINI_ENV = (("key", "GEMINI_API_KEY"), ("endpoint", "GOOGLE_GEMINI_BASE_URL"), ("endpoint", "GEMINI_BASE_URL"),
               ("model", "GEMINI_MODEL"))


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
