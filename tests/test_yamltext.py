"""yamltext, the YAML editor behind Hermes: generated documents (comments, both line endings, scalars and
flow/block values where keyconf writes) keep every byte outside keyconf's entries, read as intended, and come
back byte for byte."""

from __future__ import annotations

import copy
import os

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from keyconf.formats.yamltext import YamlText, scalar

NAMES = st.sampled_from(["agent", "display", "toolsets", "terminal", "memory", "x_1"])
LEAF = st.one_of(st.integers(-5, 5000), st.booleans(), st.none(),
                 st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))
VALUE = st.recursive(LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(NAMES, inner, max_size=3)), max_leaves=6)
# what the user may already have where keyconf writes
MODEL = st.sampled_from([None, '""', "openrouter/auto", "{}", "\n  provider: nous\n  default: x  # mine",
                         "\n    context_length: 8192"])
PROVIDERS = st.sampled_from([None, "{}", "\n  local:\n    api: http://localhost:1/v1", "  # none yet"])


@st.composite
def documents(draw) -> str:
    parts = []
    for name, value in draw(st.dictionaries(NAMES, VALUE, max_size=4)).items():
        if draw(st.booleans()):
            parts.append(f"# about {name}")
        parts.append(yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=False)
                     .rstrip("\n"))
    for key, value in (("model", draw(MODEL)), ("providers", draw(PROVIDERS))):
        if value is not None:
            parts.insert(draw(st.integers(0, len(parts))), f"{key}:{'' if value.startswith(chr(10)) else ' '}{value}")
    text = "\n".join(parts) + ("\n" if draw(st.booleans()) else "")
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@settings(max_examples=int(os.environ.get("KEYCONF_ODD_EXAMPLES", "60")), deadline=None)
@given(documents(), st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=12))
def test_set_then_restore_is_byte_identical_and_reads_as_intended(text, model):
    doc = YamlText(text.encode(), "config.yaml")
    intended = copy.deepcopy(doc.data)
    record: dict = {}
    block = "\n".join(f"{k}: {scalar(v)}" for k, v in (("name", "keyconf: p"), ("api", "http://r/v1")))
    doc.set_entry("providers", "keyconf", block, record)
    doc.set_entry("model", "default", scalar(model), record)
    intended.setdefault("providers", None)
    intended["providers"] = {**(intended["providers"] or {}), "keyconf": {"name": "keyconf: p", "api": "http://r/v1"}}
    old_model = intended.get("model") if isinstance(intended.get("model"), dict) else {}
    intended["model"] = {**old_model, "default": model}
    doc.guard(intended)
    again = YamlText(doc.content(), "config.yaml")
    again.restore(record)
    assert again.text == text
