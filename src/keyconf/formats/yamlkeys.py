"""Top-level scalar keys of a flat YAML config (Aider's `.aider.conf.yml`), edited in place on `yamltext.YamlText`:
only the keys keyconf owns change; comments, blank lines, quoting and every other byte stay.

`set_key` replaces the text from just after a key to the end of its value (a comment after the value stays on
its line), or appends `key: value` at the end; the text it replaced is remembered so that `restore` gives it
back byte for byte (an appended line is taken out again). A key that holds a collection, an alias or that is
given twice is refused with its line. The caller guards the result (`YamlText.guard`).

Ownership record (kept in keyconf's state): {"keys": {key: prior text from just after the key, or None},
"created": the file was absent, "eol_added": keyconf ended the user's last line}.
"""

from __future__ import annotations

from keyconf.errors import UnsafeEdit


def _scalar_pair(doc, key: str):
    import yaml

    pair = doc._top(key)
    if pair is not None and not isinstance(pair[1], yaml.ScalarNode):
        raise UnsafeEdit(f"{doc.name}: `{key}` (line {pair[0].start_mark.line + 1}) is not a plain value; keyconf "
                         "will not replace it")
    return pair


def set_key(doc, key: str, rendered: str, record: dict) -> None:
    """Make top-level `key` hold `rendered` (a scalar's text)."""
    record.setdefault("created", not doc.existed)
    keys = record.setdefault("keys", {})
    pair = _scalar_pair(doc, key)
    if pair is not None:
        knode, vnode = pair
        start, end = knode.end_mark.index, doc._value_end(knode, vnode)
        keys.setdefault(key, doc.text[start:end])
        if vnode.start_mark.index != vnode.end_mark.index:  # only the value: the spacing after the colon stays
            doc._splice(vnode.start_mark.index, end, rendered)
        else:
            doc._splice(start, end, f": {rendered}")
        return
    keys.setdefault(key, None)
    if doc.text and not doc.text.endswith("\n"):
        record["eol_added"] = True
        doc._splice(len(doc.text), len(doc.text), doc.nl)
    doc._splice(len(doc.text), len(doc.text), f"{key}: {rendered}{doc.nl}")


def restore(doc, record: dict) -> None:
    """Give every owned key its old text back, or take out the lines keyconf added."""
    for key, prior in (record.get("keys") or {}).items():
        pair = _scalar_pair(doc, key)
        if pair is None:
            continue
        knode, vnode = pair
        if prior is None:
            start = doc._line_start(knode.start_mark.index)
            if doc.text[start:knode.start_mark.index].strip():
                raise UnsafeEdit(f"{doc.name}: `{key}` (line {knode.start_mark.line + 1}) does not start its line; "
                                 "keyconf will not edit it")
            doc._splice(start, doc._line_end(doc._value_end(knode, vnode)), "")
        else:
            doc._splice(knode.end_mark.index, doc._value_end(knode, vnode), prior)
    if record.get("eol_added") and doc.text.endswith(doc.nl):
        doc.text = doc.text[:-len(doc.nl)]  # the user's last line had no line end before keyconf came
        doc._compose()
    if not doc.text and record.get("created"):
        doc.gone = True  # keyconf made the file: it goes again
