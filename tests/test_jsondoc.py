"""In-place JSON editing: owned keys in, owned keys out, every other byte kept (property-tested)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc
from keyconf.formats.jsonowned import restore_owned, set_owned

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


def test_one_key_edit_of_a_big_file_holds_it_at_most_twice():
    # ~/.claude.json can reach 200 MB; keyconf sets one top-level member. Emoji would make a str of the file
    # 4 bytes a character, which is why the text is read as Latin-1. The file as read, its text, the edited
    # bytes and the old bytes handed to the engine never all live at once: counted here with the file itself,
    # as an adapter holds it (benchmarks/big_state.py measures the whole command on 200 MB).
    import hashlib
    import tracemalloc

    history = [{"display": f"fix {n} 修复 🚀", "pastedContents": {}, "n": n} for n in range(30)]
    projects = {f"/work/p{i}": {"history": history, "allowedTools": ["Read"]} for i in range(3000)}
    text = json.dumps({"numStartups": 3, "projects": projects}, indent=2, ensure_ascii=False)
    del history, projects
    tracemalloc.start()
    try:
        content = text.encode()
        del text
        size, digest = len(content), hashlib.sha256(content).hexdigest()
        tracemalloc.reset_peak()
        doc = JsonDoc(content, "~/.claude.json")
        del content  # the document owns the bytes now, as in the adapters
        owned = set_owned(doc, {("hasCompletedOnboarding",): "true"}, None)
        before, edited = doc.original(), doc.content()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2.2 * size, f"{peak / size:.2f}x"
    assert hashlib.sha256(before).hexdigest() == digest
    assert edited.endswith(b'},\n  "hasCompletedOnboarding": true\n}')
    original = before
    back = JsonDoc(edited, "~/.claude.json")
    restore_owned(back, owned)
    assert back.content() == original


@st.composite
def spliced(draw):
    """Some bytes and a run of splices (start, end, new) over them, each within the bytes as they are then."""
    data = draw(st.binary(max_size=60))
    edits, size = [], len(data)
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, size))
        new = draw(st.binary(max_size=12))
        edits.append((start, end, new))
        size += len(new) - (end - start)
    return data, edits


@given(spliced(), st.data())
@settings(max_examples=400)
def test_the_window_gives_back_the_old_bytes_after_any_splices(case, data):
    # The old bytes are not kept beside the edited ones: a window over the new bytes rebuilds them.
    from keyconf.formats.jsonscan import _Window

    old, edits = case
    window, current = _Window(old), old
    for start, end, new in edits:
        window.splice(current, start, end, len(new))
        current = current[:start] + new + current[end:]
    assert window.bytes(current) == old
    start = data.draw(st.integers(0, len(old)))
    end = data.draw(st.integers(start, len(old)))
    assert b"".join(window.views(current, start, end)) == old[start:end]
    assert window.equals(current, start, end, memoryview(old[start:end]))
    assert not window.equals(current, start, end, memoryview(old[start:end] + b"x"))
    if end > start:
        flipped = bytes([old[start] ^ 1]) + old[start + 1:end]
        assert not window.equals(current, start, end, memoryview(flipped))


def test_the_guard_lets_go_of_the_old_document_it_read_again():
    # Restoring keys in two objects: the second is first read after the first edit, so the guard parses the
    # old bytes again to compare with it. That copy (a whole file and its text) must not outlive the check.
    original = b'{"a": {"k": 1}, "pad": "' + b"x" * 1000 + b'", "b": {"k": 2}}'
    doc = JsonDoc(original, "t.json")
    owned = set_owned(doc, {("a", "k"): "10", ("b", "k"): "20"}, None)
    doc = JsonDoc(doc.content(), "t.json")
    restore_owned(doc, owned)
    assert doc._base_copy is None
    assert doc.content() == original and doc.original() != original
