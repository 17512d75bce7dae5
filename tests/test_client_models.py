"""Which model the installed client will ask for: the release (package.json, else `--version`, cached), the
adapters' model tables, and what verification says when it cannot tell (never a guess, exit 10 only for a
model known to be asked for and known to be missing)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import KEY
from keyconf.adapters import get
from keyconf.adapters.releases import expand, table_of
from keyconf.osenv import clientversion
from keyconf.osenv.clientversion import parse_version


def use(kc, relay, client, *extra):
    return kc("use", client, "--key-stdin", "--base-url", relay.url, "--json", *extra, input=KEY + "\n")


def _verify(result):
    doc = result.json()
    assert doc["exit_code"] == result.code
    return doc["results"][0]["verify"]


# --- the tables -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("client, version, default", [
    ("claude-code", "2.1.197", ["claude-opus-4-8"]), ("claude-code", "2.1.218", ["claude-opus-4-8"]),
    ("claude-code", "2.1.219", ["claude-opus-5"]), ("claude-code", "2.1.278", ["claude-opus-5"]),
    ("claude-code", "2.1.280", ["claude-opus-5-5"]), ("claude-code", "2.1.332", ["claude-opus-5-5"]),
    ("codex", "0.169.0", ["gpt-6.1-sol"]), ("codex", "0.169.1", ["gpt-6.2-sol"]), ("codex", "0.171.0", ["gpt-6.2-sol"]),
    ("gemini-cli", "0.61.0", ["gemini-3.1-pro-preview", "gemini-3.8-flash", "gemini-3.5-flash-lite"]),
])
def test_each_release_default(client, version, default):
    adapter = get(client)
    release = table_of(adapter).release(version)
    assert adapter.models_for(release.default, {}, release) == default


@pytest.mark.parametrize("client, version", [("claude-code", "2.1.333"), ("claude-code", "2.0.99"),
                                             ("codex", "0.172.0"), ("gemini-cli", "0.62.0"), ("codex", "garbage")])
def test_a_release_outside_the_table_is_unknown(client, version):
    assert table_of(get(client)).release(version) is None


def test_claude_aliases_and_tier_pins():
    claude = get("claude-code")
    new = table_of(claude).release("2.1.332")
    assert claude.models_for("sonnet", {}, new) == ["claude-sonnet-5-5"]
    assert claude.models_for("haiku", {}, new) == ["claude-haiku-5-5"]
    # opusplan: the sonnet tier outside plan mode, opus in it
    assert claude.models_for("opusplan", {}, new) == ["claude-sonnet-5-5", "claude-opus-5-5"]
    assert claude.models_for("opus[1m]", {}, new) == ["claude-opus-5-5"]
    pins = {"opus": "my-opus", "sonnet": "my-sonnet"}
    assert claude.models_for("default", pins, new) == ["my-opus"]
    assert claude.models_for("opusplan", pins, new) == ["my-sonnet", "my-opus"]
    assert claude.models_for("sonnet", pins, None) == ["my-sonnet"]  # a pin needs no release
    assert claude.models_for("sonnet", {}, None) is None  # an alias does
    assert claude.models_for("claude-x-1", {}, None) == ["claude-x-1"]  # a full name is itself


def test_gemini_aliases():
    gemini = get("gemini-cli")
    release = table_of(gemini).release("0.61.0")
    assert gemini.models_for("pro", {}, release) == ["gemini-3.1-pro-preview"]
    assert gemini.models_for("flash-lite", {}, release) == ["gemini-3.5-flash-lite"]
    assert expand(table_of(gemini), "gemini-2.5-flash", {}, None) == ["gemini-2.5-flash"]


def test_parse_version():
    assert parse_version("2.1.332 (Claude Code)") == (2, 1, 332)
    assert parse_version("codex-cli 0.171.0\n") == (0, 171, 0)
    assert parse_version("Error: something") is None


# --- the installed release ------------------------------------------------------------------------------

def _npm_layout(root: Path, package: str, version: str, binary: str) -> Path:
    folder = root / "node_modules" / package
    (folder / "bin").mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": package, "version": version}))
    script = folder / "bin" / (binary + ".js")
    script.write_text("#!/bin/sh\necho never run >> \"$0.ran\"\n")
    script.chmod(0o755)
    bin_dir = root / "node_modules" / ".bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / binary).symlink_to(os.path.relpath(script, bin_dir))
    return bin_dir


def test_an_npm_install_is_read_from_package_json_without_running_it(tmp_path):
    bin_dir = _npm_layout(tmp_path, "@openai/codex", "0.171.0", "codex")
    found = clientversion.installed("codex", "@openai/codex", {"PATH": str(bin_dir)}, tmp_path / "kc")
    assert found.version == "0.171.0"
    assert not list(tmp_path.rglob("*.ran"))


def test_a_native_binary_is_asked_once_and_cached_by_path_and_mtime(tmp_path, fake_client, monkeypatch):
    home = tmp_path / "kc"
    home.mkdir()
    program = fake_client("claude", "2.1.332 (Claude Code)")
    program.write_text(program.read_text().replace("sleep 0", f"echo x >> {tmp_path}/runs"))
    monkeypatch.setattr(clientversion, "_is_script", lambda path: False)  # stands in for a native binary
    env = {"PATH": os.environ["PATH"]}
    assert clientversion.installed("claude", None, env, home).version == "2.1.332"
    assert clientversion.installed("claude", None, env, home).version == "2.1.332"
    assert (tmp_path / "runs").read_text().count("x") == 1
    assert json.loads((home / clientversion.CACHE_NAME).read_text())[str(program)]["version"] == "2.1.332"
    assert clientversion.installed("claude", None, {"PATH": str(tmp_path / "nowhere")}, home).version is None
    program.write_text(program.read_text().replace("2.1.332", "2.1.333"))  # an update: new mtime, asked again
    os.utime(program, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert clientversion.installed("claude", None, env, home).version == "2.1.333"


def test_a_shim_is_run_every_time_and_never_cached(tmp_path, fake_client):
    home = tmp_path / "kc"
    home.mkdir()
    real = fake_client("real-claude", "2.1.332 (Claude Code)")
    shim = real.parent / "claude"  # asdf / volta style: a script that execs the real program
    shim.write_text(f"#!/bin/sh\nexec {real} \"$@\"\n")
    shim.chmod(0o755)
    found = clientversion.installed("claude", "@anthropic-ai/claude-code", {"PATH": str(real.parent)}, home)
    assert found.version == "2.1.332"
    assert not (home / clientversion.CACHE_NAME).exists()


def test_a_volta_style_shim_binary_is_never_cached(tmp_path, fake_client, monkeypatch):
    """volta links every tool to one `volta-shim` program: a cache keyed by it would give codex claude's release."""
    home = tmp_path / "kc"
    home.mkdir()
    shim = fake_client("volta-shim", "2.1.332 (Claude Code)")
    monkeypatch.setattr(clientversion, "_is_script", lambda path: False)  # volta-shim is a native program
    (shim.parent / "claude").symlink_to(shim)
    assert clientversion.installed("claude", None, {"PATH": str(shim.parent)}, home).version == "2.1.332"
    assert not (home / clientversion.CACHE_NAME).exists()


