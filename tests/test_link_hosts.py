"""The real host of a link, always shown: punycode beside a non-ASCII host, lookalike hosts flagged (UTS #39's
mixed-script and whole-script confusable cases, generated from lookalike letters of confusables.txt), numeric
IPv4 forms normalised as clients and resolvers read them, loopback and private ranges named."""

from __future__ import annotations

import pytest

from keyconf import links
from keyconf.errors import UsageError
from keyconf.links._host import describe
from keyconf.urls import normalise_root, normalise_root_with_notes

KEY = "sk-HostTest0123456789abcdef"

# Latin letter -> letters of other scripts that confusables.txt maps to it (lowercase, the ones seen in attacks)
LOOKALIKES = {"a": "аα", "c": "с", "e": "е", "o": "оοօ", "p": "рρ", "x": "хχ", "y": "у", "i": "іι", "j": "ј",
              "s": "ѕ", "h": "һհ", "d": "ԁ", "q": "ԛզ", "w": "ԝ", "l": "ӏ", "k": "κ", "n": "ո", "u": "υս", "g": "ց",
              "v": "ν"}
HOSTS = ["relay.example.com", "api.openai.com", "paypal.com", "apple.com", "newapi.pro", "anthropic.com",
         "openrouter.ai", "deepseek.com", "chat.qwen.ai", "sub.relay-cn.net"]


def homoglyph_corpus() -> list[str]:
    """Every host with one letter swapped for each lookalike (mixed script), and every label whose letters
    all have a Cyrillic lookalike written wholly in Cyrillic (whole-script confusable)."""
    corpus = []
    for host in HOSTS:
        for i, ch in enumerate(host):
            for fake in LOOKALIKES.get(ch, ""):
                corpus.append(host[:i] + fake + host[i + 1:])
        first, _, rest = host.partition(".")
        cyrillic = {k: next((c for c in v if "\u0400" <= c <= "\u052f"), None) for k, v in LOOKALIKES.items()}
        if all(cyrillic.get(c) for c in first if c.isalpha()):
            corpus.append("".join(cyrillic.get(c) or c for c in first) + "." + rest)
    corpus += ["аррӏе.com", "раураӏ.com", "ѕсоре.example.com", "xn--80ak6aa92e.com"]  # the last: аррӏе.com
    return sorted(set(corpus))


def test_every_homoglyph_is_flagged_and_shown_with_punycode():
    corpus = homoglyph_corpus()
    flagged = [h for h in corpus if describe(normalise_root(f"https://{h}")).warnings]
    shown = [h for h in corpus if "xn--" in describe(normalise_root(f"https://{h}")).shown]
    print(f"\nhomoglyph corpus: {len(corpus)} hosts, {len(flagged)} flagged, {len(shown)} shown with punycode")
    assert len(corpus) >= 150
    assert sorted(set(corpus) - set(flagged)) == []
    assert len(shown) == len(corpus)


@pytest.mark.parametrize("host", ["relay.example.com", "例子.测试", "bücher.de", "münchen.de", "日本語.jp",
                                  "한국.kr", "москва.рф", "ελλάδα.gr", "中国relay.cn", "ｒｅｌａｙ.example.com"])
def test_ordinary_hosts_are_not_flagged(host):
    report = describe(normalise_root(f"https://{host}"))
    assert report.warnings == []
    if not host.isascii():
        assert "DNS name" in report.shown


@pytest.mark.parametrize("raw, root, kind", [
    ("http://2130706433", "http://127.0.0.1", "loopback"),
    ("http://0x7f.1:3000/v1", "http://127.0.0.1:3000", "loopback"),
    ("http://0x7f000001", "http://127.0.0.1", "loopback"),
    ("http://017.0.0.1", "http://15.0.0.1", None),  # a leading 0 is octal, for browsers and inet_aton alike
    ("http://0177.0.0.1", "http://127.0.0.1", "loopback"),
    ("http://10.1", "http://10.0.0.1", "private"),
    ("http://192.168.1.10:8080", "http://192.168.1.10:8080", "private"),
    ("http://169.254.169.254", "http://169.254.169.254", "link-local"),
    ("http://0", "http://0.0.0.0", "unspecified"),
    ("http://100.64.0.1", "http://100.64.0.1", "carrier-grade NAT"),
    ("http://[::1]:3000", "http://[::1]:3000", "loopback"),
    ("http://[::ffff:127.0.0.1]", "http://[::ffff:7f00:1]", "loopback"),
    ("http://localhost:3000", "http://localhost:3000", "loopback"),
    ("https://relay.example.com", "https://relay.example.com", None),
])
def test_numeric_forms_are_normalised_and_ranges_named(raw, root, kind):
    got, notes = normalise_root_with_notes(raw)
    assert got == root
    report = describe(got, raw)
    assert (kind is None) == (report.kind is None) and (kind or "") in (report.kind or "")
    if raw.split("//")[1].split(":")[0].split("/")[0] not in root:
        assert any("IPv4 address" in n for n in notes)
        assert "written in the link as" in report.shown


@pytest.mark.parametrize("raw", ["http://1.2.3.4.5", "http://256.1.1.1", "http://1.2.3.09", "http://0x100.1", "http://4294967296"])
def test_impossible_numeric_hosts_are_refused(raw):
    with pytest.raises(UsageError):
        normalise_root(raw)


def test_a_link_to_a_lookalike_host_is_flagged_before_the_question(kc, home):
    link = links.ccswitch_link("claude", "team", "https://relаy.example.com", KEY, {})[0]
    result = kc("import", "-", "--json", input=link + "\n")
    assert result.code == 2  # no terminal, no -y: nothing written
    host = result.json()["host"]
    assert "xn--" in host["shown"] and "Cyrillic and Latin" in host["warnings"][0]
    assert "warning: the host name part" in result.stderr


def test_a_numeric_host_in_a_link_is_written_as_the_address_it_is(kc, home):
    link = links.ccswitch_link("claude", "team", "http://2130706433:3000", KEY, {})[0]
    result = kc("import", "-", "-y", "--no-verify", "--json", input=link + "\n")
    assert result.code == 0, result.output
    assert result.json()["results"][0]["base_url"] == "http://127.0.0.1:3000"
    assert "relay host: 127.0.0.1 (written in the link as 2130706433), loopback (this machine)" in result.stderr
