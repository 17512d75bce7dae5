"""Text users see in their own files (shell blocks, the Codex provider block) lives in `templates/`,
package data beside this module (so a wheel and a source checkout find it the same way). Rendering is
`string.Template`, so a wording change is a change of one file.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

_FOLDER = Path(__file__).resolve().parent / "templates"


def folder() -> Path:
    if not _FOLDER.is_dir():
        raise FileNotFoundError("keyconf's templates folder is missing from this installation")
    return _FOLDER


def names() -> list[str]:
    return sorted(p.name for p in folder().iterdir() if p.is_file())


def render(template: str, **values: str) -> str:
    return Template((folder() / template).read_text("utf-8")).substitute(values)
