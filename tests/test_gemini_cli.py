"""Gemini CLI adapter through the CLI: the .env block, the auth type in settings.json, kept bytes, refusals."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, REPO, REQUIRE_REAL, snapshot
from keyconf.adapters import gemini_cli
from keyconf.errors import UsageError

SETTINGS_RICH = b"""{
  "ui": {
    "theme": "GitHub",
    "hideTips": true
  },
  "general": {"vimMode": true, "preferredEditor": "code"},
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "$GITHUB_TOKEN"}
    }
  },
  "security": {
    "auth": {
      "selectedType": "oauth-personal"
    }
  },
  "privacy": {"usageStatisticsEnabled": false}
}
"""
SETTINGS_COMPACT = b'{"ui":{"theme":"Dracula"},"security":{"folderTrust":{"enabled":true}}}'
ENV_RICH = (b"# my Google settings\n"
            b"GOOGLE_CLOUD_PROJECT=my-project-123\n"
            b"export DEBUG=1\n"
            b"GEMINI_API_KEY=AIzaSyOldGoogleKey0000000   # the real Google key\n"
            b"\n"
            b"QUOTED='a # not a comment'\n")
ENV_CRLF_NO_FINAL_NEWLINE = b"GOOGLE_CLOUD_LOCATION=us-central1\r\nGEMINI_MODEL=gemini-2.5-flash"
FIXTURES = {
    "rich": (SETTINGS_RICH, ENV_RICH),
    "compact-crlf": (SETTINGS_COMPACT, ENV_CRLF_NO_FINAL_NEWLINE),
    "settings-only": (SETTINGS_RICH, None),
    "env-only": (None, ENV_RICH),
    # dotenv's quoted value may span lines: this quote must not swallow keyconf's lines (the guard checks)
    "unclosed-quotes": (None, b"NOTE='an unclosed quote\nB=\"x\nC=`y"),
}


def gemini_dir(home: Path) -> Path:
    return home / ".gemini"


def use(kc, url, *extra, key=KEY):
    return kc("use", "gemini-cli", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


def write(home: Path, settings_bytes: bytes | None, env_bytes: bytes | None) -> None:
    gemini_dir(home).mkdir(exist_ok=True)
    if settings_bytes is not None:
        (gemini_dir(home) / "settings.json").write_bytes(settings_bytes)
    if env_bytes is not None:
        (gemini_dir(home) / ".env").write_bytes(env_bytes)


def env_values(home: Path) -> dict:
    return gemini_cli.parse_dotenv((gemini_dir(home) / ".env").read_text())


def test_use_writes_the_block_and_the_auth_type(kc, home, relay):
    result = use(kc, relay.url + "/v1/", "--model", "gemini-2.5-pro")
    assert result.code == 0, result.output
    assert (gemini_dir(home) / ".env").read_bytes() == (
        b"# >>> keyconf >>>\n"
        b"# Added by keyconf for Gemini CLI. `keyconf remove gemini-cli` takes this block out.\n"
        + f"GEMINI_API_KEY='{KEY}'\nGOOGLE_GEMINI_BASE_URL='{relay.url}'\n".encode()
        + b"GEMINI_MODEL='gemini-2.5-pro'\n# <<< keyconf <<<\n")
    assert (gemini_dir(home) / "settings.json").read_text() == (
        '{\n  "security": {\n    "auth": {\n      "selectedType": "gemini-api-key"\n    }\n  }\n}\n')
    assert stat.S_IMODE((gemini_dir(home) / ".env").stat().st_mode) == 0o600
    assert "verify: ok" in result.stdout
    assert "--skip-trust" in result.stdout  # how to run it in an untrusted folder


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("how", ["remove", "undo"])
def test_use_then_remove_or_undo_is_byte_identical(kc, home, relay, fixture, how):
    settings_bytes, env_bytes = FIXTURES[fixture]
    write(home, settings_bytes, env_bytes)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gemini-2.5-pro")
    assert result.code == 0, result.output
    values = env_values(home)
    assert values["GEMINI_API_KEY"] == KEY and values["GOOGLE_GEMINI_BASE_URL"] == relay.url
    assert values["GEMINI_MODEL"] == "gemini-2.5-pro"
    if env_bytes:  # the user's own lines are all still there, byte for byte, ahead of the block
        assert (gemini_dir(home) / ".env").read_bytes().startswith(env_bytes)
        for name, value in gemini_cli.parse_dotenv(env_bytes.decode()).items():
            if name not in gemini_cli.NAMES:
                assert values[name] == value
    data = json.loads((gemini_dir(home) / "settings.json").read_text())
    assert data["security"]["auth"]["selectedType"] == "gemini-api-key"
    if settings_bytes:
        for name, value in json.loads(settings_bytes).items():
            if name != "security":
                assert data[name] == value
    if b"\r\n" in (env_bytes or b""):
        assert b"\n" not in (gemini_dir(home) / ".env").read_bytes().replace(b"\r\n", b"")
    result = kc("undo") if how == "undo" else kc("remove", "gemini-cli")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_a_key_set_outside_keyconf_is_announced_and_comes_back(kc, home, relay):
    write(home, None, ENV_RICH)
    result = use(kc, relay.url)
    assert result.code == 0
    assert "GEMINI_API_KEY = ***…0000" in result.stderr  # announced, masked
    assert "AIzaSyOldGoogleKey0000000" not in result.output
    assert env_values(home)["GEMINI_API_KEY"] == KEY  # keyconf's block comes later, so it wins
    assert kc("remove", "gemini-cli").code == 0
    assert (gemini_dir(home) / ".env").read_bytes() == ENV_RICH


def test_second_use_changes_nothing_and_model_sticks(kc, home, relay):
    assert use(kc, relay.url, "--model", "gemini-2.5-flash").code == 0
    first = snapshot(home)
    journal = len(list((home / ".config/keyconf/journal").iterdir()))
    result = kc("use", "gemini-cli")
    assert result.code == 0 and "nothing changed" in result.stdout
    assert snapshot(home) == first
    assert len(list((home / ".config/keyconf/journal").iterdir())) == journal


def test_switching_model_and_profile_then_remove_restores(kc, home, relay):
    write(home, SETTINGS_RICH, ENV_RICH)
    before = snapshot(home)
    assert use(kc, relay.url, "--model", "gemini-2.5-pro").code == 0
    relay.keys.add("sk-second-key-000000001")
    assert use(kc, relay.url, "--profile", "two", "--model", "gemini-2.5-flash",
               key="sk-second-key-000000001").code == 0
    values = env_values(home)
    assert values["GEMINI_API_KEY"] == "sk-second-key-000000001" and values["GEMINI_MODEL"] == "gemini-2.5-flash"
    assert (gemini_dir(home) / ".env").read_text().count(">>> keyconf >>>") == 1
    assert kc("remove", "gemini-cli").code == 0
    assert snapshot(home) == before


def test_gemini_cli_home_is_honoured(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINI_CLI_HOME", str(tmp_path / "elsewhere"))
    assert use(kc, relay.url).code == 0
    assert gemini_cli.parse_dotenv((tmp_path / "elsewhere" / ".gemini" / ".env").read_text())["GEMINI_API_KEY"] == KEY
    assert (tmp_path / "elsewhere" / ".gemini" / "settings.json").exists()
    assert not gemini_dir(home).exists()


# ---- quoting --------------------------------------------------------------------------------------------

def test_a_key_with_a_single_quote_is_double_quoted(kc, home, relay):
    odd = "sk-it's#$`x0123456789"
    relay.keys.add(odd)
    assert use(kc, relay.url, key=odd).code == 0
    assert 'GEMINI_API_KEY="sk-it\'s#$`x0123456789"' in (gemini_dir(home) / ".env").read_text()
    assert env_values(home)["GEMINI_API_KEY"] == odd


def test_all_three_quotes_still_work_when_the_unquoted_reading_gives_the_key(kc, home, relay):
    odd = "sk-a'b\"c`d0123456789"  # dotenv reads `"sk-a'b"c`d..."` unquoted, then strips the outer quotes
    relay.keys.add(odd)
    assert use(kc, relay.url, key=odd).code == 0
    assert env_values(home)["GEMINI_API_KEY"] == odd


def test_a_key_no_quote_can_hold_is_refused_with_the_reason(kc, home, relay):
    odd = "sk-a'b\"c#d`e0123456789"
    before = snapshot(home)
    result = use(kc, relay.url, key=odd)
    assert result.code == 2, result.output
    assert "', \" and ` together" in result.stderr and "--via env" in result.stderr
    assert odd not in result.output
    assert snapshot(home) == before


KEYISH = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e) | st.sampled_from(list("é数😀")), min_size=1,
                 max_size=30)


@settings(max_examples=300, deadline=None)
@given(KEYISH)
def test_any_key_reads_back_exactly_or_is_refused(value):
    try:
        line = gemini_cli.assignment("GEMINI_API_KEY", value)
    except UsageError:
        assert "'" in value and ('"' in value or "\\n" in value or "\\r" in value)
        return
    assert gemini_cli.parse_dotenv(line) == {"GEMINI_API_KEY": value}
    assert gemini_cli.parse_dotenv("OTHER=1\n" + line + "\n# tail\n")["GEMINI_API_KEY"] == value


def _real_dotenv_parse() -> str:
    """The dotenv `parse` function bundled in the pinned Gemini CLI, as a node script (the real parser)."""
    bundle = REPO / ".ci" / "node" / "node_modules" / "@google" / "gemini-cli" / "bundle"
    source = None
    for chunk in sorted(bundle.glob("*.js")) if bundle.is_dir() else []:
        text = chunk.read_text("utf-8", "replace")
        found = re.search(r"(var LINE = /.*?/mg;\s*function (\w+)\(src\) \{.*?\n    \})", text, re.S)
        if found:
            source = found.group(1) + f"\nconst parseDotenv = {found.group(2)};"
            break
    if source is None:
        if REQUIRE_REAL:
            pytest.fail("Gemini CLI's bundled dotenv parser was not found; scripts/test installs the CLI")
        pytest.skip("Gemini CLI is not installed (run scripts/test)")
    return source


ENV_LINES = st.lists(st.one_of(
    st.builds(lambda n, v, q: f"{n}={q}{v}{q}", st.sampled_from(["A", "B_2", "GEMINI_API_KEY", "x.y"]),
              st.text(st.sampled_from(list("ab #'\"`$\\=:\t")), max_size=8), st.sampled_from(["", "'", '"', "`"])),
    st.sampled_from(["# comment", "", "export A=1", "B: 2", "  C = spaced  # tail", "D='open", "E=\"x\\ny\""]),
), max_size=6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ENV_LINES, st.sampled_from(["\n", "\r\n"])), min_size=40, max_size=40))
def test_parse_dotenv_is_the_clis_own_parser(batches):
    """The Python port gives what Gemini CLI's bundled dotenv gives, on tricky texts (run by real node)."""
    source = _real_dotenv_parse()
    texts = [nl.join(lines) for lines, nl in batches]
    program = source + "\nconst texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n" \
                       "process.stdout.write(JSON.stringify(texts.map(t => parseDotenv(t))));\n"
    done = subprocess.run(["node", "-e", program], input=json.dumps(texts), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    for text, expected in zip(texts, json.loads(done.stdout)):
        assert gemini_cli.parse_dotenv(text) == expected, text


# ---- refusing what cannot be edited safely ---------------------------------------------------------------

BAD = [
    ("settings.json", b'{\n  "ui": {},\n  "theme": "x",,\n}\n', "line 3"),
    ("settings.json", b'{"security": "strict"}', "`security` is"),
    ("settings.json", b'{"security": {"auth": []}}', "`security.auth` is"),
    ("settings.json", b'["not", "an", "object"]', "not an object"),
    (".env", b"A=1\n\xff\xfe\n", "not UTF-8"),
]


@pytest.mark.parametrize("name,content,message", BAD)
def test_bad_files_are_refused_and_untouched(kc, home, relay, name, content, message):
    gemini_dir(home).mkdir()
    (gemini_dir(home) / name).write_bytes(content)
    before = snapshot(home)
    result = use(kc, relay.url)
    assert result.code == 3, result.output
    assert message in result.stderr and name in result.stderr
    if message.startswith("`"):
        assert "not an object" in result.stderr or "not a JSON object" in result.stderr
    assert snapshot(home) == before


def test_a_line_after_the_block_that_would_win_is_refused(kc, home, relay):
    assert use(kc, relay.url).code == 0
    with open(gemini_dir(home) / ".env", "a") as handle:
        handle.write("GEMINI_API_KEY=sk-typed-later-by-hand\n")
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gemini-2.5-pro")
    assert result.code == 3 and "GEMINI_API_KEY" in result.stderr
    assert snapshot(home) == before


# ---- --via env, status, doctor, output ---------------------------------------------------------------------

def test_via_env_puts_the_variables_in_the_shell_files(kc, home, relay):
    from test_shell import read_vars

    write(home, SETTINGS_RICH, ENV_RICH)
    before = snapshot(home)
    assert use(kc, relay.url, "--model", "gemini-2.5-pro").code == 0  # first in the file ...
    result = use(kc, relay.url, "--via", "env", "--shell", "bash", "--model", "gemini-2.5-pro")  # ... then env
    assert result.code == 0, result.output
    assert (gemini_dir(home) / ".env").read_bytes() == ENV_RICH  # the block went
    assert json.loads((gemini_dir(home) / "settings.json").read_text())["security"]["auth"]["selectedType"] == \
        "gemini-api-key"
    got = read_vars("bash", f"source '{home}/.bashrc'", gemini_cli.NAMES)
    assert got == {"GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": relay.url, "GEMINI_MODEL": "gemini-2.5-pro"}
    assert KEY.encode() not in (home / ".bashrc").read_bytes()
    item = kc("status", "gemini-cli", "--json").json()["results"][0]
    assert item["via"] == "env" and item["configured"]
    assert kc("verify", "gemini-cli").code == 0
    assert kc("remove", "gemini-cli").code == 0
    assert snapshot(home) == before


def test_status_reports_file_masked_key_and_an_exported_key_that_wins(kc, home, relay, monkeypatch):
    assert use(kc, relay.url, "--model", "gemini-2.5-pro").code == 0
    item = kc("status", "gemini-cli", "--json").json()["results"][0]
    assert item["configured"] and item["base_url"] == relay.url and item["key"] == "sk-…YZ42"
    assert item["profile"] == "default" and not item["conflicts"]
    assert item["model"] == "gemini-2.5-pro"
    monkeypatch.setenv("GEMINI_API_KEY", "sk-exported-in-shell-0000")
    item = kc("status", "gemini-cli", "--json").json()["results"][0]
    assert any("GEMINI_API_KEY is exported" in c and "sk-…0000" in c for c in item["conflicts"])
    result = kc("doctor", "--json")
    assert "sk-exported-in-shell-0000" not in result.stdout


def test_status_flags_a_settings_file_that_selects_another_login(kc, home, relay):
    assert use(kc, relay.url).code == 0
    (gemini_dir(home) / "settings.json").write_text('{"security": {"auth": {"selectedType": "oauth-personal"}}}')
    item = kc("status", "gemini-cli", "--json").json()["results"][0]
    assert any("oauth-personal" in c for c in item["conflicts"])


def test_doctor_names_a_project_env_that_hides_ours_and_how_to_trust(kc, home, relay, tmp_path):
    from keyconf.adapters.base import Context
    from keyconf.paths import Paths
    from keyconf.stores.state import State

    assert use(kc, relay.url).code == 0
    project = home / "code" / "app"
    (project / "src").mkdir(parents=True)
    (project / ".env").write_text("DATABASE_URL=postgres://x\n")
    paths = Paths.from_environ()
    ctx = Context(paths, State.load(paths))
    found = dict((text.split(" ")[0], kind) for kind, text in gemini_cli.ADAPTER.doctor(ctx, str(project / "src")))
    assert found.get("~/code/app/.env") == "warning"
    hints = " ".join(text for _, text in gemini_cli.ADAPTER.doctor(ctx, str(home)))
    assert "--skip-trust" in hints and "trustedFolders.json" in hints and "hides" not in hints
    (gemini_dir(home) / "settings.json").write_text(
        '{"security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}}}')
    assert all("trust" not in text for _, text in gemini_cli.ADAPTER.doctor(ctx, str(home)))


COMMANDS = [["status"], ["status", "gemini-cli", "--json"], ["doctor"], ["doctor", "--json"], ["verify", "--json"],
            ["use", "gemini-cli", "--dry-run", "--model", "gemini-2.5-flash"], ["use", "gemini-cli", "--json"],
            ["remove", "gemini-cli", "--dry-run"], ["link", "gemini-cli"], ["link", "gemini-cli", "--json"],
            ["env", "gemini-cli", "--shell", "fish", "--json"], ["use", "gemini-cli", "--via", "env", "--dry-run"]]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_no_command_prints_the_key(kc, home, relay, args):
    assert use(kc, relay.url, "--model", "gemini-2.5-pro").code == 0
    result = kc(*args)
    assert result.code in (0, 8), result.output
    assert KEY not in result.output


def test_link_is_a_masked_ccswitch_gemini_link(kc, home, relay):
    assert use(kc, relay.url).code == 0
    result = kc("link", "gemini-cli")
    assert "ccswitch://v1/import?resource=provider&app=gemini" in result.stdout
    assert "apiKey=sk-…YZ42" in result.stdout.replace("%E2%80%A6", "…")


from adapter_contract import AdapterContract, RunE2E  # noqa: E402


class TestGeminiCliContract(AdapterContract):
    client = "gemini-cli"
    use_args = ("--model", "gemini-2.5-pro")
    run_model = "gemini-2.5-flash"
    run_e2e = RunE2E("gemini", ("--skip-trust", "-p", "ping"), "/v1beta/models/", "x-goog-api-key", bearer=False,
                     env={"GEMINI_TELEMETRY_ENABLED": "false", "NO_COLOR": "1"})

    def arrange(self, home):
        write(home, SETTINGS_RICH, ENV_RICH)

    def break_file(self, home):
        path = gemini_dir(home) / "settings.json"
        path.write_bytes(b'{"ui": {"theme": "GitHub",}}')
        return path

    def plant(self, home, token):
        path = gemini_dir(home) / ".env"
        path.write_bytes(path.read_bytes() + f"GEMINI_API_KEY={token}\n".encode())


def test_remove_gives_the_env_file_its_mode_back(kc, home, relay):
    write(home, SETTINGS_RICH, ENV_RICH)
    env = gemini_dir(home) / ".env"
    env.chmod(0o644)
    assert use(kc, relay.url, "--model", "gemini-2.5-pro").code == 0
    assert stat.S_IMODE(env.stat().st_mode) == 0o600  # it holds the key now
    assert kc("remove", "gemini-cli").code == 0
    assert stat.S_IMODE(env.stat().st_mode) == 0o644
