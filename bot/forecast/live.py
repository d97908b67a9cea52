"""The seat model for the coming election, as the bot uses it: every seat's chances worked
out once at start-up (and again only when the polls change or a server's moderators
change who stands), from the 2024 result, by-elections since, and the latest polls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from bot.forecast import store as forecast_store
from bot.forecast.inputs import NEXT, PAIRS, ForecastData, PollAverage
from bot.forecast.model import (
    AGAINST_CON,
    BLOC,
    OPPONENT,
    SIDES,
    Forecast,
    Model,
    SeatCase,
    forecast,
)
from bot.forecast.national_polls import NationalPoll
from bot.forecast.projection import key

STALE_AFTER_DAYS = 60
# (party, share at the last election, in the polls, least and most ratio learned)
Beyond = tuple[str, float, float, float, float]
_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class Field:
    """Who stands and who a pact backs, once the moderators' updates are applied."""

    standing: frozenset[str]
    designated: str


@dataclass(frozen=True)
class ModelView:
    """The seat model's forecast and what it rests on, for the advice to state."""

    forecast: Forecast
    basis: str  # "the 2024 result and GB polls of 2025-06-14 (...)"
    stale: str = ""  # a caveat when the polls are old
    case: SeatCase | None = None  # what the chances were worked out from, to explain them
    model: Model | None = None
    # when the polls move a party further since the last election than any change the
    # model was fitted on
    beyond: Beyond | None = None
    polls_area: str = "GB"  # the area of the polls applied: GB stands in for a nation


class LiveForecasts:
    def __init__(self, db: sqlite_utils.Database) -> None:
        # each side's model: against the Conservatives (self.model), Reform UK, ...
        self.models = {side.opponent: found for side in SIDES.values()
                       if (found := forecast_store.load(db, side.model_name)) is not None}
        self.model = self.models.get(AGAINST_CON.opponent)
        self.data = ForecastData(db)
        self.seat_ids = {code: sid for sid, (code, _n, _nat, b) in self.data.seats.items()
                         if b == "2024"}
        self._cache: dict[tuple, ModelView] = {}
        self.swings = poll_swings(self.data)

    @property
    def available(self) -> bool:
        return self.model is not None

    def poll(self, owners: NationalPoll | None, nation: str) -> PollAverage | None:
        """The owners' latest poll when it is newer than our file's, else our file's."""
        return self.poll_in_use(owners, nation)[0]

    def poll_in_use(self, owners: NationalPoll | None, nation: str
                    ) -> tuple[PollAverage | None, str]:
        """The poll a nation's answers rest on, and where it comes from."""
        ours, origin = self.newest_learned(nation)
        if owners is not None and (ours is None or owners.date >= ours.date):
            return (PollAverage("next", owners.area, owners.date,
                                {key(p): v / 100 for p, v in owners.shares.items()},
                                (owners.source,)),
                    f"national poll #{owners.id}, set or imported by an owner")
        return ours, origin

    def newest_learned(self, nation: str) -> tuple[PollAverage | None, str]:
        """The newest average of the polls since 2024 whose change from the 2024 result
        the model has learned from (within the swings of the elections it was fitted on),
        else the average shipped with the bot."""
        shipped = self.data.polls_for(NEXT.target, nation)
        for average in self.data.recent_polls:
            if shipped is not None and average.date <= shipped.date:
                break
            if self._moved_beyond(average) is None:
                return average, average.made_of
        return shipped, "the average shipped with the bot (data/national_polls.csv)"

    def newer_beyond(self, poll: PollAverage | None
                     ) -> tuple[PollAverage, Beyond] | None:
        """The newest average of the polls, when it is newer than `poll` but moves a party
        beyond what the model learned (so answers do not rest on it): it, and how."""
        newest = self.data.recent_polls[0] if self.data.recent_polls else None
        if newest is None or (poll is not None and newest.date <= poll.date):
            return None
        beyond = self._moved_beyond(newest)
        return (newest, beyond) if beyond else None

    def _moved_beyond(self, poll: PollAverage) -> Beyond | None:
        return self._outside(self.data.nation_shares(NEXT.base, poll.area), poll.shares)

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
            lines.append("- no national polls: the seat model rests on the last result")
        newer = self.newer_beyond(self.poll(owners_by_nation.get("England"), "England"))
        if newer is not None:
            lines.append(f"Newer, not used: {newer_words(*newer)}")
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
             opponent: str = AGAINST_CON.opponent) -> ModelView | None:
        """The seat's forecast against `opponent` (None: no model against that party).
        `projections`: the owners' seat projections for it, label -> shares (none loaded:
        the result and the polls alone)."""
        sid = self.seat_ids.get(code)
        model = self.models.get(opponent)
        if model is None or sid is None:
            return None
        today = today or date.today()
        # the poll by what it says, not its id: services reading other guilds.db files
        # share this cache (bot.election_parts), and their ids mean other polls
        poll_key = (owners.area, owners.date, owners.source, tuple(sorted(owners.shares.items()))
                    ) if owners else None
        projection_key = tuple((label, tuple(sorted(shares.items())))
                               for label, shares in sorted((projections or {}).items()))
        cache_key = (code, field, poll_key, today, projection_key, opponent)
        view = self._cache.get(cache_key)
        if view is None:
            poll = self.poll(owners, self.data.seats[sid][2])
            case = self.data.case(NEXT, sid, standing=field.standing, poll=poll,
                                  designated=field.designated, projections=projections or {},
                                  side=SIDES[opponent])
            if case is None:
                return None
            newer = self.newer_beyond(poll)
            view = ModelView(forecast(case, model), _basis(poll, case.projected_by),
                             " ".join(filter(None, (_stale(poll, today), newer and (
                                 "Newer polls are not used: " + newer_words(*newer, full=False))))),
                             case, model, self._beyond(case),
                             poll.area if poll is not None else "GB")
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[cache_key] = view
        return view

    def _beyond(self, case: SeatCase) -> Beyond | None:
        return self._outside(case.polls_before, case.polls_after)

    def _outside(self, before: Mapping[str, float], after: Mapping[str, float]
                 ) -> Beyond | None:
        """The first party the polls move further since the last election than in any
        election the model was fitted on (its chances are then an extrapolation)."""
        for party in (*BLOC, OPPONENT):
            was, now = before.get(party, 0.0), after.get(party)
            known = self.swings.get(party)
            if now is None or was < MIN_SHARE or known is None:
                continue
            if not known[0] <= now / was <= known[1]:
                return party, was, now, *known
        return None

    def warm(self, fields: dict[str, Field], owners_by_nation: dict[str, NationalPoll | None],
             projections: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None
             ) -> None:
        """Work out every seat's chances now, so no question waits for them."""
        for code, field in fields.items():
            nation = self.data.seats[self.seat_ids[code]][2] if code in self.seat_ids else ""
            self.view(code, field, owners_by_nation.get(nation),
                      projections=(projections or {}).get(code))


