"""Odd-but-valid shell rc files: BOM, CRLF (copied from Windows), no final newline, keyconf's markers inside
strings, huge files; non-UTF-8 is refused naming the file and line.

For each generated pair of ~/.bashrc and ~/.zshrc: `use shell` for bash, zsh and fish then `remove shell`
gives the same bytes, a second `use` changes nothing, keyconf's block lines end in LF whatever the file
uses, and (for a sample) real bash and zsh sourcing the file get the variables. KEYCONF_ODD_EXAMPLES sets
how many (default 300; 1000+ for the big run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, require_tool, run_keyconf, snapshot
from keyconf.osenv import shellenv

pytestmark = pytest.mark.shells

EXAMPLES = int(os.environ.get("KEYCONF_ODD_EXAMPLES", "300"))
SOURCE_EVERY = 20  # every Nth example is also sourced by real bash and zsh
TALLY: Counter = Counter()
URL = "https://relay.example.com"
USE = ("use", "shell", "--base-url", URL, "--no-verify", "--shell", "bash", "--shell", "zsh", "--shell", "fish")

# Each line is one complete command or comment, so a shell that trips on one line (a CR, a BOM) still
# runs the next: what the sample checks is that keyconf's block runs whatever the user's lines do.
LINES = [
    "", "   ", "\t", "# ~/.bashrc: executed by bash(1) for non-login shells.", "# ünïcödé ✓ 数 😀",
    'export PATH="$HOME/bin:$PATH"', "alias ll='ls -alF'", "HISTCONTROL=ignoreboth", "PS1='\\u@\\h:\\w\\$ '",
    'echo "# >>> keyconf >>>" >/dev/null', "echo '# <<< keyconf <<<' >/dev/null",
    "X='# >>> keyconf >>> not ours'", "  # >>> keyconf >>> in a longer comment", "# <<< keyconf <<< stray end",
    "# >>> conda initialize >>>", "# <<< conda initialize <<<", "true # trailing comment",
    "[ -f ~/.aliases ] && . ~/.aliases", "export OPENAI_BASE_URL=https://old.example.com/v1",
]


@st.composite
def rc_files(draw) -> bytes:
    lines = draw(st.lists(st.sampled_from(LINES), max_size=12))
    nl = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    end = draw(st.sampled_from(["", "nl", "nl2", "spaces"]))
    text = ""
    for i, line in enumerate(lines):
        sep = ("\r\n" if i % 2 else "\n") if nl == "mixed" else nl
        text += line + (sep if i < len(lines) - 1 else "")
    if lines:
        text += {"": "", "nl": "\n" if nl == "\n" else "\r\n", "nl2": "\n\n" if nl == "\n" else "\r\n\r\n",
                 "spaces": "  "}[end]
    raw = text.encode()
    if draw(st.booleans()) and draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    return raw


def _source(shell: str, rc, home) -> str:
    """Source `rc` in the real shell and print the key variable."""
    exe = require_tool(shell)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run([exe, "-c", f'. "{rc}" 2>/dev/null; printf %s "$OPENAI_API_KEY"'], capture_output=True,
                          timeout=60, env=env)
    return done.stdout.decode()


def _block(raw: bytes) -> bytes:
    """keyconf's block: the only place its start marker begins a line (the generated lines hold it mid-line)."""
    import re

    start = re.search(rb"(?m)^(?:\xef\xbb\xbf)?" + re.escape(shellenv.BEGIN.encode()), raw).start()
    end = raw.index(shellenv.END.encode(), start) + len(shellenv.END)
    return raw[start:end + 1].removeprefix(b"\xef\xbb\xbf")


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if TALLY:
        print(f"\nodd rc files: {dict(TALLY)}")


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rc_files(), rc_files())
def test_odd_rc_files_round_trip(home, monkeypatch, bashrc, zshrc):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # durability is the crash harness's subject
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    (home / ".bashrc").write_bytes(bashrc)
    (home / ".zshrc").write_bytes(zshrc)
    before = snapshot(home)
    result = run_keyconf(*USE)
    TALLY[f"exit {result.code}"] += 1
    assert result.code == 0, result.output
    for name, original in ((".bashrc", bashrc), (".zshrc", zshrc)):
        raw = (home / name).read_bytes()
        assert raw.startswith(original)
        block = _block(raw)
        assert b"\r" not in block and block.endswith(b"\n")  # the block's lines end in LF
        assert KEY.encode() not in raw
    once = snapshot(home)
    again = run_keyconf(*USE)
    assert again.code == 0 and snapshot(home) == once, again.output
    # A BOM makes the first line a command that can stop bash or zsh before the block (bom_warning says so)
    if TALLY["exit 0"] % SOURCE_EVERY == 1 and not bashrc.startswith(b"\xef") and not zshrc.startswith(b"\xef"):
        assert _source("bash", home / ".bashrc", home) == KEY
        assert _source("zsh", home / ".zshrc", home) == KEY
        TALLY["sourced by bash and zsh"] += 1
    removed = run_keyconf("remove", "shell")
    assert removed.code == 0, removed.output
    assert snapshot(home) == before
    TALLY["round trips"] += 1


# ---- fixed cases -----------------------------------------------------------------------------------------

