"""Loopback servers that misbehave the way real relays and networks do, for verification tests.

Built on fakerelay's New API-style relay (its handler is subclassed, never edited):
- `start(keys, latency=0.3)`: every answer is late (the concurrency tests).
- `start(keys, gemini=True)`: also serves Gemini's `/v1beta/models` and `:generateContent` with
  `x-goog-api-key`, as New API does.
- `relay.usage_failure = (401, "This token status is unavailable")`: /api/usage/token/ refuses, as for a
  disabled key; `relay.status_data = {...}`: what /api/status says (quota_per_unit, version).
- `start(keys, tls=True, plain_reply="close" | "go" | "nginx")`: an https relay with a self-signed
  certificate; a plain-HTTP request to it is dropped (Python's ssl), or answered 400 the way Go
  (New API itself) or nginx do. A plain server answers a TLS handshake with a plain 400, like real ones.
- `redirector(location_root)`: answers every request with a redirect to location_root + path.
- `dead_port()`: a port nothing listens on.
"""

from __future__ import annotations

import json
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import fakerelay


@dataclass
class FaultRelay(fakerelay.Relay):
    latency: float = 0.0
    gemini: bool = False
    usage_failure: tuple | None = None  # (status, message) for /api/usage/token/
    status_data: dict | None = None  # /api/status "data"
    tls: bool = False
    moved: tuple | None = None  # (old path prefix, new prefix): a same-origin 301

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]


def _handler(relay: FaultRelay):
    base = fakerelay._make_handler(relay)

    class Handler(base):
        def handle(self):
            # A real server answers a TLS handshake on its plain port with a plain 400 at once.
            if not relay.tls and _peek(self.connection) == b"\x16":
                self.connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            super().handle()

        def _record(self, method: str) -> bytes:
            body = self._body() if method == "POST" else b""
            relay.requests.append(fakerelay.Seen(method, self.path, {k.lower(): v for k, v in self.headers.items()},
                                                 body))
            return body

        def _handle(self, method: str) -> None:
            if relay.latency:
                time.sleep(relay.latency)
            path = self.path.split("?")[0]
            if relay.moved and path.startswith(relay.moved[0]):
                self._record(method)
                self.send_response(301)
                self.send_header("location", relay.moved[1] + self.path[len(relay.moved[0]):])
                self.send_header("content-length", "0")
                self.end_headers()
                return None
            if path.startswith("/v1beta/") and relay.gemini and not relay.html:
                return self._gemini(method, path, self._record(method))
            if path.rstrip("/") == "/api/usage/token" and relay.usage_failure:
                self._record(method)
                return self._json(relay.usage_failure[0], {"success": False, "message": relay.usage_failure[1]})
            if path == "/api/status" and relay.status_data is not None:
                self._record(method)
                return self._json(200, {"success": True, "data": relay.status_data})
            return super()._handle(method)

        def _gemini(self, method: str, path: str, body: bytes) -> None:
            if relay.failure:
                return self._error(*relay.failure)
            key = self.headers.get("x-goog-api-key") or _query_key(self.path)
            if key not in relay.keys:
                return self._error(401, "无效的令牌 (request id: fake)")
            if method == "GET" and path == "/v1beta/models":
                return self._json(200, {"models": [{"name": f"models/{m}", "supportedGenerationMethods":
                                                    ["generateContent"]} for m in relay.models]})
            if method == "POST" and path.endswith(":generateContent"):
                model = path.removeprefix("/v1beta/models/").split(":")[0]
                if model not in relay.models:
                    return self._error(503, f"No available channel for model {model} under group default "
                                            "(distributor)", "model_not_found")
                return self._json(200, {"candidates": [{"content": {"role": "model", "parts": [{"text": "pong"}]},
                                                        "finishReason": "STOP"}], "modelVersion": model})
            return self._error(404, f"Invalid URL ({method} {path})")

    return Handler


def _peek(sock) -> bytes:
    try:
        return sock.recv(1, socket.MSG_PEEK)
    except OSError:
        return b""


def _query_key(path: str) -> str | None:
    from urllib.parse import parse_qs, urlsplit

    return (parse_qs(urlsplit(path).query).get("key") or [None])[0]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # handshakes that fail on purpose
        pass


class _TLSServer(_QuietServer):
    """Plain listening socket; each connection is wrapped after a peek, as Go's server does, so a
    plain-HTTP request can be answered the way the chosen server answers it."""

    context: ssl.SSLContext
    plain_reply = "close"

    def finish_request(self, request, client_address):
        if _peek(request) != b"\x16":
            if self.plain_reply == "go":
                request.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
            elif self.plain_reply == "nginx":
                page = (b"<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"
                        b"<body><center><h1>400 Bad Request</h1><center>The plain HTTP request was sent to "
                        b"HTTPS port</center></body></html>")
                request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: "
                                + str(len(page)).encode() + b"\r\nConnection: close\r\n\r\n" + page)
            return  # "close": what Python's ssl server does
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(wrapped, client_address, self)


_CERT: tuple[str, str] | None = None


def certificate() -> tuple[str, str]:
    """(cert file, key file) of a self-signed certificate for 127.0.0.1/localhost, made once."""
    global _CERT
    if _CERT is None:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keyconf test relay")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=7))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .sign(key, hashes.SHA256()))
        folder = Path(tempfile.mkdtemp(prefix="keyconf-tls-"))
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
        _CERT = (str(folder / "cert.pem"), str(folder / "key.pem"))
    return _CERT


def start(keys=(), *, latency: float = 0.0, gemini: bool = False, tls: bool = False,
          plain_reply: str = "close", models=None) -> FaultRelay:
    relay = FaultRelay(keys=set(keys), latency=latency, gemini=gemini, tls=tls)
    if models is not None:
        relay.models = list(models)
    server_class = _TLSServer if tls else _QuietServer
    relay.server = server_class(("127.0.0.1", 0), _handler(relay))
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate())
        relay.server.context = context
        relay.server.plain_reply = plain_reply
    threading.Thread(target=relay.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return relay


@dataclass
class Redirector:
    location_root: str
    status: int = 301
    requests: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def redirector(location_root: str, status: int = 301) -> Redirector:
    """Every request is answered `status` with Location: location_root + the requested path."""
    redirect = Redirector(location_root, status)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _answer(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            redirect.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            target = redirect.location_root(self.path) if callable(redirect.location_root) \
                else redirect.location_root + self.path
            self.send_response(redirect.status)
            self.send_header("location", target)
            self.send_header("content-length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = _answer

    redirect.server = _QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=redirect.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return redirect


def dead_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def json_body(seen) -> dict:
    return json.loads(seen.body or b"{}")
