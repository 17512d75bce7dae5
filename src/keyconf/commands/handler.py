"""`keyconf handler install|remove|status`: make a dashboard's "CC Switch" button land in keyconf.

The OS starts the handler of a `ccswitch://` link with the link as its argument (`keyconf import LINK`), which
on a terminal previews the change (masked) and asks before writing. keyconf takes the scheme only when no
other program owns it (cc-switch itself, say), unless --force; `remove` gives the previous owner back.

- Linux: an XDG desktop entry (`Exec=... import --from-handler %u`, `Terminal=false`: keyconf opens a terminal
  itself, see handoff.py) plus the default in
  `$XDG_CONFIG_HOME/mimeapps.list`, both written through the engine so `keyconf undo` takes them back too;
  `xdg-mime query default` is the proof it worked.
- Windows: `HKCU\\Software\\Classes\\ccswitch` (a URL protocol key), behind a small registry interface that
  tests replace (`_backend`, as in `winenv`).
- macOS hands a scheme only to an app bundle, so keyconf says so and what to run instead.

No key is ever part of the handler: the link carries it, at click time, as an argument, which keyconf takes
out of its command line at once (handoff.scrub_argv). A clicked link is imported only after a person confirms it
on a terminal (never with -y); without one, nothing is written (exit 3).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from keyconf import engine
from keyconf.engine.edits import FileEdit
from keyconf.engine.fsutil import read_bytes
from keyconf.errors import Exit, UnsafeEdit
from keyconf.osenv.system import keyconf_argv, which
from keyconf.pipeline.report import show_diffs
from keyconf.session import Session

SCHEME = "ccswitch"
MIME = "x-scheme-handler/ccswitch"
DESKTOP_ID = "keyconf-ccswitch.desktop"
SECTION = "[Default Applications]"
MACOS_WHY = ("macOS hands a URL scheme only to an app bundle (LSSetDefaultHandlerForURLScheme takes a bundle id), "
             "and keyconf is a command-line program without one")
MACOS_INSTEAD = ("copy the link the dashboard's CC Switch button makes, then run `keyconf import` and paste it at "
                 "the prompt, or: pbpaste | keyconf import -")


def install(session: Session, force: bool, dry_run: bool) -> int:
    platform = session.paths.platform
    if platform == "macos":
        raise UnsafeEdit(f"keyconf cannot register for ccswitch:// links: {MACOS_WHY}", hint=MACOS_INSTEAD)
    if platform == "windows":
        return _windows_install(session, force, dry_run)
    return _linux_install(session, force, dry_run)


def remove(session: Session, dry_run: bool) -> int:
    platform = session.paths.platform
    if platform == "macos":
        raise UnsafeEdit(f"keyconf is never the ccswitch:// handler on macOS: {MACOS_WHY}", hint=MACOS_INSTEAD)
    if platform == "windows":
        return _windows_remove(session, dry_run)
    return _linux_remove(session, dry_run)


def status(session: Session) -> int:
    platform = session.paths.platform
    if platform == "macos":
        info = {"scheme": SCHEME, "platform": platform, "keyconf": False, "handler": None, "owner": None,
                "supported": False, "reason": MACOS_WHY, "instead": "keyconf import"}
        session.out.result(info)
        session.out.say(f"ccswitch:// links: not handled by keyconf; {MACOS_WHY}")
        session.out.say(f"  instead: {MACOS_INSTEAD}")
        return Exit.OK
    info = _windows_status(session) if platform == "windows" else _linux_status(session)
    session.out.result(info)
    if info["keyconf"]:
        session.out.say(f"ccswitch:// links open keyconf ({info['where']})")
    elif info["owner"]:
        session.out.say(f"ccswitch:// links open {info['owner']}, not keyconf")
    else:
        session.out.say("ccswitch:// links: no program handles them (`keyconf handler install`)")
    if info.get("command"):
        session.out.say(f"  command: {info['command']}")
        if not info["passes_link"]:
            session.out.warn("the registered command does not pass the link on; run `keyconf handler install` "
                             "again")
    for note in info.get("notes", ()):
        session.out.say(f"  note: {note}")
    return Exit.OK


# keyconf's record of what it replaced ---------------------------------------------------------------------

def _record_path(session: Session) -> Path:
    return session.paths.keyconf_home / "handler.json"


def _read_record(session: Session) -> dict:
    data = read_bytes(_record_path(session))
    try:
        return json.loads(data) if data else {}
    except ValueError:
        return {}  # a damaged record only loses what to give back; the handler itself is still found


def _record_edit(session: Session, record: dict | None) -> FileEdit:
    path = _record_path(session)
    after = None if record is None else (json.dumps(record, indent=1) + "\n").encode()
    return FileEdit(path, read_bytes(path), after, private=True, internal=True)


def _apply(session: Session, edits: list, command: str, dry_run: bool) -> str | None:
    """Show (dry run) or carry out the edits as one journaled change; the change id, if something changed."""
    if dry_run:
        show_diffs(session.out, session.paths, edits)
        return None
    entry = engine.apply(session.paths, edits, command=command, extra={"clients": []})
    if entry:
        session.out.extra["change_id"] = entry.id
    return entry.id if entry else None


# Linux -----------------------------------------------------------------------------------------------------

def _desktop_path(session: Session) -> Path:
    return session.paths.xdg_data_home / "applications" / DESKTOP_ID


def _mimeapps_path(session: Session) -> Path:
    # where `xdg-mime default` writes (its generic method) and what every desktop reads first
    return session.paths.xdg_config_home / "mimeapps.list"


def _exec_arg(arg: str) -> str:
    """One argument of a desktop entry's Exec key (Desktop Entry spec): quoted when it holds a reserved
    character, `%` doubled; then backslashes doubled for the key's string escaping."""
    arg = arg.replace("%", "%%")
    if any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return arg.replace("\\", "\\\\")


