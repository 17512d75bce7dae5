"""JSONC (opencode's opencode.json, VS Code style settings): comments and trailing commas are kept byte for
byte; keyconf's members go in and out exactly; a guard re-parses every result. Property-tested."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, event, given, settings

import oddjson
from keyconf.errors import UnsafeEdit
from keyconf.formats import jsondoc
from keyconf.formats.jsondoc import JsonDoc
from keyconf.formats.jsonowned import restore_owned, set_owned

EXAMPLES = int(os.environ.get("KEYCONF_FUZZ_EXAMPLES", "500"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

OPENCODE = b"""{
  "$schema": "https://opencode.ai/config.json",
  // my theme, do not touch
  "theme": "tokyonight",
  /* providers I set up by hand */
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible",
      "options": { "baseURL": "http://localhost:11434/v1", }, // local
    },
  },
  "autoupdate": false, // trailing comment
}
"""
PROVIDER = {("provider", "keyconf", "npm"): '"@ai-sdk/openai-compatible"',
            ("provider", "keyconf", "options", "baseURL"): '"https://relay.example/v1"',
            ("provider", "keyconf", "models", "gpt-5"): "{}",
            ("model",): '"keyconf/gpt-5"'}


@FUZZ
@given(oddjson.documents(jsonc=True), oddjson.desired_sets, oddjson.desired_sets)
def test_odd_jsonc_edits_exactly_or_is_refused(data, desired, desired2):
    event(oddjson.check(data, True, desired, desired2))


def use_then_remove(original: bytes, desired: dict) -> str:
    doc = JsonDoc(original, "opencode.json", jsonc=True)
    owned = set_owned(doc, desired, None)
    edited = doc.content()
    again = JsonDoc(edited, "opencode.json", jsonc=True)
    assert set_owned(again, desired, owned) == owned and again.content() == edited  # twice is one change
    back = JsonDoc(edited, "opencode.json", jsonc=True)
    restore_owned(back, owned)
    assert back.content() == original
    return edited.decode()


def test_opencode_config_keeps_every_comment_and_trailing_comma():
    edited = use_then_remove(OPENCODE, PROVIDER)
    assert edited == """{
  "$schema": "https://opencode.ai/config.json",
  // my theme, do not touch
  "theme": "tokyonight",
  /* providers I set up by hand */
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible",
      "options": { "baseURL": "http://localhost:11434/v1", }, // local
    },
    "keyconf": {
      "npm": "@ai-sdk/openai-compatible",
      "options": {
        "baseURL": "https://relay.example/v1"
      },
      "models": {
        "gpt-5": {}
      }
    },
  },
  "autoupdate": false,
  "model": "keyconf/gpt-5", // trailing comment
}
"""
    doc = JsonDoc(edited.encode(), "opencode.json", jsonc=True)
    assert doc.get(("provider", "ollama", "options")) == {"baseURL": "http://localhost:11434/v1"}
    assert doc.get_str(("model",)) == "keyconf/gpt-5"


@pytest.mark.parametrize("original", [
    b'{\n  "a": 1, // note\n}\n',  # a trailing comma and a trailing comment on the last member
    b'{\n  "a": 1 /* why */,\n  // the end\n}',
    b'{"a": 1,}',
    b'{\r\n\t"a": [1, 2,],\r\n\t// crlf and tabs\r\n}\r\n',
    b"// nothing yet\n",
    b"/* nothing */",
    b'{ // empty, with a comment\n}',
    b'{ "provider": { /* none yet */ }, }',
    b'{ "provider": {\n    // none yet\n  },\n  "model": "x", // mine\n}',
    b"\xef\xbb\xbf// bom\n{}",
])
def test_members_go_in_and_out_around_comments(original):
    edited = use_then_remove(original, PROVIDER)
    assert JsonDoc(edited.encode(), "t", jsonc=True).get(("provider", "keyconf", "npm")) == "@ai-sdk/openai-compatible"
    for comment in ("note", "why", "the end", "crlf and tabs", "nothing", "empty, with a comment", "none yet"):
        assert (comment in edited) == (comment.encode() in original)


def test_removing_a_member_a_user_annotated_keeps_the_comment():
    doc = JsonDoc(b'{\n  "theme": "dark",\n}', "t", jsonc=True)
    owned = set_owned(doc, {("model",): '"keyconf/gpt-5"'}, None)
    annotated = doc.content().replace(b'"keyconf/gpt-5"', b'"keyconf/gpt-5" /* keyconf\'s */')
    back = JsonDoc(annotated, "t", jsonc=True)
    restore_owned(back, owned)
    assert back.content() == b'{\n  "theme": "dark" /* keyconf\'s */,\n}'


@pytest.mark.parametrize("original, reason", [
    (b'{\n  "a": 1 /* open\n}', "Unterminated /* comment at line 2 column 10"),
    (b"{,}", "Expecting property name enclosed in double quotes at line 1 column 2"),
    (b'{"a": [1,,]}', "Expecting value at line 1 column 10"),
    (b'{"a": 1,\n,}', "line 2"),
    (b"[1, 2,] // not an object", "holds an array at the top level"),
    (b'{"a": 1} /* fine */ 2', "Extra data"),
])
def test_unreadable_jsonc_is_refused_with_the_line(original, reason):
    with pytest.raises(UnsafeEdit) as caught:
        JsonDoc(original, "~/.config/opencode/opencode.json", jsonc=True)
    assert caught.value.message.startswith("~/.config/opencode/opencode.json") and reason in caught.value.message


def test_strict_json_still_refuses_comments():
    with pytest.raises(UnsafeEdit, match="a comment at line 1"):
        JsonDoc(b'{"a": 1} // c', "settings.json")


def test_guard_refuses_an_edit_that_lands_elsewhere(monkeypatch):
    # A bug that writes the member under another name: the result parses, but not to what was intended.
    monkeypatch.setattr(jsondoc, "encode", lambda value: json.dumps(value + "x"))
    doc = JsonDoc(OPENCODE, "opencode.json", jsonc=True)
    with pytest.raises(UnsafeEdit, match=r"opencode.json: keyconf's change did not come out as intended at `modelx?`"):
        set_owned(doc, {("model",): '"keyconf/gpt-5"'}, None)


def test_guard_refuses_a_member_left_inside_a_comment(monkeypatch):
    # A bug that puts the member after a line comment (`"a": 1 // c, "model": ...`): it parses, without it.
    def misplaced(self, obj, rest, raw):
        at = self._texts()[0].index("\n", obj.members[-1].vend)
        return at, at, ', "model": ' + raw

    monkeypatch.setattr(JsonDoc, "_insertion", misplaced)
    doc = JsonDoc(b'{\n  "a": 1 // c\n}', "opencode.json", jsonc=True)
    with pytest.raises(UnsafeEdit, match="opencode.json: keyconf's change did not come out as intended at `model`"):
        set_owned(doc, {("model",): '"m"'}, None)


def test_guard_refuses_an_edit_that_would_not_parse(monkeypatch):
    def no_comma(self, obj, rest, raw):
        at = obj.members[-1].vend
        return at, at, ' "model": ' + raw

    monkeypatch.setattr(JsonDoc, "_insertion", no_comma)
    doc = JsonDoc(b'{\n  "a": 1 // c\n}', "opencode.json", jsonc=True)
    with pytest.raises(UnsafeEdit, match="opencode.json: keyconf's change would not parse .Expecting ',' delimiter"):
        set_owned(doc, {("model",): '"m"'}, None)
