"""OpenClaw: a provider of keyconf's own in `~/.openclaw/openclaw.json` (JSON5) and the agents' default model.

Owns `models.providers.keyconf.{baseUrl, api, apiKey, models}` (`models` = `[{"id": M, "name": M}]`: OpenClaw's
strict schema wants `name`) and `agents.defaults.model.primary = "keyconf/<model>"`; with `--no-plaintext` also
`secrets.providers.keyconf`, an exec provider that runs `keyconf secret PROFILE` (absolute path, no shell, no
symlink: OpenClaw refuses those; with `jsonOnly: false` the bare key on stdout is the value; `passEnv` hands
keyconf the variables that find its store, as the exec provider passes no environment otherwise), and `apiKey`
becomes `{"source": "exec", "provider": "keyconf", "id": PROFILE}`. Otherwise `apiKey` is the literal, in a file
written 0600 (OpenClaw writes it 0600 itself).

The file is JSON5. keyconf edits it as JSONC (comments and trailing commas kept byte for byte); JSON5 beyond that
(unquoted keys, single quotes) is refused with the line, never rewritten. OpenClaw's own writes (`config set`,
`onboard`, `doctor --fix`) turn the file into plain JSON and add `meta`, so `undo` after one refuses (the file
changed), while `remove` still takes out exactly keyconf's members. Checked with OpenClaw 2026.9.6:
`openai-completions` sends `Authorization: Bearer` to `{baseUrl}/chat/completions`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyconf.adapters.base import Adapter, Context, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats.jsondoc import JsonDoc, encode
from keyconf.formats.jsonowned import owns, restore_owned, set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target

PROVIDER_ID = "keyconf"
PROVIDER = ("models", "providers", PROVIDER_ID)
SECRETS = ("secrets", "providers", PROVIDER_ID)
PRIMARY = ("agents", "defaults", "model", "primary")
API = "openai-completions"
# `keyconf run`: a config of its own in keyconf's folder that includes the user's, a provider of its own whose
# apiKey is `${RUN_KEY_VAR}`
RUN_PROVIDER_ID = "keyconf-run"
RUN_KEY_VAR = "KEYCONF_OPENCLAW_RUN_API_KEY"
# What `keyconf secret` needs to find its profiles and secret store; the exec provider passes nothing else.
PASS_ENV = ("HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS", "KEYCONF_HOME", "KEYCONF_SECRET_STORE")


def exec_command(argv: list[str]) -> list[str]:
    """keyconf's command as OpenClaw's exec provider accepts it: a real file, not a symlink. A tool
    environment's `python -m keyconf` becomes its `keyconf` script (the python there is a symlink, and its target
    would not find keyconf); a symlinked script (pipx's ~/.local/bin) its target."""
    first = Path(argv[0])
    if argv[1:3] == ["-m", "keyconf"]:
        script = first.parent / ("keyconf.exe" if os.name == "nt" else "keyconf")
        if script.is_file():
            argv = [str(script), *argv[3:]]
    return [os.path.realpath(argv[0]), *argv[1:]]


class OpenClaw(Adapter):
    id = "openclaw"
    title = "OpenClaw"
    protocol = "chat"
    options = ("model", "no_plaintext")
    binary = "openclaw"
    key_command_name = "exec secret provider"

    # where -----------------------------------------------------------------------------------------
    def state_dir(self, ctx: Context) -> Path:
        explicit = (ctx.env.get("OPENCLAW_STATE_DIR") or "").strip()
        if explicit:
            return Path(explicit).expanduser()
        home = (ctx.env.get("OPENCLAW_HOME") or "").strip()
        return (Path(home).expanduser() if home not in ("", "undefined", "null") else ctx.paths.home) / ".openclaw"

    def config_file(self, ctx: Context) -> Path:
        explicit = (ctx.env.get("OPENCLAW_CONFIG_PATH") or "").strip()
        return Path(explicit).expanduser() if explicit else self.state_dir(ctx) / "openclaw.json"

    def app_folder(self, ctx: Context) -> Path:
        return self.state_dir(ctx)

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """OPENCLAW_CONFIG_PATH names a config in keyconf's folder whose root `$include`s the user's
        openclaw.json (OPENCLAW_INCLUDE_ROOTS admits its folder) and adds, as sibling keys (deep-merged over the
        included file, objects key by key), a provider `keyconf-run` with apiKey `${KEYCONF_OPENCLAW_RUN_API_KEY}`
        and `agents.defaults.model.primary` naming it. Checked with OpenClaw 2026.9.6: `agent exec` reaches only
        the run's relay; openclaw.json (OpenClaw never writes through a root include), its `.env`, agents and
        state folder stay the user's."""
        from keyconf.adapters.runoverlay import overlay_path, run_model
        from keyconf.urls import openai_base

        model = run_model(self, ctx, model)
        config = self.config_file(ctx)
        provider = {"baseUrl": openai_base(profile.base_url), "api": API, "apiKey": "${" + RUN_KEY_VAR + "}",
                    "models": [{"id": model, "name": model}]}
        # (OPENCLAW_CONFIG_PATH may name a run's own overlay: a run started inside one includes the user's file)
        ours = config.is_relative_to(ctx.paths.keyconf_home / "run")
        if ours:
            config = self.state_dir(ctx) / "openclaw.json"
        overlay = {"$include": str(config)} if config.is_file() else {}
        overlay.update({"models": {"providers": {RUN_PROVIDER_ID: provider}},
                        "agents": {"defaults": {"model": {"primary": f"{RUN_PROVIDER_ID}/{model}"}}}})
        body = (json.dumps(overlay, indent=2) + "\n").encode()
        path = overlay_path(ctx, self.id, "openclaw", body, ".json")
        env = {"OPENCLAW_CONFIG_PATH": str(path)}
        if "$include" in overlay:  # an include outside the including file's folder needs its folder admitted
            roots = [] if ours else [r for r in (ctx.env.get("OPENCLAW_INCLUDE_ROOTS") or "").split(os.pathsep)
                                     if r.strip()]
            env["OPENCLAW_INCLUDE_ROOTS"] = os.pathsep.join([*roots, str(config.parent)])
        return Launch(self.binary, env=env, key_vars=(RUN_KEY_VAR,), files={path: body})

    def _doc(self, ctx: Context) -> JsonDoc:
        path = self.config_file(ctx)
        try:
            return JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
        except UnsafeEdit as exc:
            raise UnsafeEdit(exc.message, hint="keyconf edits OpenClaw's JSON5 as JSON with comments and trailing "
                             "commas; quote the keys and use double quotes there (or let `openclaw doctor --fix` "
                             "rewrite it), then run keyconf again", client=self.id) from None

    # planning --------------------------------------------------------------------------------------
    def link(self, profile, key: str, opts: Options):
        from keyconf import links

        return links.ccswitch_link("openclaw", profile.name, profile.base_url, key, {"model": opts.model})

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.urls import openai_base

        plan = ClientPlan(self.id)
        path = self.config_file(ctx)
        doc = self._doc(ctx)
        files = ctx.memo(self.id).get("files", {})
        owned_before = files.get(str(path))
        self._restore(ctx, {name: owned for name, owned in files.items() if name != str(path)}, plan)  # moved
        for parent in (("models",), ("models", "providers"), ("secrets",), ("secrets", "providers"), ("agents",),
                       ("agents", "defaults")):
            if doc.raw(parent) is not None and not doc.is_object(parent):
                raise UnsafeEdit(f"{doc.name}: `{'.'.join(parent)}` is not an object; keyconf will not replace it",
                                 client=self.id)
        for mine in (PROVIDER, SECRETS):
            if doc.raw(mine) is not None and not owns(owned_before, mine + ("source",) if mine == SECRETS
                                                      else mine + ("baseUrl",)):
                raise UnsafeEdit(f"{doc.name} already has `{'.'.join(mine)}`, which keyconf did not write",
                                 hint="rename or remove it, then run keyconf again", client=self.id)
        desired = {PROVIDER + ("baseUrl",): encode(openai_base(profile.base_url)), PROVIDER + ("api",): encode(API)}
        if opts.no_plaintext:
            from keyconf.osenv.system import fragile_command_warning

            argv = exec_command(ctx.keyconf_argv() + ["secret", profile.name])
            fragile = fragile_command_warning(argv, "OpenClaw's exec secret provider")
            if fragile:
                plan.warnings.append(fragile)
            desired[SECRETS + ("source",)] = encode("exec")
            desired[SECRETS + ("command",)] = encode(argv[0])
            desired[SECRETS + ("args",)] = encode(argv[1:])
            desired[SECRETS + ("passEnv",)] = encode(list(PASS_ENV))
            desired[SECRETS + ("jsonOnly",)] = "false"
            desired[PROVIDER + ("apiKey",)] = encode({"source": "exec", "provider": PROVIDER_ID, "id": profile.name})
        else:
            desired[PROVIDER + ("apiKey",)] = encode(key)
        if opts.model:
            desired[PROVIDER + ("models",)] = encode([{"id": opts.model, "name": opts.model}])
            desired[PRIMARY] = encode(f"{PROVIDER_ID}/{opts.model}")
            prior = doc.raw(PRIMARY)
            if prior not in (None, desired[PRIMARY]) and not owns(owned_before, PRIMARY):
                plan.replaces.append(f"agents.defaults.model.primary = {prior} in {doc.name}")
        else:
            desired[PROVIDER + ("models",)] = "[]"
            plan.warnings.append("no model set: OpenClaw keeps its own default model and lists no relay model; pass "
                                 "--model with one your key's group offers")
        owned = set_owned(doc, desired, owned_before)
        plan.edits.append(FileEdit(path, doc.original(), doc.content(), private=not opts.no_plaintext,
                                   client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, {"files": {str(path): owned}})
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        self._restore(ctx, binding.memo.get("files", {}), plan)
        plan.binding = None
        return plan

    def _restore(self, ctx: Context, files: dict, plan: ClientPlan) -> None:
        for name, owned in files.items():
            path = Path(name)
            doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path), jsonc=True)
            if doc.existed:
                restore_owned(doc, owned)
                plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))

    # reading back ----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[dict, str | None, list[str]]:
        try:
            doc = self._doc(ctx)
        except UnsafeEdit as exc:
            return {}, None, [exc.message]
        provider = doc.get(PROVIDER) if doc.is_object(("models", "providers")) else None
        try:
            primary = doc.get(PRIMARY)
        except UnsafeEdit:
            primary = None
        return (provider if isinstance(provider, dict) else {}), (primary if isinstance(primary, str) else None), []

    def _key(self, ctx: Context, provider: dict) -> tuple[str | None, str]:
        value = provider.get("apiKey")
        if isinstance(value, dict):
            if value.get("source") == "env" and isinstance(value.get("id"), str):
                return ctx.env.get(value["id"]) or None, f"${value['id']}"
            binding = ctx.binding(self.id)
            return (ctx.profile_key(binding.profile) if binding else None), f"{value.get('source')} SecretRef"
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            return ctx.env.get(value[2:-1]) or None, value
        if isinstance(value, str) and value:
            remember(value)
            return value, "openclaw.json"
        return None, "none"

    def _model(self, primary: str | None) -> str | None:
        return primary[len(PROVIDER_ID) + 1:] if primary and primary.startswith(PROVIDER_ID + "/") else None

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        provider, primary, problems = self._read(ctx)
        base = provider.get("baseUrl") if isinstance(provider.get("baseUrl"), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(base), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=base,
                          where=[ctx.paths.display(self.config_file(ctx))])
        st.conflicts += problems
        if st.configured:
            key, source = self._key(ctx, provider)
            st.key = mask(key) if key and source == "openclaw.json" else f"via {source}"
            st.model = primary
            if not self._model(primary):
                st.notes.append(f"OpenClaw's default model is {primary or 'its own'}, not one of provider "
                                f"`{PROVIDER_ID}`")
            st.conflicts += self._shadows(ctx, base)
        return st

    def _shadows(self, ctx: Context, base: str | None) -> list[str]:
        """Generated per-agent models.json files with another baseUrl for the same provider id win over
        openclaw.json (OpenClaw's docs, "merge precedence")."""
        found = []
        for path in sorted((self.state_dir(ctx) / "agents").glob("*/agent/models.json")):
            try:
                data = json.loads(path.read_bytes())
                url = data["providers"][PROVIDER_ID]["baseUrl"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if isinstance(url, str) and url and url != base:
                found.append(f"{ctx.paths.display(path)} sets provider `{PROVIDER_ID}`'s baseUrl to {url}, which wins "
                             "over openclaw.json; delete that entry (OpenClaw regenerates the file)")
        return found

    def _secret_provider(self, ctx: Context) -> dict | None:
        try:
            secret = self._doc(ctx).get(SECRETS)
        except UnsafeEdit:
            return None
        return secret if isinstance(secret, dict) and isinstance(secret.get("command"), str) else None

    def key_command(self, ctx: Context) -> list[str] | None:
        secret = self._secret_provider(ctx)
        return [secret["command"], *map(str, secret.get("args") or ())] if secret else None

    def _check_exec(self, ctx: Context) -> list[tuple[str, str]]:
        """What OpenClaw checks before it runs keyconf's exec provider (doctor runs the command itself)."""
        secret = self._secret_provider(ctx)
        if secret is None or not ctx.state.bindings[self.id].options.no_plaintext:
            return []
        if os.path.islink(secret["command"]) or not os.path.isabs(secret["command"]):
            return [("problem", f"OpenClaw refuses the exec command {secret['command']}: not an absolute path to a "
                                "real file; run `keyconf use openclaw --no-plaintext` again")]
        missing = [name for name in ("HOME", "KEYCONF_HOME", "KEYCONF_SECRET_STORE")
                   if ctx.env.get(name) and name not in (secret.get("passEnv") or ())]
        if missing:
            return [("problem", f"OpenClaw's exec provider does not pass {', '.join(missing)} to keyconf, which "
                                "then looks for its store elsewhere; run `keyconf use openclaw --no-plaintext` again")]
        return []

    def target(self, ctx: Context) -> Target | None:
        provider, primary, _ = self._read(ctx)
        base = provider.get("baseUrl")
        if not isinstance(base, str) or not base:
            return None
        key, _ = self._key(ctx, provider)
        binding = ctx.binding(self.id)
        model = self._model(primary) or (binding.options.model if binding else None)
        return Target(strip_v1(base), key, self.protocol, model, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings:
            return []
        provider, primary, problems = self._read(ctx)
        found = [("problem", p) for p in problems]
        found += [("problem", p) for p in self._shadows(ctx, provider.get("baseUrl"))]
        found += self._check_exec(ctx)
        if self._model(primary):
            found.append(("ok", f"OpenClaw uses {primary}"))
        else:
            found.append(("warning", f"OpenClaw's default model is {primary or 'its own'}, not the relay's: run "
                                     "`keyconf use openclaw --model MODEL`"))
        return found


ADAPTER = OpenClaw()
