"""What the relay is asked: the model listing, why a key was rejected, the one minimal real request of
`--deep`, and Gemini's listing when a relay doesn't serve it."""

from __future__ import annotations

from dataclasses import replace

from keyconf.errors import Exit
from keyconf.verify.findings import _GENERIC_401, PROTOCOL_LABELS, Finding, _error_text, _looks_html, _rule, diagnose
from keyconf.verify.keyinfo import _day
from keyconf.verify.models import _client
from keyconf.verify.network import _request, _Run


class _Listing:
    def __init__(self, finding: Finding | None, models: list[str], checked: list[str]):
        self.finding = finding
        self.models = models
        self.checked = checked


def _auth_headers(kind: str, key: str) -> dict:
    return {"x-goog-api-key": key} if kind == "gemini" else {"authorization": f"Bearer {key}"}


def _list_models(run: _Run, root: str, key: str, kind: str) -> _Listing:
    url = root + ("/v1beta/models" if kind == "gemini" else "/v1/models")
    response, failure = _request(run, "GET", url, root, _auth_headers(kind, key))
    if failure:
        failure.checked.append(f"GET {url} -> no answer")
        return _Listing(failure, [], failure.checked)
    checked = [f"GET {url} -> {response.status_code}"]
    if kind == "gemini" and (response.status_code == 404 or _looks_html(response)):
        other = _gemini_other_listing(run, root, key, checked)  # a relay that lists no Gemini models
        if other is not None:
            return other
    if response.status_code != 200 or _looks_html(response):
        finding = diagnose(root, response.status_code, response.content, _looks_html(response), url)
        if response.status_code == 401:
            finding = run.once(("usage", root, key), lambda: _explain_rejection(run, root, key, finding)).result()
        finding = replace(finding, checked=checked + finding.checked)
        return _Listing(finding, [], checked)
    models = _model_ids(response)
    if models is None:
        return _Listing(Finding(False, Exit.WRONG_URL, f"{url} did not answer with a model list",
                                "correct Base URL: use the relay's API root", checked=checked), [], checked)
    return _Listing(None, models, checked)


