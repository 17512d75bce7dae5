"""Which profile and key a command works with: a stored profile, or a new one from the given Base URL
and key (flags, environment, hidden prompt; never argv)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from keyconf import secretstore
from keyconf.errors import KeyconfError
from keyconf.keyinput import read_base_url, read_key
from keyconf.output import Reporter
from keyconf.paths import Paths
from keyconf.profiles import Profile, Profiles, check_name
from keyconf.urls import normalise_root


@dataclass
class KeySource:
    """How this run was given a profile, Base URL and key (flags; the key never comes from argv)."""

    profile: str | None = None
    base_url: str | None = None
    key_stdin: bool = False
    key_env: str | None = None
    secret_store: str | None = None
    key: str | None = None  # already read (rotate asks for it before anything else)


@dataclass
class Chosen:
    profile: Profile
    key: str
    new_key: bool  # the key must be (re)stored
    new_profile: bool


def choose_profile(paths: Paths, src: KeySource) -> Chosen:
    """Reuse a stored profile, or build one from the given (or prompted) Base URL and key. Writes nothing."""
    profiles = Profiles(paths)
    name = check_name(src.profile) if src.profile else None
    existing = profiles.items.get(name or profiles.default or "")
    url_raw = read_base_url(src.base_url, prompt=False)
    key = src.key or read_key(key_stdin=src.key_stdin, key_env=src.key_env, prompt=False)
    if existing and url_raw is None and key is None:
        return Chosen(existing, secretstore.read_key(paths, existing), new_key=False, new_profile=False)
    if url_raw is None:
        url_raw = existing.base_url if existing else read_base_url(None, prompt=True)
    root = normalise_root(url_raw)
    new_key = key is not None or existing is None
    if key is None:
        key = secretstore.read_key(paths, existing) if existing else read_key(
            key_stdin=False, key_env=None, prompt=True)
    profile = Profile(
        name=name or (existing.name if existing else "default"),
        base_url=root,
        secret_store=existing.secret_store if existing else "file",
        created=existing.created if existing else time.strftime("%Y-%m-%d"),
    )
    return Chosen(profile, key, new_key=new_key, new_profile=True)


def save_profile(paths: Paths, chosen: Chosen, src: KeySource, out: Reporter) -> None:
    """Store the key (keyring, or the 0600 file with a warning) and then the profile."""
    profile = chosen.profile
    if chosen.new_key:
        backend, warning = secretstore.open_for_writing(paths, src.secret_store)
        if warning:
            out.warn(warning)
        old_store = profile.secret_store
        backend.set(profile.name, chosen.key)
        profile.secret_store = backend.name
        if old_store != backend.name:
            try:
                secretstore.backend(paths, old_store).delete(profile.name)
            except KeyconfError:
                pass
    if chosen.new_key or chosen.new_profile:
        Profiles(paths).put(profile, make_default=src.profile is not None or chosen.new_profile)


