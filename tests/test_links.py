"""One-click import links: every dashboard format read back to the exact root URL, key and models; refusals;
masking; the links keyconf builds (byte-identical to New API's button and to the Cherry adapter's link)."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, unquote, unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyconf import links
from keyconf.errors import Exit, UsageError
from keyconf.masking import mask

SERVER = "https://relay.example.com"
# New API stores a token's key without `sk-`; its templates prefix it. This one makes the base64 payloads of
# the Cherry/AionUI/DeepChat templates hold `+`, `/` and padding, so every encoding variant below differs.
B64_TOKEN = "uWYt4L4?eph2CpG3zdESgH6pItQz8p4e6U93Q~x3IAKZkoPVA"
# Keys go raw into the query of the AMA/OpenCat/web templates, so those use a plain one (as New API's are).
TOKEN = "Zx8QmT2vLr5KcW9nHb3YpJ7sDf4GhA6eUk1oNi0ytBwRqCzE"
B64_TEMPLATES = ("cherrystudio", "aionui", "deepchat")
PLAIN_TEMPLATES = ("ama", "opencat", "lobechat", "aiaw", "nextchat")


def std_payload(link: str, param: str = "data") -> str:
    """The standard base64 text of a payload parameter as the dashboard made it."""
    value = re.search(rf"[?&]{param}=([^&#]*)", link)[1]
    return unquote(value)


def with_payload(link: str, param: str, text: str) -> str:
    return re.sub(rf"([?&]{param}=)[^&#]*", lambda m: m[1] + text, link, count=1)


def variants(link: str, param: str = "data") -> dict[str, str]:
    """The same link with its base64 payload written every way a decoder must accept."""
    std = std_payload(link, param)
    raw = base64.b64decode(std)
    safe = base64.urlsafe_b64encode(raw).decode()
    return {
        "standard, percent-encoded": link,
        "standard, not percent-encoded": with_payload(link, param, std),
        "standard, unpadded": with_payload(link, param, quote(std.rstrip("="), safe="")),
        "url-safe, unpadded": with_payload(link, param, safe.rstrip("=")),
        "url-safe, padded, percent-encoded": with_payload(link, param, quote(safe, safe="")),
        "percent-encoded twice": with_payload(link, param, quote(quote(std, safe=""), safe="")),
    }


def refused(link: str, *fragments: str, secret: str | None = None) -> UsageError:
    with pytest.raises(UsageError) as info:
        links.parse(link)
    err = info.value
    assert err.code == Exit.USAGE
    for fragment in fragments:
        assert fragment in err.message, err.message
    for text in (err.message, err.hint):
        if secret:
            assert secret not in text
        assert not link.strip() or link.strip() not in text
    return err


# ---- round trips, built exactly as the dashboard's templates do ----------------------------------------------

@pytest.mark.parametrize("source", B64_TEMPLATES)
def test_base64_templates_read_in_every_encoding(source):
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES[source], SERVER, B64_TOKEN)
    std = std_payload(link)
    assert "+" in std and "/" in std and std.endswith("=")  # so the variants really differ
    for how, variant in variants(link).items():
        request = links.parse(variant)
        assert (request.source, request.base_url, request.key) == (source, SERVER, f"sk-{B64_TOKEN}"), how
        assert request.clients == (["cherry-studio"] if source == "cherrystudio" else [])
        assert request.models == {} and request.app is None


@pytest.mark.parametrize("source", PLAIN_TEMPLATES)
def test_plain_templates_read(source):
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES[source], SERVER, TOKEN)
    assert TOKEN in link and "{" not in link.replace('{"', "").replace("{address}", "")  # placeholders resolved
    request = links.parse(link)
    assert (request.source, request.base_url, request.key, request.clients) == (source, SERVER, f"sk-{TOKEN}", [])


@pytest.mark.parametrize("source", PLAIN_TEMPLATES)
def test_plain_templates_read_fully_percent_encoded(source):
    """A browser's address bar (or a chat app) percent-encodes the JSON and quotes of the web templates."""
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES[source], SERVER, TOKEN)
    head, sep, tail = link.partition("=")
    encoded = head + sep + quote(tail, safe="=&/%")
    assert encoded != link or source in ("ama", "opencat")
    request = links.parse(encoded)
    assert (request.base_url, request.key) == (SERVER, f"sk-{TOKEN}")


