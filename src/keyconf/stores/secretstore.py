"""Where keys live: the system keyring, else a 0600 file (with a warning). keyring is imported lazily.

Following poetry's wrapper: `fail`/`null` backends and an empty chainer mean "no keyring"; a write is read
back (some backends drop writes silently); every call has a timeout so a locked keyring cannot hang us.
"""

from __future__ import annotations

import json
import threading

from keyconf.engine import fsutil
from keyconf.engine.edits import Edit
from keyconf.errors import SecretStoreError
from keyconf.paths import Paths
from keyconf.settings import DEFAULT_KEYRING_TIMEOUT, SECRET_STORES, secret_store

SERVICE = "keyconf"
CHOICES = SECRET_STORES


def _with_timeout(seconds: float, fn, *args):
    """Run a keyring call in a daemon thread; a backend waiting for an unlock dialog must not hang keyconf."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise SecretStoreError(f"the system keyring did not answer within {seconds:.0f} s (locked?)",
                               hint="unlock it, or use --secret-store file")
    if "error" in box:
        exc = box["error"]
        raise SecretStoreError(f"the system keyring failed: {type(exc).__name__}: {exc}",
                               hint="unlock it, or use --secret-store file") from exc
    return box.get("value")


class KeyringBackend:
    name = "keyring"

    def __init__(self, timeout: float = DEFAULT_KEYRING_TIMEOUT):
        self._module = None
        self.timeout = timeout  # KEYCONF_KEYRING_TIMEOUT

    def _keyring(self):
        if self._module is None:
            try:
                import keyring
            except ImportError as exc:
                raise SecretStoreError("the keyring package is not installed") from exc
            self._module = keyring
        return self._module

    def describe(self) -> str:
        return type(self._keyring().get_keyring()).__module__.replace("keyring.backends.", "")

    def available(self) -> tuple[bool, str]:
        """Is there a usable system keyring? Probes by reading, as poetry does."""
        try:
            keyring = self._keyring()
            backend = keyring.get_keyring()
        except Exception as exc:  # noqa: BLE001
            return False, f"keyring could not load: {exc}"
        kind = type(backend).__module__ + "." + type(backend).__name__
        if kind.startswith(("keyring.backends.fail", "keyring.backends.null")):
            return False, "no system keyring backend is available"
        if kind.startswith("keyring.backends.chainer") and not getattr(backend, "backends", None):
            return False, "no system keyring backend is available"
        try:
            _with_timeout(self.timeout, backend.get_password, SERVICE, "__probe__")
        except SecretStoreError as exc:
            return False, exc.message
        return True, self.describe()

    def get(self, profile: str) -> str | None:
        return _with_timeout(self.timeout, self._keyring().get_password, SERVICE, profile)

    def set(self, profile: str, key: str) -> None:
        _with_timeout(self.timeout, self._keyring().set_password, SERVICE, profile, key)
        if self.get(profile) != key:
            raise SecretStoreError("the system keyring accepted the key but does not give it back",
                                   hint="use --secret-store file")

    def delete(self, profile: str) -> None:
        try:
            _with_timeout(self.timeout, self._keyring().delete_password, SERVICE, profile)
        except SecretStoreError as exc:
            if "PasswordDeleteError" not in exc.message:
                raise


class KeyringEdit(Edit):
    """A key in the system keyring as one more edit of a change, so the engine checks, journals, writes
    and rolls it back like a file (`undo` gives back the previous key, or deletes a key the change added).
    It is planned last, so the keyring is written once every file is in place.
    """

    kind = "keyring"

    def __init__(self, path: str, before: bytes | None, after: bytes | None, private: bool = True,
                 internal: bool = True, client: str | None = None, mode_before: int | None = None):
        super().__init__(path, before, after, True, True, client, None)  # path: "keyring:keyconf/<profile>"
        self.timeout = DEFAULT_KEYRING_TIMEOUT  # KEYCONF_KEYRING_TIMEOUT when planned (not journaled)

    @property
    def profile(self) -> str:
        return self.path.split("/", 1)[1]

    def read_current(self) -> bytes | None:
        value = KeyringBackend(self.timeout).get(self.profile)
        return None if value is None else value.encode("utf-8")

    def put(self, content: bytes | None, *, restoring: bool = False) -> None:
        backend = KeyringBackend(self.timeout)
        if content is None:
            backend.delete(self.profile)
        else:
            backend.set(self.profile, content.decode("utf-8"))

    def diff(self, display) -> str:
        verb = "delete" if self.after is None else ("store" if self.before is None else "replace")
        return f"keyring: {verb} the key of profile {self.profile}\n"


class FileBackend:
    """secrets.json in KEYCONF_HOME, 0600, in a 0700 folder."""

    name = "file"

    def __init__(self, paths: Paths):
        self.paths = paths

    def _load(self) -> dict:
        raw = fsutil.read_bytes(self.paths.secrets_file)
        if not raw:
            return {}
        try:
            return dict(json.loads(raw))
        except ValueError:
            raise SecretStoreError(f"{self.paths.secrets_file} is damaged (not JSON)") from None

    def _save(self, data: dict) -> None:
        fsutil.ensure_private_dir(self.paths.keyconf_home)
        fsutil.atomic_write(self.paths.secrets_file, json.dumps(data, indent=1).encode(), private=True)

    def available(self) -> tuple[bool, str]:
        return True, str(self.paths.secrets_file)

    def get(self, profile: str) -> str | None:
        return self._load().get(profile)

    def set(self, profile: str, key: str) -> None:
        data = self._load()
        data[profile] = key
        self._save(data)

    def delete(self, profile: str) -> None:
        data = self._load()
        if data.pop(profile, None) is not None:
            self._save(data)


class SecretWrites:
    """The key changes of one change, planned as edits: one edit of secrets.json for the file store (however
    many profiles change), one KeyringEdit per profile for the keyring."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self._file: dict | None = None
        self._file_raw: bytes | None = None
        self._keyring: dict[str, str | None] = {}

    def _file_data(self) -> dict:
        if self._file is None:
            self._file_raw = fsutil.read_bytes(self.paths.secrets_file)
            self._file = FileBackend(self.paths)._load()
        return self._file

    def set(self, store: str, profile: str, key: str) -> None:
        if store == "keyring":
            self._keyring[profile] = key
        else:
            self._file_data()[profile] = key

    def delete(self, store: str, profile: str) -> None:
        if store == "keyring":
            self._keyring[profile] = None
        else:
            self._file_data().pop(profile, None)

    def edits(self) -> list:
        from keyconf.engine.edits import FileEdit

        out = []
        if self._file is not None:
            after = json.dumps(self._file, indent=1).encode() if (self._file or self._file_raw) else None
            if self._file_raw is not None and after is not None and json.loads(self._file_raw) == self._file:
                after = self._file_raw
            out.append(FileEdit(self.paths.secrets_file, self._file_raw, after, private=True, internal=True))
        for profile, key in self._keyring.items():
            timeout = self.paths.settings.keyring_timeout
            current = KeyringBackend(timeout).get(profile)
            edit = KeyringEdit(f"keyring:{SERVICE}/{profile}", None if current is None else current.encode("utf-8"),
                               None if key is None else key.encode("utf-8"))
            edit.timeout = timeout
            out.append(edit)
        return out


