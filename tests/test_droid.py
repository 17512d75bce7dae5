"""Factory Droid: one custom model of keyconf's own in ~/.factory/settings.json (JSONC) and the session default."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter_contract import AdapterContract, RunE2E
from conftest import KEY, REPO, snapshot
from corpus import corpus_files
from keyconf.formats import jsonarray

# As Factory writes it (header comments), with the user's own custom model (and a comment inside the array).
SETTINGS_RICH = b"""// Factory CLI Settings
// This file contains your Factory CLI configuration.
{
  "diffMode": "github",
  "customModels": [
    // my local proxy
    {
      "model": "gpt-4o-mini",
      "displayName": "Local",
      "baseUrl": "http://localhost:8317/v1",
      "apiKey": "${LOCAL_KEY}",
      "provider": "generic-chat-completion-api"
    }
  ],
  "sessionDefaultSettings": { "autonomyMode": "auto-high" },
  "commandAllowlist": ["ls", "pwd"]
}
"""
MODEL = ("--model", "gpt-5")


def settings_path(home: Path) -> Path:
    return home / ".factory" / "settings.json"


def write(home: Path, content: bytes = SETTINGS_RICH) -> None:
    settings_path(home).parent.mkdir(parents=True, exist_ok=True)
    settings_path(home).write_bytes(content)


def use(kc, relay, *extra, key: str = KEY):
    return kc("use", "droid", "--key-stdin", "--base-url", relay.url, "--no-verify", *extra, input=key + "\n")


def data(home: Path) -> dict:
    from keyconf.formats.jsondoc import JsonDoc

    return JsonDoc(settings_path(home).read_bytes(), "settings.json", jsonc=True).get(())


class TestDroidContract(AdapterContract):
    client = "droid"
    use_args = MODEL
    # the platform package's binary (the npm wrapper may lack it); Factory's own calls all stop with the airgap
    run_e2e = RunE2E(str(REPO / ".ci" / "node" / "node_modules" / "@factory" / "cli-linux-x64" / "bin" / "droid"),
                     ("exec", "ping"), "/v1/chat/completions", "authorization",
                     env={"FACTORY_AIRGAP_ENABLED": "true", "NO_COLOR": "1", "LOCAL_KEY": "sk-local-not-this"})

    def arrange(self, home):
        write(home)

    def break_file(self, home):
        settings_path(home).write_bytes(b'{"diffMode": "github"')
        return settings_path(home)

    def plant(self, home, token):
        write(home, SETTINGS_RICH.replace(b"${LOCAL_KEY}", token.encode()))


def test_use_appends_keyconfs_model_and_makes_it_the_session_default(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    found = data(home)
    assert found["customModels"][0]["displayName"] == "Local"
    assert found["customModels"][1] == {"model": "gpt-5", "displayName": "keyconf", "baseUrl": relay.url + "/v1",
                                        "apiKey": KEY, "provider": "generic-chat-completion-api",
                                        "maxOutputTokens": 16384}
    assert found["sessionDefaultSettings"] == {"autonomyMode": "auto-high", "model": "custom:keyconf-0"}
    text = settings_path(home).read_bytes()
    assert b"// my local proxy" in text and text.startswith(b"// Factory CLI Settings")
    assert stat.S_IMODE(settings_path(home).stat().st_mode) == 0o600  # it holds the key


def test_via_env_keeps_the_key_out_of_the_file(kc, home, relay):
    write(home)
    settings_path(home).chmod(0o644)
    result = use(kc, relay, *MODEL, "--via", "env", "--shell", "bash")
    assert result.code == 0, result.output
    assert data(home)["customModels"][1]["apiKey"] == "${KEYCONF_DROID_API_KEY}"
    assert KEY.encode() not in settings_path(home).read_bytes()
    assert stat.S_IMODE(settings_path(home).stat().st_mode) == 0o644
    assert "KEYCONF_DROID_API_KEY" in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()
    item = kc("status", "droid", "--json").json()["results"][0]
    assert item["via"] == "env" and item["base_url"] == relay.url + "/v1" and item["model"] == "gpt-5"
    assert item["conflicts"] == []
    assert kc("remove", "factory").code == 0  # the alias names the same client
    assert settings_path(home).read_bytes() == SETTINGS_RICH


def test_droids_own_rewrite_is_no_change_and_remove_takes_out_only_keyconfs_entry(kc, home, relay):
    """Droid's TUI rewrites the file: comments gone, 2-space JSON, each entry gains id/index/noImageSupport."""
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    rewritten = data(home)
    for i, entry in enumerate(rewritten["customModels"]):
        entry.update({"id": f"custom:{entry['displayName']}-0", "index": i, "noImageSupport": False})
    rewritten["logoAnimation"] = "off"
    settings_path(home).write_text(json.dumps(rewritten, indent=2))
    again = kc("use", "droid", "--no-verify", "--json")
    assert again.code == 0 and again.json()["results"][0]["changed"] == []
    item = kc("status", "droid", "--json").json()["results"][0]
    assert item["configured"] and item["conflicts"] == [] and item["key"] == "sk-…YZ42"
    assert kc("remove", "droid").code == 0
    left = json.loads(settings_path(home).read_bytes())
    assert [m["displayName"] for m in left["customModels"]] == ["Local"] and left["customModels"][0]["index"] == 0
    assert left["sessionDefaultSettings"] == {"autonomyMode": "auto-high"} and left["logoAnimation"] == "off"


