"""The apply file: every error names the file and line; what parses is what `export` writes back."""

from __future__ import annotations

import re
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import KEY
from keyconf.errors import UsageError
from keyconf.formats.tomltext import KeyLines
from keyconf.keys.sources import KeySpec
from keyconf.pipeline import applyfile
from keyconf.pipeline.applyfile import parse, render_export

GOOD = """\
version = 1

[profiles.work]                       # the profile's name
base_url = "https://relay.example.com/v1/"
key = { env = "WORK_KEY" }
models = { claude-code = "claude-sonnet-4-5", codex = "gpt-5-codex" }

[profiles."home.eu"]
base_url = "https://other.example.com"
key.command = ["op", "read", "op://vault/relay/key"]

[clients.claude-code]
profile = "work"
model = "claude-opus-4"
via = "env"
shells = ["zsh", "bash", "zsh"]

[clients.codex]
profile = "work"
no_plaintext = true

[clients]
cursor = { profile = "home.eu", model = "gpt-5" }
cherry-studio.profile = "work"
cherry-studio.protocol = "anthropic"
"""


def error(text: str) -> tuple[int, str, str]:
    """(line, message without the FILE:LINE prefix, hint) of the error parsing `text` as team.toml."""
    with pytest.raises(UsageError) as info:
        parse(text, "team.toml")
    exc = info.value
    assert exc.code == 2
    m = re.match(r"team\.toml:(\d+): (.*)", exc.message, re.S)
    assert m, exc.message
    return int(m.group(1)), m.group(2), exc.hint


def body(text: str) -> str:
    """An apply file with a `work` profile, then `text` from line 5 on, at the top level."""
    return 'version = 1\nprofiles.work.base_url = "https://relay.example.com"\n\n\n' + text


# ---- what a good file gives -----------------------------------------------------------------------

def test_a_good_file_gives_profiles_and_clients_in_file_order():
    f = parse(GOOD, "team.toml")
    assert list(f.profiles) == ["work", "home.eu"]
    work = f.profiles["work"]
    assert work.base_url == "https://relay.example.com"  # normalised root
    assert work.key_source == KeySpec("env", "WORK_KEY")
    assert work.models == {"claude-code": "claude-sonnet-4-5", "codex": "gpt-5-codex"}
    assert work.where == "team.toml:3"
    assert f.profiles["home.eu"].key_source == KeySpec("command", ["op", "read", "op://vault/relay/key"])
    assert list(f.clients) == ["claude-code", "codex", "cursor", "cherry-studio"]
    assert f.clients["claude-code"].options == {"model": "claude-opus-4", "via": "env", "shells": ("zsh", "bash")}
    assert f.clients["cursor"].profile == "home.eu"
    assert f.clients["cherry-studio"].options == {"protocol": "anthropic"}
    assert f.clients["codex"].where == "team.toml:18"
    assert f.warnings == []


def test_options_for_fills_in_the_profile_default_model():
    f = parse(GOOD, "team.toml")
    assert f.options_for("codex") == {"no_plaintext": True, "model": "gpt-5-codex"}
    assert f.options_for("claude-code")["model"] == "claude-opus-4"  # the client's own wins
    assert f.options_for("cursor") == {"model": "gpt-5"}


def test_options_for_gives_use_options_keywords():
    from keyconf.model import Options as UseOptions

    f = parse(GOOD, "team.toml")
    for client in f.clients:
        UseOptions(**f.options_for(client))  # every option is a UseOptions keyword


def test_key_defaults_to_a_prompt_and_one_profile_needs_no_profile_line():
    f = parse(body("[clients.codex]\n[clients.shell]\n"), "t.toml")
    assert f.profiles["work"].key_source == KeySpec("prompt")
    assert f.clients["codex"].profile == f.clients["shell"].profile == "work"


def test_a_profile_no_client_uses_is_a_warning_with_its_line():
    f = parse(body('[profiles.spare]\nbase_url = "https://b.example.com"\n[clients.codex]\nprofile = "work"\n'),
              "team.toml")
    assert f.warnings == ["team.toml:5: profile 'spare' is used by no client (its key is still asked for and "
                          "stored)"]


