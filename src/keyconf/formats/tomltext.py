"""TOML as text: find statements (top-level keys, table headers) so edits splice lines and every other
byte of the user's file (comments, blank lines, key order, dotted keys, CRLF) stays as it was.

Parsing for meaning is stdlib `tomllib`; this module only knows where statements and values start and
end. It runs on documents tomllib has already accepted, so it never has to judge validity: it only has to
walk every form a valid document can hold (strings of all four kinds with `]`, `#`, `=` or quotes inside,
arrays and inline tables over several lines with comments, dates with a space before the time, nan/inf,
dotted and quoted keys, `[[arrays.of.tables]]`, CRLF, no final newline). If it ever meets something it
does not know, it refuses with the file and line rather than guess.
"""

from __future__ import annotations

import json
import math
import re
import tomllib

from keyconf.errors import UnsafeEdit

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\\r\n]|\\.)*"')
_LITERAL = re.compile(r"'[^'\r\n]*'")
# A closing run of up to five quotes: the string's content may end with one or two quote characters.
_ML_BASIC = re.compile(r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""(?:"{1,2})?')
_ML_LITERAL = re.compile(r"'''(?:[^']|'(?!''))*'''(?:'{1,2})?")
# numbers, booleans, inf/nan, dates and times (a date-time may use a space instead of `T`, see _scalar)
_SCALAR = re.compile(r"[0-9A-Za-z_+.:-]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPACE_TIME = re.compile(r" \d{2}:")


def string(value: str) -> str:
    """`value` as a TOML basic string: JSON's escapes are TOML's, but TOML also forbids a raw DEL."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


class Statement:
    __slots__ = ("kind", "path", "start", "end", "vstart", "vend")

    def __init__(self, kind: str, path: tuple[str, ...], start: int, end: int, vstart: int = 0, vend: int = 0):
        self.kind = kind  # "kv" | "table" | "array"
        self.path = path  # the key path (kv, relative to its table) or the table's path
        self.start = start  # offset of the line start
        self.end = end  # offset just past the statement's last line (its newline included, if any)
        self.vstart = vstart  # kv: where the value starts
        self.vend = vend  # kv: where the value ends (before any trailing whitespace or comment)


# Deeper than any real config (Codex's own TOML parser stops far earlier); beyond it keyconf's checks
# (deepcopy, comparisons) could run out of stack, so such a file is refused instead.
MAX_DEPTH = 100


def parse(text: str, name: str) -> dict:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnsafeEdit(f"{name} is not valid TOML ({exc}); keyconf will not edit it",
                         hint="fix that line, then run keyconf again") from None
    except RecursionError:
        data = None
    if data is None or depth(data) > MAX_DEPTH:
        raise UnsafeEdit(f"{name} nests arrays or tables more than {MAX_DEPTH} levels deep; keyconf will not "
                         "edit it", hint="flatten the deepest value, then run keyconf again")
    return data


def depth(data) -> int:
    """How deep arrays and tables nest (a loop, so any depth is measured without recursion)."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def same(a, b) -> bool:
    """Equal as TOML data: nan equals nan (tomllib gives nan != nan), and 1, 1.0 and true differ.

    A loop, not recursion: a document nested as deep as tomllib reads must not overflow the stack here.
    """
    pending = [(a, b)]
    while pending:
        a, b = pending.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b))
        elif isinstance(a, float):
            if math.isnan(a) or math.isnan(b):
                if not (math.isnan(a) and math.isnan(b)):
                    return False
            elif a != b or math.copysign(1, a) != math.copysign(1, b):
                return False
        elif a != b:
            return False
    return True


class _Stop(Exception):
    """The scanner met something it does not expect at `pos`."""

    def __init__(self, pos: int, what: str):
        super().__init__(what)
        self.pos = pos
        self.what = what


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.n = len(text)

    def note(self, path: tuple, pos: int) -> None:
        """Called for every key path met inside a value (inline tables, arrays); `_Locator` records them."""

    def char(self, pos: int) -> str:
        return self.text[pos] if pos < self.n else ""

    def blanks(self, pos: int) -> int:
        while pos < self.n and self.text[pos] in " \t":
            pos += 1
        return pos

    def blanks_lines_comments(self, pos: int) -> int:
        """Inside arrays (and TOML 1.1 inline tables): whitespace, newlines and comments."""
        while pos < self.n:
            c = self.text[pos]
            if c in " \t\r\n":
                pos += 1
            elif c == "#":
                pos = self.comment_end(pos)
            else:
                break
        return pos

    def comment_end(self, pos: int) -> int:
        """From a `#` to just before the line's newline (`\\r\\n` or `\\n`)."""
        nl = self.text.find("\n", pos)
        if nl < 0:
            return self.n
        return nl - 1 if self.text[nl - 1] == "\r" else nl

    def line_end(self, pos: int) -> int:
        """After a statement: blanks, an optional comment, then a newline or the end of the file."""
        pos = self.blanks(pos)
        if self.char(pos) == "#":
            pos = self.comment_end(pos)
        if pos >= self.n:
            return pos
        if self.text.startswith("\r\n", pos):
            return pos + 2
        if self.text[pos] == "\n":
            return pos + 1
        raise _Stop(pos, "expected the end of the line")

    def key(self, pos: int) -> tuple[tuple[str, ...], int]:
        parts = []
        while True:
            c = self.char(pos)
            if c == '"':
                match = _BASIC.match(self.text, pos)
                part = match and (tomllib.loads("k = " + match.group())["k"] if "\\" in match.group()
                                  else match.group()[1:-1])
            elif c == "'":
                match = _LITERAL.match(self.text, pos)
                part = match and match.group()[1:-1]
            else:
                match = BARE_KEY.match(self.text, pos)
                part = match and match.group()
            if not match:
                raise _Stop(pos, "expected a key")
            parts.append(part)
            after = self.blanks(match.end())
            if self.char(after) != ".":
                return tuple(parts), match.end()
            pos = self.blanks(after + 1)

    def value(self, pos: int, path: tuple = ()) -> int:
        """Where the value starting at `pos` ends (`path`: the value's key path, for `note`)."""
        c = self.char(pos)
        if c in "\"'":
            pattern = {'"': (_ML_BASIC, _BASIC), "'": (_ML_LITERAL, _LITERAL)}[c]
            match = (pattern[0] if self.text.startswith(c * 3, pos) else pattern[1]).match(self.text, pos)
            if not match:
                raise _Stop(pos, "a string that does not end")
            return match.end()
        if c == "[":
            return self.array(pos, path)
        if c == "{":
            return self.inline_table(pos, path)
        return self.scalar(pos)

    def scalar(self, pos: int) -> int:
        match = _SCALAR.match(self.text, pos)
        if not match:
            raise _Stop(pos, "expected a value")
        end = match.end()
        if _DATE.fullmatch(match.group()) and _SPACE_TIME.match(self.text, end):
            end = _SCALAR.match(self.text, end + 1).end()  # `1979-05-27 07:32:00Z`
        return end

    def array(self, pos: int, path: tuple = ()) -> int:
        pos = self.blanks_lines_comments(pos + 1)
        index = 0
        while self.char(pos) != "]":
            self.note(path + (index,), pos)
            pos = self.blanks_lines_comments(self.value(pos, path + (index,)))
            index += 1
            if self.char(pos) == ",":
                pos = self.blanks_lines_comments(pos + 1)
            elif self.char(pos) != "]":
                raise _Stop(pos, "expected `,` or `]` in an array")
        return pos + 1

    def inline_table(self, pos: int, path: tuple = ()) -> int:
        pos = self.blanks_lines_comments(pos + 1)
        while self.char(pos) != "}":
            key, end = self.key(pos)
            self.note(path + key, pos)
            pos = self.blanks(end)
            if self.char(pos) != "=":
                raise _Stop(pos, "expected `=` in an inline table")
            pos = self.blanks_lines_comments(self.value(self.blanks(pos + 1), path + key))
            if self.char(pos) == ",":
                pos = self.blanks_lines_comments(pos + 1)
            elif self.char(pos) != "}":
                raise _Stop(pos, "expected `,` or `}` in an inline table")
        return pos + 1

    def statement(self, start: int) -> Statement | None:
        """The statement on the line starting at `start`, or None for a blank or comment line."""
        pos = self.blanks(start)
        c = self.char(pos)
        if c in ("", "\n", "\r", "#"):
            return None
        if c == "[":
            array = self.text.startswith("[[", pos)
            path, pos = self.key(self.blanks(pos + (2 if array else 1)))
            pos = self.blanks(pos)
            close = "]]" if array else "]"
            if not self.text.startswith(close, pos):
                raise _Stop(pos, f"expected `{close}` to close a table header")
            return Statement("array" if array else "table", path, start, self.line_end(pos + len(close)))
        path, pos = self.key(pos)
        pos = self.blanks(pos)
        if self.char(pos) != "=":
            raise _Stop(pos, "expected `=` after a key")
        vstart = self.blanks(pos + 1)
        vend = self.value(vstart)
        return Statement("kv", path, start, self.line_end(vend), vstart, vend)


def statements(text: str, name: str = "the TOML file") -> list[Statement]:
    """Every key/value and table header of a valid TOML document, in order, with offsets."""
    scanner = _Scanner(text)
    out: list[Statement] = []
    pos = 0
    try:
        while pos < len(text):
            stmt = scanner.statement(pos)
            if stmt is None:  # blank or comment line
                pos = scanner.line_end(scanner.blanks(pos))
                continue
            out.append(stmt)
            pos = stmt.end
    except _Stop as stop:
        line = text.count("\n", 0, stop.pos) + 1
        raise UnsafeEdit(f"{name}, line {line}: keyconf could not follow this TOML ({stop.what}); "
                         "keyconf will not edit it", hint="please report this with the line's layout") from None
    except RecursionError:
        raise UnsafeEdit(f"{name} nests arrays or tables too deeply for keyconf to follow; keyconf will not edit it",
                         hint="flatten the deepest value, then run keyconf again") from None
    return out


class _Locator(_Scanner):
    def __init__(self, text: str):
        super().__init__(text)
        self.lines: dict[tuple, int] = {}

    def note(self, path: tuple, pos: int) -> None:
        line = line_of(self.text, pos)
        for n in range(1, len(path) + 1):
            self.lines.setdefault(path[:n], line)


class KeyLines:
    """The line where each key path of a valid TOML document is first mentioned (`lines`): `[table]` headers,
    `[[arrays]]` (their entries numbered), dotted keys and keys inside inline tables and arrays alike, for
    messages that name a line. Best effort: what was seen before anything unexpected still counts."""

    def __init__(self, text: str):
        self.lines = _key_lines(text)

    def line_of(self, path) -> int:
        """The line of `path`, else of its nearest mentioned parent, else 1."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1


def _key_lines(text: str) -> dict[tuple, int]:
    locator = _Locator(text)
    table: tuple = ()
    arrays: dict[tuple, int] = {}
    pos = 0
    try:
        while pos < len(text):
            stmt = locator.statement(pos)
            if stmt is None:
                pos = locator.line_end(locator.blanks(pos))
                continue
            if stmt.kind == "kv":
                path = table + stmt.path
                locator.note(path, stmt.start)
                locator.value(stmt.vstart, path)
            else:
                locator.note(stmt.path, stmt.start)
                table = stmt.path
                if stmt.kind == "array":
                    arrays[table] = arrays.get(table, -1) + 1
                    table = table + (arrays[table],)
                    locator.note(table, stmt.start)
            pos = stmt.end
    except (_Stop, RecursionError, IndexError, ValueError, tomllib.TOMLDecodeError):
        pass
    return locator.lines


def root_keys(stmts: list[Statement]) -> list[Statement]:
    """Key/values above the first table header."""
    out = []
    for stmt in stmts:
        if stmt.kind != "kv":
            break
        out.append(stmt)
    return out


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