def choice(paths: Paths, explicit: str | None) -> str:
    """--secret-store, else KEYCONF_SECRET_STORE, else auto."""
    return secret_store(explicit, "--secret-store") if explicit else paths.settings.secret_store


def backend(paths: Paths, name: str):
    return KeyringBackend(paths.settings.keyring_timeout) if name == "keyring" else FileBackend(paths)


def open_for_writing(paths: Paths, explicit: str | None) -> tuple[object, str | None]:
    """The backend a new key goes to, and a warning to show (for the file fallback under `auto`)."""
    wanted = choice(paths, explicit)
    if wanted == "file":
        return FileBackend(paths), None
    keyring_backend = KeyringBackend(paths.settings.keyring_timeout)
    ok, why = keyring_backend.available()
    if ok:
        return keyring_backend, None
    if wanted == "keyring":
        raise SecretStoreError(f"the system keyring is not available: {why}",
                               hint="start/unlock your keyring, or use --secret-store file")
    return FileBackend(paths), (f"no system keyring ({why}); the key is stored in "
                                f"{paths.display(paths.secrets_file)} (0600)")


def read_key(paths: Paths, profile) -> str:
    """The key of a profile, from wherever it was stored."""
    key = backend(paths, profile.secret_store).get(profile.name)
    if not key:
        raise SecretStoreError(f"no key for profile {profile.name!r} in the {profile.secret_store} store",
                               hint=f"store it again: keyconf profile rotate {profile.name} --key-stdin")
    from keyconf.masking import remember

    remember(key)
    return key


def store_for_writing(paths: Paths, explicit: str | None) -> tuple[str, str | None]:
    """The name of the store a new key goes to (keyring | file), and a warning for the file fallback."""
    backend_obj, warning = open_for_writing(paths, explicit)
    return backend_obj.name, warning
