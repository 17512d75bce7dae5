"""Help that a new user can follow: one-line summaries not cut off, an Examples section in every command's
help, `keyconf help COMMAND`, and shell completion of commands, clients and profile names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from conftest import KEY

EXE = Path(sys.executable).parent / "keyconf"


def all_commands():
    from keyconf.cli import cli

    def walk(group, path):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            yield path + [name], cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, path + [name])

    return list(walk(cli, []))


COMMANDS = all_commands()


def summaries(help_text: str) -> dict[str, str]:
    """The `Commands:` table of a group's help: name -> one-line summary."""
    lines = help_text.split("Commands:\n", 1)[1].splitlines()
    return {line.split()[0]: line.split(None, 1)[1] for line in lines if line.startswith("  ") and line.split()}


@pytest.mark.parametrize("group", [[]] + [p for p, c in COMMANDS if isinstance(c, click.Group)],
                         ids=lambda p: " ".join(p) or "keyconf")
def test_summaries_are_whole_sentences(kc, group):
    result = kc(*group, "--help")
    assert result.code == 0
    found = summaries(result.stdout)
    assert found
    for name, line in found.items():
        assert not line.endswith((":", "...", "…")), f"{name}: {line!r} is cut off"
        assert line.endswith((".", ")")), f"{name}: {line!r}"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_examples(kc, path):
    result = kc(*path, "--help")
    assert result.code == 0, result.output
    assert "\n  Examples:\n" in result.stdout, result.stdout
    examples = result.stdout.split("\n  Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.strip().startswith(("keyconf", "eval", "export", "pbpaste"))
                            for line in examples if line.strip()), examples


def test_help_command_matches_dash_dash_help(kc):
    assert kc("help", "use").stdout == kc("use", "--help").stdout
    assert kc("help", "profile", "rotate").stdout == kc("profile", "rotate", "--help").stdout
    assert kc("help").stdout == kc("--help").stdout
    unknown = kc("help", "nope")
    assert unknown.code == 2 and "no command `nope`" in unknown.stderr


def test_use_help_names_every_client(kc):
    from keyconf.adapters import CLIENT_IDS

    text = " ".join(kc("use", "--help").stdout.split())
    assert all(client in text for client in CLIENT_IDS)


# ---- completion ----------------------------------------------------------------------------------------

def complete(line: str) -> list[str]:
    """What click's bash protocol answers for the words of `line` (a trailing space: a new, empty word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {**os.environ, "_KEYCONF_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(cword)}
    done = subprocess.run([str(EXE)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line]


def test_completion_of_commands_clients_and_profiles(kc, home, relay):
    assert "use" in complete("keyconf u") and "undo" in complete("keyconf u")
    assert complete("keyconf use co") == ["codex", "continue"]
    assert complete("keyconf use codex cl") == ["claude-code", "claude-desktop", "claude-vscode"]
    assert "codex" not in complete("keyconf use codex ")  # already named
    assert complete("keyconf env ge") == ["gemini-cli"]
    assert complete("keyconf use codex --profile ") == []  # none stored yet
    for name in ("work", "home-lab"):
        assert kc("use", "shell", "--profile", name, "--key-stdin", "--base-url", relay.url, "--no-verify",
                  input=KEY + "\n").code == 0
    assert complete("keyconf use codex --profile ") == ["home-lab", "work"]
    assert complete("keyconf use codex --profile w") == ["work"]
    assert complete("keyconf profile rotate h") == ["home-lab"]
    assert complete("keyconf env shell --profile ") == ["home-lab", "work"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_completion_scripts(kc, shell):
    result = kc("completion", shell)
    assert result.code == 0 and "_KEYCONF_COMPLETE" in result.stdout
    if shell == "powershell":
        assert "Register-ArgumentCompleter -Native -CommandName keyconf" in result.stdout
    assert kc("completion", "tcsh").code == 2


def test_bash_completion_script_works_in_real_bash(home, relay, tmp_path):
    bash = subprocess.run(["bash", "-c", "true"], capture_output=True)
    assert bash.returncode == 0
    script = (f'eval "$({EXE} completion bash)"; COMP_WORDS=(keyconf use co); COMP_CWORD=2; '
              f'_keyconf_completion {EXE}; printf "%s\\n" "${{COMPREPLY[@]}}"')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["codex", "continue"], done.stderr


def test_readme_and_help_list_every_client_of_the_registry():
    """Lists of clients come from the registry: the README's `Clients:` line and `use --help` name them all."""
    import re

    from conftest import REPO
    from keyconf.adapters import CLIENT_IDS

    line = next(li for li in (REPO / "README.md").read_text().splitlines() if li.startswith("Clients: "))
    assert re.findall(r"`([a-z0-9-]+)`", line) == list(CLIENT_IDS)
    assert ", ".join(CLIENT_IDS) in " ".join(kc_help("use").split())


def kc_help(command: str) -> str:
    from conftest import run_keyconf

    return run_keyconf(command, "--help").stdout


def test_completion_of_run_pin_and_profile_add(kc, home, relay):
    assert complete("keyconf run cl") == ["claude-code", "claude-desktop", "claude-vscode"]
    assert "run" in complete("keyconf r") and "pin" in complete("keyconf p")
    assert "add" in complete("keyconf profile a")
    assert kc("profile", "add", "work", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    assert complete("keyconf pin ") == ["work"]
    assert complete("keyconf run codex --profile w") == ["work"]
