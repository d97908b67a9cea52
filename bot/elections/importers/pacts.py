"""Our own table of pacts and stand-asides (data/pacts.csv), checked against the ballots."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed

# A party that stood aside must be absent under any of its codes.
SAME_PARTY = {"Green": {"Green", "SGP", "GPNI"}, "RUK": {"RUK", "BRX"}}


def load(db: sqlite_utils.Database, path: Path) -> int:
    seats = {(code, b): sid for sid, code, b in
             db.conn.execute("select id, code, boundaries from seats")}
    rows = []
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"{path.name} line {line} ({row['seat_name']}, {row['election_id']})"
            seat_id = seats.get((row["seat_code"], row["boundaries"]))
            if seat_id is None:
                raise ImportFailed(f"{where}: no seat {row['seat_code']}")
            on_ballot = {p for (p,) in db.conn.execute(
                "select party from results where election_id = ? and seat_id = ?",
                (row["election_id"], seat_id))}
            if not on_ballot:
                raise ImportFailed(f"{where}: no result for that contest")
            if row["designated"] and row["designated"] not in on_ballot:
                raise ImportFailed(f"{where}: the pact backed {row['designated']}, "
                                   "who was not on the ballot")
            aside = [p for p in row["standing_aside"].split(";") if p]
            if stood := [p for p in aside if SAME_PARTY.get(p, {p}) & on_ballot]:
                raise ImportFailed(f"{where}: {', '.join(stood)} said to stand aside, "
                                   "but stood")
            rows.append({
                "election_id": row["election_id"], "seat_id": seat_id,
                "seat_code": row["seat_code"], "boundaries": row["boundaries"],
                "pact": row["pact"], "designated": row["designated"] or None,
                "standing_aside": ";".join(aside), "notes": row["notes"],
                "source": row["sources"],
            })
    db["pacts"].insert_all(rows)
    return len(rows)
