"""Edit JSON text in place: change only the members keyconf owns and keep every other byte.

Values are located with the C decoder (`raw_decode`), so a 50 MB `~/.claude.json` costs one parse,
and only the objects on the way to an owned key are walked member by member.

Ownership with memory: before keyconf first sets a key it records the key's old raw text (or that it
was absent), and for each enclosing object that was absent or empty, its old text. Restoring those gives
back the original bytes, which is what `remove` promises.
"""

from __future__ import annotations

import json
import re
from keyconf.errors import UnsafeEdit

JPath = tuple[str, ...]
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Member:
    __slots__ = ("key", "kstart", "kend", "vstart", "vend")

    def __init__(self, key: str, kstart: int, kend: int, vstart: int, vend: int):
        self.key, self.kstart, self.kend, self.vstart, self.vend = key, kstart, kend, vstart, vend


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()


def _scan(text: str, start: int) -> tuple[list[_Member], int]:
    """Members of the object whose `{` is at `start`, and the index of its `}`. Text is known-valid JSON."""
    i = _skip(text, start + 1)
    members: list[_Member] = []
    if text[i] == "}":
        return members, i
    while True:
        key, kend = json.decoder.scanstring(text, i + 1)
        colon = _skip(text, kend)
        vstart = _skip(text, colon + 1)
        _, vend = _DECODER.raw_decode(text, vstart)
        members.append(_Member(key, i, kend, vstart, vend))
        j = _skip(text, vend)
        if text[j] == "}":
            return members, j
        i = _skip(text, j + 1)  # past the comma


def _find(members: list[_Member], key: str) -> int | None:
    found = None
    for n, member in enumerate(members):
        if member.key == key:
            found = n  # JSON.parse keeps the last duplicate, so do we
    return found


class JsonDoc:
    """A JSON object document held as text; edits splice the text."""

    def __init__(self, content: bytes | None, name: str):
        self.name = name
        self.existed = content is not None
        self.gone = False  # set when restoring leaves nothing of a file that keyconf created
        if content is None:
            content = b""
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise UnsafeEdit(f"{name} is not UTF-8 text (line {line}); keyconf will not edit it") from None
        self.bom = text.startswith("\ufeff")
        self._text = text[1:] if self.bom else text
        self._scans: dict[int, tuple[list[_Member], int]] = {}
        if self.text.strip():
            try:
                value = json.loads(self.text)
            except json.JSONDecodeError as exc:
                raise UnsafeEdit(
                    f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                    hint="fix that line (comments and trailing commas are not allowed), then run keyconf again",
                ) from None
            if not isinstance(value, dict):
                raise UnsafeEdit(f"{name} holds a JSON {type(value).__name__}, not an object")

    # The text, with a cache of scanned objects (a 50 MB ~/.claude.json must be walked once, not per lookup).
    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value
        self._scans = {}

    def _scan(self, start: int) -> tuple[list[_Member], int]:
        if start not in self._scans:
            self._scans[start] = _scan(self._text, start)
        return self._scans[start]

    # reading ----------------------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        return not self.text.strip()

    def _root(self) -> int:
        return _skip(self.text, 0)

    def _locate(self, path: JPath) -> tuple[int, int] | None:
        """Span (start, end) of the value at `path`, or None if absent."""
        if self.empty:
            return None
        start = self._root()
        end = len(self.text.rstrip())  # a valid document: the root object ends at the last non-blank
        for key in path:
            if self.text[start] != "{":
                return None
            members, _ = self._scan(start)
            n = _find(members, key)
            if n is None:
                return None
            start, end = members[n].vstart, members[n].vend
        return start, end

    def raw(self, path: JPath) -> str | None:
        span = self._locate(path)
        return None if span is None else self.text[span[0]:span[1]]

    def get(self, path: JPath, default=None):
        raw = self.raw(path)
        return default if raw is None else json.loads(raw)

    def is_object(self, path: JPath) -> bool:
        raw = self.raw(path)
        return raw is not None and raw.startswith("{")

    def member_count(self, path: JPath) -> int:
        span = self._locate(path)
        if span is None or self.text[span[0]] != "{":
            return 0
        return len(self._scan(span[0])[0])

    def content(self) -> bytes | None:
        """The document's bytes, or None when the file should be deleted again."""
        if self.gone or (not self.existed and not self.text):
            return None
        return (("\ufeff" if self.bom else "") + self.text).encode("utf-8")

    # writing ----------------------------------------------------------------------------------
    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]

    def set_raw(self, path: JPath, raw: str) -> None:
        """Set the value at `path` (JSON text), creating enclosing objects as needed."""
        if self.empty:
            self.text = self._render({path[0]: raw} if len(path) == 1 else {}, "", "  ") + "\n"
            if len(path) == 1:
                return
        span = self._locate(path)
        if span is not None:
            self._splice(span[0], span[1], raw)
            return
        # Walk to the deepest existing object, then insert one member holding the missing rest.
        depth = 0
        start = self._root()
        while depth < len(path) - 1:
            members, _ = self._scan(start)
            n = _find(members, path[depth])
            if n is None:
                break
            start = members[n].vstart
            if self.text[start] != "{":
                where = ".".join(path[: depth + 1])
                raise UnsafeEdit(f"{self.name}: `{where}` is not a JSON object; keyconf will not replace it",
                                 hint=f"make `{where}` an object ({{}}) or remove it, then run keyconf again")
            depth += 1
        self._insert(start, path[depth:], raw)

    def _layout(self, start: int) -> tuple[list[_Member], int, str, str, str, str]:
        """How the object at `start` is laid out: members, close, lead, separator, closing ws, indent unit."""
        members, close = self._scan(start)
        line_start = self.text.rfind("\n", 0, start) + 1
        line_indent = self.text[line_start:_skip(self.text, line_start)].replace("\n", "").replace("\r", "")
        if not members:
            return members, close, "\n" + line_indent + "  ", ": ", "\n" + line_indent, "  "
        last = members[-1]
        if len(members) == 1:
            lead = self.text[start + 1:last.kstart]
        else:
            comma = self.text.index(",", members[-2].vend)
            lead = self.text[comma + 1:last.kstart]
        sep = self.text[last.kend:last.vstart]
        closing = self.text[last.vend:close]
        unit = "  "
        if "\n" in lead:
            inner = lead.rsplit("\n", 1)[1]
            outer = closing.rsplit("\n", 1)[1] if "\n" in closing else line_indent
            if inner.startswith(outer) and len(inner) > len(outer):
                unit = inner[len(outer):]
        return members, close, lead, sep, closing, unit

    def _insert(self, start: int, rest: JPath, raw: str) -> None:
        members, close, lead, sep, closing, unit = self._layout(start)
        indent = lead.rsplit("\n", 1)[1] if "\n" in lead else None
        value = raw
        for depth, key in reversed(list(enumerate(rest[1:]))):
            # each deeper level gets the same layout, one unit further in
            inner = (indent or "") + (unit * depth if indent is not None else "")
            value = self._render({key: value}, inner, unit if indent is not None else None, sep)
        member = json.dumps(rest[0], ensure_ascii=False) + sep + value
        if members:
            at = members[-1].vend
            self._splice(at, at, "," + lead + member)
        else:
            self._splice(start + 1, close, lead + member + closing)

    @staticmethod
    def _render(members: dict[str, str], indent: str, unit: str | None, sep: str = ": ") -> str:
        if not members:
            return "{}"
        if unit is None:  # compact document
            return "{" + ",".join(json.dumps(k, ensure_ascii=False) + sep + v for k, v in members.items()) + "}"
        inner = indent + unit
        body = ",".join("\n" + inner + json.dumps(k, ensure_ascii=False) + sep + v for k, v in members.items())
        return "{" + body + "\n" + indent + "}"

    def delete(self, path: JPath) -> None:
        parent = self._locate(path[:-1])
        if parent is None or self.text[parent[0]] != "{":
            return
        start = parent[0]
        members, close = self._scan(start)
        n = _find(members, path[-1])
        if n is None:
            return
        if len(members) == 1:
            self._splice(start + 1, close, "")
        elif n == len(members) - 1:
            self._splice(members[n - 1].vend, members[n].vend, "")
        else:
            self._splice(members[n].kstart, members[n + 1].kstart, "")

    def replace_value(self, path: JPath, raw: str) -> None:
        if not path:
            self.text = raw
            return
        span = self._locate(path)
        if span is not None:
            self._splice(span[0], span[1], raw)


