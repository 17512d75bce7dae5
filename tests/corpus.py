"""The real-config corpus: users' client files from public dotfiles repositories, kept outside this repository
(`KEYCONF_CORPUS`, default `../shared/reference/corpus` beside the checkout, where the team and CI have it).
Tests read them in place; absent, those tests skip locally and fail under scripts/test (KEYCONF_REQUIRE_REAL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("KEYCONF_CORPUS") or REPO.parent / "shared" / "reference" / "corpus")
REQUIRE_REAL = os.environ.get("KEYCONF_REQUIRE_REAL") == "1"


def corpus_files(client: str, pattern: str = "*.json*") -> list:
    """The corpus's valid files for a client, as pytest params (one skipped param when there are none)."""
    folder = CORPUS / client
    files = sorted(p for p in folder.glob(pattern) if p.is_file()) if folder.is_dir() else []
    if not files:
        if REQUIRE_REAL:
            raise RuntimeError(f"no corpus for {client} at {folder} (set KEYCONF_CORPUS)")
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus for {client} at {folder}"))]
    return files