def test_a_user_edit_of_the_array_after_use_is_kept_by_remove(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    path = settings_path(home)
    path.write_text(path.read_text().replace('"displayName": "Local"', '"displayName": "Local 2"'))
    assert kc("remove", "droid").code == 0
    assert path.read_bytes() == SETTINGS_RICH.replace(b'"displayName": "Local"', b'"displayName": "Local 2"')


def test_a_new_file_goes_away_again(kc, home, relay):
    assert use(kc, relay).code == 0  # no --model: keyconf lists its default and says so
    assert data(home)["customModels"][0]["model"] == "gpt-5"
    assert kc("remove", "droid").code == 0
    assert not settings_path(home).exists()


def test_a_trailing_comma_is_refused_because_droid_ignores_such_a_file(kc, home, relay):
    write(home, b'{\n  "diffMode": "github",\n}\n')
    result = use(kc, relay, *MODEL)
    assert result.code == 3 and "line 2" in result.output and "ignores the whole file" in result.output


def test_someone_elses_model_named_keyconf_is_not_taken_over(kc, home, relay):
    write(home, b'{"customModels": [{"model": "x", "displayName": "keyconf"}]}')
    result = use(kc, relay, *MODEL)
    assert result.code == 3 and "did not write" in result.output


def test_no_plaintext_is_refused_with_the_reason(kc, home, relay):
    result = use(kc, relay, *MODEL, "--no-plaintext")
    assert result.code == 2 and "--via env" in result.output
    assert not settings_path(home).exists()


def test_status_and_doctor_name_a_session_default_that_is_not_keyconfs(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    path = settings_path(home)
    path.write_text(path.read_text().replace('"custom:keyconf-0"', '"claude-opus-4-6"'))
    item = kc("status", "droid", "--json").json()["results"][0]
    assert any("sessionDefaultSettings.model" in c for c in item["conflicts"])
    assert "Factory's models" in kc("doctor").output


@pytest.mark.parametrize("raw,element,expected", [
    ("[]", "1", "[1]"),
    ("[0]", "1", "[0, 1]"),
    ("[\n  0,\n  2\n]", "1", "[\n  0,\n  2,\n  1\n]"),
    ("[\n    0 // c\n  ]", "1", "[\n    0,\n    1 // c\n  ]"),
    ("[\n    // c\n    0\n  ]", "1", "[\n    // c\n    0,\n    1\n  ]"),
    ("[\r\n  0\r\n]", "1", "[\r\n  0,\r\n  1\r\n]"),
])
def test_jsonarray_append_lays_the_element_out_like_the_others(raw, element, expected):
    assert jsonarray.append(raw, element) == expected
    assert jsonarray.drop(expected, len(jsonarray.spans(expected)) - 1) == raw


@pytest.mark.parametrize("path", corpus_files("droid"), ids=lambda p: p.name if p else "none")
def test_corpus_use_use_again_remove_is_byte_exact(kc, home, relay, path):
    """Real users' ~/.factory files from public dotfiles (settings.json; a legacy config.json placed beside the
    settings file it is merged with): use, use again (no change), remove (every byte back)."""
    target = settings_path(home) if "config" not in path.name else home / ".factory" / "config.json"
    target.parent.mkdir(parents=True)
    target.write_bytes(path.read_bytes())
    before = snapshot(home)
    result = use(kc, relay, *MODEL)
    assert result.code == 0, result.output
    once = snapshot(home)
    again = kc("use", "droid", "--no-verify", "--json")
    assert again.code == 0 and again.json()["results"][0]["changed"] == [] and snapshot(home) == once
    assert kc("remove", "droid").code == 0
    assert snapshot(home) == before


def test_settings_layers_that_beat_the_users_file_are_named(kc, home, relay, monkeypatch):
    """Droid 0.225 reads ~/.factory/settings.local.json and a project's .factory/settings(.local).json (in the
    start folder or above) after ~/.factory/settings.json: a session default there wins."""
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    (home / ".factory" / "settings.local.json").write_text('{"sessionDefaultSettings": {"model": "custom:x-0"}}')
    project = home / "proj"
    (project / ".factory").mkdir(parents=True)
    (project / ".factory" / "settings.json").write_text('{"sessionDefaultSettings": {"model": "gpt-5-codex"}}')
    (project / "src").mkdir()
    monkeypatch.chdir(project / "src")
    conflicts = kc("status", "droid", "--json").json()["results"][0]["conflicts"]
    assert any("settings.local.json" in c for c in conflicts)
    doctor = kc("doctor").output
    assert "proj/.factory/settings.json sets sessionDefaultSettings.model = 'gpt-5-codex'" in doctor


def test_an_edit_of_keyconfs_entry_is_set_back_and_droids_fields_stay(kc, home, relay):
    write(home)
    assert use(kc, relay, *MODEL).code == 0
    path = settings_path(home)
    path.write_text(path.read_text().replace('"maxOutputTokens": 16384}', '"maxOutputTokens": 16384, "id": "x"}')
                    .replace(relay.url + "/v1", "http://elsewhere.example/v1"))
    result = kc("use", "droid", "--no-verify")
    assert result.code == 0 and "changed since keyconf wrote it; set back" in result.output
    entry = data(home)["customModels"][1]
    assert entry["baseUrl"] == relay.url + "/v1" and entry["id"] == "x"
    assert KEY not in (home / ".config" / "keyconf" / "state.json").read_text()


def test_factory_home_override_moves_the_file(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("FACTORY_HOME_OVERRIDE", str(tmp_path / "elsewhere"))
    assert use(kc, relay, *MODEL).code == 0
    assert (tmp_path / "elsewhere" / ".factory" / "settings.json").is_file() and not settings_path(home).exists()
    assert kc("status", "droid", "--json").json()["results"][0]["configured"]


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text(max_size=5))
_ELEMENTS = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                         max_leaves=6)


@settings(max_examples=100, deadline=None)
@given(items=st.lists(_ELEMENTS, max_size=5), indent=st.sampled_from([None, 0, 2, 4, "\t"]), new=_ELEMENTS)
def test_jsonarray_append_then_drop_gives_the_same_bytes(items, indent, new):
    raw = json.dumps(items, indent=indent, ensure_ascii=False)
    grown = jsonarray.append(raw, json.dumps(new))
    assert json.loads(grown) == items + [new]
    assert jsonarray.drop(grown, len(items)) == raw
    if items:
        assert json.loads(jsonarray.replace(raw, 0, json.dumps(new))) == [new] + items[1:]


def test_crlf_settings_get_crlf_lines_and_come_back_whole(kc, home, relay):
    crlf = SETTINGS_RICH.replace(b"\n", b"\r\n")
    write(home, crlf)
    assert use(kc, relay, *MODEL).code == 0
    text = settings_path(home).read_bytes()
    assert b"\n" not in text.replace(b"\r\n", b"") and data(home)["customModels"][1]["displayName"] == "keyconf"
    assert kc("remove", "droid").code == 0
    assert settings_path(home).read_bytes() == crlf


def test_run_settings_file_holds_a_custom_model_of_its_own_made_the_session_default(home):
    from keyconf import adapters
    from keyconf.adapters.base import Context
    from keyconf.paths import Paths
    from keyconf.stores.profiles import Profile
    from keyconf.stores.state import State

    paths = Paths.from_environ()
    launch = adapters.get("droid").launch(Context(paths, State.load(paths)), Profile("B", "http://127.0.0.1:9"), None)
    [(path, body)] = launch.files.items()
    assert launch.argv == ["--settings", str(path)] and launch.key_vars == ("KEYCONF_DROID_RUN_API_KEY",)
    settings = json.loads(body)
    # Droid's id for a custom model: its displayName with whitespace runs as "-", then the count of earlier ones
    assert settings == {"customModels": [{"model": "gpt-5", "displayName": "keyconf run",
                                          "baseUrl": "http://127.0.0.1:9/v1", "apiKey": "${KEYCONF_DROID_RUN_API_KEY}",
                                          "provider": "generic-chat-completion-api", "maxOutputTokens": 16384}],
                        "sessionDefaultSettings": {"model": "custom:keyconf-run-0"}}
