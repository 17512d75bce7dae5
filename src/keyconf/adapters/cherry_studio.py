"""Cherry Studio: no file is safe to edit (Electron LevelDB / IndexedDB), so keyconf uses its import link
`cherrystudio://providers/api-keys?v=1&data=...`, which the user confirms in Cherry's own dialog.

Cherry decodes `data` with its own alphabet swap (`_`->`+`, `-`->`/`), so the payload must be *standard*
base64, percent-encoded; after decoding it replaces `'` with `"` and deletes `(` and `)`, so those
characters are refused in every field.
"""

from __future__ import annotations

from pathlib import Path

from keyconf.adapters.base import Adapter, Context
from keyconf.model import Binding, ClientPlan, ClientStatus, Options, Target
from keyconf.osenv.system import open_link, which

SCHEME = "cherrystudio"


def handler(ctx: Context, scheme: str = SCHEME) -> str | None:
    """Is a handler for `scheme` links (Cherry Studio's by default) registered? Its name, or None."""
    if ctx.paths.platform != "linux":
        return "system"  # macOS and Windows register the scheme on install; `open`/`start` will tell
    xdg_mime = which("xdg-mime", ctx.env.get("PATH"))
    if not xdg_mime:
        return None
    import subprocess

    try:
        done = subprocess.run([xdg_mime, "query", "default", f"x-scheme-handler/{scheme}"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def desktop_entry_problem(ctx: Context, name: str) -> str | None:
    """Cherry's AppImage .desktop entry without %u gets the app started but not the link (a known problem)."""
    for folder in (ctx.paths.xdg_data_home / "applications", Path("/usr/share/applications")):
        entry = folder / name
        if entry.is_file():
            text = entry.read_text("utf-8", "replace")
            execs = [line for line in text.splitlines() if line.startswith("Exec=")]
            if execs and not any("%u" in line or "%U" in line for line in execs):
                return f"{entry} has no %u in its Exec line, so links open Cherry Studio without the import"
    return None


class CherryStudio(Adapter):
    id = "cherry-studio"
    title = "Cherry Studio"
    protocol = "chat"
    run_why = "Cherry Studio is a desktop app that keeps its providers in its own store"
    vias = ("link",)
    options = ("protocol",)
    desktop_app = True
    binary = "cherry-studio"
    process_names = ("Cherry Studio", "cherry-studio")

    def installed(self, ctx: Context) -> bool:
        # File checks only: `status` must not start programs.
        if super().installed(ctx):
            return True
        if ctx.paths.platform == "macos":
            return Path("/Applications/Cherry Studio.app").exists() or \
                (ctx.paths.home / "Applications" / "Cherry Studio.app").exists()
        if ctx.paths.platform == "windows":
            local = ctx.paths.env.get("LOCALAPPDATA") or str(ctx.paths.home / "AppData" / "Local")
            return (Path(local) / "Programs" / "Cherry Studio").exists()
        folders = (ctx.paths.xdg_data_home / "applications", Path("/usr/share/applications"))
        return any(any(folder.glob("cherry*.desktop")) for folder in folders if folder.is_dir())

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        from keyconf import links

        plan = ClientPlan(self.id)
        provider = links.cherry_provider_id(profile.name)
        plan.binding = Binding(self.id, profile.name, opts, {"provider_id": provider})
        plan.link = self.link(profile, key, opts)  # handed over once the binding is recorded
        if ctx.memo(self.id).get("provider_id") == provider:
            plan.notes.append(f"Cherry Studio adds this key to provider {provider!r}'s key list: delete the "
                              "old key there if it should no longer be used")
        return plan

    def link(self, profile, key: str, opts: Options) -> tuple[str, str]:
        from keyconf import links

        return links.cherry_link(profile.name, profile.base_url, key, opts.protocol)

    def after_commit(self, ctx: Context, plan: ClientPlan, no_open: bool) -> None:
        """Open the import link with the OS handler, or say how to get it (the full link holds the key)."""
        if not plan.link:
            return
        link, masked = plan.link
        if not no_open and handler(ctx) is not None:
            open_link(ctx.env, ctx.paths.platform, link)
            plan.status = "link opened"
            plan.notes.append("opened the import link in Cherry Studio: confirm the import in its dialog")
            return
        if no_open:
            plan.status = "link ready"
            reason = "--no-open was given"
        elif not self.installed(ctx):
            plan.status = "link ready"
            reason = "Cherry Studio isn't installed here"
        else:
            plan.status = "link ready"
            reason = "no handler for cherrystudio:// links is registered"
        plan.notes.append(f"link ready; {reason}. The link (key masked) is {masked}")
        plan.notes.append("print the full link with `keyconf link cherry-studio --reveal` (it contains your key) "
                          "and open it where Cherry Studio runs")

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        plan = ClientPlan(self.id)
        provider = binding.memo.get("provider_id")
        plan.notes.append(f"keyconf cannot edit Cherry Studio's store: delete the provider {provider!r} in "
                          "Cherry Studio's settings (Model Providers)")
        return plan

    def status(self, ctx: Context) -> ClientStatus:
        binding = ctx.binding(self.id)
        st = ClientStatus(self.id, self.installed(ctx), bool(binding), profile=binding.profile if binding else None,
                          via=binding.via if binding else None)
        if binding:
            from keyconf.stores.profiles import Profiles

            profile = Profiles(ctx.paths).items.get(binding.profile or "")
            st.base_url = profile.base_url if profile else None
            st.key = "(link made, import not confirmed)"
            st.notes.append(f"provider id {binding.memo.get('provider_id')}; keyconf cannot read Cherry's store, "
                            "so this is what the link carried, not what Cherry keeps")
        return st

    def doctor(self, ctx: Context) -> list[tuple[str, str]]:
        found = handler(ctx)
        if ctx.paths.platform == "linux" and found and found != "system":
            problem = desktop_entry_problem(ctx, found)
            if problem:
                return [("problem", problem)]
        return []

    def target(self, ctx: Context) -> Target | None:
        binding = ctx.binding(self.id)
        if not binding:
            return None
        from keyconf.stores.profiles import Profiles

        profile = Profiles(ctx.paths).items.get(binding.profile or "")
        if not profile:
            return None
        return Target(profile.base_url, ctx.profile_key(profile.name), self.protocol, client=self.id)


ADAPTER = CherryStudio()
