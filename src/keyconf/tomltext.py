"""TOML as text: find statements (top-level keys, table headers) so edits splice lines and every other
byte of the user's file (comments, blank lines, key order, dotted keys, CRLF) stays as it was.

Parsing for meaning is stdlib `tomllib`; this module only knows where statements start and end.
"""

from __future__ import annotations

import re
import tomllib
from keyconf.errors import UnsafeEdit

_BARE_OR_QUOTED = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\')'
_KEY = re.compile(rf"[ \t]*({_BARE_OR_QUOTED}(?:[ \t]*\.[ \t]*{_BARE_OR_QUOTED})*)[ \t]*=[ \t]*")
_HEADER = re.compile(r"[ \t]*\[")
_SIMPLE_VALUE = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|[^\s#]+')


class Statement:
    __slots__ = ("kind", "path", "start", "end", "vstart", "vend")

    def __init__(self, kind: str, path: tuple[str, ...], start: int, end: int, vstart: int = 0, vend: int = 0):
        self.kind = kind  # "kv" | "table" | "array"
        self.path = path  # the key path (kv, relative to its table) or the table's path
        self.start = start  # offset of the line start
        self.end = end  # offset just past the statement's last line (its newline included, if any)
        self.vstart = vstart  # kv: where the value starts
        self.vend = vend  # kv: where a single-line value ends (before a comment)


def parse(text: str, name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnsafeEdit(f"{name} is not valid TOML ({exc}); keyconf will not edit it",
                         hint="fix that line, then run keyconf again") from None


def newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _key_path(key_text: str) -> tuple[str, ...]:
    node = tomllib.loads(key_text + " = 0")
    path = []
    while isinstance(node, dict):
        (name, node), = node.items()
        path.append(name)
    return tuple(path)


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def statements(text: str) -> list[Statement]:
    """Every key/value and table header of a valid TOML document, in order, with offsets."""
    out: list[Statement] = []
    pos = 0
    while pos < len(text):
        end = _line_end(text, pos)
        line = text[pos:end]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            pos = end
            continue
        if _HEADER.match(line):
            array = stripped.startswith("[[")
            inner = stripped[2:] if array else stripped[1:]
            close = inner.index("]]" if array else "]") if ("]]" if array else "]") in inner else len(inner)
            # the header's own text, parsed as a key, gives its path
            out.append(Statement("array" if array else "table", _key_path(inner[:close].strip()), pos, end))
            pos = end
            continue
        match = _KEY.match(text, pos)
        if not match:
            raise UnsafeEdit("unexpected TOML statement: " + stripped[:60])
        vstart = match.end()
        # A value may span lines (arrays, multi-line strings): grow it until it parses on its own.
        stop = end
        while True:
            try:
                tomllib.loads("k = " + text[vstart:stop])
                break
            except tomllib.TOMLDecodeError:
                if stop >= len(text):
                    raise UnsafeEdit("could not find the end of a TOML value") from None
                stop = _line_end(text, stop)
        simple = _SIMPLE_VALUE.match(text, vstart)
        vend = simple.end() if simple and stop == end else stop
        out.append(Statement("kv", _key_path(match.group(1)), pos, stop, vstart, vend))
        pos = stop
    return out


def root_keys(stmts: list[Statement]) -> list[Statement]:
    """Key/values above the first table header."""
    out = []
    for stmt in stmts:
        if stmt.kind != "kv":
            break
        out.append(stmt)
    return out
