"""Where an apply file's keys come from: `{ env = "VAR" }`, `{ prompt = true }`, `{ stdin = true }`,
`{ command = [...] }` or `{ stored = true }`.

`spec_from_toml` checks the form (applyfile.py adds the file and line); `resolve_keys` fetches every key once,
in file order. All I/O is injected (environment, stdin stream, prompt, stored-key reader) so the caller
decides what a terminal is and tests need no monkeypatching of `sys`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TextIO

from keyconf.errors import SecretStoreError, UsageError
from keyconf.keys.input import clean_key
from keyconf.masking import redact, remember

KINDS = ("env", "prompt", "stdin", "command", "stored")
FORMS = ('{ env = "VAR" }', "{ prompt = true }", "{ stdin = true }", '{ command = ["program", "arg", ...] }',
         "{ stored = true }")
COMMAND_TIMEOUT = 15.0
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class KeySpec:
    """One key source: `kind` is one of KINDS; `arg` is the variable name (env), the argv list (command),
    or None."""

    def __init__(self, kind: str, arg=None):
        self.kind = kind
        self.arg = arg

    def __eq__(self, other) -> bool:
        return isinstance(other, KeySpec) and (self.kind, self.arg) == (other.kind, other.arg)

    def __repr__(self) -> str:
        return f"KeySpec({self.kind!r}, {self.arg!r})"

    def to_toml(self) -> str:
        """The inline table as written in an apply file."""
        from keyconf.formats.tomltext import string

        if self.kind == "env":
            return "{ env = " + string(self.arg) + " }"
        if self.kind == "command":
            return "{ command = [" + ", ".join(map(string, self.arg)) + "] }"
        return "{ " + self.kind + " = true }"


DEFAULT = KeySpec("prompt")


class BadSpec(ValueError):
    """The value is not one of the key source forms; the message never repeats a value (it may be a key)."""


def spec_from_toml(value) -> KeySpec:
    """`{ env = "WORK_KEY" }` -> KeySpec("env", "WORK_KEY"). Raises BadSpec naming what is wrong."""
    if isinstance(value, str):
        # Someone wrote the key itself into the file: refuse without repeating it.
        raise BadSpec("must be a key source such as { env = \"VAR\" }, not a string: "
                      "the file must not hold the key itself")
    if not isinstance(value, dict):
        raise BadSpec(f"must be an inline table, one of {', '.join(FORMS)}")
    unknown = [k for k in value if k not in KINDS]
    if unknown:
        shown = repr(unknown[0]) if len(unknown[0]) <= 20 and not unknown[0].startswith("sk-") else "(a long name)"
        raise BadSpec(f"has an unknown key source {shown}; use exactly one of {', '.join(FORMS)}")
    if len(value) != 1:
        raise BadSpec(f"must name exactly one key source, not {len(value)}; use one of {', '.join(FORMS)}")
    kind, arg = next(iter(value.items()))
    if kind == "env":
        if not isinstance(arg, str) or not _ENV_NAME.fullmatch(arg):
            raise BadSpec('{ env = "VAR" } needs the name of an environment variable (letters, digits, _), '
                          "not the key itself")
        return KeySpec("env", arg)
    if kind == "command":
        if not isinstance(arg, list) or not arg or not all(isinstance(a, str) for a in arg) or not arg[0]:
            raise BadSpec('{ command = [...] } needs a non-empty list of strings, like ["op", "read", "op://v/k"] '
                          "(run without a shell)")
        return KeySpec("command", list(arg))
    if arg is not True:
        raise BadSpec(f"{{ {kind} = ... }} takes only true (leave `key` out for the default, a prompt)")
    return KeySpec(kind)


# ---- resolving ----------------------------------------------------------------------------------

class KeyIO:
    """The one way keys (and Base URLs) come in, built by the Session: the environment, standard input,
    and a terminal to ask. `stdin` None means standard input is not available for keys (the apply file itself
    came from `-`); `prompt` (hidden) and `ask` (visible) None mean there is no terminal; `read_stored(profile)`
    returns the key in keyconf's secret store or None."""

    def __init__(self, env: Mapping[str, str], stdin: TextIO | None = None,
                 prompt: Callable[[str], str] | None = None,
                 read_stored: Callable[[str], str | None] | None = None,
                 timeout: float = COMMAND_TIMEOUT, *, ask: Callable[[str], str] | None = None):
        self.env = env
        self.stdin = stdin
        self.prompt = prompt
        self.read_stored = read_stored
        self.timeout = timeout
        self.ask = ask


def resolve_keys(profiles: Iterable, io: KeyIO) -> dict[str, str]:
    """{profile name: key} for every profile (objects with .name, .base_url, .key_source and optionally
    .where). Profiles are taken in the order given (file order), so `{ stdin = true }` profiles read one
    line each in that order, and every key is fetched exactly once however many clients share it."""
    keys: dict[str, str] = {}
    for profile in profiles:
        if profile.name not in keys:
            keys[profile.name] = resolve_key(profile, io)
    return keys


