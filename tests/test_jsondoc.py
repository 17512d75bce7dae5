"""In-place JSON editing: owned keys in, owned keys out, every other byte kept (property-tested)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyconf.errors import UnsafeEdit
from keyconf.jsondoc import JsonDoc, restore_owned, set_owned

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
keys = st.sampled_from(["env", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "hooks", "model", "x", "é"])
documents = st.dictionaries(st.one_of(keys, st.text(max_size=8)), values, max_size=6)
layouts = st.sampled_from([{"indent": 2}, {"indent": 4}, {"indent": "\t"}, {}, {"separators": (",", ":")},
                           {"indent": 2, "ensure_ascii": False}])
desired_sets = st.dictionaries(
    st.sampled_from([("env", "ANTHROPIC_BASE_URL"), ("env", "ANTHROPIC_AUTH_TOKEN"), ("apiKeyHelper",),
                     ("hasCompletedOnboarding",), ("env", "ANTHROPIC_MODEL")]),
    st.one_of(st.text(max_size=20).map(json.dumps), st.just("true"), st.just('""')), min_size=1)


def render(doc: dict, layout: dict, newline: bool) -> bytes:
    return (json.dumps(doc, **layout) + ("\n" if newline else "")).encode()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(documents, layouts, st.booleans(), desired_sets, desired_sets)
def test_set_then_restore_is_byte_identical(document, layout, newline, desired, desired2):
    if "env" in document and not isinstance(document["env"], dict):
        document["env"] = {"kept": document["env"]}
    original = render(document, layout, newline)
    doc = JsonDoc(original, "t.json")
    owned = set_owned(doc, desired, None)
    result = json.loads(doc.text)
    for path, raw in desired.items():
        node = result
        for part in path:
            node = node[part]
        assert node == json.loads(raw)
    # every key we do not own keeps its value
    for name, value in document.items():
        if name != "env" and (name,) not in desired:
            assert result[name] == value
    # a second `use` with other values, then restore: still the original bytes
    doc2 = JsonDoc(doc.content(), "t.json")
    owned = set_owned(doc2, desired2, owned)
    doc3 = JsonDoc(doc2.content(), "t.json")
    assert restore_owned(doc3, owned)
    assert doc3.content() == original


@given(desired_sets)
def test_absent_file_round_trip(desired):
    doc = JsonDoc(None, "t.json")
    owned = set_owned(doc, desired, None)
    assert json.loads(doc.text)
    doc2 = JsonDoc(doc.content(), "t.json")
    assert restore_owned(doc2, owned) is False  # nothing left: the file goes


def test_set_is_idempotent():
    doc = JsonDoc(b'{\n  "a": 1\n}\n', "t.json")
    owned = set_owned(doc, {("env", "K"): '"v"'}, None)
    once = doc.content()
    doc2 = JsonDoc(once, "t.json")
    owned2 = set_owned(doc2, {("env", "K"): '"v"'}, owned)
    assert doc2.content() == once and owned2 == owned


def test_layout_follows_the_file():
    doc = JsonDoc(b'{\n    "a": 1\n}\n', "t.json")
    set_owned(doc, {("env", "K"): '"v"'}, None)
    assert doc.text == '{\n    "a": 1,\n    "env": {\n        "K": "v"\n    }\n}\n'
    compact = JsonDoc(b'{"a":1}', "t.json")
    set_owned(compact, {("env", "K"): '"v"'}, None)
    assert compact.text == '{"a":1,"env":{"K":"v"}}'


def test_bom_and_crlf_are_kept():
    original = '\ufeff{\r\n  "a": 1\r\n}\r\n'.encode()
    doc = JsonDoc(original, "t.json")
    owned = set_owned(doc, {("b",): "2"}, None)
    assert doc.content().startswith("\ufeff".encode())
    again = JsonDoc(doc.content(), "t.json")
    restore_owned(again, owned)
    assert again.content() == original


@pytest.mark.parametrize("content", [b"{", b"[1]", b'{"a": 1,}', b"\xff"])
def test_unparseable_is_refused(content):
    with pytest.raises(UnsafeEdit):
        JsonDoc(content, "t.json")


def test_one_key_edit_of_a_big_file_costs_at_most_twice_its_size():
    # ~/.claude.json can reach 200 MB; keyconf sets one top-level member. Emoji would make a str of the file
    # 4 bytes a character, which is why the text is read as Latin-1 (benchmarks/jsondoc_memory.py: 200 MB).
    import tracemalloc

    history = [{"display": f"fix {n} 修复 🚀", "pastedContents": {}, "n": n} for n in range(30)]
    projects = {f"/work/p{i}": {"history": history, "allowedTools": ["Read"]} for i in range(3000)}
    original = json.dumps({"numStartups": 3, "projects": projects}, indent=2, ensure_ascii=False).encode()
    tracemalloc.start()
    try:
        doc = JsonDoc(original, "~/.claude.json")
        owned = set_owned(doc, {("hasCompletedOnboarding",): "true"}, None)
        edited = doc.content()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2.2 * len(original), f"{peak / len(original):.2f}x"
    assert edited.endswith(b'},\n  "hasCompletedOnboarding": true\n}')
    back = JsonDoc(edited, "~/.claude.json")
    restore_owned(back, owned)
    assert back.content() == original
