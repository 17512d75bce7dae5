"""Windows user environment variables (HKCU\\Environment), what `[Environment]::SetEnvironmentVariable(n, v,
'User')` does, followed by a WM_SETTINGCHANGE broadcast so new terminals and apps see them.

Behind a small interface: `backend()` is the real registry on Windows; tests install a fake on any OS.
Each variable is one `RegistryEdit`, journaled and undone like a file.
"""

from __future__ import annotations

from keyconf.edits import digest

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


def use_backend(replacement) -> None:
    """Tests (and other platforms) put a fake registry here."""
    global _backend
    _backend = replacement


class RegistryEdit:
    kind = "registry"

    def __init__(self, name: str, before: bytes | None, after: bytes | None, private: bool = True,
                 internal: bool = False, client: str | None = "shell", mode_before: int | None = None):
        self.name = name
        self.before, self.after = before, after
        self.private, self.internal, self.client, self.mode_before = private, internal, client, mode_before

    @property
    def changes(self) -> bool:
        return self.before != self.after

    @property
    def target(self) -> str:
        return f"HKCU\\Environment\\{self.name}"

    @property
    def path(self) -> str:
        return self.target

    def read_current(self) -> bytes | None:
        value = backend().get(self.name)
        return None if value is None else value.encode("utf-8")

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        backend().set(self.name, None if content is None else content.decode("utf-8"))
        backend().broadcast()

    def snapshot_mode(self) -> None:
        pass

    def diff(self, display) -> str:
        old = "(unset)" if self.before is None else self.before.decode()
        new = "(unset)" if self.after is None else self.after.decode()
        return f"--- {self.target}\n+++ {self.target}\n-{old}\n+{new}\n"

    def record(self) -> dict:
        return {"kind": self.kind, "path": self.name, "private": True, "internal": False, "client": self.client,
                "mode_before": None, "after_sha": digest(self.after)}

    @classmethod
    def from_record(cls, rec: dict, before: bytes | None) -> "RegistryEdit":
        return cls(rec["path"], before, None, client=rec.get("client"))


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
