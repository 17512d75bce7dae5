"""Shell completion: the scripts `keyconf completion SHELL` prints, and the values completed for client
and profile names. Click does bash, zsh and fish; PowerShell gets a small argument completer that asks
keyconf through click's bash protocol (COMP_WORDS / COMP_CWORD, answers as `type,value` lines)."""

from __future__ import annotations

COMPLETE_VAR = "_KEYCONF_COMPLETE"

POWERSHELL = r"""# keyconf completion for PowerShell. Add to your profile:
#   keyconf completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName keyconf -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
    $cword = $words.Count
    if ($wordToComplete -ne '') { $cword = $words.Count - 1 }
    $env:COMP_WORDS = $words -join ' '
    $env:COMP_CWORD = "$cword"
    $env:_KEYCONF_COMPLETE = 'bash_complete'
    try { $answers = @(keyconf 2>$null) }
    finally { Remove-Item Env:\COMP_WORDS, Env:\COMP_CWORD, Env:\_KEYCONF_COMPLETE -ErrorAction SilentlyContinue }
    foreach ($answer in $answers) {
        $kind, $value = $answer -split ',', 2
        if ($kind -eq 'plain') {
            [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $value)
        }
    }
}
"""


def script(cli, shell: str) -> str:
    """The completion script for `shell` (bash, zsh, fish, powershell)."""
    if shell == "powershell":
        return POWERSHELL
    from click.shell_completion import get_completion_class

    return get_completion_class(shell)(cli, {}, "keyconf", COMPLETE_VAR).source() + "\n"


def clients(ctx, param, incomplete: str) -> list[str]:
    """Client ids, without the ones already named on the line; a typed alias (`gemini`, `factory`) completes
    to the id it stands for."""
    from keyconf.adapters import ALIASES, CLIENT_IDS, canonical

    named = ctx.params.get(param.name) or ()
    named = {canonical(n) or n for n in ((named,) if isinstance(named, str) else tuple(named))}
    ids = [c for c in CLIENT_IDS if c.startswith(incomplete)]
    ids += [canonical(a) for a in ALIASES if a.startswith(incomplete) and canonical(a) and canonical(a) not in ids]
    return [c for c in ids if c not in named]


def profiles(ctx, param, incomplete: str) -> list[str]:
    """Stored profile names (none when profiles.toml can't be read: completion must never fail)."""
    try:
        from keyconf.paths import Paths
        from keyconf.stores.profiles import Profiles

        names = Profiles(Paths.from_environ()).items
    except Exception:  # noqa: BLE001 - a broken profiles.toml just completes nothing
        return []
    return [n for n in sorted(names) if n.startswith(incomplete)]
