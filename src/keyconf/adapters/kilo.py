"""Kilo Code CLI (`@kilocode/cli`, an opencode fork): opencode's format in Kilo's own folders.

Everything keyconf owns is what it owns in opencode (see opencode.py): provider `keyconf` with
`npm: "@ai-sdk/openai-compatible"`, `options.baseURL` = root + /v1, the model under `models` and the top-level
`model = "keyconf/<model>"`; the key in Kilo's 0600 `auth.json` (`{"keyconf": {"type": "api", "key": …}}`).
Checked with Kilo 7.7.9 (the binary package): it sends `Authorization: Bearer` to `{baseURL}/chat/completions`.

Where Kilo differs: `~/.config/kilo` (`$XDG_CONFIG_HOME`; `KILO_CONFIG` names another file) holds
`config.json` < `kilo.json` < `kilo.jsonc` < `opencode.json` < `opencode.jsonc`, merged, later wins (keyconf edits
the last one that exists, else creates `kilo.json`); the keys live in `$XDG_DATA_HOME/kilo/auth.json`; and on its
first start Kilo edits the config once (adds `permission.bash` and `$schema`; a `.json` file is rewritten
2-space). That edit keeps every member keyconf wrote, so undo treats it as Kilo's own rewrite
(`RewrittenJsonEdit`): it takes keyconf's members out of the file as Kilo left it.
"""

from __future__ import annotations

from pathlib import Path

from keyconf.adapters.base import Adapter
from keyconf.adapters.opencode import Opencode
from keyconf.formats.jsondoc import JsonDoc

RUN_KEY_VAR = "KEYCONF_KILO_RUN_API_KEY"  # `keyconf run`: the variable Kilo's run provider takes its key from
NO_PLAINTEXT = ("Kilo cannot run a command to get its key (its config resolves only {env:VAR} and {file:path}), "
                "so the key would still be stored in a file; the key goes to Kilo's 0600 auth.json")


class Kilo(Opencode):
    id = "kilo"
    title = "Kilo Code CLI"
    binary = "kilo"
    no_plaintext_why = NO_PLAINTEXT
    folder = "kilo"
    config_names = ("config.json", "kilo.json", "kilo.jsonc", "opencode.json", "opencode.jsonc")
    config_var = "KILO_CONFIG"
    auth_content_var = "KILO_AUTH_CONTENT"
    config_content_var = "KILO_CONFIG_CONTENT"

    def launch(self, ctx, profile, model):
        """KILO_CONFIG_CONTENT (Kilo's name for opencode's OPENCODE_CONFIG_CONTENT, read by its 7.7.9 binary;
        opencode's variable is not read): a config merged over the user's files as the highest layer, with a
        provider `keyconf-run` whose apiKey is `{env:KEYCONF_KILO_RUN_API_KEY}` and the model selected. Kilo
        needs a model (without one it falls to its own gateway): --model, the pin's, or `keyconf use`'s."""
        import json

        from keyconf.adapters.opencode import PACKAGE, RUN_PROVIDER_ID
        from keyconf.adapters.runoverlay import run_model
        from keyconf.model import Launch
        from keyconf.urls import openai_base

        model = run_model(self, ctx, model)
        provider = {"npm": PACKAGE, "name": f"keyconf run: {profile.name}",
                    "options": {"baseURL": openai_base(profile.base_url), "apiKey": "{env:" + RUN_KEY_VAR + "}"},
                    "models": {model: {}}}
        content = {"provider": {RUN_PROVIDER_ID: provider}, "model": f"{RUN_PROVIDER_ID}/{model}"}
        launch = Launch(self.binary, env={self.config_content_var: json.dumps(content)}, key_vars=(RUN_KEY_VAR,))
        if ctx.env.get(self.config_content_var):
            launch.notes.append(f"{self.config_content_var} from your shell is replaced for this run")
        return launch

    def config_file(self, ctx) -> Path:
        path = super().config_file(ctx)
        # None of the files yet: create kilo.json (Kilo's own name), not the legacy config.json
        return path.with_name("kilo.json") if not path.exists() and path.name == "config.json" else path

    def config_edit(self, path: Path, doc: JsonDoc, owned: dict):
        from keyconf.formats.jsonrewrite import RewrittenJsonEdit

        return RewrittenJsonEdit(path, doc.original(), doc.content(), client=self.id, owned=owned)

    link = Adapter.link  # cc-switch has no Kilo app: no one-click link of its own

    def doctor(self, ctx) -> list[tuple[str, str]]:
        found = super().doctor(ctx)
        config = self.config_file(ctx)
        if found and not (config.parent / ".bash-permission-migrated").exists():
            found.append(("info", f"Kilo's first start will add `permission.bash` and `$schema` to "
                                  f"{ctx.paths.display(config)} (once); keyconf's undo and remove keep that"))
        return found


ADAPTER = Kilo()