def _model_ids(response) -> list[str] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("data"), list):  # OpenAI and Anthropic shapes
        return [m["id"] for m in data["data"] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    if isinstance(data.get("models"), list):  # Gemini: {"models": [{"name": "models/gemini-2.5-pro"}]}
        names = [m.get("name") for m in data["models"] if isinstance(m, dict)]
        return [n.removeprefix("models/") for n in names if isinstance(n, str)]
    return None


def _explain_rejection(run: _Run, root: str, key: str, finding: Finding) -> Finding:
    """Behind New API's one generic 401, /api/usage/token/ tells disabled, expired and used up apart."""
    import time

    url = root + "/api/usage/token/"
    response, failure = _request(run, "GET", url, root, {"authorization": f"Bearer {key}"})
    if failure or _looks_html(response):
        return finding
    checked = [f"GET {url} -> {response.status_code}"]
    try:
        payload = response.json()
    except ValueError:
        return finding
    data = payload.get("data") if isinstance(payload, dict) else None
    if response.status_code != 200 or not isinstance(data, dict):
        # A disabled key: 401 "This token status is unavailable" / 该令牌状态不可用 (and older builds name
        # expiry and exhaustion here too). An unknown key: "Invalid token" / 无效的令牌.
        text = _error_text(response.content)
        rule = _rule(text)
        if rule and rule[0] in (Exit.KEY_REJECTED, Exit.QUOTA):
            return Finding(False, rule[0], f"{rule[1]} ({text})", rule[2], checked=checked)
        if "无效的令牌" in text or "invalid token" in text.lower():
            return Finding(False, Exit.KEY_REJECTED, f"the relay does not know this key ({text})", _GENERIC_401,
                           checked=checked)
        return finding
    expires = data.get("expires_at")
    if isinstance(expires, (int, float)) and 0 < expires < time.time():
        return Finding(False, Exit.KEY_REJECTED, f"the key expired on {_day(expires)}",
                       "expiry: extend the key's expiry on the dashboard or create a new key", checked=checked)
    available = data.get("total_available")
    if not data.get("unlimited_quota") and isinstance(available, (int, float)) and available <= 0:
        return Finding(False, Exit.QUOTA, "the key's quota is used up",
                       "balance or quota: raise the key's quota on the dashboard or create a new key",
                       checked=checked)
    return finding


def _deep_request(root: str, key: str, protocol: str, model: str) -> tuple[str, dict, dict]:
    ping = [{"role": "user", "content": "Reply with one word: pong"}]
    if protocol == "anthropic":
        return (root + "/v1/messages", {"model": model, "max_tokens": 1, "messages": ping},
                {"x-api-key": key, "authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"})
    if protocol == "responses":
        return (root + "/v1/responses", {"model": model, "input": ping[0]["content"], "max_output_tokens": 16},
                {"authorization": f"Bearer {key}"})
    if protocol == "gemini":
        from urllib.parse import quote

        return (f"{root}/v1beta/models/{quote(model, safe='-._~')}:generateContent",
                {"contents": [{"role": "user", "parts": [{"text": ping[0]["content"]}]}],
                 "generationConfig": {"maxOutputTokens": 1}},
                {"x-goog-api-key": key})
    # No token limit: newer OpenAI models refuse `max_tokens` on chat completions (400), and the
    # answer to this prompt is one word anyway.
    return root + "/v1/chat/completions", {"model": model, "messages": ping}, {"authorization": f"Bearer {key}"}


def _deep(run: _Run, root: str, key: str, protocol: str, model: str) -> Finding:
    url, body, headers = _deep_request(root, key, protocol, model)
    response, failure = _request(run, "POST", url, root, headers, body)
    if failure:
        failure.checked.append(f"POST {url} ({model}) -> no answer")
        return failure
    checked = [f"POST {url} ({model}) -> {response.status_code}"]
    if response.status_code == 200 and not _looks_html(response):
        return Finding(True, 0, f"a real {PROTOCOL_LABELS.get(protocol, protocol)} request to {model} succeeded",
                       checked=checked, model=model)
    finding = diagnose(root, response.status_code, response.content, _looks_html(response), url)
    return replace(finding, checked=checked, model=model)


# ---------------------------------------------------------------------------------------------------
# Gemini CLI on a relay that does not list Gemini models
#
# New API serves Google's model list at `GET {root}/v1beta/models`; other relays serve Gemini's
# generateContent but not that list. A 404 (or a web page) there while `GET {root}/v1/models` answers with
# the key's models is not a wrong Base URL: one real `generateContent` request to the model Gemini CLI will
# use (or the first Gemini model the group lists) decides instead.

def _gemini_other_listing(run, root: str, key: str, checked: list[str]):
    """A _Listing from `/v1/models`, marked `unlisted`, or None when that is no model list either."""
    url = root + "/v1/models"
    response, failure = _request(run, "GET", url, root, {"authorization": f"Bearer {key}"})
    if failure or response.status_code != 200 or _looks_html(response):
        return None
    models = _model_ids(response)
    if models is None:
        return None
    listing = _Listing(None, models, checked + [f"GET {url} -> 200"])
    listing.unlisted = True
    return listing


def _gemini_unlisted(run, target, root: str, key: str, listing, asked, key_info):
    """The Finding for a Gemini target whose relay lists no Gemini models: one real request decides."""
    offered = listing.models
    model = next(iter(asked.models), None) or next((m for m in offered if m.lower().startswith("gemini")), None)
    unlisted = (f"{root}/v1beta/models is not served (this relay does not list Gemini models), but "
                f"{root}/v1/models lists the key's models")
    if model is None:
        return Finding(True, 0, f"key accepted; {unlisted}", models=offered, checked=listing.checked,
                       key_info=key_info, warnings=[
                           "this relay does not list Gemini models and no Gemini model is known to try, so keyconf "
                           "could not check that Gemini CLI gets an answer; set one with --model and run "
                           "`keyconf verify gemini-cli --deep`"])
    result = run.once(("deep", root, key, "gemini", model), lambda: _deep(run, root, key, "gemini", model))
    result = result.result()
    checked = listing.checked + result.checked
    if result.ok:
        finding = Finding(True, 0, f"key accepted; {unlisted}; {result.reason}", models=offered,
                          checked=checked, model=None if asked.unsure else model, key_info=key_info,
                          asked=list(asked.models))
        if asked.unsure:
            from keyconf.unsure import cannot_tell

            finding.warnings.append(cannot_tell(_client(target), asked.unsure, offered))
        return finding
    if result.code == Exit.WRONG_URL:  # generateContent is not served either: no Gemini API at this root
        return replace(result, reason=f"{unlisted}, and a real Gemini request was not served either "
                                      f"({result.reason})", models=offered, checked=checked, key_info=key_info,
                       hint="this relay does not serve Gemini's API (Gemini CLI needs /v1beta/models/...:"
                            "generateContent); use a relay that does (New API serves it), or another client")
    return replace(result, models=offered, checked=checked, key_info=key_info, asked=list(asked.models))


