"""What the `keyconf run` launches of Qwen Code, Droid, Pi, Kilo, OpenClaw and Hermes share: the model a run
must name (a provider of keyconf's own lists one model, so the client sends that and nothing else), and the
names of overlay files in keyconf's own folder, taken from their content (runs with other profiles or
models at the same moment never share a file, and a run again with the same profile reuses it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from keyconf.adapters.base import Context, run_folder
from keyconf.errors import UsageError


def run_model(adapter, ctx: Context, model: str | None, fallback: str | None = None) -> str:
    """--model (or the pin's), else the model `keyconf use` set for this client, else `fallback`; a client
    with no fallback refuses, as it would otherwise send its own default model to its own servers."""
    binding = ctx.binding(adapter.id)
    chosen = model or (binding.options.model if binding else None) or fallback
    if not chosen:
        raise UsageError(f"`keyconf run {adapter.id}` needs a model: {adapter.title} would otherwise use a model "
                         "and provider of its own", hint=f"pass --model MODEL (one your key's group offers), or pin "
                         f"one: keyconf pin PROFILE --model {adapter.id}=MODEL", client=adapter.id)
    return chosen


def overlay_path(ctx: Context, client: str, stem: str, body: bytes, suffix: str = "") -> Path:
    """`<keyconf's folder>/run/<client>/<stem>-<digest><suffix>` for an overlay holding `body` (no key)."""
    return run_folder(ctx, client) / f"{stem}-{hashlib.sha256(body).hexdigest()[:16]}{suffix}"
