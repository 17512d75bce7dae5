"""Pasted text that is not a link but holds a Base URL and a key: what a relay dashboard shows next to a token
(New API's token export, controller/token_export.go: `env_script`, `config_file` + `config_content`,
`test_command`; its "API key usage tips" gallery), and what people copy from each other:

- an env script in any shell's syntax: `export ANTHROPIC_BASE_URL=…`, `OPENAI_API_KEY=…`, fish `set -gx`,
  PowerShell `$env:NAME = "…"`, cmd `set`/`setx`;
- a Codex `config.toml` (its `model_providers` table) with the `auth.json` that goes beside it;
- a test command: `curl …/v1/models -H "Authorization: Bearer sk-…"` (or `x-api-key`, `x-goog-api-key`).

Only the Base URL, the key and the model are taken, as from a link; every other line is listed as not
applied, secrets masked. A value that is not literal (`$VAR`, `$(…)`, a backtick) is never taken: the shell
would have computed it. Which client the text is for follows from what it names (ANTHROPIC_* -> Claude Code,
a Codex config -> Codex, GEMINI_* -> Gemini CLI); OpenAI variables and plain curl commands fit many clients,
so `--to` (or the menu) decides.
"""

from __future__ import annotations

import re

from keyconf.links._reader import ImportRequest, Parser, Split, cut, printable

# variable -> (what it holds, the client it implies)
ENV_VARS = {
    "ANTHROPIC_BASE_URL": ("endpoint", "claude-code"), "ANTHROPIC_AUTH_TOKEN": ("key", "claude-code"),
    "ANTHROPIC_API_KEY": ("key", "claude-code"), "ANTHROPIC_MODEL": ("model", "claude-code"),
    "OPENAI_BASE_URL": ("endpoint", None), "OPENAI_API_BASE": ("endpoint", None), "OPENAI_API_KEY": ("key", None),
    "OPENAI_MODEL": ("model", None),
    "GOOGLE_GEMINI_BASE_URL": ("endpoint", "gemini-cli"), "GEMINI_BASE_URL": ("endpoint", "gemini-cli"),
    "GEMINI_API_KEY": ("key", "gemini-cli"), "GEMINI_MODEL": ("model", "gemini-cli"),
}
_ASSIGN = re.compile(
    r"""^\s*(?:export\s+|set\s+-[gxU]+\s+|setx\s+|set\s+|\$env:|env\s+)?"""
    r"""([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|\s)\s*(.*?)\s*;?\s*$""")
_AUTH_JSON = re.compile(r"""\{[^{}]*"OPENAI_API_KEY"\s*:\s*"[^"]*"[^{}]*\}""")
_CURL_URL = re.compile(r"""https?://[^\s'"\\]+""")
_HEADER = re.compile(r"""(?i)(authorization\s*:\s*bearer|x-api-key\s*:|x-goog-api-key\s*:)\s*([^\s'"\\]+)""")


def looks_pasted(text: str) -> bool:
    """Text that might be an env script, a Codex config or a curl command (not a link)."""
    return bool(re.search(r"(?m)^\s*(export\s|set\s|setx\s|\$env:|curl\s|\[model_providers|model_provider\s*=|"
                          r"[A-Z][A-Z0-9_]*(_KEY|_TOKEN|_URL|_BASE)\s*=)", text)) or '"OPENAI_API_KEY"' in text


