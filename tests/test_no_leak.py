"""No form of a key in the stdout, stderr or --json of any command; only `secret` and `--reveal` print it.

The key is hostile (every character that quoting, escaping or encoding changes), and a second, foreign key
sits in the user's configs first. Every form of both (raw, JSON-escaped, percent-encoded, base64 inner runs
at every alignment, sh/fish/PowerShell-quoted, first/last 12 characters) is searched for, with the masking
state cleared before each command, as in a new process: each command must hide what it touches itself.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from urllib.parse import quote

import pytest

import fakerelay
from keyconf import masking
from keyconf.osenv.shellenv import quote as shell_quote
from test_masking import derived_forms, leaked

KEY = "sk-Ab'C\"d\\e$f`g%h+i/j=kLMNOPQRSTUV0123"
OLD = "sk-0ld'F\"or\\eign$t`o%k+e/n=777777XYZ"  # the user's previous relay token, never given to keyconf
NEW = "sk-N3w\"r0t'at\\ed`k$e%y+/=AAAABBBBCCCCDDDD"  # for rotate
CHERRY_KEY = KEY.replace("'", "~")  # Cherry Studio's import mangles ' ( ), so keyconf refuses them there
CLIENTS = ["claude-code", "codex", "cursor", "shell"]
SHELLS = ["--shell", "bash", "--shell", "fish", "--shell", "powershell"]


@pytest.fixture
def relay():
    r = fakerelay.start(keys=[KEY, NEW, CHERRY_KEY])
    yield r
    r.stop()


def forget_keys():
    """A new process knows no key: what a command prints is masked only if the command remembers it."""
    masking.forget_all()


def run(kc, *args, input=None, codes=(0,)):
    """Run one command as a new process would, and fail naming every form of every key it printed."""
    forget_keys()
    result = kc(*args, input=input)
    problems = leaked(result.stdout + "\n" + result.stderr, KEY, OLD, NEW, CHERRY_KEY)
    if "--json" in args:
        doc = json.loads(result.stdout)  # one document, whatever happened
        problems += leaked(json.dumps(doc, ensure_ascii=False), KEY, OLD, NEW, CHERRY_KEY)
    assert not problems, f"keyconf {' '.join(args)} (exit {result.code}) printed {problems}:\n{result.output}"
    assert result.code in codes, f"keyconf {' '.join(args)}: exit {result.code}\n{result.output}"
    return result


def run_all(kc, commands, input=None) -> None:
    """Each (args, allowed exit codes) in turn; one failure report listing every command that leaked."""
    failures = []
    for args, codes in commands:
        try:
            run(kc, *args, codes=codes, input=input)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n\n".join(failures)


def plant_old_key(home: Path, monkeypatch) -> None:
    """The foreign token in every place a user's configs keep one."""
    from test_cursor import make_db

    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text(json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": OLD}}))
    (home / ".codex").mkdir()
    (home / ".codex" / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": OLD}))
    (home / ".codex" / "config.toml").write_text(
        f'[model_providers.old]\nname = "old"\nbase_url = "https://old.example.com/v1"\n'
        f"experimental_bearer_token = {json.dumps(OLD)}\n")
    (home / ".bashrc").write_text(f"alias ll='ls -l'\nexport OPENAI_API_KEY={shell_quote('posix', OLD)}\n")
    fish = home / ".config" / "fish"
    fish.mkdir(parents=True)
    (fish / "config.fish").write_text(f"set -gx ANTHROPIC_AUTH_TOKEN {shell_quote('fish', OLD)}\n")
    db = make_db(home)
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO ItemTable VALUES (?, ?)", ("cursorAuth/openAIKey", OLD))
    conn.close()
    monkeypatch.setenv("OPENAI_API_KEY", OLD)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", OLD)


@pytest.fixture
def configured(kc, home, relay, monkeypatch):
    plant_old_key(home, monkeypatch)
    run(kc, "use", *CLIENTS, "--key-stdin", "--base-url", relay.url, *SHELLS, "-y", "--no-verify", input=KEY + "\n")
    return relay


def test_the_planted_key_is_findable(home, monkeypatch):
    """Guards the search: the foreign key really is in the files, in forms the search knows."""
    plant_old_key(home, monkeypatch)
    for name in (".claude/settings.json", ".codex/auth.json", ".codex/config.toml", ".bashrc",
                 ".config/fish/config.fish"):
        assert leaked((home / name).read_text(), OLD), name


def ok(*commands, codes=(0,)):
    return [(list(args), codes) for args in commands]


JSON = ([], ["--json"])
GROUPS = {
    "inspect": ok(["status"], ["status", "--json"], ["status", "claude-code"], ["status", "codex", "--json"],
                  ["status", "cursor"], ["status", "shell", "--json"],
                  ["verify"], ["verify", "--json"], ["verify", "--deep"], ["verify", "--deep", "--json"],
                  ["verify", "--all"], ["undo", "--list"], ["undo", "--list", "--json"],
                  ["profile", "list"], ["profile", "list", "--json"], ["profile", "show"],
                  ["profile", "show", "--json"])
    + ok(["doctor"], ["doctor", "--json"], codes=(0, 8)),  # 8: it finds the planted variables
    "env and link": ok(*[["env", c, "--shell", s, "--json"] for c in ("shell", "claude-code", "codex")
                         for s in ("bash", "fish", "powershell")],
                       ["link", "claude-code"], ["link", "codex", "--json"], ["link", "codex", "--model", "m"])
    # not a terminal and no --reveal: refused (the masked key would break an eval)
    + ok(*[["env", c, "--shell", "bash"] for c in ("shell", "claude-code", "codex")], codes=(2,))
    # --reveal with --json is refused (JSON output is always masked)
    + ok(["env", "shell", "--reveal", "--json"], ["link", "claude-code", "--reveal", "--json"], codes=(2,))
    + ok(["link", "cherry-studio"], ["link", "cherry-studio", "--json"], codes=(2,)),  # refused: the '
    "dry runs": ok(["undo", "--dry-run"], ["undo", "--dry-run", "--json"],
                   *[[verb, c, "--dry-run", *j] for verb in ("use", "remove") for c in CLIENTS for j in JSON],
                   ["use", "claude-code", "--dry-run", "--model", "m"], ["use", "claude-code", "--no-plaintext",
                                                                       "--dry-run"],
                   ["use", "codex", "--no-plaintext", "--dry-run", "--json"],
                   ["use", "claude-code", "--via", "env", "--shell", "bash", "--dry-run"],
                   ["use", "codex", "--via", "env", "--shell", "powershell", "--dry-run"],
                   ["use", "shell", "--shell", "zsh", "--dry-run"], ["remove", "--all", "--dry-run", "--json"])
    + ok(["use", "--all", "--dry-run", "--json"], codes=(0, 8)),  # --all: installed clients only
    "changes": ok(*[["use", c, *j] for c in CLIENTS for j in JSON], ["use", "codex", "--model", "gpt-5-codex"],
                  ["use", "claude-code", "--no-plaintext", "--json"], ["use", "codex", "--no-plaintext"],
                  ["use", "claude-code", "--via", "env", *SHELLS], ["use", "codex", "--via", "env", "--shell", "fish",
                                                                     "--json"],
                  ["remove", "claude-code"], ["undo", "--json"], ["remove", "codex", "--json"], ["undo"],
                  ["remove", "cursor"], ["remove", "shell", "--json"], ["undo"], ["remove", "--all", "--json"],
                  ["undo", "--json"], ["profile", "rm", "default", "--force", "-y", "--json"])
    + ok(["use", "cherry-studio", "--no-open"], ["use", "cherry-studio", "--no-open", "--json"], codes=(2,)),
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_no_command_prints_a_key(kc, configured, group):
    run_all(kc, GROUPS[group])


def test_a_key_typed_again_is_not_printed(kc, configured):
    run_all(kc, ok(*[["use", *args, "--key-stdin"] for args in (
        ["claude-code"], ["codex", "--json"], ["shell", *SHELLS], ["cursor", "--json"],
        ["codex", "--via", "env", "--dry-run"])]), input=KEY + "\n")


# A relay's error message quoting the key back, in every shape a relay or proxy might use.
ECHO = " | ".join([KEY, json.dumps(KEY), quote(KEY, safe=""), base64.b64encode(f'{{"key":"{KEY}"}}'.encode()).decode(),
                   KEY[:20] + "…", "…" + KEY[-14:], shell_quote("posix", KEY)])


def test_a_relay_that_quotes_the_key_back(kc, configured):
    assert leaked(ECHO, KEY)
    configured.fail(401, f"bad key {ECHO} (request id: x)")
    run_all(kc, ok(["verify"], ["verify", "--json"], ["verify", "--deep", "--json"], ["verify", "codex"],
                   ["use", "claude-code"], ["use", "codex", "--json"], ["use", "shell", "--shell", "bash"],
                   ["use", "cursor", "--json"], codes=(5,))
            + ok(["doctor"], ["doctor", "--json"], codes=(5, 8)))


@pytest.mark.parametrize("json_mode", JSON)
def test_failures_do_not_print_the_key(kc, home, relay, json_mode):
    for key in (KEY, OLD):
        run(kc, "use", "claude-code", "--key-stdin", "--base-url", relay.url + "/nope", *json_mode,
            input=key + "\n", codes=(7,))
    relay.fail(401, f"Invalid token {KEY}")
    run(kc, "use", "claude-code", "codex", "--key-stdin", "--base-url", relay.url, *json_mode, input=KEY + "\n",
        codes=(5,))
    # the ' in the key: Cherry Studio refuses it, and the message does not quote it
    run(kc, "use", "cherry-studio", "--key-stdin", "--base-url", relay.url, "--no-open", *json_mode,
        input=KEY + "\n", codes=(2,))


@pytest.mark.parametrize("json_mode", JSON)
def test_rotate_and_dry_run_diff_mask_both_keys(kc, configured, home, json_mode):
    result = run(kc, "profile", "rotate", "--key-stdin", "--dry-run", *json_mode, input=NEW + "\n")
    assert result.code == 0 and masking.mask(NEW) in result.stdout
    configured.fail(401, f"bad key {NEW}")
    run(kc, "profile", "rotate", "--key-stdin", *json_mode, input=NEW + "\n", codes=(5,))
    configured.failure = None
    run(kc, "profile", "rotate", "--key-stdin", *json_mode, input=NEW + "\n")
    assert json.loads((home / ".claude" / "settings.json").read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == NEW


def test_cherry_studio_link_and_use(kc, home, relay):
    """Cherry's import link carries the key JSON-escaped, base64-encoded, percent-encoded."""
    use = ["use", "cherry-studio", "--profile", "cherry", "--key-stdin", "--base-url", relay.url, "--no-open"]
    assert run(kc, *use, input=CHERRY_KEY + "\n").code == 0
    assert run(kc, *use, "--json", input=CHERRY_KEY + "\n").code == 0
    for args in (["link", "cherry-studio"], ["link", "cherry-studio", "--json"], ["status", "cherry-studio"],
                 ["verify", "cherry-studio", "--json"]):
        run(kc, *args)
    run(kc, "link", "cherry-studio", "--reveal", "--json", codes=(2,))
    full = kc("link", "cherry-studio", "--reveal").stdout
    assert leaked(full, CHERRY_KEY)  # the search does find the key inside the link


def test_only_secret_and_reveal_print_the_key(kc, configured):
    assert kc("secret").stdout == KEY + "\n"
    assert leaked(kc("env", "shell", "--reveal").stdout, KEY)
    assert leaked(kc("env", "codex", "--shell", "fish", "--reveal").stdout, KEY)
    assert leaked(kc("link", "claude-code", "--reveal").stdout, KEY)
    assert leaked(kc("link", "codex", "--reveal").stdout, KEY)


def test_journal_metadata_holds_no_key(kc, configured, home):
    for entry in (home / ".config" / "keyconf" / "journal").rglob("entry.json"):
        assert not leaked(entry.read_text(), KEY, OLD)


# ---- files that hold the key are 0600 -------------------------------------------------------------

def holders(home: Path, key: str) -> list[Path]:
    found = []
    forms = [f.encode() for f in derived_forms(key).values() if len(f) >= 8]
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            if any(form in content for form in forms):
                found.append(path)
    return found


def open_to_others(paths: list[Path], home: Path) -> list[str]:
    return [f"{p.relative_to(home)} is {stat.filemode(p.stat().st_mode)}" for p in paths
            if p.stat().st_mode & 0o077]


USES = [["claude-code"], ["claude-code", "--no-plaintext"], ["claude-code", "--via", "env", *SHELLS],
        ["codex"], ["codex", "--no-plaintext"], ["codex", "--via", "env", "--shell", "fish"],
        ["cursor"], ["gemini-cli"], ["opencode"], ["shell", *SHELLS]]


@pytest.mark.parametrize("args", USES, ids=lambda a: " ".join(a))
def test_files_holding_the_key_are_private(kc, home, relay, monkeypatch, args):
    from test_cursor import make_db

    make_db(home)
    (home / ".claude").mkdir()
    (home / ".codex").mkdir()
    run(kc, "use", *args, "--key-stdin", "--base-url", relay.url, input=KEY + "\n")
    held = holders(home, KEY)
    assert held, "the key is stored somewhere"
    names = {p.name for p in held}
    assert "secrets.json" in names  # KEYCONF_SECRET_STORE=file in tests
    assert not open_to_others(held, home), [str(p.relative_to(home)) for p in held]
    for after in (["remove", args[0]], ["undo"]):
        run(kc, *after)
        assert not open_to_others(holders(home, KEY), home), after


PASTED = "sk-PastedAsArgument0123456789abcdefXYZ"  # what a New API dashboard's copy button gives


@pytest.mark.parametrize("args", [
    ["use", "claude-code", PASTED],
    ["use", "--json", "claude-code", PASTED],
    ["use", "claude-code", f"--key={PASTED}"],
    ["use", "codex", "--base-url", PASTED, "--no-verify"],
    ["profile", "show", PASTED],
    ["no-such-command", PASTED],
])
def test_a_key_pasted_as_an_argument_is_never_echoed(kc, home, args):
    # Where a client or profile name is expected, the error quotes the argument: masked, with the way to
    # hand keyconf a key instead.
    forget_keys()
    result = kc(*args)
    assert result.code == 2, result.output
    assert not leaked(result.stdout + "\n" + result.stderr, PASTED), result.output
    assert "looks like an API key" in result.stderr and "--key-stdin" in result.stderr
    if "--json" in args:
        assert json.loads(result.stdout)["exit_code"] == 2
