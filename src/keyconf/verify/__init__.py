"""Prove that a Base URL and key work, and when they don't, say which line of the dashboard's
troubleshooting table applies (complete key, available group, balance or quota, correct Base URL,
IP restriction, expiry, rate limit). httpx is imported only here, only when verifying.

`check_many` checks several clients at once: one `GET /v1/models` (or `/v1beta/models` for Gemini) per
distinct (root, key), then the model each client will really ask for is looked up in that list, and
with `deep` one minimal request per distinct (root, key, protocol, model) in the client's own protocol.
Requests run in threads sharing one httpx.Client, so four clients cost about one round trip. (Threads,
not asyncio: asyncio and anyio would cost more to import than the whole check saves.)
"""

from __future__ import annotations

import os
from dataclasses import replace

from keyconf.errors import Exit
from keyconf.model import Target
from keyconf.verify.findings import CONNECT_TIMEOUT, HARD_FAILURES, PROTOCOL_LABELS, USER_AGENT, Finding, diagnose  # noqa: F401 - the package's face
from keyconf.verify.keyinfo import KeyInfo, _key_info  # noqa: F401
from keyconf.verify.listing import _deep, _gemini_unlisted, _list_models
from keyconf.verify.models import _client, _model_problem, _odd_key, _title, _wanted
from keyconf.verify.network import _Run


def resolve_timeout(value: float | None = None) -> float:
    """--timeout, else KEYCONF_TIMEOUT, else 15 s (keyconf.settings). The commands pass their Session's; this
    fallback serves callers without one. UsageError for something that is not a positive number."""
    from keyconf import settings

    if value is None:
        return settings.Settings(os.environ).timeout
    return settings.seconds(str(value), "--timeout", settings.DEFAULT_TIMEOUT)



def _check_one(run: _Run, target, deep: bool, with_key_info: bool) -> Finding:
    root, key = target.root.rstrip("/"), target.key
    if not key:
        return Finding(False, Exit.KEY_REJECTED, "no key is configured", "complete key: run keyconf use again")
    odd = _odd_key(key)
    if odd:
        return odd
    protocol = target.protocol or "chat"
    kind = "gemini" if protocol == "gemini" else "openai"
    listing_task = run.once(("list", root, key, kind), lambda: _list_models(run, root, key, kind))
    info_task = run.once(("info", root, key), lambda: _key_info(run, root, key)) if with_key_info else None
    asked = _wanted(target, deep)  # may ask the client its version, while the relay answers
    wanted = asked.models
    listing = listing_task.result()
    info = info_task.result() if info_task else None
    info_json = info.to_json() if info else None
    if listing.finding:
        return replace(listing.finding, checked=list(listing.finding.checked), notes=list(listing.finding.notes),
                       key_info=info_json)
    if getattr(listing, "unlisted", False):
        return _gemini_unlisted(run, target, root, key, listing, asked, info_json)
    models, checked = listing.models, list(listing.checked)
    problem = _model_problem(target, wanted, asked.default, models, asked.version)
    if problem:
        return replace(problem, models=models, checked=checked, key_info=info_json, asked=wanted)
    main = wanted[0] if wanted and not asked.unsure else None
    reason = f"key accepted; {len(models)} models available"
    if wanted:
        reason += f"; {', '.join(wanted)} offered"
    finding = Finding(True, 0, reason, models=models, checked=checked, model=main, key_info=info_json,
                      asked=wanted)
    if asked.unsure:
        from keyconf.unsure import cannot_tell

        finding.warnings.append(cannot_tell(_client(target), asked.unsure, models))
    if not deep:
        return finding
    deep_models = wanted
    if not deep_models:
        finding.notes.append("so no real request was sent" if asked.unsure else
                             f"no model is set for {_title(target)}, so no real request was sent "
                             "(set one with --model to test it)")
        return finding
    futures = [run.once(("deep", root, key, protocol, m), lambda m=m: _deep(run, root, key, protocol, m))
               for m in deep_models]
    results = [f.result() for f in futures]
    for result in results:
        checked += result.checked
    failed = next((r for r in results if not r.ok), None)
    if failed:
        return replace(failed, models=models, checked=checked, notes=list(failed.notes), key_info=info_json)
    finding.reason += "; " + "; ".join(r.reason for r in results)
    finding.checked = checked
    return finding