WINDOWS_RC = b"\xef\xbb\xbf# copied from Windows\r\nexport PATH=\"$HOME/bin:$PATH\"\r\nalias ll='ls -l'"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_crlf_file_gets_an_lf_block_that_the_real_shell_runs(home, monkeypatch, shell):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    rc = home / (".bashrc" if shell == "bash" else ".zshrc")
    rc.write_bytes(WINDOWS_RC)
    assert run_keyconf("use", "shell", "--base-url", URL, "--no-verify", "--shell", shell).code == 0
    raw = rc.read_bytes()
    # the user's last line is ended with LF (so it runs too), then keyconf's block, all LF
    assert raw.startswith(WINDOWS_RC + b"\n" + shellenv.BEGIN.encode() + b"\n") and b"\r" not in raw[len(WINDOWS_RC):]
    assert _source(shell, rc, home) == KEY
    assert run_keyconf("remove", "shell").code == 0
    assert rc.read_bytes() == WINDOWS_RC


def test_crlf_warning_names_the_file_only_when_other_lines_use_crlf():
    block = "# >>> keyconf >>>\n. x\n# <<< keyconf <<<\n"
    crlf = shellenv.RcText(b"a\r\nb\r\n", "~/.bashrc")
    assert "~/.bashrc" in crlf.crlf_warning and "dos2unix" in crlf.crlf_warning
    assert shellenv.RcText(b"a\nb\n", "~/.bashrc").crlf_warning is None
    # an old keyconf block written with CRLF is keyconf's own: no warning for it, and it is replaced by LF
    old = shellenv.RcText(b"a\n" + block.replace("\n", "\r\n").encode(), "~/.zshrc")
    assert old.crlf_warning is None
    old.set_block(block, "")
    assert old.text == "a\n" + block
    # PowerShell reads CRLF: its profile keeps CRLF, with no warning
    ps = shellenv.RcText(b"Import-Module x\r\n", "~/Documents/PowerShell/Microsoft.PowerShell_profile.ps1")
    assert ps.crlf_warning is None and ps.nl == "\r\n"
    assert "byte-order mark" in shellenv.RcText(b"\xef\xbb\xbfa\n", "~/.bashrc").warnings()[0]


def test_marker_inside_a_string_is_not_a_block_and_a_real_one_is_found_after_it(home, monkeypatch):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    original = b'echo "# >>> keyconf >>>"\nX="# <<< keyconf <<<"\n'
    (home / ".bashrc").write_bytes(original)
    args = ("use", "shell", "--base-url", URL, "--no-verify", "--shell", "bash")
    assert run_keyconf(*args).code == 0
    once = (home / ".bashrc").read_bytes()
    assert once.count(shellenv.BEGIN.encode()) == 2  # the user's string and keyconf's block
    assert run_keyconf(*args).code == 0 and (home / ".bashrc").read_bytes() == once
    assert run_keyconf("remove", "shell").code == 0
    assert (home / ".bashrc").read_bytes() == original


@pytest.mark.parametrize("content,message", [
    (b"# caf\xe9 (Latin-1)\nalias ll='ls -l'\n", ".bashrc, line 1: not UTF-8"),
    (b"a=1\nb=2\n\xff\xfe\n", ".bashrc, line 3: not UTF-8"),
    (b"# >>> keyconf >>>\n. x\n", "start marker but no end marker"),
    (b"# >>> keyconf >>>\n# <<< keyconf <<<\n# >>> keyconf >>>\n# <<< keyconf <<<\n", "2 keyconf blocks"),
])
def test_files_keyconf_cannot_edit_are_exit_3_naming_them(home, monkeypatch, content, message):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    (home / ".bashrc").write_bytes(content)
    before = snapshot(home)
    result = run_keyconf("use", "shell", "--base-url", URL, "--no-verify", "--shell", "bash")
    assert result.code == 3, result.output
    assert message in result.stderr
    assert snapshot(home) == before


def test_huge_rc_file_round_trips(home, monkeypatch):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    line = b"alias x='echo # >>> keyconf >>> ' # padding padding padding padding padding\r\n"
    original = line * (20_000_000 // len(line))  # 20 MB, CRLF, markers in every line
    (home / ".bashrc").write_bytes(original)
    assert run_keyconf("use", "shell", "--base-url", URL, "--no-verify", "--shell", "bash").code == 0
    assert (home / ".bashrc").read_bytes().startswith(original + shellenv.BEGIN.encode() + b"\n")
    assert run_keyconf("remove", "shell").code == 0
    assert (home / ".bashrc").read_bytes() == original


def test_lines_that_stop_zsh_are_why_the_warning_exists(home, monkeypatch):
    """zsh stops reading a file at `HISTSIZE=1000\\r` (bad math): keyconf's block can't run after it, so
    the warning says so; bash carries on."""
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    for name in (".bashrc", ".zshrc"):
        (home / name).write_bytes(b"HISTSIZE=1000\r\n")
    assert run_keyconf("use", "shell", "--base-url", URL, "--no-verify", "--shell", "bash", "--shell", "zsh").code == 0
    assert _source("bash", home / ".bashrc", home) == KEY
    assert _source("zsh", home / ".zshrc", home) == ""
    assert "zsh may stop reading" in shellenv.RcText((home / ".zshrc").read_bytes(), "~/.zshrc").crlf_warning
