"""Which profile and key a command works with: a stored profile, or a new one from the given Base URL
and key (flags, environment, hidden prompt; never argv). Storing them is planned into the change."""

from __future__ import annotations

import time

from keyconf.errors import KeyconfError, UnsafeEdit
from keyconf.paths import Paths
from keyconf.stores import secretstore
from keyconf.stores.profiles import Profile, Profiles, check_name
from keyconf.urls import normalise_root_with_notes


class KeySource:
    """How this run was given a profile, Base URL and key (flags; the key never comes from argv)."""

    def __init__(self, profile: str | None = None, base_url: str | None = None, key_stdin: bool = False,
                 key_env: str | None = None, secret_store: str | None = None, key: str | None = None):
        self.profile = profile
        self.base_url = base_url
        self.key_stdin = key_stdin
        self.key_env = key_env
        self.secret_store = secret_store
        self.key = key  # already read (rotate, import and apply read it before anything else)

    def key_given(self, session) -> bool:
        """The key came from a flag, the environment or the caller: asking again cannot give another."""
        return bool(self.key_stdin or self.key_env or session.settings.api_key)


class Chosen:
    """The profile of a change, its key, and whether either is new to keyconf's store."""

    def __init__(self, profile: Profile, key: str, new_key: bool, existed: bool, url_changed: bool = False,
                 store_choice: str | None = None, make_default: bool = False):
        self.profile = profile
        self.key = key
        self.new_key = new_key  # the key must be (re)stored
        self.existed = existed
        self.url_changed = url_changed  # an existing profile gets another Base URL
        self.store_choice = store_choice  # --secret-store, for a key that must be stored
        self.make_default = make_default
        self.keep = False  # stored even if no client of the change uses it
        # the command works on this stored profile (rotate, or a `use` that reuses it as it is): if another
        # keyconf removed it meanwhile, the command fails as it would have run after that removal
        self.must_exist = False
        self.by_default = False  # picked as the default profile (no --profile given)
        self.key_from_store = False  # the key is the profile's stored one: read again under the lock
        self.notes: list[str] = []  # what was cleaned from the input (a `Bearer ` prefix, a page path)


def refreshed(paths: Paths, chosen: Chosen) -> Chosen:
    """The same profile and key, measured again against the store (under the lock: another keyconf may have
    removed or changed the profile since this one was chosen)."""
    book = Profiles(paths)
    if chosen.must_exist:
        book.get(chosen.profile.name)  # "no profile named X" (exit 2)
    if chosen.by_default and book.default not in (None, chosen.profile.name):
        raise UnsafeEdit(f"the default profile changed to {book.default} while keyconf was working (it had "
                         f"picked {chosen.profile.name}); nothing was written",
                         hint="run the command again, or name the profile with --profile")
    key = chosen.key
    if chosen.key_from_store and chosen.profile.name in book.items:
        try:
            # a `profile rotate` that ran meanwhile stored another key: this change writes that one
            key = secretstore.read_key(paths, book.items[chosen.profile.name])
        except KeyconfError:
            pass
    fresh = given_profile(paths, chosen.profile.name, chosen.profile.base_url, key, chosen.store_choice)
    fresh.keep, fresh.notes, fresh.make_default = chosen.keep, chosen.notes, chosen.make_default
    fresh.must_exist, fresh.by_default = chosen.must_exist, chosen.by_default
    fresh.key_from_store = chosen.key_from_store
    if chosen.profile.usage is not None:
        fresh.profile.usage = chosen.profile.usage
    return fresh


def choose_profile(session, src: KeySource) -> Chosen:
    """Reuse a stored profile, or build one from the given (or prompted) Base URL and key. Writes nothing."""
    paths = session.paths
    profiles = Profiles(paths)
    name = check_name(src.profile) if src.profile is not None else None
    existing = profiles.items.get(name or profiles.default or "")
    url_raw = session.read_base_url(src.base_url, prompt=False)
    notes: list[str] = []
    key = src.key
    if key is None:
        key, notes = session.read_key(key_stdin=src.key_stdin, key_env=src.key_env, prompt=False)
    if existing and url_raw is None and key is None:
        chosen = Chosen(existing, secretstore.read_key(paths, existing), new_key=False, existed=True,
                        store_choice=src.secret_store)
        chosen.must_exist = True  # nothing was given to make it again from
        chosen.by_default = name is None
        chosen.key_from_store = True
        return chosen
    if url_raw is None:
        url_raw = existing.base_url if existing else session.read_base_url(None, prompt=True)
    root, url_notes = normalise_root_with_notes(url_raw)
    notes += url_notes
    from_store = False
    if key is None:
        if existing:
            key = secretstore.read_key(paths, existing)
            from_store = True
        else:
            key, key_notes = session.read_key(prompt=True)
            notes += key_notes
    new_key = existing is None
    if existing is not None:
        try:
            new_key = secretstore.read_key(paths, existing) != key
        except KeyconfError:
            new_key = True  # its stored key is missing: store this one
    profile = Profile(
        name=name or (existing.name if existing else "default"),
        base_url=root,
        secret_store=existing.secret_store if existing else "file",
        created=existing.created if existing else time.strftime("%Y-%m-%d"),
    )
    chosen = Chosen(profile, key, new_key=new_key, existed=existing is not None,
                    url_changed=existing is not None and existing.base_url != root, store_choice=src.secret_store)
    chosen.notes = notes
    chosen.by_default = name is None and existing is not None
    chosen.key_from_store = from_store
    return chosen


def plan_profile(paths: Paths, chosen: Chosen, profiles: Profiles, secrets: "secretstore.SecretWrites") -> list[str]:
    """Put the profile (and its key, if new) into the change's planned edits; returns warnings to show."""
    warnings = []
    profile = chosen.profile
    if chosen.new_key:
        store, warning = secretstore.store_for_writing(paths, chosen.store_choice)
        if warning and not paths.secrets_file.exists():
            warnings.append(warning)  # said once, when the file store is first used; `doctor` repeats it
        if chosen.existed and profile.secret_store != store:
            secrets.delete(profile.secret_store, profile.name)
        secrets.set(store, profile.name, chosen.key)
        profile.secret_store = store
    profiles.put(profile, make_default=chosen.make_default)
    return warnings


def given_profile(paths: Paths, name: str, base_url: str, key: str, store_choice: str | None = None) -> Chosen:
    """A profile given whole (by a link or an apply file): new, the same again, or an existing one updated
    (`new_key` / `url_changed` say which, so every client bound to it follows)."""
    existing = Profiles(paths).items.get(name)
    old_key = None
    if existing is not None:
        try:
            old_key = secretstore.read_key(paths, existing)
        except KeyconfError:
            old_key = None  # its stored key is missing: store this one
    profile = Profile(name, base_url, existing.secret_store if existing else "file",
                      existing.created if existing else time.strftime("%Y-%m-%d"))
    return Chosen(profile, key, new_key=old_key != key, existed=existing is not None,
                  url_changed=existing is not None and existing.base_url != base_url, store_choice=store_choice)
