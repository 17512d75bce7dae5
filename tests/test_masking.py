"""`redact` hides every form a key can take on the way to the screen; the forms here are derived on their
own (not from keyconf.masking), so a form masking forgets is a failing test, not a shared blind spot."""

from __future__ import annotations

import base64
import io
import json
import re
import shlex
import string
import sys
import time
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyconf import masking
from keyconf.osenv.shellenv import quote as shell_quote

HOSTILE = "sk-Ab'C\"d\\e$f`g%h+i/j=kLMNOPQRSTUV0123"
PRINTABLE = string.ascii_letters + string.digits + string.punctuation


@pytest.fixture(autouse=True)
def fresh_masking():
    """Each test remembers its own keys: nothing hidden by a key an earlier test remembered."""
    saved = dict(masking._known), {a: dict(g) for a, g in masking._groups.items()}
    forget()
    yield
    forget()
    masking._known.update(saved[0])
    masking._groups.update(saved[1])


def forget():
    masking.forget_all()


def base64_runs(key: str) -> dict[str, str]:
    """The base64 characters that stay the same whatever bytes surround the key (as is, or JSON-escaped
    inside a JSON payload), at byte offsets 0, 1, 2: found by encoding the key between two different
    fillers and keeping the longest run where both agree."""
    runs = {}
    for kind, raw in (("", key.encode("utf-8")), ("json-", json.dumps(key)[1:-1].encode())):
        for offset in range(3):
            a = base64.b64encode(b"\x00" * offset + raw + b"\x00\x00\x00").decode()
            b = base64.b64encode(b"\xff" * offset + raw + b"\xff\xff\xff").decode()
            same = "".join(x if x == y else "\n" for x, y in zip(a, b))
            runs[f"base64@{offset}-{kind}"] = max(same.split("\n"), key=len)
    return runs


def derived_forms(key: str) -> dict[str, str]:
    """Every form of `key` that must never be printed, by name (for failure messages)."""
    found = {"raw": key,
             "json": json.dumps(key)[1:-1], "json-unicode": json.dumps(key, ensure_ascii=False)[1:-1],
             "repr": repr(key)[1:-1],
             "percent": quote(key, safe=""),
             "percent-lower": re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(key, safe="")),
             "percent-path": quote(key), "percent-plus": quote_plus(key), "urlencode": urlencode({"k": key})[2:],
             "sh": shell_quote("posix", key)[1:-1], "fish": shell_quote("fish", key)[1:-1],
             "powershell": shell_quote("powershell", key)[1:-1],
             "shlex": shlex.quote(key)[1:-1] if shlex.quote(key) != key else key,
             "head12": key[:12], "tail12": key[-12:]}
    for name, run in base64_runs(key).items():
        found[name] = run
        found[name + "urlsafe"] = run.replace("+", "-").replace("/", "_")
        found[name + "percent"] = quote(run, safe="")
    return found


def leaked(text: str, *keys: str) -> list[str]:
    """Names of the forms of `keys` found in `text`."""
    return [f"{name} of {key!r}: {form!r}" for key in keys for name, form in derived_forms(key).items()
            if len(form) >= 4 and form in text]


def test_the_test_finds_every_form():
    """The forms above really are what those encoders produce (guards the search itself)."""
    forms = derived_forms(HOSTILE)
    assert forms["sh"] == "sk-Ab'\\''C\"d\\e$f`g%h+i/j=kLMNOPQRSTUV0123"
    assert forms["fish"] == "sk-Ab\\'C\"d\\\\e$f`g%h+i/j=kLMNOPQRSTUV0123"
    assert forms["powershell"] == "sk-Ab''C\"d\\e$f`g%h+i/j=kLMNOPQRSTUV0123"
    for prefix in (b"", b"{", b'{"a":', b'{"apiKey":"'):
        payload = base64.b64encode(prefix + HOSTILE.encode() + b'","x":1}').decode()
        assert leaked(payload, HOSTILE), prefix


@pytest.mark.parametrize("name", sorted(derived_forms(HOSTILE)))
def test_each_form_is_redacted_inside_other_text(name):
    masking.remember(HOSTILE)
    form = derived_forms(HOSTILE)[name]
    for text in (form, f"error: {form} was rejected", f'{{"message": "bad key {form}"}}', f"x={form}&y=1"):
        shown = masking.redact(text)
        assert not leaked(shown, HOSTILE), (text, shown)