def test_byte_order_mark_and_crlf_are_fine():
    f = parse("\ufeff" + GOOD.replace("\n", "\r\n"), "team.toml")
    assert list(f.clients) == ["claude-code", "codex", "cursor", "cherry-studio"]


def test_every_client_keyconf_names_has_options():
    from keyconf.adapters import CLIENT_IDS

    assert set(applyfile.CLIENTS) == set(CLIENT_IDS) >= {"claude-code", "codex", "cursor", "cherry-studio",
                                                         "gemini-cli", "opencode", "shell"}


# ---- errors, each with its line -----------------------------------------------------------------

def test_toml_syntax_error_uses_tomllib_position():
    line, message, _ = error('version = 1\n\n[clients.codex\nprofile = "work"\n')
    assert line == 3 and message.startswith("not valid TOML: ") and "line" not in message.split(":", 1)[1]


def test_toml_syntax_error_at_end_of_document_names_the_last_line():
    line, message, _ = error('version = 1\n[profiles.work]\nbase_url =')
    assert line == 3 and "not valid TOML" in message


def test_duplicate_key_is_a_syntax_error_at_its_line():
    line, _, _ = error(body('[clients.codex]\nprofile = "work"\nprofile = "work"\n'))
    assert line == 7


def test_version_missing():
    line, message, hint = error('[profiles.work]\nbase_url = "https://r.example.com"\n')
    assert line == 1 and message == "`version` is missing; supported versions: 1" and "version = 1" in hint


@pytest.mark.parametrize("value,shown", [("2", "2"), ('"1"', '"1"'), ("true", "true"), ("1.0", "1.0")])
def test_version_other_than_1_is_refused_with_the_supported_versions(value, shown):
    line, message, _ = error(f"# team file\nversion = {value}\n")
    assert line == 2 and message == f"version {shown} is not supported; supported versions: 1"


def test_unknown_top_level_key():
    line, message, hint = error(body('[client.codex]\nprofile = "work"\n'))
    assert line == 5 and message == "unknown top-level key 'client'; an apply file has: version, profiles, clients"
    assert hint == "did you mean 'clients'?"


def test_unknown_client_by_name_listing_valid_ones():
    line, message, hint = error(body('[clients.claude]\nprofile = "work"\n'))
    assert line == 5
    from keyconf.adapters import CLIENT_IDS

    assert message == "unknown client 'claude'; known clients: " + ", ".join(CLIENT_IDS)
    assert message.startswith("unknown client 'claude'; known clients: claude-code, codex, cursor, cherry-studio, "
                              "gemini-cli, opencode, ")
    assert hint == "did you mean 'claude-code'?"


def test_unknown_client_in_dotted_keys_and_inline_tables():
    assert error(body('clients.claude.profile = "work"\n'))[0] == 5
    assert error(body('clients = {\n codex = {}, windsurf = { profile = "work" } }\n'))[0] == 5


def test_unknown_option_by_name_listing_valid_ones():
    line, message, hint = error(body('[clients.codex]\nprofile = "work"\n\nmodle = "gpt-5"\n'))
    assert line == 8
    assert message == "unknown option 'modle' for codex; codex takes: profile, model, via, no_plaintext, shells"
    assert hint == "did you mean 'model'?"


@pytest.mark.parametrize("client,option,value,users", [
    ("cursor", "no_plaintext", "true", "claude-code, codex, pi, openclaw, crush, claude-desktop"),
    ("cherry-studio", "no_plaintext", "false", "claude-code, codex, pi, openclaw, crush, claude-desktop"),
    ("shell", "no_plaintext", "true", "claude-code, codex, pi, openclaw, crush, claude-desktop"),
    ("codex", "anthropic_auth", '"api-key"', "claude-code"),
    ("shell", "model", '"gpt-5"', "claude-code, codex, cursor, gemini-cli, opencode, pi, openclaw, qwen-code, "
                                  "kilo, droid, hermes, crush, claude-desktop, claude-vscode, zed, roo-code, "
                                  "chatbox, aider, continue"),
    ("cursor", "protocol", '"openai"', "cherry-studio, zed, chatbox"),
])
def test_option_that_does_not_fit_the_client(client, option, value, users):
    line, message, _ = error(body(f'[clients.{client}]\n{option} = {value}\n'))
    assert line == 6
    assert message.startswith(f"option {option!r} does not apply to {client} (only to {users}); {client} takes: ")


