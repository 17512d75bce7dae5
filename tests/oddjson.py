"""Odd-but-valid JSON and JSONC documents for property tests, and a reference parser to check edits with.

The reference parser is written apart from keyconf.formats.jsondoc on purpose (a plain recursive descent over the
decoded text, JSON.parse's rules, comments and trailing commas when asked), so the two do not share a bug.
Numbers come back as ("num", text): keyconf never rewrites a number, and a 5000-digit one stays comparable.
"""

from __future__ import annotations

import json
import random
import re
import sys
from contextlib import contextmanager

from hypothesis import strategies as st

EMPTY = object()  # a document with nothing in it (or only comments): keyconf starts the object itself
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class RefError(Exception):
    pass


@contextmanager
def deep_recursion(limit: int = 20_000):
    """The reference parser and == on its results recurse once per level; documents nest up to 3000 deep."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def parse(data: bytes, jsonc: bool):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RefError("not UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    p = _Parser(text, jsonc)
    p.ws()
    if p.i == len(text):
        return EMPTY
    value = p.value()
    p.ws()
    if p.i != len(text):
        raise RefError(f"extra data at {p.i}")
    return value


def parse_value(raw: str):
    return parse(raw.encode("utf-8"), jsonc=True)


class _Parser:
    def __init__(self, text: str, jsonc: bool):
        self.s, self.i, self.jsonc = text, 0, jsonc

    def fail(self, what: str):
        raise RefError(f"{what} at {self.i}")

    def ws(self) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\n\r":
                self.i += 1
            elif self.jsonc and s.startswith("//", self.i):
                ends = [e for e in (s.find("\n", self.i), s.find("\r", self.i)) if e >= 0]
                self.i = min(ends) if ends else len(s)
            elif self.jsonc and s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    self.fail("unclosed comment")
                self.i = end + 2
            else:
                return

    def value(self):
        s = self.s
        if self.i >= len(s):
            self.fail("expected a value")
        c = s[self.i]
        if c == "{":
            return self.container("}", self.member, {})
        if c == "[":
            return self.container("]", self.value, [])
        if c == '"':
            return self.string()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if s.startswith(word, self.i):
                self.i += len(word)
                return value
        m = _NUMBER.match(s, self.i)
        if not m:
            self.fail("expected a value")
        self.i = m.end()
        return ("num", m.group())

    def member(self):
        if not self.s.startswith('"', self.i):
            self.fail("expected a key")
        key = self.string()
        self.ws()
        if not self.s.startswith(":", self.i):
            self.fail("expected ':'")
        self.i += 1
        self.ws()
        return key, self.value()

    def container(self, close: str, item, into):
        self.i += 1
        self.ws()
        if self.s.startswith(close, self.i):
            self.i += 1
            return into
        while True:
            got = item()
            if isinstance(into, dict):
                into[got[0]] = got[1]  # the last duplicate wins, as in JSON.parse
            else:
                into.append(got)
            self.ws()
            if self.s.startswith(close, self.i):
                self.i += 1
                return into
            if not self.s.startswith(",", self.i):
                self.fail("expected ','")
            self.i += 1
            self.ws()
            if self.jsonc and self.s.startswith(close, self.i):
                self.i += 1
                return into

    def string(self) -> str:
        s, out = self.s, []
        self.i += 1
        while True:
            if self.i >= len(s):
                self.fail("unclosed string")
            c = s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if ord(c) < 0x20:
                self.fail("control character in a string")
            if c != "\\":
                out.append(c)
                self.i += 1
                continue
            e = s[self.i + 1:self.i + 2]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                self.i += 2
            elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[self.i + 2:self.i + 6]):
                unit = int(s[self.i + 2:self.i + 6], 16)
                self.i += 6
                low = s[self.i + 2:self.i + 6] if s.startswith("\\u", self.i) else ""
                if 0xD800 <= unit < 0xDC00 and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low):
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (int(low, 16) - 0xDC00)  # a surrogate pair
                    self.i += 6
                out.append(chr(unit))
            else:
                self.fail("bad escape")


def kind(value) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def at(data, path):
    """The value at `path`, or KeyError if a step is missing or is not an object."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise KeyError(key)
        data = data[key]
    return data


def apply(data, desired: dict) -> dict | None:
    """`data` with `desired` (path -> raw JSON) set, copying only the objects on the way; None if a step on
    the way holds something that is not an object (keyconf must refuse then)."""
    root = {} if data is EMPTY else dict(data)
    for path, raw in desired.items():
        node = root
        for key in path[:-1]:
            if key not in node:
                node[key] = {}
            elif not isinstance(node[key], dict):
                return None
            node[key] = dict(node[key])
            node = node[key]
        node[path[-1]] = parse_value(raw)
    return root


