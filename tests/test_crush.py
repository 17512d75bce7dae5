"""Crush: one marked block in ~/.config/crush/crushrc (Bash, run by Crush at every start), the key in keyconf's own
0600 file or fetched by `keyconf secret`.

Crush's binary can't be installed here (its npm postinstall downloads it from GitHub), so the crushrc keyconf writes
is checked with the real bash: `bash -n`, and sourced with stub functions standing in for Crush's builtins
(`provider`, `model`, `option`, `lsp`, ...), which record the words Crush's interpreter would receive.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from adapter_contract import AdapterContract
from conftest import KEY, snapshot
from corpus import corpus_files

CRUSHRC_RICH = b"""# ~/.config/crush/crushrc
provider add ollama --type ollama --base-url "http://localhost:11434/v1"
model add ollama/llama3.3 --name "Llama 3.3" --context-window 128000
permissions allow view edit
if [[ $HOSTNAME == "babysquid" ]]; then
    option skill-path "$HOME/squid-skills"
fi
mcp add github --type http --url "https://api.githubcopilot.com/mcp/" --header Authorization "Bearer $GITHUB_TOKEN"
"""
CRUSH_JSON = b'{\n  "$schema": "https://charm.land/crush.json",\n  "options": {"tui": {"diff_mode": "split"}}\n}\n'
MODEL = ("--model", "gpt-5")
BUILTINS = ("provider", "model", "option", "lsp", "mcp", "permissions", "hook")


def crush_dir(home: Path) -> Path:
    return home / ".config" / "crush"


def write(home: Path, rc: bytes | None = CRUSHRC_RICH, legacy: bytes | None = CRUSH_JSON) -> None:
    crush_dir(home).mkdir(parents=True, exist_ok=True)
    if rc is not None:
        (crush_dir(home) / "crushrc").write_bytes(rc)
    if legacy is not None:
        (crush_dir(home) / "crush.json").write_bytes(legacy)


def use(kc, relay, *extra, key: str = KEY):
    return kc("use", "crush", "--key-stdin", "--base-url", relay.url, "--no-verify", *extra, input=key + "\n")


def run_crushrc(home: Path) -> list[list[str]]:
    """Source crushrc in the real bash with Crush's builtins stubbed; the words each builtin got, one call a row."""
    bash = shutil.which("bash")
    rc = crush_dir(home) / "crushrc"
    assert subprocess.run([bash, "-n", str(rc)], capture_output=True).returncode == 0
    log = home / "builtins.log"
    log.write_text("")
    stubs = "".join(f'{name}() {{ printf "%s\\037" {name} "$@" >> "$KC_LOG"; printf "\\036" >> "$KC_LOG"; }}\n'
                    for name in BUILTINS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYCONF_CRUSH")}
    env.update({"KC_LOG": str(log), "HOME": str(home), "HOSTNAME": "elsewhere"})
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", stubs + f'. "{rc}"'], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().split("\036")[:-1]
    return [call.split("\037")[:-1] for call in calls]


class TestCrushContract(AdapterContract):
    client = "crush"
    cannot_run = "no per-process setting that beats its own model choice"
    use_args = MODEL

    def arrange(self, home):
        write(home)

    def break_file(self, home):
        path = crush_dir(home) / "crushrc"
        path.write_bytes(b"option progress false\n\xff\xfe not utf-8\n")
        return path

    def plant(self, home, token):
        path = crush_dir(home) / "crushrc"
        path.write_bytes(path.read_bytes() + f"provider add old --type openai-compat --api-key '{token}'\n".encode())


def test_crush_gets_the_relay_provider_and_key_from_keyconfs_private_file(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    rc = (crush_dir(home) / "crushrc").read_bytes()
    assert rc.startswith(CRUSHRC_RICH) and KEY.encode() not in rc  # never inline in a script people share
    key_file = home / ".config" / "keyconf" / "env" / "crush.sh"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    calls = run_crushrc(home)
    assert calls[:3] == [["provider", "add", "ollama", "--type", "ollama", "--base-url", "http://localhost:11434/v1"],
                         ["model", "add", "ollama/llama3.3", "--name", "Llama 3.3", "--context-window", "128000"],
                         ["permissions", "allow", "view", "edit"]]  # the user's lines run as before
    assert ["provider", "add", "keyconf", "--type", "openai-compat", "--name", "keyconf: default",
            "--base-url", relay.url + "/v1", "--api-key", KEY] in calls
    assert calls[-3:] == [["model", "add", "keyconf/gpt-5"], ["model", "large", "keyconf/gpt-5"],
                          ["model", "small", "keyconf/gpt-5"]]
    assert (crush_dir(home) / "crush.json").read_bytes() == CRUSH_JSON


def test_no_plaintext_runs_keyconf_secret_at_each_start(kc, home, relay):
    write(home, legacy=None)
    result = use(kc, relay, *MODEL, "--no-plaintext")
    assert result.code == 0, result.output
    assert not (home / ".config" / "keyconf" / "env" / "crush.sh").exists()
    rc = (crush_dir(home) / "crushrc").read_text()
    assert KEY not in rc and " secret default)\"" in rc
    provider = next(c for c in run_crushrc(home) if c[:3] == ["provider", "add", "keyconf"])
    assert provider[-2:] == ["--api-key", KEY]  # the real keyconf printed it, in bash's command substitution
    item = kc("status", "crush", "--json").json()["results"][0]
    assert item["configured"] and item["key"] == "sk-…YZ42"


def test_a_key_with_shell_characters_arrives_whole(kc, home, relay):
    odd = "sk-a'b\"c$(touch${IFS}pwned)`x`;|&<>*?!#~"
    relay.keys.add(odd)
    write(home, legacy=None)
    assert use(kc, relay, *MODEL, key=odd).code == 0
    provider = next(c for c in run_crushrc(home) if c[:3] == ["provider", "add", "keyconf"])
    assert provider[-1] == odd and not (home / "pwned").exists()


def test_a_new_crushrc_and_the_key_file_go_away_again(kc, home, relay):
    assert use(kc, relay).code == 0  # no --model: keyconf sets its default and says so
    assert kc("remove", "crush").code == 0
    assert not (crush_dir(home) / "crushrc").exists()
    assert not (home / ".config" / "keyconf" / "env" / "crush.sh").exists()


def test_status_and_doctor_name_what_beats_keyconfs_block(kc, home, relay, monkeypatch):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    rc = crush_dir(home) / "crushrc"
    rc.write_bytes(rc.read_bytes() + b"model large ollama/llama3.3\n")
    state = home / ".local" / "share" / "crush" / "crush.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"models": {"small": {"provider": "ollama", "model": "llama3.3"}}}')
    project = home / "proj"
    project.mkdir()
    (project / ".crushrc").write_text("model large ollama/llama3.3\n")
    monkeypatch.chdir(project)
    conflicts = " ".join(kc("status", "crush", "--json").json()["results"][0]["conflicts"])
    assert "`model large ollama/llama3.3` runs after keyconf's block" in conflicts
    assert "picked in Crush's UI" in conflicts
    doctor = kc("doctor").output
    assert "proj/.crushrc: a project config" in doctor and "option metrics false" in doctor


@pytest.mark.parametrize("path", corpus_files("crush"), ids=lambda p: p.name if p else "none")
def test_corpus_use_use_again_remove_is_byte_exact(kc, home, relay, path):
    """Real users' legacy ~/.config/crush/crush.json from public dotfiles stays untouched beside keyconf's crushrc
    (which Crush merges after it); use, use again (no change), remove (every byte back)."""
    write(home, rc=None, legacy=path.read_bytes())
    before = snapshot(home)
    result = use(kc, relay, *MODEL)
    assert result.code == 0, result.output
    assert (crush_dir(home) / "crush.json").read_bytes() == path.read_bytes()
    once = snapshot(home)
    again = kc("use", "crush", "--no-verify", "--json")
    assert again.code == 0 and again.json()["results"][0]["changed"] == [] and snapshot(home) == once
    assert kc("remove", "crush").code == 0
    assert snapshot(home) == before


def test_a_keyconf_home_with_spaces_is_quoted_for_bash(kc, home, relay, monkeypatch):
    """keyconf's folder on macOS is under `Library/Application Support`: the block sources it quoted."""
    monkeypatch.setenv("KEYCONF_HOME", str(home / "Application Support" / "keyconf"))
    write(home, legacy=None)
    assert use(kc, relay, *MODEL).code == 0
    assert "'" + str(home / "Application Support") in (crush_dir(home) / "crushrc").read_text()
    provider = next(c for c in run_crushrc(home) if c[:3] == ["provider", "add", "keyconf"])
    assert provider[-1] == KEY


def test_doctor_runs_the_key_command_as_crush_would(kc, home, relay):
    write(home, legacy=None)
    assert use(kc, relay, *MODEL, "--no-plaintext").code == 0
    doctor = kc("doctor")
    # it ran and printed the profile's key; from this clone's .venv it is also called fragile
    lines = [line for line in doctor.output.splitlines() if "crushrc key command" in line]
    assert lines and not any(line.startswith("problem") for line in lines)
    assert KEY not in doctor.output


def test_crush_global_config_moves_the_crushrc(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("CRUSH_GLOBAL_CONFIG", str(tmp_path / "crush-config"))
    assert use(kc, relay, *MODEL).code == 0
    assert (tmp_path / "crush-config" / "crushrc").is_file() and not crush_dir(home).exists()
