"""What start-up works out from elections.db alone: results in memory, the name indexes and
every seat's chances. It is the slow part of starting (about half a second), and the same
for every service in a process that reads the same file, so they share one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from bot import db as dbmod
from bot.elections import forecast_ahead
from bot.elections.seats import ElectionData
from bot.forecast.live import Field, LiveForecasts
from bot.places.resolve import Resolver


@dataclass(frozen=True)
class ElectionParts:
    db: sqlite_utils.Database  # read-only; shared, so no service closes it
    data: ElectionData
    resolver: Resolver  # without a postcode lookup: each service adds its own
    forecasts: LiveForecasts  # its cache is keyed by what the chances depend on
    fields: dict[str, Field]  # who stands where, before any server's updates


def election_parts(path: Path) -> ElectionParts:
    """The parts for this file as it is now: a new or replaced file (an import swaps it in)
    has another inode, size or time, so it is read afresh."""
    st = path.stat()
    return _load(str(path.resolve()), (st.st_ino, st.st_size, st.st_mtime_ns))


@lru_cache(maxsize=1)
def _load(path: str, _version: tuple[int, int, int]) -> ElectionParts:
    db = dbmod.open_elections(Path(path))
    data = ElectionData(db)
    return ElectionParts(db, data, Resolver.from_db(db), LiveForecasts(db),
                         forecast_ahead.fields(data))
