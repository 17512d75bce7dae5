"""Ownership with memory, for JSON documents: before keyconf first sets a key it records the key's old raw
text (or that it was absent), and for each enclosing object that was absent or empty, its old text; restoring
those gives back the original bytes, which is what `remove` promises. The record lives in the client's binding
memo; only this module reads its layout."""

from __future__ import annotations

import json

from keyconf.formats.jsondoc import JPath, JsonDoc


def owns(owned: dict | None, path: JPath) -> bool:
    """Whether an ownership record (from set_owned) says keyconf set `path`."""
    return _pkey(path) in (owned or {}).get("keys", {})



def prior_of(owned: dict | None, path: JPath, default=None):
    """The raw JSON `path` held before keyconf set it (None: it was absent), or `default` if not owned."""
    return (owned or {}).get("keys", {}).get(_pkey(path), default)




def with_prior(owned: dict, path: JPath, raw: str | None) -> dict:
    """A copy of an ownership record in which `path` goes back to `raw` on restore (a value someone else
    changed since keyconf set it, merged with their change by the caller)."""
    copied = json.loads(json.dumps(owned))
    copied.setdefault("keys", {})[_pkey(path)] = raw
    return copied


def _pkey(path: JPath) -> str:
    return json.dumps(list(path), ensure_ascii=False)


def _unpkey(text: str) -> JPath:
    return tuple(json.loads(text))


def set_owned(doc: JsonDoc, desired: dict[JPath, str], owned: dict | None) -> dict:
    """Make the owned keys hold `desired` (raw JSON texts); returns the updated ownership record.

    Keys owned before but not desired now get their old values back. The result is checked (`_guard`).
    """
    doc._checkpoint()
    intended: dict[JPath, str | None] = {}
    owned = {"keys": dict((owned or {}).get("keys", {})), "containers": dict((owned or {}).get("containers", {}))}
    for pkey in list(owned["keys"]):
        path = _unpkey(pkey)
        if path not in desired:
            intended[path] = owned["keys"].pop(pkey)
            _restore_key(doc, path, intended[path])
    for path, raw in desired.items():
        pkey = _pkey(path)
        if pkey not in owned["keys"]:
            for depth in range(len(path)):
                container = path[:depth]
                ckey = _pkey(container)
                if ckey in owned["containers"]:
                    continue
                if not container:
                    if not doc.existed:
                        owned["containers"][ckey] = None
                    elif doc.member_count(()) == 0:
                        owned["containers"][ckey] = doc.text
                elif doc.kind(container) is None:
                    owned["containers"][ckey] = None
                elif doc.is_object(container) and doc.member_count(container) == 0:
                    owned["containers"][ckey] = doc.raw(container)
            owned["keys"][pkey] = doc.raw(path)
        if doc.raw(path) != raw:
            doc.set_raw(path, raw)
        intended[path] = raw
    intended.update(_collapse(doc, owned["containers"], keep={p[:d] for p in desired for d in range(len(p))}))
    doc._guard(intended)
    return owned


def restore_owned(doc: JsonDoc, owned: dict | None) -> bool:
    """Give every owned key and emptied container its old text back. Returns False if the file should go."""
    doc._checkpoint()
    owned = owned or {}
    intended: dict[JPath, str | None] = {}
    for pkey, prior in owned.get("keys", {}).items():
        intended[_unpkey(pkey)] = prior
        _restore_key(doc, _unpkey(pkey), prior)
    intended.update(_collapse(doc, dict(owned.get("containers", {})), keep=set()))
    doc._guard(intended)
    return not doc.gone


def _restore_key(doc: JsonDoc, path: JPath, prior: str | None) -> None:
    if prior is None:
        doc.delete(path)
    elif doc.raw(path) != prior:
        doc.set_raw(path, prior)


def _collapse(doc: JsonDoc, containers: dict, keep: set) -> dict[JPath, str | None]:
    """Containers keyconf created or filled, now empty again, go back to their old text; returns those."""
    done: dict[JPath, str | None] = {}
    for ckey in sorted(containers, key=lambda k: -len(_unpkey(k))):
        path = _unpkey(ckey)
        if path in keep or not doc.is_object(path) or doc.member_count(path) != 0:
            continue
        prior = containers.pop(ckey)
        done[path] = prior
        if not path:
            if prior is None:
                doc.gone = True
                return done
            doc.text = prior
        elif prior is None:
            doc.delete(path)
        else:
            doc.replace_value(path, prior)
    return done