# ---- generating documents ----------------------------------------------------------------------
KEYS = ["env", "model", "provider", "keyconf", "options", "baseURL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL",
        "hasCompletedOnboarding", "a", "", " ", "é", "键", "🚀", "k\"q", "back\\slash", "\u2028"]
NUMBERS = ["0", "-0", "1", "-12", "3.25", "1e999", "-1E-999", "0.0000e-0000", "1e+2", "123456789012345678901234567890",
           "9" * 4301, "1" * 5000, "-" + "7" * 4400 + ".5e-3"]
STRINGS = ["", "x", "sk-…abcd", "é", "键盘", "🚀", "line\nbreak", "tab\t", "quote\"", "\\", "/", "\u2028\u2029",
           "\x7f", "\ud800", "\udfff", "\U0001f600", "http://relay.example/v1"]
WS = ["", "", " ", "  ", "\t", "\n", "\r\n", "\n  ", "\n    ", "\n\t", "\r\n  ", " \n\n  "]
COMMENTS = ["// c\n", "//\n", "// \"quoted\" /* not a block */ 💬\r\n", "/* c */", "/**/", "/* multi\n   line */",
            "/* // not a line comment */", "/* \"{[,]}\" */", "// trailing, comma ]}\n", "/*\n*/\n"]
_HEAVY = [("[" * n + "]" * n) for n in (999, 1000, 1500, 3000)] + \
         ['{"d":' * 1200 + "{}" + "}" * 1200, "[" * 1100 + '{"x": [1, 2]}' + "]" * 1100]


def _string_text(value: str, style: int) -> str:
    """A JSON string for `value`, written one of several equivalent ways."""
    if style == 0:
        text = json.dumps(value, ensure_ascii=False)
    elif style == 1:
        text = json.dumps(value)  # \u escapes, surrogate pairs for astral characters
    else:
        text = json.dumps(value, ensure_ascii=False).replace("/", "\\/")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate can only be written as an escape
        text = json.dumps(value)
    return text


