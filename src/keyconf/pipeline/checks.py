"""The relay, asked before anything is written: what each client will use, one request per distinct (URL,
key), concurrently; and what a failed check means for the write (verify's `Finding.hard`, `ask_again`)."""

from __future__ import annotations

from keyconf.model import Target


def check_targets(session, targets: list, deep: bool = False, timeout: float | None = None,
                  cache: dict | None = None, on_result=None, with_key_info: bool = False) -> dict:
    """Verify targets concurrently, one request per distinct (URL, key) (per model too with `deep`); a
    spinner with the client names on a terminal meanwhile. Returns {client: Finding}."""
    from keyconf import verify
    from keyconf.progress import Spinner

    targets = list(targets)
    if not targets:
        return {}
    if timeout is None:
        timeout = session.settings.timeout  # --timeout wins; KEYCONF_TIMEOUT is read only when needed
    with Spinner([t.client for t in targets], enabled=not session.out.json_mode) as spin:
        def done(target, finding):
            if on_result:
                with spin.paused(done=target.client):
                    on_result(target, finding)

        return verify.check_many(targets, deep=deep, timeout=timeout, cache=cache, on_result=done,
                                 with_key_info=with_key_info)


def check_before_writing(session, targets: list, profiles, flags, *, clients: bool) -> dict:
    """The targets of a change, checked; a change for no client at all (a rotate of an unused profile) still
    has its key checked."""
    if not targets and not clients:
        targets = [Target(c.profile.base_url, c.key, "chat", client=f"profile {c.profile.name}")
                   for c in profiles]
    return check_targets(session, targets, flags.deep, flags.timeout)


def first_hard_failure(findings: dict):
    """The finding that stops a write (the key or URL is wrong, or the relay can't be reached), or None."""
    return next((f for f in findings.values() if not f.ok and f.hard), None)
