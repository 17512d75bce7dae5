"""`.env` files as Node's dotenv (16, 17) reads them, and keyconf's one marked block in such a file.

Gemini CLI (`~/.gemini/.env`) and Qwen Code (`~/.qwen/.env`) load their file with dotenv's `parse`: no escapes,
quoted values may span lines, a later assignment of a name replaces an earlier one. keyconf appends one block
between its shell markers and re-parses the whole result: every user's variable must read as before, ours as
meant, or nothing is written (a user's unclosed quote would swallow our lines; a user's line after our block
would beat ours).
"""

from __future__ import annotations

import re

from keyconf.errors import UnsafeEdit

# dotenv's own LINE pattern, with JS's ASCII `\w` spelled out (the same text in Gemini CLI 0.61 and Qwen Code
# 0.24's bundles).
_LINE = re.compile(r"(?:^|^)\s*(?:export\s+)?([A-Za-z0-9_.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|"
                   r"\s*\"(?:\\\"|[^\"])*\"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)", re.M)
_QUOTED = re.compile(r"^(['\"`])([\s\S]*)\1$", re.M)
BEGIN = "# >>> keyconf >>>"  # the same markers as the shell blocks (shellenv.RcText finds them)
END = "# <<< keyconf <<<"


def parse(text: str) -> dict[str, str]:
    """The variables a `.env` text gives the client (a line-for-line port of dotenv's `parse`)."""
    found: dict[str, str] = {}
    for match in _LINE.finditer(re.sub(r"\r\n?", "\n", text)):
        value = (match.group(2) or "").strip()
        quote = value[:1]
        value = _QUOTED.sub(r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        found[match.group(1)] = value
    return found


def assignment(name: str, value: str) -> str | None:
    """`NAME='value'`, or another quote when the value holds a `'`: whichever reads back exactly; None when
    none does (dotenv has no escapes, so a value with `'`, `"` and a backtick, plus a `#` or a `\\n`, has no
    spelling)."""
    for quote in ("'", '"', "`"):
        line = f"{name}={quote}{value}{quote}"
        if parse(line).get(name) == value:
            return line
    return None


class EnvFile:
    """A `.env` file's text with at most one keyconf block; every byte outside the block kept."""

    def __init__(self, content: bytes | None, name: str, client: str, title: str):
        from keyconf.osenv.shellenv import RcText

        self._rc = RcText(content, name, family="dotenv")
        self.name = name
        self.client, self.title = client, title  # for the messages
        self.existed = self._rc.existed

    @property
    def text(self) -> str:
        return self._rc.text

    def new_record(self) -> dict:
        """What keyconf adds besides its block, remembered for taking it out: a newline ending the user's last
        line, and whether it made the file."""
        return {"sep": self._rc.separator(), "created": not self._rc.existed}

    def outside(self) -> dict[str, str]:
        """The variables set outside keyconf's block."""
        span = self._rc._span()
        text = self.text if span is None else self.text[:span[0]] + self.text[span[1]:]
        return parse(text)

    def put(self, lines: list[str], record: dict) -> bytes | None:
        """The file with keyconf's block holding `lines` (a comment, then `assignment`s), checked."""
        intended = {**self.outside(), **parse("\n".join(lines))}
        block = self._rc.nl.join([BEGIN, *lines, END]) + self._rc.nl
        self._rc.set_block(block, record["sep"])
        self._guard(intended)
        return self._rc.content(record["created"])

    def drop(self, record: dict) -> bytes | None:
        """The file without keyconf's block, checked: the user's variables read as they did with it."""
        intended = self.outside()
        self._rc.remove_block(record.get("sep", ""))
        self._guard(intended)
        return self._rc.content(record.get("created", False))

    def _guard(self, intended: dict) -> None:
        result = parse(self.text)
        if result != intended:
            wrong = sorted(n for n in set(result) | set(intended) if result.get(n) != intended.get(n))
            raise UnsafeEdit(f"{self.name}: with keyconf's block, {self.title} would read {', '.join(wrong)} "
                             "differently than meant; nothing was written",
                             hint="look for an unclosed quote, or a line after keyconf's block setting the same "
                                  "variable, and fix it by hand", client=self.client)
