"""The real-config corpus: users' client files from public dotfiles repositories, kept outside this repository
(`KEYCONF_CORPUS`, default the team's shared copy). Tests read them in place; absent, those tests skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(os.environ.get("KEYCONF_CORPUS", "/work/shared/reference/corpus"))


def corpus_files(client: str, pattern: str = "*.json*") -> list:
    """The corpus's valid files for a client, as pytest params (one skipped param when there are none)."""
    folder = CORPUS / client
    files = sorted(p for p in folder.glob(pattern) if p.is_file()) if folder.is_dir() else []
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus for {client} at {folder}"))]
    return files
