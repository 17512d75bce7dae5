"""Odd but valid JSON never crashes keyconf (issue 12): it is edited keeping every byte, or refused with
UnsafeEdit naming the file, the line and the reason. Property-tested over generated documents."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, event, given, settings

import oddjson
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc, WrongType
from keyconf.formats.jsonowned import restore_owned, set_owned

# KEYCONF_FUZZ_EXAMPLES=20000 for a long run; the default keeps this file to a few seconds.
EXAMPLES = int(os.environ.get("KEYCONF_FUZZ_EXAMPLES", "500"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@FUZZ
@given(oddjson.documents(jsonc=False), oddjson.desired_sets, oddjson.desired_sets)
def test_odd_json_edits_exactly_or_is_refused(data, desired, desired2):
    event(oddjson.check(data, False, desired, desired2))


def round_trip(original: bytes, desired: dict) -> bytes:
    doc = JsonDoc(original, "t.json")
    owned = set_owned(doc, desired, None)
    edited = doc.content()
    back = JsonDoc(edited, "t.json")
    restore_owned(back, owned)
    assert back.content() == original
    return edited


@pytest.mark.parametrize("value", [
    "1" * 4301, "-" + "9" * 10000 + ".5e-7",  # beyond Python's int-str limit
    "1e999", "-1e999", "1E400", "4.9e-325",  # floats JSON.parse reads as Infinity or 0
    '"\\ud800"', '"\\udfff\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\/"',  # escapes, lone surrogates
    "[" * 1000 + "]" * 1000, "[" * 5000 + "]" * 5000,  # deeper than Python's recursion limit
    '{"a":' * 3000 + "{}" + "}" * 3000,
])
def test_odd_values_beside_the_owned_key(value):
    original = ('{\n  "odd": ' + value + ',\n  "env": {"odd": ' + value + "}\n}\n").encode()
    edited = round_trip(original, {("env", "ANTHROPIC_AUTH_TOKEN"): '"sk-x"', ("hasCompletedOnboarding",): "true"})
    assert JsonDoc(edited, "t.json").get_str(("env", "ANTHROPIC_AUTH_TOKEN")) == "sk-x"


def test_duplicate_keys_the_last_one_counts():
    original = b'{"env": {"ANTHROPIC_BASE_URL": "old"}, "env": {"X": 1}, "model": 1, "model": "m"}'
    doc = JsonDoc(original, "t.json")
    assert doc.get_str(("model",)) == "m" and doc.get(("env",)) == {"X": 1}
    edited = round_trip(original, {("env", "ANTHROPIC_BASE_URL"): '"https://relay"'})
    assert json.loads(edited)["env"] == {"X": 1, "ANTHROPIC_BASE_URL": "https://relay"}
    assert edited.startswith(b'{"env": {"ANTHROPIC_BASE_URL": "old"}')  # the shadowed one is left alone


@pytest.mark.parametrize("original", [
    b'\xef\xbb\xbf{\r\n\t"a": "\xc3\xa9\xf0\x9f\x9a\x80",\r\n\t"b": [ ]\r\n}\r\n',
    b"{}", b"{ }", b"\n\n", b"", b'{"a":1}' + b" " * 3, b'{"\\u00e9": {"\\u00e9": 1}}',
])
def test_bom_crlf_tabs_unicode_and_empty(original):
    edited = round_trip(original, {("env", "K"): '"v"', ("é",): "true"})
    assert json.loads(edited.decode("utf-8-sig"))["env"] == {"K": "v"}
    if b"\r\n" in original:
        assert b"\n" not in edited.replace(b"\r\n", b"")  # new lines follow the file's line endings


@pytest.mark.parametrize("original, reason", [
    (b"[1, 2]", "holds an array at the top level"),
    (b'"just a string"', "holds a string at the top level"),
    (b"null", "holds null at the top level"),
    (b"12", "holds a number at the top level"),
    (b'{"a": NaN}', "not valid JSON: Expecting value at line 1 column 7"),
    (b'{\n "a": 1,\n}', "not valid JSON: a trailing comma at line 3 column 1"),
    (b'{\n  // note\n  "a": 1\n}', "not valid JSON: a comment at line 2 column 3"),
    (b'{"a": "\xff"}', "is not UTF-8 text (line 1)"),
    (b'{"a": "tab\there"}', "Invalid control character"),
    (b'{"a": ' + b"[" * 3000 + b"]" * 2999 + b"}", "line 1"),
])
def test_refused_with_the_line_and_reason(original, reason):
    with pytest.raises(UnsafeEdit) as caught:
        JsonDoc(original, "~/.claude/settings.json")
    assert "~/.claude/settings.json" in caught.value.message and reason in caught.value.message


def test_wrong_types_are_reported_not_crashed_on():
    doc = JsonDoc(b'{\n  "env": {\n    "ANTHROPIC_AUTH_TOKEN": 123,\n    "ANTHROPIC_BASE_URL": null\n  },\n'
                  b'  "apiKeyHelper": ["x"]\n}\n', "settings.json")
    with pytest.raises(WrongType) as caught:
        doc.get_str(("env", "ANTHROPIC_AUTH_TOKEN"))
    assert caught.value.message == "settings.json: `env.ANTHROPIC_AUTH_TOKEN` is a number, not a string (line 3)"
    assert caught.value.found == "a number" and caught.value.line == 3
    with pytest.raises(WrongType, match="`env.ANTHROPIC_BASE_URL` is null"):
        doc.get_str(("env", "ANTHROPIC_BASE_URL"))
    assert doc.get_str(("env", "ANTHROPIC_MODEL")) is None
    assert doc.kind(("apiKeyHelper",)) == "array" and doc.require_kind(("env",), "object")
    with pytest.raises(WrongType, match="`apiKeyHelper` is an array, not a string"):
        doc.get_str(("apiKeyHelper",))
    # keyconf can still take the key over, and gives the number back on remove
    round_trip(doc.content(), {("env", "ANTHROPIC_AUTH_TOKEN"): '"sk-x"'})


def test_not_an_object_on_the_way_is_refused_with_its_line():
    doc = JsonDoc(b'{\n  "env": "oops"\n}', "settings.json")
    with pytest.raises(WrongType, match=r"`env` is a string, not an object; keyconf will not replace it \(line 2\)"):
        set_owned(doc, {("env", "K"): '"v"'}, None)


def test_unpaired_surrogate_is_a_problem_not_a_crash():
    doc = JsonDoc(b'{"k": "\\ud800", "fine": "\\ud83d\\ude00"}', "t.json")
    assert doc.get_str(("fine",)) == "\U0001f600"
    with pytest.raises(WrongType, match="unpaired surrogate"):
        doc.get_str(("k",))
    with pytest.raises(UnsafeEdit, match="unpaired surrogate"):
        set_owned(doc, {("x",): json.dumps("\ud800", ensure_ascii=False)}, None)


def test_big_integer_reads_like_json_parse():
    doc = JsonDoc(b'{"n": ' + b"1" * 5000 + b', "m": 12}', "t.json")
    assert doc.get(("n",)) == float("inf") and doc.get(("m",)) == 12


def test_a_number_that_grows_back_is_parsed_not_assumed():
    # Found by the fuzzer: after `3` went back to `3.25`, the scan took `3` for the old, unchanged value.
    original = b'{"model": 3.25, "env": {}}'
    doc = JsonDoc(original, "t.json")
    owned = set_owned(doc, {("model",): "3"}, None)
    doc = JsonDoc(doc.content(), "t.json")
    owned = set_owned(doc, {("env", "K"): '"v"'}, owned)
    assert json.loads(doc.content()) == {"model": 3.25, "env": {"K": "v"}}
    back = JsonDoc(doc.content(), "t.json")
    restore_owned(back, owned)
    assert back.content() == original
