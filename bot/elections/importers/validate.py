"""Checks on a freshly built elections.db; any failure stops the swap."""

from __future__ import annotations

import sqlite_utils

from bot.elections.importers.errors import ImportFailed

SEATS_PER_GENERAL_ELECTION = 650


def problems(db: sqlite_utils.Database) -> list[str]:
    """Everything wrong with the built database, as sentences (empty when valid)."""
    found: list[str] = []
    q = db.conn.execute

    for eid, seats in q(
        """select e.id, count(c.seat_id) from elections e
           left join contests c on c.election_id = e.id
           where e.kind in ('general', 'notional') group by e.id"""
    ):
        if seats != SEATS_PER_GENERAL_ELECTION:
            found.append(f"{eid}: {seats} seats, expected {SEATS_PER_GENERAL_ELECTION}")

    for eid, name, valid, counted in q(
        """select c.election_id, s.name, c.valid_votes, coalesce(sum(r.votes), 0)
           from contests c join seats s on s.id = c.seat_id
           left join results r on r.election_id = c.election_id and r.seat_id = c.seat_id
           group by c.election_id, c.seat_id having c.valid_votes != coalesce(sum(r.votes), 0)
           limit 20"""
    ):
        found.append(f"{eid} {name}: candidates' votes add up to {counted:,}, "
                     f"but valid votes are {valid:,}")

    for eid, name, winners in q(
        """select c.election_id, s.name, (select count(*) from results r
               where r.election_id = c.election_id and r.seat_id = c.seat_id and r.won)
           from contests c join seats s on s.id = c.seat_id
           where (select count(*) from results r where r.election_id = c.election_id
                  and r.seat_id = c.seat_id and r.won) != 1 limit 20"""
    ):
        found.append(f"{eid} {name}: {winners} winners, expected 1")

    for (party,) in q(
        "select distinct party from results where party not in (select code from parties)"
    ):
        found.append(f"unknown party code {party!r}")

    missing = q(
        """select count(*) from seats s where s.boundaries = '2024' and not exists
           (select 1 from contests c where c.seat_id = s.id and c.election_id = 'ge2019n')"""
    ).fetchone()[0]
    if missing:
        found.append(f"{missing} 2024 seats have no notional 2019 result")
    return found


def validate(db: sqlite_utils.Database) -> None:
    if found := problems(db):
        raise ImportFailed("the data failed validation:\n  - " + "\n  - ".join(found))
