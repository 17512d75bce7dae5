"""Edit a YAML config (Hermes' `config.yaml`) in place: only the entries keyconf owns change; every other byte
(comments, blank lines, quoting, order, anchors, line endings) stays.

Why not a round-trip library: ruamel.yaml keeps comments but re-indents and re-flows what it dumps, so "every
other byte" would still need checking. Instead PyYAML (the parser Hermes itself reads its config with) composes
the document into nodes that carry their byte offsets, keyconf splices its lines into the text at those offsets,
and the result is re-read and compared with the data it should hold (`_guard`): anything else is an UnsafeEdit
and nothing is written. PyYAML is imported only here, and only when a YAML client is planned or read.

What can be edited: entries of top-level block mappings (`model: {provider: …}` as a block, `providers:` with
one entry per provider). A top-level key that is absent is appended at the end; one that holds a scalar or an
empty flow mapping (`providers: {}`, `model: ""`, Hermes' defaults) is turned into a block mapping, and its old
text is remembered so that `restore` gives it back. Anything else in the way (a flow mapping with content, an
alias, a key given twice) is refused with its line.

Ownership record (kept in keyconf's state, like jsondoc's): {"entries": {"a/b": prior value text or None},
"tops": {"a": prior value text (from just after the key) or None}, "created": the file was absent,
"eol_added": keyconf ended the user's last line}.
"""

from __future__ import annotations

import json
import re

from keyconf.errors import UnsafeEdit

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./:+@-]*")


def scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly this string: plain when that is unambiguous, else JSON's double
    quotes (a JSON string is a YAML double-quoted scalar)."""
    import yaml

    if _PLAIN.fullmatch(value) and ": " not in value and not value.endswith(":"):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


class YamlText:
    """One YAML document as text, with the top-level structure composed (node offsets into `text`)."""

    def __init__(self, content: bytes | None, name: str):
        self.name = name
        self.existed = content is not None
        try:
            self.text = (content or b"").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeEdit(f"{name} is not UTF-8 (byte {exc.start}); keyconf will not edit it") from None
        self.original = self.text
        self.nl = "\r\n" if "\r\n" in self.text else "\n"
        self.gone = False
        self._compose()

    # reading ---------------------------------------------------------------------------------------------
    def _compose(self) -> None:
        import yaml

        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(self.text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise UnsafeEdit(f"{self.name} cannot be read{where}: {problem}",
                             hint="fix the file (or move it away), then run keyconf again") from None
        if root is not None and not isinstance(root, yaml.MappingNode):
            raise UnsafeEdit(f"{self.name} is not a YAML mapping at the top; keyconf will not replace it")
        if root is not None and root.flow_style and root.value:
            raise UnsafeEdit(f"{self.name} is one flow mapping ({{...}}); keyconf edits block-style YAML only")
        self.root = root
        if self.data is None:
            self.data = {}

    def _top(self, key: str):
        """(key node, value node) of a top-level key, or None; refuses a key given twice."""
        found = [(k, v) for k, v in (self.root.value if self.root is not None else []) if k.value == key]
        if len(found) > 1:
            line = found[-1][0].start_mark.line + 1
            raise UnsafeEdit(f"{self.name}: `{key}` is given {len(found)} times (line {line}); keyconf will not guess "
                             "which one counts")
        return found[0] if found else None

    def get(self, *path: str):
        value = self.data
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _line_end(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    @staticmethod
    def _last(node):
        """The node whose end is the last byte of `node`'s content (a block collection's own end mark lies after
        the comments and blank lines that follow it)."""
        import yaml

        while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
            last = node.value[-1]
            node = last[1] if isinstance(last, tuple) else last
        return node

    def _block(self, key: str):
        """The value node of top-level `key` if it is a block mapping keyconf can add to; None if absent or a
        value keyconf may replace (a scalar, an empty flow mapping); refuses anything else."""
        import yaml

        pair = self._top(key)
        if pair is None:
            return None
        node = pair[1]
        if isinstance(node, yaml.MappingNode) and not node.flow_style:
            return node
        if isinstance(node, yaml.ScalarNode) or (isinstance(node, yaml.MappingNode) and not node.value):
            return None
        raise UnsafeEdit(f"{self.name}: `{key}` (line {pair[0].start_mark.line + 1}) is not a block mapping; keyconf "
                         "will not replace it")

    # editing ---------------------------------------------------------------------------------------------
    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]
        self._compose()

    def _ensure_top(self, key: str, record: dict) -> tuple[int, int]:
        """Make top-level `key` a block mapping; returns (offset where a new entry goes, its indent)."""
        block = self._block(key)
        if block is not None:
            first = block.value[0][0]
            return self._line_start(first.start_mark.index), first.start_mark.column
        tops = record.setdefault("tops", {})
        pair = self._top(key)
        if pair is None:
            tops.setdefault(key, None)
            if self.text and not self.text.endswith("\n"):
                record["eol_added"] = True
                self._splice(len(self.text), len(self.text), self.nl)
            self._splice(len(self.text), len(self.text), f"{key}:{self.nl}")
            return len(self.text), 2
        # `model: ""` / `providers: {}`: the value as written goes (remembered, from just after the key to its
        # end); a comment after it stays on the key's line
        knode, vnode = pair
        start, end = knode.end_mark.index, self._value_end(knode, vnode)
        tops.setdefault(key, self.text[start:end])
        self._splice(start, end, ":")
        at = self._line_end(knode.start_mark.index)
        if not self.text[:at].endswith("\n"):
            record["eol_added"] = True
            self._splice(at, at, self.nl)
            at += len(self.nl)
        return at, 2

    def _value_end(self, knode, vnode) -> int:
        """Where a top-level scalar or flow value ends (for an empty value: just after the key's colon)."""
        if vnode.start_mark.index == vnode.end_mark.index:
            return self.text.index(":", knode.end_mark.index) + 1
        return vnode.end_mark.index

    def set_entry(self, top: str, key: str, rendered: str, record: dict) -> None:
        """Make `top.key` hold `rendered` (a scalar's text, or a block: lines one indent step under the key)."""
        import yaml

        record.setdefault("created", not self.existed)

        entries = record.setdefault("entries", {})
        block = self._block(top)
        pair = None
        if block is not None:
            pair = next(((k, v) for k, v in block.value if k.value == key), None)
        ident = f"{top}/{key}"
        multiline = "\n" in rendered
        if pair is not None:
            knode, vnode = pair
            if multiline or not isinstance(vnode, yaml.ScalarNode):
                if ident not in entries:
                    raise UnsafeEdit(f"{self.name} already has `{top}.{key}` (line {knode.start_mark.line + 1}), which "
                                     "keyconf did not write", hint="rename or remove it, then run keyconf again")
                self._delete_pair(knode, vnode)
            else:
                entries.setdefault(ident, self.text[vnode.start_mark.index:vnode.end_mark.index])
                self._splice(vnode.start_mark.index, vnode.end_mark.index, rendered)
                return
        else:
            entries.setdefault(ident, None)
        at, indent = self._ensure_top(top, record)
        pad = " " * indent
        if multiline:
            # a top-level entry's column is the file's indent step: its children go one step further
            body = "".join(f"{pad}{pad}{line}{self.nl}" for line in rendered.split("\n"))
            text = f"{pad}{key}:{self.nl}{body}"
        else:
            text = f"{pad}{key}: {rendered}{self.nl}"
        self._splice(at, at, text)

    def _delete_pair(self, knode, vnode) -> None:
        start = self._line_start(knode.start_mark.index)
        if self.text[start:knode.start_mark.index].strip():
            raise UnsafeEdit(f"{self.name}: `{knode.value}` (line {knode.start_mark.line + 1}) does not start its line;"
                             " keyconf will not edit it")
        end = self._line_end(max(self._last(vnode).end_mark.index - 1, knode.end_mark.index))
        self._splice(start, end, "")

    def restore(self, record: dict) -> None:
        """Give every owned entry its old text back (or take it out), then the top-level keys keyconf made or
        turned into a block, if nothing but keyconf's entries was in them."""
        for ident, prior in (record.get("entries") or {}).items():
            top, key = ident.split("/", 1)
            block = self._block(top)
            pair = next(((k, v) for k, v in block.value if k.value == key), None) if block is not None else None
            if pair is None:
                continue
            if prior is None:
                self._delete_pair(*pair)
            else:
                self._splice(pair[1].start_mark.index, pair[1].end_mark.index, prior)
        kept = False
        for top, prior in (record.get("tops") or {}).items():
            if not self._is_empty_block(top):
                kept = True  # someone else's entries are in it now: it stays
                continue
            knode, vnode = self._top(top)
            if prior is None:
                self._splice(self._line_start(knode.start_mark.index), self._line_end(knode.start_mark.index), "")
            else:
                colon = self.text.index(":", knode.end_mark.index)
                self._splice(knode.end_mark.index, colon + 1, prior)
        if record.get("eol_added") and not kept and self.text.endswith(self.nl):
            self.text = self.text[:-len(self.nl)]  # the user's last line had no line end before keyconf came
            self._compose()
        if not self.text and record.get("created"):
            self.gone = True  # keyconf made the file: it goes again

    def _is_empty_block(self, top: str) -> bool:
        import yaml

        pair = self._top(top)
        if pair is None:
            return False
        vnode = pair[1]
        return (isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null")
                and vnode.start_mark.index == vnode.end_mark.index)

    def content(self) -> bytes | None:
        return None if self.gone else self.text.encode("utf-8")

    def guard(self, intended: dict) -> None:
        """The new text must read as `intended` (the old data with keyconf's changes), and nothing else."""
        if self.data != intended:
            wrong = sorted(k for k in set(self.data) | set(intended) if self.data.get(k) != intended.get(k))
            raise UnsafeEdit(f"{self.name}: after keyconf's edit the file would read differently than intended "
                             f"(at {', '.join(map(str, wrong))}); nothing was written",
                             hint="this is a keyconf bug or a YAML construct it cannot edit; please report it")