@pytest.mark.parametrize("family", ["posix", "fish", "powershell"])
def test_shell_quoted_key_shows_as_its_mask(family):
    masking.remember(HOSTILE)
    line = f"export OPENAI_API_KEY={shell_quote(family, HOSTILE)}"
    assert masking.redact(line) == "export OPENAI_API_KEY='sk-…0123'"


def test_masking_knows_every_shell_quoting_of_shellenv():
    for family in ("posix", "fish", "powershell"):
        assert shell_quote(family, HOSTILE)[1:-1] in masking.forms(HOSTILE)


def test_import_links_are_redacted():
    """Cherry Studio's link (base64 JSON, percent-encoded) and cc-switch's (urlencoded apiKey)."""
    from keyconf.links import ccswitch_link, cherry_link

    key = HOSTILE.replace("'", "~")  # Cherry refuses ' ( )
    masking.remember(key)
    for protocol in ("openai", "anthropic"):
        link, _ = cherry_link("work", "https://relay.example.com", key, protocol)
        assert leaked(link, key) and not leaked(masking.redact(link), key)
    link, shown = ccswitch_link("claude", "work", "https://relay.example.com", key, {"model": "m"})
    assert leaked(link, key) and not leaked(masking.redact(link), key)
    assert not leaked(shown, key)


@settings(max_examples=300, deadline=None)
@given(key=st.text(PRINTABLE, min_size=16, max_size=80), before=st.binary(max_size=40),
       after=st.binary(max_size=40), urlsafe=st.booleans(), pad=st.booleans())
def test_a_key_inside_any_base64_payload_is_redacted(key, before, after, urlsafe, pad):
    forget()  # hypothesis runs every example in one test
    masking.remember(key)
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    payload = encode(before + key.encode() + after).decode()
    payload = payload if pad else payload.rstrip("=")
    for text in (payload, f"data={quote(payload, safe='')}&v=1", json.dumps({"link": payload})):
        shown = masking.redact(text)
        assert not [r for r in base64_runs(key).values() if r in shown], (text, shown)


@settings(max_examples=300, deadline=None)
@given(key=st.text(PRINTABLE, min_size=12, max_size=80))
def test_any_printable_key_is_redacted_in_every_form(key):
    forget()  # hypothesis runs every example in one test
    masking.remember(key)
    for name, form in derived_forms(key).items():
        shown = masking.redact(f"<{form}>")
        assert form not in shown or len(form) < 4, (name, form, shown)


@settings(max_examples=200, deadline=None)
@given(key=st.text(PRINTABLE, min_size=13, max_size=60), data=st.data())
def test_a_key_cut_short_is_masked_whole(key, data):
    """A message that truncates the key shows its first or last characters: all of them are masked, not
    just 12 (in every encoding, e.g. a JSON string cut in the middle)."""
    forget()  # hypothesis runs every example in one test
    masking.remember(key)
    cut = data.draw(st.integers(0, len(key) - masking.END))
    for name in ("raw", "json", "sh", "percent"):
        form = derived_forms(key)[name]
        end = form.rindex(derived_forms(key[-masking.END:])[name])  # where the tail's form starts
        start = data.draw(st.integers(0, end))
        assert masking.redact(f"\t{form[start:]}\t") == f"\t{masking.mask(key)}\t", (name, form[start:])
    assert masking.redact(f"\t{key[:len(key) - cut]}\t") == f"\t{masking.mask(key)}\t"


def test_redaction_leaves_other_text_alone_and_is_idempotent():
    masking.remember(HOSTILE)
    text = ("keyconf wrote ~/.claude/settings.json; the key is masked (sk-…0123); "
            "data=eyJpZCI6ImtleWNvbmYtd29yayJ9 export PATH=/usr/bin:$PATH\n")
    assert masking.redact(text) == text
    shown = masking.redact(f"a {HOSTILE} b")
    assert shown == "a sk-…0123 b" and masking.redact(shown) == shown


