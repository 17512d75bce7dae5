"""Codex CLI: `$CODEX_HOME/config.toml` (top-level `model_provider`/`model` and one provider table) and,
by default, `auth.json`.

One stable provider id for every profile, because Codex files session history under the provider id and
a new id would hide past sessions. Edits are line splices (see tomltext), checked by re-parsing with
tomllib against the intended result before anything is written.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

from keyconf import texts
from keyconf.adapters.base import Adapter, Context, home_or, strip_v1
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.formats import textblock, tomltext
from keyconf.formats.jsondoc import JsonDoc
from keyconf.formats.jsonowned import set_owned
from keyconf.masking import mask, remember
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options, Target
from keyconf.osenv.system import fragile_command_warning
from keyconf.urls import openai_base

PROVIDER_ID = "keyconf"
ENV_KEY = "OPENAI_API_KEY"  # the variable Codex reads with --via env
OWN_PREFIX = ("model_providers", PROVIDER_ID)
# `keyconf run codex`: a provider of its own, so no field of the user's [model_providers.keyconf] (a bearer
# token, an auth command, headers) is merged into the overrides; the key comes from this variable
RUN_PROVIDER_ID = "keyconf-run"
RUN_KEY_VAR = "KEYCONF_CODEX_API_KEY"


def _toml_value(value) -> str:
    import tomlkit  # renders TOML strings and arrays with the right quoting

    return tomlkit.item(value).as_string()


class ConfigText:
    """config.toml as text plus what keyconf owns in it; every method keeps all other bytes."""

    def __init__(self, content: bytes | None, name: str):
        self.name = name
        self.existed = content is not None
        try:
            self.text = (content or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeEdit(f"{name} is not UTF-8 text; keyconf will not edit it") from None
        self.data = tomltext.parse(self.text, name)
        self.nl = tomltext.newline(self.text)
        self._scanned: tuple[str, list] | None = None

    def _stmts(self):
        # every method asks again after each splice; scan once per version of the text
        if self._scanned is None or self._scanned[0] is not self.text:
            self._scanned = (self.text, tomltext.statements(self.text, self.name))
        return self._scanned[1]

    def root_value(self, key: str) -> str | None:
        for stmt in tomltext.root_keys(self._stmts()):
            if stmt.path == (key,):
                return self.text[stmt.vstart:stmt.vend]
        return None

    def set_root(self, key: str, raw: str | None) -> None:
        """Set (or with None delete) a top-level key, placed above the first table."""
        stmts = self._stmts()
        roots = tomltext.root_keys(stmts)
        for stmt in roots:
            if stmt.path == (key,):
                if raw is None:
                    start, end = stmt.start, stmt.end
                    if not self.text[start:end].endswith("\n") and start > 0:
                        start -= len(self.nl)  # it was the last line: take the newline before it instead
                    self.text = self.text[:start] + self.text[end:]
                else:
                    self.text = self.text[:stmt.vstart] + raw + self.text[stmt.vend:]
                return
        if raw is None:
            return
        line = f"{key} = {raw}"
        if roots:
            at = roots[-1].end
            if not self.text[:at].endswith("\n"):
                self.text = self.text[:at] + self.nl + line + self.text[at:]
                return
        else:
            at = 0
        self.text = self.text[:at] + line + self.nl + self.text[at:]

    def _own_region(self) -> tuple[int, int] | None:
        """From keyconf's provider header to the end of the last statement of its tables."""
        start = end = None
        for stmt in self._stmts():
            if stmt.kind != "kv":
                ours = stmt.path[:2] == OWN_PREFIX
                if ours and start is None:
                    start = stmt.start
                elif not ours and start is not None:
                    break
            if start is not None:
                end = stmt.end
        return None if start is None else (start, end)

    def set_block(self, block: str, sep: str) -> None:
        self.text = textblock.put(self.text, self._own_region(), block, sep)

    def remove_block(self, sep: str) -> None:
        self.text = textblock.drop(self.text, self._own_region(), sep)

    def separator(self) -> str:
        """Blank line between the user's last line and keyconf's table."""
        if not self.text:
            return ""
        if self.text.endswith(self.nl * 2):
            return ""
        if self.text.endswith(self.nl) or self.text.endswith("\n"):
            return self.nl
        return self.nl * 2

    def content(self) -> bytes | None:
        if not self.existed and not self.text.strip():
            return None
        return self.text.encode("utf-8")


