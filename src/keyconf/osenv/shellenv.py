"""Environment variables through shell start-up files, for every shell family and OS.

The values live in files keyconf owns under KEYCONF_HOME (0600), one per family (POSIX sh, fish,
PowerShell). Each rc file gets one marked block (conda init style) that sources the family's file, as
rustup's `. "$HOME/.cargo/env"` does, so a key never sits in a world-readable rc file. The env files are
derived from the bindings that use `--via env`, so several clients can share them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from keyconf import texts
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UsageError
from keyconf.formats import textblock
from keyconf.model import SHELLS, Binding, ClientStatus, EnvSpec
from keyconf.paths import Paths

FAMILY = {"bash": "posix", "zsh": "posix", "fish": "fish", "powershell": "powershell"}
ENV_FILE = {"posix": "keyconf.sh", "fish": "keyconf.fish", "powershell": "keyconf.ps1"}
BLOCK_TEMPLATE = {"posix": "block_posix.sh", "fish": "block_fish.fish", "powershell": "block_powershell.ps1"}
READS_CRLF = ("powershell", "dotenv")  # file kinds whose readers take CRLF lines as well as LF
BEGIN = "# >>> keyconf >>>"
END = "# <<< keyconf <<<"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ---- quoting ----------------------------------------------------------------------------------------

def quote(family: str, value: str) -> str:
    """A single-quoted literal that the shell gives back exactly: no expansion of $, `, \\ or %."""
    if "\x00" in value:
        raise UsageError("a value with a NUL character cannot be put into a shell variable")
    if family == "posix":
        return "'" + value.replace("'", "'\\''") + "'"
    if family == "fish":
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if family == "powershell":
        # PowerShell also treats the typographic quotes ‘ ’ ‚ ‛ as single quotes: double them too.
        return "'" + re.sub(r"(['\u2018\u2019\u201a\u201b])", r"\1\1", value) + "'"
    raise ValueError(family)


def assignment(family: str, name: str, value: str) -> str:
    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not a valid environment variable name")
    if family == "posix":
        return f"export {name}={quote(family, value)}"
    if family == "fish":
        return f"set -gx {name} {quote(family, value)}"
    return f"$env:{name} = {quote(family, value)}"


def render_env(family: str, variables: dict[str, str], clients: list[str]) -> str:
    header = texts.render("env_header.txt", clients=", ".join(clients) or "-")
    nl = "\r\n" if family == "powershell" and os.name == "nt" else "\n"
    # sorted: bindings come back from state.json in key order, and a re-run must render the same bytes
    lines = header.splitlines() + [assignment(family, n, v) for n, v in sorted(variables.items())]
    return nl.join(lines) + nl


# ---- where ---------------------------------------------------------------------------------------

def env_file(paths: Paths, family: str) -> Path:
    return paths.keyconf_home / "env" / ENV_FILE[family]


def powershell_profiles(paths: Paths, ask=None) -> list[Path]:
    """The $PROFILE reported by pwsh/powershell when one is installed, else the per-OS defaults."""
    reported = (ask or _ask_powershell)(paths)
    if reported:
        return [Path(reported)]
    if paths.platform == "windows":
        docs = paths.home / "Documents"
        return [docs / "PowerShell" / "Microsoft.PowerShell_profile.ps1",
                docs / "WindowsPowerShell" / "Microsoft.PowerShell_profile.ps1"]
    return [paths.xdg_config_home / "powershell" / "Microsoft.PowerShell_profile.ps1"]


def _ask_powershell(paths: Paths) -> str | None:
    from keyconf.osenv.system import which

    for exe in ("pwsh", "powershell"):
        found = which(exe, paths.env.get("PATH"))
        if not found:
            continue
        import subprocess

        try:
            done = subprocess.run([found, "-NoLogo", "-NoProfile", "-Command", "$PROFILE"], capture_output=True,
                                  text=True, timeout=15)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return None


def rc_files(paths: Paths, shell: str, ask=None) -> list[Path]:
    if shell == "bash":
        return [paths.home / (".bash_profile" if paths.platform == "macos" else ".bashrc")]
    if shell == "zsh":
        zdotdir = paths.env.get("ZDOTDIR", "").strip()
        return [Path(zdotdir or paths.home) / ".zshrc"]
    if shell == "fish":
        return [paths.xdg_config_home / "fish" / "conf.d" / "keyconf.fish"]
    return powershell_profiles(paths, ask)


def login_shell(env, platform: str) -> str:
    """The syntax to print for the user's shell (`env`, `run --print`): the login shell's, else bash (or
    PowerShell on Windows)."""
    import os
    from pathlib import PurePath

    login = PurePath(env.get("SHELL", "")).name
    if login in SHELLS:
        return login
    return "powershell" if platform == "windows" or os.name == "nt" else "bash"


def default_shells(paths: Paths) -> list[str]:
    """The shells this user has: the login shell, shells with an rc file, PowerShell on Windows."""
    found = []
    login = Path(paths.env.get("SHELL", "")).name
    if login in SHELLS:
        found.append(login)
    if (paths.home / ".bashrc").exists() or (paths.home / ".bash_profile").exists():
        found.append("bash")
    zdotdir = paths.env.get("ZDOTDIR", "").strip()
    if (Path(zdotdir or paths.home) / ".zshrc").exists():
        found.append("zsh")
    if (paths.xdg_config_home / "fish").is_dir():
        found.append("fish")
    if paths.platform == "windows":
        # The user variables in the registry reach every new program; a profile block adds nothing unless
        # PowerShell may run it (Windows PowerShell's default policy, Restricted, runs no profile at all).
        if runs_scripts(execution_policy(paths)[0]):
            found.append("powershell")
        return [s for s in SHELLS if s in found]
    if not found:
        found.append("zsh" if paths.platform == "macos" else "bash")
    return [s for s in SHELLS if s in found]


# PowerShell's answer to Get-ExecutionPolicy (effective, CurrentUser scope); tests replace `_ask_policy`.
NO_SCRIPTS = ("restricted", "allsigned", "undefined")  # AllSigned: keyconf's block is not signed;
                                                        # Undefined everywhere means Restricted


def execution_policy(paths: Paths) -> tuple[str | None, str | None]:
    """(effective policy, CurrentUser policy) from Windows PowerShell (else pwsh); (None, None) if none."""
    return _ask_policy(paths)


def runs_scripts(policy: str | None) -> bool:
    return bool(policy) and policy.strip().lower() not in NO_SCRIPTS


def _run_policy(paths: Paths) -> tuple[str | None, str | None]:
    from keyconf.osenv.system import which

    for exe in ("powershell", "pwsh"):
        found = which(exe, paths.env.get("PATH"))
        if not found:
            continue
        import subprocess

        try:
            done = subprocess.run([found, "-NoLogo", "-NoProfile", "-Command",
                                   "Get-ExecutionPolicy; Get-ExecutionPolicy -Scope CurrentUser"],
                                  capture_output=True, text=True, timeout=15)
        except (OSError, subprocess.SubprocessError):
            continue
        lines = done.stdout.split()
        if done.returncode == 0 and lines:
            return lines[0], (lines[1] if len(lines) > 1 else None)
    return None, None


_ask_policy = _run_policy


# ---- the marked block -----------------------------------------------------------------------------

class RcText:
    """An rc file with at most one keyconf block; all other bytes (BOM, CRLF, no final newline) kept.

    keyconf's block ends its lines in LF whatever the file uses: bash, zsh and fish read a CR as part of
    the command (`$'\\r': command not found`), so a CRLF block copied from the file would not run. A
    PowerShell profile (`.ps1`, or family="powershell") and a dotenv file (family="dotenv") keep the file's
    own line ending: PowerShell and dotenv parsers read both. `crlf_warning` tells the user when the file's
    other lines will fail in their shell.
    """

    _BEGIN_LINE = re.compile(r"^[ \t]*" + re.escape(BEGIN) + r"[ \t]*\r?$", re.MULTILINE)
    # dotenv and PowerShell also end a line at a bare CR: keyconf's block may follow one directly
    _BEGIN_AFTER_CR = re.compile(r"(?:^|(?<=\r))[ \t]*" + re.escape(BEGIN) + r"[ \t]*\r?$", re.MULTILINE)
    _END_LINE = re.compile(r"^[ \t]*" + re.escape(END) + r"[ \t]*\r?$", re.MULTILINE)

    def __init__(self, content: bytes | None, name: str, family: str | None = None):
        self.name = name
        self.existed = content is not None
        self.family = family or ("powershell" if name.lower().endswith(".ps1") else "posix")
        raw = content or b""
        self.bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            self.text = raw[3 if self.bom else 0:].decode("utf-8")
        except UnicodeDecodeError as exc:
            from keyconf.errors import UnsafeEdit

            line = raw[:exc.start].count(b"\n") + 1
            raise UnsafeEdit(f"{name}, line {line}: not UTF-8 text; keyconf will not edit it",
                             hint="save the file as UTF-8, then run keyconf again") from None
        self.nl = line_ending(self.text) if self.family in READS_CRLF else "\n"  # the newline of keyconf's lines
        self.notes: list[str] = []  # what the user is told about the file (a block keyconf did not write)

    def _span(self) -> tuple[int, int] | None:
        """keyconf's block: from a line that is exactly the start marker to the next end-marker line.

        Whole lines only, so a marker inside a string or a comment (`echo "# >>> keyconf >>>"`) is not ours.
        """
        begin_line = self._BEGIN_AFTER_CR if self.family in READS_CRLF else self._BEGIN_LINE
        starts = list(begin_line.finditer(self.text))
        if not starts:
            return None
        from keyconf.errors import UnsafeEdit

        if len(starts) > 1:
            lines = ", ".join(str(self.text.count("\n", 0, m.start()) + 1) for m in starts)
            raise UnsafeEdit(f"{self.name} has {len(starts)} keyconf blocks (lines {lines}); keyconf will not "
                             "guess which one is its own", hint=f"delete all but one block starting with "
                             f"`{BEGIN}`, then run keyconf again")
        begin = starts[0]
        end = self._END_LINE.search(self.text, begin.end())
        if end is None:
            line = self.text.count("\n", 0, begin.start()) + 1
            raise UnsafeEdit(f"{self.name}, line {line}: a keyconf start marker but no end marker",
                             hint=f"remove the broken block starting with `{BEGIN}` by hand")
        stop = end.end()
        if self.text.startswith("\n", stop):
            stop += 1
        return begin.start(), stop

    @property
    def crlf_warning(self) -> str | None:
        """For a unix shell's file with Windows line endings outside keyconf's block: what will break."""
        if self.family in READS_CRLF:
            return None
        span = self._span()
        rest = self.text if span is None else self.text[:span[0]] + self.text[span[1]:]
        if "\r\n" not in rest:
            return None
        return (f"{self.name} has Windows (CRLF) line endings: the shell reads the CR as part of each command, so "
                "its other lines fail (`$'\\r': command not found`) and zsh may stop reading the file before "
                f"keyconf's block; keyconf's own lines end in LF. Convert the file with `dos2unix {self.name}` "
                f"(or `sed -i 's/\\r$//' {self.name}`)")

    @property
    def bom_warning(self) -> str | None:
        if self.family in READS_CRLF or not self.bom:
            return None
        return (f"{self.name} starts with a UTF-8 byte-order mark, which the shell reads as part of the first "
                "command: that line fails, and bash or zsh may stop reading the file there, before keyconf's "
                "block; save the file without the mark (keyconf keeps it as it is)")

    def warnings(self) -> list[str]:
        return [w for w in (self.crlf_warning, self.bom_warning) if w]

    def separator(self) -> str:
        """Ends the user's last line if it has no newline yet (with LF, so that line runs in the shell too)."""
        if not self.text or self.text.endswith("\n"):
            return ""
        if self.text.endswith("\r") and self.family in READS_CRLF:
            return ""  # a bare CR ends the line for these readers (an LF after it would read as CRLF)
        return self.nl

    def set_block(self, block: str, sep: str) -> None:
        block = block.replace("\r\n", "\n").replace("\n", self.nl)
        self.text = textblock.put(self.text, self._span(), block, sep)

    def remove_block(self, sep: str) -> None:
        self.text = textblock.drop(self.text, self._span(), sep)

    # Whose block is it? keyconf records a digest of the block it wrote in the file's record. A block
    # there that keyconf has no record of (dotfiles synced from another machine, a lost keyconf folder) is
    # the user's: kept in the record and put back byte for byte on remove. A block keyconf wrote that
    # changed since (a line added inside it) is refused, naming the line: neither use nor remove may
    # delete the user's lines.

    def _line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def put_owned_block(self, block: str, record: dict) -> dict:
        """`set_block`, after checking that the block in the file (if any) is keyconf's; returns the
        record to keep (its `sep`, `created`, the digest of what was written, and a block kept for the user)."""
        record = dict(record)
        span = self._span()
        if span is not None:
            current = self.text[span[0]:span[1]]
            if "digest" in record and block_digest(current) != record["digest"]:
                raise self._changed_since(span, "overwrite")
            if "digest" not in record and not record.get("legacy"):
                record["kept"] = current
                self.notes.append(
                    f"{self.name}, line {self._line_of(span[0])}: the block between keyconf's markers was not "
                    "written by keyconf here (dotfiles copied from another machine, or a lost keyconf folder); "
                    "keyconf put its own block in its place and keeps yours: `keyconf remove` puts it back "
                    "byte for byte")
        record.pop("legacy", None)
        self.set_block(block, record.get("sep", ""))
        span = self._span()
        record["digest"] = block_digest(self.text[span[0]:span[1]])
        return record

    def take_owned_block(self, record: dict) -> None:
        """`remove_block` for keyconf's block: the user's block it replaced comes back in its place; a block
        changed since keyconf wrote it is refused (UnsafeEdit, exit 3, naming the file and line)."""
        span = self._span()
        if span is None:
            return
        if "digest" in record and block_digest(self.text[span[0]:span[1]]) != record["digest"]:
            raise self._changed_since(span, "delete")
        if "kept" in record:
            self.text = self.text[:span[0]] + record["kept"] + self.text[span[1]:]
        else:
            self.remove_block(record.get("sep", ""))

    def _changed_since(self, span, doing: str):
        from keyconf.errors import UnsafeEdit

        return UnsafeEdit(f"{self.name}, line {self._line_of(span[0])}: the lines between keyconf's markers "
                          f"changed since keyconf wrote them; keyconf will not {doing} your lines (nothing was "
                          "written)",
                          hint=f"move your own lines out of the block (`{BEGIN}` ... `{END}`), or delete the "
                               "block if it holds nothing of yours, then run keyconf again")

    def content(self, created: bool) -> bytes | None:
        if created and not self.text:
            return None
        return (b"\xef\xbb\xbf" if self.bom else b"") + self.text.encode("utf-8")


def line_ending(text: str) -> str:
    """The one rule for keyconf's lines in files whose readers take CRLF too (dotenv, PowerShell): CRLF
    when the file's first line ends in CRLF, else LF (an LF file, a bare-CR file, a file of one line).
    Measured on the first line only, and keyconf's block follows a bare-CR file's last CR directly (no LF
    of its own), so what keyconf wrote never turns the next run's answer around: a second `use` changes
    nothing."""
    at = text.find("\n")
    return "\r\n" if at > 0 and text[at - 1] == "\r" and "\r" not in text[:at - 1] else "\n"


def block_digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


# ---- planning -------------------------------------------------------------------------------------

def env_bindings(bindings: dict[str, Binding]) -> list[tuple[str, Binding]]:
    found = [(c, b) for c, b in bindings.items() if b.via == "env" and b.env is not None]
    return sorted(found, key=lambda cb: (cb[1].env.seq, cb[0]))


def variables(bindings: dict[str, Binding], key_of) -> dict[str, str]:
    """The merged variables of every env binding; a later `use` wins for a shared name."""
    merged: dict[str, str] = {}
    for _, binding in env_bindings(bindings):
        for name, spec in binding.env.vars.items():
            merged[name] = spec["value"] if "value" in spec else key_of(spec["key_of"])
    return merged


def plan(paths: Paths, bindings: dict, shell_state: dict, key_of, ask=None,
         warnings: list | None = None) -> tuple[list[FileEdit], dict]:
    """Edits that make env files and rc blocks match the env bindings; returns them and the new rc records.

    `shell_state` maps rc file path -> {"sep", "created"}: what keyconf added besides its block. Problems of
    a user's rc file that keyconf can't fix (CRLF lines, a BOM) are added to `warnings`.
    """
    envs = env_bindings(bindings)
    wanted_shells = {s for _, b in envs for s in b.env.shells}
    wanted_families = {FAMILY[s] for s in wanted_shells}
    merged = variables(bindings, key_of) if envs else {}
    clients = [c for c, _ in envs]
    edits: list[FileEdit] = []
    for family in ENV_FILE:
        path = env_file(paths, family)
        before = fsutil.read_bytes(path)
        after = render_env(family, merged, clients).encode("utf-8") if family in wanted_families and merged else None
        edits.append(FileEdit(path, before, after, private=True, client="shell"))
    records = dict(shell_state)
    candidates = {str(p): s for s in SHELLS for p in rc_files(paths, s, ask) if s in wanted_shells}
    for name in set(candidates) | set(records):
        path = Path(name)
        before = fsutil.read_bytes(path)
        shell = candidates.get(name)
        rc = RcText(before, paths.display(path), family=FAMILY[shell] if shell else None)
        if shell:
            # a record from before keyconf kept digests ("legacy"): its block is taken as keyconf's
            record = records.get(name) or {"sep": rc.separator(), "created": not rc.existed}
            if name in records and "digest" not in record:
                record = {**record, "legacy": True}
            family = FAMILY[shell]
            record = rc.put_owned_block(texts.render(BLOCK_TEMPLATE[family],
                                                     env_file=quote(family, str(env_file(paths, family)))), record)
            if warnings is not None:
                warnings.extend(w for w in rc.warnings() + rc.notes if w not in warnings)
            records[name] = record
        else:
            record = records.pop(name)
            if not rc.existed:
                continue
            rc.take_owned_block(record)
        edits.append(FileEdit(path, before, rc.content(record.get("created", False)), client="shell"))
    return edits, records


def env_spec(bindings: dict[str, Binding], client: str, variables: dict, shells, paths: Paths) -> EnvSpec:
    """What a client configured through environment variables exports, and into which shells."""
    old = bindings.get(client)
    old_env = old.env if old is not None and old.via == "env" else None
    chosen = list(shells) or (old_env.shells if old_env else None) or default_shells(paths)
    spec = EnvSpec(variables, chosen)
    if old_env and old_env.vars == spec.vars and old_env.shells == spec.shells:
        spec.seq = old_env.seq  # same as before: keep its place, so a re-run changes nothing
    else:
        # the latest `use` wins where two clients export the same variable
        spec.seq = max([b.env.seq for b in bindings.values() if b.env] + [0]) + 1
    return spec


def restart_note(shells) -> str:
    if not shells:  # Windows, user variables only
        return ("new terminals and apps started from now on see the user variables; open ones don't "
                "(`--shell powershell` also writes the PowerShell profile)")
    parts = ["open a new terminal (or source your rc file) to see the variables"]
    if "powershell" in shells:
        parts.append("new PowerShell windows load them; open ones don't")
    parts.append("apps started from a dock, menu or IDE launcher don't read shell files")
    return "; ".join(parts)


# ---- other places that set the same variables -----------------------------------------------------

def _patterns(name: str) -> list[re.Pattern]:
    n = re.escape(name)
    return [re.compile(rf"^\s*(export\s+|declare\s+-x\s+|typeset\s+-x\s+)?{n}="),
            re.compile(rf"^\s*set\s+(-[A-Za-z]+\s+)*{n}(\s|$)"),
            re.compile(rf"^\s*\$env:{n}\s*=", re.IGNORECASE),
            re.compile(rf"^\s*setenv\s+{n}\s")]


def other_setters(paths: Paths, names: list[str]) -> list[str]:
    """Lines outside keyconf's blocks, in the usual start-up files, that set one of `names`."""
    files = [paths.home / n for n in (".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshenv",
                                      ".zprofile", ".zshrc", ".zlogin")]
    zdotdir = paths.env.get("ZDOTDIR", "").strip()
    if zdotdir:
        files += [Path(zdotdir) / n for n in (".zshenv", ".zprofile", ".zshrc")]
    fish = paths.xdg_config_home / "fish"
    files.append(fish / "config.fish")
    if (fish / "conf.d").is_dir():
        files += sorted(p for p in (fish / "conf.d").glob("*.fish") if p.name != "keyconf.fish")
    files += powershell_profiles(paths, ask=lambda p: None)
    found = []
    seen = set()
    for path in files:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            lines = path.read_text("utf-8", "replace").splitlines()
        except OSError:
            continue
        inside = False
        for number, line in enumerate(lines, 1):
            if line.strip() == BEGIN:
                inside = True
            elif line.strip() == END:
                inside = False
            elif not inside:
                for name in names:
                    if any(p.search(line) for p in _patterns(name)):
                        found.append(f"{paths.display(path)}:{number} sets {name}")
    return found


def env_status(client: str, installed: bool, paths: Paths, binding: Binding | None, names) -> ClientStatus:
    """Status of a client bound through shell variables (every `--via env` client, and `shell`)."""
    from keyconf.masking import mask

    configured = binding is not None and binding.via == "env" and binding.env is not None
    st = ClientStatus(client, installed, configured, profile=binding.profile if binding else None,
                      via=binding.via if binding else None)
    if configured:
        specs = binding.env.vars
        st.base_url = next((s["value"] for n, s in specs.items() if n.endswith("BASE_URL") and "value" in s), None)
        st.key = f"(in {paths.display(env_file(paths, 'posix'))}, profile {st.profile})"
        st.model = next((s["value"] for n, s in specs.items() if n.endswith("_MODEL") and "value" in s), None)
        for shell in binding.env.shells:
            st.where += [paths.display(p) for p in rc_files(paths, shell, ask=lambda p: None)]
        if paths.platform == "windows":
            st.where.append("HKCU\\Environment (user variables)")
        st.notes.append("shells: " + (", ".join(binding.env.shells) or "none (user variables only)"))
    for line in other_setters(paths, list(names)):
        st.conflicts.append(line)
    for name in names:
        value = paths.env.get(name)
        if value and not configured:
            shown = mask(value) if "KEY" in name or "TOKEN" in name else value
            st.conflicts.append(f"{name} is set in this environment ({shown})")
    return st
