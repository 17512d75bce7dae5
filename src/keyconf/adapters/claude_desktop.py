"""Claude Desktop in third-party gateway mode ("3P"), macOS and Windows.

Writes one saved configuration of keyconf's own, `Claude-3p/configLibrary/<ID>.json` (`inferenceProvider:
gateway`, `inferenceGatewayBaseUrl` = the root, `inferenceGatewayAuthScheme: bearer`, and the key through
`inferenceCredentialHelper`), applies it in `configLibrary/_meta.json` (`appliedId` and one entry; every other
entry and key kept), and sets only `deploymentMode: "3p"` in `claude_desktop_config.json` (the Claude-3p one,
and the normal one where it exists: that file also holds the user's MCP servers). Sources: Anthropic's "Claude
Desktop on 3P" pages, cc-switch and claude-code-router (facts file, section 1).

The key never sits in these files: `inferenceCredentialHelper` names a small script of keyconf's own (in its
0700 state folder, no key inside) that runs `keyconf secret PROFILE`; the app runs it with no arguments and reads
the bare key from its stdout. The app reads its configuration once at launch (quit it fully, then reopen), and a
managed policy (a macOS configuration profile, Windows `HKLM/HKCU\\SOFTWARE\\Policies\\Claude`) overrides these
files. There is no Claude Desktop for Linux, so Linux is refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from keyconf.adapters.base import Adapter, Context
from keyconf.engine import fsutil
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit, UsageError
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target

CONFIG_ID = "5b2f8c4e-6a1d-4e7b-9c3f-0d8e2a71b4c6"  # keyconf's own saved configuration (a fixed UUIDv4)
ENTRY_NAME = "keyconf"
MODE = ("deploymentMode",)
APPLIED = ("appliedId",)
ENTRIES = ("entries",)
# The app's model-name check (cc-switch `is_claude_safe_model_id`): one bad name rejects the whole list
CLAUDE_NAME = re.compile(r"(?:anthropic/)?claude-(?:sonnet|opus|haiku|fable)-[A-Za-z0-9.\-]+")
LINUX = ("Claude Desktop has no Linux release (its third-party mode is configured on macOS and Windows only); "
         "on Linux use `keyconf use claude-code`")
RESTART = ("Claude Desktop reads this once at launch: quit it fully (not just the window) and reopen it; its "
           "third-party mode keeps its own conversation history")
MANAGED = "a managed policy (configuration profile / Windows policy key) overrides these files when present"


class ClaudeDesktop(Adapter):
    id = "claude-desktop"
    title = "Claude Desktop"
    protocol = "anthropic"
    options = ("model", "no_plaintext")
    desktop_app = True
    process_names = ("Claude",)
    run_why = "it is a desktop app started from its own launcher"
    key_command_name = "inferenceCredentialHelper"

    # where -----------------------------------------------------------------------------------------
    def root(self, ctx: Context) -> Path | None:
        """The Claude-3p folder, or None on Linux."""
        if ctx.paths.platform == "macos":
            return ctx.paths.home / "Library" / "Application Support" / "Claude-3p"
        if ctx.paths.platform == "windows":
            local = (ctx.env.get("LOCALAPPDATA") or "").strip()
            return (Path(local) if local else ctx.paths.home / "AppData" / "Local") / "Claude-3p"
        return None

    def app_folder(self, ctx: Context) -> Path | None:
        return self.root(ctx)

    def installed(self, ctx: Context) -> bool:
        if ctx.paths.platform == "macos":
            return Path("/Applications/Claude.app").exists() or super().installed(ctx)
        return super().installed(ctx)

    def _files(self, ctx: Context) -> dict[str, Path]:
        root = self.root(ctx)
        library = root / "configLibrary"
        return {"profile": library / f"{CONFIG_ID}.json", "meta": library / "_meta.json",
                "config3p": root / "claude_desktop_config.json"}

    def _config1p(self, ctx: Context) -> Path | None:
        """The normal app's config (the user's MCP file), only where one exists: its Windows place is unsettled."""
        if ctx.paths.platform == "macos":
            candidates = [ctx.paths.home / "Library" / "Application Support" / "Claude"]
        else:
            roaming = (ctx.env.get("APPDATA") or "").strip()
            local = (ctx.env.get("LOCALAPPDATA") or "").strip()
            candidates = [Path(p) / "Claude" for p in (roaming, local) if p]
        return next((c / "claude_desktop_config.json" for c in candidates
                     if (c / "claude_desktop_config.json").is_file()), None)

    def helper_file(self, ctx: Context) -> Path:
        name = "claude-desktop-helper.cmd" if ctx.paths.platform == "windows" else "claude-desktop-helper"
        return ctx.paths.keyconf_home / "helpers" / name

    def _refuse_linux(self, ctx: Context) -> None:
        if self.root(ctx) is None:
            raise UsageError(f"keyconf can't configure Claude Desktop here: {LINUX}", client=self.id)

    # validation ------------------------------------------------------------------------------------
    @staticmethod
    def gateway_url(base_url: str) -> str:
        """The root as the app accepts it: https, or http on loopback written as 127.0.0.1."""
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        if parts.scheme == "https":
            return base_url
        if parts.scheme == "http" and (host in ("localhost", "::1") or host.startswith("127.")):
            return base_url.replace("//localhost", "//127.0.0.1", 1)
        raise UsageError(f"Claude Desktop accepts only an https:// gateway (plain http only on loopback), not "
                         f"{base_url}", hint="use the relay's https address", client="claude-desktop")

    @staticmethod
    def check_model(model: str) -> None:
        if not CLAUDE_NAME.fullmatch(model) or "[1m]" in model:
            raise UsageError(f"Claude Desktop only accepts Claude role names (claude-sonnet-…, claude-opus-…, "
                             f"claude-haiku-…), not {model!r}; one other name makes it reject the whole list",
                             hint="pick a claude-* model your key's group offers, or leave --model out: the app "
                                  "then lists the relay's /v1/models", client="claude-desktop")

    # planning --------------------------------------------------------------------------------------
    def _helper_text(self, ctx: Context, profile_name: str) -> bytes:
        import shlex
        import subprocess

        argv = ctx.keyconf_argv() + ["secret", profile_name]
        if ctx.paths.platform == "windows":
            return f"@echo off\r\nrem keyconf: prints the key of profile {profile_name} for Claude Desktop\r\n" \
                   f"{subprocess.list2cmdline(argv)}\r\n".encode()
        # the app wants the bare key: the line end `keyconf secret` prints is dropped
        return (f"#!/bin/sh\n# keyconf: prints the key of profile {profile_name} for Claude Desktop "
                f"(inferenceCredentialHelper); no key is stored here\nkey=\"$({shlex.join(argv)})\" || exit $?\n"
                "printf '%s' \"$key\"\n").encode()

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf.formats import jsonarray
        from keyconf.formats.jsondoc import JsonDoc, encode
        from keyconf.formats.jsonowned import set_owned

        self._refuse_linux(ctx)
        plan = ClientPlan(self.id)
        old = ctx.memo(self.id)
        files = self._files(ctx)
        base = self.gateway_url(profile.base_url)
        helper = self.helper_file(ctx)
        body = {"inferenceProvider": "gateway", "inferenceGatewayBaseUrl": base,
                "inferenceGatewayAuthScheme": "bearer", "inferenceCredentialHelper": str(helper)}
        if opts.model:
            self.check_model(opts.model)
            body["inferenceModels"] = [opts.model]
        else:
            plan.notes.append("no model set: the app lists the relay's /v1/models; names that are not claude-* role "
                              "names make it reject the list (pass --model claude-… to pin one)")
        current = fsutil.read_bytes(files["profile"])
        if current is not None and not old:
            raise UnsafeEdit(f"{ctx.paths.display(files['profile'])} exists and keyconf did not write it",
                             hint="remove it, then run keyconf again", client=self.id)
        text = (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()
        plan.edits.append(FileEdit(files["profile"], current, text, private=True, client=self.id))
        from keyconf.osenv.system import fragile_command_warning

        fragile = fragile_command_warning(ctx.keyconf_argv(), "Claude Desktop's credential helper")
        if fragile:
            plan.warnings.append(fragile)
        shim = FileEdit(helper, fsutil.read_bytes(helper), self._helper_text(ctx, profile.name), client=self.id)
        shim.mode_after = 0o700
        plan.edits.append(shim)

        memo: dict = {"owned": {}}
        # _meta.json: our entry in `entries`, and appliedId
        meta = JsonDoc(fsutil.read_bytes(files["meta"]), ctx.paths.display(files["meta"]))
        if meta.kind(ENTRIES) not in (None, "array"):
            raise UnsafeEdit(f"{meta.name}: `entries` is not an array; keyconf will not replace it", client=self.id)
        memo["meta_created"] = old.get("meta_created", not meta.existed) if old else not meta.existed
        entries = meta.get(ENTRIES, [])
        if not any(isinstance(e, dict) and e.get("id") == CONFIG_ID for e in entries):
            raw = meta.raw(ENTRIES)
            entry = json.dumps({"id": CONFIG_ID, "name": ENTRY_NAME})
            meta.set_raw(ENTRIES, f"[{entry}]" if raw is None else jsonarray.append(raw, entry))
            memo["entries_prior"] = raw
            memo["entry_added"] = True
        else:
            memo["entries_prior"] = old.get("entries_prior")
            memo["entry_added"] = old.get("entry_added", False)
        applied = meta.raw(APPLIED)
        owned_meta = (old.get("owned") or {}).get("meta")
        if applied not in (None, encode(CONFIG_ID)) and not owned_meta:
            plan.replaces.append(f"appliedId = {applied} in {meta.name} (the configuration the app uses)")
        memo["owned"]["meta"] = set_owned(meta, {APPLIED: encode(CONFIG_ID)}, owned_meta)
        plan.edits.append(FileEdit(files["meta"], meta.original(), meta.content(), client=self.id))

        # deploymentMode, the only key changed in each claude_desktop_config.json
        configs = {"config3p": files["config3p"]}
        one = self._config1p(ctx) if "config1p" not in (old.get("paths") or {}) else Path(old["paths"]["config1p"])
        if one is not None:
            configs["config1p"] = one
        memo["paths"] = {k: str(v) for k, v in configs.items()}
        for name, path in configs.items():
            doc = JsonDoc(fsutil.read_bytes(path), ctx.paths.display(path))
            memo["owned"][name] = set_owned(doc, {MODE: encode("3p")}, (old.get("owned") or {}).get(name))
            plan.edits.append(FileEdit(path, doc.original(), doc.content(), client=self.id))
        plan.binding = Binding(self.id, profile.name, opts, memo)
        plan.notes += [RESTART, f"Good to know: {MANAGED}"]
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        from keyconf.formats import jsonarray
        from keyconf.formats.jsondoc import JsonDoc, encode
        from keyconf.formats.jsonowned import restore_owned

        plan = ClientPlan(self.id)
        if self.root(ctx) is None:
            plan.binding = None
            return plan
        memo = binding.memo
        files = self._files(ctx)
        for path in (files["profile"], self.helper_file(ctx)):
            before = fsutil.read_bytes(path)
            if before is not None:
                plan.edits.append(FileEdit(path, before, None, client=self.id))
        meta = JsonDoc(fsutil.read_bytes(files["meta"]), ctx.paths.display(files["meta"]))
        if meta.existed:
            entries = meta.get(ENTRIES, []) if meta.kind(ENTRIES) == "array" else []
            index = next((i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("id") == CONFIG_ID), None)
            if index is not None and memo.get("entry_added"):
                rest = entries[:index] + entries[index + 1:]
                prior = memo.get("entries_prior")
                if prior is None and not rest:
                    meta.delete(ENTRIES)
                elif prior is not None and jsonarray.load(prior) == rest:
                    meta.set_raw(ENTRIES, prior)
                else:
                    meta.set_raw(ENTRIES, jsonarray.drop(meta.raw(ENTRIES), index))
            if meta.raw(APPLIED) == encode(CONFIG_ID):
                restore_owned(meta, (memo.get("owned") or {}).get("meta"))  # only while it is still keyconf's
            else:
                plan.notes.append(f"another configuration is applied in {meta.name} now: it stays applied")
            gone = memo.get("meta_created") and meta.get((), None) == {}  # keyconf made it: it goes again
            plan.edits.append(FileEdit(files["meta"], meta.original(), None if gone else meta.content(),
                                       client=self.id))
        for name, path in (memo.get("paths") or {}).items():
            doc = JsonDoc(fsutil.read_bytes(Path(path)), ctx.paths.display(Path(path)))
            if doc.existed:
                restore_owned(doc, (memo.get("owned") or {}).get(name))
                plan.edits.append(FileEdit(Path(path), doc.original(), doc.content(), client=self.id))
        plan.binding = None
        plan.notes.append(RESTART.split(":")[0] + ": quit it fully and reopen it to leave third-party mode")
        return plan

    # reading back ----------------------------------------------------------------------------------
    def _profile(self, ctx: Context) -> tuple[dict, list[str]]:
        if self.root(ctx) is None:
            return {}, []
        path = self._files(ctx)["profile"]
        raw = fsutil.read_bytes(path)
        if raw is None:
            return {}, []
        try:
            data = json.loads(raw)
        except ValueError as exc:
            return {}, [f"{ctx.paths.display(path)} is not valid JSON ({exc}); the app ignores it"]
        return (data if isinstance(data, dict) else {}), []

    def _applied(self, ctx: Context) -> tuple[bool, str | None]:
        from keyconf.formats.jsondoc import JsonDoc

        files = self._files(ctx)
        try:
            meta = JsonDoc(fsutil.read_bytes(files["meta"]), ctx.paths.display(files["meta"]))
            config = JsonDoc(fsutil.read_bytes(files["config3p"]), ctx.paths.display(files["config3p"]))
        except UnsafeEdit:
            return False, None
        return meta.get(APPLIED) == CONFIG_ID, config.get(MODE)

    def key_command(self, ctx: Context) -> list[str] | None:
        helper = self._profile(ctx)[0].get("inferenceCredentialHelper")
        return [helper] if isinstance(helper, str) and helper else None

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        data, problems = self._profile(ctx)
        base = data.get("inferenceGatewayBaseUrl") if isinstance(data.get("inferenceGatewayBaseUrl"), str) else None
        where = [ctx.paths.display(self._files(ctx)["profile"])] if self.root(ctx) else []
        st = ClientStatus(self.id, self.installed(ctx), bool(base), profile=binding.profile if binding else None,
                          via=binding.via if binding else None, base_url=base, where=where)
        st.conflicts += problems
        if self.root(ctx) is None:
            st.notes.append(LINUX)
            return st
        if st.configured:
            helper = data.get("inferenceCredentialHelper")
            st.key = f"via inferenceCredentialHelper: {helper}" if helper else "none"
            models = data.get("inferenceModels")
            st.model = models[0] if isinstance(models, list) and models and isinstance(models[0], str) else None
            applied, mode = self._applied(ctx)
            if not applied:
                st.conflicts.append("keyconf's configuration is not the applied one in configLibrary/_meta.json")
            if mode != "3p":
                st.conflicts.append(f"deploymentMode is {mode or 'not set'}, not 3p: the app runs in its normal mode")
            st.notes.append(RESTART)
        return st

    def target(self, ctx: Context) -> Target | None:
        data, _ = self._profile(ctx)
        base = data.get("inferenceGatewayBaseUrl")
        if not isinstance(base, str) or not base:
            return None
        binding = ctx.binding(self.id)
        key = ctx.profile_key(binding.profile) if binding else None
        models = data.get("inferenceModels")
        model = models[0] if isinstance(models, list) and models and isinstance(models[0], str) else None
        return Target(base, key, self.protocol, model, client=self.id)

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        if self.id not in ctx.state.bindings or self.root(ctx) is None:
            return []
        found = []
        data, problems = self._profile(ctx)
        found += [("problem", p) for p in problems]
        helper = data.get("inferenceCredentialHelper")
        if isinstance(helper, str) and not Path(helper).is_file():
            found.append(("problem", f"the credential helper {helper} is missing: run `keyconf use claude-desktop`"))
        applied, mode = self._applied(ctx)
        if not applied or mode != "3p":
            found.append(("warning", "Claude Desktop is not set to keyconf's configuration (appliedId / "
                                     "deploymentMode changed in the app?): run `keyconf use claude-desktop`"))
        if ctx.paths.platform == "macos":
            user = ctx.env.get("USER", "")
            plist = Path("/Library/Managed Preferences") / user / "com.anthropic.claudefordesktop.plist"
            if user and plist.exists():
                found.append(("problem", f"{plist} (a managed policy) overrides keyconf's files"))
        if ctx.paths.platform == "windows":
            found += [("problem", f"{where} (a managed policy) overrides keyconf's files") for where in _policy_keys()]
        found.append(("info", f"{MANAGED}; {RESTART}"))
        return found


def _policy_keys() -> list[str]:
    """The Windows policy keys for Claude that exist (a leftover one pins the app whatever configLibrary says)."""
    try:
        import winreg
    except ImportError:  # not on Windows (KEYCONF_PLATFORM=windows in tests)
        return []
    found = []
    for hive, name in ((winreg.HKEY_LOCAL_MACHINE, "HKLM"), (winreg.HKEY_CURRENT_USER, "HKCU")):
        try:
            winreg.CloseKey(winreg.OpenKey(hive, r"SOFTWARE\Policies\Claude"))
            found.append(rf"{name}\SOFTWARE\Policies\Claude")
        except OSError:
            pass
    return found


ADAPTER = ClaudeDesktop()
