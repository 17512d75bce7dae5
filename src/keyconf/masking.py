"""The one place that hides keys. Human output, --json, diffs and errors all pass through `redact`.

A key reaches the screen in more shapes than its own bytes: escaped inside JSON, percent-encoded in a
link, base64-encoded inside an import payload (at any byte alignment), quoted for a shell, or cut short
by a message that truncates it. `remember` precomputes every such form once, so that `redact` is a few
substring scans (each form is only looked for when a run of the key's letters and digits is present) and
one pass over the forms actually found. Keys keyconf was never given (a user's old token in a diff's
context lines) are caught by what surrounds them: a setting whose name says it holds a secret.
Light on purpose: `status` imports this module.
"""

from __future__ import annotations

import re

# A message that cuts a key short still shows one end of it: hide the first and last characters too.
END = 12
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")

_known: dict[str, None] = {}  # remembered keys, in order
# anchor -> {form: (mask, kind, [whole forms])}. Every form of a source contains the source's longest run of
# letters and digits (no encoding here touches them), so a text without the anchor holds none of its forms.
_groups: dict[str, dict[str, tuple[str, str, list]]] = {}

# Values of settings whose name says they hold a secret, for keys keyconf was never given (a user's old
# token in a diff's context lines). Quoted, in JSON, TOML, YAML and PowerShell: "ANTHROPIC_AUTH_TOKEN": "…",
# experimental_bearer_token = "…", $env:X_KEY = '…' (with '' for a quote). They start at the word, not at the
# name's first letter, so the regex engine can skip ahead.
_NAME_END = r"(?:TOKEN|KEY|SECRET|token|key|Key|secret)"
_SECRET_SETTING = re.compile(
    rf"""(?P<name>{_NAME_END}["']?\s*(?::|=)\s*)(?P<q>["'])(?P<val>(?:\\.|(?P=q)(?P=q)|(?!(?P=q)).)+)(?P=q)"""
)
# A shell word after `NAME=` (sh, also `export`, `declare -x`; and `NAME = value` as keyconf shows SQLite
# rows), `set -gx NAME ` (fish) or `setenv NAME ` (csh): any mix of '…' (fish's \' inside too), "…", \x
# and bare characters, or an unclosed quote to the end of the line, so export OPENAI_API_KEY='sk-a'\''b' is
# one value, not 'sk-a' and a rest. Each branch starts with a literal (`=`, `set`) and checks the name
# behind it, so the engine skips ahead (~2 ms per MB).
_SHELL_WORD = r"""(?:'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|\\.|['"][^\n]*|[^\s'"\\;&|<>()])+"""
_NAME_BEFORE_EQ = "|".join(f"(?<={w}{sp}=)" for w in ("TOKEN", "KEY", "SECRET", "token", "key", "Key", "secret")
                            for sp in ("", " "))
_SHELL_SETTING = re.compile(
    rf"(?P<pre>=(?:{_NAME_BEFORE_EQ})[ \t]*"
    rf"|set(?<![A-Za-z0-9_]set)(?:env)?[ \t]+(?:-[A-Za-z]+[ \t]+)*[A-Za-z0-9_]*{_NAME_END}[ \t]+)"
    rf"(?P<val>{_SHELL_WORD})"
)
_SECRET_NAME = re.compile(_NAME_END + "$")
_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def remember(secret: str | None) -> None:
    """Register a key so that every later line of output is scrubbed of it, in every form it can take."""
    if not isinstance(secret, str) or len(secret) < 4 or secret in _known:
        return
    if not secret.isprintable() or any(0xD800 <= ord(c) <= 0xDFFF for c in secret):
        secret = secret.encode("utf-8", "replace").decode("utf-8")  # a value read from odd bytes: its text
    _known[secret] = None
    masked = mask(secret)
    for source, form, kind, whole in _sources(secret):
        anchor = max(_ALNUM_RUN.findall(source), key=len, default="")
        if len(form) >= 4:
            entry = _groups.setdefault(anchor, {}).setdefault(form, (masked, kind, []))
            if entry[1] == kind and whole not in entry[2]:
                entry[2].append(whole)  # one end can be the end of several encodings of the key


_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")


def looks_like_key(text: str) -> bool:
    """An `sk-…` token: what relay dashboards hand out (and what must never be echoed from argv)."""
    return _KEY_SHAPED.fullmatch(text) is not None


def redact_key_shaped(text: str) -> str:
    """`redact`, and also every `sk-…` token, for text from outside that may quote a key keyconf was never
    given (a password manager's error output)."""
    return _KEY_SHAPED.sub(lambda m: mask(m.group(0)), redact(text))