@pytest.mark.parametrize("answer, sleep, code, problem", [
    ("2.1.332", 30, 0, "did not answer within 2 s"),
    ("hello world", 0, 0, "printed no version number"),
    ("2.1.332", 0, 3, "failed (exit 3)"),
])
def test_a_hanging_failing_or_babbling_version_is_unknown(tmp_path, fake_client, answer, sleep, code, problem):
    program = fake_client("claude", answer, sleep=sleep, code=code)
    if sleep:  # a child that keeps the pipe open must not keep keyconf waiting
        program.write_text(program.read_text().replace("#!/bin/sh\n", "#!/bin/sh\nsleep 30 &\n"))
    start = time.monotonic()
    found = clientversion.installed("claude", None, {"PATH": f"{program.parent}:/usr/bin:/bin"}, tmp_path)
    assert time.monotonic() - start < 5
    assert found.version is None and problem in found.problem


# --- verification when keyconf cannot tell -----------------------------------------------------------------

def test_a_release_newer_than_the_table_names_the_offered_family_and_suggests_a_model(kc, relay, fake_client):
    fake_client("claude", "2.1.999 (Claude Code)")
    relay.models[:] = ["gpt-5", "claude-opus-7", "claude-sonnet-7"]
    result = use(kc, relay, "claude-code")
    assert result.code == 0, result.stdout
    found = _verify(result)
    assert found["ok"] and found["model"] is None and found["asked"] == []
    warning = found["warnings"][0]
    assert "Claude Code 2.1.999 is installed and it is newer than the releases keyconf knows (up to 2.1.332)" in warning
    assert "claude-opus-7, claude-sonnet-7" in warning and "gpt-5" not in warning
    assert "--model claude-opus-7" in warning
    human = kc("verify", "claude-code")
    assert human.code == 0 and "warning: " in human.stdout and "cannot tell which model" in human.stdout


