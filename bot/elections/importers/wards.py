"""Ward names -> the 2024 seats they fall in (with postcode counts) -> the wards table.

The file names seats as the boundary commissions' final proposals did ("Ynys Mon",
"Montgomeryshire and Glyndwr"); they are matched to our seats ignoring accents and
punctuation, and a name that matches no seat fails the import."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils

from bot import db as dbmod
from bot.elections.importers.errors import ImportFailed
from bot.textnorm import match_key


def load(db: sqlite_utils.Database, path: Path, min_wards: int = 5000) -> None:
    seats = {match_key(name): code for code, name in db.conn.execute(
        "select code, name from seats where boundaries = '2024'")}
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                ward, code = row["ward"].strip(), row["wardId"].strip()
                for i in range(1, 5):
                    seat, count = row[f"constituency{i}"].strip(), row[f"#postcodes{i}"]
                    if not seat:
                        continue
                    if match_key(seat) not in seats:
                        raise ImportFailed(f"{path.name} line {line}: {seat!r} is not a 2024 "
                                           "seat")
                    rows.append({"ward": ward, "ward_code": code,
                                 "seat_code": seats[match_key(seat)],
                                 "postcodes": int(count)})
            except (KeyError, TypeError, ValueError, AttributeError):
                raise ImportFailed(f"{path.name} line {line}: expected wardId, ward and "
                                   "constituency1..4 with #postcodes1..4") from None
    if len({r["ward_code"] for r in rows}) < min_wards:
        raise ImportFailed(f"{path.name}: only {len(rows)} rows; expected about 8,400 wards")
    dbmod.insert_rows(db, "wards", rows)