def forget_all() -> None:
    """Forget every remembered key (a new process starts empty; tests start each command like one)."""
    _known.clear()
    _groups.clear()


def forms(secret: str) -> list[str]:
    """Every string `redact` hides for this key (for tests and for checks that scan files)."""
    return sorted({form for _, form, _, _ in _sources(secret) if len(form) >= 4}, key=len, reverse=True)


def _sources(secret: str):
    """(source, form, kind, whole form) for the key, its two ends and its base64 runs. An end's form is a
    prefix or suffix of the key's form by the same encoder (they all work a character at a time), so a
    found end can be widened to as much of the key as the text holds."""
    full = _encodings(secret)
    for form in full:
        yield secret, form, "key", form
    if len(secret) > END:
        head, tail = secret[:END], secret[-END:]
        for form, whole in zip(_encodings(head), full):
            yield head, form, "head" if whole.startswith(form) else "key", whole
        for form, whole in zip(_encodings(tail), full):
            yield tail, form, "tail" if whole.endswith(form) else "key", whole
    for run in _base64_runs(secret):
        for form in _run_forms(run):
            yield run, form, "run", form


def mask(secret: str | None) -> str:
    """Fixed-width mask: `sk-…abcd`. Short keys reveal nothing."""
    if not secret:
        return "(none)"
    head = "sk-" if secret.startswith("sk-") else "***"
    tail = secret[-4:] if len(secret) >= 12 else "****"
    return f"{head}…{tail}"


def display_value(value: str, secret: bool) -> str:
    """What to show for a value that is about to be quoted or serialised: mask a secret *before* quoting
    it, so the shown text never depends on redaction recognising the quoted form."""
    return mask(value) if secret else value


def redact(text: str) -> str:
    """Replace every form of every known key, and every value of a secret-looking setting, by its mask."""
    if _groups and text:
        present = []
        for anchor, group in _groups.items():
            if anchor in text:
                present += [form for form in group if form in text]
        if present:
            text = _replace(text, present)
    return _SECRET_SETTING.sub(_mask_setting, _SHELL_SETTING.sub(_mask_shell_setting, text))


def redact_data(value):
    """A copy of a JSON-ready value with every string redacted, for masking *before* serialising (a key
    escaped by json.dumps no longer looks like the key). A string under a secret-looking name is masked
    whole, as the setting heuristic does in text."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {(redact(k) if isinstance(k, str) else k): _redact_field(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value


def _redact_field(name, value):
    if isinstance(name, str) and isinstance(value, str) and _SECRET_NAME.search(name) and _looks_like_key(value):
        return mask(value)
    return redact_data(value)


def _looks_like_key(val: str) -> bool:
    # already masked, a variable reference, a sentence or command line, a variable's name (Codex's
    # env_key = "OPENAI_API_KEY"): not a key
    return (bool(val) and "…" not in val and not val.startswith(("$", "{", "[")) and " " not in val.strip()
            and not _VARIABLE_NAME.fullmatch(val))  # `key = { prompt = true }` (an apply file) is no key


def _mask_setting(m: re.Match) -> str:
    val = m.group("val")
    if not _looks_like_key(val):
        return m.group(0)
    return f"{m.group('name')}{m.group('q')}{mask(val)}{m.group('q')}"


def _mask_shell_setting(m: re.Match) -> str:
    word = m.group("val")
    value = re.sub(r"""\\(.)|['"]""", lambda e: e.group(1) or "", word)  # roughly what the shell sees
    if not _looks_like_key(value):
        return m.group(0)
    q = word[0] if word[0] in "'\"" else ""
    return f"{m.group('pre')}{q}{mask(value)}{q}"


# ---- the forms -----------------------------------------------------------------------------------

def _encodings(s: str) -> list[str]:
    """`s` as JSON, Python, URLs, HTML and every shell would write it (the inside of the quotes), always
    in the same order, one entry per encoder."""
    import json
    from urllib.parse import quote, quote_plus

    found = [s]
    for j in (json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1]):
        found += [j, j.replace("/", "\\/"),  # PHP and some loggers escape /
                  j.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")]  # Go's encoder
    py = s.replace("\\", "\\\\")
    found += [py, py.replace("'", "\\'")]  # repr(), whichever quote it picked
    # Python's quote (with and without /), urlencode, JavaScript's encodeURIComponent and encodeURI
    for safe in ("", "/", "!~*'()", ";,/?:@&=+$#!~*'()"):
        for encoded in (quote(s, safe=safe), quote_plus(s, safe=safe)):
            found += [encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)]
    html = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    found += [html.replace('"', "&quot;").replace("'", "&#x27;"), html.replace('"', "&#34;").replace("'", "&#39;")]
    # shells: keep in step with shellenv.quote (tests compare them)
    found += [s.replace("'", "'\\''"),  # sh '...'
              s.replace("'", "'\"'\"'"),  # shlex.quote
              re.sub(r'([\\"$`])', r"\\\1", s),  # sh "..."
              re.sub(r"([^A-Za-z0-9_./:=%+@,-])", r"\\\1", s),  # printf %q: unquoted, with backslashes
              s.replace("\\", "\\\\").replace("'", "\\'"),  # fish '...'
              re.sub(r"(['\u2018\u2019\u201a\u201b])", r"\1\1", s),  # PowerShell '...'
              re.sub(r'([`$"])', r"`\1", s)]  # PowerShell "..."
    return found


