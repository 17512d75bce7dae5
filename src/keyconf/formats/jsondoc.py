"""Edit JSON and JSONC text in place: change only the members keyconf owns and keep every other byte.

How a document is read, so that a 200 MB `~/.claude.json` stays cheap and odd but valid JSON never crashes:
- The bytes are checked to be UTF-8 once, then viewed as Latin-1 text: one byte is one character. The text
  costs one byte a byte whatever the file holds (a str with one emoji in it would take four), offsets in it
  are offsets in the file, and an edit splices the bytes without re-encoding the rest. JSON's syntax is
  ASCII, so the decoder sees the same structure; only the keys and values keyconf reads are decoded as UTF-8.
- JSONC (comments, trailing commas) is read through a "plain" copy of the same length in which comments and
  trailing commas are blanked to spaces: every offset still holds, the JSON decoder does the parsing, and
  edits go to the real text, so comments survive.
- Values are skipped with the C decoder told to build nothing (objects collapse to a count as they close,
  numbers stay text so a 5000-digit integer is no ValueError). Values nested deeper than the C decoder goes
  (~1000 levels; JSON.parse goes further) are skipped by a loop instead.
- Only the objects on the way to an owned key are walked member by member; their member lists are cached.

Every change is checked before it is kept (`_guard`): the result must parse, each member keyconf meant to set
must hold exactly the intended text, and every other member on the way must have its old bytes. Anything else
is an UnsafeEdit and nothing is written. The old bytes are not kept beside the new ones for this: a window over
the new bytes (`_Window`) holds only what an edit replaced, so a big file costs its bytes plus one parse text
at any time (the bytes as read are rebuilt from the window by `original()`).

The scanning lives in `jsonscan`; ownership with memory (set_owned, restore_owned) in `jsonowned`.
"""

from __future__ import annotations

import bisect
import json

from keyconf.errors import UnsafeEdit
from keyconf.formats.jsonscan import (
    _ARTICLE,
    _BOM,
    _INDENT,
    _KIND,
    _READER,
    JPath,
    WrongType,
    _blank,
    _scanstring,
    _skip,
    _value_end,
    _Window,
    _ws_start,
)


# ---- the document ----------------------------------------------------------------------------------
class _Member:
    __slots__ = ("key", "kstart", "kend", "vstart", "vend", "same")

    def __init__(self, key: str, kstart: int, kend: int, vstart: int, vend: int, same: bool = False):
        self.key, self.kstart, self.kend, self.vstart, self.vend = key, kstart, kend, vstart, vend
        self.same = same  # its value has the bytes of the same member in the document as first read


class _Object:
    """An object's members in file order (duplicates too), the offsets of its braces, and where each key is."""

    __slots__ = ("start", "close", "members", "index")

    def __init__(self, start: int, close: int, members: list[_Member]):
        self.start, self.close, self.members = start, close, members
        self.index = {m.key: n for n, m in enumerate(members)}  # JSON.parse keeps the last duplicate, so do we


def encode(value) -> str:
    """A value as the JSON text keyconf writes (non-ASCII kept as it is, as editors write it)."""
    return json.dumps(value, ensure_ascii=False)


def _dotted(path: JPath) -> str:
    return ".".join(path) or "(top level)"


