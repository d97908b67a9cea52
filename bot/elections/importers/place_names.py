"""Our place-name facts (data/place_names.csv: Welsh names of Welsh towns, London
districts, towns no seat or ward is named after) -> the place_names table.

Each row says what a name means as a query the resolver already knows (a seat name, or a
town or ward named in one), with its public source; a meaning found in no seat or ward
name is refused, so no name can point nowhere.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed
from bot.textnorm import match_key

KINDS = {"welsh-name", "district", "town"}


def load(db: sqlite_utils.Database, path: Path) -> None:
    known = {match_key(n) for (n,) in db.conn.execute("select name from seats")}
    if "wards" in db.table_names():
        known |= {match_key(n) for (n,) in db.conn.execute("select distinct ward from wards")}
    known |= {match_key(a) for (a,) in db.conn.execute("select alias from aliases")}
    with path.open(newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    ours = {match_key(row["name"]): match_key(row["means"]) for row in table}
    padded = [f" {n} " for n in known]
    rows = []
    for line, row in enumerate(table, start=2):
        means = match_key(row["means"])
        # a row may mean another row ("Y Barri" is Barry), one step only: never a loop
        target = ours.get(means, means)
        if target in ours or not any(f" {target} " in n for n in padded):
            raise ImportFailed(f"{path.name} line {line}: {row['means']!r} is in no seat, "
                               "ward or place name we know")
        if row["kind"] not in KINDS or not row["source"].strip():
            raise ImportFailed(f"{path.name} line {line}: needs a kind ({', '.join(KINDS)}) "
                               "and a source")
        rows.append({"name": row["name"], "means": row["means"], "kind": row["kind"],
                     "source": row["source"]})
    db["place_names"].insert_all(rows)
