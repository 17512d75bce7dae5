"""Run the command a client runs for its key (Pi's `!command`, OpenClaw's exec SecretRef) the way that client
runs it, and say whether it prints the profile's key: for `doctor`. The output is compared, never shown."""

from __future__ import annotations

from keyconf.masking import mask


def check(argv: list[str], expected: str | None, env: dict, what: str, client: str) -> tuple[str, str]:
    import subprocess

    shown = " ".join(argv[:1] + ["…"] * (len(argv) > 1))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        return ("problem", f"{what} ({shown}) cannot run: {type(exc).__name__}: "
                           f"{getattr(exc, 'strerror', None) or exc}; run `keyconf use {client} --no-plaintext` again "
                           "from a keyconf that stays installed")
    printed = done.stdout.strip()
    if done.returncode != 0 or not printed:
        return ("problem", f"{what} ({shown}) exits {done.returncode} without printing a key")
    if expected is not None and printed != expected:
        return ("problem", f"{what} prints a {len(printed)}-character value, not the profile's key ({mask(expected)})")
    return ("ok", f"{what} runs and prints the profile's key ({mask(printed)})")
