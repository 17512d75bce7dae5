"""Every location keyconf reads or writes, derived once from the environment and the platform.

Built from a plain mapping and a platform name so tests can pretend to be any OS inside a temp folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping


def _platform_name(platform: str) -> str:
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "macos"
    return "linux"


class Paths:
    def __init__(self, env: Mapping[str, str] | None = None, platform: str | None = None):
        self.env = dict(os.environ) if env is None else env
        self.platform = platform or _platform_name(sys.platform)

    @classmethod
    def from_environ(cls) -> "Paths":
        # KEYCONF_PLATFORM (linux|macos|windows) lets tests lay out any OS's files inside a temp folder.
        return cls(dict(os.environ), os.environ.get("KEYCONF_PLATFORM") or _platform_name(sys.platform))

    @property
    def settings(self):
        """keyconf's environment knobs (keyconf.settings), each checked when first read."""
        settings = self.__dict__.get("_settings")
        if settings is None:
            from keyconf.settings import Settings

            settings = self.__dict__["_settings"] = Settings(self.env)
        return settings

    def _var(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    @property
    def home(self) -> Path:
        home = self._var("HOME") or (self._var("USERPROFILE") if self.platform == "windows" else None)
        return Path(home) if home else Path.home()

    # keyconf's own folder -------------------------------------------------------------------
    @property
    def keyconf_home(self) -> Path:
        explicit = self._var("KEYCONF_HOME")
        if explicit:
            return Path(explicit)
        if self.platform == "linux":
            return Path(self._var("XDG_CONFIG_HOME") or self.home / ".config") / "keyconf"
        if self.platform == "macos":
            return self.home / "Library" / "Application Support" / "keyconf"
        return Path(self._var("APPDATA") or self.home / "AppData" / "Roaming") / "keyconf"

    @property
    def profiles_file(self) -> Path:
        return self.keyconf_home / "profiles.toml"

    @property
    def state_file(self) -> Path:
        return self.keyconf_home / "state.json"

    @property
    def secrets_file(self) -> Path:
        return self.keyconf_home / "secrets.json"

    @property
    def journal_dir(self) -> Path:
        return self.keyconf_home / "journal"

    @property
    def lock_file(self) -> Path:
        return self.keyconf_home / "lock"

    # Shells -----------------------------------------------------------------------------------
    @property
    def xdg_config_home(self) -> Path:
        return Path(self._var("XDG_CONFIG_HOME") or self.home / ".config")

    @property
    def xdg_data_home(self) -> Path:
        return Path(self._var("XDG_DATA_HOME") or self.home / ".local" / "share")

    def display(self, path: Path | str) -> str:
        """A path as users think of it: `~/.claude/settings.json`."""
        text = str(path)
        home = str(self.home)
        if home and home != "/" and (text == home or text.startswith(home + os.sep)):
            return "~" + text[len(home):]
        return text
