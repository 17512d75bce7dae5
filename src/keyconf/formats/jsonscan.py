"""Reading JSON and JSONC text fast and without surprises, for `jsondoc`: skipping values without building
them (a 5000-digit integer or a value nested past the C decoder's depth is no error), blanking JSONC's
comments and trailing commas to spaces so every offset still holds, and `_Window`, the old bytes of an edited
document kept as a window over the new ones (a big file is held once, not twice)."""

from __future__ import annotations

import json
import re

from keyconf.errors import UnsafeEdit

JPath = tuple[str, ...]

_WS = re.compile(r"[ \t\n\r]*")
_INDENT = re.compile(r"[ \t]*")
_BOM = b"\xef\xbb\xbf"
_KIND = {"{": "object", "[": "array", '"': "string", "t": "boolean", "f": "boolean", "n": "null"}
_ARTICLE = {"object": "an object", "array": "an array", "string": "a string", "boolean": "a boolean",
            "null": "null", "number": "a number"}
_scanstring = json.decoder.scanstring


class WrongType(UnsafeEdit):
    """A value keyconf reads or writes through is of another JSON type (`env.ANTHROPIC_AUTH_TOKEN` is a number)."""

    def __init__(self, message: str, *, path: JPath, found: str, line: int | None, hint: str = "",
                 client: str | None = None):
        super().__init__(message, hint=hint, client=client)
        self.path, self.found, self.line = path, found, line


class _NotJson(ValueError):
    """NaN and Infinity: Python's decoder takes them, JSON.parse does not."""


def _refuse_constant(name: str):
    raise _NotJson(name)


def _js_int(text: str):
    # JSON.parse reads every number as a double; Python's int() refuses more than 4300 digits.
    return int(text) if len(text) <= 4000 else float(text)


# Checks a value and finds its end, building nothing that outlives the call.
_SKIPPER = json.JSONDecoder(object_pairs_hook=len, parse_int=str, parse_constant=_refuse_constant)
_READER = json.JSONDecoder(parse_int=_js_int, parse_constant=_refuse_constant)

_TOKEN = re.compile(r"""[ \t\n\r]*(?:
    (?P<open>[\[{]) | (?P<close>[\]}]) | (?P<comma>,) | (?P<colon>:)
  | (?P<string>"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*")
  | (?P<scalar>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null)
)""", re.VERBOSE)
_CLOSER = {"{": "}", "[": "]"}


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()


def _ws_start(text: str, i: int) -> int:
    """Start of the run of whitespace that ends at `i`."""
    while i > 0 and text[i - 1] in " \t\r\n":
        i -= 1
    return i


def _skip_deep(text: str, i: int) -> int:
    """End of the value at `i`, checked as strictly as the C decoder checks, with a loop instead of recursion."""
    stack: list[str] = []
    want = "value"  # value | first (after an opening bracket) | key | colon | next (after a value in a container)
    while True:
        m = _TOKEN.match(text, i)
        tok = m.lastgroup if m else None
        at = _skip(text, i)
        if want == "first":
            if tok == "close" and m.group(tok) == _CLOSER[stack[-1]]:
                stack.pop()
                tok = "scalar"  # the empty container is a finished value
                want = "done"
            else:
                want = "key" if stack[-1] == "{" else "value"
        if want == "key":
            if tok != "string":
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
            want, i = "colon", m.end()
            continue
        if want == "colon":
            if tok != "colon":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
            want, i = "value", m.end()
            continue
        if want == "value":
            if tok == "open":
                stack.append(m.group(tok))
                want, i = "first", m.end()
                continue
            if tok not in ("string", "scalar"):
                raise json.JSONDecodeError("Expecting value", text, at)
        elif want == "next":
            if tok == "comma":
                want, i = ("key" if stack[-1] == "{" else "value"), m.end()
                continue
            if tok != "close" or m.group(tok) != _CLOSER[stack[-1]]:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
            stack.pop()
        i = m.end()  # a value (or a container) just ended
        if not stack:
            return i
        want = "next"


