"""The network side of a check: proxies, timeouts, TLS against plain http, redirects, and `_Run`, the
shared httpx client and its threads (one request per distinct URL and key)."""

from __future__ import annotations

import os
import re

from keyconf.errors import Exit
from keyconf.verify.findings import CONNECT_TIMEOUT, Finding, _host_port, _other_scheme


def proxy_for(url: str) -> tuple[str, str] | None:
    """(masked proxy URL, variable name) that httpx will use for `url`, or None (honours NO_PROXY)."""
    import ipaddress
    from urllib.parse import urlsplit
    from urllib.request import getproxies

    parts = urlsplit(url)
    info = getproxies()
    scheme = parts.scheme.lower()
    proxy = info.get(scheme) or info.get("all")
    if not proxy:
        return None
    host = (parts.hostname or "").lower()
    for entry in (info.get("no") or "").split(","):
        entry = entry.strip().lower()
        if "://" in entry:
            entry = urlsplit(entry).hostname or ""
        entry = entry.strip("[]")
        if not entry:
            continue
        if entry == "*" or host == entry.lstrip("."):
            return None
        try:
            if "/" in entry and ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return None
        except ValueError:
            pass
        if not _is_ip(entry) and host.endswith(entry if entry.startswith(".") else "." + entry):
            return None
    var = next((name for name in (f"{scheme.upper()}_PROXY", f"{scheme}_proxy", "ALL_PROXY", "all_proxy")
                if os.environ.get(name)), "the system proxy settings")
    shown = proxy if "://" in proxy else "http://" + proxy
    return re.sub(r"(://)[^/@]*@", r"\1***@", shown, count=1), var


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _speaks_plain_http(host: str, port: int, seconds: float) -> bool:
    """Does host:port answer a plain HTTP request? (No key is sent.)"""
    import socket

    try:
        with socket.create_connection((host, port), timeout=seconds) as sock:
            sock.sendall(b"HEAD / HTTP/1.0\r\nHost: " + host.encode("ascii", "replace") + b"\r\n\r\n")
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


def _speaks_tls(host: str, port: int, seconds: float) -> bool:
    """Does host:port complete a TLS handshake (any certificate)? (No key is sent.)"""
    import socket
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=seconds) as sock, \
                context.wrap_socket(sock, server_hostname=host or None):
            return True
    except OSError:  # ssl.SSLError and socket.timeout are OSErrors
        return False


_TLS_WORDS = ("ssl", "tls", "certificate", "handshake", "wrong version number", "record layer", "packet length")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes (the OS error behind httpx's own)."""
    seen = [exc]
    while len(seen) < 10:
        nxt = seen[-1].__cause__ or seen[-1].__context__
        if nxt is None or nxt in seen:
            break
        seen.append(nxt)
    return seen


def _network_finding(exc: BaseException, url: str, root: str, seconds: float) -> Finding:
    import httpx

    chain = _chain(exc)
    text = str(exc) or type(exc).__name__
    deepest = str(chain[-1])
    if deepest and deepest not in text:
        text += f" ({deepest})"
    lowered = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        lowered += " connection refused"
    host, port = _host_port(url)
    where = f"{host}:{port}"
    proxy = proxy_for(url)
    connect_failed = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError))
    if proxy and (connect_failed or isinstance(exc, httpx.RemoteProtocolError)):
        return Finding(False, Exit.UNREACHABLE, f"the proxy {proxy[0]} (from {proxy[1]}) failed on the way to "
                       f"{url}: {text}",
                       f"proxies: keyconf reaches the relay through {proxy[1]}; check that proxy, or add "
                       f"{host} to NO_PROXY (an intranet relay belongs there)")
    if isinstance(exc, httpx.ConnectTimeout):
        return Finding(False, Exit.UNREACHABLE,
                       f"could not connect to {where} within {min(CONNECT_TIMEOUT, seconds):g} s",
                       "check the URL's host and port, the network, VPN or firewall")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return Finding(False, Exit.UNREACHABLE, f"no answer from {url} within {seconds:g} s",
                       "the relay is slow or stuck: try again, raise --timeout (or KEYCONF_TIMEOUT), or check "
                       "the network, VPN or proxy (HTTPS_PROXY / NO_PROXY)")
    probe = min(CONNECT_TIMEOUT, seconds)
    if url.startswith("https://") and isinstance(exc, httpx.ConnectError) and any(w in lowered for w in _TLS_WORDS):
        if _speaks_plain_http(host, port, probe):
            return Finding(False, Exit.WRONG_URL, f"{where} speaks plain http, not https",
                           f"correct Base URL: this port speaks plain http: try {_other_scheme(root, 'http')}")
        if "certificate" in lowered:
            return Finding(False, Exit.UNREACHABLE, f"the certificate of {where} is not trusted: {text}",
                           "check the host name in the URL and the system clock; a self-signed relay, or a proxy "
                           "or antivirus that intercepts https, needs its certificate trusted by the system")
        return Finding(False, Exit.UNREACHABLE, f"the TLS handshake with {where} failed: {text}",
                       "check the URL (http vs https) and the port")
    if any(w in lowered for w in ("name or service not known", "nodename", "getaddrinfo", "name resolution",
                                  "no address associated", "temporary failure in name")):
        return Finding(False, Exit.UNREACHABLE, f"the host name {host} does not resolve",
                       "correct Base URL: check the spelling of the host (and the DNS or VPN)")
    if "refused" in lowered:
        return Finding(False, Exit.UNREACHABLE, f"cannot connect to {url}: nothing listens on {where} "
                       "(connection refused)", "correct Base URL: check that the relay is up and the URL's port "
                       "is right")
    # Plain http to a TLS port: the server drops the connection (or resets it) without an answer.
    if url.startswith("http://") and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError,
                                                       httpx.ConnectError, httpx.WriteError)) \
            and _speaks_tls(host, port, probe):
        return Finding(False, Exit.WRONG_URL, f"{where} speaks https, not plain http",
                       f"correct Base URL: this port speaks https: try {_other_scheme(root, 'https')}")
    return Finding(False, Exit.UNREACHABLE, f"cannot connect to {url}: {text}",
                   "check that the relay is up and the URL, port, VPN or proxy are right")


