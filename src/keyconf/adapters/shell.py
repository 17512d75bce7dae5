"""`shell`: generic OPENAI_* / ANTHROPIC_* variables for SDKs and scripts, through shell start-up files."""

from __future__ import annotations

from keyconf import shellenv
from keyconf.adapters.base import Adapter, ClientPlan, ClientStatus, Context, Target, UseOptions
from keyconf.masking import mask
from keyconf.urls import openai_base

NAMES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")


def variables(profile) -> dict:
    """What `shell` exports: OpenAI SDKs want root + /v1, Anthropic SDKs the root."""
    return {"OPENAI_API_KEY": {"key_of": profile.name},
            "OPENAI_BASE_URL": {"value": openai_base(profile.base_url)},
            "ANTHROPIC_AUTH_TOKEN": {"key_of": profile.name},
            "ANTHROPIC_BASE_URL": {"value": profile.base_url}}


def env_status(adapter, ctx: Context, names) -> ClientStatus:
    """Status of a client bound through shell variables (shared by every --via env client)."""
    binding = ctx.state.bindings.get(adapter.id, {})
    configured = binding.get("via") == "env"
    st = ClientStatus(adapter.id, adapter.installed(ctx), configured, profile=binding.get("profile"),
                      via=binding.get("via"))
    if configured:
        specs = binding.get("vars", {})
        st.base_url = next((s["value"] for n, s in specs.items() if n.endswith("BASE_URL")), None)
        st.key = f"(in {ctx.paths.display(shellenv.env_file(ctx.paths, 'posix'))}, profile {st.profile})"
        for shell in binding.get("shells", []):
            st.where += [ctx.paths.display(p) for p in shellenv.rc_files(ctx.paths, shell, ask=lambda p: None)]
        st.notes.append("shells: " + ", ".join(binding.get("shells", [])))
    for line in shellenv.other_setters(ctx.paths, list(names)):
        st.conflicts.append(line)
    for name in names:
        if ctx.env.get(name) and not configured:
            st.conflicts.append(f"{name} is set in this environment ({mask(ctx.env[name]) if 'KEY' in name or 'TOKEN' in name else ctx.env[name]})")
    return st


class Shell(Adapter):
    id = "shell"
    title = "Shell environment (SDKs, scripts)"
    protocol = "chat"
    vias = ("env", "config")  # always variables; --via is accepted for symmetry

    def installed(self, ctx: Context) -> bool:
        return True

    def env_vars(self, profile) -> dict:
        return variables(profile)

    def plan_use(self, ctx: Context, profile, key: str, opts: UseOptions) -> ClientPlan:
        plan = ClientPlan(self.id)
        plan.binding = shellenv.binding(ctx.state.bindings, self.id, profile.name, variables(profile),
                                        opts.shells, ctx.paths)
        plan.notes.append(shellenv.restart_note(plan.binding["shells"]))
        return plan

    def plan_remove(self, ctx: Context) -> ClientPlan:
        return ClientPlan(self.id)  # the shared shell files follow the bindings (see shellenv.plan)

    def status(self, ctx: Context) -> ClientStatus:
        return env_status(self, ctx, NAMES)

    def target(self, ctx: Context) -> Target | None:
        binding = ctx.state.bindings.get(self.id)
        if not binding:
            return None
        root = binding["vars"]["ANTHROPIC_BASE_URL"]["value"]
        return Target(root, ctx.profile_key(binding.get("profile")), self.protocol)


ADAPTER = Shell()
