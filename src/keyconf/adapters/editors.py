"""VS Code and its forks: where each keeps its user `settings.json`, and which are installed here.

Shared by the clients that live in these editors as extensions (the Claude Code extension, Roo Code). The
settings file is JSONC that the editor writes too (Settings UI, Settings Sync, extensions), so adapters edit it
in place through jsondoc/jsonowned and keep every other byte.
"""

from __future__ import annotations

from pathlib import Path

# (title, the folder name the editor uses under the OS's application-data folder); VS Code first: it is the
# one written when no editor is found yet.
EDITORS = (("VS Code", "Code"), ("VS Code Insiders", "Code - Insiders"), ("VSCodium", "VSCodium"),
           ("Cursor", "Cursor"), ("Windsurf", "Windsurf"))


# Where each keeps its extensions (`~/.vscode/extensions` on every OS), by the folder name above.
EXTENSIONS = {"Code": ".vscode", "Code - Insiders": ".vscode-insiders", "VSCodium": ".vscode-oss", "Cursor": ".cursor",
              "Windsurf": ".windsurf"}


def has_extension(ctx, path: Path | str, publisher_name: str) -> bool | None:
    """Whether the editor owning settings file `path` has the extension `publisher.name` installed (its folder
    `publisher.name-<version>`); None when keyconf does not know where that editor keeps extensions."""
    for _, folder in EDITORS:
        if str(settings_file(ctx, folder)) == str(path):
            root = ctx.paths.home / EXTENSIONS[folder] / "extensions"
            return root.is_dir() and any(root.glob(f"{publisher_name}-*"))
    return None


def where_note(ctx, path: Path, publisher_name: str, extension: str) -> str:
    """`VS Code: ~/.config/Code/User/settings.json`, saying so when the extension is not installed there."""
    note = f"{title_of(ctx, path)}: {ctx.paths.display(path)}"
    if has_extension(ctx, path, publisher_name) is False:
        note += f" ({extension} is not installed in {title_of(ctx, path)} yet; the setting waits for it)"
    return note


def user_dir(ctx, folder: str) -> Path:
    """An editor's `User` folder on each OS (VS Code's layout, which the forks keep)."""
    paths = ctx.paths
    if paths.platform == "macos":
        return paths.home / "Library" / "Application Support" / folder / "User"
    if paths.platform == "windows":
        appdata = ctx.env.get("APPDATA", "").strip()
        return (Path(appdata) if appdata else paths.home / "AppData" / "Roaming") / folder / "User"
    return paths.xdg_config_home / folder / "User"


def settings_file(ctx, folder: str) -> Path:
    return user_dir(ctx, folder) / "settings.json"


def installed(ctx) -> list[tuple[str, Path]]:
    """(title, settings.json) of every editor that has run here (its User folder exists), in EDITORS order."""
    return [(title, settings_file(ctx, folder)) for title, folder in EDITORS if user_dir(ctx, folder).is_dir()]


def title_of(ctx, path: Path | str) -> str:
    for title, folder in EDITORS:
        if str(settings_file(ctx, folder)) == str(path):
            return title
    return "editor"


SYNC_WARNING = ("Settings Sync uploads settings.json to your Microsoft/GitHub account with the key in it, unless "
                "you list {setting} under `settingsSync.ignoredSettings`")


# Two extensions (claude-vscode, roo-code) write the same settings.json; in one change (`apply`, a rotate of a
# profile both use, `remove A B`) the engine takes one edit per file, checked against the bytes on disk. So the
# second adapter plans on top of the first one's result and folds its change into that same edit.
def _pending(ctx) -> dict:
    return ctx.__dict__.setdefault("_editor_settings_edits", {})


def read(ctx, path: Path) -> bytes | None:
    """A settings file as this change leaves it so far (another extension's edit included), else as on disk."""
    from keyconf.engine import fsutil

    edit = _pending(ctx).get(str(path))
    return edit.after if edit is not None else fsutil.read_bytes(path)


def absent(ctx, path: Path) -> bool:
    """The settings file does not exist on disk (this change may be creating it)."""
    edit = _pending(ctx).get(str(path))
    return edit.before is None if edit is not None else not path.exists()


def drop_if_bare(doc, created: bool) -> None:
    """A settings file keyconf created holds nothing else once keyconf's settings are out: it goes (the other
    extension's plan saw it already made, so its own record cannot tell)."""
    if created and doc.is_object(()) and doc.member_count(()) == 0 and "".join(doc.text.split()) == "{}":
        doc.gone = True


def add_edit(ctx, plan, client: str, path: Path, doc, private: bool = False) -> None:
    """Record the settings file's new bytes: a new edit of `plan`, or folded into the edit this change already
    has for that file (made by the other extension's plan, from the bytes on disk)."""
    from keyconf.engine.edits import FileEdit

    pending = _pending(ctx)
    edit = pending.get(str(path))
    if edit is not None:
        edit.after = doc.content()
        edit.private = edit.private or private
        plan.notes.append(f"{ctx.paths.display(path)}: written in the same edit as another extension's settings")
        return
    edit = FileEdit(path, doc.original(), doc.content(), private=private, client=client)
    pending[str(path)] = edit
    plan.edits.append(edit)


def target_files(ctx, written_before) -> list[Path]:
    """The settings files an editor extension's settings live in: every installed editor's, plus those written
    before (`written_before`: the paths in the binding's memo)."""
    found = [path for _, path in installed(ctx)]
    for name in written_before:
        if Path(name) not in found:
            found.append(Path(name))
    return found


def first_editor_file(ctx) -> tuple[Path, str]:
    """Where to write when no VS Code-family editor has run yet, and what to tell the user."""
    title, folder = EDITORS[0]
    path = settings_file(ctx, folder)
    return path, (f"no VS Code-family editor has run here yet: keyconf writes {title}'s settings "
                  f"({ctx.paths.display(path)})")
