"""Where a key comes from: stdin, a named variable, KEYCONF_API_KEY, or a hidden prompt. Never argv.

A key is printable ASCII on one line. What people paste is often not: a `Bearer ` prefix copied from a
curl example, quotes from a config file, a zero-width space or soft hyphen from a chat app, a Cyrillic
letter that looks Latin. The harmless wrappers are removed (and the caller is told); everything else is
refused before anything is written, naming the character and its position, never echoing the key.
"""

from __future__ import annotations

import re

from keyconf.errors import UsageError
from keyconf.masking import mask, remember

MAX_KEY_BYTES = 4096
# Read at most this much from stdin: enough to tell "a key" from "a whole file", without reading a pipe
# that never ends.
_STDIN_LIMIT = 64 * 1024

_COMPLETE_KEY = "complete key: copy the whole key again with the dashboard's copy button"
_WRAPPERS = re.compile(r"(?i)^(?:authorization\s*:\s*)?bearer\s+")
_QUOTES = ("\"", "'", "`", "“”", "‘’")
# Only ASCII whitespace is trimmed: a no-break space or a C1 "next line" around a key is not harmless
# copy noise we can be sure of, so it is refused by name instead.
ASCII_SPACE = " \t\r\n\f\v"


def describe_char(ch: str) -> str:
    """`U+200B ZERO WIDTH SPACE`: how a character is named in messages (never the character itself)."""
    import unicodedata

    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # how Python decodes an invalid UTF-8 byte from the environment
        return f"byte 0x{code - 0xDC00:02X}, which is not valid UTF-8"
    name = unicodedata.name(ch, "")
    if not name:
        name = {0x7F: "DELETE", 0x1B: "ESCAPE", 0x09: "TAB", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN",
                0x00: "NULL"}.get(code, "CONTROL CHARACTER")
    return f"U+{code:04X} {name}"


def shown(text: str, limit: int = 80) -> str:
    """User input made safe to print: non-printable characters escaped (a terminal escape sequence in a
    pasted URL must not reach the terminal), key-looking runs masked, long input cut."""
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0x20 <= code < 0x7F or (code > 0xA0 and ch.isprintable()):
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    result = "".join(out) + ("…" if len(text) > limit else "")
    return re.sub(r"(?:sk-)?[A-Za-z0-9_\-]{24,}", lambda m: mask(m.group(0)), result)


def clean_key_with_notes(raw: str) -> tuple[str, list[str]]:
    """Unwrap a pasted key (surrounding whitespace, quotes, a `Bearer ` prefix) and check it.

    Returns the key and notes saying what was removed. Raises UsageError (exit 2) for an empty or
    oversized key, and for any character outside printable ASCII, naming its position.
    """
    notes: list[str] = []
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise UsageError(
            f"the key is {len(raw.encode('utf-8', 'surrogatepass'))} bytes long; a relay key is at most "
            f"{MAX_KEY_BYTES // 1024} KiB, so this is probably a whole file or page",
            hint=_COMPLETE_KEY,
        )
    key = raw.strip(ASCII_SPACE)
    for _ in range(2):  # `"Bearer sk-…"` and `Bearer "sk-…"` both occur
        unquoted = _unquote(key)
        if unquoted is not None:
            key = unquoted.strip(ASCII_SPACE)
            if "removed the quotes around the key" not in notes:
                notes.append("removed the quotes around the key")
        prefix = _WRAPPERS.match(key)
        if prefix:
            key = key[prefix.end():].strip(ASCII_SPACE)
            notes.append("removed the `Bearer ` prefix (keyconf adds it where a client needs it)")
    if not key:
        raise UsageError("the key is empty", hint="copy the complete key from the relay's dashboard")
    _refuse_odd_characters(key)
    remember(key)
    return key, notes


def clean_key(raw: str) -> str:
    """The key alone (see clean_key_with_notes)."""
    return clean_key_with_notes(raw)[0]


def _unquote(text: str) -> str | None:
    for pair in _QUOTES:
        open_, close = (pair, pair) if len(pair) == 1 else (pair[0], pair[1])
        if len(text) >= 2 and text.startswith(open_) and text.endswith(close):
            return text[1:-1]
    return None


