"""The seat model: how likely each bloc party is to finish highest of the bloc, and how
likely the opponent is to finish in the top two. Pure functions, no I/O and no numpy:
the coefficients are fitted elsewhere (`bot/forecast/fit.py`, walk-forward) and stored.

A seat is a `SeatCase`: what was known before polling day. Each bloc party standing there
gets a score, a weighted sum of its features (its last share, the change in its
nation-level polls, its older strength, whether it holds the seat, by-elections, the
seat's estimated 2016 Leave vote, pacts); the chance that it finishes highest of the bloc
is the softmax of the scores (a conditional logit). The chance that the opponent finishes
top two is a logistic function of its margin over the third party, on the last result
and on the result projected from the polls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from bot.forecast import projection

if TYPE_CHECKING:  # inputs builds on this module
    from bot.forecast.inputs import Outcome

# The bloc the call is scored on: the party finishing highest of these is "right".
BLOC = ("Lab", "LD", "Green", "SNP", "PC")
OPPONENT = "Con"
ORDER = ("Con", "Lab", "LD", "Green", "SNP", "PC")  # ties are broken in this order


@dataclass(frozen=True)
class Side:
    """Whom a server wants beaten, and the parties among which it looks for the one best
    placed to do it. Each side has its own fitted model."""

    opponent: str
    bloc: tuple[str, ...]

    @property
    def model_name(self) -> str:
        """Its fitted model's name in elections.db."""
        return "next" if self.opponent == OPPONENT else f"next-against-{self.opponent}"


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
FLOOR = 0.01  # shares are floored at 1% before taking logs: a party that did not stand

# Every feature the bloc model can use; a fitted model names the ones it chose.
FEATURES = ("share", "swing", "uniform", "history", "share_pts", "uniform_pts",
            "proportional_pts", "history_pts", "first", "holder", "pact",
            "leave_LD", "leave_Green", "LD", "Green", "SNP", "PC",
            "projected", "projected_pts", "projected_first", "estimate", "estimate_first",
            "estimate_prop", "estimate_prop_first", "local", "local_first")
TOP_TWO_FEATURES = ("intercept", "margin", "projected_margin")

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
class Model:
    """Fitted coefficients; `features` are the ones chosen by cross-validation."""

    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    top_two: tuple[float, ...]  # over TOP_TWO_FEATURES
    trained_on: tuple[str, ...] = ()  # the election pairs it was fitted on
    penalty: float = 0.0

    def weights(self) -> dict[str, float]:
        return dict(zip(self.features, self.coefficients, strict=True))


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
    def verdict(self) -> str:
        if not self.ranked:
            return "no-bloc-candidate"
        if self.opponent_top_two < NOT_IN_CONTENTION:
            return "opponent-not-in-contention"
        return "clear" if self.call else "close"


def _log(share: float) -> float:
    return math.log(max(share, 0.0) + FLOOR)


def bloc_ranking(shares: Mapping[str, float], standing: frozenset[str]) -> list[str]:
    """The standing bloc parties by share, ties in BLOC order (never by set order, which
    changes from run to run)."""
    return sorted(standing, key=lambda p: (-shares.get(p, 0.0), ORDER.index(p)))


def leaders(shares: Mapping[str, float], standing: frozenset[str]) -> list[str]:
    """The standing bloc parties tied for the highest share (usually one)."""
    ranked = bloc_ranking(shares, standing)
    top = shares.get(ranked[0], 0.0) if ranked else 0.0
    return [p for p in ranked if shares.get(p, 0.0) == top]


def features(case: SeatCase, party: str) -> dict[str, float]:
    """The features of one bloc party in one seat (all of FEATURES)."""
    share = case.base.get(party, 0.0)
    before = case.polls_before.get(party, 0.0)
    after = case.polls_after.get(party, before)
    first = bloc_ranking(case.base, case.standing)[:1] == [party]
    earlier = case.earlier.get(party)
    leave = (case.leave - 0.5) if case.leave is not None else 0.0
    ratio = min(after / before, 5.0) if before > 0 else 1.0
    # a published projection: how far it moves the party from its last result (0 where
    # none was published or none covers the party: not covered is never 0%)
    projected = case.projected.get(party) if case.projected else None
    return {
        # on a log scale: the softmax then compares ratios of shares
        "share": _log(share),
        "swing": _log(after) - _log(before),
        "uniform": _log(share + after - before) - _log(share),
        "history": 0.0 if earlier is None else _log(earlier) - _log(share),
        # in points: the softmax then compares differences of shares
        "share_pts": share,
        "uniform_pts": after - before,
        "proportional_pts": share * (ratio - 1),
        "history_pts": 0.0 if earlier is None else earlier - share,
        "first": float(first),
        "holder": float(case.holder == party),
        "pact": float(case.designated == party),
        "leave_LD": leave if party == "LD" else 0.0,
        "leave_Green": leave if party == "Green" else 0.0,
        "LD": float(party == "LD"),
        "Green": float(party == "Green"),
        "SNP": float(party == "SNP"),
        "PC": float(party == "PC"),
        "projected": 0.0 if projected is None else _log(projected) - _log(share),
        "projected_pts": 0.0 if projected is None else projected - share,
        # how many of the published models put the party top of the bloc: where they
        # disagree this is a fraction, and the softmax trusts the call less
        # the best single estimate of the share: the published projections' mean where
        # there are any, else the last result moved by the polls' change
        "estimate": _log(projected if projected is not None else share + after - before),
        "estimate_first": float(bloc_ranking(_covered(case, case.projected), case.standing)
                                [:1] == [party]),
        # the same with the polls' change applied in proportion (a party polling half its
        # last share halves everywhere, rather than losing the same points everywhere)
        "estimate_prop": _log(projected if projected is not None else share * ratio),
        "estimate_prop_first": float(bloc_ranking(
            _covered(case, case.projected, proportional=True), case.standing)[:1] == [party]),
        # local strength: how far the council vote in its wards is from its last result,
        # in proportion to how much of the seat voted (0 where no council elections)
        "local": (case.local_coverage * (_log(case.local.get(party, 0.0)) - _log(share))
                  if case.local else 0.0),
        "local_first": case.local_coverage * float(
            bool(case.local) and bloc_ranking(case.local, case.standing)[:1] == [party]),
        "projected_first": (sum(_first(_covered(case, shares), case.standing, party)
                                for shares in case.projections) / len(case.projections)
                            if case.projections else 0.0),
    }