def desktop_entry(argv: list[str]) -> str:
    exec_line = " ".join(_exec_arg(a) for a in argv) + " import --from-handler %u"
    return ("[Desktop Entry]\n"
            "Type=Application\n"
            "Name=keyconf (cc-switch links)\n"
            "Comment=Set up a client from a relay dashboard's CC Switch button\n"
            f"Exec={exec_line}\n"
            # keyconf opens a terminal itself (handoff.open_terminal): launchers honour Terminal=true only
            # sometimes (xdg-open 1.1.3 ignores it when the browser has a terminal), and a terminal started
            # by the launcher would hold the link, key and all, in its own command line.
            "Terminal=false\n"
            f"MimeType={MIME};\n"
            "NoDisplay=true\n")


def set_default(text: str, desktop_id: str | None) -> tuple[str, str | None]:
    """mimeapps.list with the scheme's default set to `desktop_id` (None: the line removed), every other byte
    kept; and the value it had. What `xdg-mime default` does to this file."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    in_section, section_end, old = False, None, None
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            if in_section and section_end is None:
                section_end = len(out)
            in_section = stripped == SECTION
        elif in_section and stripped.split("=", 1)[0].strip() == MIME and "=" in stripped:
            old = stripped.split("=", 1)[1].strip()
            if desktop_id is not None:
                out.append(f"{MIME}={desktop_id}{newline}")
                desktop_id = None  # set: later duplicates are dropped, as xdg-mime does
            continue
        out.append(line)
    if desktop_id is not None:
        if in_section and section_end is None:
            section_end = len(out)
        if section_end is None:
            if out and not out[-1].endswith("\n"):
                out[-1] += newline
            out += [newline] if out and out[-1].strip() else []
            out += [SECTION + newline, f"{MIME}={desktop_id}{newline}"]
        else:
            while section_end > 0 and not out[section_end - 1].strip():
                section_end -= 1  # after the section's last entry, before the blank line that ends it
            if section_end and not out[section_end - 1].endswith("\n"):
                out[section_end - 1] += newline
            out.insert(section_end, f"{MIME}={desktop_id}{newline}")
    return "".join(out), old


def _xdg_mime(session: Session) -> str | None:
    return which("xdg-mime", session.env.get("PATH") or os.defpath)


def _query(session: Session) -> str | None:
    """The desktop entry that opens ccswitch:// links now, as xdg-mime answers (None: no handler)."""
    program = _xdg_mime(session)
    if not program:
        raise UnsafeEdit("xdg-mime was not found, so keyconf cannot tell which program handles ccswitch:// links",
                         hint="install xdg-utils (apt-get install xdg-utils), then run this again")
    result = subprocess.run([program, "query", "default", MIME], env=dict(session.env), capture_output=True,
                            text=True, timeout=30, stdin=subprocess.DEVNULL)
    answer = result.stdout.strip().splitlines()
    return answer[0].strip() if result.returncode == 0 and answer and answer[0].strip() else None


