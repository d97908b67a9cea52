"""Everything the advice needs about one seat, read from elections.db.

`ElectionData` loads the current picture of all 650 seats once (a few thousand rows), so
answering a query touches no disk. `record(..., before=DATE)` rebuilds the picture as it
was before an election, for backtests: only results dated before DATE are used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlite_utils

from bot.models import CandidateResult, Contest, Pact, SeatRef


@dataclass(frozen=True)
class Party:
    code: str
    name: str
    colour: str
    bloc: bool


@dataclass(frozen=True)
class SeatRecord:
    seat: SeatRef
    general: Contest  # the last general election (the notional 2019 one in a 2024 backtest)
    notional: Contest | None  # the 2019 result recast on 2024 boundaries
    byelections: tuple[Contest, ...]  # since `general`, oldest first
    pacts: tuple[Pact, ...]  # pacts agreed for the coming election
    redrawn: bool  # the 2024 boundary review changed this seat

    @property
    def latest(self) -> Contest:
        return self.byelections[-1] if self.byelections else self.general

    @property
    def stood(self) -> frozenset[str]:
        """Who stands at the next general election before any moderator's update: its
        last candidates, and any party that has stood in a by-election since (one that
        stood aside in a by-election still stands)."""
        return frozenset({c.party for c in self.general.candidates}
                         | {c.party for c in self.latest.candidates})


class ElectionData:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        q = db.conn.execute
        self.parties = {code: Party(code, name, colour, bool(bloc)) for code, name, colour, bloc
                        in q("select code, name, colour, bloc from parties")}
        self.seats = {sid: SeatRef(code, name, nation, b) for sid, code, name, nation, b
                      in q("select id, code, name, nation, boundaries from seats")}
        self.seat_ids = {(s.code, s.boundaries): sid for sid, s in self.seats.items()}
        self.elections = {eid: (kind, date, name, b) for eid, kind, date, name, b
                          in q("select id, kind, date, name, boundaries from elections")}
        # a 2024 seat is unchanged when one old seat became it whole and nothing else
        self.unchanged = {new for (new,) in q(
            """select new_seat_id from overlaps group by new_seat_id having count(*) = 1
               and min(old_population_share) > 0.99 and min(new_population_share) > 0.99""")}
        self.data_date = q("select max(date) from elections").fetchone()[0]
        self.current = {self.seats[sid].code: rec for sid in self.seats
                        if self.seats[sid].boundaries == "2024"
                        and (rec := self._record(sid, None, None)) is not None}

    def national_votes(self, election_id: str) -> dict[str, int]:
        """Great Britain's votes by party at an election (Northern Ireland left out)."""
        return dict(self.db.conn.execute(
            """select r.party, sum(r.votes) from results r join seats s on s.id = r.seat_id
               where r.election_id = ? and s.nation != 'Northern Ireland'
               group by r.party""", (election_id,)).fetchall())

    def seat_id(self, code: str, boundaries: str = "2024") -> int | None:
        return self.seat_ids.get((code, boundaries))

    def record(self, code: str, *, before: str | None = None, boundaries: str = "2024",
               target: str | None = None) -> SeatRecord | None:
        """The seat as of now, or as it stood before the election on date `before`
        (`target`: that election's id, whose announced pacts are then known)."""
        if before is None and boundaries == "2024":
            return self.current.get(code)
        sid = self.seat_id(code, boundaries)
        return None if sid is None else self._record(sid, before, target)

    def contests(self, seat_id: int, election_ids: list[str] | None = None) -> list[Contest]:
        """Every contest on the seat (or those named), oldest first."""
        where, params = "c.seat_id = ?", [seat_id]
        if election_ids is not None:
            where += f" and c.election_id in ({','.join('?' * len(election_ids))})"
            params += election_ids
        rows = self.db.conn.execute(
            f"""select c.election_id, c.valid_votes, c.electorate, c.majority, c.result,
                       r.party, r.candidate, r.votes, r.share, r.position, r.won, r.coop
                from contests c join results r on r.election_id = c.election_id
                     and r.seat_id = c.seat_id
                where {where} order by r.position""", params).fetchall()
        grouped: dict[str, list] = defaultdict(list)
        for row in rows:
            grouped[row[0]].append(row)
        contests = [self._contest(seat_id, eid, group) for eid, group in grouped.items()]
        return sorted(contests, key=lambda c: (c.date, c.kind != "notional"))

    def _contest(self, seat_id: int, election_id: str, rows: list) -> Contest:
        kind, date, name, _b = self.elections[election_id]
        _eid, valid, electorate, majority, result = rows[0][:5]
        return Contest(
            election_id, name, kind, date, self.seats[seat_id], valid, electorate, majority,
            self.result_in_words(result), tuple(
                CandidateResult(party, self.party(party).name, candidate, votes, share,
                                position, bool(won), bool(coop))
                for *_, party, candidate, votes, share, position, won, coop in rows),
        )

    def result_in_words(self, result: str | None) -> str | None:
        """"RUK Hold" -> "Reform UK hold": the sources write results in party codes."""
        if not result:
            return result
        words = {"hold": "hold", "gain": "gain", "from": "from"}
        return " ".join(words.get(w.casefold()) or self.party(w).name for w in result.split())

    def party(self, code: str) -> Party:
        return self.parties.get(code) or Party(code, code, "#AAAAAA", False)

    def _record(self, seat_id: int, before: str | None, target: str | None
                ) -> SeatRecord | None:
        contests = [c for c in self.contests(seat_id) if before is None or c.date < before]
        generals = [c for c in contests if c.kind in ("general", "notional")]
        if not generals:
            return None
        general = generals[-1]
        notional = next((c for c in contests if c.kind == "notional"), None)
        byelections = tuple(c for c in contests
                            if c.kind == "by-election" and c.date > general.date)
        seat = self.seats[seat_id]
        pacts = self.pacts_for(seat_id, target) if target else ()
        redrawn = seat.boundaries == "2024" and seat_id not in self.unchanged
        return SeatRecord(seat, general, notional, byelections, pacts, redrawn)

    def pacts_for(self, seat_id: int, election_id: str) -> tuple[Pact, ...]:
        return tuple(
            Pact(designated or "", tuple(p for p in aside.split(";") if p), pact, election_id,
                 notes, tuple(s.strip() for s in source.split(" ; ") if s.strip()))
            for designated, aside, pact, notes, source in self.db.conn.execute(
                """select designated, standing_aside, pact, notes, source from pacts
                   where seat_id = ? and election_id = ?""", (seat_id, election_id))
        )