def test_no_client_installed_checks_key_and_url_and_says_it_cannot_tell(kc, relay, no_clients_on_path):
    relay.models[:] = ["gpt-5", "gpt-4o-mini"]
    result = use(kc, relay, "codex")
    found = _verify(result)
    assert result.code == 0 and found["ok"] and found["model"] is None
    assert "Codex CLI is not installed here (no `codex` on PATH)" in found["warnings"][0]
    assert "--model gpt-5" in found["warnings"][0]
    relay.keys.clear()  # the key and URL are still checked
    assert kc("verify", "codex").code == 5


def test_a_model_set_by_the_user_is_known_even_when_the_release_is_not(kc, relay, fake_client):
    fake_client("codex", "codex-cli 9.0.0")
    result = use(kc, relay, "codex", "--model", "gpt-9")
    assert result.code == 10 and "gpt-9" in _verify(result)["reason"]


def test_an_alias_needs_the_release_unless_a_tier_pins_it(kc, relay, fake_client):
    fake_client("claude", "2.1.999 (Claude Code)")
    result = use(kc, relay, "claude-code", "--model", "sonnet")
    found = _verify(result)
    assert result.code == 0 and found["model"] is None
    assert "'sonnet' is a Claude Code alias whose model moves with its releases" in found["warnings"][0]
    fake_client("claude", "2.1.332 (Claude Code)")
    relay.models.append("claude-sonnet-5-5")
    found = _verify(kc("verify", "claude-code", "--json"))
    assert found["model"] == "claude-sonnet-5-5" and not found["warnings"]
    assert _verify(use(kc, relay, "claude-code", "--model", "sonnet[1m]"))["model"] == "claude-sonnet-5-5"
    relay.models.remove("claude-sonnet-5-5")
    again = kc("verify", "claude-code", "--json")
    assert again.code == 10 and "claude-sonnet-5-5" in _verify(again)["reason"]


def test_known_release_known_missing_is_exit_10(kc, relay, fake_client):
    fake_client("gemini", "0.61.0")
    relay.models.remove("gemini-3.5-flash-lite")  # the router model
    result = use(kc, relay, "gemini-cli")
    assert result.code == 10 and "gemini-3.5-flash-lite" in _verify(result)["reason"]


def test_status_runs_no_client_to_ask_its_version(kc, relay, fake_client, tmp_path):
    program = fake_client("claude", "2.1.332 (Claude Code)")
    program.write_text(program.read_text().replace("sleep 0", f"touch {tmp_path}/ran"))
    assert use(kc, relay, "claude-code", "--no-verify").code == 0
    assert kc("status").code == 0 and kc("status", "claude-code", "--json").code == 0
    assert not (tmp_path / "ran").exists()


# --- Gemini on a relay that lists no Gemini models --------------------------------------------------------

def test_gemini_without_the_v1beta_listing_sends_one_real_request_instead(kc, relay, fake_client):
    fake_client("gemini", "0.61.0")
    relay.gemini_listing = False
    result = use(kc, relay, "gemini-cli", "--model", "gemini-2.5-flash")
    assert result.code == 0, result.stdout
    found = _verify(result)
    assert "does not list Gemini models" in found["reason"] and "wrong" not in found["reason"].lower()
    assert [r.path.split("?")[0] for r in relay.requests if r.method == "POST"] == \
        ["/v1beta/models/gemini-2.5-flash:generateContent"]
    relay.models.remove("gemini-2.5-flash")  # the real request decides: 503 no channel is exit 10, not 7
    missing = kc("verify", "gemini-cli", "--json")
    assert missing.code == 10 and "No available channel" in _verify(missing)["reason"]