def _find_desktop(session: Session, desktop_id: str) -> Path | None:
    dirs = [session.paths.xdg_data_home] + [
        Path(d) for d in (session.env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":") if d]
    for folder in dirs:
        candidate = folder / "applications" / desktop_id
        if candidate.is_file():
            return candidate
    return None


def _entry_key(path: Path | None, key: str) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + "="):
            return line.split("=", 1)[1].strip()
    return None


def _owner_name(session: Session, desktop_id: str) -> str:
    """`cc-switch.desktop (CC Switch)`: the entry and the name it shows, or that its file is gone."""
    path = _find_desktop(session, desktop_id)
    if path is None:
        return f"{desktop_id} (its .desktop file is missing)"
    name = _entry_key(path, "Name")
    return f"{desktop_id} ({name})" if name else desktop_id


def _refresh_cache(session: Session) -> None:
    """Keep an existing mimeinfo.cache in step with the folder's entries. None is created: the default lives
    in mimeapps.list, and a cache keyconf made would outlive `undo`."""
    folder = _desktop_path(session).parent
    program = which("update-desktop-database", session.env.get("PATH") or os.defpath)
    if program and (folder / "mimeinfo.cache").is_file():
        subprocess.run([program, str(folder)], env=dict(session.env), capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)


def _linux_install(session: Session, force: bool, dry_run: bool) -> int:
    out = session.out
    desktop, mimeapps = _desktop_path(session), _mimeapps_path(session)
    with session.lock():
        current = _query(session)
        record = _read_record(session)
        if current and current != DESKTOP_ID and not force:
            raise UnsafeEdit(f"ccswitch:// links are handled by {_owner_name(session, current)}; keyconf will not "
                             "take them over (nothing was written)",
                             hint="pass --force to make keyconf the handler (`keyconf handler remove` gives it back)")
        entry = desktop_entry(keyconf_argv(session.env))
        old_list = read_bytes(mimeapps)
        new_list, old_line = set_default((old_list or b"").decode("utf-8", errors="surrogateescape"), DESKTOP_ID)
        if current != DESKTOP_ID or not record:
            # what to give back on remove: the line keyconf replaced (if any) and who owned the scheme
            record = {"scheme": SCHEME, "platform": "linux",
                      "previous_default": current if current != DESKTOP_ID else None,
                      "previous_line": old_line if old_line != DESKTOP_ID else None}
        edits = [FileEdit(desktop, read_bytes(desktop), entry.encode()),
                 FileEdit(mimeapps, old_list, new_list.encode("utf-8", errors="surrogateescape")),
                 _record_edit(session, record)]
        change = _apply(session, edits, "handler install", dry_run)
        if dry_run:
            return Exit.OK
        _refresh_cache(session)
        now = _query(session)
        if now != DESKTOP_ID:
            # a desktop that keeps its defaults elsewhere: let xdg-mime write where it reads
            subprocess.run([_xdg_mime(session), "default", DESKTOP_ID, MIME], env=dict(session.env),
                           capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
            now = _query(session)
    if now != DESKTOP_ID:
        raise UnsafeEdit(f"wrote {session.paths.display(desktop)}, but xdg-mime still says ccswitch:// links open "
                         f"{now or 'nothing'}", hint="set the default in your desktop's settings, or run "
                         f"`xdg-mime default {DESKTOP_ID} {MIME}`")
    out.result({"scheme": SCHEME, "status": "installed" if change else "already installed",
                "file": str(desktop), "previous": current if current != DESKTOP_ID else None})
    out.say(f"ccswitch:// links now open keyconf ({session.paths.display(desktop)})" if change else
            "keyconf already handles ccswitch:// links")
    if change and current and current != DESKTOP_ID:
        out.say(f"  replaced {_owner_name(session, current)}; `keyconf handler remove` gives it back")
    return Exit.OK


def _linux_remove(session: Session, dry_run: bool) -> int:
    out = session.out
    desktop, mimeapps = _desktop_path(session), _mimeapps_path(session)
    with session.lock():
        record = _read_record(session)
        old_list = read_bytes(mimeapps)
        text = (old_list or b"").decode("utf-8", errors="surrogateescape")
        new_list, line = set_default(text, None)
        if line == DESKTOP_ID and record.get("previous_line"):
            new_list, _ = set_default(text, record["previous_line"])
        edits = [FileEdit(desktop, read_bytes(desktop), None), _record_edit(session, None)]
        if line == DESKTOP_ID:  # else the default is someone else's now: leave it
            edits.insert(1, FileEdit(mimeapps, old_list, new_list.encode("utf-8", errors="surrogateescape")))
        change = _apply(session, edits, "handler remove", dry_run)
        if dry_run:
            return Exit.OK
        if change:
            _refresh_cache(session)
        now = _query(session) if _xdg_mime(session) else None
    out.result({"scheme": SCHEME, "status": "removed" if change else "not installed", "handler": now})
    if not change:
        out.say("keyconf was not the ccswitch:// handler; nothing to remove")
    else:
        out.say("keyconf no longer handles ccswitch:// links" +
                (f"; they open {_owner_name(session, now)} again" if now else ""))
    return Exit.OK


def _linux_status(session: Session) -> dict:
    desktop = _desktop_path(session)
    notes = []
    current = None
    if _xdg_mime(session):
        current = _query(session)
    else:
        notes.append("xdg-mime is not installed (xdg-utils), so the desktop's choice is unknown")
    ours = current == DESKTOP_ID
    command = _entry_key(desktop if desktop.is_file() else None, "Exec")
    if desktop.is_file() and not ours:
        notes.append(f"{session.paths.display(desktop)} exists but is not the default "
                     "(`keyconf handler install` makes it so)")
    if desktop.is_file() and _entry_key(desktop, "Terminal") == "true":
        notes.append("the entry relies on Terminal=true, which launchers may ignore (an older keyconf wrote it); "
                     "run `keyconf handler install` again")
    return {"scheme": SCHEME, "platform": "linux", "keyconf": ours, "handler": current,
            "owner": _owner_name(session, current) if current and not ours else None,
            "where": session.paths.display(desktop), "file": str(desktop) if desktop.is_file() else None,
            "command": command, "passes_link": bool(command and "%u" in command.split()), "notes": notes}


# Windows ---------------------------------------------------------------------------------------------------

_backend = None
CLASSES = "Software\\Classes"
COMMAND_KEY = f"{SCHEME}\\shell\\open\\command"
MARKER = "keyconf"  # a value keyconf puts in the scheme's key: the key is ours to change or delete


class ClassesRegistry:
    """HKCU\\Software\\Classes through winreg (Windows only). Keys are paths below it; "" is a key's default
    value."""

    def read(self, key: str) -> dict[str, str] | None:
        import winreg

        try:
            handle = winreg.OpenKey(winreg.HKEY_CURRENT_USER, f"{CLASSES}\\{key}")
        except FileNotFoundError:
            return None
        values = {}
        with handle:
            index = 0
            while True:
                try:
                    name, value, _ = winreg.EnumValue(handle, index)
                except OSError:
                    return values
                values[name] = value
                index += 1

    def write(self, key: str, values: dict[str, str]) -> None:
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, f"{CLASSES}\\{key}") as handle:
            for name, value in values.items():
                winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete_tree(self, key: str) -> None:
        import winreg

        path = f"{CLASSES}\\{key}"
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, path) as handle:
                children = []
                while True:
                    try:
                        children.append(winreg.EnumKey(handle, len(children)))
                    except OSError:
                        break
        except FileNotFoundError:
            return
        for child in children:  # DeleteKey refuses a key with subkeys
            self.delete_tree(f"{key}\\{child}")
        winreg.DeleteKey(winreg.HKEY_CURRENT_USER, path)