MIN_SHARE = 0.02  # a party this small nationally moves by large ratios for no reason


def poll_swings(data: ForecastData) -> dict[str, tuple[float, float]]:
    """Per party, the smallest and largest ratio of its final polls to its last result, in
    each nation, over the elections the model is fitted on."""
    out: dict[str, tuple[float, float]] = {}
    for pair in PAIRS.values():
        for area in ("GB", "Scotland", "Wales"):
            poll = data.polls.get((pair.target, area))
            if poll is None:
                continue
            before = data.nation_shares(pair.base, area)
            for party in (*BLOC, OPPONENT):
                after, was = poll.shares.get(party), before.get(party, 0.0)
                if after is None or was < MIN_SHARE:
                    continue
                low, high = out.get(party, (after / was, after / was))
                out[party] = (min(low, after / was), max(high, after / was))
    return out


def newer_words(poll: PollAverage, beyond: Beyond, *, full: bool = True) -> str:
    """Why the newest polls are not what answers rest on."""
    party, was, now, low, high = beyond
    shares = ", ".join(f"{p} {v * 100:g}%" for p, v in
                       sorted(poll.shares.items(), key=lambda kv: -kv[1]))
    made_of = poll.made_of if full else f"{len(poll.sources)} pollsters"
    return (f"{poll.area} polls of {poll.date} ({made_of}: {shares}) put {party} at "
            f"{now / was:.2f} times its 2024 share (averaged over seats, {was:.0%}): beyond "
            f"any change the model learned from ({low:.2f} to {high:.2f} times), so answers "
            "rest on the newest polls within it.")


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
