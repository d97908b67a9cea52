"""howtovote from a checkout: `python bot.py --help` (installed: the `howtovote` command)."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
