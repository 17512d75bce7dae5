"""Odd-but-valid Codex config.toml files: every form tomllib accepts, in the places users put them.

For each generated file: `use codex` then `remove codex` gives the same bytes, a second `use` changes
nothing, and keyconf never exits 1. KEYCONF_ODD_EXAMPLES sets how many files (default 300; 1000+ for
the big run).
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, run_keyconf
from keyconf.formats import tomltext

EXAMPLES = int(os.environ.get("KEYCONF_ODD_EXAMPLES", "300"))
TALLY: Counter = Counter()

# ---- pieces of TOML ----------------------------------------------------------------------------------

# Characters that trip a line-based reader: brackets, `#`, `=`, quotes, dots, backslashes, non-ASCII.
TRICKY = st.text(st.sampled_from(list("ab ]#=[.'\"\\,{}:") + ["é", "✓", "😀", "\t"]), max_size=12)


def basic(text: str) -> str:
    escaped = []
    for ch in text:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ch == "\t":
            escaped.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            escaped.append(f"\\u{ord(ch):04X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def literal(text: str) -> str | None:
    return None if "'" in text else "'" + text + "'"


INTS = ["0", "+17", "-42", "1_000", "0xDEAD_beef", "0o755", "0b1101", "9223372036854775807"]
FLOATS = ["3.14", "-0.0", "+0.0", "6.626e-34", "1e06", "5E+22", "inf", "+inf", "-inf", "nan", "+nan", "-nan",
          "9_224_617.445_991"]
DATES = ["1979-05-27T07:32:00Z", "1979-05-27 07:32:00-07:00", "1979-05-27t07:32:00.999999z",
         "1979-05-27T00:32:00.5+09:30", "1979-05-27T07:32:00", "1979-05-27 07:32:00.123", "1979-05-27",
         "07:32:00", "00:32:00.999999"]


@st.composite
def strings(draw) -> str:
    text = draw(TRICKY)
    kind = draw(st.sampled_from(["basic", "literal", "ml_basic", "ml_literal"]))
    if kind == "literal" and literal(text):
        return literal(text)
    if kind == "ml_basic":
        body = basic(text)[1:-1]
        first = draw(st.sampled_from(["", "\n"]))  # a newline right after """ is trimmed by TOML
        middle = draw(st.sampled_from(["", "\n", "\\\n   ", " ] # = \n", '"'])) + body
        tail = draw(st.sampled_from(["", '"', '""']))  # content may end in quotes: `"""a"""""`
        if tail and middle.endswith("\\"):
            tail = ""
        return '"""' + first + middle + tail + '"""'
    if kind == "ml_literal":
        body = text.replace("'", "")
        tail = draw(st.sampled_from(["", "'", "''"]))
        return "'''" + draw(st.sampled_from(["", "\n"])) + body + draw(st.sampled_from(["", "\n ]#\n"])) + tail + "'''"
    return basic(text)


SCALARS = st.one_of(st.sampled_from(INTS + FLOATS + DATES + ["true", "false"]), strings())


def comment() -> st.SearchStrategy[str]:
    parts = st.sampled_from(list(" ]#=[\"'.abc") + ["[model_providers.keyconf]", " model = 'x'", "é", '"""'])
    return st.builds(lambda xs: "#" + "".join(xs), st.lists(parts, max_size=8))


COMMENTS = comment()


@st.composite
def arrays(draw, elements) -> str:
    items = draw(st.lists(elements, max_size=4))
    if not draw(st.booleans()):
        return "[" + ", ".join(items) + ("," if items and draw(st.booleans()) else "") + "]"
    out = "[\n"  # over several lines, with comments (newlines inside arrays are fine even in inline tables)
    for item in items:
        out += "  " + item + "," + (" " + draw(COMMENTS) if draw(st.booleans()) else "") + "\n"
    if draw(st.booleans()):
        out += "  " + draw(COMMENTS) + "\n"
    return out + "]"


@st.composite
def inline_tables(draw, elements) -> str:
    names = [draw(key_texts()) for _ in range(draw(st.integers(0, 3)))]
    pad = draw(st.sampled_from([" ", ""]))
    return "{" + pad + ", ".join(f"{k} = {draw(elements)}" for k in names) + pad + "}"


_counter = iter(range(10**9))


