"""`.env` files as the dotenv package (17.x) reads them: Gemini CLI's `~/.gemini/.env`, and the other clients
that read one (Qwen Code, Hermes, ...). keyconf edits them as one marked block (the shell blocks' markers, so
`osenv.shellenv.RcText(family="dotenv")` finds it), then re-reads the whole file as the client will.
"""

from __future__ import annotations

import re

from keyconf.errors import UnsafeEdit

BEGIN = "# >>> keyconf >>>"  # the same markers as the shell blocks
END = "# <<< keyconf <<<"

# dotenv's own LINE pattern, with JS's ASCII `\w` spelled out. Quoted values may span lines; no escapes
# exist except `\n`/`\r` inside double quotes; a later assignment of a name replaces an earlier one.
_LINE = re.compile(r"(?:^|^)\s*(?:export\s+)?([A-Za-z0-9_.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|"
                   r"\s*\"(?:\\\"|[^\"])*\"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)", re.M)
_QUOTED = re.compile(r"^(['\"`])([\s\S]*)\1$", re.M)


class NoSpelling(ValueError):
    """A value no quoting spells exactly in a .env (it holds ', " and ` together)."""


def parse(text: str) -> dict[str, str]:
    """The variables a `.env` text gives its reader (a line-for-line port of dotenv's `parse`)."""
    found: dict[str, str] = {}
    for match in _LINE.finditer(re.sub(r"\r\n?", "\n", text)):
        value = (match.group(2) or "").strip()
        quote = value[:1]
        value = _QUOTED.sub(r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        found[match.group(1)] = value
    return found


def assignment(name: str, value: str) -> str:
    """`NAME='value'`, or another quote when the value holds a `'`: whichever reads back exactly.

    dotenv has no escapes, so a value with `'`, `"` and a backtick (plus a `#`, or a `\\n`) has no spelling:
    NoSpelling, for the caller to explain."""
    for quote in ("'", '"', "`"):
        line = f"{name}={quote}{value}{quote}"
        if parse(line).get(name) == value:
            return line
    raise NoSpelling(name)


def without_block(env) -> str:
    """The text of an RcText without keyconf's block."""
    span = env._span()
    return env.text if span is None else env.text[:span[0]] + env.text[span[1]:]


def guard(env, intended: dict, *, reader: str, client: str) -> None:
    """Re-read the new text as the client will; refuse if any variable differs from what was meant (a user's
    unclosed quote would swallow our lines; a user's line after our block would beat ours)."""
    result = parse(env.text)
    if result != intended:
        wrong = sorted(n for n in set(result) | set(intended) if result.get(n) != intended.get(n))
        raise UnsafeEdit(f"{env.name}: with keyconf's block, {reader} would read {', '.join(wrong)} "
                         "differently than meant; nothing was written",
                         hint="look for an unclosed quote, or a line after keyconf's block setting the same "
                              "variable, and fix it by hand", client=client)