def _ident(target):
    return target.client or target


def check_many(targets, *, deep: bool = False, timeout: float | None = None, on_result=None,
               with_key_info: bool = False, cache: dict | None = None) -> dict:
    """Check every target concurrently; returns {target.client (or the target itself): Finding}.

    A target has .root, .key, .protocol (anthropic | responses | chat | gemini), .model, and optionally
    .models (more models the client uses), .tiers (Claude Code's tier models) and .client (a client id,
    which picks the default model when none is set). One request per distinct (root, key, list endpoint);
    with `deep`, one more per distinct (root, key, protocol, model). `on_result(target, finding)` runs
    in the calling thread as each target's answer is known. `timeout`: seconds per request (--timeout),
    else KEYCONF_TIMEOUT, else 15; connecting gets min(5, timeout). `with_key_info`: also fetch the
    key's remaining quota and expiry (Finding.key_info). `cache`: a dict kept by the caller across calls
    (check before writing, report after) so no request is sent twice in one command.
    """
    from keyconf.masking import remember

    targets = list(targets)
    seconds = resolve_timeout(timeout)
    for target in targets:
        remember(target.key)
    results: dict = {}
    if not targets:
        return results
    client, problem = _open_client(seconds)
    if problem:
        for target in targets:
            results[_ident(target)] = replace(problem)
            if on_result:
                on_result(target, results[_ident(target)])
        return results
    import queue

    done: queue.Queue = queue.Queue()
    with client:
        run = _Run(client, seconds, cache)
        for target in targets:
            run.spawn(lambda t=target: _check_one(run, t, deep, with_key_info)).add_done_callback(
                lambda future, t=target: done.put((t, future)))
        for _ in targets:
            target, future = _next(done)
            results[_ident(target)] = future.result()  # a bug in a check is raised here, not swallowed
            if on_result:
                on_result(target, results[_ident(target)])
    return results


def _next(done):
    """The next finished check; waits in short slices so Ctrl-C is noticed on every OS."""
    import queue

    while True:
        try:
            return done.get(timeout=0.25)
        except queue.Empty:
            continue


def _open_client(seconds: float):
    """The one httpx.Client, or a Finding when the proxy settings make one impossible (socks without
    socksio, a malformed HTTPS_PROXY)."""
    import httpx

    try:
        client = httpx.Client(timeout=httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds)),
                                   follow_redirects=False, headers={"user-agent": USER_AGENT})
    except (ImportError, ValueError, httpx.InvalidURL) as exc:
        names = [n for n in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
                 if os.environ.get(n)]
        return None, Finding(False, Exit.UNREACHABLE, f"the proxy settings ({', '.join(names) or 'system'}) "
                             f"cannot be used: {exc}",
                             "proxies: fix or unset the proxy variable (a socks:// proxy needs "
                             "`pip install 'httpx[socks]'`)")
    return client, None


def check(root: str, key: str | None, *, model: str | None = None, protocol: str | None = None,
          deep: bool = False, timeout: float | None = None, client: str | None = None, models=()) -> Finding:
    """One target (see check_many). Without `client`, no model set means no model is checked."""
    target = Target(root, key, protocol or "chat", model, models=models, client=client)
    return check_many([target], deep=deep, timeout=timeout)[_ident(target)]


def key_info(root: str, key: str, *, timeout: float | None = None) -> KeyInfo | None:
    """Remaining quota and expiry for `status --verify` / `verify`; None when the relay does not say."""
    seconds = resolve_timeout(timeout)
    client, problem = _open_client(seconds)
    if problem:
        return None
    with client:
        return _key_info(_Run(client, seconds), root.rstrip("/"), key)
