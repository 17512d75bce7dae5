"""Windows user environment variables (HKCU\\Environment), what `[Environment]::SetEnvironmentVariable(n, v,
'User')` does, followed by a WM_SETTINGCHANGE broadcast so new terminals and apps see them.

Behind a small interface: `backend()` is the real registry on Windows; tests put a fake in `_backend`.
Each variable is one `RegistryEdit`, journaled and undone like a file.

A value keeps its registry type: a user's `Path`-like REG_EXPAND_SZ (`%USERPROFILE%\\bin`) must come back
as REG_EXPAND_SZ, or Windows stops expanding it. An edit's bytes carry the type for anything but REG_SZ as
a prefix `\\0REG_EXPAND_SZ\\0` (a NUL can't occur in a variable's value, so this can't be misread).
"""

from __future__ import annotations

from keyconf.engine.edits import Edit

_backend = None

REG_SZ, REG_EXPAND_SZ = 1, 2  # winreg's numbers for the two types a user variable has
_TYPE_NAMES = {REG_EXPAND_SZ: "REG_EXPAND_SZ"}
_TYPES = {v: k for k, v in _TYPE_NAMES.items()}


def pack(value: str | None, kind: int = REG_SZ) -> bytes | None:
    """A typed value as an edit's bytes."""
    if value is None:
        return None
    prefix = f"\0{_TYPE_NAMES[kind]}\0" if kind in _TYPE_NAMES else ""
    return (prefix + value).encode("utf-8")


def unpack(data: bytes | None) -> tuple[str | None, int]:
    if data is None:
        return None, REG_SZ
    text = data.decode("utf-8")
    if text.startswith("\0"):
        name, _, value = text[1:].partition("\0")
        return value, _TYPES.get(name, REG_SZ)
    return text, REG_SZ


def read(name: str) -> tuple[str | None, int]:
    """A variable's value and type (REG_SZ for a backend that knows no types)."""
    typed = getattr(backend(), "get_typed", None)
    if typed is not None:
        return typed(name)
    return backend().get(name), REG_SZ


def write(name: str, value: str | None, kind: int = REG_SZ) -> None:
    if kind == REG_SZ or value is None:
        backend().set(name, value)
    else:
        backend().set(name, value, kind)


class Registry:
    """HKCU\\Environment through winreg (Windows only)."""

    def get(self, name: str) -> str | None:
        return self.get_typed(name)[0]

    def get_typed(self, name: str) -> tuple[str | None, int]:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment") as key:
            try:
                value, kind = winreg.QueryValueEx(key, name)
            except FileNotFoundError:
                return None, REG_SZ
        return value, (kind if kind in (REG_SZ, REG_EXPAND_SZ) else REG_SZ)

    def set(self, name: str, value: str | None, kind: int = REG_SZ) -> None:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment", 0, winreg.KEY_SET_VALUE) as key:
            if value is None:
                try:
                    winreg.DeleteValue(key, name)
                except FileNotFoundError:
                    pass
            else:
                winreg.SetValueEx(key, name, 0, kind, value)

    def broadcast(self) -> None:
        import ctypes

        HWND_BROADCAST, WM_SETTINGCHANGE, SMTO_ABORTIFHUNG = 0xFFFF, 0x001A, 0x0002
        result = ctypes.c_ulong()
        ctypes.windll.user32.SendMessageTimeoutW(HWND_BROADCAST, WM_SETTINGCHANGE, 0, "Environment",
                                                 SMTO_ABORTIFHUNG, 5000, ctypes.byref(result))


def backend():
    global _backend
    if _backend is None:
        _backend = Registry()
    return _backend


class RegistryEdit(Edit):
    """One user variable; its `path` is the variable's name."""

    kind = "registry"

    def __init__(self, name: str, before: bytes | None, after: bytes | None, private: bool = True,
                 internal: bool = False, client: str | None = "shell", mode_before: int | None = None):
        super().__init__(name, before, after, private, internal, client, mode_before)

    @property
    def target(self) -> str:
        return f"HKCU\\Environment\\{self.path}"

    def read_current(self) -> bytes | None:
        return pack(*read(self.path))

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        write(self.path, *unpack(content))
        backend().broadcast()

    def diff(self, display) -> str:
        return f"--- {self.target}\n+++ {self.target}\n-{_shown(self.before)}\n+{_shown(self.after)}\n"


def _shown(data: bytes | None) -> str:
    value, kind = unpack(data)
    if value is None:
        return "(unset)"
    return value + (f"  ({_TYPE_NAMES[kind]})" if kind in _TYPE_NAMES else "")


def plan(variables: dict[str, str], state) -> list[RegistryEdit]:
    """Set the wanted user variables; give the ones keyconf set before and no longer wants their old value.

    The old values (maybe someone's own key) are kept in keyconf's 0600 state, as for every owned setting.
    """
    priors = dict(state.registry)  # name -> the user's value as packed text (its type kept), or None
    edits = []
    for name in sorted(set(priors) | set(variables)):
        current = pack(*read(name))
        if name not in priors:
            priors[name] = None if current is None else current.decode("utf-8")
        if name in variables:
            wanted = pack(variables[name])
        else:
            prior = priors.pop(name)
            wanted = None if prior is None else prior.encode("utf-8")
        edits.append(RegistryEdit(name, current, wanted))
    state.registry = priors
    return edits
