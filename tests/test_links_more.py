"""Every link in circulation: claude-code-router's ccr://, Chatbox's chatbox://, cc-switch's usage fields,
endpoint lists and configUrl, and pasted text that is not a link (env scripts, a Codex config.toml + auth.json,
a curl command): read as their apps read them, only the Base URL, key and model applied, and made back by
`keyconf link --format`."""

from __future__ import annotations

import base64
import json
import subprocess
from urllib.parse import quote

import pytest

from conftest import KEY, REPO, REQUIRE_REAL, require_tool, snapshot
from keyconf import links
from keyconf.errors import UsageError

SERVER = "https://relay.example.com"
TOKEN = "sk-MoreLinks0123456789abcdefWXYZ"


# ---- claude-code-router ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("protocol, client", [("anthropic_messages", "claude-code"), ("openai_responses", "codex"),
                                              ("gemini_generate_content", "gemini-cli"),
                                              ("openai_chat_completions", None)])
def test_ccr_link_protocol_names_the_client(protocol, client):
    link = (f"ccr://provider?name=My+Relay&base_url={quote(SERVER + '/v1', safe='')}&api_key={TOKEN}"
            f"&protocol={protocol}&models=m1,m2&models=m3&icon=https://x.example/i.png&source=https://x.example")
    request = links.parse(link)
    assert (request.source, request.base_url, request.key, request.models) == ("ccr", SERVER, TOKEN, {"model": "m1"})
    assert request.clients == ([client] if client else [])
    assert request.name == "My Relay"
    ignored = "\n".join(request.ignored)
    assert "models (more): m2" in ignored and "models (more): m3" in ignored and "icon:" in ignored
    assert TOKEN not in request.masked() + ignored


def test_ccr_payload_base64url_and_a_host_without_scheme():
    payload = {"name": "P", "base_url": "relay.example.com", "api_key": TOKEN, "protocol": "anthropic_messages",
               "models": [{"id": "claude-sonnet-4-5"}], "account": {"enabled": True}}
    data = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    request = links.parse(f"ccr:///provider?payload={data}")
    assert (request.base_url, request.key, request.clients, request.models) == (
        SERVER, TOKEN, ["claude-code"], {"model": "claude-sonnet-4-5"})
    assert any(line.startswith("payload account") for line in request.ignored)


@pytest.mark.parametrize("link, words", [
    ("ccr://provider?manifest=https://evil.example.com/m.json", "never fetches"),
    (f"ccr://provider?base_url={SERVER}&api_key={TOKEN}&protocol=telnet", "unsupported protocol"),
    (f"ccr://other?base_url={SERVER}&api_key={TOKEN}", "ccr://provider"),
    (f"ccr://provider?base_url={SERVER}", "no key"),
    (f"ccr://provider?base_url=javascript:alert(1)&api_key={TOKEN}", "http"),
])
def test_ccr_refusals(link, words):
    with pytest.raises(UsageError) as err:
        links.parse(link)
    assert words in err.value.message + err.value.hint and TOKEN not in err.value.message


def test_ccr_link_made_for_each_protocol_reads_back():
    for protocol, client in (("anthropic", "claude-code"), ("responses", "codex"), ("gemini", "gemini-cli")):
        link, masked = links.ccr_link("work", SERVER, TOKEN, protocol, "m")
        request = links.parse(link)
        assert (request.base_url, request.key, request.clients, request.models, request.name) == (
            SERVER, TOKEN, [client], {"model": "m"}, "work")
        assert TOKEN not in masked


# ---- Chatbox ------------------------------------------------------------------------------------------------

def chatbox(doc, how="urlsafe"):
    raw = json.dumps(doc).encode()
    if how == "urlsafe":
        data = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    elif how == "standard":
        data = base64.b64encode(raw).decode()
    elif how == "percent":
        data = quote(base64.b64encode(raw).decode(), safe="")
    else:  # URLSearchParams turned + into a space
        data = base64.b64encode(raw).decode().replace("+", " ")
    return f"chatbox://provider/import?config={data}"


