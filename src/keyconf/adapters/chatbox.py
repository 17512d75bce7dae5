"""Chatbox: nothing on disk. keyconf builds Chatbox's import link `chatbox://provider/import?config=<base64 JSON>`
(a custom provider of keyconf's own id, `keyconf-<profile>`: a built-in id would have that provider's key
replaced) and hands it to the system's handler; the user confirms the import in Chatbox's dialog. The link holds
the key: it is printed masked unless `--reveal`. Chatbox's own store is not read or written.
"""

from __future__ import annotations

from pathlib import Path

from keyconf.adapters.base import Adapter, Context
from keyconf.adapters.cherry_studio import desktop_entry_problem, handler
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target
from keyconf.osenv.system import open_link

SCHEME = "chatbox"


class Chatbox(Adapter):
    id = "chatbox"
    title = "Chatbox"
    protocol = "chat"
    run_why = "Chatbox is a desktop app that keeps its providers in its own store"
    vias = ("link",)
    options = ("protocol", "model")
    desktop_app = True
    binary = "chatbox"
    process_names = ("Chatbox", "chatbox")

    def installed(self, ctx: Context) -> bool:
        # File checks only: `status` must not start programs.
        if super().installed(ctx):
            return True
        if ctx.paths.platform == "macos":
            return any((root / "Chatbox.app").exists() for root in (Path("/Applications"), ctx.paths.home /
                                                                    "Applications"))
        if ctx.paths.platform == "windows":
            local = ctx.env.get("LOCALAPPDATA") or str(ctx.paths.home / "AppData" / "Local")
            return (Path(local) / "Programs" / "chatbox").exists()
        folders = (ctx.paths.xdg_data_home / "applications", Path("/usr/share/applications"))
        return any(any(folder.glob("*hatbox*.desktop")) for folder in folders if folder.is_dir())

    def intended_target(self, profile, key: str, opts: Options) -> Target:
        protocol = "anthropic" if opts.protocol == "anthropic" else self.protocol
        return Target(profile.base_url, key, protocol, opts.model, client=self.id)

    def link(self, profile, key: str, opts: Options) -> tuple[str, str]:
        from keyconf import links

        return links.chatbox_link(profile.name, profile.base_url, key, opts.protocol, opts.model)

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        plan.binding = Binding(self.id, profile.name, opts, {"provider_id": f"keyconf-{profile.name}"})
        plan.link = self.link(profile, key, opts)  # handed over once the binding is recorded
        if not opts.model:
            plan.notes.append("no --model: Chatbox lists no model for the provider until you add one in its "
                              "settings (Chatbox does not ask the relay for its models by itself)")
        return plan

    def after_commit(self, ctx: Context, plan: ClientPlan, no_open: bool) -> None:
        """Open the import link with the OS handler, or say how to get it (the full link holds the key)."""
        if not plan.link:
            return
        link, masked = plan.link
        if not no_open and handler(ctx, SCHEME) is not None:
            open_link(ctx.env, ctx.paths.platform, link)
            plan.status = "link opened"
            plan.notes.append("opened the import link in Chatbox: confirm the import in its dialog")
            return
        plan.status = "link ready"
        reason = ("--no-open was given" if no_open else "Chatbox isn't installed here" if not self.installed(ctx)
                  else "no handler for chatbox:// links is registered")
        plan.notes.append(f"link ready; {reason}. The link (key masked) is {masked}")
        plan.notes.append("print the full link with `keyconf link chatbox --reveal` (it contains your key) and open "
                          "it where Chatbox runs")

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        plan.notes.append(f"keyconf cannot edit Chatbox's store: delete the provider "
                          f"{binding.memo.get('provider_id')!r} in Chatbox's settings (Model Provider)")
        return plan

    def _profile(self, ctx: Context):
        binding = ctx.binding(self.id)
        if not binding:
            return None
        from keyconf.stores.profiles import Profiles

        return Profiles(ctx.paths).items.get(binding.profile or "")

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        st = ClientStatus(self.id, self.installed(ctx), bool(binding), profile=binding.profile if binding else None,
                          via=binding.via if binding else None)
        if binding:
            profile = self._profile(ctx)
            st.base_url = profile.base_url if profile else None
            st.model = binding.options.model
            st.key = "(link made, import not confirmed)"
            st.notes.append(f"provider id {binding.memo.get('provider_id')}; keyconf cannot read Chatbox's store, "
                            "so this is what the link carried, not what Chatbox keeps")
        return st

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        found = handler(ctx, SCHEME)
        if ctx.paths.platform == "linux" and self.installed(ctx) and found is None:
            return [("warning", "no handler for chatbox:// links is registered: `keyconf use chatbox` cannot open "
                                "the import link (start Chatbox once, or open the link from `keyconf link chatbox "
                                "--reveal` by hand)")]
        if ctx.paths.platform == "linux" and found and found != "system":
            problem = desktop_entry_problem(ctx, found)
            if problem:
                return [("problem", problem.replace("Cherry Studio", "Chatbox"))]
        return []

    def target(self, ctx: Context) -> Target | None:
        binding, profile = ctx.binding(self.id), self._profile(ctx)
        if not binding or not profile:
            return None
        return self.intended_target(profile, ctx.profile_key(profile.name), binding.options)


ADAPTER = Chatbox()
