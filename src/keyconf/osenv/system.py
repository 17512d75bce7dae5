"""The few questions keyconf asks the operating system: is a program on PATH, is an app running, open a
link with the desktop's handler, and which command runs keyconf itself. Kept light (no shutil, no
subprocess at import) because `status` uses `which`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping


def which(name: str, path: str | None) -> str | None:
    """shutil.which without importing shutil (and with it bz2/lzma) on the status path."""
    exts = os.environ.get("PATHEXT", ".EXE").split(os.pathsep) if os.name == "nt" else [""]
    for folder in (path or "").split(os.pathsep):
        for ext in exts:
            candidate = os.path.join(folder, name + ext)
            if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def running(env: Mapping[str, str], names: tuple[str, ...]) -> bool:
    """Is a process with one of these exact names running? Linux: the kernel's /proc (no process started);
    elsewhere pgrep where there is one; False where neither is (Windows)."""
    if os.name == "nt" or not names:
        return False
    if os.path.isdir("/proc/self"):
        return bool(_proc_names() & {name[:15] for name in names})  # the kernel keeps 15 characters
    pgrep = which("pgrep", env.get("PATH") or os.defpath)
    if not pgrep:
        return False
    import subprocess

    return any(subprocess.run([pgrep, "-x", name], capture_output=True).returncode == 0 for name in names)


def _proc_names() -> set[str]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="utf-8", errors="replace") as handle:
                    found.add(handle.read().rstrip("\n"))
            except OSError:
                pass  # the process ended while we looked
    return found


def opener(env: Mapping[str, str], platform: str) -> str | None:
    """The program that hands a link to the desktop's handler, if there is one."""
    if platform == "windows" and os.name == "nt":
        return "startfile"
    return which("open" if platform == "macos" else "xdg-open", env.get("PATH"))


def open_link(env: Mapping[str, str], platform: str, link: str) -> None:
    """Hand a link to the OS handler. The OS passes it on to the app as an argument: that is how deep links
    work, so an import link's key is briefly on that app's command line."""
    from keyconf.errors import UnsafeEdit

    program = opener(env, platform)
    if program == "startfile":
        os.startfile(link)  # noqa: S606
        return
    if not program:
        raise UnsafeEdit("no program to open links (xdg-open / open) was found on this machine",
                         hint="print the link with --reveal and open it where the app runs")
    import subprocess

    done = subprocess.run([program, link], check=False, timeout=30, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    if done.returncode != 0:
        raise UnsafeEdit(f"{os.path.basename(program)} could not open the link (exit {done.returncode}): no "
                         "program is registered for it here",
                         hint="print the link with --reveal and open it where the app runs")


def keyconf_argv(env: Mapping[str, str]) -> list[str]:
    """An absolute command that runs keyconf, for apiKeyHelper and Codex's auth command: those run it long
    after this process, so prefer what survives: the `keyconf` console script on PATH, else the Python of a
    pipx or uv tool environment, and only then the interpreter running now (maybe a clone's .venv)."""
    on_path = which("keyconf", env.get("PATH"))
    if on_path and not in_checkout_venv(on_path):
        return [os.path.abspath(on_path)]
    for python in tool_pythons(env):
        if python.is_file():
            return [str(python), "-m", "keyconf"]
    if on_path:
        return [os.path.abspath(on_path)]
    script = Path(sys.executable).parent / ("keyconf.exe" if os.name == "nt" else "keyconf")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "keyconf"]


def tool_pythons(env: Mapping[str, str]) -> list[Path]:
    """Where `pipx install keyconf` and `uv tool install keyconf` put keyconf's own interpreter."""
    home = Path(env.get("HOME") or env.get("USERPROFILE") or "~").expanduser()
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    folders = [Path(env["PIPX_HOME"]) / "venvs" if env.get("PIPX_HOME") else None,
               data / "pipx" / "venvs", home / ".local" / "pipx" / "venvs",  # pipx >= 1.3, older pipx
               Path(env["UV_TOOL_DIR"]) if env.get("UV_TOOL_DIR") else None, data / "uv" / "tools"]
    exe = Path("Scripts", "python.exe") if os.name == "nt" else Path("bin", "python")
    return [folder / "keyconf" / exe for folder in folders if folder is not None]


def in_checkout_venv(path: str) -> bool:
    """Is this inside a `.venv` of a source checkout (a git work tree)? Such a venv goes when the clone
    goes, and takes every client that runs keyconf from it along."""
    parts = Path(os.path.abspath(path)).parts
    for i, part in enumerate(parts):
        if part == ".venv" and (Path(*parts[:i]) / ".git").exists():
            return True
    return False


def fragile_command_warning(argv: list[str], client: str) -> str | None:
    """The warning for a client command that runs keyconf from a clone's .venv."""
    if not argv or not in_checkout_venv(argv[0]):
        return None
    return (f"{client} will run keyconf from {argv[0]}, inside a source checkout's .venv: deleting that "
            "clone breaks it; `pipx install` keyconf (or `uv tool install`) and run this again")
