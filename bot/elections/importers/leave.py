"""Estimated 2016 Leave shares per 2010-boundary seat -> leave_estimates, checked."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed


def load(db: sqlite_utils.Database, path: Path) -> None:
    seats = {code for (code,) in db.conn.execute(
        "select code from seats where boundaries = '2010' and nation != 'Northern Ireland'")}
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                code, leave = row["PCON11CD"], float(row["Figure to use"])
            except (KeyError, TypeError, ValueError):
                raise ImportFailed(f"{path.name} line {line}: expected PCON11CD and a Leave "
                                   "share in 'Figure to use'") from None
            if code not in seats or not 0 < leave < 1:
                raise ImportFailed(f"{path.name} line {line}: {code!r} {leave!r} is not a GB "
                                   "2010 seat with a share between 0 and 1")
            rows.append({"seat_code": code, "leave": leave})
    if {r["seat_code"] for r in rows} != seats:
        raise ImportFailed(f"{path.name}: expected one estimate for each of {len(seats)} seats")
    db["leave_estimates"].insert_all(rows)
