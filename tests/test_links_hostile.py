"""The generated hostile corpus (tests/hostile_links.py) through the real `keyconf import -y --json` into four
clients: never exit 1, always one JSON document, and a write, when there is one, holds only keyconf's own
keys (Base URL, key, model) in the clients' files; nothing else anywhere."""

from __future__ import annotations

import json
import os
import tomllib
from collections import Counter

import hostile_links
from conftest import run_keyconf, snapshot
from keyconf import masking

CLIENTS = ("claude-code", "codex", "gemini-cli", "opencode")
FILES = {".claude/settings.json", ".claude.json", ".codex/config.toml", ".codex/auth.json", ".gemini/.env",
         ".gemini/settings.json", ".config/opencode/opencode.json", ".local/share/opencode/auth.json"}
CLAUDE_ENV = {"ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL",
              "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL"}


def printable(value) -> bool:
    return isinstance(value, str) and value.isprintable()


def only_url_key_model(home, result) -> list[str]:
    """What was written beyond the Base URL, the key and the model (empty: nothing)."""
    problems = []
    files = {str(p.relative_to(home)): p for p in home.rglob("*") if p.is_file()
             and not str(p.relative_to(home)).startswith(".config/keyconf")}
    problems += [f"unexpected file {name}" for name in set(files) - FILES]
    item = result["results"][0]
    root, key = item["base_url"], None
    if ".claude/settings.json" in files:
        doc = json.loads(files[".claude/settings.json"].read_text())
        env = doc.get("env", {})
        if set(doc) != {"env"} or not set(env) <= CLAUDE_ENV or env.get("ANTHROPIC_BASE_URL") != root:
            problems.append(f"claude settings: {sorted(doc)} {sorted(env)}")
        key = env.get("ANTHROPIC_AUTH_TOKEN")
        problems += [f"claude {k} not printable" for k, v in env.items() if not printable(v)]
    if ".claude.json" in files and json.loads(files[".claude.json"].read_text()) != {"hasCompletedOnboarding": True}:
        problems.append(".claude.json")
    if ".codex/config.toml" in files:
        doc = tomllib.loads(files[".codex/config.toml"].read_text())
        provider = doc.get("model_providers", {})
        table = provider.get("keyconf", {})
        if not set(doc) <= {"model_provider", "model", "model_providers"} or set(provider) != {"keyconf"} \
                or not set(table) <= {"name", "base_url", "wire_api", "requires_openai_auth"} \
                or table.get("base_url") != root + "/v1" or not printable(doc.get("model", "")):
            problems.append(f"codex config: {doc}")
    if ".codex/auth.json" in files:
        auth = json.loads(files[".codex/auth.json"].read_text())
        if set(auth) != {"OPENAI_API_KEY"} or (key and auth["OPENAI_API_KEY"] != key):
            problems.append("codex auth.json")
    if ".gemini/.env" in files:
        names = [line.split("=", 1)[0] for line in files[".gemini/.env"].read_text().splitlines()
                 if line and not line.startswith("#")]
        if not set(names) <= {"GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_MODEL"} or len(names) > 3:
            problems.append(f"gemini .env: {names}")
    if ".gemini/settings.json" in files and json.loads(files[".gemini/settings.json"].read_text()) != {
            "security": {"auth": {"selectedType": "gemini-api-key"}}}:
        problems.append("gemini settings")
    if ".config/opencode/opencode.json" in files:
        doc = json.loads(files[".config/opencode/opencode.json"].read_text())
        entry = doc.get("provider", {}).get("keyconf", {})
        if not set(doc) <= {"$schema", "provider", "model"} or set(doc.get("provider", {})) != {"keyconf"} \
                or not set(entry) <= {"npm", "name", "options", "models"} \
                or entry.get("options") != {"baseURL": root + "/v1"}:
            problems.append(f"opencode: {doc}")
    if ".local/share/opencode/auth.json" in files:
        auth = json.loads(files[".local/share/opencode/auth.json"].read_text())
        if set(auth) != {"keyconf"} or set(auth["keyconf"]) != {"type", "key"}:
            problems.append("opencode auth")
    return problems


def test_hostile_corpus_never_exits_1_and_writes_only_url_key_model(tmp_path, monkeypatch):
    cases = hostile_links.corpus()
    assert len(cases) >= 374
    codes: Counter = Counter()
    failures = []
    for number, (name, link) in enumerate(cases):
        home = tmp_path / f"h{number}"
        home.mkdir()
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("KEYCONF_HOME", str(home / ".config" / "keyconf"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
        to = [arg for client in CLIENTS for arg in ("--to", client)]
        masking.forget_all()  # as a new process would: keys remembered for masking are per process
        result = run_keyconf("import", "-", "-y", "--no-verify", "--json", *to, input=link)
        codes[result.code] += 1
        try:
            doc = json.loads(result.stdout)
        except ValueError:
            failures.append((name, result.code, "stdout is not one JSON document"))
            continue
        if doc["exit_code"] != result.code or result.code not in (0, 2, 3):
            failures.append((name, result.code, (doc.get("errors") or [{}])[0].get("message")))
        elif result.code == 0:
            problems = only_url_key_model(home, doc)
            if problems:
                failures.append((name, 0, problems))
        elif snapshot(home) != {}:
            failures.append((name, result.code, "refused, yet something was written"))
        assert not os.path.exists("/tmp/PWNED")
    print(f"\nhostile corpus: {len(cases)} cases, exit codes {dict(sorted(codes.items()))}, "
          f"{len(failures)} failures")
    assert codes[1] == 0 and failures == [], "\n".join(map(str, failures[:20]))


def test_a_byte_that_is_not_utf8_from_a_real_pipe_or_argv_is_exit_2_with_a_document(home):
    """The issue's two non-UTF-8 cases, through a real process: stdin (Python decodes it strictly or with
    surrogateescape, depending on the locale) and argv (always surrogateescape)."""
    import subprocess
    import sys
    from pathlib import Path

    exe = str(Path(sys.executable).parent / "keyconf")
    link = (b"ccswitch://v1/import?resource=provider&app=claude&name=n\xff&endpoint=https://r.example.com"
            b"&apiKey=sk-abcdefghijklmnop")
    for locale in ("C.UTF-8", "C"):
        env = dict(os.environ, LC_ALL=locale, PYTHONUTF8="0")
        piped = subprocess.run([exe, "import", "-", "-y", "--json"], input=link + b"\n", capture_output=True,
                               env=env, timeout=60)
        argv = subprocess.run([exe, "import", "-y", "--json", os.fsdecode(link)], capture_output=True, env=env,
                              timeout=60, stdin=subprocess.DEVNULL)
        for run in (piped, argv):
            assert run.returncode == 2, run.stderr
            doc = json.loads(run.stdout)
            assert doc["exit_code"] == 2 and "UTF-8" in doc["errors"][0]["message"]
    assert snapshot(home) == {}


def test_an_unexpected_error_still_prints_the_one_document(kc, monkeypatch):
    """Exit 1 is a bug, but even then --json prints its document."""
    from keyconf.commands import import_ as importcmd

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(importcmd, "import_", broken)
    result = kc("import", "-", "--json", input="x\n")
    assert result.code == 1
    doc = result.json()
    assert doc["exit_code"] == 1 and doc["ok"] is False and "RuntimeError: boom" in doc["errors"][0]["message"]
