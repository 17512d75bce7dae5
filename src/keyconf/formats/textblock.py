"""A block of keyconf's own lines inside a user's text file (a Codex provider table, a shell rc block).

Added at the end after a separator (so the user's last line keeps its ending); replaced in place on a
re-run; removed together with that separator when it is still the last thing in the file, which gives
back the original bytes.
"""

from __future__ import annotations


def put(text: str, span: tuple[int, int] | None, block: str, sep: str) -> str:
    if span:
        return text[:span[0]] + block + text[span[1]:]
    return text + sep + block


def drop(text: str, span: tuple[int, int] | None, sep: str) -> str:
    if not span:
        return text
    start, end = span
    if sep and text[:start].endswith(sep) and not text[end:].strip("\r\n"):
        start -= len(sep)
    return text[:start] + text[end:]
