"""The ``odavl`` executable: loads only what the command needs. Printing the version needs
nothing but this package; every other command loads the typer app (and httpx, rich) first."""
from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["version"], ["--version"]):
        from odavl_cli import __version__

        sys.stdout.write(__version__ + "\n")
        return
    from odavl_cli.main import run

    sys.exit(run())


if __name__ == "__main__":
    main()
