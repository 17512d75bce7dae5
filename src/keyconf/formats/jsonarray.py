"""One element of keyconf's own in a JSON(C) array held by someone else (Factory Droid's `customModels`).

`jsondoc` owns object members; an array the user fills needs an element added and taken out again, every other
byte kept. These functions work on the array's raw text (as `JsonDoc.raw` gives it): comments and trailing commas
are blanked to a same-length plain copy (jsondoc's own `_blank`), so element offsets found in the copy hold in the
real text and the user's comments stay.
"""

from __future__ import annotations

import json

from keyconf.formats.jsonscan import _blank  # the one JSONC reader; its offsets are the file's offsets

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


def load(raw: str) -> list:
    """The array text as data."""
    return json.loads(_blank(raw)[0])


def spans(raw: str) -> list[tuple[int, int]]:
    """(start, end) of each element of the array text `raw`."""
    plain, _ = _blank(raw)
    found, i = [], plain.index("[") + 1
    while True:
        while i < len(plain) and plain[i] in _WS:
            i += 1
        if plain[i] == "]":
            return found
        _, end = _DECODER.raw_decode(plain, i)
        found.append((i, end))
        i = end
        while plain[i] in _WS:
            i += 1
        if plain[i] == ",":
            i += 1


def append(raw: str, element: str) -> str:
    """The array with `element` (JSON text) after its last element, laid out like the elements before it."""
    items = spans(raw)
    if not items:
        close = raw.rindex("]")
        return raw[:raw.index("[") + 1] + element + raw[close:]
    start, end = items[-1]
    line_start = raw.rfind("\n", 0, start) + 1
    indent = raw[line_start:start]
    if line_start and indent.strip() == "":  # the last element starts its own line: so does ours, as indented
        gap = ("\r\n" if raw[line_start - 2:line_start] == "\r\n" else "\n") + indent
    else:  # elements on one line: `[1, 2]` gets `, 3`
        gap = " "
        if len(items) > 1:
            between = raw[items[-2][1]:start]
            after_comma = between[between.index(",") + 1:] if "," in between else " "
            gap = after_comma if after_comma.strip() == "" and "\n" not in after_comma else " "
    return raw[:end] + "," + gap + element + raw[end:]


def drop(raw: str, index: int) -> str:
    """The array without element `index`, with the comma that joined it to its neighbour."""
    items = spans(raw)
    start, end = items[index]
    if index > 0:
        return raw[:items[index - 1][1]] + raw[end:]
    if len(items) > 1:
        return raw[:start] + raw[items[1][0]:]
    return raw[:raw.index("[") + 1] + raw[raw.rindex("]"):]


def replace(raw: str, index: int, element: str) -> str:
    start, end = spans(raw)[index]
    return raw[:start] + element + raw[end:]
