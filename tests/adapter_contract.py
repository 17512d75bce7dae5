"""The contract every client adapter keeps, in the spirit of keyring's `BackendBasicTests`.

A client's test module subclasses `AdapterContract`, says how to lay out a realistic "before" (the user's
own files), how to break a file, and where a foreign key can be planted; every check below then runs for
that client. A check that cannot apply to a client is skipped there with the reason (`cannot_*`).

    class TestClaudeCodeContract(AdapterContract):
        client = "claude-code"
        def arrange(self, home): ...
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import KEY, snapshot

OLD_TOKEN = "sk-OldForeign0000111122223333"  # someone's key already in the config before keyconf came


class AdapterContract:
    client: str = ""
    use_args: tuple[str, ...] = ()  # extra flags for `use` (e.g. --model)
    cannot_break = ""  # why this client has no file that could be unparseable
    cannot_plant = ""  # why this client has no place for a foreign key

    # what each client says about itself -------------------------------------------------------
    def arrange(self, home: Path) -> None:
        """Write the user's realistic files before keyconf runs (hooks, comments, other providers...)."""

    def break_file(self, home: Path) -> Path:
        """Make one of the client's files unparseable; return it."""
        raise NotImplementedError

    def plant(self, home: Path, token: str) -> None:
        """Put a foreign key where this client keeps its key."""
        raise NotImplementedError

    def observe(self, home: Path):
        """What must come back byte for byte (a SQLite client compares rows, not pages)."""
        return snapshot(home)

    # helpers ------------------------------------------------------------------------------------
    def use(self, kc, relay, *extra, key: str = KEY, verify: bool = False):
        args = ["use", self.client, "--key-stdin", "--base-url", relay.url, *self.use_args, *extra]
        if not verify:
            args.append("--no-verify")
        return kc(*args, input=key + "\n")

    @staticmethod
    def journal(home: Path) -> list:
        folder = home / ".config" / "keyconf" / "journal"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    # the contract --------------------------------------------------------------------------------
    def test_use_then_remove_is_byte_identical(self, kc, home, relay):
        self.arrange(home)
        before = self.observe(home)
        assert self.use(kc, relay).code == 0
        result = kc("remove", self.client)
        assert result.code == 0, result.output
        assert self.observe(home) == before

    def test_use_then_undo_is_byte_identical(self, kc, home, relay):
        self.arrange(home)
        before = self.observe(home)
        assert self.use(kc, relay).code == 0
        result = kc("undo")
        assert result.code == 0, result.output
        assert self.observe(home) == before
        assert kc("profile", "list", "--json").json()["results"] == []  # the profile it created went too

    def test_second_use_changes_nothing_and_journals_nothing(self, kc, home, relay):
        self.arrange(home)
        assert self.use(kc, relay).code == 0
        once, entries = self.observe(home), self.journal(home)
        again = kc("use", self.client, *self.use_args, "--no-verify", "--json")
        assert again.code == 0, again.output
        assert again.json()["results"][0]["changed"] == []
        assert self.observe(home) == once and self.journal(home) == entries

    def test_dry_run_writes_nothing(self, kc, home, relay):
        self.arrange(home)
        before = self.observe(home)
        result = self.use(kc, relay, "--dry-run")
        assert result.code == 0, result.output
        assert self.observe(home) == before and self.journal(home) == []
        assert not (home / ".config" / "keyconf" / "profiles.toml").exists()

    def test_status_and_verify_read_back_root_and_masked_key(self, kc, home, relay):
        self.arrange(home)
        assert self.use(kc, relay).code == 0
        item = kc("status", self.client, "--json").json()["results"][0]
        assert item["configured"] and item["profile"] == "default"
        assert item["base_url"] in (relay.url, relay.url + "/v1")
        checked = kc("verify", self.client, "--json")
        assert checked.code == 0, checked.output
        result = checked.json()["results"][0]
        assert result["base_url"] == relay.url and result["key"] == "sk-…YZ42"
        assert KEY not in checked.stdout

    def test_no_key_in_any_output(self, kc, home, relay):
        if self.cannot_plant:
            pytest.skip(self.cannot_plant)
        self.arrange(home)
        self.plant(home, OLD_TOKEN)
        outputs = [self.use(kc, relay, "--yes", verify=True), self.use(kc, relay, "--dry-run"),
                   kc("status", self.client), kc("status", "--json"), kc("verify", self.client, "--json"),
                   kc("doctor"), kc("remove", self.client, "--dry-run"), kc("remove", self.client),
                   kc("undo", "--dry-run"), kc("undo", "--list")]
        for result in outputs:
            assert result.code != 1, result.output
            for secret in (KEY, OLD_TOKEN):
                assert secret not in result.output
                assert json.dumps(secret)[1:-1] not in result.output

    def test_unparseable_file_is_refused_untouched(self, kc, home, relay):
        if self.cannot_break:
            pytest.skip(self.cannot_break)
        self.arrange(home)
        broken = self.break_file(home)
        before = self.observe(home)
        result = self.use(kc, relay)
        assert result.code == 3, result.output
        assert broken.name in result.output
        assert self.observe(home) == before and self.journal(home) == []

    def test_planning_writes_nothing(self, home, relay):
        """The adapter only plans: a whole plan is made without touching a file."""
        from keyconf import adapters
        from keyconf.adapters.base import Context
        from keyconf.model import Options
        from keyconf.paths import Paths
        from keyconf.stores.profiles import Profile
        from keyconf.stores.state import State

        self.arrange(home)
        before = self.observe(home)
        paths = Paths.from_environ()
        adapter = adapters.get(self.client)
        plan = adapter.plan_use(Context(paths, State.load(paths)), Profile("default", relay.url), KEY,
                                Options(via=adapter.vias[0]))
        assert plan.binding is not None and plan.binding.profile == "default"
        assert self.observe(home) == before
        assert not (home / ".config" / "keyconf").exists()
