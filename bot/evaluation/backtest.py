"""How right is the advice? Replay it for an election from what was known before polling day.

For each seat where the opponent stood both times, the call (the best-placed bloc party on
the information before the election) is checked against the strongest bloc party at the
election itself. Battleground seats, where tactical advice matters most:

- the opponent stood in both elections,
- in the base election the opponent won, or came within 15 points of the winner, and
- the second-placed bloc party had 10% or more (two real bloc contenders).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bot.advice.rules import DEFAULT_OPTIONS, AdviceOptions, advise
from bot.elections.seats import ElectionData, SeatRecord
from bot.evaluation import scorecard
from bot.forecast import projection, share_fit
from bot.forecast.inputs import PAIRS as FORECAST_PAIRS
from bot.forecast.inputs import ForecastData, load_polls
from bot.forecast.model import (
    AGAINST_CON,
    SIDES,
    Forecast,
    Side,
    leaders,
)
from bot.models import Contest

# pair -> (base election, target election, boundaries, polling day of the target)
PAIRS = {
    "2015": ("ge2010", "ge2015", "2010", "2015-05-07"),
    "2017": ("ge2015", "ge2017", "2010", "2017-06-08"),
    "2019": ("ge2017", "ge2019", "2010", "2019-12-12"),
    "2024": ("ge2019n", "ge2024", "2024", "2024-07-04"),
}
BATTLEGROUND_OPPONENT_GAP = 0.15
BATTLEGROUND_SECOND_BLOC = 0.10

# A projection maps the base contest (and the seat's nation) to projected results.
Project = Callable[[Contest, str], Contest]


@dataclass(frozen=True)
class Call:
    code: str
    name: str
    model: str
    verdict: str
    recommended: str  # the single party the bot would name, blank when it names none
    best_placed: str  # the best-placed bloc party, named or not
    best_share: float
    next_bloc: str
    next_share: float
    opponent_share: float | None
    battleground: bool


@dataclass(frozen=True)
class Score:
    correct: int
    total: int

    @property
    def rate(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.rate:.1%} ({self.correct}/{self.total})"


@dataclass(frozen=True)
class BacktestResult:
    pair: str
    model: str
    overall: Score
    battleground: Score
    winner: Score


def calls(data: ElectionData, pair: str, options: AdviceOptions = DEFAULT_OPTIONS,
          project: Project | None = None, model: str = "last-result") -> list[Call]:
    """The call for every seat, made only from what was known before the election."""
    _base, target, boundaries, polling_day = PAIRS[pair]
    out = []
    for code, name in sorted((s.code, s.name) for s in data.seats.values()
                             if s.boundaries == boundaries):
        record = data.record(code, before=polling_day, boundaries=boundaries, target=target)
        if record is None:
            continue
        # battlegrounds are judged on the real last result, whatever the model projects
        last = advise(record, data.parties, options)
        advice = last if project is None else advise(_projected(record, project),
                                                     data.parties, options)
        base = record.latest
        opponent = next((c for c in base.candidates if c.party == options.opponent), None)
        last_bloc = [r for r in last.rows if r.in_bloc and r.standing]
        battleground = bool(
            opponent and len(last_bloc) > 1 and last_bloc[1].share >= BATTLEGROUND_SECOND_BLOC
            and base.candidates[0].share - opponent.share <= BATTLEGROUND_OPPONENT_GAP)
        bloc = [r for r in advice.rows if r.in_bloc and r.standing]
        out.append(Call(
            code, name, model, advice.verdict, advice.recommended_party or "",
            advice.recommended.party if advice.recommended else "",
            advice.recommended.share if advice.recommended else 0.0,
            bloc[1].party if len(bloc) > 1 else "", bloc[1].share if len(bloc) > 1 else 0.0,
            opponent.share if opponent else None, battleground))
    return out


def _projected(record: SeatRecord, project: Project) -> SeatRecord:
    projected = project(record.latest, record.seat.nation)
    return replace(record, general=projected, byelections=())


def evaluate(data: ElectionData, pair: str, options: AdviceOptions = DEFAULT_OPTIONS,
             project: Project | None = None, model: str = "last-result") -> BacktestResult:
    _base, target, boundaries, _day = PAIRS[pair]
    right = total = bg_right = bg_total = win_right = win_total = 0
    for call in calls(data, pair, options, project, model):
        sid = data.seat_id(call.code, boundaries)
        actual = next(iter(data.contests(sid, [target])), None) if sid else None
        if actual is None or call.opponent_share is None or not call.best_placed:
            continue
        if not any(c.party == options.opponent for c in actual.candidates):
            continue
        best = strongest_bloc_party(actual, options)
        hit = call.best_placed == best
        right += hit
        total += 1
        if call.battleground:
            bg_right += hit
            bg_total += 1
        predicted_winner = _predicted_winner(data, call, pair, project)
        win_right += predicted_winner == actual.candidates[0].party
        win_total += 1
    return BacktestResult(pair, model, Score(right, total), Score(bg_right, bg_total),
                          Score(win_right, win_total))


def _predicted_winner(data: ElectionData, call: Call, pair: str, project: Project | None
                      ) -> str:
    _base, target, boundaries, day = PAIRS[pair]
    record = data.record(call.code, before=day, boundaries=boundaries, target=target)
    base = record.latest if project is None else project(record.latest, record.seat.nation)
    return max(base.candidates, key=lambda c: c.votes).party


def strongest_bloc_party(contest: Contest, options: AdviceOptions) -> str | None:
    for c in sorted(contest.candidates, key=lambda c: -c.votes):
        if options.backs(c.party) or (c.party == "Ind" and c.position <= 2):
            return c.party
    return None


# the vote-share forecast (docs/preregistration.md), and the same fitted and scored as if
# no seat projection had been published
VOTE_SHARE = "vote-share"
VOTE_SHARE_WITHOUT = "vote-share-no-projections"
DEFAULT_MODEL = VOTE_SHARE  # what the bot answers with
MODEL_NAMES = (VOTE_SHARE, VOTE_SHARE_WITHOUT, "last-result", *projection.MODELS)
FITTED = (VOTE_SHARE, VOTE_SHARE_WITHOUT)
PUBLISHED = "published:"  # a published projection scored on its own: "published:yougov"


def model(name: str, data: ElectionData | None = None, pair: str | None = None
          ) -> Project | None:
    """The projection hook for an advice-based model: None for the plain last result;
    otherwise the seat projected from the base election's national shares to the final
    GB polls before the target election (information available before polling day)."""
    if name not in MODEL_NAMES or name in FITTED:
        raise ValueError(f"unknown projection {name!r}; choose from "
                         f"{', '.join(MODEL_NAMES[1:])}")
    if name == "last-result":
        return None
    base, target, _b, _day = PAIRS[pair]
    before = projection.national_shares(data.national_votes(base))
    after = load_polls()[(target, "GB")].shares
    names = {code: p.name for code, p in data.parties.items()}
    return lambda contest, nation: projection.project_contest(contest, nation, name, before,
                                                              after, names)


def forecasts(fdata: ForecastData, pair: str, side: Side = AGAINST_CON,
              with_projections: bool = True) -> list[tuple[str, str, str, Forecast]] | None:
    """The forecast for every GB seat of the pair, fitted only on earlier pairs (None when
    there are none to learn from)."""
    found = share_fit.backtest(fdata, pair, side, with_projections)
    if found is None:
        return None
    name = VOTE_SHARE if with_projections else VOTE_SHARE_WITHOUT
    return [(case.code, case.name, name, found[1][case.code])
            for case, _o in fdata.pair_cases(FORECAST_PAIRS[pair], side)]


def published_calls(fdata: ForecastData, pair: str, side: Side = AGAINST_CON
                    ) -> dict[str, dict[str, str | None]]:
    """Each projection published before the pair's election, taken on its own: in every
    seat it covers, the bloc party it puts highest (of those standing) is named; a tie
    names none."""
    cases = fdata.pair_cases(FORECAST_PAIRS[pair], side)
    out: dict[str, dict[str, str | None]] = {}
    for case, _o in cases:
        for model_name, shares in zip(case.projected_by, case.projections, strict=True):
            top = leaders(shares, case.standing)
            out.setdefault(model_name, {})[case.code] = top[0] if len(top) == 1 else None
    return dict(sorted(out.items()))


def scores(data: ElectionData, fdata: ForecastData, pairs: list[str], models: list[str],
           options: AdviceOptions = DEFAULT_OPTIONS) -> list[scorecard.Score]:
    """Every model's score per pair; with the forecast, each published projection alone
    beside it (the combination has to beat each of its inputs)."""
    out = []
    side = SIDES.get(options.opponent)
    for pair in pairs:
        outcomes = {c.code: o for c, o in fdata.pair_cases(FORECAST_PAIRS[pair],
                                                           side or AGAINST_CON)}
        for name in models:
            if name in FITTED:
                if side is None:
                    continue  # the forecast's sides: Con, RUK and the right
                rows = forecasts(fdata, pair, side, with_projections=name == VOTE_SHARE)
                if rows is None:
                    continue
                picked = {code: fc.call for code, _n, _m, fc in rows}
            else:
                picked = {c.code: c.recommended or None
                          for c in calls(data, pair, options, model(name, data, pair), name)}
            out.append(scorecard.score(pair, name, picked, outcomes))
        if VOTE_SHARE in models and side is not None:
            out += [scorecard.score(pair, PUBLISHED + m, picked, outcomes)
                    for m, picked in published_calls(fdata, pair, side).items()]
    return out


def write_csv(rows: list[Call], path: Path) -> None:
    fields = ["code", "name", "recommended", "verdict", "model", "best_placed", "best_share",
              "next_bloc", "next_share", "opponent_share", "battleground"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(fields)
        for c in rows:
            writer.writerow([c.code, c.name, c.recommended, c.verdict, c.model, c.best_placed,
                             f"{c.best_share:.4f}", c.next_bloc, f"{c.next_share:.4f}",
                             "" if c.opponent_share is None else f"{c.opponent_share:.4f}",
                             int(c.battleground)])


def format_table(results: list[BacktestResult]) -> str:
    lines = [f"{'pair':<12} {'model':<14} {'overall':>20} {'battleground':>20} {'winner':>20}"]
    for r in results:
        label = {"2015": "2010->2015", "2017": "2015->2017", "2019": "2017->2019",
                 "2024": "2019n->2024"}[r.pair]
        lines.append(f"{label:<12} {r.model:<14} {r.overall!s:>20} {r.battleground!s:>20} "
                     f"{r.winner!s:>20}")
    return "\n".join(lines)
