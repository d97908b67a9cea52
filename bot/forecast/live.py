"""The vote-share forecast for the coming election, as the bot uses it
(docs/preregistration.md): every seat's chances worked out once at import and read at
start-up (worked out again only when the polls change or a server's moderators change who
stands), from the 2024 result,
by-elections since, the newest polls and the published seat projections, with the
parameters fitted at import on every past election."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import sqlite_utils

from bot.forecast import store as forecast_store
from bot.forecast.inputs import NEXT, ForecastData, PollAverage
from bot.forecast.model import AGAINST_CON, SIDES, Forecast, SeatCase, Side
from bot.forecast.national_polls import NationalPoll
from bot.forecast.projection import key
from bot.forecast.shares import (
    MAJOR,
    OTHER,
    SeatInput,
    canonical,
    centre,
    chances,
    chances_key,
    forecast_party,
    moved_by_polls,
    params_digest,
    projected,
    seat_input,
)

STALE_AFTER_DAYS = 60
_CACHE_LIMIT = 10_000
DRIFT_DAYS = 365  # how far ahead the live forecast's national error looks


@dataclass(frozen=True)
class Field:
    """Who stands and who a pact backs, once the moderators' updates are applied."""

    standing: frozenset[str]
    designated: str


@dataclass(frozen=True)
class ModelView:
    """The forecast's chances and what they rest on, for the advice to state."""

    forecast: Forecast  # among the opponent's whole default bloc
    basis: str  # "the 2024 result, by-elections since, GB polls of 2026-04-07 ..."
    stale: str = ""  # a caveat when the polls are old
    case: SeatCase | None = None  # what the chances were worked out from, to explain them
    polls_area: str = "GB"  # the area of the polls applied: GB stands in for a nation
    parties: tuple[str, ...] = ()  # the forecast's parties standing here
    backed: Forecast | None = None  # among the parties the server backs, when fewer
    projection_labels: tuple[str, ...] = ()  # how answers name case.projected_by
    # the forecast's own terms, worked out with the chances (answers only read them): the
    # base, the base moved by the polls, the projections' weighted mean, the centre, and
    # each projection's shares by forecast party
    terms: Terms | None = None


@dataclass(frozen=True)
class Terms:
    base: Mapping[str, float]
    from_polls: Mapping[str, float]
    published: Mapping[str, float]
    centre: Mapping[str, float]
    projections: tuple[Mapping[str, float], ...]