def test_via_env_for_cursor():
    line, message, _ = error(body('[clients.cursor]\nprofile = "work"\nvia = "env"\n'))
    assert line == 7 and message == 'clients.cursor.via must be "config", not "env"'


@pytest.mark.parametrize("lines,line,message", [
    ('[clients.codex]\nvia = 1\n', 6, 'clients.codex.via must be one of "config", "env", not 1'),
    ('[clients.codex]\nvia = "shell"\n', 6, 'clients.codex.via must be one of "config", "env", not "shell"'),
    ('[clients.codex]\nno_plaintext = "yes"\n', 6, 'clients.codex.no_plaintext must be true or false, not "yes"'),
    ('[clients.codex]\nmodel = 5\n', 6, "clients.codex.model must be a model name (a non-empty string), not 5"),
    ('[clients.codex]\nmodel = ""\n', 6, 'clients.codex.model must be a model name (a non-empty string), not ""'),
    ('[clients.shell]\nshells = "bash"\n', 6, 'clients.shell.shells must be a list of shells like ["bash", "zsh"] '
                                              '(from bash, zsh, fish, powershell), not "bash"'),
    ('[clients.shell]\nshells = ["bash",\n  "tcsh"]\n', 6, 'clients.shell.shells lists "tcsh", which is not a shell '
                                                           'keyconf writes; choose from bash, zsh, fish, powershell'),
    ('[clients.claude-code]\nanthropic_auth = "bearer"\n', 6,
     'clients.claude-code.anthropic_auth must be one of "token", "api-key", not "bearer"'),
    ('[clients.cherry-studio]\nprotocol = "gemini"\n', 6,
     'clients.cherry-studio.protocol must be one of "openai", "anthropic", not "gemini"'),
    ('[clients.codex]\nprofile = 1\n', 6, "clients.codex.profile must be a string, not 1"),
    ('clients.codex = "work"\n', 5, "clients.codex must be a table, not \"work\""),
    ('clients = ["codex"]\n', 5, "clients must be a table, not a list"),
    ('[[clients]]\nprofile = "work"\n', 5, "clients must be a table, not a list"),
    ('[profiles.x]\nbase_url = 1\n', 6, "profiles.x.base_url must be a string, not 1"),
    ('[profiles.x]\nbase_url = "https://a.example.com"\nmodels = "gpt-5"\n', 7,
     'profiles.x.models must be a table, not "gpt-5"'),
    ('[profiles.x]\nbase_url = "https://a.example.com"\nmodels.codex = 5\n', 7,
     "profiles.x.models.codex must be a model name (a non-empty string), not 5"),
])
def test_wrong_types_and_values(lines, line, message):
    assert error(body(lines))[:2] == (line, message)


def test_wrong_type_of_profiles():
    assert error('version = 1\nprofiles = "work"\n')[:2] == (2, 'profiles must be a table, not "work"')
    assert error('version = 1\n[profiles]\nwork = "https://a.example.com"\n')[:2] == \
        (3, 'profiles.work must be a table, not "https://a.example.com"')


def test_missing_base_url_names_the_profile_table():
    line, message, hint = error('version = 1\n\n[profiles.work]\nkey = { prompt = true }\n')
    assert line == 3 and message == "profile 'work' has no base_url" and "base_url =" in hint


@pytest.mark.parametrize("url,text", [
    ("relay.example.com", "must start with https:// or http://"),
    ("ftp://relay.example.com", "must use http or https"),
    ("https://user:pw@relay.example.com", "must not contain a user name or password"),
])
def test_bad_url(url, text):
    line, message, _ = error(f'version = 1\n[profiles.work]\nkey = {{ prompt = true }}\nbase_url = "{url}"\n')
    assert line == 4 and message.startswith("profiles.work.base_url: the Base URL") and text in message


def test_client_naming_a_profile_that_is_not_there():
    line, message, hint = error(body('[clients.codex]\nvia = "config"\nprofile = "wrok"\n'))
    assert line == 7
    assert message == "codex names profile 'wrok', which the file does not define; the file defines: work"
    assert "[profiles.wrok]" in hint


