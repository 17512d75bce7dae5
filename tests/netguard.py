"""Run a real client under `strace` and list every network address it tried besides loopback.

A client's one-prompt test must not reach the internet (login, telemetry, model catalogues, update checks): a
DNS query or a connection to any address but 127.0.0.1 / ::1 is caught here, whether or not it would have
succeeded on this machine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import require_tool

_ADDRESS = re.compile(r'sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr\("([^"]+)"\)|'
                      r'sin6_flowinfo=[^,]*, inet_pton\(AF_INET6, "([^"]+)")')


def run_watched(argv: list[str], trace: Path, **kwargs) -> tuple[subprocess.CompletedProcess, list[str]]:
    """`argv` run to the end under strace; its result, and the non-loopback `address:port`s it contacted."""
    strace = require_tool("strace")
    done = subprocess.run([strace, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), *argv],
                          **kwargs)
    outside = set()
    for line in trace.read_text(errors="replace").splitlines():
        for port, v4, v6 in _ADDRESS.findall(line):
            address = v4 or v6
            if not (address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")):
                outside.add(f"{address}:{port}")
    return done, sorted(outside)
