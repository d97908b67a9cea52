"""The seat model's inputs, read from elections.db: one `SeatCase` per GB seat for an
election pair, built only from what was known before that election's polling day
(results and by-elections before it, its final polls, and who stood: nominations close
three weeks before polling day), plus what actually happened, for fitting and scoring.

Older results reach 2024 seats through the official overlaps: a 2024 seat's share for a
party in 2017 is the population-weighted mean of its predecessor seats' shares.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.facts import fact
from bot.forecast.model import AGAINST_CON, SeatCase, Side, members
from bot.forecast.projection import key

POLLS_CSV = fact("national_polls.csv")


@dataclass(frozen=True)
class Pair:
    name: str  # the target year, "2015" ... "2024"
    base: str  # election ids
    target: str
    boundaries: str
    polling_day: str
    earlier: tuple[str, ...]  # older general elections, newest first (2010 boundaries)


PAIRS = {
    "2015": Pair("2015", "ge2010", "ge2015", "2010", "2015-05-07", ()),
    "2017": Pair("2017", "ge2015", "ge2017", "2010", "2017-06-08", ("ge2010",)),
    "2019": Pair("2019", "ge2017", "ge2019", "2010", "2019-12-12", ("ge2015", "ge2010")),
    "2024": Pair("2024", "ge2019n", "ge2024", "2024", "2024-07-04", ("ge2017", "ge2015")),
}
# The coming election: the 2024 result (with by-elections since) is the base.
NEXT = Pair("next", "ge2024", "next", "2024", "9999-12-31", ("ge2019n", "ge2017"))


@dataclass(frozen=True)
class PollAverage:
    election_id: str
    area: str
    date: str  # the latest fieldwork date among the polls averaged
    shares: dict[str, float]  # fractions by swing key
    sources: tuple[str, ...]
    made_of: str = ""  # how an average was taken, said to voters ("the latest poll of ...")


def load_polls(path: Path = POLLS_CSV) -> dict[tuple[str, str], PollAverage]:
    """(election id, area) -> the mean of the final polls listed for it; a party a poll
    does not report is averaged over the polls that do."""
    rows: dict[tuple[str, str], list[dict]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[(row["election_id"], row["area"])].append(row)
    out = {}
    for (election, area), group in rows.items():
        by_party: dict[str, list[float]] = defaultdict(list)
        for row in group:
            by_party[key(row["party"])].append(float(row["share"]) / 100)
        out[(election, area)] = PollAverage(
            election, area, max(r["date"] for r in group),
            {p: sum(v) / len(v) for p, v in sorted(by_party.items())},
            tuple(dict.fromkeys(r["source"].split(" ", 1)[0] for r in group)))
    return out


def _poll_averages(db: sqlite_utils.Database) -> list[PollAverage]:
    """The GB averages taken at import from the polls since 2024, newest first (none: an
    elections.db built without them, or the test fixture)."""
    if "poll_average" not in db.table_names():
        return []
    by_day: dict[str, list[tuple]] = defaultdict(list)
    for row in db.conn.execute("select date, party, share, pollsters, window_days from "
                               "poll_average where area = 'GB'"):
        by_day[row[0]].append(row)
    out = []
    for day, rows in sorted(by_day.items(), reverse=True):
        pollsters, window = tuple(rows[0][3].split("; ")), rows[0][4]
        out.append(PollAverage(
            "next", "GB", day, {key(p): s / 100 for _d, p, s, _n, _w in rows}, pollsters,
            f"the latest poll of each of {len(pollsters)} pollsters in the {window} days to "
            f"{day}, less each pollster's house effect, the newest weighing most: "
            f"{', '.join(pollsters)}"))
    return out


@dataclass(frozen=True)
class Outcome:
    best_bloc: str | None  # the bloc party that finished highest of the bloc
    opponent_top_two: bool
    opponent_stood: bool


class ForecastData:
    """Bulk reads of elections.db for building cases (a few queries, not one per seat)."""

    def __init__(self, db: sqlite_utils.Database, polls_csv: Path = POLLS_CSV) -> None:
        q = db.conn.execute
        self.seats = {sid: (code, name, nation, b) for sid, code, name, nation, b
                      in q("select id, code, name, nation, boundaries from seats")}
        self.regions = dict(q("select id, region from seats"))
        self.elections = {eid: (kind, date) for eid, kind, date
                          in q("select id, kind, date from elections")}
        self.results: dict[tuple[str, int], dict[str, tuple[float, int]]] = defaultdict(dict)
        for eid, sid, party, share, won in q(
                "select election_id, seat_id, party, share, won from results"):
            shares = self.results[(eid, sid)]
            k = key(party)
            old = shares.get(k, (0.0, 0))
            shares[k] = (old[0] + share, old[1] or won)
        self.byelection_ids: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for eid, sid in q("""select c.election_id, c.seat_id from contests c join elections e
                             on e.id = c.election_id where e.kind = 'by-election'"""):
            self.byelection_ids[sid].append((self.elections[eid][1], eid))
        self.predecessors: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for old, new, weight in q(
                "select old_seat_id, new_seat_id, new_population_share from overlaps"):
            self.predecessors[new].append((old, weight))
        self.pacts = {(eid, sid): designated or "" for eid, sid, designated
                      in q("select election_id, seat_id, designated from pacts")}
        self.leave = _leave(db)
        self.projections = _projections(db)
        # each next-election MRP's national shares when it was made, and its name
        self.baselines, self.projection_labels = _baselines(db)
        self.local = _local(db)
        self.polls = load_polls(polls_csv) if polls_csv.exists() else {}
        # the averages of the polls since 2024, newest first: the live model rests on the
        # newest whose changes since 2024 it has learned from (forecast.live)
        self.recent_polls = _poll_averages(db)
        self.refused_polls = (db.conn.execute(
            "select pollster, date, reason from polls_refused order by date desc").fetchall()
            if "polls_refused" in db.table_names() else [])
        self._nation_cache: dict[tuple[str, str], dict[str, float]] = {}

    # -- shares ---------------------------------------------------------------------
    def shares(self, election: str, seat_id: int) -> dict[str, float]:
        return {p: s for p, (s, _w) in self.results.get((election, seat_id), {}).items()}

    def winner(self, election: str, seat_id: int) -> str:
        return next((p for p, (_s, w) in self.results.get((election, seat_id), {}).items()
                     if w), "")

    def mapped_shares(self, election: str, seat_id: int) -> dict[str, float]:
        """A seat's shares at an election on other boundaries, through the overlaps."""
        if (election, seat_id) in self.results:
            return self.shares(election, seat_id)
        out: dict[str, float] = defaultdict(float)
        total = 0.0
        for old, weight in self.predecessors.get(seat_id, ()):
            shares = self.shares(election, old)
            if shares:
                total += weight
                for p, s in shares.items():
                    out[p] += weight * s
        return {p: s / total for p, s in out.items()} if total else {}

    def nation_shares(self, election: str, area: str) -> dict[str, float]:
        """Actual shares at an election in a nation ("GB": Great Britain), by swing key."""
        cache_key = (election, area)
        if cache_key not in self._nation_cache:
            votes: dict[str, float] = defaultdict(float)
            for (eid, sid), shares in self.results.items():
                nation = self.seats[sid][2]
                if eid != election or nation == "Northern Ireland":
                    continue
                if area in ("GB", nation):
                    for p, (s, _w) in shares.items():
                        votes[p] += s  # each seat weighs the same: close enough for swing
            total = sum(votes.values()) or 1.0
            self._nation_cache[cache_key] = {p: v / total for p, v in votes.items()}
        return self._nation_cache[cache_key]

    def polls_for(self, election: str, nation: str) -> PollAverage | None:
        return self.polls.get((election, nation)) or self.polls.get((election, "GB"))

    # -- cases ----------------------------------------------------------------------
    def byelections(self, seat_id: int, after: str, before: str
                    ) -> tuple[dict[str, float], float, str]:
        """The latest by-election on the seat (or, weighted, on a predecessor) between
        two dates: its shares, the share of the seat's people it covered, its winner."""
        places = [(1.0, seat_id), *((w, old) for old, w in self.predecessors.get(seat_id, ()))]
        found = [(day, weight, eid, sid) for weight, sid in places
                 for day, eid in self.byelection_ids.get(sid, ()) if after < day < before]
        if not found:
            return {}, 0.0, ""
        day, weight, eid, sid = max(found)
        return self.shares(eid, sid), weight, self.winner(eid, sid)

    def case(self, pair: Pair, seat_id: int, standing: Iterable[str] | None = None,
             poll: PollAverage | None = None, designated: str | None = None,
             projections: Mapping[str, Mapping[str, float]] | None = None,
             side: Side = AGAINST_CON) -> SeatCase | None:
        """The seat as it stood before the pair's polling day. `projections` (label ->
        shares) stands in for the ones published for the election, as owners load them
        for the coming one."""
        code, name, nation, boundaries = self.seats[seat_id]
        if nation == "Northern Ireland" or boundaries != pair.boundaries:
            return None
        base = self.shares(pair.base, seat_id)
        if not base:
            return None
        base_day = self.elections[pair.base][1]
        by, weight, by_winner = self.byelections(seat_id, base_day, pair.polling_day)
        if standing is None:
            standing = self.shares(pair.target, seat_id).keys()
        if poll is None or poll.area not in ("GB", nation):
            poll = self.polls_for(pair.target, nation)
        area = poll.area if poll else "GB"
        before = self.nation_shares(pair.base, area)
        earlier: dict[str, float] = {}
        for election in pair.earlier:
            for p, s in self.mapped_shares(election, seat_id).items():
                earlier[p] = max(earlier.get(p, 0.0), s)
        base = self._fill_stand_asides(pair, seat_id, base, area, side.bloc)
        if by:  # the latest vote counts, in proportion to the people who cast it
            # (in the dicts' own order: summed in a set's, shares differ by process)
            base = {p: weight * by.get(p, 0.0) + (1 - weight) * base.get(p, 0.0)
                    for p in {**base, **by}}
        leave = self._leave_for(seat_id)
        holder = by_winner if by and weight >= 0.5 else self.winner(pair.base, seat_id)
        standing_set = frozenset(standing)
        return SeatCase(
            code=code, name=name, nation=nation, base=base,
            standing=frozenset(p for p in side.bloc if p in standing_set),
            polls_before=before, polls_after=poll.shares if poll else before,
            earlier=earlier if pair.earlier else {}, byelection=by,
            byelection_weight=weight if by else 0.0, holder=holder, leave=leave,
            designated=(designated if designated is not None
                        else self.pacts.get((pair.target, seat_id), "")),
            opponent_standing=bool(members(side.opponent) & standing_set), side=side,
            **self._projected(projections if projections is not None
                              else self.projections.get((pair.target, code))),
            **self._local_for(pair.target, code),
        )

    def _local_for(self, election: str, code: str) -> dict:
        found = self.local.get((election, code))
        if found is None:
            return {}
        shares, coverage, years = found
        return {"local": shares, "local_coverage": coverage, "local_years": years}

    @staticmethod
    def _projected(models: Mapping[str, Mapping[str, float]] | None) -> dict:
        """The mean share by party over the models published that cover it (each model's
        latest release), and which models they are."""
        if not models:
            return {}
        parties = dict.fromkeys(p for m in sorted(models) for p in models[m])
        mean = {p: statistics.fmean(s[p] for s in models.values() if p in s)
                for p in parties}
        return {"projections": tuple(models[m] for m in sorted(models)), "projected": mean,
                "projected_by": tuple(sorted(models))}

    def _fill_stand_asides(self, pair: Pair, seat_id: int, base: dict[str, float],
                           area: str, bloc: tuple[str, ...]) -> dict[str, float]:
        """A bloc party missing from the base election (it stood aside, say for a pact)
        gets its share from the election before, moved by its national change since."""
        if not pair.earlier:
            return base
        previous = pair.earlier[0]
        old = self.mapped_shares(previous, seat_id)
        then, now = self.nation_shares(previous, area), self.nation_shares(pair.base, area)
        filled = dict(base)
        for p in bloc:
            if p not in base and old.get(p) and then.get(p):
                filled[p] = old[p] * now.get(p, 0.0) / then[p]
        return filled

    def _leave_for(self, seat_id: int) -> float | None:
        code, _n, _nat, boundaries = self.seats[seat_id]
        if boundaries == "2010":
            return self.leave.get(code)
        pairs = [(w, self.leave.get(self.seats[old][0]))
                 for old, w in self.predecessors.get(seat_id, ())]
        pairs = [(w, v) for w, v in pairs if v is not None]
        total = sum(w for w, _v in pairs)
        return sum(w * v for w, v in pairs) / total if total else None

    def outcome(self, pair: Pair, seat_id: int, side: Side = AGAINST_CON) -> Outcome:
        shares = self.shares(pair.target, seat_id)
        bloc = sorted((p for p in shares if p in side.bloc), key=lambda p: -shares[p])
        ranked = sorted(shares, key=lambda p: -shares[p])
        opponents = members(side.opponent)
        return Outcome(bloc[0] if bloc else None, bool(opponents & set(ranked[:2])),
                       bool(opponents & set(shares)))

    def pair_cases(self, pair: Pair, side: Side = AGAINST_CON
                   ) -> list[tuple[SeatCase, Outcome]]:
        """Every GB seat of the pair with what happened (fitting and scoring)."""
        out = []
        for sid in sorted(self.seats, key=lambda s: self.seats[s][0]):
            case = self.case(pair, sid, side=side)
            if case is not None:
                out.append((case, self.outcome(pair, sid, side)))
        return out


