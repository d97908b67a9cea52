"""Our own place-name facts (data/aliases.csv) -> the aliases table, checked against seats."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed

KINDS = {"old-seat-name", "town", "ward", "welsh-name", "abbreviation"}


def load(db: sqlite_utils.Database, path: Path) -> None:
    seats = dict(db.conn.execute("select code, name from seats where boundaries = '2024'"))
    rows = []
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            code, name = row["seat_code"], row["seat_name"]
            if seats.get(code) != name:
                raise ImportFailed(f"{path.name} line {line}: {code} is not {name!r} "
                                   f"(it is {seats.get(code)!r})")
            if row["kind"] not in KINDS:
                raise ImportFailed(f"{path.name} line {line}: unknown kind {row['kind']!r}")
            rows.append({"alias": row["alias"], "seat_code": code, "kind": row["kind"]})
    db["aliases"].insert_all(rows)