def backend():
    global _backend
    if _backend is None:
        _backend = ClassesRegistry()
    return _backend


def windows_command(argv: list[str]) -> str:
    return " ".join(f'"{a}"' for a in argv) + ' import --from-handler "%1"'


def _windows_keys() -> dict[str, dict[str, str] | None]:
    return {SCHEME: backend().read(SCHEME), COMMAND_KEY: backend().read(COMMAND_KEY)}


def _windows_install(session: Session, force: bool, dry_run: bool) -> int:
    out = session.out
    wanted = {SCHEME: {"": "URL:ccswitch", "URL Protocol": "", MARKER: "handler"},
              COMMAND_KEY: {"": windows_command(keyconf_argv(session.env))}}
    target = f"HKCU\\{CLASSES}\\{SCHEME}"
    with session.lock():
        current = _windows_keys()
        ours = bool(current[SCHEME] and MARKER in current[SCHEME])
        other = current[SCHEME] is not None and not ours
        if other and not force:
            owner = (current[COMMAND_KEY] or {}).get("") or "another program"
            raise UnsafeEdit(f"ccswitch:// links are handled by {owner} ({target}); keyconf will not take them "
                             "over (nothing was written)",
                             hint="pass --force to make keyconf the handler (`keyconf handler remove` gives it back)")
        changed = any(current[k] is None or any(current[k].get(n) != v for n, v in wanted[k].items())
                      for k in wanted)
        if dry_run:
            out.say(f"would set {target} to run {wanted[COMMAND_KEY]['']}" if changed else "no changes")
            return Exit.OK
        if other:
            _apply(session, [_record_edit(session, {"scheme": SCHEME, "platform": "windows",
                                                    "previous": current})], "handler install", False)
            backend().delete_tree(SCHEME)
        for key, values in wanted.items():
            backend().write(key, values)
    out.result({"scheme": SCHEME, "status": "installed" if changed else "already installed", "key": target,
                "previous": (current[COMMAND_KEY] or {}).get("") if other else None})
    out.say(f"ccswitch:// links now open keyconf ({target})" if changed else
            "keyconf already handles ccswitch:// links")
    return Exit.OK