CHATBOX = {"id": "my-relay", "name": "Relay", "type": "openai", "iconUrl": "https://x.example/i.png",
           "settings": {"apiHost": SERVER + "/v1", "apiKey": TOKEN, "apiPath": "/chat/completions",
                        "models": [{"modelId": "gpt-5", "type": "chat"}, {"modelId": "gpt-5-mini"}]}}


@pytest.mark.parametrize("how", ["urlsafe", "standard", "percent", "spaces"])
def test_chatbox_link_in_every_encoding_js_base64_reads(how):
    doc = dict(CHATBOX, name="Relay ~?>>>")  # bytes whose base64 holds + and /
    request = links.parse(chatbox(doc, how))
    assert (request.source, request.base_url, request.key, request.models) == ("chatbox", SERVER, TOKEN,
                                                                              {"model": "gpt-5"})
    assert request.clients == []  # Chatbox is not a keyconf client: --to or the menu
    ignored = "\n".join(request.ignored)
    assert "settings.apiPath: /chat/completions" in ignored and "settings.models[1]: gpt-5-mini" in ignored
    assert "iconUrl" in ignored and TOKEN not in ignored + request.masked()


def test_chatbox_link_made_reads_back_and_never_uses_a_builtin_id():
    for protocol in (None, "anthropic"):
        link, masked = links.chatbox_link("work", SERVER, TOKEN, protocol, "m")
        doc = json.loads(base64.urlsafe_b64decode(link.split("config=")[1] + "=="))
        assert doc["id"] == "keyconf-work" and doc["type"] == (protocol or "openai")
        assert doc["settings"]["apiHost"] == SERVER + ("/v1" if protocol else "")  # Chatbox's shapes
        request = links.parse(link)
        assert (request.base_url, request.key, request.name, request.protocol) == (SERVER, TOKEN, "work", protocol)
        assert TOKEN not in masked


CHATBOX_BUILTIN_IDS = {"chatbox-ai", "openai", "openai-responses", "azure", "chatglm-6b", "claude", "gemini", "ollama",
                       "groq", "deepseek", "siliconflow", "volcengine", "mistral-ai", "lm-studio", "perplexity", "xAI",
                       "openrouter", "minimax", "minimax-cn", "moonshot", "qwen", "qwen-portal", "custom"}