def resolve_key(profile, io: KeyIO) -> str:
    spec: KeySpec = profile.key_source
    where = getattr(profile, "where", "")
    label = f"{where}: profile {profile.name!r}" if where else f"profile {profile.name!r}"
    raw = _READERS[spec.kind](profile, spec, io, label)
    try:
        return clean_key(raw)
    except UsageError as exc:
        raise UsageError(f"{label}: {exc.message} ({_describe(spec)})", hint=exc.hint) from None


def _describe(spec: KeySpec) -> str:
    return {"env": f"from ${spec.arg}", "prompt": "typed at the prompt", "stdin": "read from standard input",
            "command": f"printed by {_program(spec)}", "stored": "from keyconf's secret store"}[spec.kind]


def _program(spec: KeySpec) -> str:
    return spec.arg[0] if spec.arg else "?"


def _from_env(profile, spec: KeySpec, io: KeyIO, label: str) -> str:
    if spec.arg not in io.env:
        raise UsageError(f"{label}: environment variable {spec.arg} is not set",
                         hint=f"export {spec.arg} before running keyconf (the file says key = {spec.to_toml()})")
    return io.env[spec.arg]


def _from_prompt(profile, spec: KeySpec, io: KeyIO, label: str) -> str:
    if io.prompt is None:
        raise UsageError(f"{label}: the key is to be typed at a prompt, but there is no terminal to ask",
                         hint='in the file, give the key a source that needs no terminal: { env = "VAR" }, '
                              '{ stdin = true }, { command = [...] } or { stored = true }')
    return io.prompt(f"API key for profile {profile.name} ({profile.base_url}) (input hidden)")


def _from_stdin(profile, spec: KeySpec, io: KeyIO, label: str) -> str:
    if io.stdin is None:
        raise UsageError(f"{label}: the key is to be read from standard input, but standard input is the apply "
                         "file itself", hint='save the file and pass its path, or use { env = "VAR" } for keys')
    line = io.stdin.readline()
    if not line:
        raise UsageError(f"{label}: standard input ended before this profile's key",
                         hint="give one line per { stdin = true } profile, in the order of the file")
    return line


def _from_command(profile, spec: KeySpec, io: KeyIO, label: str) -> str:
    return run_key_command(spec.arg, env=io.env, timeout=io.timeout, label=label)


def _from_store(profile, spec: KeySpec, io: KeyIO, label: str) -> str:
    key = io.read_stored(profile.name) if io.read_stored is not None else None
    if not key:
        raise UsageError(f"{label}: no key is stored for this profile on this machine",
                         hint="the first apply on a machine needs another source: { prompt = true }, "
                              '{ env = "VAR" }, { stdin = true } or { command = [...] }')
    return key


_READERS = {"env": _from_env, "prompt": _from_prompt, "stdin": _from_stdin, "command": _from_command,
            "stored": _from_store}


def run_key_command(argv: list[str], *, env: Mapping[str, str], timeout: float = COMMAND_TIMEOUT,
                    label: str = "key command") -> str:
    """Run a password manager's command (no shell) and return the first line of its output.

    Its stdin is closed so that it can't swallow lines meant for `{ stdin = true }` profiles; it runs in a
    session of its own so that a timeout kills whatever it started too (`op` and `pass` spawn helpers).
    """
    import os
    import signal
    import subprocess

    program = argv[0]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(env), start_new_session=os.name != "nt")
    except FileNotFoundError:
        raise SecretStoreError(f"{label}: the key command {program!r} was not found",
                               hint="install it, or give its full path in the file's `command` list") from None
    except OSError as exc:
        raise SecretStoreError(f"{label}: the key command {program!r} could not be started: "
                               f"{exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if os.name != "nt":
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        proc.kill()
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            stream.close()
        raise SecretStoreError(f"{label}: the key command {program!r} did not finish within {timeout:g} s",
                               hint="is it waiting for a password or a sign-in? sign in first "
                                    "(e.g. `eval $(op signin)`), then run keyconf again") from None
    text = out.decode("utf-8", "replace")
    first = text.splitlines()[0].strip() if text else ""
    if proc.returncode != 0:
        remember(first if first and not any(c.isspace() for c in first) else None)  # mask it in stderr too
        detail = redact(err.decode("utf-8", "replace").strip())
        raise SecretStoreError(f"{label}: the key command {program!r} failed (exit status {proc.returncode})"
                               + (f": {_last_lines(detail)}" if detail else ""),
                               hint="run the command yourself to see what it needs") from None
    if not first:
        said = "an empty first line" if text.strip() else "nothing"
        raise SecretStoreError(f"{label}: the key command {program!r} printed {said}",
                               hint="it should print the key on the first line of its output")
    return first


def _last_lines(text: str, n: int = 5) -> str:
    """The end of a failed command's stderr, with anything shaped like a key masked (a password manager's
    error may quote the key it could not store, and keyconf has not been given that key)."""
    from keyconf.masking import redact_key_shaped

    return redact_key_shaped(" | ".join(text.splitlines()[-n:]))