@st.composite
def documents(draw, jsonc: bool, invalid: bool = True) -> bytes:
    """An odd document: comments and trailing commas (JSONC), odd whitespace, CRLF, tabs, unicode, escapes,
    duplicate keys, empty containers, big numbers, deep nesting, a BOM; now and then not an object or not
    valid at all (those must be refused with UnsafeEdit)."""
    fillers = WS + COMMENTS if jsonc else WS
    # Hypothesis draws the structure; the layout (hundreds of gaps) comes from one drawn seed, which is cheaper.
    layout = random.Random(draw(st.integers(0, 2**32 - 1)))
    busy = layout.random()  # the share of gaps that hold something, in this document

    def gap() -> str:
        return layout.choice(fillers) if layout.random() < busy else ""

    def render(value) -> str:
        kind, body = value
        if kind == "raw":
            return body
        if kind == "str":
            return _string_text(body, layout.randrange(3))
        items = []
        for item in body:
            if kind == "obj":
                key, inner = item
                items.append(gap() + _string_text(key, layout.randrange(3)) + gap() + ":" + gap() + render(inner)
                             + gap())
            else:
                items.append(gap() + render(item) + gap())
        trailing = "," + gap() if items and jsonc and layout.random() < 0.3 else ""
        opening, closing = ("{", "}") if kind == "obj" else ("[", "]")
        return opening + ",".join(items) + trailing + gap() + closing

    key_text = st.sampled_from(KEYS) | st.text(max_size=4)
    plain_scalar = st.one_of(
        st.sampled_from(["true", "false", "null"]).map(lambda t: ("raw", t)),
        st.sampled_from(NUMBERS).map(lambda t: ("raw", t)),
        st.integers(-10**20, 10**20).map(lambda n: ("raw", str(n))),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: ("raw", repr(f).replace("inf", "1e999"))),
        (st.sampled_from(STRINGS) | st.text(max_size=8)).map(lambda t: ("str", t)),
    )
    deep = st.sampled_from(_HEAVY).map(lambda t: ("raw", t))
    scalar = st.integers(0, 24).flatmap(lambda n: deep if n == 0 else plain_scalar)  # deep ones are slow to check
    value = st.recursive(scalar, lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: ("arr", items)),
        st.lists(st.tuples(key_text, inner), max_size=5).map(lambda members: ("obj", members))), max_leaves=10)
    # Objects where keyconf writes, with what may already be there (of any type, duplicated, empty).
    env = st.lists(st.tuples(st.sampled_from(["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "X", "é"]), value),
                   max_size=4).map(lambda m: ("obj", m))
    top_member = st.one_of(st.tuples(key_text, value), st.tuples(st.just("env"), env | value),
                           st.tuples(st.just("provider"), env | value))
    shape = draw(st.integers(0, 19))
    if shape == 0:
        body = render(draw(value))  # whatever the top level is (an object only sometimes)
    elif shape == 1:
        body = ""  # nothing, or only whitespace and comments
    else:
        body = render(("obj", draw(st.lists(top_member, max_size=6))))
    text = gap() + body + gap()
    if jsonc and layout.random() < 0.1:
        text += "// the end, no newline"
    if layout.random() < 0.1:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if layout.random() < 0.1:
        data = b"\xef\xbb\xbf" + data
    if invalid and layout.random() < 0.1:  # break it (or, by chance, not)
        at_ = layout.randrange(len(data) + 1)
        cut = layout.choice([b"", b"{", b"}", b",", b":", b'"', b"/", b"/*", b"//", b"\x00", b"\xff", b"NaN"])
        data = data[:at_] + cut + (data[at_ + 1:] if layout.random() < 0.5 else data[at_:])
    return data


PATHS = [("env", "ANTHROPIC_BASE_URL"), ("env", "ANTHROPIC_AUTH_TOKEN"), ("hasCompletedOnboarding",), ("model",),
         ("provider", "keyconf", "options", "baseURL"), ("provider", "keyconf", "npm"), ("é",), ("a",)]
RAWS = st.one_of(st.text(max_size=12).filter(lambda t: not any(0xD800 <= ord(c) < 0xE000 for c in t)).map(
    lambda t: json.dumps(t, ensure_ascii=False)), st.sampled_from(["true", '""', '"sk-Test0123456789"', "3",
                                                                  '{"a": [1, {}]}', "[]", "null"]))
desired_sets = st.dictionaries(st.sampled_from(PATHS), RAWS, min_size=1, max_size=4)


# ---- the properties ----------------------------------------------------------------------------
INVALID = object()


def check(data: bytes, jsonc: bool, desired: dict, desired2: dict) -> str:
    """Every property keyconf promises for one document; returns what happened (for hypothesis' statistics).

    - it is accepted exactly when the reference parser reads an object (or nothing), else UnsafeEdit;
    - readers (`kind`, `get`, `get_str`) answer like the reference or raise UnsafeEdit, nothing else;
    - set_owned gives the intended data (reference re-parse) or is refused only where a step on the way is not
      an object; setting twice is one change; another set then restore_owned gives back the exact bytes.
    Any exception but UnsafeEdit fails the test: that would be an exit 1 ("unexpected").
    """
    from keyconf.errors import UnsafeEdit
    from keyconf.formats.jsondoc import JsonDoc
    from keyconf.formats.jsonowned import restore_owned, set_owned

    with deep_recursion():
        try:
            expected = parse(data, jsonc)
        except RefError:
            expected = INVALID
        try:
            doc = JsonDoc(data, "t.json", jsonc=jsonc)
        except UnsafeEdit:
            assert expected is INVALID or (expected is not EMPTY and kind(expected) != "object"), \
                "refused a document the reference reads as an object"
            return "refused: not an object" if expected is not INVALID else "refused: invalid"
        assert expected is EMPTY or isinstance(expected, dict), "accepted what the reference refuses"

        for path in {p[:d] for p in PATHS for d in range(1, len(p) + 1)}:
            try:
                want = kind(at(expected, path))
            except KeyError:
                want = None
            assert doc.kind(path) == want, path
            for reader in (doc.get, doc.get_str):
                try:
                    reader(path)
                except UnsafeEdit:
                    pass

        intended = apply(expected, desired)
        try:
            owned = set_owned(doc, desired, None)
        except UnsafeEdit:
            assert intended is None, "refused an edit it could make"
            return "refused: a step is not an object"
        assert intended is not None, "edited through something that is not an object"
        result = doc.content()
        assert parse(result, jsonc) == intended
        assert json.loads(json.dumps(owned)) == owned  # the record goes into keyconf's state as JSON

        again = JsonDoc(result, "t.json", jsonc=jsonc)
        assert set_owned(again, desired, owned) == owned and again.content() == result, "twice is not one change"

        second = JsonDoc(result, "t.json", jsonc=jsonc)
        try:
            owned = set_owned(second, desired2, owned)
            result = second.content()
        except UnsafeEdit:
            assert apply(parse(result, jsonc), desired2) is None, "refused a second edit it could make"
        last = JsonDoc(result, "t.json", jsonc=jsonc)
        assert restore_owned(last, owned)
        assert last.content() == data, "use then remove did not give back the same bytes"
        return "edited and restored"
