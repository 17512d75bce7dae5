"""The `keyconf` command's first moment. A clicked link arrives as an argument, key included, and
/proc/PID/cmdline shows it to every local user: it is blanked here, before the CLI and click are imported
(which take most of the start-up time), then the CLI runs. `cli.main` blanks it too, for `python -m keyconf`."""

import sys


def main() -> None:
    if "import" in sys.argv[1:]:
        from keyconf.osenv.handoff import link_arguments, scrub_argv

        scrub_argv(link_arguments(sys.argv[1:]))
    from keyconf.cli import main as cli_main

    cli_main()