@pytest.mark.parametrize("server", ["https://relay.example.com/", "http://10.0.0.5:3000", "https://a.example.com/relay",
                                    "https://RELAY.Example.com"])
@pytest.mark.parametrize("source", sorted(links.DASHBOARD_TEMPLATES))
def test_server_address_becomes_the_root(source, server):
    token = B64_TOKEN if source in B64_TEMPLATES else TOKEN
    request = links.parse(links.dashboard_link(links.DASHBOARD_TEMPLATES[source], server, token))
    assert request.base_url == {"https://relay.example.com/": SERVER, "https://RELAY.Example.com": SERVER}.get(
        server, server)


APPS = {"claude": ("claude-code", {"model": "claude-sonnet-4-5", "haiku": "claude-haiku-4-5",
                                   "sonnet": "claude-sonnet-4-5", "opus": "claude-opus-4-1"}),
        "codex": ("codex", {"model": "gpt-5-codex"}),
        "gemini": ("gemini-cli", {"model": "gemini-2.5-pro"}),
        "opencode": ("opencode", {"model": "qwen3-coder"})}


@pytest.mark.parametrize("app", sorted(APPS))
def test_ccswitch_link_from_new_apis_button(app):
    client, models = APPS[app]
    link, masked = links.ccswitch_link(app, "My Relay", SERVER, f"sk-{TOKEN}", models)
    endpoint = quote(SERVER + ("/v1" if app in ("codex", "opencode") else ""), safe="")
    assert f"&endpoint={endpoint}&" in link  # codex's endpoint carries /v1, as New API's button makes it
    request = links.parse(link)
    assert (request.source, request.app, request.clients) == ("ccswitch", client, [client])
    assert (request.base_url, request.key, request.models, request.name) == (SERVER, f"sk-{TOKEN}", models,
                                                                             "My Relay")
    assert request.ignored == [f"homepage: {SERVER}", "enabled: true"]
    assert request.masked() == masked


def test_ccswitch_bytes_match_new_apis_urlsearchparams():
    """New API: `new URLSearchParams()` then set resource, app, name, endpoint, apiKey, the models, homepage,
    enabled=true (CCSwitchModal.jsx). URLSearchParams writes space as +, keeps only A-Za-z0-9*-._ raw."""
    link, masked = links.ccswitch_link("claude-code", "My Claude ~*'(x)", SERVER, "sk-Ab+/=~", {
        "model": "claude sonnet", "opus": "o"})
    assert link == ("ccswitch://v1/import?resource=provider&app=claude&name=My+Claude+%7E*%27%28x%29"
                    "&endpoint=https%3A%2F%2Frelay.example.com&apiKey=sk-Ab%2B%2F%3D%7E&model=claude+sonnet"
                    "&opusModel=o&homepage=https%3A%2F%2Frelay.example.com&enabled=true")
    assert "sk-Ab+/=~" not in masked and "apiKey=sk-…****" in masked


def test_ccswitch_tier_models_only_for_claude():
    link, _ = links.ccswitch_link("codex", "c", SERVER, f"sk-{TOKEN}", {"model": "m", "haiku": "h"})
    assert "haikuModel" not in link
    request = links.parse(link + "&haikuModel=h")
    assert request.models == {"model": "m"}
    assert "haikuModel: h (only Claude Code has tier models)" in request.ignored


@settings(max_examples=150)
@given(app=st.sampled_from(sorted(links.CCSWITCH_APPS.values())),
       name=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() and s.isprintable()),
       host=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,15}[a-z0-9])?\.(com|io|cn)", fullmatch=True),
       path=st.sampled_from(["", "/relay", "/a/b"]),
       key=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=12, max_size=60),
       model=st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,30}", fullmatch=True))