class JsonDoc:
    """A JSON (or, with jsonc=True, JSONC) object document held as bytes; edits splice the bytes."""

    def __init__(self, content: bytes | None, name: str, *, jsonc: bool = False):
        self.name = name
        self.jsonc = jsonc
        self.existed = content is not None
        self.gone = False  # set when restoring leaves nothing of a file that keyconf created
        data = b"" if content is None else bytes(content)
        self.bom = data.startswith(_BOM)
        self._off = 3 if self.bom else 0
        self._edited = False
        self._check_utf8(data)
        self._set(data)
        self._orig = _Window(data)  # the bytes as read, for `original()`
        # What `_guard` compares with: the document at the start of the change being checked (`_checkpoint`).
        # Values whose bytes are unchanged since then need no parse after an edit: a compare says where they end.
        self._base, self._base_scans, self._base_copy = self._orig, self._scans, None
        # `_splice` is the only writer of `_data`, so `window.data is self._data` says "not edited since".
        self._validate()

    def _set(self, data: bytes) -> None:
        self._data = data
        self._text: str | None = None  # the body (after any BOM) as Latin-1: one character a byte
        self._plain: str | None = None  # the same with JSONC's comments and trailing commas blanked
        self._trailing: list[int] = []
        self._scans: dict[JPath, _Object | None] = {}

    def _check_utf8(self, data: bytes) -> None:
        if data.isascii():
            return
        view, start, size = memoryview(data), 0, len(data)
        while start < size:
            end = min(size, start + (1 << 20))  # a chunk at a time: a decoded str can take 4 bytes a character
            while start < end < size and data[end] & 0xC0 == 0x80:
                end -= 1  # never cut a character in two
            if end == start:
                end = min(size, start + (1 << 20))
            try:
                str(view[start:end], "utf-8")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, start + exc.start) + 1
                raise UnsafeEdit(f"{self.name} is not UTF-8 text (line {line}); keyconf will not edit it",
                                 hint="save the file as UTF-8, then run keyconf again") from None
            start = end

    def _texts(self) -> tuple[str, str]:
        if self._text is None:
            text = str(memoryview(self._data)[self._off:], "latin-1")
            plain, trailing = text, []
            if self.jsonc:
                try:
                    plain, trailing = _blank(text)
                except json.JSONDecodeError as exc:
                    raise self._unreadable(exc) from None
            self._text, self._plain, self._trailing = text, plain, trailing
        return self._text, self._plain

    def _bytes(self, start: int, end: int) -> bytes:
        return self._data[self._off + start:self._off + end]

    def _line(self, offset: int) -> int:
        return self._data.count(b"\n", 0, self._off + offset) + 1

    def _unreadable(self, exc: json.JSONDecodeError) -> UnsafeEdit:
        doc, pos = exc.doc, exc.pos
        line_start = doc.rfind("\n", 0, pos) + 1
        column = len(doc[line_start:pos].encode("latin-1", "replace").decode("utf-8", "replace")) + 1
        what = exc.msg
        if not self.jsonc and doc.startswith(("//", "/*"), pos):
            what = "a comment"
        elif not self.jsonc and doc.startswith(("}", "]"), pos) and doc[_ws_start(doc, pos) - 1:pos].startswith(","):
            what = "a trailing comma"
        where = f"{what} at line {exc.lineno} column {column}"
        if self._edited:
            return UnsafeEdit(f"{self.name}: keyconf's change would not parse ({where}); nothing was written",
                              hint="this is a bug in keyconf: please report it")
        if self.jsonc:
            return UnsafeEdit(f"{self.name} is not valid JSONC: {where}", hint="fix that line, then run keyconf again")
        return UnsafeEdit(f"{self.name} is not valid JSON: {where}",
                          hint="fix that line (comments and trailing commas are not allowed), then run keyconf again")

    def _validate(self) -> None:
        """The whole document parses and its top level is an object (or there is nothing in it yet)."""
        _, plain = self._texts()
        start = _skip(plain, 0)
        if start == len(plain):
            return
        try:
            if plain[start] == "{":
                end = self._object(()).close + 1
            else:
                end = _value_end(plain, start)
            if _skip(plain, end) != len(plain):
                raise json.JSONDecodeError("Extra data", plain, _skip(plain, end))
        except json.JSONDecodeError as exc:
            raise self._unreadable(exc) from None
        if plain[start] != "{":
            kind = _KIND.get(plain[start], "number")
            raise UnsafeEdit(f"{self.name} holds {_ARTICLE[kind]} at the top level, not an object; "
                             "keyconf will not edit it", hint="the file should hold one JSON object ({...})")

    # scanning ---------------------------------------------------------------------------------
    def _object(self, path: JPath) -> _Object | None:
        """The object at `path` (scanned once), or None if there is none there."""
        if path in self._scans:
            return self._scans[path]
        _, plain = self._texts()
        if path:
            parent = self._object(path[:-1])
            n = None if parent is None else parent.index.get(path[-1])
            start = None if n is None else parent.members[n].vstart
        else:
            start = _skip(plain, 0)
        obj = self._scan(start, path) if start is not None and plain.startswith("{", start) else None
        self._scans[path] = obj
        return obj

    def _scan(self, start: int, path: JPath) -> _Object:
        _, plain = self._texts()
        hints = None
        if self._base.data is not self._data and self._base_scans.get(path) is not None:
            hints = {m.key: m for m in self._base_scans[path].members}
        members: list[_Member] = []
        try:
            i = _skip(plain, start + 1)
            if plain.startswith("}", i):
                return _Object(start, i, members)
            while True:
                if not plain.startswith('"', i):
                    raise json.JSONDecodeError("Expecting property name enclosed in double quotes", plain, i)
                key, kend = _scanstring(plain, i + 1)
                if not plain[i:kend].isascii():  # decoded as Latin-1 so far: decode the key's bytes as UTF-8
                    key = _scanstring(self._bytes(i, kend).decode("utf-8"), 1)[0]
                colon = _skip(plain, kend)
                if not plain.startswith(":", colon):
                    raise json.JSONDecodeError("Expecting ':' delimiter", plain, colon)
                vstart = _skip(plain, colon + 1)
                vend, same = self._end_of(vstart, hints.get(key) if hints else None)
                members.append(_Member(key, i, kend, vstart, vend, same))
                j = _skip(plain, vend)
                if plain.startswith("}", j):
                    return _Object(start, j, members)
                if not plain.startswith(",", j):
                    raise json.JSONDecodeError("Expecting ',' delimiter", plain, j)
                i = _skip(plain, j + 1)
        except json.JSONDecodeError as exc:
            raise self._unreadable(exc) from None

    def _end_of(self, vstart: int, hint: _Member | None) -> tuple[int, bool]:
        """Where the value at `vstart` ends, and whether it is byte for byte the `hint` member's value."""
        plain = self._texts()[1]
        # Only brackets and strings end by themselves: `3` is the start of `3.25` as well.
        if hint is not None and plain.startswith(("{", "[", '"'), vstart):
            size = hint.vend - hint.vstart
            mine = memoryview(self._data)[self._off + vstart:self._off + vstart + size]
            if self._base.equals(self._data, self._off + hint.vstart, self._off + hint.vend, mine):
                return vstart + size, True  # the same bytes as a value that parsed before end at the same place
        return _value_end(plain, vstart), False

    def _locate(self, path: JPath) -> tuple[int, int] | None:
        """Span (start, end) of the value at `path`, or None if absent."""
        if not path:
            root = self._object(())
            return None if root is None else (root.start, root.close + 1)
        obj = self._object(path[:-1])
        n = None if obj is None else obj.index.get(path[-1])
        return None if n is None else (obj.members[n].vstart, obj.members[n].vend)

    def _kind_at(self, offset: int) -> str:
        return _KIND.get(self._texts()[1][offset], "number")

    # reading ----------------------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        _, plain = self._texts()
        return _skip(plain, 0) == len(plain)

    @property
    def trailing_comma_lines(self) -> list[int]:
        """Lines of the trailing commas JSONC let through (for a client whose own reader refuses them)."""
        self._texts()
        return [self._line(at) for at in self._trailing]

    @property
    def text(self) -> str:
        """The document (after any BOM) as text. Decodes the whole file: for small documents and tests."""
        return self._data[self._off:].decode("utf-8")

    @text.setter
    def text(self, value: str) -> None:
        self._splice(0, len(self._data) - self._off, value)

    def raw(self, path: JPath) -> str | None:
        span = self._locate(path)
        return None if span is None else self._bytes(*span).decode("utf-8")

    def get(self, path: JPath, default=None):
        """The value at `path` as Python data (numbers as JSON.parse reads them), or `default` if absent."""
        raw = self.raw(path)
        if raw is None:
            return default
        try:
            return _READER.decode(_blank(raw)[0] if self.jsonc else raw)
        except RecursionError:
            raise UnsafeEdit(f"{self.name}: `{_dotted(path)}` is nested too deeply for keyconf to read "
                             f"(line {self.line_of(path)})") from None
        except ValueError as exc:  # not expected: the document parsed when it was read
            raise UnsafeEdit(f"{self.name}: keyconf can't read `{_dotted(path)}` ({exc})") from None

    def kind(self, path: JPath) -> str | None:
        """"object", "array", "string", "number", "boolean" or "null"; None if absent."""
        span = self._locate(path)
        return None if span is None else self._kind_at(span[0])

    def line_of(self, path: JPath) -> int | None:
        span = self._locate(path)
        return None if span is None else self._line(span[0])

    def require_kind(self, path: JPath, kind: str, why: str = "") -> bool:
        """True if `path` holds a `kind`, False if absent; WrongType (an UnsafeEdit) if it holds something else."""
        found = self.kind(path)
        if found is not None and found != kind:
            raise self._wrong(path, _ARTICLE[found], _ARTICLE[kind], why)
        return found is not None

    def get_str(self, path: JPath) -> str | None:
        """The string at `path`, or None if absent; WrongType (an UnsafeEdit) naming the line if it is a number,
        an object... or a string that can't be shown (an unpaired surrogate escape such as \\ud800)."""
        if not self.require_kind(path, "string"):
            return None
        value = self.get(path)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            line = self.line_of(path)
            raise WrongType(f"{self.name}: `{_dotted(path)}` holds an unpaired surrogate escape (\\ud800-\\udfff), "
                            f"which is not text (line {line})", path=path, found="a string that is not text",
                            line=line, hint=f"fix `{_dotted(path)}`, then run keyconf again") from None
        return value

    def member_count(self, path: JPath) -> int:
        obj = self._object(path)
        return 0 if obj is None else len(obj.members)

    def is_object(self, path: JPath) -> bool:
        return self.kind(path) == "object"

    def original(self) -> bytes | None:
        """The bytes the document was read from (None: there was no file). They are rebuilt here, not kept
        beside the edited ones; the parse text goes first, so a big file is held twice at most."""
        if not self.existed:
            return None
        self._text = self._plain = None
        return self._orig.bytes(self._data)

    def content(self) -> bytes | None:
        """The document's bytes, or None when the file should be deleted again."""
        if self.gone or (not self.existed and not self._data):
            return None
        return self._data

    def _wrong(self, path: JPath, found: str, wanted: str, why: str = "") -> WrongType:
        line = self.line_of(path)
        return WrongType(f"{self.name}: `{_dotted(path)}` is {found}, not {wanted}"
                         f"{'; ' + why if why else ''} (line {line})",
                         path=path, found=found, line=line,
                         hint=f"make `{_dotted(path)}` {wanted} or remove it, then run keyconf again")

    # writing ----------------------------------------------------------------------------------
    def _splice(self, start: int, end: int, new: str | bytes) -> None:
        """Replace body[start:end]; the bytes around are joined as they are, not decoded and re-encoded."""
        if isinstance(new, str):
            try:
                new = new.encode("utf-8")
            except UnicodeEncodeError:
                raise UnsafeEdit(f"{self.name}: keyconf can't write a value holding an unpaired surrogate "
                                 "as UTF-8; nothing was written") from None
        data, off = self._data, self._off
        self._text = self._plain = None  # let the old text go before the new bytes exist (a 200 MB file)
        self._orig.splice(data, off + start, off + end, len(new))
        if self._base is not self._orig:
            self._base.splice(data, off + start, off + end, len(new))
        view = memoryview(data)
        self._set(b"".join((view[:off + start], new, view[off + end:])))
        self._edited = True

    def _newline(self) -> str:
        text, _ = self._texts()
        i = text.find("\n")
        return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"

    # The edits below work out one splice and return it; their callers make it once the work is done, so that
    # no local still holds the parse text while the new bytes are built (a 200 MB file would be held 3 times).
    def _opening(self) -> tuple[int, int, str]:
        """An empty document gets `{}`; comments in a JSONC one stay above it."""
        text, _ = self._texts()
        nl = self._newline()
        if not text.strip(" \t\r\n"):
            return 0, len(text), "{}" + nl
        return len(text), len(text), ("" if text.endswith("\n") else nl) + "{}" + nl

    def set_raw(self, path: JPath, raw: str) -> None:
        """Set the value at `path` (JSON text), creating enclosing objects as needed."""
        if self.empty:
            self._splice(*self._opening())
        span = self._locate(path)
        if span is not None:
            self._splice(span[0], span[1], raw)
            return
        # Walk to the deepest existing object, then insert one member holding the missing rest.
        depth, obj = 0, self._object(())
        while depth < len(path) - 1:
            if obj.index.get(path[depth]) is None:
                break
            inner = self._object(path[:depth + 1])
            if inner is None:
                found = _ARTICLE[self.kind(path[:depth + 1])]
                raise self._wrong(path[:depth + 1], found, "an object", "keyconf will not replace it")
            obj, depth = inner, depth + 1
        self._splice(*self._insertion(obj, path[depth:], raw))

    def _insertion(self, obj: _Object, rest: JPath, raw: str) -> tuple[int, int, str]:
        text, plain = self._texts()
        line_start = text.rfind("\n", 0, obj.start) + 1
        indent = _INDENT.match(text, line_start).group()
        nl = self._newline()
        sep, unit = ": ", "  "
        if obj.members:
            last = obj.members[-1]
            lead = text[_ws_start(text, last.kstart):last.kstart]  # newline + indent, a space, or nothing
            if text[last.kend:last.vstart] == plain[last.kend:last.vstart]:  # no comment between key and value
                sep = text[last.kend:last.vstart]
            if "\n" in lead:
                nl = "\r\n" if "\r\n" in lead else "\n"
                inner = lead.rsplit("\n", 1)[1]
                closing = text[_ws_start(text, obj.close):obj.close]
                outer = closing.rsplit("\n", 1)[1] if "\n" in closing else indent
                if inner.startswith(outer) and len(inner) > len(outer):
                    unit = inner[len(outer):]
        else:
            lead = nl + indent + unit
        compact = "\n" not in lead
        value = _nest(rest[1:], raw, lead.rsplit("\n", 1)[-1], None if compact else unit, sep, nl)
        member = encode(rest[0]) + sep + value
        if obj.members:
            return last.vend, last.vend, "," + lead + member
        if not text[obj.start + 1:obj.close].strip(" \t\r\n"):
            return obj.start + 1, obj.close, lead + member + nl + indent
        # an empty object holding comments: they stay, the member goes after them
        return _ws_start(text, obj.close), obj.close, lead + member + nl + indent

    def _comma_after(self, offset: int) -> int | None:
        """The comma that follows a member's value, trailing or not (JSONC), or None."""
        _, plain = self._texts()
        j = _skip(plain, offset)
        if plain.startswith(",", j):
            return j
        n = bisect.bisect_left(self._trailing, offset)
        return self._trailing[n] if n < len(self._trailing) and self._trailing[n] < j else None

    def delete(self, path: JPath) -> None:
        """Remove the member at `path` with one comma and the whitespace before its key; comments stay."""
        obj = self._object(path[:-1]) if path else None
        n = None if obj is None else obj.index.get(path[-1])
        if n is not None:
            self._splice(*self._deletion(obj, n))

    def _deletion(self, obj: _Object, n: int) -> tuple[int, int, bytes]:
        text, _ = self._texts()
        member = obj.members[n]
        if n > 0:
            comma = self._comma_after(obj.members[n - 1].vend)
            key_at = _ws_start(text, member.kstart)
            return comma, member.vend, self._bytes(comma + 1, key_at) if key_at > comma + 1 else b""
        comma = self._comma_after(member.vend)
        if len(obj.members) > 1:
            return member.kstart, _skip(text, comma + 1), self._bytes(member.vend, comma)
        end = member.vend if comma is None else comma + 1  # a trailing comma goes with the only member
        inside = self._bytes(obj.start + 1, member.kstart) + self._bytes(end, obj.close)
        return obj.start + 1, obj.close, inside if inside.strip(b" \t\r\n") else b""

    def replace_value(self, path: JPath, raw: str) -> None:
        if not path:
            self.text = raw
            return
        span = self._locate(path)
        if span is not None:
            self._splice(span[0], span[1], raw)

    # the guard --------------------------------------------------------------------------------
    def _checkpoint(self) -> None:
        """Make the document as it is now what `_guard` compares with."""
        if self._base.data is not self._data:  # edited since the last checkpoint
            self._base, self._base_scans = _Window(self._data), self._scans
        self._base_copy = None

    def _base_object(self, path: JPath) -> _Object | None:
        if path not in self._base_scans:
            if self._base_copy is None:  # an object nobody read before the change: read the old bytes again
                self._base_copy = JsonDoc(self._base.bytes(self._data), self.name, jsonc=self.jsonc)
            return self._base_copy._object(path)
        return self._base_scans[path]

    def _base_locate(self, path: JPath) -> tuple[int, int] | None:
        obj = self._base_object(path[:-1])
        n = None if obj is None else obj.index.get(path[-1])
        return None if n is None else (obj.members[n].vstart, obj.members[n].vend)

    def _guard(self, intended: dict[JPath, str | None]) -> None:
        """Refuse the change unless the result parses and differs from the checkpoint only as `intended` says
        (path -> the exact raw text, or None for absent)."""
        if self.gone or self._base.data is self._data:
            return
        intended = {p: raw for p, raw in intended.items() if not any(p[:d] in intended for d in range(len(p)))}
        ancestors = {p[:d] for p in intended for d in range(len(p))}
        self._validate()
        try:
            self._same((), intended, ancestors)
        except _Mismatch as exc:
            raise UnsafeEdit(f"{self.name}: keyconf's change did not come out as intended at `{exc}`; "
                             "nothing was written", hint="this is a bug in keyconf: please report it") from None
        finally:
            self._base_copy = None  # a re-read of the old bytes lives only as long as the check

    def _same(self, path: JPath, intended: dict, ancestors: set) -> None:
        if path in intended:
            want = intended[path]
            if path:
                span = self._locate(path)
                got = None if span is None else self._bytes(*span)
            else:  # the whole document went back to its old text
                got = self._data[self._off:]
            if (None if want is None else want.encode("utf-8")) != got:
                raise _Mismatch(_dotted(path))
            return
        mine, theirs = self._object(path), self._base_object(path)
        if mine is None:  # fine only if nothing is meant to be there and nothing changed
            wanted = [raw for p, raw in intended.items() if p[:len(path)] == path]
            if any(raw is not None for raw in wanted) or not self._same_value(path):
                raise _Mismatch(_dotted(path))
            return
        old = theirs.index if theirs is not None else {}
        meant = {p[len(path)] for p in intended if len(p) > len(path) and p[:len(path)] == path}
        for key in set(mine.index) | set(old) | meant:
            sub = path + (key,)
            if sub in intended or sub in ancestors:
                self._same(sub, intended, ancestors)
            elif not self._same_value(sub):
                raise _Mismatch(_dotted(sub))

    def _same_value(self, path: JPath) -> bool:
        obj = self._object(path[:-1])
        n = None if obj is None else obj.index.get(path[-1])
        if n is not None and obj.members[n].same:  # compared already while scanning (a 200 MB member: 0.2 s)
            return True
        mine, theirs = self._locate(path), self._base_locate(path)
        if mine is None or theirs is None:
            return mine is None and theirs is None
        off = self._off
        return self._base.equals(self._data, off + theirs[0], off + theirs[1],
                                 memoryview(self._data)[off + mine[0]:off + mine[1]])


class _Mismatch(Exception):
    pass


def _nest(keys: JPath, raw: str, indent: str, unit: str | None, sep: str, nl: str) -> str:
    """`raw` inside one new object per key, laid out like its neighbours (unit None: compact)."""
    if not keys:
        return raw
    if unit is None:
        return "{" + encode(keys[0]) + sep + _nest(keys[1:], raw, indent, unit, sep, nl) + "}"
    inner = indent + unit
    return "{" + nl + inner + encode(keys[0]) + sep + _nest(keys[1:], raw, inner, unit, sep, nl) + nl + indent + "}"


