"""By-elections as a benchmark: the advice the bot would have given the day before each
GB by-election since 2017, from what was known then (the general election before it,
earlier by-elections on the seat, pacts), scored like the general elections: where the
opponent finished first or second, naming the party that came top of the bloc is right,
any other is wrong, no call counts nothing (net = right - 3 x wrong).

Who stood is known (nominations close weeks before polling day): a party that did not
stand is withdrawn from the call. The last-result rule only: the seat model needs national
polls of the day before, and the polls we hold are the final ones before each general
election.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.advice.rules import DEFAULT_OPTIONS, AdviceOptions, advise
from bot.elections.seats import ElectionData, SeatRecord
from bot.evaluation import scorecard
from bot.forecast.inputs import Outcome
from bot.forecast.model import BLOC
from bot.models import Contest, SeatUpdate

FIRST = "2017-01-01"


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
    best = next((p for p in ranked if p in BLOC), None)
    return Outcome(best, options.opponent in ranked[:2], options.opponent in ranked)


def score(found: list[ByelectionCall]) -> scorecard.Score:
    picked = {c.election_id: c.call for c in found}
    return scorecard.score("by-elections", "last-result", picked,
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