def test_link_then_import_gives_the_same_configuration(app, name, host, path, key, model):
    """`keyconf link --format ccswitch` then `keyconf import`: the same root, key, model and client back."""
    root = f"https://{host}{path}"
    models = {"model": model} if model else {}
    link, masked = links.ccswitch_link(app, name, root, key, models)
    request = links.parse(link)
    assert (request.base_url, request.key, request.models, request.app) == (root, key, models, app)
    assert request.name == name.strip()
    assert key not in masked and key not in unquote_plus(masked) and "apiKey=" + mask(key)[:4] in masked


def test_cherry_link_is_the_adapters_link_and_reads_back():
    from keyconf.adapters.cherry_studio import ADAPTER
    from keyconf.model import Options
    from keyconf.stores.profiles import Profile

    for protocol in (None, "anthropic"):
        link, masked = links.cherry_link("work", SERVER, f"sk-{TOKEN}", protocol)
        assert (link, masked) == ADAPTER.link(Profile("work", SERVER), f"sk-{TOKEN}", Options(protocol=protocol))
        request = links.parse(link)
        assert (request.base_url, request.key, request.clients, request.protocol) == (
            SERVER, f"sk-{TOKEN}", ["cherry-studio"], protocol)
        assert links.profile_name_for(request) == "work"  # the id keyconf gave it names the profile
        assert request.ignored == ["id: keyconf-work (keyconf gives each profile its own provider id)"]
        assert TOKEN not in masked and "sk-…" in masked
    with pytest.raises(UsageError, match="mangles"):
        links.cherry_link("work", SERVER, "sk-a(b)c")


def test_cherry_reads_what_cherry_itself_repairs():
    """Cherry turns ' into " and drops ( ) before JSON.parse: a payload written with single quotes works."""
    raw = "{'id': 'x', 'baseUrl': 'https://relay.example.com', 'apiKey': 'sk-single-quoted-key'}"
    link = "cherrystudio://providers/api-keys?v=1&data=" + quote(base64.b64encode(raw.encode()).decode(), safe="")
    request = links.parse(link)
    assert (request.base_url, request.key) == (SERVER, "sk-single-quoted-key")


def test_pasted_link_with_quotes_spaces_and_a_wrapped_line():
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES["cherrystudio"], SERVER, B64_TOKEN)
    wrapped = f'  "{link[:50]}\n{link[50:]}"\r\n'
    assert links.parse(wrapped).key == f"sk-{B64_TOKEN}"


# ---- cc-switch `config` payloads -----------------------------------------------------------------------------

def ccswitch(params: dict, config=None, fmt: str | None = None) -> str:
    fields = dict(params)
    if config is not None:
        text = config if isinstance(config, str) else json.dumps(config)
        fields["config"] = base64.b64encode(text.encode()).decode()
        if fmt:
            fields["configFormat"] = fmt
    return "ccswitch://v1/import?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())


CLAUDE_ENV = {"ANTHROPIC_BASE_URL": "https://relay.example.com", "ANTHROPIC_AUTH_TOKEN": f"sk-{TOKEN}",
              "ANTHROPIC_MODEL": "claude-sonnet-4-5", "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5",
              "NODE_OPTIONS": "--require /tmp/evil.js", "API_TIMEOUT_MS": "600000"}


def test_claude_config_fills_url_key_models_and_lists_the_rest():
    link = ccswitch({"resource": "provider", "app": "claude", "name": "Team"},
                    {"env": CLAUDE_ENV, "permissions": {"allow": ["Bash"]}})
    request = links.parse(link)
    assert (request.base_url, request.key) == (SERVER, f"sk-{TOKEN}")
    assert request.models == {"model": "claude-sonnet-4-5", "haiku": "claude-haiku-4-5"}
    ignored = "\n".join(request.ignored)
    assert "config env.NODE_OPTIONS: --require /tmp/evil.js (not applied" in ignored
    assert "config env.API_TIMEOUT_MS: 600000" in ignored and "config permissions: {…}" in ignored
    assert TOKEN not in request.masked() and TOKEN not in ignored
    assert "NODE_OPTIONS" in request.masked()  # the decoded payload is shown, masked


