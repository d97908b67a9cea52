"""Build elections.db from the public sources, atomically.

The new database is built in a temporary file beside the target, validated, and only
then moved over the old one with `os.replace` (atomic on POSIX). An import that fails,
or is killed, leaves the old database exactly as it was; guilds.db is never touched.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import db as dbmod
from bot.elections.forecast_ahead import chances_ahead
from bot.elections.importers import (
    aliases,
    byelections,
    leave,
    local_elections,
    next_mrps,
    pacts,
    place_names,
    projections,
    psephology,
    recent_polls,
    wards,
)
from bot.elections.importers.errors import ImportFailed
from bot.elections.importers.validate import validate
from bot.elections.sources import (
    BYELECTIONS,
    CANONICAL_POLLS,
    LEAVE_ESTIMATES,
    LOCAL_ELECTIONS,
    NEXT_MRPS,
    PROJECTIONS,
    PSEPHOLOGY,
    RECENT_POLLS,
    WARDS,
    Fetched,
    Source,
)
from bot.facts import fact
from bot.forecast import store as forecast_store

PARTIES_CSV = fact("parties.csv")
ALIASES_CSV = fact("aliases.csv")
PLACE_NAMES_CSV = fact("place_names.csv")
PACTS_CSV = fact("pacts.csv")

__all__ = ["ImportFailed", "REQUIRED_SOURCES", "build_elections_db", "ImportReport"]

# The sources `data import` fetches, in order.
REQUIRED_SOURCES: tuple[Source, ...] = (PSEPHOLOGY, *BYELECTIONS, LEAVE_ESTIMATES, WARDS,
                                        RECENT_POLLS, CANONICAL_POLLS, *PROJECTIONS,
                                        NEXT_MRPS,
                                        *LOCAL_ELECTIONS)


@dataclass(frozen=True)
class ImportReport:
    path: Path
    counts: dict[str, int]  # election id -> contests
    seconds: float


def known_parties(path: Path = PARTIES_CSV) -> dict[str, dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def byelection_pairs(fetched: dict[str, Fetched]) -> list[tuple[Path, Path]]:
    """(constituency file, candidate file) for each by-election period."""
    files = {f.source.name: f.path for f in fetched.values()}
    periods = sorted({s.name.split("-")[1] + "-" + s.name.split("-")[2] for s in BYELECTIONS})
    return [(files[f"byelections-{p}-constituency"], files[f"byelections-{p}-candidate"])
            for p in periods]


def published_projections(fetched: dict[str, Fetched]) -> list[projections.Published]:
    """The pinned projection files, each with its election, model and release date."""
    return [release for source in PROJECTIONS
            for release in projections.pinned(*source.details, fetched[source.name].path)]


# what `build_elections_db` reports to `after_step`, in order
BUILD_STEPS = ("psephology", "byelections", "local elections", "validate", "forecast")


def build_elections_db(
    fetched: dict[str, Fetched],
    target: Path,
    *,
    after_step: Callable[[str], None] | None = None,
) -> ImportReport:
    """Build a new elections.db from verified local copies of the sources, then swap it in.

    `after_step` is called with each step's name (used by the progress output and by
    tests that interrupt an import partway).
    """
    started = datetime.now(UTC)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    step = after_step or (lambda _name: None)
    try:
        db = dbmod.open_elections(tmp, writable=True)
        try:
            dbmod.create_elections_schema(db)
            with db.conn:
                parties = known_parties()
                psephology.load(db, fetched[PSEPHOLOGY.name].path, parties)
                step("psephology")
                byelections.load(db, byelection_pairs(fetched), parties)
                step("byelections")
                pacts.load(db, PACTS_CSV)
                aliases.load(db, ALIASES_CSV)
                leave.load(db, fetched[LEAVE_ESTIMATES.name].path)
                wards.load(db, fetched[WARDS.name].path)
                place_names.load(db, PLACE_NAMES_CSV)
                recent_polls.load(db, fetched[RECENT_POLLS.name].path,
                                  fetched[CANONICAL_POLLS.name].path)
                projections.load(db, published_projections(fetched))
                next_mrps.load(db, fetched[NEXT_MRPS.name].path)
                local_elections.load(db, [
                    local_elections.LocalFile(*s.details, fetched[s.name].path)
                    for s in LOCAL_ELECTIONS])
                step("local elections")
                validate(db)
                step("validate")
                key = forecast_store.fit_key((item.source.name, item.sha256)
                                             for item in fetched.values())
                forecast_store.fit_and_store(db, key)
                forecast_store.keep_chances(db, lambda: chances_ahead(db), key)
                step("forecast")
                for item in fetched.values():
                    db["meta"].insert({
                        "source": item.source.name,
                        "origin": item.origin,
                        "sha256": item.sha256,
                        "licence": item.source.licence,
                        "imported_at": started.isoformat(timespec="seconds"),
                    })
            db.conn.execute("analyze")
            counts = dict(db.conn.execute(
                "select election_id, count(*) from contests group by election_id"
            ).fetchall())
        finally:
            db.conn.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    seconds = (datetime.now(UTC) - started).total_seconds()
    return ImportReport(target, counts, seconds)