def _value_end(text: str, i: int) -> int:
    try:
        return _SKIPPER.raw_decode(text, i)[1]
    except (RecursionError, _NotJson):
        return _skip_deep(text, i)  # deep nesting; NaN/Infinity get their exact position there


# ---- JSONC ---------------------------------------------------------------------------------------
_STRING = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?'  # an unclosed string stops at the line's end (the parse then fails)
_LEXEME = re.compile(_STRING + r"|//[^\r\n]*|/\*.*?\*/|/\*", re.S)  # a line comment ends at CR or LF
_MAYBE_TRAILING = re.compile(_STRING + r"|,(?=[ \t\r\n]*[\]}])", re.S)
_NOT_BLANK = re.compile(r"[^\r\n]")


def _blank(text: str) -> tuple[str, list[int]]:
    """JSONC as JSON of the same length: comments and trailing commas become spaces (line breaks stay, so line
    numbers hold). Returns the plain text and the offsets of the trailing commas (a deletion needs them)."""
    pieces, last = [], 0
    for m in _LEXEME.finditer(text):
        lexeme = m.group()
        if lexeme[0] == '"':
            continue
        if lexeme == "/*":
            raise json.JSONDecodeError("Unterminated /* comment", text, m.start())
        pieces += [text[last:m.start()], _NOT_BLANK.sub(" ", lexeme)]
        last = m.end()
    plain = "".join(pieces) + text[last:] if pieces else text
    trailing = []
    for m in _MAYBE_TRAILING.finditer(plain):
        if m.group() == ",":
            before = _ws_start(plain, m.start())
            if before and plain[before - 1] not in "{[,:":  # `[1,]` yes; `[,]` and `{"a":,}` stay errors
                trailing.append(m.start())
    if trailing:
        pieces, last = [], 0
        for at in trailing:
            pieces += [plain[last:at], " "]
            last = at + 1
        plain = "".join(pieces) + plain[last:]
    return plain, trailing


# ---- old bytes without a second copy ------------------------------------------------------------------
class _Window:
    """Bytes as they were at some point, kept as a window over the current bytes once edits start, so that a
    200 MB file is held once, not twice, while its edit is checked: the current bytes before `lo` and from `hi`
    on are the old ones (shifted); `middle` is what the old bytes held between. Until the first edit, `data`
    is the old bytes themselves."""

    def __init__(self, data: bytes):
        self.data: bytes | None = data
        self.size = len(data)
        self.lo = self.hi = 0
        self.middle = b""

    def splice(self, current: bytes, start: int, end: int, new_len: int) -> None:
        """Note that current[start:end] is about to become `new_len` other bytes."""
        if self.data is not None:
            self.data, self.lo, self.hi = None, start, start
        lo, hi = min(self.lo, start), max(self.hi, end)
        # outside the window the current bytes are still the old ones: widening takes them in
        view = memoryview(current)
        self.middle = b"".join((view[lo:self.lo], self.middle, view[self.hi:hi]))
        self.lo, self.hi = lo, hi + new_len - (end - start)

    def views(self, current: bytes, start: int, end: int) -> list[memoryview]:
        """The old bytes [start:end] as views into `current` and `middle`: no copies."""
        if self.data is not None:
            return [memoryview(self.data)[start:end]]
        mid_end = self.lo + len(self.middle)
        shift = self.hi - mid_end
        out = []
        if start < self.lo:
            out.append(memoryview(current)[start:min(end, self.lo)])
        if start < mid_end and end > self.lo:
            out.append(memoryview(self.middle)[max(start, self.lo) - self.lo:min(end, mid_end) - self.lo])
        if end > mid_end:
            out.append(memoryview(current)[max(start, mid_end) + shift:end + shift])
        return out

    def equals(self, current: bytes, start: int, end: int, other: memoryview) -> bool:
        """Whether the old bytes [start:end] are `other`."""
        if end - start != len(other):
            return False
        at = 0
        for piece in self.views(current, start, end):
            if other[at:at + len(piece)] != piece:
                return False
            at += len(piece)
        return True

    def bytes(self, current: bytes) -> bytes:
        return self.data if self.data is not None else b"".join(self.views(current, 0, self.size))