def parse_paste(text: str) -> ImportRequest:
    p = Parser(Split(""))
    found: dict[str, list] = {"endpoint": [], "key": [], "model": []}  # (label, value)
    clients: list[str] = []
    kinds: list[str] = []
    rest = text

    auth = _AUTH_JSON.search(rest)
    if auth:
        doc = p.json(auth[0], "auth.json")
        found["key"].append(("auth.json OPENAI_API_KEY", doc.get("OPENAI_API_KEY")))
        for name, value in doc.items():
            if name != "OPENAI_API_KEY":
                p.note(f"auth.json {name}", value)
        rest = rest[:auth.start()] + rest[auth.end():]
        kinds.append("auth.json")
    toml_doc = _codex_toml(p, rest)
    if toml_doc is not None:
        from keyconf.links._configs import _config_codex

        candidates, others = _config_codex(p, toml_doc)
        for field, label, value in candidates:
            found[field].append((f"config.toml {label}", value))
        for label, value in others:
            p.note(f"config.toml {label}", value, "not applied: only the Base URL, key and model are taken")
        clients.append("codex")
        kinds.append("Codex config.toml")
    else:
        _env_and_curl(p, rest, found, clients, kinds)

    if not found["endpoint"] or not found["key"]:
        missing = " and ".join(w for w, f in (("Base URL", "endpoint"), ("key", "key")) if not found[f])
        p.fail(f"this is not a link, and no literal {missing} was found in it",
               hint="keyconf import takes a dashboard's one-click link, or the env script, Codex config.toml + "
                    "auth.json or curl command a dashboard shows for a key")
    key = _one(p, found["key"], "key", lambda v: p.clean_key(v, "the pasted key"))
    root = _one(p, found["endpoint"], "Base URL", lambda v: p.root(v, "Base URL"))
    model = None
    if found["model"]:
        model = p.model(found["model"][0][1], found["model"][0][0])
        for label, value in found["model"][1:]:
            p.note(label, value, "keyconf sets one model")
    from keyconf.masking import mask

    key_from = found["key"][0][0]  # _one: every key the text gives is this one
    url_from = found["endpoint"][0][0]
    shown = (f"{' + '.join(dict.fromkeys(kinds)) or 'text'}: Base URL {root} (from {url_from}), key {mask(key)} "
             f"(from {key_from})" + (f", model {cut(printable(model), 60)}" if model else ""))
    clients = list(dict.fromkeys(clients))
    # a line noted before the key was found (a stray `-H "Authorization: …"` above its curl) is masked now
    p.secrets.add(key)
    ignored = [p.scrub(line) for line in p.ignored]
    request = ImportRequest("paste", clients=clients if len(clients) == 1 else [], base_url=root, key=key,
                            models={"model": model} if model else {}, ignored=ignored, shown=p.scrub(shown))
    request.given_url = p.given.get(root)
    return request


def _codex_toml(p: Parser, text: str):
    """The text as a Codex config.toml, when it is one (a `model_providers` table or `model_provider` key)."""
    if not re.search(r"(?m)^\s*(\[model_providers|model_provider\s*=)", text):
        return None
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("$", ">", "cat ", "#!"))]
    return p.toml("\n".join(lines), "pasted config.toml")


def _env_and_curl(p: Parser, text: str, found: dict, clients: list, kinds: list) -> None:
    in_curl = False  # a curl command continued on the next lines (`\` at the end, then `-H ...`)
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", "REM ", "rem ")):
            continue
        if re.match(r"curl(\.exe)?\s", stripped) or (in_curl and stripped.startswith(("-", "http"))):
            in_curl = True
            _curl_line(p, stripped, found, clients, kinds)
            continue
        in_curl = False
        m = _ASSIGN.match(stripped)
        if not m:
            p.note("line", stripped, "not an assignment keyconf reads")
            continue
        name, value = m[1], _unquote(m[2])
        if name.upper() not in ENV_VARS:
            p.note(name, value)
            continue
        field, client = ENV_VARS[name.upper()]
        if re.search(r"[$`]|%[A-Za-z_]+%", value):
            p.note(name, value, "not a literal value (the shell would compute it)")
            continue
        found[field].append((name, value))
        if field == "key":
            p.secrets.add(value.strip())
        if client:
            clients.append(client)
        if "env script" not in kinds:
            kinds.append("env script")


def _curl_line(p: Parser, line: str, found: dict, clients: list, kinds: list) -> None:
    if "curl command" not in kinds:
        kinds.append("curl command")
    for header, value in _HEADER.findall(line):
        value = _unquote(value)
        p.secrets.add(value)
        found["key"].append((f"curl {header.split(':')[0].strip()} header", value))
        if header.lower().startswith("x-api-key"):
            clients.append("claude-code")
        elif header.lower().startswith("x-goog"):
            clients.append("gemini-cli")
    for url in _CURL_URL.findall(line):
        path = url.split("?")[0].rstrip("/")
        found["endpoint"].append(("curl URL", path))
        if path.endswith("/v1/messages"):
            clients.append("claude-code")
        elif path.endswith("/v1/responses"):
            clients.append("codex")
        elif "/v1beta" in path:
            clients.append("gemini-cli")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _one(p: Parser, found: list, what: str, check):
    """The one value the text gives (the same value named twice is fine; two different ones are refused)."""
    values = []
    for _, raw in found:
        value = check(raw)
        if value not in values:
            values.append(value)
    if len(values) > 1:
        labels = ", ".join(label for label, _ in found)
        p.fail(f"the pasted text holds {len(values)} different values for the {what} ({labels}); keyconf will not "
               "guess which one", hint="paste the lines for one key only")
    return values[0]
