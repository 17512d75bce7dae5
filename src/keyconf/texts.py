"""Text users see in their own files (shell blocks, the Codex provider block) lives in `templates/`.

The folder ships inside the wheel as `keyconf/templates/`; from a source checkout it is the repo's
top-level `templates/`. Rendering is `string.Template`, so a wording change is a change of one file.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "templates", _HERE.parent.parent / "templates")


def folder() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("keyconf's templates folder is missing from this installation")


def names() -> list[str]:
    return sorted(p.name for p in folder().iterdir() if p.is_file())


def render(template: str, **values: str) -> str:
    return Template((folder() / template).read_text("utf-8")).substitute(values)