def test_client_without_profile_when_there_are_two():
    line, message, _ = error(body('[profiles.b]\nbase_url = "https://b.example.com"\n\n[clients.codex]\n'))
    assert line == 8 and message == "clients.codex has no profile; the file defines: work, b"


def test_client_naming_a_profile_when_the_file_defines_none():
    line, message, _ = error('version = 1\n[clients.codex]\nprofile = "work"\n')
    assert line == 3 and message.endswith("the file defines: (none)")


@pytest.mark.parametrize("name", ["bad name", "-lead", "a" * 65, "é"])
def test_invalid_profile_name(name):
    line, message, _ = error(f'version = 1\n\n[profiles."{name}"]\nbase_url = "https://a.example.com"\n')
    assert line == 3 and message.startswith("invalid profile name")


@pytest.mark.parametrize("value,text", [
    ('{ env = "A", prompt = true }', "must name exactly one key source, not 2"),
    ("{ file = \"~/key\" }", "has an unknown key source 'file'"),
    ("{ prompt = false }", "{ prompt = ... } takes only true"),
    ("{ stdin = 1 }", "{ stdin = ... } takes only true"),
    ("{ stored = \"yes\" }", "{ stored = ... } takes only true"),
    ('{ env = "" }', 'needs the name of an environment variable'),
    ("{ env = 5 }", 'needs the name of an environment variable'),
    ("{ command = [] }", "needs a non-empty list of strings"),
    ('{ command = "op read op://v/k" }', "needs a non-empty list of strings"),
    ('{ command = ["op", 1] }', "needs a non-empty list of strings"),
    ("{}", "must name exactly one key source, not 0"),
    ("true", "must be an inline table"),
])
def test_key_source_must_be_exactly_one_form(value, text):
    line, message, _ = error(f'version = 1\n[profiles.work]\nbase_url = "https://a.example.com"\nkey = {value}\n')
    assert line == 4 and message.startswith("profiles.work.key ") and text in message


@pytest.mark.parametrize("lines,line,text", [
    ('[clients.codex]\nvia = "env"\nno_plaintext = true\n', 7, 'no_plaintext and via = "env" do not go together'),
    ('[clients.claude-code]\nshells = ["fish"]\n', 6, 'shells only applies with via = "env"'),
    ('[clients.codex]\nvia = "config"\nshells = ["fish"]\n', 7, 'shells only applies with via = "env"'),
])
def test_options_that_do_not_go_together(lines, line, text):
    got_line, message, _ = error(body(lines))
    assert got_line == line and text in message


def test_models_name_known_clients_that_take_a_model():
    line, message, hint = error(body('[profiles.x]\nbase_url = "https://a.example.com"\n'
                                     'models = { codex = "gpt-5", claud-code = "x" }\n'))
    assert line == 7 and message.startswith("unknown client 'claud-code'") and hint == "did you mean 'claude-code'?"
    line, message, _ = error(body('[profiles.x]\nbase_url = "https://a.example.com"\n'
                                  '[profiles.x.models]\nshell = "gpt-5"\n'))
    assert line == 8 and message == "shell takes no model, so profiles.x.models.shell has no use"


def test_unknown_key_in_a_profile():
    line, message, _ = error(body('[profiles.x]\nbase_url = "https://a.example.com"\napi_key = { stdin = true }\n'))
    assert line == 7 and message == "unknown key 'api_key' in profile 'x'; a profile takes: base_url, key, models"


@pytest.mark.parametrize("text", [
    f'key = "{KEY}"',
    f'key = {{ env = "{KEY}" }}',
    f'key = {{ command = "{KEY}" }}',
    f'key = {{ prompt = "{KEY}" }}',
    f'key = {{ {KEY} = true }}',
    f'base_url = "https://relay.example.com"\nbase_url2 = "{KEY}"',
    f'[clients.codex]\nvia = "{KEY}"',
    f'[clients.codex]\nmodel = 1\n[clients.shell]\nshells = ["{KEY}"]',
    f'[clients.codex]\nprofile = "{KEY}"',
    f'[profiles."{KEY}"]\nbase_url = 1',
    f'[clients.{KEY}]',
    f'{KEY} = 1',
    f'[clients.codex]\n{KEY} = 1',
    f'[profiles.x]\nbase_url = "https://b.example.com"\n{KEY} = 1',
    f'[profiles.x]\nbase_url = "https://b.example.com"\nmodels.{KEY} = "m"',
    f'version = "{KEY}"',
    f'[clients.shell]\nshells = "{KEY}"',
])
def test_no_key_in_any_error_message(text):
    doc = 'version = 1\n[profiles.work]\nbase_url = "https://relay.example.com"\n' + text + "\n"
    if text.startswith("version"):
        doc = doc.replace("version = 1\n", "", 1)
    with pytest.raises(UsageError) as info:
        parse(doc, "team.toml")
    assert KEY not in info.value.message + info.value.hint
    assert KEY[3:12] not in info.value.message + info.value.hint


