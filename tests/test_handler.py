"""`keyconf handler`: keyconf opens ccswitch:// links. The Linux path runs for real: the real xdg-mime answers
who handles the scheme, and the registered Exec line is run with a dashboard's link, as the desktop would."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys

import pytest

from conftest import KEY, require_tool, snapshot
from keyconf import links
from keyconf.commands import handler

sys.path.insert(0, os.path.dirname(__file__))
from test_interactive import _run_on_terminal  # noqa: E402

MIME = "x-scheme-handler/ccswitch"


@pytest.fixture
def xdg(home, monkeypatch):
    """The real xdg-mime, in its generic (no desktop) mode, inside the temp HOME."""
    require_tool("xdg-mime")
    for name in ("DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID", "MATE_DESKTOP_SESSION_ID"):
        monkeypatch.delenv(name, raising=False)
    return home


def query() -> str:
    return subprocess.run(["xdg-mime", "query", "default", MIME], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def desktop_file(home):
    return home / ".local" / "share" / "applications" / "keyconf-ccswitch.desktop"


def exec_argv(home, link: str) -> list[str]:
    """The registered Exec line with %u replaced by the link, as a desktop launches it."""
    line = next(x for x in desktop_file(home).read_text().splitlines() if x.startswith("Exec="))
    return [link if arg == "%u" else arg for arg in shlex.split(line.removeprefix("Exec="))]


def other_app(home, name="cc-switch.desktop"):
    """An installed cc-switch that owns the scheme, set the way its installer does (`xdg-mime default`)."""
    apps = home / ".local" / "share" / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / name).write_text("[Desktop Entry]\nType=Application\nName=CC Switch\nExec=/opt/cc-switch %u\n"
                             f"MimeType={MIME};\n")
    subprocess.run(["xdg-mime", "default", name, MIME], check=True, timeout=30)
    assert query() == name


def test_install_registers_keyconf_and_the_exec_line_imports_the_link(kc, xdg, relay):
    home = xdg
    result = kc("handler", "install")
    assert result.code == 0, result.output
    assert query() == "keyconf-ccswitch.desktop"
    entry = desktop_file(home).read_text()
    for line in ("Type=Application", "Name=keyconf (cc-switch links)", "Terminal=false",
                 f"MimeType={MIME};", "NoDisplay=true"):
        assert line in entry.splitlines()
    argv = exec_argv(home, "%u")
    assert os.path.isabs(argv[0]) and argv[-3:] == ["import", "--from-handler", "%u"]
    validate = require_tool("desktop-file-validate")  # desktop-file-utils: the spec's own checker
    check = subprocess.run([validate, str(desktop_file(home))], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr

    # the desktop starts the Exec line with the clicked link; here without a terminal, and with no terminal
    # emulator to open: nothing is written, and it says why (exit 3)
    link, masked = links.ccswitch_link("claude", "team", relay.url, KEY, {"model": "claude-sonnet-4-5"})
    before = snapshot(home)
    env = {k: v for k, v in os.environ.items() if k != "TERMINAL"}
    env["PATH"] = os.path.dirname(argv[0]) + ":/usr/bin:/bin"
    run = subprocess.run(exec_argv(home, link), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=120, env=env)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "confirm it on a terminal" in run.stderr and "nothing was written" in run.stderr
    assert snapshot(home) == before and not (home / ".claude" / "settings.json").exists()
    assert KEY not in run.stdout + run.stderr
    # the handler never holds a key: the link brings it at click time
    assert KEY not in desktop_file(home).read_text()
    assert KEY not in (home / ".config" / "mimeapps.list").read_text()


def test_the_exec_line_on_a_terminal_previews_masked_and_asks(xdg, relay, kc):
    home = xdg
    assert kc("handler", "install").code == 0
    link, _ = links.ccswitch_link("claude", "team", relay.url, KEY, {"model": "claude-sonnet-4-5"})
    argv = exec_argv(home, link)
    assert argv[0].endswith("keyconf")
    code, screen = _run_on_terminal(argv[1:], [(b"Import into", "n"), (b"Press Enter to close", "")], home)
    assert code == 0, screen
    assert "shell history" not in screen  # a clicked link is in no history
    assert KEY not in screen and "sk-…YZ42" in screen and relay.url in screen
    assert not (home / ".claude" / "settings.json").exists()


def test_install_is_idempotent_and_undo_takes_it_back(kc, xdg):
    home = xdg
    before = snapshot(home)
    assert kc("handler", "install").code == 0
    again = kc("handler", "install", "--json")
    assert again.code == 0 and again.json()["results"][0]["status"] == "already installed"
    record = home / ".config" / "keyconf" / "handler.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert kc("undo").code == 0
    assert snapshot(home) == before and query() == ""


def test_another_app_owning_the_scheme_is_refused_then_force_and_remove_give_it_back(kc, xdg):
    home = xdg
    other_app(home)
    apps = home / ".local" / "share" / "applications"
    subprocess.run(["update-desktop-database", str(apps)], check=True, timeout=60)  # a cache keyconf keeps up
    before = snapshot(home)
    refused = kc("handler", "install")
    assert refused.code == 3
    assert "cc-switch.desktop (CC Switch)" in refused.stderr and "--force" in refused.stderr
    assert snapshot(home) == before and query() == "cc-switch.desktop"

    forced = kc("handler", "install", "--force", "--json")
    assert forced.code == 0, forced.output
    assert forced.json()["results"][0]["previous"] == "cc-switch.desktop"
    assert query() == "keyconf-ccswitch.desktop"
    assert "keyconf-ccswitch.desktop" in (apps / "mimeinfo.cache").read_text()
    status = kc("handler", "status", "--json").json()["results"][0]
    assert status["keyconf"] is True and status["passes_link"] is True

    removed = kc("handler", "remove")
    assert removed.code == 0, removed.output
    assert "CC Switch" in removed.stdout
    assert query() == "cc-switch.desktop"
    assert snapshot(home) == before  # mimeapps.list and the cache byte for byte, our entry gone


def test_status_names_the_owner_and_a_broken_exec_line(kc, xdg):
    home = xdg
    empty = kc("handler", "status", "--json")
    assert empty.code == 0
    doc = empty.json()["results"][0]
    assert doc["keyconf"] is False and doc["handler"] is None and doc["owner"] is None
    other_app(home)
    doc = kc("handler", "status", "--json").json()["results"][0]
    assert doc["keyconf"] is False and doc["owner"] == "cc-switch.desktop (CC Switch)"
    assert kc("handler", "install", "--force").code == 0
    path = desktop_file(home)
    path.write_text(path.read_text().replace(" %u", ""))
    result = kc("handler", "status")
    assert "does not pass the link on" in result.stderr
    assert kc("handler", "status", "--json").json()["results"][0]["passes_link"] is False


def test_remove_without_install_changes_nothing(kc, xdg):
    before = snapshot(xdg)
    result = kc("handler", "remove", "--json")
    assert result.code == 0 and result.json()["results"][0]["status"] == "not installed"
    assert snapshot(xdg) == before


def test_dry_run_shows_the_entry_and_writes_nothing(kc, xdg):
    before = snapshot(xdg)
    result = kc("handler", "install", "--dry-run")
    assert result.code == 0 and "Exec=" in result.stdout and "import --from-handler %u" in result.stdout
    assert snapshot(xdg) == before and query() == ""


def test_macos_says_why_and_what_to_run_instead(kc, home, monkeypatch):
    monkeypatch.setenv("KEYCONF_PLATFORM", "macos")
    before = snapshot(home)
    result = kc("handler", "install")
    assert result.code == 3
    assert "app bundle" in result.stderr and "pbpaste | keyconf import -" in result.stderr
    assert snapshot(home) == before
    assert kc("handler", "status", "--json").json()["results"][0]["supported"] is False


class FakeClasses:
    """HKCU\\Software\\Classes as a dict of key path -> values."""

    def __init__(self, keys=None):
        self.keys = dict(keys or {})

    def read(self, key):
        return dict(self.keys[key]) if key in self.keys else None

    def write(self, key, values):
        self.keys.setdefault(key, {}).update(values)

    def delete_tree(self, key):
        for name in [k for k in self.keys if k == key or k.startswith(key + "\\")]:
            del self.keys[name]


def test_windows_registers_the_url_protocol_key(kc, home, monkeypatch):
    fake = FakeClasses()
    monkeypatch.setattr(handler, "_backend", fake)
    monkeypatch.setenv("KEYCONF_PLATFORM", "windows")
    assert kc("handler", "install").code == 0, "install"
    assert fake.keys["ccswitch"]["URL Protocol"] == ""
    command = fake.keys["ccswitch\\shell\\open\\command"][""]
    assert command.startswith('"') and command.endswith(' import --from-handler "%1"')
    assert kc("handler", "status", "--json").json()["results"][0]["keyconf"] is True
    assert kc("handler", "remove").code == 0
    assert fake.keys == {}


def test_windows_leaves_another_apps_key_alone_unless_forced(kc, home, monkeypatch):
    theirs = {"ccswitch": {"": "URL:ccswitch", "URL Protocol": ""},
              "ccswitch\\shell\\open\\command": {"": '"C:\\Apps\\CC Switch.exe" "%1"'}}
    fake = FakeClasses(theirs)
    monkeypatch.setattr(handler, "_backend", fake)
    monkeypatch.setenv("KEYCONF_PLATFORM", "windows")
    refused = kc("handler", "install")
    assert refused.code == 3 and "CC Switch.exe" in refused.stderr
    assert fake.keys == theirs
    assert kc("handler", "install", "--force").code == 0
    assert "import" in fake.keys["ccswitch\\shell\\open\\command"][""]
    assert kc("handler", "remove").code == 0
    assert fake.keys == theirs


@pytest.mark.parametrize("before, after", [
    ("", f"[Default Applications]\n{MIME}=keyconf-ccswitch.desktop\n"),
    ("[Default Applications]\ntext/html=firefox.desktop\n\n[Added Associations]\nx=y;\n",
     f"[Default Applications]\ntext/html=firefox.desktop\n{MIME}=keyconf-ccswitch.desktop\n\n"
     "[Added Associations]\nx=y;\n"),
    (f"[Default Applications]\r\n{MIME}=cc-switch.desktop\r\ntext/html=f.desktop",
     f"[Default Applications]\r\n{MIME}=keyconf-ccswitch.desktop\r\ntext/html=f.desktop"),
    ("[Added Associations]\nx=y;", f"[Added Associations]\nx=y;\n\n[Default Applications]\n"
                                   f"{MIME}=keyconf-ccswitch.desktop\n"),
])
def test_mimeapps_list_edit_keeps_every_other_byte(before, after):
    text, _ = handler.set_default(before, "keyconf-ccswitch.desktop")
    assert text == after


def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says():
    entry = handler.desktop_entry(["/home/a b/.venv/bin/python", "-m", "keyconf"])
    assert 'Exec="/home/a b/.venv/bin/python" -m keyconf import --from-handler %u' in entry
    assert handler._exec_arg("/x/100%") == "/x/100%%"
