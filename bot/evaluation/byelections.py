"""By-elections as a benchmark: the advice the bot would have given the day before each
GB by-election since 2017, from what was known then (the general election before it,
earlier by-elections on the seat, pacts), scored like the general elections: where the
opponent finished first or second, naming the party that came top of the bloc is right,
any other is wrong, no call counts nothing (net = right - 3 x wrong).

Who stood is known (nominations close weeks before polling day): a party that did not
stand is withdrawn from the call. The last-result rule is scored on every by-election; the
vote-share forecast on those since 2024 with polls in the four weeks before them (the polls
we hold before that are the final ones before each general election): the seat's 2024
result (and any by-election since) moved by those polls, with the parameters fitted on the
general elections 2015-2024. The next-election MRPs are left out: when each was published
is not stated to the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.advice.rules import DEFAULT_OPTIONS, AdviceOptions, advise
from bot.elections.seats import ElectionData, SeatRecord
from bot.evaluation import scorecard
from bot.forecast.inputs import ForecastData, Outcome, Pair
from bot.forecast.live import forecast_parties
from bot.forecast.model import BLOC, SIDES, Side, members
from bot.forecast.shares import ShareParams, chances, seat_input
from bot.models import Contest, SeatUpdate

FIRST = "2017-01-01"
LAST_GENERAL = "2024-07-04"
POLLS_WITHIN_DAYS = 28  # the forecast needs polls of the weeks before the by-election


@dataclass(frozen=True)
class ByelectionCall:
    election_id: str
    seat: str
    date: str
    call: str | None  # the party the bot would have named, or None
    verdict: str
    outcome: Outcome


def calls(data: ElectionData, options: AdviceOptions = DEFAULT_OPTIONS
          ) -> list[ByelectionCall]:
    out = []
    for eid, (kind, day, _name, boundaries) in sorted(data.elections.items(),
                                                      key=lambda kv: kv[1][1]):
        if kind != "by-election" or day < FIRST:
            continue
        for result in _contests(data, eid):
            if result.seat.nation == "Northern Ireland":
                continue
            record = data.record(result.seat.code, before=day, boundaries=boundaries,
                                 target=eid)
            if record is None:
                continue
            advice = advise(record, data.parties, options, nominations(record, result, day))
            out.append(ByelectionCall(eid, result.seat.name, day, advice.recommended_party,
                                      advice.verdict, outcome(result, options)))
    return out


def nominations(record: SeatRecord, result: Contest, day: str) -> list[SeatUpdate]:
    """Who stands is public once nominations close, weeks before polling day: a party of
    the last result that did not stand is withdrawn, as a moderator would post it."""
    stood = {c.party for c in result.candidates}
    gone = sorted({c.party for c in record.latest.candidates} - stood)
    return [SeatUpdate(-n, None, result.seat.code, "withdraw", party, {}, 0, "nominations",
                       day, None) for n, party in enumerate(gone, start=1)]


def _contests(data: ElectionData, election_id: str) -> list[Contest]:
    seat_ids = [sid for (sid,) in data.db.conn.execute(
        "select seat_id from contests where election_id = ?", (election_id,))]
    return [c for sid in seat_ids for c in data.contests(sid, [election_id])]


def outcome(result: Contest, options: AdviceOptions) -> Outcome:
    ranked = [c.party for c in result.candidates]
    bloc = SIDES[options.opponent].bloc if options.opponent in SIDES else BLOC
    best = next((p for p in ranked if p in bloc), None)
    opponents = members(options.opponent)
    return Outcome(best, bool(opponents & set(ranked[:2])), bool(opponents & set(ranked)))


def forecast_calls(data: ElectionData, fdata: ForecastData, params: ShareParams,
                   options: AdviceOptions) -> list[ByelectionCall]:
    """The forecast's call the day before each by-election since 2024 with polls in the
    four weeks before it."""
    side = Side(options.opponent, SIDES[options.opponent].bloc)
    ids = {code: sid for sid, (code, _n, _nat, b) in fdata.seats.items() if b == "2024"}
    out = []
    for eid, (kind, day, _name, _b) in sorted(data.elections.items(), key=lambda kv: kv[1][1]):
        poll = next((a for a in fdata.recent_polls if a.date < day), None)
        if kind != "by-election" or day <= LAST_GENERAL or poll is None or (
                date.fromisoformat(day) - date.fromisoformat(poll.date)).days \
                > POLLS_WITHIN_DAYS:
            continue
        for result in _contests(data, eid):
            sid = ids.get(result.seat.code)
            if sid is None or result.seat.nation == "Northern Ireland":
                continue
            stood = frozenset(c.party for c in result.candidates)
            case = fdata.case(Pair("by", "ge2024", eid, "2024", day, ()), sid, standing=stood,
                              poll=poll, projections={}, side=side)
            seat = seat_input(case, forecast_parties(stood),
                              fdata.regions.get(sid, result.seat.nation), params)
            found = chances([seat], side, params)[result.seat.code]
            out.append(ByelectionCall(eid, result.seat.name, day, found.call, found.verdict,
                                      outcome(result, options)))
    return out


def score(found: list[ByelectionCall], model: str = "last-result") -> scorecard.Score:
    picked = {c.election_id: c.call for c in found}
    return scorecard.score("by-elections", model, picked,
                           {c.election_id: c.outcome for c in found})


def format_calls(found: list[ByelectionCall]) -> str:
    """One line per by-election: the call the day before, and who came top of the bloc."""
    lines = []
    for c in found:
        mark = "" if not c.outcome.opponent_top_two or not c.call else (
            "right" if c.call == c.outcome.best_bloc else "WRONG")
        lines.append(f"{c.date}  {c.seat[:34]:<34} {c.call or c.verdict:<28} "
                     f"top of the bloc: {c.outcome.best_bloc or '-':<6} {mark}")
    return "\n".join(lines)
