"""One item of keyconf's own in a top-level block sequence of a YAML config (Continue's `models:`), edited in place on
`yamltext.YamlText`: the user's items, comments and every other byte stay.

The item is found by its `name` field. It is replaced where it stands, or put before the first item (clients
use the first model they can) at the items' own indent; an absent sequence key is appended at the end of the
file, an empty one (`models:`, `models: []`) is turned into a block and its old text remembered. A flow sequence
with items or a key given twice is refused. The caller guards the result (`YamlText.guard`).

Ownership record: {"top": prior value text of the sequence key (from just after the key) or None when keyconf
added the key; absent when the key already held items, "eol_added": keyconf ended the user's last line}.
"""

from __future__ import annotations

import re

from keyconf.errors import UnsafeEdit

_DASH = re.compile(r"( *)- +")


def _sequence(doc, top: str):
    """The block sequence node of `top`, None when absent or empty; refuses anything else."""
    import yaml

    pair = doc._top(top)
    if pair is None:
        return None
    node = pair[1]
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return node
    if (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")) or \
            (isinstance(node, yaml.SequenceNode) and not node.value):
        return None
    raise UnsafeEdit(f"{doc.name}: `{top}` (line {pair[0].start_mark.line + 1}) is not a block list; keyconf will "
                     "not replace it")


def find(doc, top: str, name: str):
    """(index, node) of the item whose `name` is `name`, or None."""
    seq = _sequence(doc, top)
    for index, item in enumerate(seq.value if seq is not None else []):
        if isinstance(doc.get(top), list) and isinstance(doc.get(top)[index], dict) and \
                doc.get(top)[index].get("name") == name:
            return index, item
    return None


def _item_span(doc, item) -> tuple[int, int, str]:
    """(start of the item's dash line, end of its last line, the dash's indent)."""
    start = doc._line_start(item.start_mark.index)
    match = _DASH.fullmatch(doc.text[start:item.start_mark.index])
    if match is None:
        raise UnsafeEdit(f"{doc.name}: the list item at line {item.start_mark.line + 1} does not start its own line "
                         "with `- `; keyconf will not edit it")
    end = doc._line_end(max(_content_end(item, item.start_mark.index) - 1, item.start_mark.index))
    return start, end, match.group(1)


def _content_end(node, floor: int, seen=None) -> int:
    """Where the item's own text ends: the furthest scalar or flow collection inside it. Not a block collection's
    end mark (it runs on over the comments after it), and not a node an alias (`*name`) points back to, which
    sits earlier in the file: the alias itself ends its line."""
    import yaml

    seen = set() if seen is None else seen
    if id(node) in seen or node.start_mark.index < floor:
        return floor
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
        return node.end_mark.index
    children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
    return max(_content_end(child, floor, seen) for child in children)


def render(fields: list[tuple[str, str]], indent: str, nl: str) -> str:
    """A block item: `- k: v` then the other fields under it (values already rendered as YAML scalars)."""
    lines = [f"{indent}- {fields[0][0]}: {fields[0][1]}"]
    lines += [f"{indent}  {key}: {value}" for key, value in fields[1:]]
    return nl.join(lines) + nl


def put(doc, top: str, fields: list[tuple[str, str]], record: dict) -> None:
    """Put keyconf's item (its first field is `name`) into `top`, replacing an earlier one where it stands."""
    found = find(doc, top, _plain(fields[0][1]))
    if found is not None:
        start, end, indent = _item_span(doc, found[1])
        doc._splice(start, end, render(fields, indent, doc.nl))
        return
    seq = _sequence(doc, top)
    if seq is not None:
        # first in the list: the client takes the first model it can use (cn 1.5.47 does)
        start, _, indent = _item_span(doc, seq.value[0])
        doc._splice(start, start, render(fields, indent, doc.nl))
        return
    pair = doc._top(top)
    if pair is None:
        record.setdefault("top", None)
        if doc.text and not doc.text.endswith("\n"):
            record["eol_added"] = True
            doc._splice(len(doc.text), len(doc.text), doc.nl)
        doc._splice(len(doc.text), len(doc.text), f"{top}:{doc.nl}{render(fields, '  ', doc.nl)}")
        return
    knode, vnode = pair
    start, end = knode.end_mark.index, doc._value_end(knode, vnode)
    record.setdefault("top", doc.text[start:end])
    doc._splice(start, end, ":")
    at = doc._line_end(knode.start_mark.index)
    if not doc.text[:at].endswith("\n"):
        record["eol_added"] = True
        doc._splice(at, at, doc.nl)
        at += len(doc.nl)
    doc._splice(at, at, render(fields, "  ", doc.nl))


def take(doc, top: str, name: str, record: dict) -> None:
    """Take keyconf's item out; the sequence key goes back to its old text when keyconf's item was its only one."""
    found = find(doc, top, name)
    if found is not None:
        start, end, _ = _item_span(doc, found[1])
        doc._splice(start, end, "")
    if "top" in record:
        pair = doc._top(top)
        if pair is not None and doc._is_empty_block(top):
            knode = pair[0]
            if record["top"] is None:
                doc._splice(doc._line_start(knode.start_mark.index), doc._line_end(knode.start_mark.index), "")
            else:
                colon = doc.text.index(":", knode.end_mark.index)
                doc._splice(knode.end_mark.index, colon + 1, record["top"])
    if record.get("eol_added") and doc.text.endswith(doc.nl):
        doc.text = doc.text[:-len(doc.nl)]
        doc._compose()


def _plain(rendered: str) -> str:
    import yaml

    return yaml.safe_load(rendered)