def _projections(db: sqlite_utils.Database
                 ) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    """(election, seat code) -> model -> its latest release's shares."""
    if "seat_projections" not in db.table_names():
        return {}
    out: dict[tuple[str, str], dict[str, dict[str, float]]] = defaultdict(dict)
    latest = dict(((e, m), d) for e, m, d in db.conn.execute(
        "select election_id, model, max(published) from seat_projections group by 1, 2"))
    for election, model, published, code, party, share in db.conn.execute(
            "select election_id, model, published, seat_code, party, share "
            "from seat_projections"):
        if latest[(election, model)] == published:
            out[(election, code)].setdefault(model, {})[party] = share
    return dict(out)


def _baselines(db: sqlite_utils.Database
               ) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """model -> its national baseline shares, and model -> how answers name it."""
    if "projection_baselines" not in db.table_names():
        return {}, {}
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    labels = {}
    for model, label, party, share in db.conn.execute(
            "select model, label, party, share from projection_baselines"):
        shares[model][party] = share
        labels[model] = label
    return dict(shares), labels


def _local(db: sqlite_utils.Database
           ) -> dict[tuple[str, str], tuple[dict[str, float], float, str]]:
    """(election, seat code) -> council vote shares in its wards, coverage, years."""
    if "local_strength" not in db.table_names():
        return {}
    out: dict[tuple[str, str], tuple[dict[str, float], float, str]] = {}
    for election, code, party, share, coverage, years in db.conn.execute(
            "select election_id, seat_code, party, share, coverage, years "
            "from local_strength"):
        out.setdefault((election, code), ({}, coverage, years))[0][party] = share
    return out


def _leave(db: sqlite_utils.Database) -> dict[str, float]:
    if "leave_estimates" not in db.table_names():
        return {}
    return dict(db.conn.execute("select seat_code, leave from leave_estimates"))