def _refuse_odd_characters(key: str) -> None:
    import unicodedata

    bad = [(i, ch) for i, ch in enumerate(key) if not 0x21 <= ord(ch) <= 0x7E]
    if not bad:
        return
    position, ch = bad[0]
    if ord(ch) < 0x80 or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn"):
        kind = "whitespace or control characters (invisible ones included)"
    else:
        kind = "a character that is not plain ASCII (a lookalike letter?)"
    more = f", and {len(bad) - 1} more" if len(bad) > 1 else ""
    raise UsageError(
        f"the key contains {kind}: {describe_char(ch)} at character {position + 1} of {len(key)}{more}; "
        "it was probably not copied cleanly",
        hint=_COMPLETE_KEY + " (keys are plain ASCII; invisible characters come from chat apps, documents "
             "and web pages)",
    )


def key_from_bytes(data: bytes, source: str = "standard input") -> tuple[str, list[str]]:
    """One key from raw bytes (stdin): valid UTF-8, one non-empty line, then clean_key_with_notes."""
    if len(data) > MAX_KEY_BYTES + 2:  # a trailing CRLF is fine
        raise UsageError(f"{source} holds {len(data)} bytes; a relay key is at most "
                         f"{MAX_KEY_BYTES // 1024} KiB, so this is probably a whole file",
                         hint="pipe only the key, e.g. `printf %s \"$KEY\" | keyconf … --key-stdin`")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source} is not valid UTF-8 (byte 0x{data[exc.start]:02X} at offset {exc.start})",
                         hint="pipe the key as plain text; " + _COMPLETE_KEY) from None
    return key_from_text(text, source)


def key_from_text(text: str, source: str = "standard input") -> tuple[str, list[str]]:
    lines = [line for line in text.split("\n") if line.strip(ASCII_SPACE)]
    if not lines:
        raise UsageError(f"the key is empty ({source} holds no non-empty line)",
                         hint="pipe the key, e.g. `printf %s \"$KEY\" | keyconf …`")
    if len(lines) > 1:
        raise UsageError(f"the key must be one line, but {source} has {len(lines)} non-empty lines",
                         hint="pipe only the key (a key never spans lines: " + _COMPLETE_KEY + ")")
    return clean_key_with_notes(lines[0])


def _read_stdin(stream) -> tuple[str, list[str]]:
    if stream.isatty():  # typed by hand: one line, not until Ctrl-D
        return key_from_text(stream.readline())
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        return key_from_bytes(binary.read(_STDIN_LIMIT + 1))
    text = stream.read(_STDIN_LIMIT + 1)  # a text stream (tests, embedding): no bytes to check
    if len(text.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES + 2:
        return key_from_bytes(text.encode("utf-8", "surrogatepass"))
    return key_from_text(text)


# The readers below take a KeyIO (keys.sources): the environment, standard input and the terminal as the
# Session hands them over, never the process's own.

def read_key_with_notes(io, *, key_stdin: bool, key_env: str | None,
                        prompt: bool = True) -> tuple[str | None, list[str]]:
    """The key from one of the safe channels, and notes on what was cleaned; (None, []) if none and no prompt."""
    if key_stdin:
        return _read_stdin(io.stdin)
    if key_env:
        if key_env not in io.env:
            raise UsageError(f"--key-env {key_env}: that environment variable is not set")
        return clean_key_with_notes(io.env[key_env])
    from keyconf.settings import Settings

    api_key = Settings(io.env).api_key
    if api_key is not None:
        return clean_key_with_notes(api_key)
    if not prompt:
        return None, []
    if io.prompt is None:
        raise UsageError(
            "no key given and no terminal to ask for one",
            hint="pipe it with --key-stdin, name a variable with --key-env VAR, or set KEYCONF_API_KEY",
        )
    return clean_key_with_notes(io.prompt("API key (input hidden)"))


def prompt_hidden(label: str, what: str = "key") -> str:
    """A hidden prompt that says why when the answer is empty (click would just ask again, silently)."""
    import click

    for _ in range(3):
        answer = click.prompt(label, hide_input=True, default="", show_default=False, err=True)
        if answer.strip():
            return answer
        click.echo(f"the {what} is empty: copy it from the relay's dashboard (its copy button) and paste it here",
                   err=True)
    raise UsageError(f"no {what} was entered")


def ask_visible(label: str) -> str:
    import click

    return click.prompt(label, err=True)


def read_base_url(io, given: str | None, *, prompt: bool = True) -> str | None:
    """The raw Base URL from --base-url, KEYCONF_BASE_URL or a prompt (normalised by the caller)."""
    if given:
        return given
    from keyconf.settings import Settings

    base_url = Settings(io.env).base_url
    if base_url is not None:
        return base_url
    if not prompt:
        return None
    if io.ask is None:
        raise UsageError(
            "no Base URL given and no terminal to ask for one",
            hint="pass --base-url URL or set KEYCONF_BASE_URL",
        )
    return io.ask("Base URL (as shown on the dashboard)")
