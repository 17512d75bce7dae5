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
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import KEY, real_binary, snapshot

OLD_TOKEN = "sk-OldForeign0000111122223333"  # someone's key already in the config before keyconf came
KEY_B = "sk-ProfileB0123456789abcdefBBBB"  # the key of the profile `keyconf run` starts a client with


class RunE2E:
    """How to drive a client's real binary for the `keyconf run` contract: the program, the arguments after
    `--`, variables that keep it quiet (no update checks, no telemetry), the relay path it must call and the
    header that must carry the key there, and files the client itself rewrites on every start."""

    def __init__(self, binary: str, args: tuple, path: str, header: str, env: dict | None = None,
                 bearer: bool = True, rewrites: tuple = (), baseline: bool = True):
        self.binary = binary
        self.baseline = baseline  # False: the client alone has no config to run with (shell: the rc files)
        self.args = args
        self.path = path
        self.header = header
        self.env = dict(env or {})
        self.bearer = bearer
        self.rewrites = rewrites


def cmdline_watch(secret: str):
    """Watch every process's argv (/proc/PID/cmdline) for `secret` until the returned stop() is called;
    stop() gives the command lines where it was seen."""
    seen, done = [], threading.Event()

    def scan():
        while not done.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as handle:
                            line = handle.read()
                    except OSError:
                        continue
                    if secret.encode() in line:
                        seen.append(line.replace(b"\0", b" ").decode(errors="replace"))
            done.wait(0.05)

    thread = threading.Thread(target=scan, daemon=True)
    thread.start()

    def stop():
        done.set()
        thread.join()
        return seen

    return stop


class AdapterContract:
    client: str = ""
    use_args: tuple[str, ...] = ()  # extra flags for `use` (e.g. --model)
    cannot_break = ""  # why this client has no file that could be unparseable
    cannot_plant = ""  # why this client has no place for a foreign key
    cannot_run = ""  # why `keyconf run` cannot start this client (desktop apps)
    run_model: str | None = None  # a model `keyconf run` must be given (opencode)
    run_e2e: RunE2E | None = None  # how to drive the real binary (None: no binary to drive)

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

    # `keyconf run`: the profile for one process, nothing written outside keyconf's folder -------------
    def add_profile_b(self, kc, url: str) -> None:
        done = kc("profile", "add", "B", "--key-stdin", "--base-url", url, "--no-verify", input=KEY_B + "\n")
        assert done.code == 0, done.output

    def run_flags(self) -> list[str]:
        return ["--model", self.run_model] if self.run_model else []

    def test_run_plan_keeps_the_key_out_of_argv_and_files(self, home, relay):
        """`launch` is pure, and the key goes only into the variables it names (never argv, never a file)."""
        from keyconf import adapters
        from keyconf.adapters.base import Context
        from keyconf.errors import UsageError
        from keyconf.paths import Paths
        from keyconf.stores.profiles import Profile
        from keyconf.stores.state import State

        self.arrange(home)
        before = self.observe(home)
        paths = Paths.from_environ()
        adapter = adapters.get(self.client)
        ctx = Context(paths, State.load(paths), {"B": KEY_B})
        if self.cannot_run:
            with pytest.raises(UsageError) as refused:
                adapter.launch(ctx, Profile("B", relay.url), self.run_model)
            assert refused.value.code == 2 and "keyconf run" in refused.value.message
            return
        launch = adapter.launch(ctx, Profile("B", relay.url), self.run_model)
        assert launch.key_vars or launch.files, "the key must reach the client somehow"
        assert all(KEY_B not in word for word in launch.argv)
        assert all(KEY_B not in value for value in launch.env.values())
        assert all(KEY_B.encode() not in body for body in launch.files.values())
        for path in [*launch.files, *launch.links]:
            assert Path(path).is_relative_to(paths.keyconf_home), path
        assert self.observe(home) == before
        assert not (home / ".config" / "keyconf").exists()

    def test_run_dry_run_and_print_change_nothing_and_mask_the_key(self, kc, home, relay):
        self.arrange(home)
        self.add_profile_b(kc, relay.url)
        before = self.observe(home)
        dry = kc("run", self.client, "--profile", "B", *self.run_flags(), "--dry-run", "--json")
        printed = kc("run", self.client, "--profile", "B", *self.run_flags(), "--print", "--shell", "bash")
        if self.cannot_run:
            assert dry.code == 2 and printed.code == 2, dry.output + printed.output
            assert self.cannot_run in dry.json()["errors"][0]["message"]
            return
        assert dry.code == 0, dry.output
        assert printed.code == 0, printed.output
        item = dry.json()["results"][0]
        assert item["profile"] == "B" and item["source"] == "flag" and item["key"] == "sk-…BBBB"
        for result in (dry, printed):
            assert KEY_B not in result.output
        assert "secret B" in printed.stdout or not item["key_vars"]
        assert self.observe(home) == before

    @pytest.mark.e2e
    def test_run_real_client_talks_to_the_profile_relay_only(self, kc, home):
        """Global config on relay A; `keyconf run --profile B` reaches relay B with B's key, A sees nothing,
        the user's files end exactly as the client alone leaves them, and the key is on no command line.

        Clients rewrite their own files when they start (Claude Code migrates settings.json), so the client
        first runs by itself on the user's files: what it leaves is the expected result of the keyconf run,
        started again from the same files."""
        if self.cannot_run or self.run_e2e is None:
            pytest.skip(self.cannot_run or "no real binary to drive")
        import fakerelay

        spec = self.run_e2e
        binary = real_binary(spec.binary)
        relay_a, relay_b = fakerelay.start(keys=[KEY]), fakerelay.start(keys=[KEY_B])
        env = {**os.environ, **spec.env, "PATH": f"{Path(binary).parent}{os.pathsep}{os.environ['PATH']}"}
        work = home / "work"
        try:
            self.arrange(home)
            assert self.use(kc, relay_a, "--profile", "A").code == 0
            self.add_profile_b(kc, relay_b.url)
            work.mkdir(exist_ok=True)
            before = self.observe(home)
            expected = before
            if spec.baseline:
                alone = subprocess.run([binary, *spec.args], env=env, cwd=work, stdin=subprocess.DEVNULL,
                                       capture_output=True, text=True, timeout=240)
                assert alone.returncode == 0, alone.stdout + alone.stderr
                expected = self.observe(home)
            for name, body in before.items():  # the user's files as they were, for the keyconf run
                (home / name).write_bytes(body)
            relay_a.requests.clear()
            stop = cmdline_watch(KEY_B)
            done = subprocess.run([str(Path(sys.executable).parent / "keyconf"), "run", self.client, "--profile",
                                   "B", *self.run_flags(), "--", *spec.args], env=env, cwd=work,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)
            on_argv = stop()
        finally:
            relay_a.stop()
            relay_b.stop()
        assert done.returncode == 0, done.stdout + done.stderr
        assert "profile B" in done.stderr
        calls = relay_b.seen(spec.path)
        assert calls, [r.path for r in relay_b.requests]
        for call in calls:
            assert call.headers.get(spec.header) == (f"Bearer {KEY_B}" if spec.bearer else KEY_B)
        assert relay_a.requests == []
        after = self.observe(home)
        changed = [name for name in before if after.get(name) != expected.get(name) and name not in spec.rewrites]
        assert changed == [], changed
        assert [name for name, body in after.items() if KEY_B.encode() in body] == []
        assert on_argv == []