# ---------------------------------------------------------------------------------------------------
# One run: a shared AsyncClient and a memo so each distinct request is sent once

class _Redirected(Exception):
    def __init__(self, location: str, requested: str):
        super().__init__(location)
        self.location = location
        self.requested = requested


def _origin(url) -> tuple:
    return (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))


class _Run:
    def __init__(self, client, seconds: float, cache: dict | None = None):
        import threading

        self.client = client
        self.seconds = seconds
        self.memo: dict = {}
        self.lock = threading.Lock()
        self.cache = cache if cache is not None else {}  # answers kept across check_many calls

    def once(self, ident, make):
        """A Future for `ident`, started on first use: a request shared by every client that needs it."""
        from concurrent.futures import Future

        with self.lock:
            future = self.memo.get(ident)
            if future is not None:
                return future
            future = self.memo[ident] = Future()
            if ident in self.cache:
                future.set_result(self.cache[ident])
                return future

        def kept():
            self.cache[ident] = make()
            return self.cache[ident]

        return self.spawn(kept, future)

    def spawn(self, work, future=None):
        """Run `work` in a daemon thread; its result (or exception) lands in the returned Future. Daemon:
        on Ctrl-C nothing waits for a slow relay."""
        import threading
        from concurrent.futures import Future

        future = future or Future()

        def run():
            try:
                future.set_result(work())
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
                future.set_exception(exc)

        threading.Thread(target=run, name="keyconf-verify", daemon=True).start()
        return future

    def send(self, method: str, url: str, headers: dict, body=None):
        """One request; same-origin redirects are followed with the key, others raise _Redirected."""
        import httpx

        request = self.client.build_request(method, url, headers=headers, json=body)
        for _ in range(6):
            response = self.client.send(request)
            nxt = getattr(response, "next_request", None)
            if not response.has_redirect_location or nxt is None:
                return response
            if _origin(nxt.url) != _origin(request.url):
                raise _Redirected(str(nxt.url), str(request.url))
            request = nxt
        raise httpx.TooManyRedirects("too many redirects", request=request)


def _redirect_finding(exc: _Redirected, root: str) -> Finding:
    """A cross-origin redirect: the key is not sent on; the user should use the new address."""
    from urllib.parse import urlsplit, urlunsplit

    requested_path = urlsplit(exc.requested).path
    suffix = requested_path[len(urlsplit(root).path):]  # e.g. /v1/models
    parts = urlsplit(exc.location)
    path = parts.path[: -len(suffix)] if suffix and parts.path.endswith(suffix) else ""
    new_root = urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))
    return Finding(False, Exit.WRONG_URL, f"the Base URL redirects to {new_root}: use {new_root}",
                   f"correct Base URL: use {new_root} (keyconf does not send the key on to another address, "
                   "and clients lose it there too)")


def _request(run: _Run, method: str, url: str, root: str, headers: dict, body=None):
    """(response, None) or (None, Finding) for a failure to get any answer."""
    import httpx

    try:
        return run.send(method, url, headers, body), None
    except _Redirected as exc:
        return None, _redirect_finding(exc, root)
    except httpx.TooManyRedirects:
        return None, Finding(False, Exit.WRONG_URL, f"{url} redirects in a loop",
                             "correct Base URL: use the final address of the API root")
    except (httpx.HTTPError, OSError) as exc:
        return None, _network_finding(exc, url, root, run.seconds)