def test_claude_config_in_every_base64_encoding():
    link = ccswitch({"resource": "provider", "app": "claude", "name": "T~?"}, {"env": {**CLAUDE_ENV, "X": "~~~???>"}})
    std = std_payload(link, "config")
    assert "+" in std and "/" in std
    for how, variant in variants(link, "config").items():
        request = links.parse(variant)
        assert (request.base_url, request.key, request.models["model"]) == (SERVER, f"sk-{TOKEN}",
                                                                           "claude-sonnet-4-5"), how


def test_parameters_win_over_the_config():
    other = "sk-OtherKeyFromTheConfig0123456789"
    link = ccswitch({"resource": "provider", "app": "claude", "name": "T", "endpoint": "https://b.example.com",
                     "apiKey": f"sk-{TOKEN}", "model": "m-param"},
                    {"env": {**CLAUDE_ENV, "ANTHROPIC_AUTH_TOKEN": other}})
    request = links.parse(link)
    assert (request.base_url, request.key, request.models) == ("https://b.example.com", f"sk-{TOKEN}", {
        "model": "m-param", "haiku": "claude-haiku-4-5"})
    ignored = "\n".join(request.ignored)
    assert f"config env.ANTHROPIC_BASE_URL: {SERVER} (the link's parameter wins)" in ignored
    assert f"config env.ANTHROPIC_AUTH_TOKEN: {mask(other)} (the link's parameter wins)" in ignored
    assert other not in ignored and other not in request.masked()


CODEX_TOML = """model_provider = "custom"
model = "gpt-5-codex"
model_reasoning_effort = "high"
disable_response_storage = true

[model_providers.custom]
name = "My Codex"
base_url = "https://relay.example.com/v1"
wire_api = "responses"
requires_openai_auth = true
"""


def test_codex_config_as_cc_switch_writes_it():
    link = ccswitch({"resource": "provider", "app": "codex", "name": "Team"},
                    {"auth": {"OPENAI_API_KEY": f"sk-{TOKEN}"}, "config": CODEX_TOML})
    request = links.parse(link)
    assert (request.app, request.base_url, request.key, request.models) == ("codex", SERVER, f"sk-{TOKEN}",
                                                                           {"model": "gpt-5-codex"})
    assert "config model_reasoning_effort: high (not applied: a link only sets the Base URL, key and models)" \
        in request.ignored
    assert "config model_providers.custom.wire_api: responses (not applied: a link only sets the Base URL, key " \
        "and models)" in request.ignored


def test_codex_bearer_token_and_toml_format():
    toml = CODEX_TOML.replace("requires_openai_auth = true", f'experimental_bearer_token = "sk-{TOKEN}"')
    request = links.parse(ccswitch({"resource": "provider", "app": "codex", "name": "T"}, {"config": toml}))
    assert (request.base_url, request.key) == (SERVER, f"sk-{TOKEN}")
    assert TOKEN not in request.masked()
    request = links.parse(ccswitch({"resource": "provider", "app": "codex", "name": "T"}, toml, fmt="toml"))
    assert (request.base_url, request.key, request.models) == (SERVER, f"sk-{TOKEN}", {"model": "gpt-5-codex"})


@pytest.mark.parametrize("config", [
    {"GEMINI_API_KEY": f"sk-{TOKEN}", "GOOGLE_GEMINI_BASE_URL": SERVER, "GEMINI_MODEL": "gemini-2.5-pro"},
    {"env": {"GEMINI_API_KEY": f"sk-{TOKEN}", "GEMINI_BASE_URL": SERVER, "GEMINI_MODEL": "gemini-2.5-pro"}},
])
def test_gemini_config_flat_or_in_env(config):
    request = links.parse(ccswitch({"resource": "provider", "app": "gemini", "name": "T"}, config))
    assert (request.app, request.base_url, request.key, request.models) == (
        "gemini-cli", SERVER, f"sk-{TOKEN}", {"model": "gemini-2.5-pro"})