def _base64_runs(secret: str) -> set[str]:
    """The base64 characters that depend only on the key's bytes, wherever it sits in a larger payload
    (as is, or JSON-escaped: import links are base64 of JSON).

    At byte offset a (mod 3) inside a payload, the characters fully made of key bits are the same whatever
    surrounds the key; one character each side mixes in its neighbours' bits (redact takes those too).
    """
    import base64
    import json

    runs = set()
    for raw in {secret.encode("utf-8"), json.dumps(secret)[1:-1].encode("ascii"),
                json.dumps(secret, ensure_ascii=False)[1:-1].encode("utf-8")}:
        for a in range(3):
            encoded = base64.b64encode(b"\0" * a + raw).decode("ascii")
            run = encoded[-(-8 * a // 6):(8 * (a + len(raw))) // 6]
            if len(run) >= 8:  # shorter runs would hide random base64 text
                runs.add(run)
    return runs


def _run_forms(run: str) -> set[str]:
    """A base64 run as is, URL-safe, JSON-escaped and percent-encoded."""
    return {run, run.replace("+", "-").replace("/", "_"), run.replace("/", "\\/"),
            run.replace("+", "%2B").replace("/", "%2F"), run.replace("+", "%2b").replace("/", "%2f")}


# ---- replacing ------------------------------------------------------------------------------------

def _replace(text: str, present: list[str]) -> str:
    """Mask every occurrence of the present forms; overlapping spans are merged, so no piece survives."""
    owner = {}
    for group in _groups.values():
        for form in present:
            if form in group:
                owner.setdefault(form, group[form])
    spans = []
    for form, (masked, kind, wholes) in owner.items():
        at = text.find(form)
        while at >= 0:
            start, end = at, at + len(form)
            if kind == "run":
                start, end = _widen(text, start, end)
            elif kind == "tail":  # ...and as much of the key before it as the text holds
                start = min(_back(text, start, whole, len(whole) - len(form)) for whole in wholes)
            elif kind == "head":
                end = max(_forward(text, end, whole, len(form)) for whole in wholes)
            spans.append((start, end, masked))
            at = text.find(form, at + 1)
    spans.sort(key=lambda s: (s[0], -s[1]))
    parts, pos = [], 0
    for start, end, masked in spans:
        if start < pos:  # inside or across the span just masked: take the rest of it too
            pos = max(pos, end)
            continue
        parts += [text[pos:start], masked]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _back(text: str, start: int, whole: str, i: int) -> int:
    """Move `start` back over the characters of `whole` that come before its position i."""
    while i and start and text[start - 1] == whole[i - 1]:
        start, i = start - 1, i - 1
    return start


def _forward(text: str, end: int, whole: str, i: int) -> int:
    while i < len(whole) and end < len(text) and text[end] == whole[i]:
        end, i = end + 1, i + 1
    return end


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_HEX = frozenset("0123456789ABCDEFabcdef")


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A base64 run plus the character each side that holds some of the key's bits (written plain,
    percent-encoded or JSON-escaped), and the padding after it."""
    start -= _neighbour(text[max(start - 3, 0):start][::-1], backwards=True)
    end += _neighbour(text[end:end + 3])
    for _ in range(2):
        if text.startswith("=", end):
            end += 1
        elif text[end:end + 3] in ("%3D", "%3d"):
            end += 3
        else:
            break
    return start, end


def _neighbour(near: str, backwards: bool = False) -> int:
    """Length of one base64 character at the start of `near` (reversed when looking backwards)."""
    if len(near) == 3 and (near[2] if backwards else near[0]) == "%" and \
            (near[0] if backwards else near[2]) in _HEX and near[1] in _HEX:
        return 3
    if near[:2] == ("/\\" if backwards else "\\/"):
        return 2
    return 1 if near[:1] and near[:1] in _B64_CHARS else 0
