"""Our own checked-in facts (`data/*.csv`: parties, aliases, pacts, national polls): read
from the checkout, or from the installed package, where they ship as `bot.facts_csv`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.config import IN_CHECKOUT, PROJECT_ROOT


def fact(name: str) -> Path:
    if IN_CHECKOUT:
        return PROJECT_ROOT / "data" / name
    return Path(str(resources.files("bot.facts_csv").joinpath(name)))