@st.composite
def key_texts(draw) -> str:
    """A unique key written bare, quoted (with `]`, `#`, `=` inside), literal, or dotted."""
    n = next(_counter)
    form = draw(st.sampled_from(["bare", "basic", "literal", "dotted", "dotted_spaced"]))
    extra = draw(st.sampled_from(["]", "]]", "#", "=", " = ", "a.b", "'", '"', "é", "", "[x]"]))
    if form == "bare":
        return f"k{n}"
    if form == "basic":
        return basic(f"k{n}{extra}")
    if form == "literal":
        return literal(f"k{n}{extra}") or basic(f"k{n}{extra}")
    if form == "dotted":
        return f"d{n}." + basic(f"x{extra}")
    return f"d{n} . 'y{extra.replace(chr(39), '')}' . z"


# values nest two levels deep: arrays of arrays, tables in arrays, arrays in inline tables
VALUES_2 = SCALARS
VALUES_1 = st.one_of(SCALARS, arrays(VALUES_2), inline_tables(VALUES_2))
VALUES = st.one_of(SCALARS, SCALARS, arrays(VALUES_1), inline_tables(VALUES_1))


@st.composite
def key_values(draw) -> str:
    indent = draw(st.sampled_from(["", "  ", "\t"]))
    eq = draw(st.sampled_from([" = ", "=", "\t=  "]))
    tail = draw(st.sampled_from(["", "", " " + draw(COMMENTS), "   "]))
    return indent + draw(key_texts()) + eq + draw(VALUES) + tail


@st.composite
def table_headers(draw) -> tuple[str, list[str]]:
    n = next(_counter)
    kind = draw(st.sampled_from(["plain", "quoted", "spaced", "array", "mcp", "provider", "profile", "dotted"]))
    extra = draw(st.sampled_from(["]", "]]", "#", "=", "[", "a.b"]))
    header = {
        "plain": f"[t{n}]",
        "quoted": f"[{basic(f't{n}{extra}')}]",
        "spaced": f"[ t{n} . {basic(extra)} ]",
        "array": f"[[arr{n % 3}.of.tables]]",
        "mcp": f"[mcp_servers.{basic(f'srv{n}{extra}')}]",
        "provider": f"[model_providers.p{n}]",
        "profile": f"[profiles.{literal(f'p{n}{extra}') or basic(f'p{n}{extra}')}]",
        "dotted": f"[\"a]\".'b{n}'.c]",
    }[kind]
    if draw(st.booleans()):
        header += " " + draw(COMMENTS)
    body = []
    if kind == "mcp":
        body.append('command = "npx"')
        body.append('args = [\n  "-y", # pinned\n  "@scope/server@1.2.3",\n]')
        body.append('env = { "API_URL" = "https://x.example/v1?a=b#frag", TOKEN = "t]" }')
    elif kind == "provider":
        body.append(f'name = "Other]{n}"')
        body.append('base_url = "https://other.example.com/v1" # not ours')
    return header, body


@st.composite
def config_files(draw) -> bytes:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        lines.append(draw(COMMENTS))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from([
            'model = "o3"', "model = 'o3' # mine", '"model" = """gpt-5"""', "model='''o3'''",
            'model = "o3]#="', "model = 5"])))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(['model_provider = "openai"', "model_provider = 'mine' # x",
                                           '  "model_provider"="openai"'])))
    lines += draw(st.lists(key_values(), max_size=4))
    if draw(st.booleans()):
        lines.append('model_providers.other.name = "dotted ] #"')
        lines.append("model_providers.other.base_url = 'https://dotted.example.com/v1'")
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "   ", "# between", "\t# tab"])))
        header, body = draw(table_headers())
        lines.append(draw(st.sampled_from(["", "  "])) + header)
        lines += body
        lines += draw(st.lists(key_values(), max_size=3))
    nl = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n", "\n# last comment", "\n  "]))
    if nl == "\r\n":
        text = text.replace("\n", "\r\n")
    elif nl == "mixed":
        text = "".join(part + ("\r\n" if i % 2 else "\n") for i, part in enumerate(text.split("\n")[:-1])) \
            + text.split("\n")[-1]
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        from hypothesis import assume

        assume(False)
    return text.encode()


# ---- the property -------------------------------------------------------------------------------------