@pytest.mark.parametrize("line, shown", [
    ("export OPENAI_API_KEY=sk-plain-old-token-1234", "export OPENAI_API_KEY=sk-…1234"),
    ("export OPENAI_API_KEY='sk-0ld'\\''F\"or\\eign$t`o%k+e/n=777777XYZ' # old",
     "export OPENAI_API_KEY='sk-…7XYZ' # old"),
    ("set -gx OPENAI_API_KEY 'sk-0ld\\'F\"or\\\\eign$t`o%k+e/n=777777XYZ'", "set -gx OPENAI_API_KEY 'sk-…7XYZ'"),
    ("$env:OPENAI_API_KEY = 'sk-0ld''F\"or\\eign$t`o%k+e/n=777777XYZ'", "$env:OPENAI_API_KEY = 'sk-…7XYZ'"),
    ('  "ANTHROPIC_AUTH_TOKEN": "sk-0ld\'F\\"or\\\\eign$t`o%k+e/n=777777XYZ",',
     '  "ANTHROPIC_AUTH_TOKEN": "sk-…7XYZ",'),
    ('experimental_bearer_token = "sk-old-foreign-token-9999"', 'experimental_bearer_token = "sk-…9999"'),
    ("setenv ANTHROPIC_AUTH_TOKEN sk-old-foreign-token-9999", "setenv ANTHROPIC_AUTH_TOKEN sk-…9999"),
    ("+cursorAuth/openAIKey = sk-0ld'F\"or\\eign$t`o%k+e/n=777777XYZ", "+cursorAuth/openAIKey = sk-…7XYZ"),
    ("GET https://relay.example.com/v1/models?key=sk-in-a-query-0000&x=1",
     "GET https://relay.example.com/v1/models?key=sk-…0000&x=1"),
    # not keys: references, commands, sentences, unset
    ("export OPENAI_API_KEY=\"$(keyconf secret work)\"", None), ('"apiKeyHelper": "keyconf secret work"', None),
    ("set -e OPENAI_API_KEY\nnext line", None), ("the key: copy it again", None),
    ('env_key = "OPENAI_API_KEY"', None), ("--key-env=WORK_KEY", None),
])
def test_settings_of_keys_keyconf_was_never_given(line, shown):
    """A user's old token in a diff's context lines: caught by the setting's name, whatever the quoting."""
    assert masking.redact(line) == (line if shown is None else shown)


def test_display_value_masks_before_quoting():
    assert masking.display_value(HOSTILE, True) == "sk-…0123"
    assert masking.display_value("https://relay.example.com/v1", False) == "https://relay.example.com/v1"
    assert shell_quote("posix", masking.display_value(HOSTILE, True)) == "'sk-…0123'"


@pytest.mark.parametrize("key", [HOSTILE, "sk-ends-with-quote-and-backslash-00\"\\", "sk-unicode-ünï-000000"])
def test_json_document_masks_before_serialising(key, monkeypatch):
    """Reporter walks the document: the relay's error quoting the key is masked, and the JSON stays valid
    even when the mask's last characters are a quote or a backslash."""
    from keyconf.errors import KeyconfError
    from keyconf.output import Reporter

    masking.remember(key)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    out = Reporter("verify", json_mode=True)
    out.result({"client": "codex", "verify": {"reason": f"401: bad key {key}", "checked": [f"sent {key!r}"]},
                f"note {key}": [key, json.dumps(key)]})
    out.warn(f"a warning with {key}")
    out.error(KeyconfError(f"the relay said {json.dumps({'error': key})}", hint=f"fix {quote(key)}"))
    out.finish(5)
    text = sys.stdout.getvalue()
    doc = json.loads(text)
    assert doc["exit_code"] == 5 and not leaked(text, key)
    assert not leaked(json.dumps(doc, ensure_ascii=False), key)
    assert doc["results"][0]["verify"]["reason"] == f"401: bad key {masking.mask(key)}"


def test_raw_stays_unmasked(monkeypatch, capsys):
    from keyconf.output import Reporter

    masking.remember(HOSTILE)
    Reporter("secret").raw(HOSTILE + "\n")
    assert capsys.readouterr().out == HOSTILE + "\n"


def test_redact_is_fast_on_a_megabyte_with_three_keys():
    keys = [HOSTILE, "sk-" + "Ab1" * 16, "sk-0ld'F\"or\\eign$t`o%k+e/n=777777XYZ"]
    for key in keys:
        masking.remember(key)
    line = ('  "projects": {"/home/me/x": {"allowedTools": ["Bash(git status)"], "apiKeyHelper": null}}, '
            "export PATH=/usr/bin token key set -gx FOO bar data=eyJpZCI6Im9rIn0= \n")
    text = (line * (1_000_000 // len(line) + 1))[:1_000_000]
    dirty = text[:500_000] + keys[0] + base64.b64encode(b"{" + keys[1].encode()).decode() + text[500_000:]
    for sample in (text, dirty):
        best = min(_timed(masking.redact, sample) for _ in range(3))
        assert best < 0.5, f"redact took {best:.3f} s on 1 MB"
    assert not leaked(masking.redact(dirty), *keys)


def _timed(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start
