"""A block between keyconf's markers that keyconf did not write is the user's (issue 20): dotfiles synced from
another machine, a lost keyconf folder, a line added inside keyconf's block. keyconf keeps it and puts it
back byte for byte on remove, or refuses (exit 3, naming the file and line); never deletes a user's line.

The generator builds ~/.bashrc and ~/.gemini/.env files from user lines with LF, CRLF or bare-CR endings,
some with a foreign keyconf block, and some runs add a line inside keyconf's block after `use`; every user
line must survive. KEYCONF_ODD_EXAMPLES sets how many (default 150).
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, run_keyconf

EXAMPLES = int(os.environ.get("KEYCONF_ODD_EXAMPLES", "150")) // 2
TALLY: Counter = Counter()
URL = "https://relay.example.com"
BEGIN, END = "# >>> keyconf >>>", "# <<< keyconf <<<"
TARGETS = {  # client -> (file under HOME, `use` arguments, user lines a file of that kind has)
    "shell": (".bashrc", ("--shell", "bash"),
              ["# my bashrc", "alias ll='ls -l'", 'export PATH="$HOME/bin:$PATH"', "set -o vi", "  # indented",
               "[ -f ~/.aliases ] && . ~/.aliases", "export OPENAI_API_KEY=sk-mine-from-laptop"]),
    "gemini-cli": (".gemini/.env", (),
                   ["# mine", "GOOGLE_CLOUD_PROJECT=p1", "DEBUG=1", "export NODE_OPTIONS='--max-old-space-size=4096'",
                    "GEMINI_API_KEY=sk-from-the-other-machine", "GOOGLE_GEMINI_BASE_URL=https://old.example.com"]),
}


def use(client: str):
    _, extra, _ = TARGETS[client]
    return run_keyconf("use", client, "--base-url", URL, "--no-verify", *extra)


@st.composite
def user_files(draw, client: str):
    """(bytes, the user's own lines in it)."""
    _, _, lines = TARGETS[client]
    nl = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    mine = draw(st.lists(st.sampled_from(lines), max_size=6))
    foreign = draw(st.sampled_from([None, "start", "middle", "end"])) if mine else draw(st.sampled_from([None, "end"]))
    inside = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=3))
    parts = list(mine)
    if foreign:
        block = [BEGIN, *inside, END]
        at = {"start": 0, "middle": len(parts) // 2, "end": len(parts)}[foreign]
        parts[at:at] = block
    text = nl.join(parts) + (nl if parts and draw(st.booleans()) else "")
    return text.encode(), [line for line in parts if line.strip() and line not in (BEGIN, END)]


def _lost(raw: bytes, lines: list[str]) -> list[str]:
    text = raw.decode()
    return [line for line in lines if line not in text]


def _round(home, monkeypatch, client: str, original: bytes, lines: list[str], add_inside: bool) -> None:
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # durability is the crash harness's subject
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    rel = TARGETS[client][0]
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(original)
    first = use(client)
    if first.code == 3 and "would read" in first.stderr:
        # the user's own line after the block sets the same variable: refused, nothing written
        assert path.read_bytes() == original
        TALLY["refused (a later line of the user's wins)"] += 1
        return
    assert first.code == 0, first.output
    TALLY["use"] += 1
    # a block whose lines end in bare CR is no block to keyconf (its markers are not lines of their own):
    # keyconf's block goes after it, and the user's stays where it is
    seen = re.search(r"(?m)^" + re.escape(BEGIN) + r"\r?$", original.decode())
    if seen:
        assert "not written by keyconf here" in first.stderr and ", line " in first.stderr
        TALLY["foreign block kept"] += 1
    written = path.read_bytes()
    outside = original.decode().split(BEGIN)[0] + original.decode().split(END)[-1] if seen else original.decode()
    assert not _lost(written, [line for line in lines if line in outside])
    again = use(client)
    assert again.code == 0 and path.read_bytes() == written, again.output  # a second `use` changes nothing
    if add_inside:
        raw = path.read_bytes()
        at = raw.rindex(END.encode())  # keyconf's block (a bare-CR one of the user's may come first)
        path.write_bytes(raw[:at] + b"export MY_OWN=1\n" + raw[at:])
        lines = lines + ["export MY_OWN=1"]
        before = path.read_bytes()
        refused = run_keyconf("remove", client)
        assert refused.code == 3, refused.output
        assert rel.split("/")[-1] in refused.stderr and ", line " in refused.stderr
        assert path.read_bytes() == before
        TALLY["changed block refused"] += 1
        # the user does as the hint says: moves their line out of the block; then remove goes through
        path.write_bytes(before.replace(b"export MY_OWN=1\n", b"") + b"\nexport MY_OWN=1\n")
        removed = run_keyconf("remove", client)
        assert removed.code == 0, removed.output
        lost = _lost(path.read_bytes(), lines)
    else:
        removed = run_keyconf("remove", client)
        assert removed.code == 0, removed.output
        assert path.read_bytes() == original  # the user's block back byte for byte, or no block at all
        lost = _lost(path.read_bytes(), lines)
    TALLY["user lines lost"] += len(lost)
    assert lost == []


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if TALLY:
        print(f"\nforeign blocks: {dict(TALLY)}")


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(user_files("shell"), st.booleans())
def test_rc_file_blocks_keyconf_did_not_write_lose_no_line(home, monkeypatch, file, add_inside):
    _round(home, monkeypatch, "shell", file[0], file[1], add_inside)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(user_files("gemini-cli"), st.booleans())
def test_gemini_env_blocks_keyconf_did_not_write_lose_no_line(home, monkeypatch, file, add_inside):
    _round(home, monkeypatch, "gemini-cli", file[0], file[1], add_inside)


def test_synced_bashrc_block_is_kept_and_comes_back(kc, home, monkeypatch):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    theirs = (f"# dotfiles\n{BEGIN}\n# from my other laptop\n[ -f /Users/me/.config/keyconf/env/keyconf.sh ] && "
              f". /Users/me/.config/keyconf/env/keyconf.sh\nexport WORK=1\n{END}\nalias g=git\n").encode()
    (home / ".bashrc").write_bytes(theirs)
    result = kc("use", "shell", "--shell", "bash", "--base-url", URL, "--no-verify")
    assert result.code == 0, result.output
    assert "~/.bashrc, line 2: the block between keyconf's markers was not written by keyconf here" in result.stderr
    now = (home / ".bashrc").read_bytes()
    assert b"export WORK=1" not in now and now.endswith(b"alias g=git\n")
    assert kc("remove", "shell").code == 0
    assert (home / ".bashrc").read_bytes() == theirs


def test_line_added_inside_keyconfs_block_is_refused_by_use_and_remove(kc, home, monkeypatch):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    env = home / ".gemini" / ".env"
    env.parent.mkdir()
    env.write_bytes(b"DEBUG=1\n")
    assert kc("use", "gemini-cli", "--base-url", URL, "--no-verify").code == 0
    env.write_bytes(env.read_bytes().replace(END.encode(), b"MY_TOKEN=abc\n" + END.encode()))
    edited = env.read_bytes()
    for args in (("use", "gemini-cli", "--base-url", "https://other.example.com", "--no-verify"),
                 ("remove", "gemini-cli"), ("remove", "--all")):
        result = kc(*args)
        assert result.code == 3, result.output
        assert "~/.gemini/.env, line 2: the lines between keyconf's markers changed since keyconf wrote them" \
            in result.stderr
        assert env.read_bytes() == edited


def test_bare_cr_gemini_env_second_use_changes_nothing(kc, home, monkeypatch):
    monkeypatch.setenv("KEYCONF_API_KEY", KEY)
    env = home / ".gemini" / ".env"
    env.parent.mkdir()
    original = b"# saved on an old Mac\rGOOGLE_CLOUD_PROJECT=p1\r"
    env.write_bytes(original)
    assert kc("use", "gemini-cli", "--base-url", URL, "--no-verify").code == 0
    once = env.read_bytes()
    second = kc("use", "gemini-cli", "--base-url", URL, "--no-verify")
    assert second.code == 0 and "already set, nothing changed" in second.stdout
    assert env.read_bytes() == once
    assert kc("remove", "gemini-cli").code == 0
    assert env.read_bytes() == original


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"])
def test_one_line_ending_rule_for_the_block(nl):
    from keyconf.osenv.shellenv import line_ending

    text = nl.join(["A=1", "B=2", ""])
    assert line_ending(text) == ("\r\n" if nl == "\r\n" else "\n")
    # what keyconf appends after a bare-CR file's last line does not change the answer on the next run
    assert line_ending(text + "\n" + BEGIN + "\n") == line_ending(text)


def test_a_block_recorded_before_digests_were_kept_is_keyconfs():
    """Upgrading: a record written by an older keyconf has no digest; its block is taken as keyconf's."""
    from keyconf.osenv.shellenv import RcText

    rc = RcText(f"a\n{BEGIN}\nold keyconf line\n{END}\n".encode(), "~/.bashrc")
    record = rc.put_owned_block(f"{BEGIN}\nnew\n{END}\n", {"sep": "", "created": False, "legacy": True})
    assert rc.notes == [] and "kept" not in record and "legacy" not in record and record["digest"]
    assert rc.text == f"a\n{BEGIN}\nnew\n{END}\n"
    rc.take_owned_block(record)
    assert rc.text == "a\n"
