"""A Windows machine inside a test: HKCU\\Environment as a typed in-memory registry, the platform set to
Windows, and PowerShell's execution policy answered without a PowerShell (`windows` fixture)."""

from __future__ import annotations

import pytest


class TypedRegistry:
    """HKCU\\Environment with value types, as winreg has them."""

    def __init__(self):
        from keyconf.osenv.winenv import REG_EXPAND_SZ, REG_SZ

        self.values = {"Path": ("%USERPROFILE%\\bin;C:\\Windows", REG_EXPAND_SZ),
                       "OPENAI_BASE_URL": ("%RELAY%/v1", REG_EXPAND_SZ), "OPENAI_API_KEY": ("sk-own-0000", REG_SZ)}
        self.broadcasts = 0

    def get(self, name):
        return self.values.get(name, (None, 1))[0]

    def get_typed(self, name):
        return self.values.get(name, (None, 1))

    def set(self, name, value, kind=1):
        if value is None:
            self.values.pop(name, None)
        else:
            self.values[name] = (value, kind)

    def broadcast(self):
        self.broadcasts += 1


@pytest.fixture
def windows(monkeypatch):
    from keyconf.osenv import shellenv, winenv

    registry = TypedRegistry()
    monkeypatch.setattr(winenv, "_backend", registry)
    monkeypatch.setenv("KEYCONF_PLATFORM", "windows")
    monkeypatch.delenv("SHELL", raising=False)
    policy = {"effective": "Restricted", "user": "Undefined"}
    monkeypatch.setattr(shellenv, "_ask_policy", lambda paths: (policy["effective"], policy["user"]))
    registry.policy = policy
    return registry


def ps_profiles(home):
    return [home / "Documents" / d / "Microsoft.PowerShell_profile.ps1" for d in ("PowerShell", "WindowsPowerShell")]