def test_opencode_config():
    config = {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": SERVER + "/v1", "apiKey": f"sk-{TOKEN}"},
              "models": {"qwen": {}}}
    request = links.parse(ccswitch({"resource": "provider", "app": "opencode", "name": "T"}, config))
    assert (request.app, request.base_url, request.key) == ("opencode", SERVER, f"sk-{TOKEN}")
    assert "config npm: @ai-sdk/openai-compatible (not applied: a link only sets the Base URL, key and models)" \
        in request.ignored


def test_endpoint_list_first_is_primary_and_duplicates_follow_each_app():
    link = ccswitch({"resource": "provider", "app": "claude", "name": "T", "apiKey": "sk-first-key-000000000",
                     "endpoint": "https://a.example.com, https://b.example.com"}) + f"&apiKey=sk-{TOKEN}"
    request = links.parse(link)
    assert (request.base_url, request.key) == ("https://a.example.com", f"sk-{TOKEN}")  # cc-switch: last wins
    assert ("endpoint (extra): https://b.example.com (the endpoints are checked in order; the first that answers "
            "is used)") in request.ignored
    assert request.endpoints == ["https://a.example.com", "https://b.example.com"]
    assert "sk-first-key-000000000" not in "\n".join(request.ignored) + request.masked()
    cherry = links.dashboard_link(links.DASHBOARD_TEMPLATES["cherrystudio"], SERVER, B64_TOKEN)
    other = links.dashboard_link(links.DASHBOARD_TEMPLATES["cherrystudio"], "https://b.example.com", TOKEN)
    request = links.parse(cherry + "&data=" + other.split("data=")[1])
    assert request.base_url == SERVER  # URLSearchParams.get: the first wins


def test_usage_and_other_parameters_are_listed_masked():
    link, _ = links.ccswitch_link("claude", "T", SERVER, f"sk-{TOKEN}")
    request = links.parse(link + f"&usageApiKey=sk-{TOKEN}&usageBaseUrl={quote(SERVER)}&notes=hi&configUrl=x")
    assert f"usageApiKey: {mask('sk-' + TOKEN)} (a secret: not kept)" in request.ignored
    assert "notes: hi" in request.ignored and request.usage == {"base_url": SERVER}
    assert "configUrl: x (keyconf never fetches configuration named by a link)" in request.ignored
    assert TOKEN not in request.masked()


# ---- refusals ------------------------------------------------------------------------------------------------

KEY = f"sk-{TOKEN}"
GOOD = f"ccswitch://v1/import?resource=provider&app=claude&name=T&endpoint={quote(SERVER, safe='')}&apiKey={KEY}"


def b64(text: str) -> str:
    return quote(base64.b64encode(text.encode("utf-8", "surrogatepass")).decode(), safe="")


