"""A wheel built from the repo, installed in a fresh venv, works and carries templates/."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import KEY, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                   check=True, timeout=600)
    return next(out.glob("keyconf-*.whl"))


def test_wheel_ships_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.split("keyconf/templates/", 1)[1] for n in names if "keyconf/templates/" in n}
    expected = {p.name for p in (REPO / "src" / "keyconf" / "templates").iterdir() if p.is_file()}
    assert expected and expected <= shipped


def test_wheel_installs_and_runs_in_a_fresh_venv(wheel, tmp_path, relay, home):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)
    help_text = subprocess.run([str(bin_dir / "keyconf"), "--help"], capture_output=True, text=True, check=True)
    assert "keyconf use claude-code" in help_text.stdout
    done = subprocess.run([str(bin_dir / "keyconf"), "use", "claude-code", "--key-stdin", "--base-url", relay.url],
                          input=KEY + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "key accepted" in done.stdout
    import json

    settings = json.loads((home / ".claude" / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_BASE_URL"] == relay.url
    templates = subprocess.run([str(bin_dir / "python"), "-c",
                                "from keyconf import texts; print(texts.names())"],
                               capture_output=True, text=True, check=True)
    assert "codex_provider.toml" in templates.stdout
