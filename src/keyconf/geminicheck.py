"""Gemini CLI on a relay that does not list Gemini models.

New API serves Google's model list at `GET {root}/v1beta/models`; other relays serve Gemini's
generateContent but not that list. A 404 (or a web page) there while `GET {root}/v1/models` answers with
the key's models is not a wrong Base URL: keyconf then sends one real `generateContent` request to the model
Gemini CLI will use (or the first Gemini model the group lists) and lets that answer decide.
"""

from __future__ import annotations

from dataclasses import replace

from keyconf import verify
from keyconf.errors import Exit


def other_listing(run, root: str, key: str, checked: list[str]):
    """A verify._Listing from `/v1/models`, marked `unlisted`, or None when that is no model list either."""
    url = root + "/v1/models"
    response, failure = verify._request(run, "GET", url, root, {"authorization": f"Bearer {key}"})
    if failure or response.status_code != 200 or verify._looks_html(response):
        return None
    models = verify._model_ids(response)
    if models is None:
        return None
    listing = verify._Listing(None, models, checked + [f"GET {url} -> 200"])
    listing.unlisted = True
    return listing


def check(run, target, root: str, key: str, listing, asked, key_info):
    """The Finding for a Gemini target whose relay lists no Gemini models: one real request decides."""
    offered = listing.models
    model = next(iter(asked.models), None) or next((m for m in offered if m.lower().startswith("gemini")), None)
    unlisted = (f"{root}/v1beta/models is not served (this relay does not list Gemini models), but "
                f"{root}/v1/models lists the key's models")
    if model is None:
        return verify.Finding(True, 0, f"key accepted; {unlisted}", models=offered, checked=listing.checked,
                              key_info=key_info, warnings=[
                                  "this relay does not list Gemini models and no Gemini model is known to try, so "
                                  "keyconf could not check that Gemini CLI gets an answer; set one with "
                                  "--model and run `keyconf verify gemini-cli --deep`"])
    result = run.once(("deep", root, key, "gemini", model), lambda: verify._deep(run, root, key, "gemini", model))
    result = result.result()
    checked = listing.checked + result.checked
    if result.ok:
        finding = verify.Finding(True, 0, f"key accepted; {unlisted}; {result.reason}", models=offered,
                                 checked=checked, model=None if asked.unsure else model, key_info=key_info,
                                 asked=list(asked.models))
        if asked.unsure:
            from keyconf.unsure import cannot_tell

            finding.warnings.append(cannot_tell(verify._client(target), asked.unsure, offered))
        return finding
    if result.code == Exit.WRONG_URL:  # generateContent is not served either: no Gemini API at this root
        return replace(result, reason=f"{unlisted}, and a real Gemini request was not served either "
                                      f"({result.reason})", models=offered, checked=checked, key_info=key_info,
                       hint="this relay does not serve Gemini's API (Gemini CLI needs /v1beta/models/...:"
                            "generateContent); use a relay that does (New API serves it), or another client")
    return replace(result, models=offered, checked=checked, key_info=key_info, asked=list(asked.models))
