"""The host a link points at, as a person must see it before saying yes: the relay answers as "the model" for
every prompt and file the client sends, so a lookalike host is the whole attack.

- A non-ASCII host is shown with its punycode (`xn--…`, what DNS really resolves), and an `xn--` host with its
  Unicode form.
- A label that mixes scripts (Latin `a` with Cyrillic `а`), or is written wholly in letters of another script
  that look Latin (Cyrillic `раураӏ`), is flagged: the "highly restrictive" level of UTS #39 (Unicode security
  mechanisms, section 5.2: one script per label, or Latin with Han and Japanese or Korean scripts), plus a
  small table of whole-script confusables from its confusables.txt. Scripts come from the character names in
  `unicodedata` (`CYRILLIC SMALL LETTER A`), which is compact and needs no table of ranges.
- Numeric IPv4 forms (`2130706433`, `0x7f.1`, `017.0.0.1`) are normalised by urls.normalise_root; here the
  address is named when it is loopback, private, link-local or otherwise not on the internet.
"""

from __future__ import annotations

import unicodedata

# Letters of other scripts that UTS #39's confusables.txt maps to a Latin letter (the common lowercase ones).
# Only letters that look Latin in lowercase, so that Russian or Greek words (москва, ελλάδα) are not flagged.
_LATIN_LOOKALIKES = set(
    "аеорсхуіјѕһԁԛԝӏ"  # Cyrillic
    "οανικρυχ"  # Greek
    "օսցհոզ"  # Armenian
)
# Script sets UTS #39's highly restrictive level allows within one label.
_ALLOWED_MIXES = ({"Latin", "Han", "Hiragana", "Katakana"}, {"Latin", "Han", "Bopomofo"}, {"Latin", "Han", "Hangul"})
_SCRIPT_WORDS = {"CJK": "Han", "FULLWIDTH": None, "HALFWIDTH": None}


def script(ch: str) -> str | None:
    """The script of one character, from its Unicode name; None for Common/Inherited (digits, '-', marks)."""
    if ch.isascii():
        return "Latin" if ch.isalpha() else None
    if unicodedata.category(ch).startswith("M") or not ch.isalpha():
        return None
    words = unicodedata.name(ch, "").split()
    while words and words[0] in _SCRIPT_WORDS and _SCRIPT_WORDS[words[0]] is None:
        words = words[1:]  # FULLWIDTH LATIN SMALL LETTER A is Latin
    if not words:
        return "Unknown"
    return _SCRIPT_WORDS.get(words[0]) or words[0].capitalize()


def label_warning(label: str) -> str | None:
    scripts = {s for s in map(script, label) if s}
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
        names = " and ".join(sorted(scripts))
        return f"the host name part {label!r} mixes {names} letters: a lookalike of another host?"
    letters = [c for c in label if c.isalpha()]
    if letters and scripts and scripts != {"Latin"} and all(c.lower() in _LATIN_LOOKALIKES for c in letters):
        name = " and ".join(sorted(scripts))
        return (f"the host name part {label!r} is written in {name} letters that look like Latin ones: it reads "
                "like another host")
    return None


class HostReport:
    """What to tell a person about a Base URL's host."""

    def __init__(self, host: str, shown: str, warnings: list[str], kind: str | None):
        self.host = host  # as in the root
        self.shown = shown  # the host for a person: Unicode and punycode side by side when they differ
        self.warnings = warnings  # lookalike hosts: say before asking
        self.kind = kind  # "loopback (this machine)", "a private network address", ... or None

    def lines(self) -> list[str]:
        return [f"relay host: {self.shown}" + (f", {self.kind}" if self.kind else "")] + [
            f"  warning: {w}" for w in self.warnings]

    def as_json(self) -> dict:
        return {"host": self.host, "shown": self.shown, "kind": self.kind, "warnings": self.warnings}


def describe(root: str, raw: str | None = None) -> HostReport:
    """The host of a normalised root (`raw`: the URL as the link gave it, for a numeric IPv4 form)."""
    from urllib.parse import urlsplit

    host = urlsplit(root).hostname or ""
    warnings: list[str] = []
    kind = _kind(host)
    shown = host
    unicode_host = _to_unicode(host)
    ascii_host = _to_ascii(unicode_host)
    if unicode_host != ascii_host:
        shown = f"{unicode_host} (DNS name {ascii_host})"
        for label in unicodedata.normalize("NFKC", unicode_host).split("."):
            problem = label_warning(label)
            if problem:
                warnings.append(problem)
    if raw:
        try:
            given = urlsplit(raw.strip()).hostname or ""
        except ValueError:
            given = ""
        if given and given.rstrip(".") != host and _is_ipv4(host):
            shown = f"{host} (written in the link as {given})"
    return HostReport(host, shown, warnings, kind)


def _to_unicode(host: str) -> str:
    labels = []
    for label in host.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def _to_ascii(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ".".join(label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
                        for label in host.split("."))


def _is_ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def _kind(host: str) -> str | None:
    import ipaddress

    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback (this machine)"
    try:
        addr = ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        return None
    if getattr(addr, "ipv4_mapped", None):
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "loopback (this machine)"
    if addr.is_unspecified:
        return "unspecified address (reaches this machine)"
    if addr.is_link_local:
        return "link-local address (this network segment only)"
    if addr.version == 4 and addr in ipaddress.ip_network("100.64.0.0/10"):
        return "shared address space (carrier-grade NAT, not on the internet)"
    if addr.is_multicast:
        return "multicast address"
    if addr.is_private:
        return "private network address"
    if addr.is_reserved or not addr.is_global:
        return "reserved address (not on the internet)"
    return None
