"""Crush: one marked block in `~/.config/crush/crushrc`, which reads the key from keyconf's own 0600 file.

`crushrc` is Bash that Crush's built-in interpreter runs at every start (builtins `provider`, `model`, ...; `$(...)`
runs), so a key written there inline would be a key in a script people share. keyconf's block:

    # >>> keyconf >>>
    [ -r '<KEYCONF_HOME>/env/crush.sh' ] && . '<KEYCONF_HOME>/env/crush.sh'
    provider add keyconf --type openai-compat --name 'keyconf: <profile>' --base-url '<root>/v1' \\
      --api-key "$KEYCONF_CRUSH_API_KEY"
    model add keyconf/<model>
    model large keyconf/<model>
    model small keyconf/<model>
    # <<< keyconf <<<

with the key in `$KEYCONF_HOME/env/crush.sh` (0600, one assignment). With `--no-plaintext` the key comes from
`"$(keyconf secret <profile>)"` at each start instead, and no file holds it. Every value is single-quoted, and the
block is read back (shlex, as Bash splits it) and compared with what was meant before anything is written.

From Crush's docs and source (charmbracelet/crush, docs/config/README.md; the npm package's postinstall downloads
the binary from GitHub, so no Crush ran here): `$XDG_CONFIG_HOME/crush/crushrc` (`CRUSH_GLOBAL_CONFIG` names the
folder), merged after the legacy `crush.json` beside it (crushrc wins); a project's `./.crushrc`, `./crushrc` or
`crush.json` beats it, and so do models picked in Crush's UI, kept in `$XDG_DATA_HOME/crush/crush.json`.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target
from keyconf.osenv.system import fragile_command_warning

PROVIDER_ID = "keyconf"
KEY_VAR = "KEYCONF_CRUSH_API_KEY"
TYPE = "openai-compat"
HEADER = "# Added by keyconf: the relay as Crush provider `keyconf`. `keyconf remove crush` takes this block out."
_ASSIGNMENT = re.compile(r"^" + KEY_VAR + r"=(.*)$", re.M)


def key_file_text(key: str) -> str:
    return f"# keyconf: the relay key for Crush's crushrc (0600)\n{KEY_VAR}={shlex.quote(key)}\n"


def key_from_file_text(text: str) -> str | None:
    match = _ASSIGNMENT.search(text)
    if not match:
        return None
    try:
        words = shlex.split(match.group(1))
    except ValueError:
        return None
    return words[0] if len(words) == 1 else None


class Crush(Adapter):
    id = "crush"
    title = "Crush"
    # From Crush's source (charmbracelet/crush 37f36e9, internal/config/load.go `lookupConfigs`, cmd/run.go): the
    # only per-process places are CRUSH_GLOBAL_CONFIG / CRUSH_GLOBAL_DATA (whole folders) and `crush run -m`.
    run_why = ("it has no per-process setting that beats its own model choice: an overlay of its global config "
               "(CRUSH_GLOBAL_CONFIG) loses to the models picked in Crush's UI (its data folder's crush.json, which "
               "Crush rewrites when a model is not found) and to a project's crushrc, and `-m` exists only on "
               "`crush run`; no Crush binary could run here to prove another route")
    protocol = "chat"
    options = ("model", "no_plaintext")
    binary = "crush"
    key_command_name = "crushrc key command"
    # Crush asks for the large and small model keyconf sets; with none set it lists the provider's models from
    # GET /v1/models and asks. keyconf sets one so `crush run` works unattended.
    default_model = "gpt-5"

    # where -----------------------------------------------------------------------------------------
    def folder(self, ctx: Context) -> Path:
        explicit = (ctx.env.get("CRUSH_GLOBAL_CONFIG") or "").strip()
        return Path(explicit) if explicit else ctx.paths.xdg_config_home / "crush"

    def rc_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "crushrc"

    def key_file(self, ctx: Context) -> Path:
        return ctx.paths.keyconf_home / "env" / "crush.sh"

    def state_file(self, ctx: Context) -> Path:
        explicit = (ctx.env.get("CRUSH_GLOBAL_DATA") or "").strip()
        return (Path(explicit) if explicit else ctx.paths.xdg_data_home / "crush") / "crush.json"

    def app_folder(self, ctx: Context) -> Path:
        return self.folder(ctx)

    # the block -------------------------------------------------------------------------------------
    def _block_lines(self, ctx: Context, profile, model: str, opts: Options) -> tuple[list[str], str]:
        from keyconf.urls import openai_base

        if opts.no_plaintext:
            argv = ctx.keyconf_argv() + ["secret", profile.name]
            source = None
            key_expr = '"$(' + shlex.join(argv) + ')"'
        else:
            path = shlex.quote(str(self.key_file(ctx)))
            source = f"[ -r {path} ] && . {path}"
            key_expr = f'"${KEY_VAR}"'
        ref = shlex.quote(f"{PROVIDER_ID}/{model}")
        lines = [HEADER] + ([source] if source else []) + [
            f"provider add {PROVIDER_ID} --type {TYPE} --name {shlex.quote('keyconf: ' + profile.name)} "
            f"--base-url {shlex.quote(openai_base(profile.base_url))} --api-key {key_expr}",
            f"model add {ref}", f"model large {ref}", f"model small {ref}"]
        return lines, key_expr

    def _rc(self, ctx: Context, content: bytes | None):
        from keyconf.osenv.shellenv import RcText

        rc = RcText(content, ctx.paths.display(self.rc_file(ctx)))
        _remember_keys(rc.text)
        return rc

    @staticmethod
    def _read_block(text: str) -> dict:
        """keyconf's block as Bash splits its words: {"base_url", "api_key", "model", "large", "small", "source"}."""
        from keyconf.osenv.shellenv import BEGIN, END

        found: dict = {}
        start = text.find(BEGIN)
        if start < 0:
            return found
        end = text.find(END, start)
        for line in text[start:end if end >= 0 else None].splitlines()[1:]:
            try:
                words = shlex.split(line, comments=True)
            except ValueError:
                continue
            if words[:3] == ["provider", "add", PROVIDER_ID]:
                flags = dict(zip(words[3::2], words[4::2]))
                found["base_url"], found["api_key"] = flags.get("--base-url"), flags.get("--api-key")
                found["type"] = flags.get("--type")
            elif words[:2] in (["model", "large"], ["model", "small"], ["model", "add"]) and len(words) > 2:
                found[words[1]] = words[2]
            elif words[:1] == ["["] and "." in words:
                found["source"] = words[-1]
        return found

    def _after_block(self, text: str) -> list[str]:
        """The user's lines after keyconf's block that set what the block sets (they run later, so they win)."""
        from keyconf.osenv.shellenv import END

        at = text.find(END)
        later = text[at + len(END):] if at >= 0 else ""
        return [line.strip() for line in later.splitlines()
                if re.match(r"\s*(model\s+(large|small)\b|provider\s+(add|remove|rm)\s+" + PROVIDER_ID + r"\b)", line)]

    # planning --------------------------------------------------------------------------------------
    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        model = opts.model or self.default_model
        if not opts.model:
            plan.warnings.append(f"no model set: keyconf sets {model} as Crush's large and small model; pass --model "
                                 "with one your key's group offers")
        old = ctx.memo(self.id)
        path = self.rc_file(ctx)
        before = fsutil.read_bytes(path)
        rc = self._rc(ctx, before)
        record = old.get("rc") or {"sep": rc.separator(), "created": not rc.existed}
        lines, key_expr = self._block_lines(ctx, profile, model, opts)
        rc.set_block("\n".join([_begin(), *lines, _end()]) + "\n", record["sep"])
        ref = f"{PROVIDER_ID}/{model}"
        intended = {"base_url": openai_base(profile.base_url), "api_key": shlex.split(key_expr)[0], "type": TYPE,
                    "add": ref, "large": ref, "small": ref}
        if not opts.no_plaintext:
            intended["source"] = str(self.key_file(ctx))
        self._guard(rc.text, intended)
        plan.edits.append(FileEdit(path, before, rc.content(record["created"]), client=self.id))
        plan.warnings += rc.warnings()

        key_path = self.key_file(ctx)
        key_before = fsutil.read_bytes(key_path)
        key_after = None if opts.no_plaintext else key_file_text(key).encode()
        if key_before is not None or key_after is not None:
            plan.edits.append(FileEdit(key_path, key_before, key_after, private=True, client=self.id))
        if opts.no_plaintext:
            fragile = fragile_command_warning(ctx.keyconf_argv(), "Crush's crushrc")
            if fragile:
                plan.warnings.append(fragile)
        later = self._after_block(rc.text)
        if later:
            plan.warnings.append(f"{rc.name} runs `{later[0]}` after keyconf's block, which overrides it: remove "
                                 "that line")
        plan.binding = Binding(self.id, profile.name, opts, {"rc": record})
        if not old:
            plan.notes.append("crushrc needs a Crush that reads it (the Bash config of recent versions); an older "
                              "Crush reads only crush.json")
        return plan

    def _guard(self, text: str, intended: dict) -> None:
        found = self._read_block(text)
        if found != intended:
            wrong = sorted(k for k in set(found) | set(intended) if found.get(k) != intended.get(k))
            raise UnsafeEdit(f"keyconf's crushrc block would not read back as meant ({', '.join(wrong)}); nothing "
                             "was written", hint="this is a bug in keyconf: please report it", client=self.id)

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        path = self.rc_file(ctx)
        before = fsutil.read_bytes(path)
        if before is not None:
            rc = self._rc(ctx, before)
            record = binding.memo.get("rc") or {}
            rc.remove_block(record.get("sep", ""))
            plan.edits.append(FileEdit(path, before, rc.content(record.get("created", False)), client=self.id))
        key_path = self.key_file(ctx)
        key_before = fsutil.read_bytes(key_path)
        if key_before is not None:
            plan.edits.append(FileEdit(key_path, key_before, None, private=True, client=self.id))
        plan.binding = None
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, str, list[str]]:
        try:
            text = (fsutil.read_bytes(self.rc_file(ctx)) or b"").decode("utf-8", "replace")
        except UnsafeEdit as exc:
            return {}, "", [exc.message]
        return self._read_block(text), text, []

    def _key(self, ctx: Context, block: dict) -> tuple[str | None, str]:
        expr = block.get("api_key") or ""
        if expr == f"${KEY_VAR}":
            try:
                key = key_from_file_text((fsutil.read_bytes(self.key_file(ctx)) or b"").decode("utf-8", "replace"))
            except UnsafeEdit:
                key = None
            remember(key)
            return key, ctx.paths.display(self.key_file(ctx))
        if expr.startswith("$(") and " secret " in expr:
            binding = ctx.binding(self.id)
            return ctx.profile_key(binding.profile if binding else None), "`keyconf secret` at each start"
        return None, "crushrc"

    def key_command(self, ctx: Context) -> list[str] | None:
        """With --no-plaintext: the `keyconf secret` command inside the block's `--api-key "$(...)"`."""
        expr = self._read(ctx)[0].get("api_key") or ""
        if not (expr.startswith("$(") and expr.endswith(")")):
            return None
        try:
            return shlex.split(expr[2:-1])
        except ValueError:
            return None

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        block, text, problems = self._read(ctx)
        url = block.get("base_url")
        st = ClientStatus(self.id, self.installed(ctx), bool(url), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=url,
                          where=[ctx.paths.display(self.rc_file(ctx))])
        st.conflicts += problems
        if not st.configured:
            return st
        key, source = self._key(ctx, block)
        st.key = mask(key) if key else None
        if key is None:
            st.conflicts.append(f"no key in {source}: Crush sends none to the relay")
        elif source.startswith("`"):
            st.notes.append(f"key from {source}")
        else:
            st.where.append(source)
        large = block.get("large", "")
        st.model = large.split("/", 1)[1] if large.startswith(PROVIDER_ID + "/") else None
        for line in self._after_block(text):
            st.conflicts.append(f"`{line}` runs after keyconf's block in crushrc and overrides it")
        st.conflicts += self._state_models(ctx)
        return st

    def _state_models(self, ctx: Context) -> list[str]:
        """Models picked in Crush's UI live in its data folder's crush.json, which beats crushrc."""
        path = self.state_file(ctx)
        try:
            data = json.loads(fsutil.read_bytes(path) or b"{}")
        except (ValueError, UnsafeEdit):
            return []
        models = data.get("models") if isinstance(data, dict) else None
        picked = [f"{slot}: {m.get('provider')}/{m.get('model')}" for slot, m in (models or {}).items()
                  if isinstance(m, dict) and m.get("provider") != PROVIDER_ID]
        if not picked:
            return []
        return [f"{ctx.paths.display(path)} (models picked in Crush's UI) sets {', '.join(picked)}, which beats "
                "crushrc: pick keyconf's model in Crush, or delete that entry"]

    def target(self, ctx: Context) -> Target | None:
        block, _, _ = self._read(ctx)
        url = block.get("base_url")
        if not url:
            return None
        key, _ = self._key(ctx, block)
        large = block.get("large", "")
        model = large.split("/", 1)[1] if large.startswith(PROVIDER_ID + "/") else None
        return Target(strip_v1(url), key, self.protocol, model, client=self.id)

    def doctor(self, ctx: Context, cwd: str | None = None) -> list[tuple[str, str]]:
        import os

        if ctx.binding(self.id) is None:
            return []
        found = []
        try:
            here = Path(cwd or os.getcwd())
        except OSError:
            here = None
        for name in (".crushrc", "crushrc", ".crush.json", "crush.json"):
            if here is not None and (here / name).is_file() and (here / name) != self.rc_file(ctx):
                found.append(("warning", f"{ctx.paths.display(here / name)}: a project config, which beats "
                                         f"{ctx.paths.display(self.rc_file(ctx))} when Crush starts here"))
        _, text, problems = self._read(ctx)
        found += [("warning", c) for c in self._state_models(ctx)]
        found += [("warning", f"`{line}` runs after keyconf's block in crushrc and overrides it")
                  for line in self._after_block(text)]
        if not (ctx.env.get("CRUSH_DISABLE_METRICS") or ctx.env.get("DO_NOT_TRACK")):
            found.append(("info", "Crush sends anonymous usage metrics; `option metrics false` in crushrc, or "
                                  "CRUSH_DISABLE_METRICS=1, turns that off"))
        if not any(level in ("warning", "problem") for level, _ in found) and not problems:
            found.append(("ok", "Crush's crushrc block is in place"))
        return found


def _remember_keys(text: str) -> None:
    """Keys the user wrote inline in crushrc (`--api-key 'sk-...'`) are masked in every diff and message."""
    for line in text.splitlines():
        if "--api-key" not in line:
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for flag, value in zip(words, words[1:]):
            if flag == "--api-key" and not value.startswith("$"):
                remember(value)


def _begin() -> str:
    from keyconf.osenv.shellenv import BEGIN

    return BEGIN


def _end() -> str:
    from keyconf.osenv.shellenv import END

    return END


ADAPTER = Crush()