def test_a_key_written_into_the_file_is_refused():
    _, message, _ = error(f'version = 1\n[profiles.work]\nbase_url = "https://r.example.com"\nkey = "{KEY}"\n')
    assert "the file must not hold the key itself" in message


# ---- the locator --------------------------------------------------------------------------------

def test_locator_handles_tables_dotted_keys_inline_tables_and_arrays():
    text = GOOD
    where = KeyLines(text)
    assert where.line_of(("version",)) == 1
    assert where.line_of(("profiles", "work", "base_url")) == 4
    assert where.line_of(("profiles", "work", "models", "codex")) == 6
    assert where.line_of(("profiles", "home.eu")) == 8
    assert where.line_of(("profiles", "home.eu", "key", "command", 2)) == 10
    assert where.line_of(("clients", "claude-code")) == 12
    assert where.line_of(("clients", "claude-code", "shells")) == 16
    assert where.line_of(("clients", "cursor", "model")) == 23
    assert where.line_of(("clients", "cherry-studio", "protocol")) == 25
    assert where.line_of(("clients", "codex", "nothing", "here")) == 18  # nearest known parent
    assert where.line_of(("nowhere",)) == 1


def test_locator_is_not_fooled_by_strings_and_comments():
    text = ('version = 1 # [clients.bad]\n'
            'note = """\n[clients.fake]\nvia = "x" \\""" \n"""\n'
            "lit = '''\n[profiles.fake]\n'''\n"
            'arr = [\n  "a", # [clients.fake2]\n  { x = "]" },\n]\n'
            'when = 1979-05-27 07:32:00Z\n'
            '"quoted key".\'x\' . y = "s\\"]"\n'
            '[ clients . "claude-code" ]\n'
            'via = "env"\n')
    tomllib.loads(text)  # valid TOML
    where = KeyLines(text)
    assert ("clients", "fake") not in where.lines and ("profiles", "fake") not in where.lines
    assert where.line_of(("arr", 1, "x")) == 11
    assert where.line_of(("when",)) == 13
    assert where.line_of(("quoted key", "x", "y")) == 14
    assert where.line_of(("clients", "claude-code", "via")) == 16


def test_error_after_a_multiline_string_has_the_right_line():
    line, _, _ = error(body('[clients.codex]\nmodel = """\ngpt-5\n"""\nvia = "both"\n'))
    assert line == 9


# ---- export -------------------------------------------------------------------------------------

class P:
    def __init__(self, name, base_url):
        self.name = name
        self.base_url = base_url


def test_export_writes_a_file_parse_accepts_without_defaults_or_keys():
    profiles = [P("work", "https://relay.example.com"), P("home.eu", "https://other.example.com/proxy")]
    bindings = {
        "claude-code": {"profile": "work", "via": "env", "shells": ["bash", "zsh"], "anthropic_auth": "api-key",
                        "model": "claude-sonnet-4-5", "no_plaintext": False, "files": {"/x": {}}, "seq": 3,
                        "vars": {"ANTHROPIC_AUTH_TOKEN": {"key_of": "work"}}},
        "codex": {"profile": "home.eu", "via": "config", "no_plaintext": True, "model": None},
        "cursor": {"profile": "work", "via": "config", "model": "gpt-5"},
        "cherry-studio": {"profile": "work", "via": "link", "protocol": "openai", "provider_id": "keyconf-work"},
        "shell": {"profile": "work", "via": "env", "shells": ["fish"], "seq": 1},
    }
    text = render_export(profiles, bindings)
    assert text == """\
# keyconf apply file, written by `keyconf export`. It holds no key: each key is asked for once, with a hidden prompt.
# Apply it with: keyconf apply FILE

version = 1

[profiles.work]
base_url = "https://relay.example.com"
key = { prompt = true }

[profiles."home.eu"]
base_url = "https://other.example.com/proxy"
key = { prompt = true }

[clients.claude-code]
profile = "work"
model = "claude-sonnet-4-5"
via = "env"
anthropic_auth = "api-key"
shells = ["bash", "zsh"]

[clients.codex]
profile = "home.eu"
no_plaintext = true

[clients.cursor]
profile = "work"
model = "gpt-5"

[clients.cherry-studio]
profile = "work"

[clients.shell]
profile = "work"
shells = ["fish"]
"""
    f = parse(text, "exported.toml")
    assert f.warnings == []
    assert f.clients["codex"].options == {"no_plaintext": True}


