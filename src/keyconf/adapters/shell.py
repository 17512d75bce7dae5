"""`shell`: generic OPENAI_* / ANTHROPIC_* variables for SDKs and scripts, through shell start-up files.

The adapter only declares the variables; the shell-environment code (shellenv) writes, reads back and
cleans them for every client bound `--via env`.
"""

from __future__ import annotations

from keyconf.adapters.base import Adapter, Context
from keyconf.model import Binding, ClientPlan, ClientStatus, Launch, Options


class Shell(Adapter):
    id = "shell"
    title = "Shell environment (SDKs, scripts)"
    protocol = "chat"
    vias = ("env",)
    options = ("shells",)

    def installed(self, ctx: Context) -> bool:
        return True

    def env_vars(self, profile, opts: Options) -> dict:
        """OpenAI SDKs want root + /v1, Anthropic SDKs the root."""
        from keyconf.urls import openai_base  # imported here: `keyconf run shell` stays light

        return {"OPENAI_API_KEY": {"key_of": profile.name},
                "OPENAI_BASE_URL": {"value": openai_base(profile.base_url)},
                "ANTHROPIC_AUTH_TOKEN": {"key_of": profile.name},
                "ANTHROPIC_BASE_URL": {"value": profile.base_url}}

    def launch(self, ctx: Context, profile, model: str | None) -> Launch:
        """The OPENAI_* / ANTHROPIC_* variables for the command after `--` (no command: your $SHELL); a stray
        ANTHROPIC_API_KEY would be sent beside the token, so it is taken out."""
        variables = self.env_vars(profile, Options())
        env = {name: spec["value"] for name, spec in variables.items() if "value" in spec}
        if model:
            env.update({"OPENAI_MODEL": model, "ANTHROPIC_MODEL": model})
        return Launch(None, env=env, key_vars=[n for n, spec in variables.items() if "key_of" in spec],
                      unset=("ANTHROPIC_API_KEY",))

    def plan_use(self, ctx: Context, profile, key: str, opts: Options) -> ClientPlan:
        plan = ClientPlan(self.id)
        plan.binding = Binding(self.id, profile.name, opts)
        return plan

    def plan_remove(self, ctx: Context, binding: Binding) -> ClientPlan:
        return ClientPlan(self.id)  # the shared shell files follow the bindings (see shellenv.plan)

    def status(self, ctx: Context) -> ClientStatus:
        from keyconf.osenv import shellenv

        names = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")
        return shellenv.env_status(self.id, True, ctx.paths, ctx.binding(self.id), names)

    def target(self, ctx: Context):
        return None  # read back by the pipeline from the env binding (shell has no file of its own)


ADAPTER = Shell()
