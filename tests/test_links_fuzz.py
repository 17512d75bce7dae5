"""Fuzzing the link parser: any string in gives an ImportRequest or a UsageError, never another exception; no
message and no masked link shows the key. 3,100 parses in the default run."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyconf import links, masking
from keyconf.errors import Exit, UsageError


@pytest.fixture(autouse=True)
def forget_remembered_keys():
    """parse() remembers every key it accepts for later redaction; don't let thousands pile up."""
    known = set(masking._known)
    yield
    masking.forget_all()
    masking._known.update(known)


MARK = "QxZj7"  # in no message of keyconf's: where it survives, a message quoted the link


def outcome(link: str):
    """parse(link), holding it to the contract; returns the request or the error."""
    try:
        request = links.parse(link)
    except UsageError as err:
        assert err.code == Exit.USAGE
        assert isinstance(err.message, str) and err.message
        stripped = link.strip()
        if len(stripped) > 16 and MARK in stripped:  # a message may quote 16 characters of the link, no more
            assert stripped not in err.message and stripped not in err.hint
        return err
    assert isinstance(request, links.ImportRequest)
    assert request.source in links.SOURCES
    assert request.base_url.startswith(("http://", "https://"))
    assert request.key and request.key == request.key.strip()
    assert not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in request.key)
    assert links.profile_name_for(request)
    shown = request.masked() + "\n".join(request.ignored)
    if len(request.key) >= 12:
        assert request.key not in shown
    return request


SCHEMES = ["ccswitch://v1/import?", "cherrystudio://providers/api-keys?v=1&data=", "aionui://provider/add?v=1&data=",
           "deepchat://provider/install?v=1&data=", "ama://set-api-key?", "opencat://team/join?",
           "https://chat-preview.lobehub.com/?settings=", "https://aiaw.app/set-provider?provider=",
           "https://app.nextchat.dev/#/?settings=", "javascript:", "file:///", "data:", ""]
PARAMS = ["resource=provider", "resource=mcp", "app=claude", "app=codex", "app=gemini", "app=opencode", "app=x",
          "name=n", "endpoint=https%3A%2F%2Fr.example.com", "endpoint=javascript:x", "apiKey=sk-abcdefghijklmnop",
          "apiKey=", "model=m", "haikuModel=h", "config=e30", "config=!!", "configFormat=toml", "v=1", "v=2",
          "data=e30", "server=http://h.example.com", "key=sk-k", "domain=https://d.example.com", "token=t",
          "settings={}", "provider={}", "%", "&", "=", "+", "#"]


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.integers(0, 300))
def test_any_text(text, at):
    outcome(text)
    outcome(text[:at] + MARK + text[at:])


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SCHEMES), st.lists(st.sampled_from(PARAMS) | st.text(max_size=20), max_size=12))
def test_link_shaped_text(prefix, pieces):
    outcome(prefix + "&".join(pieces + [MARK]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["cherrystudio://providers/api-keys?v=1&data=", "ccswitch://v1/import?resource=provider"
                        "&app=claude&name=n&config=", "ccswitch://v1/import?resource=provider&app=codex&config=",
                        "ccswitch://v1/import?resource=provider&app=gemini&configFormat=toml&config=",
                        "ccswitch://v1/import?resource=provider&app=opencode&config="]),
       st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["env", "auth", "config", "apiKey", "baseUrl", "ANTHROPIC_BASE_URL",
                                         "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY", "GEMINI_API_KEY", "options",
                                         "baseURL", "model_providers", "model_provider", "base_url", "x"]),
                        inner, max_size=5), max_leaves=12))
def test_any_json_payload(prefix, doc):
    raw = json.dumps(doc).encode()
    outcome(prefix + quote(base64.b64encode(raw).decode(), safe=""))


TOKEN = st.from_regex(r"[A-Za-z0-9]{40,48}", fullmatch=True)
SERVERS = st.sampled_from(["https://relay.example.com", "http://127.0.0.1:3000", "https://a.example.com/relay"])


@st.composite
def valid_links(draw):
    """A link exactly as a dashboard makes it, and the key in it."""
    token = draw(TOKEN)
    server = draw(SERVERS)
    kind = draw(st.sampled_from(sorted(links.DASHBOARD_TEMPLATES) + ["ccswitch"]))
    if kind == "ccswitch":
        app = draw(st.sampled_from(sorted(links.CCSWITCH_APPS)))
        link, _ = links.ccswitch_link(app, draw(st.text(max_size=12)), server, f"sk-{token}",
                                      {"model": "m", "haiku": "h"})
    else:
        link = links.dashboard_link(links.DASHBOARD_TEMPLATES[kind], server, token)
    return link, f"sk-{token}"


MUTATIONS = ("delete", "insert", "replace", "duplicate", "unquote", "upper", "truncate", "swap")


@st.composite
def mutated(draw):
    link, key = draw(valid_links())
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(MUTATIONS))
        at = draw(st.integers(0, max(len(link) - 1, 0)))
        if how == "delete":
            link = link[:at] + link[at + draw(st.integers(1, 8)):]
        elif how == "insert":
            link = link[:at] + draw(st.text(max_size=6) | st.sampled_from(["%0A", "%00", "+", "%", "&", "=", ","
                                                                          "javascript:", "@", "#", "%25"])) + link[at:]
        elif how == "replace" and link:
            link = link[:at] + draw(st.characters()) + link[at + 1:]
        elif how == "duplicate":
            link = link + "&" + link.partition("?")[2]
        elif how == "unquote":
            link = unquote(link)
        elif how == "upper":
            link = link.upper()
        elif how == "truncate":
            link = link[:at]
        elif how == "swap":
            head, _, query = link.partition("?")
            parts = query.split("&")
            link = head + "?" + "&".join(reversed(parts))
    return link, key


@settings(max_examples=700, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_dashboard_links(case):
    link, key = case
    result = outcome(link)
    if isinstance(result, UsageError):
        assert key not in result.message and key not in result.hint
    else:
        assert key not in result.masked() and key not in "\n".join(result.ignored)
        assert key not in repr(result)


def read_outcome(text: str):
    """links.read (a link or pasted text) held to the same contract as parse."""
    try:
        request = links.read(text)
    except UsageError as err:
        assert err.code == Exit.USAGE and err.message
        return err
    assert request.base_url.startswith(("http://", "https://"))
    assert request.key and not any(c.isspace() or ord(c) < 32 for c in request.key)
    if len(request.key) >= 12:
        assert request.key not in request.masked() + "\n".join(request.ignored)
    return request


LINES = ["export ANTHROPIC_BASE_URL=https://r.example.com", "export ANTHROPIC_AUTH_TOKEN=sk-abcdefghijklmnop",
         "OPENAI_API_KEY=sk-abcdefghijklmnop", "OPENAI_BASE_URL=https://r.example.com/v1", "set -gx GEMINI_API_KEY k",
         '$env:ANTHROPIC_API_KEY = "sk-abcdefghijklmnop"', "curl https://r.example.com/v1/models \\",
         '  -H "Authorization: Bearer sk-abcdefghijklmnop"', '[model_providers.r]', 'base_url = "https://r.example.com"',
         'model_provider = "r"', '{"OPENAI_API_KEY": "sk-abcdefghijklmnop"}', "export X=$(id)", "# comment", "",
         "export ANTHROPIC_MODEL=m", "x = " + "9" * 4301]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES) | st.text(max_size=40), max_size=8))
def test_pasted_text_of_any_shape(lines):
    read_outcome("\n".join(lines))
