"""What every format's reader shares: the link split into its parts, form decoding, lenient base64, JSON and
TOML, the checks on the key and the Base URL, and the masked display. Nothing here raises anything but a
UsageError, whatever the input; no message holds a secret the parse has seen (`Parser.scrub`)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from keyconf.errors import UsageError
from keyconf.masking import mask, redact

SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
SECRET_NAME = re.compile(r"key|token|secret|passw|credential|auth", re.IGNORECASE)
SECRET_MIN = 8  # a shorter value under a secret-looking name (`authEnabled=true`) is not treated as a secret
_B64 = re.compile(r"[A-Za-z0-9+/]*")
_ECHO = 16  # longest piece of a link a message may quote: shorter than any real key
_VALUE = 80  # longest value shown in `ignored` and `masked()`
_HOST = re.compile(r"[\w.-]+|[0-9A-Fa-f:.]+")  # a name (IDN letters too) or an IPv6 address


class ImportRequest:
    """What a link asks for. `clients` empty means: ask which clients (or take --to)."""

    def __init__(self, source: str, *, base_url: str, key: str, app: str | None = None, clients=(),
                 name: str | None = None, models: dict | None = None, ignored=(), protocol: str | None = None,
                 shown: str = ""):
        self.source = source  # a key of SOURCES
        self.app = app  # ccswitch only: the keyconf client id its `app` names
        self.clients = list(clients)
        self.name = name  # the name the link gives the provider, if any (see profile_name_for)
        self.base_url = base_url  # normalised root
        self.key = key
        self.models = dict(models or {})  # "model", and for Claude Code "haiku", "sonnet", "opus"
        self.ignored = list(ignored)  # human lines: what the link carried that keyconf does not apply
        self.protocol = protocol  # Cherry Studio's provider type when it is "anthropic", else None
        self._shown = shown
        self.given_url: str | None = None  # the Base URL as the link wrote it (a numeric IPv4 form, say)
        self.endpoints: list[str] = []  # a cc-switch endpoint list: every root, the first is base_url
        self.usage: dict = {}  # cc-switch usage* fields kept as profile metadata (never run)

    def host(self):
        """What to tell a person about the host (links._host.HostReport)."""
        from keyconf.links._host import describe

        return describe(self.base_url, self.given_url)

    def masked(self) -> str:
        """The link with the key (and every other secret-looking value) masked; payloads shown decoded."""
        return self._shown

    def __repr__(self) -> str:
        return f"ImportRequest({self.source!r}, base_url={self.base_url!r}, key={mask(self.key)!r})"


class Split:
    """scheme:[//authority]path[?query][#fragment], split without judging (never raises on odd input)."""

    def __init__(self, text: str):
        m = SCHEME.match(text)
        self.scheme = m[1].lower() if m else None  # None: not a link at all
        rest = text[m.end():] if m else ""
        rest, hash_, fragment = rest.partition("#")
        self.fragment = fragment if hash_ else None
        hier, _, self.query = rest.partition("?")
        if hier.startswith("//"):
            self.authority, slash, path = hier[2:].partition("/")
            self.path = slash + path
        else:
            self.authority, self.path = None, hier

    def prefix(self) -> str:
        return f"{self.scheme}:" + (f"//{self.authority}" if self.authority is not None else "") + self.path


class Parser:
    """One parse: the link's pieces, the secrets seen so far (scrubbed from every message), what was ignored."""

    def __init__(self, link: Split):
        self.link = link
        self.secrets: set[str] = set()
        self.ignored: list[str] = []
        self.key: str | None = None
        self.given: dict[str, str] = {}  # root -> the URL as the link wrote it (for links._host)

    # -- messages
    def fail(self, message: str, hint: str = ""):
        raise UsageError(self.scrub(message), hint=self.scrub(hint))

    def scrub(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = replace_all(text, secret, mask(secret))
        return redact(text)

    def note(self, label: str, value, why: str = "") -> None:
        shown_label = cut(printable(self.scrub(label)), 60)
        self.ignored.append(f"{shown_label}: {self.show(label, value)}" + (f" ({why})" if why else ""))

    def show(self, name: str, value) -> str:
        """One value for a person: secrets masked, printable, short."""
        if isinstance(value, dict):
            return "{…}"
        if isinstance(value, list):
            return "[…]"
        if not isinstance(value, str):
            return json_scalar(value)
        if value in self.secrets or value == self.key or (
                SECRET_NAME.search(name.rsplit(".", 1)[-1]) and len(value) >= 4):
            return mask(value)
        return cut(printable(self.scrub(value)), _VALUE)

    # -- reading pieces
    def pairs(self, query: str) -> list[tuple[str, str]]:
        """application/x-www-form-urlencoded, as URLSearchParams and Rust's query_pairs read it."""
        pairs = parse_qsl(query, keep_blank_values=True)
        for name, value in pairs:
            if SECRET_NAME.search(name) and len(value.strip()) >= SECRET_MIN:
                self.secrets.add(value.strip())
        return pairs

    def remember_secrets(self, doc, depth: int = 0) -> None:
        if depth > 8:
            return
        items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
        for name, value in items:
            if isinstance(value, str) and SECRET_NAME.search(str(name)) and len(value.strip()) >= SECRET_MIN:
                self.secrets.add(value.strip())
            elif isinstance(value, (dict, list)):
                self.remember_secrets(value, depth + 1)

    def b64(self, raw: str, what: str) -> bytes:
        # Lenient like cc-switch's decode_base64_param and Cherry's alphabet swap: a `+` the query turned into a
        # space is restored, a second layer of percent-encoding is undone, both alphabets, padding optional.
        text = raw.replace(" ", "+")
        if "%" in text:
            text = unquote(text)
        text = re.sub(r"\s", "", text).replace("-", "+").replace("_", "/").rstrip("=")
        if not text or not _B64.fullmatch(text) or len(text) % 4 == 1:
            self.fail(f"the link's {what} is not valid base64", hint="copy the link again with the dashboard's button")
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            self.fail(f"the link's {what} is not valid base64", hint="copy the link again with the dashboard's button")

    def text(self, data: bytes, what: str) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(f"the link's {what} is not UTF-8 text once decoded from base64")

    def json(self, text: str, what: str, *, cherry: bool = False) -> dict:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            doc = None
            if cherry:
                # Cherry Studio itself replaces ' with " and deletes ( and ) before JSON.parse.
                try:
                    doc = json.loads(text.replace("'", '"').replace("(", "").replace(")", ""))
                except (ValueError, RecursionError):
                    doc = None
            if doc is None:
                self.fail(f"the link's {what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
        except RecursionError:
            self.fail(f"the link's {what} is nested too deeply to be a provider")
        except ValueError:  # an integer of more than 4,300 digits (Python's int_max_str_digits)
            self.fail(f"the link's {what} holds a number too long to be a setting")
        if not isinstance(doc, dict):
            self.fail(f"the link's {what} is JSON but not an object")
        self.remember_secrets(doc)
        return doc

    def toml(self, text: str, what: str) -> dict:
        import tomllib

        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"\(at (?:line \d+, column \d+|end of document)\)", str(exc))
            self.fail(f"the link's {what} is not valid TOML" + (f" {where[0]}" if where else ""))
        except RecursionError:
            self.fail(f"the link's {what} is nested too deeply to be a provider")
        except ValueError:  # an integer of more than 4,300 digits
            self.fail(f"the link's {what} holds a number too long to be a setting")
        self.remember_secrets(doc)
        return doc

    def clean_key(self, raw, field: str) -> str:
        from keyconf.keys.input import clean_key

        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.fail(f"the link carries no key ({field})", hint="make the link again with the dashboard's button")
        if not isinstance(raw, str):
            self.fail(f"the link's key ({field}) is not text")
        self.secrets.add(raw.strip())
        try:
            self.key = clean_key(raw)
        except UsageError:
            self.fail(f"the key in the link ({field}) contains whitespace or control characters, so the link was "
                      "cut or damaged (troubleshooting: complete key)",
                      hint="copy the link again with the dashboard's button")
        return self.key

    def root(self, raw, field: str) -> str:
        """A Base URL from the link, refused unless it is plain http(s) without credentials; normalised."""
        from keyconf.urls import normalise_root

        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.fail(f"the link carries no Base URL ({field})", hint="make the link again with the dashboard's button")
        if not isinstance(raw, str):
            self.fail(f"the link's {field} is not text")
        text = raw.strip()
        m = SCHEME.match(text)
        if not m:
            self.fail(f"the link's {field} is not a URL: it must start with https:// or http://")
        if m[1].lower() not in ("http", "https"):
            self.fail(f"the link's {field} must use http or https, not {echo(m[1])}",
                      hint="a link may only point keyconf at a web address")
        if any(c.isspace() or not c.isprintable() for c in text):
            self.fail(f"the link's {field} contains whitespace or control characters")
        try:
            parts = urlsplit(text)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            self.fail(f"the link's {field} is not a valid URL")
        if "@" in parts.netloc:
            self.fail(f"the link's {field} holds a user name or password (credentials in the URL); keyconf "
                      "refuses it", hint="a relay's Base URL never carries credentials; the key goes separately")
        if not host or not text[m.end():].startswith("//"):
            self.fail(f"the link's {field} has no host name")
        if not _HOST.fullmatch(host):
            self.fail(f"the link's {field} has an invalid host name")
        if any(secret in text for secret in self.secrets if len(secret) >= SECRET_MIN):
            self.fail(f"the link's {field} contains the key", hint="copy the link again with the dashboard's button")
        try:
            root = normalise_root(text)
        except (UsageError, ValueError):
            self.fail(f"the link's {field} is not a usable Base URL")
        self.given.setdefault(root, text)
        return root

    def model(self, raw, field: str) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            self.fail(f"the link's {field} is not text")
        value = raw.strip()
        if any(not c.isprintable() for c in value):
            self.fail(f"the link's {field} contains control characters")
        return value or None

    def check_version(self, params: dict, title: str) -> None:
        version = params.get("v")
        if version is not None and version != "1":
            self.fail(f"unsupported {title} link version {echo(version)}: keyconf reads v=1",
                      hint="make the link again with the dashboard's button, or update keyconf")

    def no_credentials(self) -> None:
        if self.link.authority is not None and "@" in self.link.authority:
            self.fail("the link holds a user name or password (credentials in the URL); keyconf refuses it")

    # -- display
    def payload(self, doc, name: str = "", depth: int = 0):
        """A decoded payload for masked(): secrets masked, long values cut, nesting bounded."""
        if depth > 6:
            return "…"
        if isinstance(doc, dict):
            shown = {str(k): self.payload(v, str(k), depth + 1) for k, v in list(doc.items())[:40]}
            if len(doc) > 40:
                shown["…"] = f"{len(doc) - 40} more"
            return shown
        if isinstance(doc, list):
            return [self.payload(v, name, depth + 1) for v in doc[:20]] + (["…"] if len(doc) > 20 else [])
        if isinstance(doc, str):
            return self.show(name, doc)
        return doc if isinstance(doc, (bool, int, float)) or doc is None else str(doc)

    def query(self, pairs, payloads: dict) -> str:
        """Parameters in their order, encoded as URLSearchParams does: secrets masked, payloads decoded."""
        def value(name, raw):
            if name in payloads:
                text = json.dumps(self.payload(payloads[name]), ensure_ascii=False)
                return "<" + cut(printable(text), 600) + ">"
            if (SECRET_NAME.search(name) and len(raw.strip()) >= 4) or raw.strip() in self.secrets:
                return form(self.show(name, raw.strip())).replace("%E2%80%A6", "…")
            return form(self.scrub(raw))

        return "&".join(f"{form(name)}={value(name, raw)}" for name, raw in pairs)

    def render(self, pairs, payloads: dict, *, fragment: str = "") -> str:
        """The link rebuilt for a person (see query)."""
        shown = printable(self.link.prefix()) + (f"?{self.query(pairs, payloads)}" if pairs else "") + fragment
        return self.scrub(shown)


def replace_all(text: str, secret: str, replacement: str) -> str:
    if not secret:
        return text
    if len(secret) <= len(replacement):
        return text.replace(secret, replacement)
    while secret in text:  # a replacement shorter than the secret always terminates
        text = text.replace(secret, replacement)
    return text


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo(value: str) -> str:
    """A short piece of a link for a message (a scheme, an app, a version): printable, at most 16 characters."""
    return "'" + cut(printable(value), _ECHO) + "'"


def json_scalar(value) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return cut(printable(str(value)), _VALUE)


def form(value: str) -> str:
    """URLSearchParams' serialisation: space as +, only A-Za-z0-9 * - . _ left as they are."""
    return quote_plus(value, safe="*").replace("~", "%7E")


def uri_component(value: str) -> str:
    """JavaScript's encodeURIComponent."""
    return quote(value, safe="-_.!~*'()")


def nonempty(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def first_wins(pairs) -> dict:
    """The parameters as URLSearchParams.get sees them: the first of repeated names wins."""
    params = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def note_params(p: Parser, pairs, used: set, *, last_wins: bool = False, reasons: dict | None = None) -> None:
    """Every parameter keyconf does not apply, and every repeated one that lost."""
    winner = {}
    for index, (name, _) in enumerate(pairs):
        if last_wins or name not in winner:
            winner[name] = index
    for index, (name, value) in enumerate(pairs):
        if name not in used:
            p.note(name, value, (reasons or {}).get(name, ""))
        elif index != winner[name]:
            p.note(name, value, "a repeated parameter; another occurrence wins")