@pytest.mark.parametrize("protocol", [None, "anthropic"])
def test_chatbox_decodes_our_link_as_chatbox_does(protocol):
    """Chatbox's own path (src/main/deeplinks.ts, src/renderer/utils/base64.ts): Node's URL, searchParams.get,
    a space back to +, js-base64's Base64.decode; then the rules of its provider schema."""
    module = REPO / ".ci" / "node" / "node_modules" / "js-base64"
    if not module.is_dir():
        if REQUIRE_REAL:
            pytest.fail("js-base64 is not installed; scripts/test installs it")
        pytest.skip("js-base64 is not installed (scripts/test installs it)")
    node = require_tool("node")
    key = "sk-Chatbox+/=~0123456789abcdef"  # base64 of it holds + and /
    link, _ = links.chatbox_link("work", SERVER, key, protocol, "gpt-5")
    script = ("const {Base64} = require(process.argv[2]); const config = new URL(process.argv[1])"
              ".searchParams.get('config'); process.stdout.write(Base64.decode(config.replaceAll(' ', '+')))")
    done = subprocess.run([node, "-e", script, link, str(module)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["id"] not in CHATBOX_BUILTIN_IDS and doc["type"] in ("openai", "openai-responses", "anthropic")
    assert doc["settings"]["apiKey"] == key and doc["settings"]["models"] == [{"modelId": "gpt-5", "type": "chat"}]
    assert doc["settings"]["apiHost"] == (SERVER + "/v1" if protocol else SERVER)


def test_chatbox_without_settings_is_refused():
    with pytest.raises(UsageError, match="settings"):
        links.parse(chatbox({"id": "x", "apiHost": SERVER, "apiKey": TOKEN}))


# ---- cc-switch: usage fields, endpoint lists, configUrl --------------------------------------------------------

def test_usage_fields_are_kept_as_text_shown_and_never_run(kc, home, relay, tmp_path):
    marker = tmp_path / "PWNED"
    link, _ = links.ccswitch_link("claude", "team", relay.url, KEY, {})
    script = f"({{ request: {{ url: 'x' }} }}); require('child_process').execSync('touch {marker}')"
    link += (f"&usageEnabled=true&usageScript={quote(script)}&usageBaseUrl={quote(relay.url)}"
             f"&usageAutoInterval=30&usageApiKey=sk-UsageSecret0000111122&usageAccessToken=tok-0000111122223333")
    result = kc("import", "-", "-y", input=link + "\n")
    assert result.code == 0, result.output
    profiles = (home / ".config" / "keyconf" / "profiles.toml").read_text()
    assert "[profiles.\"team\".usage]" in profiles or "[profiles.team.usage]" in profiles
    assert "usageSecret" not in profiles.lower() and "sk-UsageSecret" not in profiles and "tok-0000" not in profiles
    status = kc("status", "--verify", "claude-code")
    assert "usage settings from the link (kept, never run)" in status.stdout
    assert f"a script of {len(script)} characters" in status.stdout
    doc = kc("status", "--verify", "claude-code", "--json").json()["results"][0]
    assert doc["usage"]["enabled"] == "true" and doc["usage"]["script_chars"] == len(script)
    assert kc("use", "codex", "--profile", "team", "--no-verify").code == 0  # `use` keeps the metadata
    assert "usage]" in (home / ".config" / "keyconf" / "profiles.toml").read_text()
    assert not marker.exists()


def test_an_endpoint_list_uses_the_first_that_answers(kc, home, relay):
    link = links.ccswitch_link("claude", "team", "http://127.0.0.1:9", KEY, {})[0]
    link = link.replace("endpoint=http%3A%2F%2F127.0.0.1%3A9", "endpoint=" + quote(f"http://127.0.0.1:9,{relay.url}"))
    result = kc("import", "-", "-y", "--json", input=link + "\n")
    assert result.code == 0, result.output
    assert "endpoint 2 of 2 answered: using " + relay.url in result.stderr
    assert result.json()["endpoint_chosen"] == relay.url
    assert json.loads((home / ".claude" / "settings.json").read_text())["env"]["ANTHROPIC_BASE_URL"] == relay.url


def test_config_url_is_never_fetched(kc, home, relay):
    link = f"ccswitch://v1/import?resource=provider&app=claude&name=t&configUrl={quote(relay.url + '/cfg.json')}"
    before = snapshot(home)
    result = kc("import", "-", "-y", "--json", input=link + "\n")
    assert result.code == 2 and "never fetches" in result.json()["errors"][0]["message"]
    assert relay.requests == [] and snapshot(home) == before


# ---- pasted text ----------------------------------------------------------------------------------------------

PASTES = {
    "bash": (f'export ANTHROPIC_BASE_URL="{SERVER}"\nexport ANTHROPIC_AUTH_TOKEN="{TOKEN}"\n'
             'export API_TIMEOUT_MS=600000\n', ["claude-code"], "env script"),
    "new-api codex export": (f"OPENAI_BASE_URL={SERVER}/v1\nOPENAI_API_KEY={TOKEN}\n", [], "env script"),
    "fish": (f"set -gx ANTHROPIC_BASE_URL {SERVER}\nset -gx ANTHROPIC_API_KEY '{TOKEN}'\n", ["claude-code"],
             "env script"),
    "powershell": (f'$env:GEMINI_API_KEY = "{TOKEN}"\n$env:GOOGLE_GEMINI_BASE_URL = "{SERVER}"\n', ["gemini-cli"],
                   "env script"),
    "cmd": (f"set OPENAI_BASE_URL={SERVER}/v1\r\nset OPENAI_API_KEY={TOKEN}\r\n", [], "env script"),
    "codex pair": ('# config.toml\nmodel_provider = "relay"\nmodel = "gpt-5-codex"\nnotify = ["sh", "-c", "x"]\n\n'
                   f'[model_providers.relay]\nname = "relay"\nbase_url = "{SERVER}"\nwire_api = "responses"\n'
                   f'requires_openai_auth = true\n\n# auth.json\n{{\n  "OPENAI_API_KEY": "{TOKEN}"\n}}\n',
                   ["codex"], "Codex config.toml"),
    "curl": (f'curl {SERVER}/v1/models \\\n  -H "Authorization: Bearer {TOKEN}"\n', [], "curl command"),
    "curl anthropic": (f"curl -s {SERVER}/v1/messages -H 'x-api-key: {TOKEN}' -d '{{}}'", ["claude-code"],
                       "curl command"),
}


@pytest.mark.parametrize("name", sorted(PASTES))
def test_pasted_text_gives_url_key_and_client(name):
    text, clients, kind = PASTES[name]
    request = links.read(text)
    assert (request.source, request.base_url, request.key, request.clients) == ("paste", SERVER, TOKEN, clients)
    assert kind in request.masked() and "sk-…WXYZ" in request.masked()
    assert TOKEN not in request.masked() + "\n".join(request.ignored)


def test_pasted_codex_config_applies_only_url_key_and_model():
    request = links.read(PASTES["codex pair"][0])
    assert request.models == {"model": "gpt-5-codex"}
    ignored = "\n".join(request.ignored)
    assert "config.toml notify" in ignored and "not applied" in ignored


@pytest.mark.parametrize("text, words", [
    (f"export ANTHROPIC_BASE_URL={SERVER}\nexport ANTHROPIC_AUTH_TOKEN=$(op read x)\n", "no literal key"),
    (f"export ANTHROPIC_BASE_URL={SERVER}\nexport ANTHROPIC_AUTH_TOKEN={TOKEN}\n"
     "export OPENAI_API_KEY=sk-Other00001111\n", "2 different values for the key"),
    (f"export ANTHROPIC_AUTH_TOKEN={TOKEN}\n", "no literal Base URL"),
    (f"export ANTHROPIC_BASE_URL=file:///etc/passwd\nexport ANTHROPIC_AUTH_TOKEN={TOKEN}\n", "http"),
])
def test_pasted_text_refusals(text, words):
    with pytest.raises(UsageError) as err:
        links.read(text)
    assert words in err.value.message and TOKEN not in err.value.message + err.value.hint


def test_import_of_a_pasted_env_script_says_what_it_found_and_asks(kc, home, relay):
    script = f"export ANTHROPIC_BASE_URL={relay.url}\nexport ANTHROPIC_AUTH_TOKEN={KEY}\nexport FOO=bar\n"
    before = snapshot(home)
    refused = kc("import", "-", input=script)  # nobody to ask, no -y
    assert refused.code == 2 and snapshot(home) == before
    assert "pasted: env script: Base URL " + relay.url in refused.stderr and "sk-…YZ42" in refused.stderr
    done = kc("import", "-", "-y", "--json", input=script)
    assert done.code == 0, done.output
    assert done.json()["results"][0]["client"] == "claude-code"
    assert KEY not in done.output
    env = json.loads((home / ".claude" / "settings.json").read_text())["env"]
    assert env == {"ANTHROPIC_BASE_URL": relay.url, "ANTHROPIC_AUTH_TOKEN": KEY}


# ---- keyconf link --format ccr|chatbox, and back ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["ccr", "chatbox"])
def test_link_format_then_import_gives_the_same_profile_back(kc, home, relay, monkeypatch, tmp_path, fmt):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", "desk",
              input=KEY + "\n").code == 0
    made = kc("link", "claude-code", "--format", fmt, "--reveal")
    assert made.code == 0 and made.stdout.startswith(f"{fmt}://")
    masked = kc("link", "claude-code", "--format", fmt)
    assert KEY not in masked.output
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("HOME", str(other))
    monkeypatch.setenv("KEYCONF_HOME", str(other / ".config" / "keyconf"))
    result = kc("import", "-", "-y", "--to", "claude-code", "--json", input=made.stdout)
    assert result.code == 0, result.output
    item = result.json()["results"][0]
    assert (item["profile"], item["base_url"]) == ("desk", relay.url)


def test_a_script_pasted_at_the_one_line_prompt_is_sent_to_the_pipe(home, relay):
    from test_terminal import on_terminal

    code, screen = on_terminal(["import"], [(b"Paste the link (input hidden)",
                                             f"export ANTHROPIC_BASE_URL={relay.url}")])
    assert code == 2 and "pbpaste | keyconf import -" in screen