def _reset(home):
    shutil.rmtree(home, ignore_errors=True)
    (home / ".codex").mkdir(parents=True)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if TALLY:
        print(f"\nodd config.toml: {dict(TALLY)}")


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(config_files(), st.sampled_from([[], ["--model", "gpt-5-codex"], ["--no-plaintext"]]))
def test_odd_config_round_trips(home, monkeypatch, original, extra):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    # durability is the crash harness's subject; here only bytes count, and fsync is most of the time
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    _reset(home)
    config = home / ".codex" / "config.toml"
    config.write_bytes(original)
    args = ("use", "codex", "--base-url", "https://relay.example.com", "--no-verify", *extra)
    result = run_keyconf(*args)
    TALLY[f"exit {result.code}"] += 1
    assert result.code != 1, result.output
    if result.code == 3:
        assert "config.toml" in result.stderr and config.read_bytes() == original
        return
    assert result.code == 0, result.output
    data = tomllib.loads(config.read_text("utf-8"))
    assert data["model_provider"] == "keyconf"
    assert data["model_providers"]["keyconf"]["base_url"] == "https://relay.example.com/v1"
    once = config.read_bytes()
    again = run_keyconf(*args)
    assert again.code == 0 and config.read_bytes() == once, again.output
    removed = run_keyconf("remove", "codex")
    assert removed.code == 0, removed.output
    assert config.read_bytes() == original
    TALLY["round trips"] += 1


# ---- the scanner on its own ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,paths", [
    ('["a]b"]\nx = 1\n', [("a]b",), ("x",)]),
    ("[[ 'x]]' . y ]]\n", [("x]]", "y")]),
    ('a = """q]"""""\nb = 2', [("a",), ("b",)]),
    ("a = '''x'''''\r\nb = 2\r\n", [("a",), ("b",)]),
    ('a = [\n 1, # ]\n [2, "]"],\n]\nb = {c = "}", d = [1]}\n', [("a",), ("b",)]),
    ("d = 1979-05-27 07:32:00Z # c\nn = nan\n", [("d",), ("n",)]),
    ('"" = 1\n"a.b" . c = 2\n', [("",), ("a.b", "c")]),
])
def test_scanner_finds_every_statement(text, paths):
    assert tomllib.loads(text) is not None
    stmts = tomltext.statements(text)
    assert [s.path for s in stmts] == paths
    for stmt in stmts:
        if stmt.kind == "kv":
            tomllib.loads("v = " + text[stmt.vstart:stmt.vend])  # the value alone, comments excluded


def test_same_is_nan_aware_and_type_strict():
    nan = float("nan")
    assert tomltext.same({"a": [nan, {"b": nan}]}, {"a": [nan, {"b": nan}]})
    assert not tomltext.same({"a": 1}, {"a": 1.0}) and not tomltext.same({"a": 1}, {"a": True})
    assert not tomltext.same({"a": 0.0}, {"a": -0.0}) and not tomltext.same({"a": nan}, {"a": 1.0})


@pytest.mark.parametrize("content,message", [
    (b"\xef\xbb\xbfmodel = 'o3'\n", "not valid TOML"),  # tomllib (and TOML) reject a BOM
    (b"[model]\nname = 'x'\n", "line 1: `model` is a table"),
    (b"a = 1\nmodel_provider.x = 1\n", "line 2: `model_provider` is a table"),
    (b"x = " + b"[" * 101 + b"]" * 101 + b"\n", "more than 100 levels deep"),
    (b"x = " + b"{a=" * 600 + b"1" + b"}" * 600 + b"\n", "more than 100 levels deep"),
])
def test_files_keyconf_cannot_edit_are_refused_with_file_and_line(home, monkeypatch, content, message):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    _reset(home)
    (home / ".codex" / "config.toml").write_bytes(content)
    result = run_keyconf("use", "codex", "--base-url", "https://relay.example.com", "--no-verify")
    assert result.code == 3, result.output
    assert "config.toml" in result.stderr and message in result.stderr
    assert (home / ".codex" / "config.toml").read_bytes() == content


@settings(max_examples=400, deadline=None, database=None)
@given(key_texts(), VALUES, st.sampled_from(["", " # c ]", "#", "\t"]), st.sampled_from(["\n", "\r\n", ""]))
def test_scanner_value_span_is_exactly_the_value(key, value, tail, end):
    """Whatever the value's form, the scanner ends it exactly where TOML does (before blanks and comments)."""
    text = f"{key} = {value}{tail}{end}[t]\nx = 1\n" if end else f"{key} = {value}{tail}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        from hypothesis import assume

        assume(False)
    stmt = tomltext.statements(text)[0]
    assert text[stmt.vstart:stmt.vend] == value
    assert stmt.end == len(f"{key} = {value}{tail}{end}")
    path_value = data
    for part in stmt.path:
        path_value = path_value[part]
    assert tomltext.same(tomllib.loads("v = " + value)["v"], path_value)