def _swung(case: SeatCase, proportional: bool = False) -> dict[str, float]:
    """The last result moved by the polls' change, in points or in proportion."""
    out = {}
    for p in case.standing:
        share, before = case.base.get(p, 0.0), case.polls_before.get(p, 0.0)
        after = case.polls_after.get(p, before)
        if proportional:
            out[p] = share * (min(after / before, 5.0) if before > 0 else 1.0)
        else:
            out[p] = share + after - before
    return out


def _covered(case: SeatCase, projected: Mapping[str, float],
             proportional: bool = False) -> dict[str, float]:
    """A projection's shares, with the parties it does not cover taken from the last
    result moved by the polls: a party a projection leaves out is not at 0%."""
    return {**_swung(case, proportional), **projected}


def _first(shares: Mapping[str, float], standing: frozenset[str], party: str) -> float:
    """1 if a projection puts the party top of the bloc, shared out on a tie."""
    top = leaders(shares, standing)
    return 1 / len(top) if party in top else 0.0


# What each feature is about, for saying in words why the chances moved.
FAMILY = {"share": "result", "share_pts": "result", "first": "result", "swing": "polls",
          "uniform": "polls", "uniform_pts": "polls", "proportional_pts": "polls",
          "history": "history", "history_pts": "history", "holder": "holder", "pact": "pact",
          "leave_LD": "leave", "leave_Green": "leave", "LD": "party", "Green": "party",
          "SNP": "party", "PC": "party", "projected": "projection",
          "projected_pts": "projection", "projected_first": "projection",
          "estimate": "projection", "estimate_first": "projection",
          "estimate_prop": "projection", "estimate_prop_first": "projection",
          "local": "local", "local_first": "local"}


def drivers(case: SeatCase, model: Model, lead: str, other: str) -> list[tuple[str, float]]:
    """The feature families that raise `lead`'s score over `other`'s, largest first (each
    family's weighted difference in the softmax's score)."""
    a, b = features(case, lead), features(case, other)
    totals: dict[str, float] = {}
    for name, weight in model.weights().items():
        family = FAMILY[name]
        if family == "projection" and not case.projections:
            family = "polls"  # the estimate without projections is the polls' swing
        totals[family] = totals.get(family, 0.0) + weight * (a[name] - b[name])
    return sorted(((f, v) for f, v in totals.items() if v > 0), key=lambda fv: -fv[1])


def candidates(case: SeatCase) -> list[str]:
    """The bloc parties standing, in the side's order (the model's choice set)."""
    return [p for p in case.side.bloc if p in case.standing]


def top_two_features(case: SeatCase) -> tuple[float, ...]:
    """The opponent's margin over the strongest non-opponent party outside the top two
    (positive: it is in the top two), on the last result and as projected by the polls."""
    projected = projection.proportional(case.base, case.polls_before, case.polls_after)
    return (1.0, _margin(case.base, case), _margin(projected, case))


def _margin(shares: Mapping[str, float], case: SeatCase) -> float:
    opponent, bloc = case.side.opponent, case.side.bloc
    others = sorted((s for p, s in shares.items()
                     if p != opponent and (p in case.standing or p not in bloc)), reverse=True)
    third = others[1] if len(others) > 1 else 0.0
    return shares.get(opponent, 0.0) - third


def _softmax(scores: Sequence[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def forecast(case: SeatCase, model: Model) -> Forecast:
    parties = candidates(case)
    if not parties:
        return Forecast({}, _top_two(case, model), ())
    weights = model.weights()
    scores = [sum(weights[f] * v for f, v in features(case, p).items() if f in weights)
              for p in parties]
    probs = dict(zip(parties, _softmax(scores), strict=True))
    ranked = tuple(sorted(parties, key=lambda p: (-probs[p], ORDER.index(p))))
    return Forecast(probs, _top_two(case, model), ranked)


def _top_two(case: SeatCase, model: Model) -> float:
    if not case.opponent_standing:
        return 0.0
    z = sum(w * x for w, x in zip(model.top_two, top_two_features(case), strict=True))
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


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
                     for p in set(probs) | {outcome.best_bloc})
        n += 1
    return total / n if n else 0.0