class LiveForecasts:
    def __init__(self, db: sqlite_utils.Database) -> None:
        fitted = forecast_store.load(db)
        self.data = ForecastData(db)
        self.seat_ids = {code: sid for sid, (code, _n, _nat, b) in self.data.seats.items()
                         if b == "2024"}
        # the polls move between now and polling day too: a year's drift on top of the
        # final polls' own error (docs/preregistration.md, "the spread")
        self.params = None if fitted is None else replace(
            fitted, sigma_nat=math.hypot(fitted.sigma_nat, poll_drift(self.data.recent_polls)))
        self.fitted = fitted
        self._cache: dict[tuple, ModelView] = {}
        self._params_digest = params_digest(self.params) if self.params else ""
        self.known = forecast_store.load_chances(db)  # worked out at import
        self._worked_out: dict[str, Forecast] | None = None  # recorded for `ahead`

    @property
    def available(self) -> bool:
        return self.params is not None

    def poll(self, owners: NationalPoll | None, nation: str) -> PollAverage | None:
        """The owners' latest poll when it is newer than our file's, else our file's."""
        return self.poll_in_use(owners, nation)[0]

    def poll_in_use(self, owners: NationalPoll | None, nation: str
                    ) -> tuple[PollAverage | None, str]:
        """The poll a nation's answers rest on, and where it comes from."""
        ours, origin = self.newest(nation)
        if owners is not None and (ours is None or owners.date >= ours.date):
            return (PollAverage("next", owners.area, owners.date,
                                {key(p): v / 100 for p, v in owners.shares.items()},
                                (owners.source,)),
                    f"national poll #{owners.id}, set or imported by an owner")
        return ours, origin

    def newest(self, nation: str) -> tuple[PollAverage | None, str]:
        """The newest average of the polls since 2024, else the average shipped with the
        bot: the forecast always rests on the newest polls, however far they moved."""
        if self.data.recent_polls:
            newest = self.data.recent_polls[0]
            return newest, newest.made_of
        return (self.data.polls_for(NEXT.target, nation),
                "the average shipped with the bot (data/national_polls.csv)")

    def describe_polls(self, owners_by_nation: dict[str, NationalPoll | None],
                       on_record: list[NationalPoll],
                       quote: Callable[[str], str] = str) -> str:
        """Exactly what answers use, nation by nation, and the owners' polls on record: the
        one text `polls show` and `!polls` print."""
        used: dict[tuple, list[str]] = {}
        for nation in ("England", "Scotland", "Wales"):
            poll, origin = self.poll_in_use(owners_by_nation.get(nation), nation)
            if poll is not None:
                shares = ", ".join(f"{p} {v * 100:g}%" for p, v in
                                   sorted(poll.shares.items(), key=lambda kv: -kv[1]))
                line = f"{poll.area} polls of {poll.date}, {origin}: {shares}"
                used.setdefault((line,), []).append(nation)
        lines = ["Answers and projections use:"]
        lines += [f"- {', '.join(nations)}: {line}" for (line,), nations in used.items()]
        if not used:
            lines.append("- no national polls: the forecast rests on the last result")
        for pollster, day, reason in self.data.refused_polls:
            lines.append(f"Refused from the polls files: {pollster} {day}: {reason}")
        if on_record:
            lines.append("Owners' national polls on record (newest first; `polls delete ID` "
                         "retires one):")
            lines += [f"- #{p.id} {p.date} {p.area} {quote(p.pollster)}" for p in on_record[:10]]
            if len(on_record) > 10:
                lines.append(f"- … and {len(on_record) - 10} older")
        else:
            lines.append("No owner has set or imported a national poll.")
        return "\n".join(lines)

    def view(self, code: str, field: Field, owners: NationalPoll | None,
             today: date | None = None,
             projections: Mapping[str, Mapping[str, float]] | None = None,
             opponent: str = AGAINST_CON.opponent,
             bloc: tuple[str, ...] = AGAINST_CON.bloc) -> ModelView | None:
        """The seat's chances against `opponent`, among its default bloc and among the
        parties of `bloc` (None: no fitted forecast, no bloc the forecast knows for that
        opponent, or a seat outside Great Britain). `projections`: the seat projections
        loaded for it, label -> shares (none: the result and the polls)."""
        sid = self.seat_ids.get(code)
        if self.params is None or sid is None or not bloc or opponent not in SIDES:
            return None
        today = today or date.today()
        # the poll by what it says, not its id: services reading other guilds.db files
        # share this cache (bot.election_parts), and their ids mean other polls
        poll_key = (owners.area, owners.date, owners.source, tuple(sorted(owners.shares.items()))
                    ) if owners else None
        projection_key = tuple((label, tuple(sorted(shares.items())))
                               for label, shares in sorted((projections or {}).items()))
        cache_key = (code, field, poll_key, today, projection_key, opponent, bloc)
        view = self._cache.get(cache_key)
        if view is None:
            view = self._view(sid, field, owners, today, projections or {}, opponent, bloc)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[cache_key] = view
        return view

    def _view(self, sid: int, field: Field, owners: NationalPoll | None, today: date,
              projections: Mapping[str, Mapping[str, float]], opponent: str,
              bloc: tuple[str, ...]) -> ModelView | None:
        code, _name, nation, _b = self.data.seats[sid]
        whole = Side(opponent, tuple(p for p in MAJOR if p in SIDES[opponent].bloc))
        poll = self.poll(owners, nation)
        published = {**self.published_mrps(code, poll), **projections}
        case = self.data.case(NEXT, sid, standing=field.standing, poll=poll,
                              designated=field.designated, projections=published,
                              side=whole)
        if case is None:
            return None
        standing = forecast_parties(field.standing)
        seat = seat_input(case, standing, self.data.regions.get(sid, nation), self.params)
        found = self.chances(seat, whole)
        backed = None if bloc == whole.bloc else self.chances(seat, Side(opponent, bloc))
        labels = tuple(self.data.projection_labels.get(m, m) for m in case.projected_by)
        terms = Terms(canonical(case.base), moved_by_polls(case, standing, self.params.alpha),
                      projected(case, self.params.projection_weights),
                      centre(case, standing, self.params),
                      tuple(canonical(shares) for shares in case.projections))
        return ModelView(found, _basis(poll, labels), _stale(poll, today), case,
                         poll.area if poll is not None else "GB", standing,
                         backed, labels, terms)

    def chances(self, seat: SeatInput, side: Side) -> Forecast:
        """The seat's chances: those worked out at import when they rest on exactly the
        same inputs, else worked out now."""
        key = chances_key(seat, side, self._params_digest)
        found = self.known.get(key) or chances([seat], side, self.params)[seat.code]
        if self._worked_out is not None:
            self._worked_out[key] = found
        return found

    def ahead(self, fields: Mapping[str, Field]) -> dict[str, Forecast]:
        """Every seat's chances as a bot starts with them (no server's updates, no
        owner's poll or projection), by `chances_key`: what the import keeps."""
        self._worked_out = {}
        try:
            self.warm(dict(fields), {})
            return self._worked_out
        finally:
            self._worked_out = None

    def published_mrps(self, code: str, poll: PollAverage | None
                       ) -> dict[str, dict[str, float]]:
        """The next-election MRPs' shares in the seat, each moved (in points) by the change
        in the GB polls since its own national baseline; the SNP and Plaid Cymru, whose
        baselines are their nation's, are left as published."""
        found = self.data.projections.get((NEXT.target, code), {})
        out = {}
        for model, shares in found.items():
            baseline = self.data.baselines.get(model, {})
            moved = dict(shares)
            if poll is not None and poll.area == "GB":
                for party in ("Con", "Lab", "LD", "Green", "RUK"):
                    if party in shares and party in baseline and party in poll.shares:
                        moved[party] = max(shares[party] + poll.shares[party]
                                           - baseline[party], 0.0)
            out[model] = moved
        return out

    def warm(self, fields: dict[str, Field], owners_by_nation: dict[str, NationalPoll | None],
             projections: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None
             ) -> None:
        """Work out every seat's chances now, so no question waits for them."""
        for code, field in fields.items():
            nation = self.data.seats[self.seat_ids[code]][2] if code in self.seat_ids else ""
            self.view(code, field, owners_by_nation.get(nation),
                      projections=(projections or {}).get(code))


