"""What every forecast shares: the sides a server can take (whom it wants beaten, and the
parties among which it looks for the best placed), a seat as known before polling day
(`SeatCase`), the chances that follow (`Forecast`), the call's threshold, chances said in
words, and the Brier score. Pure: the forecast itself is `bot/forecast/shares.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from bot.models import Verdict

if TYPE_CHECKING:  # inputs builds on this module
    from bot.forecast.inputs import Outcome

# The bloc the call is scored on: the party finishing highest of these is "right".
BLOC = ("Lab", "LD", "Green", "SNP", "PC")
OPPONENT = "Con"
ORDER = ("Con", "Lab", "LD", "Green", "SNP", "PC")  # ties are broken in this order


@dataclass(frozen=True)
class Side:
    """Whom a server wants beaten, and the parties among which it looks for the one best
    placed to do it. One forecast serves every side."""

    opponent: str
    bloc: tuple[str, ...]


# a set of opponents a server can choose as one: the advice is against the best placed of
# them in each seat
OPPONENT_SETS = {"Right": frozenset({"Con", "RUK", "RB"})}
OPPONENT_SET_NAMES = {"Right": "the right (Conservative, Reform UK, Restore Britain)"}


def members(opponent: str) -> frozenset[str]:
    """The parties an opponent stands for: itself, or the parties of a set."""
    return OPPONENT_SETS.get(opponent, frozenset({opponent}))


AGAINST_CON = Side(OPPONENT, BLOC)
# against Reform UK (and the Brexit Party before it): every other party of Great Britain
AGAINST_RUK = Side("RUK", ORDER)
# against the right: the parties of the left and centre, as against the Conservatives
AGAINST_RIGHT = Side("Right", BLOC)
SIDES = {side.opponent: side for side in (AGAINST_CON, AGAINST_RUK, AGAINST_RIGHT)}
# A wrong call costs a voter as much as three right ones help (the scoring in the
# backtest): naming a party pays when p - 3(1 - p) >= 0, that is p >= 3/4.
WRONG_CALL_COST = 3.0


def call_threshold(cost: float = WRONG_CALL_COST) -> float:
    """The probability at which naming a party breaks even when a wrong call costs
    `cost` right ones: p * 1 = (1 - p) * cost."""
    return cost / (cost + 1)


CALL_THRESHOLD = call_threshold()
# "Unlikely" for the opponent's top-two finish mirrors the call: the same 3-to-1 odds.
NOT_IN_CONTENTION = 1 - CALL_THRESHOLD


@dataclass(frozen=True)
class SeatCase:
    """One seat as it stood before polling day, on the boundaries it is fought on."""

    code: str
    name: str
    nation: str
    base: Mapping[str, float]  # last general election shares by swing key
    standing: frozenset[str]  # bloc parties standing this time
    polls_before: Mapping[str, float]  # nation-level shares at the base election
    polls_after: Mapping[str, float]  # nation-level shares in the latest polls
    earlier: Mapping[str, float] = field(default_factory=dict)  # best share in older GEs
    byelection: Mapping[str, float] = field(default_factory=dict)  # since the base
    byelection_weight: float = 0.0  # share of the seat's people who voted in it
    holder: str = ""  # who holds the seat (the base winner, or a by-election winner)
    leave: float | None = None  # estimated 2016 Leave share
    designated: str = ""  # the party a pact backs here
    opponent_standing: bool = True
    side: Side = AGAINST_CON
    # the seat projections published for this election: each model's shares by party,
    # their mean, and the models' names
    projections: tuple[Mapping[str, float], ...] = ()
    projected: Mapping[str, float] = field(default_factory=dict)
    projected_by: tuple[str, ...] = ()
    # council elections in the seat's wards before polling day: shares by party, the share
    # of the seat they cover, the years ("2022–2024")
    local: Mapping[str, float] = field(default_factory=dict)
    local_coverage: float = 0.0
    local_years: str = ""


@dataclass(frozen=True)
class Forecast:
    probabilities: dict[str, float]  # bloc party -> chance it finishes highest of the bloc
    opponent_top_two: float
    ranked: tuple[str, ...]  # bloc parties, most likely first

    @property
    def leader(self) -> str | None:
        return self.ranked[0] if self.ranked else None

    @property
    def runner_up(self) -> str | None:
        return self.ranked[1] if len(self.ranked) > 1 else None

    def chance(self, party: str | None) -> float:
        return self.probabilities.get(party or "", 0.0)

    @cached_property  # asked several times an answer; a Forecast never changes
    def call(self) -> str | None:
        """The party named, when its chance reaches the threshold."""
        if self.leader and self.probabilities[self.leader] >= CALL_THRESHOLD:
            return self.leader
        return None

    def among(self, parties: set[str] | frozenset[str]) -> Forecast:
        """The chances among `parties` only: a conditional logit restricted to a subset
        is the softmax over that subset, so the chances are renormalised."""
        if parties.issuperset(self.probabilities):
            return self
        kept = {p: v for p, v in self.probabilities.items() if p in parties}
        total = sum(kept.values())
        probs = {p: v / total for p, v in kept.items()} if total > 0 else kept
        return Forecast(probs, self.opponent_top_two,
                        tuple(p for p in self.ranked if p in kept))

    @cached_property
    def verdict(self) -> Verdict:
        if not self.ranked:
            return Verdict.NO_BLOC_CANDIDATE
        if self.opponent_top_two < NOT_IN_CONTENTION:
            return Verdict.NOT_IN_CONTENTION
        return Verdict.CLEAR if self.call else Verdict.CLOSE


def bloc_ranking(shares: Mapping[str, float], standing: frozenset[str]) -> list[str]:
    """The standing bloc parties by share, ties in BLOC order (never by set order, which
    changes from run to run)."""
    return sorted(standing, key=lambda p: (-shares.get(p, 0.0), ORDER.index(p)))


def leaders(shares: Mapping[str, float], standing: frozenset[str]) -> list[str]:
    """The standing bloc parties tied for the highest share (usually one)."""
    ranked = bloc_ranking(shares, standing)
    top = shares.get(ranked[0], 0.0) if ranked else 0.0
    return [p for p in ranked if shares.get(p, 0.0) == top]


def in_words(p: float) -> str:
    """A chance as people say it: 'about 9 in 10', 'about 3 in 4', 'about even'."""
    if p >= 0.985:
        return "almost certain"
    if p <= 0.015:
        return "very unlikely"
    tenths = round(p * 10)
    if tenths == 5:
        return "about even"
    if p >= 0.72 and round(p * 4) == 3 and abs(p - 0.75) < abs(p - tenths / 10):
        return "about 3 in 4"
    if tenths == 10:
        return "more than 9 in 10"
    return f"about {tenths} in 10" if tenths else "less than 1 in 10"


def brier(forecasts: Mapping[str, Mapping[str, float]], outcomes: Mapping[str, Outcome]
          ) -> float:
    """Mean over seats of the squared error summed over the bloc parties standing (the
    backtest's Brier score, and what the vote-share forecast's calibration is fitted by)."""
    total = n = 0
    for code, probs in forecasts.items():
        outcome = outcomes.get(code)
        if outcome is None or outcome.best_bloc is None or not probs:
            continue
        total += sum((probs.get(p, 0.0) - (p == outcome.best_bloc)) ** 2
                     for p in dict.fromkeys([*probs, outcome.best_bloc]))  # ordered
        n += 1
    return total / n if n else 0.0