def test_export_with_env_key_sources():
    profiles = [P("claude-code-mac", "https://a.example.com"), P("work.eu", "https://b.example.com"),
                P("work-eu", "https://c.example.com")]
    f = parse(render_export(profiles, {}, key_source="env"), "x.toml")
    assert [p.key_source for p in f.profiles.values()] == [
        KeySpec("env", "KEYCONF_KEY_CLAUDE_CODE_MAC"), KeySpec("env", "KEYCONF_KEY_WORK_EU"),
        KeySpec("env", "KEYCONF_KEY_WORK_EU_2")]
    with pytest.raises(UsageError):
        render_export(profiles, {}, key_source="stdin")


def test_export_leaves_out_bindings_it_cannot_replay():
    text = render_export([P("work", "https://a.example.com")],
                         {"codex": {"profile": "gone"}, "windsurf": {"profile": "work"}})
    assert "# codex: its profile 'gone' no longer exists; left out" in text
    assert "# windsurf: not a client this keyconf knows; left out" in text
    assert parse(text, "x.toml").clients == {}


_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
_roots = st.sampled_from(["https://relay.example.com", "http://127.0.0.1:3000", "https://a.example.com/proxy",
                          "https://xn--fiqs8s.example.com"])
_models = st.one_of(st.none(), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                                       max_size=20).filter(lambda s: s.strip() == s and s.strip()))
_shell_lists = st.lists(st.sampled_from(applyfile.SHELLS), min_size=1, max_size=4, unique=True)


@st.composite
def machines(draw):
    names = draw(st.lists(_names, min_size=1, max_size=4, unique=True))
    profiles = [P(n, draw(_roots)) for n in names]
    bindings = {}
    for client in draw(st.lists(st.sampled_from(applyfile.CLIENTS), unique=True)):
        binding = {"profile": draw(st.sampled_from(names)), "model": draw(_models)}
        options = applyfile.OPTIONS[client]
        if "via" in options:
            binding["via"] = draw(st.sampled_from(options["via"].values))
        if "no_plaintext" in options and binding.get("via") != "env":
            binding["no_plaintext"] = draw(st.booleans())
        if "anthropic_auth" in options:
            binding["anthropic_auth"] = draw(st.sampled_from(["token", "api-key"]))
        if "protocol" in options:
            binding["protocol"] = draw(st.sampled_from(["openai", "anthropic"]))
        if "shells" in options and (binding.get("via") == "env" or "via" not in options):
            binding["shells"] = draw(_shell_lists)
        if "model" not in options:
            binding.pop("model")
        bindings[client] = binding
    return profiles, bindings


@settings(max_examples=150, deadline=None)
@given(machines(), st.sampled_from(["prompt", "env"]))
def test_export_then_parse_reproduces_the_machine(machine, key_source):
    profiles, bindings = machine
    f = parse(render_export(profiles, bindings, key_source), "exported.toml")
    assert [(p.name, p.base_url) for p in f.profiles.values()] == [(p.name, p.base_url) for p in profiles]
    assert list(f.clients) == list(bindings)
    for client, binding in bindings.items():
        assert f.clients[client].profile == binding["profile"]
        got = f.options_for(client)
        for option, spec in applyfile.OPTIONS[client].items():
            want = binding.get(option)
            want = tuple(want) if isinstance(want, list) else want
            assert got.get(option, spec.default) == (spec.default if want is None else want), option
    assert all(p.key_source.kind == key_source for p in f.profiles.values())