@pytest.mark.parametrize("link, fragments", [
    ("foo://bar?key=" + KEY, ["'foo:'"]),
    ("mailto:someone@example.com", ["'mailto:'"]),
    (GOOD.replace("app=claude", "app=cursor"), ["unknown app 'cursor'"]),
    (GOOD.replace("app=claude", "app=grokbuild"), ["no client for cc-switch's app 'grokbuild'"]),
    (GOOD.replace("app=claude&", ""), ["no app"]),
    (GOOD.replace("//v1/", "//v2/"), ["version 'v2'", "v1"]),
    (GOOD.replace("/import", "/export"), ["'/export'"]),
    (GOOD.replace("resource=provider", "resource=mcp"), ["providers only", "'mcp'"]),
    (GOOD.replace("resource=provider", "resource=prompt"), ["providers only"]),
    (GOOD.replace("resource=provider&", ""), ["no resource"]),
    (GOOD.replace(quote(SERVER, safe=""), "javascript:alert(1)"), ["http or https", "'javascript'"]),
    (GOOD.replace(quote(SERVER, safe=""), quote("file:///etc/passwd", safe="")), ["http or https", "'file'"]),
    (GOOD.replace(quote(SERVER, safe=""), quote("data:text/html,<b>x</b>", safe="")), ["http or https", "'data'"]),
    (GOOD.replace(quote(SERVER, safe=""), quote(SERVER + ",ftp://b.example.com", safe="")), ["'ftp'"]),
    (GOOD.replace(quote(SERVER, safe=""), quote("https://user:pass@relay.example.com", safe="")), ["credentials"]),
    (GOOD.replace(quote(SERVER, safe=""), quote("https://relay.example.com:99999", safe="")), ["not a valid URL"]),
    (GOOD.replace(quote(SERVER, safe=""), "relay.example.com"), ["https://"]),
    (GOOD.replace("//v1/", "//me@v1/"), ["credentials"]),
    (GOOD.replace(KEY, KEY[:20] + "%0A" + KEY[20:]), ["whitespace or control characters"]),
    (GOOD.replace(KEY, KEY[:20] + "%09" + KEY[20:]), ["whitespace or control characters"]),
    (GOOD.replace(KEY, KEY[:20] + "+" + KEY[20:]), ["whitespace or control characters"]),
    (GOOD.replace(KEY, KEY[:20] + "%00" + KEY[20:]), ["whitespace or control characters"]),
    (GOOD.replace(f"&apiKey={KEY}", ""), ["no key (apiKey)"]),
    (GOOD.replace(f"apiKey={KEY}", "apiKey=%20%20"), ["no key"]),
    (GOOD.replace(f"endpoint={quote(SERVER, safe='')}", "endpoint="), ["no Base URL (endpoint)"]),
    (GOOD + "&model=a%0Ab", ["model contains control characters"]),
    (GOOD + "&config=!!!notbase64", ["config payload is not valid base64"]),
    (GOOD + "&config=" + b64("{not json"), ["config payload is not valid JSON"]),
    (GOOD + "&config=" + b64("[1, 2]"), ["not an object"]),
    (GOOD + "&config=" + b64('{"permissions": {}}'), ["no env object"]),
    (GOOD + "&configFormat=yaml&config=" + b64("a: b"), ["configFormat 'yaml'"]),
    (GOOD + "&configFormat=toml&config=" + b64("a = = b"), ["not valid TOML"]),
    (GOOD.replace("app=claude", "app=codex") + "&config=" + b64('{"config": "[[x"}'), ["not valid TOML"]),
    (GOOD + "&config=" + quote(base64.b64encode(b"\xff\xfe{}").decode(), safe=""), ["not UTF-8"]),
    (GOOD + "&config=" + b64("[" * 5000 + "]" * 5000), ["nested too deeply"]),
    ("cherrystudio://providers/api-keys?v=1", ["carries no data"]),
    ("cherrystudio://providers/api-keys?v=2&data=e30", ["version '2'"]),
    ("cherrystudio://providers/other?v=1&data=e30", ["unsupported Cherry Studio link"]),
    ("cherrystudio://providers/api-keys?v=1&data=e30", ["no key (apiKey)"]),
    ("cherrystudio://providers/api-keys?v=1&data=" + b64('{"apiKey": "%s"}' % KEY), ["no Base URL (baseUrl)"]),
    ("cherrystudio://providers/api-keys?v=1&data=" + b64('{"apiKey": "%s", "baseUrl": "javascript:x"}' % KEY),
     ["http or https"]),
    ("cherrystudio://providers/api-keys?v=1&data=" + b64(json.dumps({"apiKey": KEY[:20] + "\n" + KEY[20:],
                                                                      "baseUrl": SERVER})),
     ["whitespace or control characters"]),
    ("cherrystudio://providers/api-keys?v=1&data=" + b64('{"apiKey": 42, "baseUrl": "%s"}' % SERVER), ["not text"]),
    ("cherrystudio://providers/api-keys?v=1&data=abc%", ["not valid base64"]),
    ("cherrystudio://providers/api-keys?v=1&data=" + b64("not json at all"), ["data payload is not valid JSON"]),
    ("ama://set-api-key?server=" + quote(SERVER, safe=""), ["no key (key)"]),
    ("ama://set-api-key?key=" + KEY, ["no Base URL (server)"]),
    ("opencat://team/join?domain=" + quote("ftp://x.example.com", safe="") + "&token=" + KEY, ["'ftp'"]),
    ("https://example.com/page?x=1", ["not a settings link"]),
    ('https://chat.example.com/?settings={"nope":1}', ["no keyVaults"]),
    ('https://app.nextchat.dev/#/?settings={"key":"%s"}' % KEY, ["no Base URL (url)"]),
    ('https://aiaw.app/set-provider?provider={"type":"openai"}', ["no settings"]),
    (KEY, ["not a link", "looks like a key"]),
    ("", ["not a link"]),
])
def test_refusals(link, fragments):
    refused(link, *fragments, secret=KEY)