def _windows_remove(session: Session, dry_run: bool) -> int:
    out = session.out
    with session.lock():
        current = _windows_keys()
        if not (current[SCHEME] and MARKER in current[SCHEME]):
            out.result({"scheme": SCHEME, "status": "not installed"})
            out.say("keyconf was not the ccswitch:// handler; nothing to remove")
            return Exit.OK
        record = _read_record(session)
        if dry_run:
            out.say(f"would delete HKCU\\{CLASSES}\\{SCHEME}" +
                    (" and put back the previous handler" if record.get("previous") else ""))
            return Exit.OK
        backend().delete_tree(SCHEME)
        for key, values in (record.get("previous") or {}).items():
            if values is not None:
                backend().write(key, values)
        if record:
            _apply(session, [_record_edit(session, None)], "handler remove", False)
    out.result({"scheme": SCHEME, "status": "removed"})
    out.say("keyconf no longer handles ccswitch:// links" + ("; the previous handler is back"
                                                             if record.get("previous") else ""))
    return Exit.OK


def _windows_status(session: Session) -> dict:
    current = _windows_keys()
    ours = bool(current[SCHEME] and MARKER in current[SCHEME])
    command = (current[COMMAND_KEY] or {}).get("")
    return {"scheme": SCHEME, "platform": "windows", "keyconf": ours, "handler": command,
            "owner": (command or "a program") if current[SCHEME] is not None and not ours else None,
            "where": f"HKCU\\{CLASSES}\\{SCHEME}", "command": command,
            "passes_link": bool(command and "%1" in command), "notes": []}