# ---- owned keys with memory ---------------------------------------------------------------------

def _pkey(path: JPath) -> str:
    return json.dumps(list(path), ensure_ascii=False)


def _unpkey(text: str) -> JPath:
    return tuple(json.loads(text))


def set_owned(doc: JsonDoc, desired: dict[JPath, str], owned: dict | None) -> dict:
    """Make the owned keys hold `desired` (raw JSON texts); returns the updated ownership record.

    Keys owned before but not desired now get their old values back.
    """
    owned = {"keys": dict((owned or {}).get("keys", {})), "containers": dict((owned or {}).get("containers", {}))}
    for pkey in list(owned["keys"]):
        if _unpkey(pkey) not in desired:
            _restore_key(doc, _unpkey(pkey), owned["keys"].pop(pkey))
    for path, raw in desired.items():
        pkey = _pkey(path)
        if pkey not in owned["keys"]:
            for depth in range(len(path)):
                container = path[:depth]
                ckey = _pkey(container)
                if ckey in owned["containers"]:
                    continue
                if not container:
                    if not doc.existed:
                        owned["containers"][ckey] = None
                    elif doc.member_count(()) == 0:
                        owned["containers"][ckey] = doc.text
                elif doc.raw(container) is None:
                    owned["containers"][ckey] = None
                elif doc.is_object(container) and doc.member_count(container) == 0:
                    owned["containers"][ckey] = doc.raw(container)
            owned["keys"][pkey] = doc.raw(path)
        if doc.raw(path) != raw:
            doc.set_raw(path, raw)
    _collapse(doc, owned, keep={p[:d] for p in desired for d in range(len(p))})
    return owned


def restore_owned(doc: JsonDoc, owned: dict | None) -> bool:
    """Give every owned key and emptied container its old text back. Returns False if the file should go."""
    owned = owned or {}
    for pkey, prior in owned.get("keys", {}).items():
        _restore_key(doc, _unpkey(pkey), prior)
    return _collapse(doc, {"containers": dict(owned.get("containers", {}))}, keep=set())


def _restore_key(doc: JsonDoc, path: JPath, prior: str | None) -> None:
    if prior is None:
        doc.delete(path)
    elif doc.raw(path) != prior:
        doc.set_raw(path, prior)


def _collapse(doc: JsonDoc, owned: dict, keep: set) -> bool:
    """Containers keyconf created or filled, now empty again, go back to their old text."""
    containers = owned.get("containers", {})
    for ckey in sorted(containers, key=lambda k: -len(_unpkey(k))):
        path = _unpkey(ckey)
        if path in keep or doc.raw(path) is None or doc.member_count(path) != 0:
            continue
        prior = containers.pop(ckey)
        if not path:
            if prior is None:
                doc.gone = True
                return False
            doc.text = prior
        elif prior is None:
            doc.delete(path)
        else:
            doc.replace_value(path, prior)
    return True
