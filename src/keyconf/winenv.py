"""Windows user environment variables (HKCU\\Environment), what `[Environment]::SetEnvironmentVariable(n, v,
'User')` does, followed by a WM_SETTINGCHANGE broadcast so new terminals and apps see them.

Behind a small interface: `backend()` is the real registry on Windows; tests put a fake in `_backend`.
Each variable is one `RegistryEdit`, journaled and undone like a file.
"""

from __future__ import annotations

from keyconf.edits import Edit

_backend = None


class Registry:
    """HKCU\\Environment through winreg (Windows only)."""

    def get(self, name: str) -> str | None:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment") as key:
            try:
                return winreg.QueryValueEx(key, name)[0]
            except FileNotFoundError:
                return None

    def set(self, name: str, value: str | None) -> None:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment", 0, winreg.KEY_SET_VALUE) as key:
            if value is None:
                try:
                    winreg.DeleteValue(key, name)
                except FileNotFoundError:
                    pass
            else:
                winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

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
        value = backend().get(self.path)
        return None if value is None else value.encode("utf-8")

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        backend().set(self.path, None if content is None else content.decode("utf-8"))
        backend().broadcast()

    def diff(self, display) -> str:
        old = "(unset)" if self.before is None else self.before.decode()
        new = "(unset)" if self.after is None else self.after.decode()
        return f"--- {self.target}\n+++ {self.target}\n-{old}\n+{new}\n"


def plan(variables: dict[str, str], state) -> list[RegistryEdit]:
    """Set the wanted user variables; give the ones keyconf set before and no longer wants their old value.

    The old values (maybe someone's own key) are kept in keyconf's 0600 state, as for every owned setting.
    """
    priors = dict(state.registry)
    edits = []
    for name in sorted(set(priors) | set(variables)):
        current = backend().get(name)
        if name not in priors:
            priors[name] = current
        wanted = variables[name] if name in variables else priors.pop(name)
        edits.append(RegistryEdit(name, None if current is None else current.encode(),
                                  None if wanted is None else wanted.encode()))
    state.registry = priors
    return edits
