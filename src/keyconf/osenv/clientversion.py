"""Which release of a client is installed, asked cheaply: verification needs it to know the model the
client will ask for (see adapters/releases.py). Never used on `status`'s path.

1. An npm install (every CLI keyconf knows ships on npm): the `package.json` of the named package above the
   program's resolved path says the version. One small file read; exact; no program runs.
2. Otherwise `PROGRAM --version`, with a 2 s limit (a hanging, failing or babbling program means "can't
   tell"). The answer is cached in keyconf's folder by the program's resolved path, mtime and size, so the
   next verification does not run it again. A shim (an asdf or mise shim, volta's one `volta-shim` behind
   every tool, an npx wrapper script) is run every time and never cached: which release it starts depends on
   the folder and the version manager, not on the shim's own bytes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Mapping

from keyconf.osenv.system import which

TIMEOUT = 2.0
CACHE_NAME = "client-versions.json"
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """(2, 1, 332) from "2.1.332 (Claude Code)", "codex-cli 0.171.0", "0.61.0"; None for anything else."""
    match = _VERSION.search(text or "")
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


class Installed:
    """The installed release (`version`, e.g. "2.1.332") or why it is unknown (`problem`)."""

    def __init__(self, version: str | None, problem: str | None = None, path: str | None = None,
                 missing: bool = False):
        self.version = version
        self.problem = problem
        self.path = path
        self.missing = missing  # not installed at all

    def __repr__(self) -> str:
        return f"Installed({self.version!r}, {self.problem!r})"


def installed(binary: str | None, package: str | None, env: Mapping[str, str], home: Path | None) -> Installed:
    """The release of `binary` found on env's PATH. `package`: its npm package name; `home`: keyconf's folder
    (for the cache; None: no cache)."""
    if not binary:
        return Installed(None, "keyconf does not know how to find it")
    found = which(binary, env.get("PATH"))
    if not found:
        return Installed(None, f"no `{binary}` on PATH", missing=True)
    real = os.path.realpath(found)
    version = _from_package(real, package) if package else None
    if version:
        return Installed(version, path=found)
    try:
        info = os.stat(real)
    except OSError as exc:
        return Installed(None, f"cannot read {found}: {exc.strerror or exc}", found)
    key, stamp = os.path.abspath(found), [real, info.st_mtime_ns, info.st_size]
    shim = _is_shim(found, real)
    cache_file = home / CACHE_NAME if home is not None else None
    if cache_file is not None and not shim:
        hit = _load(cache_file).get(key)
        if isinstance(hit, dict) and hit.get("stamp") == stamp and isinstance(hit.get("version"), str):
            return Installed(hit["version"], path=found)
    answer, problem = _ask(found, env)
    parsed = parse_version(answer)
    if parsed is None:
        return Installed(None, problem or f"`{binary} --version` printed no version number "
                                          f"({(answer or '').strip()[:60]!r})", found)
    version = ".".join(map(str, parsed))
    if cache_file is not None and not shim:
        _store(cache_file, key, {"stamp": stamp, "version": version})
    return Installed(version, path=found)


def _from_package(real: str, package: str) -> str | None:
    """The version in the package.json of `package` in a folder above `real` (at most 6 up)."""
    folder = Path(real).parent
    for _ in range(6):
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                data = None
            if isinstance(data, dict) and data.get("name") == package and isinstance(data.get("version"), str):
                return data["version"]
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def _is_shim(found: str, real: str) -> bool:
    """A program that starts another one chosen elsewhere: a script (asdf shims, npx wrappers), a program named
    like a shim (volta-shim), or anything in a `shims` folder (mise links its own binary there)."""
    if "shim" in os.path.basename(real).lower() or "shims" in Path(found).parts:
        return True
    return _is_script(real)


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def _ask(program: str, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(output, None) of `program --version`, or (None, why not). The whole process group is killed on
    timeout: a wrapper's child holding the pipe would otherwise keep us waiting."""
    import signal
    import subprocess

    name = os.path.basename(program)
    try:
        proc = subprocess.Popen([program, "--version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=dict(env), start_new_session=os.name != "nt")
    except OSError as exc:
        return None, f"`{name} --version` could not start: {exc.strerror or exc}"
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            if os.name != "nt":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except OSError:
            pass
        proc.communicate()
        return None, f"`{name} --version` did not answer within {TIMEOUT:g} s"
    if proc.returncode != 0:
        return None, f"`{name} --version` failed (exit {proc.returncode})"
    return out.decode("utf-8", "replace")[:500], None


def _load(cache_file: Path) -> dict:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _store(cache_file: Path, key: str, entry: dict) -> None:
    """Best effort: a cache that cannot be written costs a --version next time, nothing more. Only into
    keyconf's folder when it exists already (a check alone does not create it)."""
    if not cache_file.parent.is_dir():
        return
    import tempfile

    data = _load(cache_file)
    data[key] = entry
    try:
        fd, temp = tempfile.mkstemp(prefix=".client-versions.", suffix=".tmp", dir=cache_file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(temp, cache_file)
    except OSError:
        try:
            os.unlink(temp)
        except (OSError, UnboundLocalError):
            pass


def of(adapter) -> Installed:
    """The installed release of an adapter's client, from this process's PATH, cached in KEYCONF_HOME."""
    if adapter is None:
        return Installed(None, "no client is named")
    from keyconf.paths import Paths

    paths = Paths.from_environ()
    return installed(adapter.binary, adapter.npm_package, paths.env, paths.keyconf_home)
