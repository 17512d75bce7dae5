"""Codex adapter: config.toml and auth.json through the CLI; kept bytes, refused files, the guard."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "codex"
CHATGPT_LOGIN = {"OPENAI_API_KEY": None, "tokens": {"id_token": "eyJ.x.y", "access_token": "at",
                                                     "refresh_token": "rt", "account_id": "acc"},
                 "last_refresh": "2026-11-01T10:00:00Z"}


def codex_home(home: Path) -> Path:
    return home / ".codex"


def use(kc, url, *extra, key=KEY):
    return kc("use", "codex", "--key-stdin", "--base-url", url, *extra, input=key + "\n")


def read_config(home) -> dict:
    return tomllib.loads((codex_home(home) / "config.toml").read_text())


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir()))
@pytest.mark.parametrize("how", ["remove", "undo"])
def test_use_then_remove_or_undo_is_byte_identical(kc, home, relay, fixture, how):
    codex_home(home).mkdir()
    original = (FIXTURES / fixture).read_bytes()
    (codex_home(home) / "config.toml").write_bytes(original)
    before = snapshot(home)
    result = use(kc, relay.url + "/v1", "--model", "gpt-5-codex")
    assert result.code == 0, result.output
    data = read_config(home)
    assert data["model_provider"] == "keyconf" and data["model"] == "gpt-5-codex"
    assert data["model_providers"]["keyconf"] == {"name": "keyconf: default", "base_url": relay.url + "/v1",
                                                  "wire_api": "responses", "requires_openai_auth": True}
    expected = tomllib.loads(original.decode())
    for name, value in expected.items():
        if name not in ("model", "model_provider", "model_providers"):
            assert data[name] == value
    for name, value in expected.get("model_providers", {}).items():
        assert data["model_providers"][name] == value
    text = (codex_home(home) / "config.toml").read_bytes().decode()
    assert text.index("model_provider =") < text.index("[")  # above the first table
    if b"\r\n" in original:
        assert "\n" not in text.replace("\r\n", "")
    assert json.loads((codex_home(home) / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}
    assert stat.S_IMODE((codex_home(home) / "auth.json").stat().st_mode) == 0o600
    result = kc("undo") if how == "undo" else kc("remove", "codex")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_comments_survive_in_place(kc, home, relay):
    codex_home(home).mkdir()
    (codex_home(home) / "config.toml").write_bytes((FIXTURES / "rich.toml").read_bytes())
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    text = (codex_home(home) / "config.toml").read_text()
    assert 'model = "gpt-5-codex"   # my favourite' in text
    assert '"@example/docs-mcp", # pinned' in text


def test_second_use_is_no_change_and_profile_switch_keeps_provider_id(kc, home, relay):
    assert use(kc, relay.url, "--model", "gpt-5-codex", "--profile", "a").code == 0
    first = snapshot(home)
    assert kc("use", "codex", "--profile", "a").code == 0
    assert snapshot(home) == first
    relay.keys.add("sk-other-profile-key-0001")
    assert use(kc, relay.url, "--profile", "b", "--model", "gpt-5-codex", key="sk-other-profile-key-0001").code == 0
    data = read_config(home)
    assert data["model_provider"] == "keyconf" and list(data["model_providers"]) == ["keyconf"]
    assert data["model_providers"]["keyconf"]["name"] == "keyconf: b"


def test_chatgpt_login_is_kept_and_bearer_token_used(kc, home, relay):
    codex_home(home).mkdir()
    login = json.dumps(CHATGPT_LOGIN, indent=2).encode()
    (codex_home(home) / "auth.json").write_bytes(login)
    result = use(kc, relay.url, "--model", "gpt-5-codex")
    assert result.code == 0, result.output
    assert "ChatGPT sign-in" in result.stdout
    assert (codex_home(home) / "auth.json").read_bytes() == login
    provider = read_config(home)["model_providers"]["keyconf"]
    assert provider["experimental_bearer_token"] == KEY and "requires_openai_auth" not in provider
    assert stat.S_IMODE((codex_home(home) / "config.toml").stat().st_mode) == 0o600
    assert kc("remove", "codex").code == 0
    assert (codex_home(home) / "auth.json").read_bytes() == login
    assert not (codex_home(home) / "config.toml").exists()


def test_prior_api_key_in_auth_json_comes_back(kc, home, relay):
    codex_home(home).mkdir()
    prior = b'{\n  "OPENAI_API_KEY": "sk-my-own-openai-key-123"\n}\n'
    (codex_home(home) / "auth.json").write_bytes(prior)
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    assert json.loads((codex_home(home) / "auth.json").read_text())["OPENAI_API_KEY"] == KEY
    assert kc("remove", "codex").code == 0
    assert (codex_home(home) / "auth.json").read_bytes() == prior


def test_no_plaintext_uses_auth_command(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5-codex", "--no-plaintext")
    assert result.code == 0, result.output
    provider = read_config(home)["model_providers"]["keyconf"]
    assert provider["auth"]["args"] == ["secret", "default"]
    assert Path(provider["auth"]["command"]).is_absolute()
    assert not (codex_home(home) / "auth.json").exists()
    assert KEY.encode() not in (codex_home(home) / "config.toml").read_bytes()


def test_switching_modes_restores_auth_json(kc, home, relay):
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    assert (codex_home(home) / "auth.json").exists()
    assert kc("use", "codex", "--no-plaintext").code == 0
    assert not (codex_home(home) / "auth.json").exists()


def test_codex_home_is_honoured(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "ch"))
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    assert (tmp_path / "ch" / "config.toml").exists() and not codex_home(home).exists()


@pytest.mark.parametrize("content,message", [
    (b'model = "o3"\n[broken\n', "not valid TOML"),
    (b'model_providers = "none"\n', "`model_providers` is not a table"),
    (b'model_providers = { local = { name = "x" } }\n', "inline table"),
    (b'[model_providers.keyconf]\nname = "mine"\n', "keyconf did not write"),
    (b'model = "\xff"\n', "not UTF-8"),
])
def test_bad_config_is_refused_untouched(kc, home, relay, content, message):
    codex_home(home).mkdir()
    (codex_home(home) / "config.toml").write_bytes(content)
    before = snapshot(home)
    result = use(kc, relay.url)
    assert result.code == 3, result.output
    assert message in result.stderr and "config.toml" in result.stderr
    assert snapshot(home) == before


def test_guard_refuses_a_wrong_rendering(kc, home, relay, monkeypatch):
    from keyconf.adapters import codex

    codex_home(home).mkdir()
    (codex_home(home) / "config.toml").write_bytes((FIXTURES / "rich.toml").read_bytes())
    before = snapshot(home)
    real = codex.ConfigText.set_block

    def broken(self, block, sep):  # as if a renderer dropped a user's table
        real(self, block, sep)
        self.text = self.text.replace("[tui]\nnotifications = true\n", "")

    monkeypatch.setattr(codex.ConfigText, "set_block", broken)
    result = use(kc, relay.url)
    assert result.code == 3 and "would change more than its own settings" in result.stderr
    assert snapshot(home) == before


def test_missing_model_is_exit_10_with_close_names(kc, home, relay):
    result = use(kc, relay.url, "--model", "gpt-5-codx", "--json")
    assert result.code == 10
    assert "gpt-5-codex" in result.json()["results"][0]["verify"]["hint"]


def test_status_and_verify_know_codex(kc, home, relay):
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    item = kc("status", "codex", "--json").json()["results"][0]
    assert item["configured"] and item["key"].startswith("sk-…YZ42") and item["base_url"] == relay.url + "/v1"
    assert kc("verify", "codex", "--deep").code == 0
    assert relay.seen("/v1/responses")


# ---- property tests over generated config.toml files ----------------------------------------------

bare = st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True).filter(
    lambda k: k not in ("model", "model_provider", "model_providers", "keyconf"))
scalar = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=10))


def _toml_scalar(value) -> str:
    import tomlkit

    return tomlkit.item(value).as_string()


@st.composite
def config_files(draw):
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    if draw(st.booleans()):
        lines.append("# " + draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=15)))
    if draw(st.booleans()):
        lines.append(f'model = "{draw(st.sampled_from(["o3", "gpt-5"]))}"' + draw(st.sampled_from(["", "  # c"])))
    if draw(st.booleans()):
        lines.append(f'model_provider = "{draw(st.sampled_from(["openai", "mine"]))}"')
    for name in draw(st.lists(bare, max_size=3, unique=True)):
        lines.append(f"{name} = {_toml_scalar(draw(scalar))}")
    if draw(st.booleans()):  # providers as dotted keys at top level
        pid = draw(bare)
        lines.append(f'model_providers.{pid}.base_url = "https://{pid}.example.com/v1"')
        lines.append(f'model_providers.{pid}.name = "{pid}"')
    for table in draw(st.lists(bare, max_size=3, unique=True)):
        if draw(st.booleans()):
            lines.append("")
        kind = draw(st.sampled_from(["table", "provider", "array", "mcp"]))
        if kind == "provider":
            lines.append(f"[model_providers.{table}]")
        elif kind == "array":
            lines.append(f"[[{table}]]")
        elif kind == "mcp":
            lines.append(f'[mcp_servers.{table}]')
            lines.append('args = [' + nl + '  "-y", # pinned' + nl + ']')
        else:
            lines.append(f"[{table}]")
        for name in draw(st.lists(bare, max_size=2, unique=True)):
            lines.append(f"{name} = {_toml_scalar(draw(scalar))}")
    text = nl.join(lines) + draw(st.sampled_from(["", nl, nl + nl]))
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        from hypothesis import assume

        assume(False)
    return text.encode()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(config_files(), st.sampled_from(["", "--no-plaintext"]), st.booleans())
def test_property_use_remove_identity_and_idempotence(kc, home, relay, original, mode, with_model):
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    codex_home(home).mkdir()
    (codex_home(home) / "config.toml").write_bytes(original)
    before = snapshot(home)
    extra = [mode] if mode else []
    if with_model:
        extra += ["--model", "gpt-5-codex"]
    result = use(kc, relay.url, "--no-verify", *extra)
    # every generated file is valid and keyconf-free, so nothing may be refused (the guard would say why)
    assert result.code == 0, result.output
    data = read_config(home)
    assert data["model_provider"] == "keyconf"
    once = snapshot(home)
    again = kc("use", "codex", "--no-verify", *extra)
    assert again.code == 0 and snapshot(home) == once
    assert kc("remove", "codex").code == 0
    assert snapshot(home) == before


def test_model_is_per_client_and_sticks_on_rerun(kc, home, relay):
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    assert kc("use", "codex").code == 0
    assert read_config(home)["model"] == "gpt-5-codex"  # a re-run keeps the model
    assert kc("use", "claude-code").code == 0
    env = json.loads((home / ".claude" / "settings.json").read_text())["env"]
    assert "ANTHROPIC_MODEL" not in env  # Codex's model does not leak into Claude Code


def test_toml_dates_and_times_are_kept(kc, home, relay):
    codex_home(home).mkdir()
    original = b'started = 2026-01-02T03:04:05Z\nday = 2026-01-02\n\n[notes]\nat = 07:30:00\n'
    (codex_home(home) / "config.toml").write_bytes(original)
    assert use(kc, relay.url, "--model", "gpt-5-codex").code == 0
    assert kc("remove", "codex").code == 0
    assert (codex_home(home) / "config.toml").read_bytes() == original


from adapter_contract import AdapterContract, RunE2E  # noqa: E402


class TestCodexContract(AdapterContract):
    client = "codex"
    use_args = ("--model", "gpt-5-codex")
    run_e2e = RunE2E("codex", ("exec", "--skip-git-repo-check", "ping"), "/v1/responses", "authorization",
                     env={"RUST_LOG": "error"})

    def arrange(self, home):
        codex_home(home).mkdir()
        (codex_home(home) / "config.toml").write_bytes((FIXTURES / "rich.toml").read_bytes())

    def break_file(self, home):
        path = codex_home(home) / "config.toml"
        path.write_bytes(b'model = "o3"\n[broken\n')
        return path

    def plant(self, home, token):
        (codex_home(home) / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": token}))


ODD_BUT_VALID = (
    '# a user\'s file with every value form\r\n'
    'model = """o3"""  # multi-line string as the model\r\n'
    'ratio = nan\r\n'
    'started = 1979-05-27 07:32:00Z\r\n'
    '"key ] with = and #" = \'literal ] # =\'\r\n'
    'list = [\r\n  1, # one ]\r\n  [2, "]"],\r\n]\r\n'
    'table = { a = "}", b = [1, 2], c = { d = inf } }\r\n'
    'text = """\r\nline ] one\r\n[not.a.table]\r\n"""""\r\n'
    '\r\n'
    '["quoted ] header".sub]\r\n'
    'x = 1\r\n'
    '[[arrays.of.tables]]\r\n'
    'y = -nan\r\n'
    '[[arrays.of.tables]]\r\n'
    "y = 'z'"  # no final newline
).encode()


@pytest.mark.parametrize("how", ["remove", "undo"])
def test_odd_but_valid_toml_round_trips_and_is_verified(kc, home, relay, how):
    codex_home(home).mkdir()
    (codex_home(home) / "config.toml").write_bytes(ODD_BUT_VALID)
    before = snapshot(home)
    result = use(kc, relay.url, "--model", "gpt-5-codex")
    assert result.code == 0, result.output
    data = read_config(home)
    assert data["model"] == "gpt-5-codex" and data["model_providers"]["keyconf"]["base_url"] == relay.url + "/v1"
    assert data["ratio"] != data["ratio"] and data["arrays"]["of"]["tables"][1] == {"y": "z"}
    once = snapshot(home)
    assert kc("use", "codex").code == 0 and snapshot(home) == once
    result = kc("undo") if how == "undo" else kc("remove", "codex")
    assert result.code == 0, result.output
    assert snapshot(home) == before
