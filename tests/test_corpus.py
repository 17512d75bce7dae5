"""Real users' config files (the corpus beside the checkout: ../shared/reference/corpus) through `use`, `use`
again and `remove`: the second `use` changes nothing and `remove` gives back every byte. The newer clients
(Qwen Code, Droid, Crush) have the same test in their own modules."""

from __future__ import annotations

import pytest

from conftest import KEY
from corpus import corpus_files

# client -> where its file goes under HOME (opencode: the file's own extension decides its name)
TARGETS = {
    "claude-code": lambda home, path: home / ".claude" / "settings.json",
    "codex": lambda home, path: home / ".codex" / "config.toml",
    "gemini-cli": lambda home, path: home / ".gemini" / "settings.json",
    "opencode": lambda home, path: home / ".config" / "opencode" / ("opencode" + path.suffix),
}
MODEL = {"claude-code": "claude-sonnet-4-5", "codex": "gpt-5-codex", "gemini-cli": "gemini-2.5-pro",
         "opencode": "gpt-5"}
CASES = [pytest.param(client, path, id=f"{client}/{path.name}" if path else f"{client}/none")
         for client, pattern in (("claude-code", "*.json"), ("codex", "*.toml"), ("gemini-cli", "*.json"),
                                 ("opencode", "*.json*"))
         for path in [p.values[0] if hasattr(p, "values") else p for p in corpus_files(client, pattern)]]


@pytest.mark.parametrize(("client", "path"), CASES)
def test_a_real_config_through_use_use_again_and_remove(kc, home, relay, client, path):
    if path is None:
        pytest.skip("no corpus here")
    target = TARGETS[client](home, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    original = path.read_bytes()
    target.write_bytes(original)
    args = ("use", client, "--key-stdin", "--base-url", relay.url, "--model", MODEL[client], "--no-verify", "-y")
    first = kc(*args, input=KEY + "\n")
    assert first.code == 0, first.output  # (a file may already hold what keyconf sets: gemini-cli/013)
    written = target.read_bytes()
    again = kc(*args, input=KEY + "\n")
    assert again.code == 0 and "nothing changed" in again.output, again.output
    assert target.read_bytes() == written
    assert kc("remove", client).code == 0
    assert target.read_bytes() == original