def test_unknown_scheme_lists_the_supported_ones():
    err = refused("foo://bar")
    for scheme in ("ccswitch://", "cherrystudio://", "aionui://", "deepchat://", "ama://", "opencat://",
                   "Lobe Chat", "AI as Workspace", "NextChat"):
        assert scheme in err.hint


def test_a_link_longer_than_64_kib_is_refused():
    link = GOOD + "&notes=" + "x" * (64 * 1024)
    refused(link, "longer than 64 KiB", secret=KEY)
    refused("ccswitch://" + "é" * (33 * 1024), "longer than 64 KiB")  # counted in bytes


def test_messages_never_show_long_pieces_of_the_link():
    """Values a message quotes (an app, a version, a scheme) are cut to 16 characters: shorter than a key."""
    err = refused(GOOD.replace("app=claude", f"app={KEY}"), "unknown app")
    assert KEY not in err.message and KEY[:17] not in err.message


# ---- masking -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", sorted(links.DASHBOARD_TEMPLATES))
def test_masked_hides_the_key_and_keeps_the_shape(source):
    token = B64_TOKEN if source in B64_TEMPLATES else TOKEN
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES[source], SERVER, token)
    request = links.parse(link)
    shown = request.masked()
    assert token not in shown and mask(f"sk-{token}") in shown
    assert shown.startswith(link.split("?")[0].split("#")[0])
    assert "relay.example.com" in shown
    assert token not in repr(request)


def test_ccswitch_masked_is_the_link_with_the_key_masked():
    link, masked = links.ccswitch_link("codex", "T", SERVER, KEY, {"model": "gpt-5"})
    assert masked == link.replace(f"apiKey={KEY}", f"apiKey={mask(KEY)}")


# ---- profile names -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, base_url, expected", [
    ("claude-code-mac", SERVER, "claude-code-mac"),
    ("My Claude", SERVER, "relay-example-com"),
    (None, "https://relay.example.com:8443/api", "relay-example-com-8443"),
    ("", "http://10.0.0.5:3000", "10-0-0-5-3000"),
    ("x" * 65, "https://" + "a" * 70 + ".com", "a" * 64),
    (KEY, SERVER, "relay-example-com"),
    (None, "http://[::1]:3000", "1-3000"),
])
def test_profile_name_for(name, base_url, expected):
    request = links.ImportRequest("ama", base_url=base_url, key=KEY, name=name)
    assert links.profile_name_for(request) == expected


@settings(max_examples=200)
@given(name=st.none() | st.text(max_size=80), host=st.from_regex(r"[a-z0-9.-]{0,70}", fullmatch=True))
def test_profile_name_is_always_valid(name, host):
    from keyconf.stores.profiles import check_name

    request = links.ImportRequest("ama", base_url=f"https://{host}", key=KEY, name=name)
    check_name(links.profile_name_for(request))