def _chatgpt_login(auth: JsonDoc) -> bool:
    """auth.json holds a ChatGPT sign-in (tokens) that an API key must not replace."""
    if not auth.existed or auth.empty:
        return False
    tokens = auth.get(("tokens",))
    return bool(tokens) or auth.get(("auth_mode",)) in ("chatgpt", "chatgptAuthTokens")


def codex_home(ctx: Context) -> Path:
    return home_or(ctx, "CODEX_HOME", ".codex")


class Codex(Adapter):
    id = "codex"
    title = "Codex CLI"
    protocol = "responses"
    vias = ("config", "env")
    options = ("model", "no_plaintext", "shells")
    binary = "codex"
    key_command_name = "auth command"
    # What each release sends with no model set (run against a loopback relay): (first release, last release,
    # model). Add a row when a release moves it, or raise the last bound when a newer one sends the same.
    model_table = {"family": "gpt", "releases": (("0.169.0", "0.169.0", "gpt-6.1-sol"),
                                                 ("0.169.1", "0.171.0", "gpt-6.2-sol"))}
    npm_package = "@openai/codex"

    def _files(self, ctx: Context) -> tuple[Path, Path]:
        return codex_home(ctx) / "config.toml", codex_home(ctx) / "auth.json"

    def app_folder(self, ctx: Context) -> Path:
        return codex_home(ctx)

    def link(self, profile, key: str, opts: Options) -> tuple[str, str]:
        from keyconf import links

        return links.ccswitch_link("codex", profile.name, profile.base_url, key,
                                   {"model": opts.model, **(opts.models or {})})

    def env_vars(self, profile, opts: Options) -> dict:
        return {ENV_KEY: {"key_of": profile.name}, "OPENAI_BASE_URL": {"value": openai_base(profile.base_url)}}

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """`-c` overrides (TOML values, the highest layer of Codex's config) of model_provider and one provider
        table whose env_key names the variable holding the key: the user's config.toml, sessions, MCP servers
        and auth.json are all in use, none is written."""
        table = f"model_providers.{RUN_PROVIDER_ID}"
        overrides = [f"model_provider={tomltext.string(RUN_PROVIDER_ID)}",
                     f"{table}.name={tomltext.string(f'keyconf run ({profile.name})')}",
                     f"{table}.base_url={tomltext.string(openai_base(profile.base_url))}",
                     f"{table}.wire_api={tomltext.string('responses')}",
                     f"{table}.env_key={tomltext.string(RUN_KEY_VAR)}"]
        if model:
            overrides.append(f"model={tomltext.string(model)}")
        return Launch(self.binary, key_vars=(RUN_KEY_VAR,), argv=[a for o in overrides for a in ("-c", o)])

    def _check_shape(self, cfg: ConfigText, owned_before: dict | None) -> None:
        providers = cfg.data.get("model_providers")
        if providers is not None and not isinstance(providers, dict):
            raise UnsafeEdit(f"{cfg.name}: `model_providers` is not a table; keyconf will not replace it",
                             client=self.id)
        if isinstance(providers, dict) and PROVIDER_ID in providers and not owned_before:
            raise UnsafeEdit(f"{cfg.name} already has a [model_providers.{PROVIDER_ID}] that keyconf did not write",
                             hint="rename or remove that table, then run keyconf again", client=self.id)
        stmts = cfg._stmts()
        for stmt in tomltext.root_keys(stmts):
            if stmt.path == ("model_providers",):
                raise UnsafeEdit(f"{cfg.name}, line {tomltext.line_of(cfg.text, stmt.start)}: `model_providers` is "
                                 "an inline table, which TOML does not let keyconf extend",
                                 hint="write it as [model_providers.NAME] tables", client=self.id)
        for name in ("model_provider", "model"):
            if isinstance(cfg.data.get(name), dict):
                # a table (`[model]` or `model.x = ...`): keyconf's `model = "..."` line would define it twice
                where = next((s for s in stmts if s.path[:1] == (name,)), None)
                line = f", line {tomltext.line_of(cfg.text, where.start)}" if where else ""
                raise UnsafeEdit(f"{cfg.name}{line}: `{name}` is a table, where Codex expects a string; keyconf "
                                 "will not edit it", hint=f"make `{name}` a string (or remove it), then run keyconf "
                                 "again", client=self.id)

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        config_path, auth_path = self._files(ctx)
        before = fsutil.read_bytes(config_path)
        cfg = ConfigText(before, ctx.paths.display(config_path))
        old = ctx.memo(self.id)
        owned_cfg = dict(old.get("files", {}).get(str(config_path), {}))
        self._check_shape(cfg, owned_cfg)

        auth_before = fsutil.read_bytes(auth_path)
        auth = JsonDoc(auth_before, ctx.paths.display(auth_path))
        owned_auth = old.get("files", {}).get(str(auth_path))

        if opts.via == "env":
            mode = "env"
            key_source = f"env_key = {_toml_value(ENV_KEY)}"
            provider_auth = {"env_key": ENV_KEY}
            auth_desired = {}
            plan.warnings.append(f"Codex fails when {ENV_KEY} is missing, and apps launched outside a terminal "
                                 "(IDE extensions) don't see shell variables; --via config avoids both")
        elif opts.no_plaintext:
            mode = "command"
            argv = ctx.keyconf_argv() + ["secret", profile.name]
            fragile = fragile_command_warning(argv, "Codex's auth command")
            if fragile:
                plan.warnings.append(fragile)
            key_source = (f"[model_providers.{PROVIDER_ID}.auth]\ncommand = {_toml_value(argv[0])}\n"
                          f"args = {_toml_value(argv[1:])}")
            provider_auth = {"auth": {"command": argv[0], "args": argv[1:]}}
            auth_desired = {}
        elif _chatgpt_login(auth) and not owned_auth:
            mode = "bearer"
            key_source = f"experimental_bearer_token = {_toml_value(key)}"
            provider_auth = {"experimental_bearer_token": key}
            auth_desired = {}
            plan.notes.append(f"{auth.name} holds your ChatGPT sign-in; keyconf leaves it alone and puts the key "
                              f"in the provider's experimental_bearer_token instead")
        else:
            mode = "auth_json"
            key_source = "requires_openai_auth = true"
            provider_auth = {"requires_openai_auth": True}
            auth_desired = {("OPENAI_API_KEY",): json.dumps(key)}

        provider = {"name": f"keyconf: {profile.name}", "base_url": openai_base(profile.base_url),
                    "wire_api": "responses", **provider_auth}
        block = texts.render("codex_provider.toml", id=PROVIDER_ID, profile=profile.name,
                             name=_toml_value(provider["name"]), base_url=_toml_value(provider["base_url"]),
                             key_source=key_source).replace("\n", cfg.nl)
        model = opts.model or None
        top = {"model_provider": PROVIDER_ID, "model": model}

        intended = copy.deepcopy(cfg.data)  # (TOML dates are not JSON)
        priors = dict(owned_cfg.get("top", {}))
        for name, value in top.items():
            if name not in priors:
                priors[name] = cfg.root_value(name)
                if name == "model_provider" and priors[name] not in (None, _toml_value(PROVIDER_ID)):
                    plan.replaces.append(f"model_provider = {priors[name]} in {cfg.name}")
            if value is None:
                # not wanted (any more): the user's own value comes back
                cfg.set_root(name, priors.pop(name))
            else:
                cfg.set_root(name, _toml_value(value))
        for name in ("model_provider", "model"):
            current = cfg.root_value(name)
            if current is None:
                intended.pop(name, None)
            else:
                intended[name] = tomllib.loads("v = " + current)["v"]
        sep = owned_cfg.get("sep", cfg.separator())
        cfg.set_block(block, sep)
        intended.setdefault("model_providers", {})[PROVIDER_ID] = provider
        self._guard(cfg, intended)

        plan.edits.append(FileEdit(config_path, before, cfg.content(), private=mode == "bearer", client=self.id))
        owned_auth = set_owned(auth, auth_desired, owned_auth)
        if auth.content() != auth_before:
            plan.edits.append(FileEdit(auth_path, auth_before, auth.content(), private=True, client=self.id))
        own_model = cfg.root_value("model")
        if not model and own_model is None:
            plan.warnings.append("no model set: Codex will ask the relay for its own default model; "
                                 "pass --model with one your key's group offers")
        elif not model:
            plan.notes.append(f"keeps your own model = {own_model} from {cfg.name}")
        created = owned_cfg.get("created", not cfg.existed)
        files = {str(config_path): {"top": priors, "sep": sep, "created": created}}
        if owned_auth.get("keys") or owned_auth.get("containers"):
            files[str(auth_path)] = owned_auth
        plan.binding = Binding(self.id, profile.name, opts, {"key_source": mode, "files": files})
        return plan

    def _guard(self, cfg: ConfigText, intended: dict) -> None:
        """Re-parse what would be written and compare with what was meant; refuse on any difference."""
        try:
            result = tomllib.loads(cfg.text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise UnsafeEdit(f"keyconf's edit of {cfg.name} would not be valid TOML ({exc}); nothing was written",
                             client=self.id) from None
        if not tomltext.same(result, intended):  # nan-aware: tomllib gives nan != nan
            raise UnsafeEdit(f"keyconf's edit of {cfg.name} would change more than its own settings; "
                             "nothing was written", hint="please report this with the file's layout",
                             client=self.id)

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        config_path, auth_path = self._files(ctx)
        owned_cfg = binding.memo.get("files", {}).get(str(config_path), {})
        before = fsutil.read_bytes(config_path)
        if before is not None:
            cfg = ConfigText(before, ctx.paths.display(config_path))
            intended = copy.deepcopy(cfg.data)
            for name, prior in owned_cfg.get("top", {}).items():
                cfg.set_root(name, prior)
                if prior is None:
                    intended.pop(name, None)
                else:
                    intended[name] = tomllib.loads("v = " + prior)["v"]
            cfg.remove_block(owned_cfg.get("sep", ""))
            providers = intended.get("model_providers", {})
            providers.pop(PROVIDER_ID, None)
            if not providers:
                intended.pop("model_providers", None)
            if "model_providers" in tomllib.loads(cfg.text):
                intended.setdefault("model_providers", {})
            self._guard(cfg, intended)
            if owned_cfg.get("created") and not cfg.text.strip():
                cfg.existed = False  # keyconf made the file: it goes again
            plan.edits.append(FileEdit(config_path, before, cfg.content(), client=self.id))
        owned_auth = binding.memo.get("files", {}).get(str(auth_path))
        auth_before = fsutil.read_bytes(auth_path)
        if owned_auth and auth_before is not None:
            from keyconf.formats.jsonowned import restore_owned

            auth = JsonDoc(auth_before, ctx.paths.display(auth_path))
            restore_owned(auth, owned_auth)
            plan.edits.append(FileEdit(auth_path, auth_before, auth.content(), private=True, client=self.id))
        plan.binding = None
        return plan

    # reading back ---------------------------------------------------------------------------------
    def key_command(self, ctx: Context) -> list[str] | None:
        data = self._read(ctx)[0]
        auth = ((data.get("model_providers") or {}).get(PROVIDER_ID) or {}).get("auth") or {}
        command, args = auth.get("command"), auth.get("args") or []
        if not isinstance(command, str) or not all(isinstance(a, str) for a in args):
            return None
        return [command, *args]

    def _read(self, ctx: Context) -> tuple[dict, dict, str | None]:
        config_path, auth_path = self._files(ctx)
        try:
            data = tomltext.parse((fsutil.read_bytes(config_path) or b"").decode("utf-8"),
                                  ctx.paths.display(config_path))
        except UnicodeDecodeError:
            return {}, {}, f"{ctx.paths.display(config_path)} is not UTF-8 text"
        except UnsafeEdit as exc:
            return {}, {}, exc.message
        try:
            auth = json.loads(fsutil.read_bytes(auth_path) or b"{}")
        except ValueError:
            auth = {}
        return data, auth if isinstance(auth, dict) else {}, None

    def _provider(self, data: dict) -> tuple[str | None, dict]:
        pid = data.get("model_provider")
        providers = data.get("model_providers")
        if not pid or not isinstance(providers, dict):
            return pid, {}
        provider = providers.get(pid)
        return pid, provider if isinstance(provider, dict) else {}

    def _key(self, ctx: Context, provider: dict, auth: dict) -> tuple[str | None, str]:
        for found in (provider.get("experimental_bearer_token"), auth.get("OPENAI_API_KEY")):
            if isinstance(found, str):
                remember(found)  # a key found in the files is masked in everything printed after
        if provider.get("experimental_bearer_token"):
            return provider["experimental_bearer_token"], "experimental_bearer_token"
        if isinstance(provider.get("auth"), dict):
            profile = ctx.state.profile_of(self.id)
            return None, f"auth command ({profile or '?'})"
        if provider.get("env_key"):
            binding = ctx.binding(self.id)
            if binding and binding.via == "env":
                return ctx.profile_key(binding.profile), f"${provider['env_key']} (shell)"
            return ctx.env.get(provider["env_key"]), f"${provider['env_key']}"
        if provider.get("requires_openai_auth"):
            return auth.get("OPENAI_API_KEY"), "auth.json"
        return None, "none"

    def status(self, ctx: Context) -> ClientStatus:
        data, auth, problem = self._read(ctx)
        binding = ctx.binding(self.id)
        pid, provider = self._provider(data)
        config_path, auth_path = self._files(ctx)
        base = provider.get("base_url") if isinstance(provider.get("base_url"), str) else None
        st = ClientStatus(self.id, self.installed(ctx), bool(base),
                          profile=binding.profile if binding else None, via=binding.via if binding else None,
                          base_url=base, where=[ctx.paths.display(config_path)])
        st.model = data.get("model") if isinstance(data.get("model"), str) else None
        if problem:
            st.conflicts.append(problem)
        if st.configured:
            key, source = self._key(ctx, provider, auth)
            st.key = (mask(key) + f" (from {source})") if key else f"via {source}"
            if source == "auth.json":
                st.where.append(ctx.paths.display(auth_path))
            if pid != PROVIDER_ID:
                st.notes.append(f"model_provider is {pid!r}, set outside keyconf")
            st.notes.append(f"model: {data.get('model') or '(Codex default)'}")
        if ctx.env.get("OPENAI_BASE_URL") and pid in (None, "openai"):
            st.conflicts.append("OPENAI_BASE_URL is exported in this shell; Codex's built-in openai provider "
                                "would use it")
        return st

    def target(self, ctx: Context) -> Target | None:
        data, auth, _ = self._read(ctx)
        pid, provider = self._provider(data)
        if not provider.get("base_url"):
            return None
        key, source = self._key(ctx, provider, auth)
        if key is None and source.startswith("auth command"):
            key = ctx.profile_key(ctx.state.profile_of(self.id))
        return Target(strip_v1(provider["base_url"]), key, self.protocol, data.get("model"), client=self.id)


ADAPTER = Codex()
