"""`data import` and `data status`: fetching the sources and describing what is loaded."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from bot import db as dbmod
from bot.config import Settings
from bot.elections.importers import (
    BUILD_STEPS,
    REQUIRED_SOURCES,
    ImportReport,
    build_elections_db,
)
from bot.elections.sources import SourceError, fetch, is_url


async def import_data(
    settings: Settings, origin: str | None = None, *, verify: bool = True, progress: bool = True
) -> ImportReport:
    """Fetch every source (from `origin`, HOWTOVOTE_DATA, or the public URLs) and rebuild."""
    origin = origin or settings.data_source
    fetched = {}
    for source in REQUIRED_SOURCES:
        try:
            fetched[source.name] = await fetch(
                source, origin, settings.downloads_dir, verify=verify, progress=progress
            )
        except SourceError as exc:
            if origin is None or is_url(origin):
                raise SourceError(f"{exc}. The public sources could not be reached (offline, "
                                  "or a firewall?). If you have a copy of the data files, "
                                  "point HOWTOVOTE_DATA at that folder (or run `data import "
                                  "--from PATH`) and try again.") from exc
            raise
    if not progress:
        return build_elections_db(fetched, settings.elections_db_path)
    # the build takes a while (fitting the forecast most of it): show each step as it ends
    with tqdm(total=len(BUILD_STEPS), desc="building elections.db", unit="step",
              file=sys.stderr, leave=False, mininterval=0) as bar:
        def done(step: str) -> None:
            bar.set_postfix_str(step)
            bar.update()
        return build_elections_db(fetched, settings.elections_db_path, after_step=done)


async def ensure_data(settings: Settings) -> Path:
    """The elections database, importing it first if this machine has none yet, or if the
    one it has is unreadable: it is reference data, rebuilt from the sources, never what a
    user made (a failed rebuild leaves the old file as it was)."""
    path = settings.elections_db_path
    where = settings.data_source or "the public sources"
    if not path.exists():
        print(f"howtovote: no election data yet; importing it from {where} ...", file=sys.stderr)
        await import_data(settings)
    elif (problem := unreadable(path)) is not None:
        print(f"howtovote: {path} is unusable ({problem}); it is reference data, so it is "
              f"being rebuilt from {where} ...", file=sys.stderr)
        try:
            await import_data(settings)
        except SourceError as exc:
            raise SourceError(f"{exc}. {path.name} could not be rebuilt: point HOWTOVOTE_DATA "
                              "at the folder of data files (or give `data import --from "
                              "PATH`) and run `data import`") from exc
    return path


def unreadable(path: Path) -> str | None:
    """Why the elections database cannot serve answers, or None when it can."""
    try:
        db = dbmod.open_elections(path)
        try:
            check = db.conn.execute("pragma quick_check").fetchone()[0]
            if check != "ok":
                return f"integrity check: {check[:100]}"
            seats = db.conn.execute("select count(*) from seats").fetchone()[0]
            fitted = db.conn.execute("select count(*) from meta").fetchone()[0]
            db.conn.execute("select count(*) from place_names")  # made by an older version?
        finally:
            db.conn.close()
    except (sqlite3.Error, OSError) as exc:
        return str(exc)[:200]
    return None if seats and fitted else "it holds no seats: an import did not finish"


@dataclass(frozen=True)
class Status:
    path: Path
    sources: list[dict]
    elections: list[dict]  # id, name, kind, date, seats, candidates
    seats_by_boundaries: dict[str, int]


def status(settings: Settings) -> Status | None:
    path = settings.elections_db_path
    if not path.exists():
        return None
    db = dbmod.open_elections(path)
    try:
        q = db.conn.execute
        sources = [dict(zip(("source", "origin", "sha256", "licence", "imported_at"), row,
                            strict=True))
                   for row in q("select source, origin, sha256, licence, imported_at from meta")]
        elections = [
            dict(zip(("id", "name", "kind", "date", "seats", "candidates"), row, strict=True))
            for row in q(
                """select e.id, e.name, e.kind, e.date,
                          (select count(*) from contests c where c.election_id = e.id),
                          (select count(*) from results r where r.election_id = e.id)
                   from elections e order by e.date, e.id"""
            )
        ]
        seats = dict(q("select boundaries, count(*) from seats group by boundaries").fetchall())
    finally:
        db.conn.close()
    return Status(path, sources, elections, seats)


def format_status(st: Status | None, settings: Settings) -> str:
    if st is None:
        return (f"No election data at {settings.elections_db_path}.\n"
                "Run: python bot.py data import")
    lines = [f"Election data: {st.path}"]
    for s in st.sources:
        lines.append(f"  {s['source']}: {s['origin']}")
        lines.append(f"    sha256 {s['sha256']}, imported {s['imported_at']} ({s['licence']})")
    lines.append("Seats: " + ", ".join(f"{n} on {b} boundaries"
                                      for b, n in sorted(st.seats_by_boundaries.items())))
    lines.append(f"{'election':<12} {'date':<10} {'seats':>5} {'candidates':>10}  name")
    for e in st.elections:
        lines.append(f"{e['id']:<12} {e['date']:<10} {e['seats']:>5} {e['candidates']:>10}  "
                     f"{e['name']}")
    return "\n".join(lines)