def forecast_parties(standing: frozenset[str]) -> tuple[str, ...]:
    """The forecast's parties among those standing (predecessors as their successors),
    and Other."""
    named = {forecast_party(p) for p in standing}
    return (*(p for p in MAJOR if p in named), OTHER)


def poll_drift(averages: list[PollAverage], days: int = DRIFT_DAYS) -> float:
    """How far the GB polls move in `days`: the root mean square change of each party's
    average over that span, over every pair of averages that far apart (0 without)."""
    changes = []
    by_day = sorted(averages, key=lambda a: a.date)
    for early in by_day:
        start = date.fromisoformat(early.date)
        later = next((a for a in by_day if (date.fromisoformat(a.date) - start).days >= days),
                     None)
        if later is None:
            break
        changes += [(later.shares[p] - early.shares[p]) ** 2 for p in MAJOR
                    if p in early.shares and p in later.shares]
    return math.sqrt(sum(changes) / len(changes)) if changes else 0.0


def _basis(poll: PollAverage | None, projections: tuple[str, ...] = ()) -> str:
    seat = f" and the seat projection{'s' * (len(projections) > 1)} " \
           f"{', '.join(projections)}" if projections else ""
    if poll is None:
        return f"the 2024 result (no national polls set){seat}"
    return f"the 2024 result, by-elections since, {poll.area} polls of {poll.date}{seat}"


def _stale(poll: PollAverage | None, today: date) -> str:
    if poll is None:
        return ""
    age = (today - date.fromisoformat(poll.date)).days
    if age <= STALE_AFTER_DAYS:
        return ""
    return (f"The national polls it uses are from {poll.date}, {age} days old: an owner can "
            "set newer ones with !polls set.")
