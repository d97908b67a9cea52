"""Fitting the seat model, walk-forward: a model that scores election pair P is fitted
only on the pairs that ended before P, and its features and penalty are chosen by
cross-validation over those training pairs alone (forward chaining: each later training
pair predicted from the ones before it; with a single training pair, five folds of its
seats), scored by the backtest's own measure. Needs numpy; only `data import` and `backtest`
import this module, never the bot's answer path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.forecast.inputs import PAIRS, ForecastData, Outcome
from bot.forecast.model import (
    AGAINST_CON,
    CALL_THRESHOLD,
    FEATURES,
    WRONG_CALL_COST,
    Model,
    SeatCase,
    Side,
    candidates,
    features,
    top_two_features,
)

# The candidate feature sets, simplest first; cross-validation picks one.
_LOG = ("share", "swing", "uniform", "first", "holder")
_PTS = ("share", "share_pts", "uniform_pts", "proportional_pts", "first", "holder")
_LEAVE = ("pact", "leave_LD", "leave_Green")
_PARTIES = ("LD", "Green", "SNP", "PC")
_MRP = ("projected", "projected_first")
_MRP_PTS = ("projected_pts", "projected_first")
_LOCAL = ("local", "local_first")
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "last-result": ("share", "first", "holder"),
    "log": _LOG,
    "log+history": (*_LOG, "history", "pact"),
    "log+history+leave": (*_LOG, "history", *_LEAVE),
    "log+history+leave+parties": (*_LOG, "history", *_LEAVE, *_PARTIES),
    "points": _PTS,
    "points+history": (*_PTS, "history_pts", "pact"),
    "points+history+leave": (*_PTS, "history_pts", *_LEAVE),
    "points+history+leave+parties": (*_PTS, "history_pts", *_LEAVE, *_PARTIES),
    # with the published seat projections (0 in a seat or year without one)
    "estimate": ("estimate", "estimate_first", "share", "holder", "history", *_LEAVE),
    "estimate+parties": ("estimate", "estimate_first", "share", "holder", "history", *_LEAVE,
                         *_PARTIES, "projected_first"),
    "estimate-proportional": ("estimate_prop", "estimate_prop_first", "share", "holder",
                              "history", *_LEAVE),
    "estimate-proportional+parties": ("estimate_prop", "estimate_prop_first", "share",
                                      "holder", "history", *_LEAVE, *_PARTIES,
                                      "projected_first"),
    # and the council elections in the seat's wards (0 in a seat without any)
    "estimate+local": ("estimate", "estimate_first", "share", "holder", "history", *_LEAVE,
                       *_LOCAL),
    "estimate+parties+local": ("estimate", "estimate_first", "share", "holder", "history",
                               *_LEAVE, *_PARTIES, "projected_first", *_LOCAL),
    "estimate-proportional+local": ("estimate_prop", "estimate_prop_first", "share",
                                    "holder", "history", *_LEAVE, *_LOCAL),
    "estimate-proportional+parties+local": ("estimate_prop", "estimate_prop_first", "share",
                                            "holder", "history", *_LEAVE, *_PARTIES,
                                            "projected_first", *_LOCAL),
    "log+history+leave+projections": (*_LOG, "history", *_LEAVE, *_MRP),
    "log+history+leave+parties+projections": (*_LOG, "history", *_LEAVE, *_PARTIES, *_MRP),
    "points+history+leave+projections": (*_PTS, "history_pts", *_LEAVE, *_MRP_PTS),
    "points+history+leave+parties+projections": (*_PTS, "history_pts", *_LEAVE, *_PARTIES,
                                                 *_MRP_PTS),
}
PENALTIES = (0.1, 1.0, 10.0, 100.0)  # L2 penalty on the coefficients
FOLDS = 5


@dataclass(frozen=True)
class Choice:
    feature_set: str
    penalty: float
    cv_log_loss: float
    cv_net_per_seat: float
    temperature: float = 1.0  # the calibration: every coefficient is multiplied by it


Example = tuple[SeatCase, Outcome]


@dataclass(frozen=True)
class Block:
    """A set of seats as arrays: one row per bloc candidate with every feature, each
    seat's first row, the row of the party that came top of the bloc (-1: none standing
    did), whether the opponent finished top two, and the top-two model's inputs."""

    x: np.ndarray
    starts: np.ndarray
    chosen: np.ndarray
    top_two: np.ndarray
    t2_x: np.ndarray
    t2_y: np.ndarray

    @classmethod
    def of(cls, examples: Sequence[Example]) -> Block:
        rows, starts, chosen, top_two, t2_x, t2_y = [], [], [], [], [], []
        for case, outcome in examples:
            if case.opponent_standing and outcome.opponent_stood:
                t2_x.append(top_two_features(case))
                t2_y.append(float(outcome.opponent_top_two))
            parties = candidates(case)
            if not parties:
                continue
            starts.append(len(rows))
            chosen.append(len(rows) + parties.index(outcome.best_bloc)
                          if outcome.best_bloc in parties else -1)
            top_two.append(outcome.opponent_top_two)
            for p in parties:
                f = features(case, p)
                rows.append([f[name] for name in FEATURES])
        return cls(np.array(rows, dtype=float).reshape(-1, len(FEATURES)),
                   np.array(starts, dtype=int), np.array(chosen, dtype=int),
                   np.array(top_two, dtype=bool), np.array(t2_x, dtype=float).reshape(-1, 3),
                   np.array(t2_y))

    @classmethod
    def join(cls, blocks: Sequence[Block]) -> Block:
        offsets = np.cumsum([0] + [len(b.x) for b in blocks[:-1]])
        return cls(np.vstack([b.x for b in blocks]),
                   np.concatenate([b.starts + o for b, o in zip(blocks, offsets, strict=True)]),
                   np.concatenate([np.where(b.chosen >= 0, b.chosen + o, -1)
                                   for b, o in zip(blocks, offsets, strict=True)]),
                   np.concatenate([b.top_two for b in blocks]),
                   np.vstack([b.t2_x for b in blocks]), np.concatenate([b.t2_y for b in blocks]))

    def columns(self, feats: tuple[str, ...]) -> np.ndarray:
        return self.x[:, [FEATURES.index(f) for f in feats]]

    @property
    def has_projections(self) -> bool:
        return bool(np.any(self.x[:, FEATURES.index("projected_first")]))

    @property
    def ids(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.starts)), np.diff(np.append(self.starts,
                                                                        len(self.x))))


def training_pairs(target: str) -> list[str]:
    """The pairs that ended before `target`'s polling day."""
    day = PAIRS[target].polling_day
    return [name for name, pair in PAIRS.items() if pair.polling_day < day]


def fit_for(data: ForecastData, target: str, side: Side = AGAINST_CON
            ) -> tuple[Model, Choice] | None:
    """The model that forecasts `target`, from earlier pairs only; None if there are none."""
    names = training_pairs(target)
    if not names:
        return None
    return fit_groups([data.pair_cases(PAIRS[n], side) for n in names], tuple(names))


def fit_groups(groups: Sequence[Sequence[Example]], names: tuple[str, ...] = ()
               ) -> tuple[Model, Choice]:
    blocks = [Block.of(g) for g in groups]
    folds = _folds(blocks)
    choice = choose(folds)
    everything = Block.join(blocks)
    feats = FEATURE_SETS[choice.feature_set]
    temperature = calibrate(folds, feats, choice.penalty)
    choice = Choice(choice.feature_set, choice.penalty, choice.cv_log_loss,
                    choice.cv_net_per_seat, round(temperature, 6))
    beta = fit_bloc(everything, feats, choice.penalty) * temperature
    gamma = fit_top_two(everything, choose_top_two(folds))
    model = Model(feats, tuple(round(float(b), 6) for b in beta),
                  tuple(round(float(g), 6) for g in gamma), names, choice.penalty)
    return model, choice


def _folds(blocks: Sequence[Block]) -> list[tuple[Block, Block]]:
    """Forward chaining, as in any time series: each training pair after the first is
    held out in turn and predicted from the pairs before it. A pair that brings an input
    no earlier pair had (the published projections, from 2017) cannot be judged that way,
    since no earlier pair can learn a weight for it, so it is also split into five folds
    of its seats, each predicted from the other four and every pair before it. One pair:
    five folds."""
    out = [(Block.join(blocks[:i]), blocks[i]) for i in range(1, len(blocks))]
    for i, block in enumerate(blocks):
        first_projections = block.has_projections and not any(b.has_projections
                                                              for b in blocks[:i])
        if len(blocks) == 1 or (i > 0 and first_projections):
            out += _seat_folds(block, blocks[:i])
    return out


def _seat_folds(block: Block, before: Sequence[Block]) -> list[tuple[Block, Block]]:
    seat = block.ids
    out = []
    for k in range(FOLDS):
        test_seats = np.arange(len(block.starts)) % FOLDS == k
        test_t2 = np.arange(len(block.t2_y)) % FOLDS == k
        train = _subset(block, ~test_seats, ~test_t2, seat)
        out.append((Block.join([*before, train]), _subset(block, test_seats, test_t2, seat)))
    return out


def _subset(block: Block, keep_seats: np.ndarray, keep_t2: np.ndarray,
            seat_of_row: np.ndarray) -> Block:
    keep_rows = keep_seats[seat_of_row]
    new_index = np.cumsum(keep_rows) - 1
    starts = new_index[block.starts[keep_seats]]
    chosen = block.chosen[keep_seats]
    chosen = np.where(chosen >= 0, new_index[np.maximum(chosen, 0)], -1)
    return Block(block.x[keep_rows], starts, chosen, block.top_two[keep_seats],
                 block.t2_x[keep_t2], block.t2_y[keep_t2])


def choose(folds: Sequence[tuple[Block, Block]]) -> Choice:
    """The feature set and penalty whose held-out calls score best on the backtest's own
    measure (right - 3 x wrong, per seat where the opponent finished top two); ties go to
    the lower held-out log loss."""
    best: tuple[float, float] | None = None
    choice: Choice | None = None
    for name, feats in FEATURE_SETS.items():
        starts: list[np.ndarray | None] = [None] * len(folds)  # the last penalty's fit
        for penalty in PENALTIES:
            nets, losses = [], []
            for k, (train, test) in enumerate(folds):
                beta = starts[k] = fit_bloc(train, feats, penalty, starts[k])
                p = _group_softmax(test.columns(feats) @ beta, test.starts)
                nets.append(net_per_seat(test, p))
                losses.append(log_loss(test, p))
            score = (-float(np.mean(nets)), float(np.mean(losses)))
            if best is None or score < best:
                best, choice = score, Choice(name, penalty, score[1], -score[0])
    assert choice is not None
    return choice


def calibrate(folds: Sequence[tuple[Block, Block]], feats: tuple[str, ...],
              penalty: float) -> float:
    """The temperature that makes the held-out chances honest: the scale t on every
    fold's held-out scores that maximises their likelihood (a penalised fit is otherwise
    too sure or not sure enough of itself). Fitted on the training pairs' folds only."""
    held_out = [(test, test.columns(feats) @ fit_bloc(train, feats, penalty))
                for train, test in folds]

    def loss(t: float) -> float:
        return float(np.mean([log_loss(test, _group_softmax(t * scores, test.starts))
                              for test, scores in held_out]))
    low, high = 0.2, 5.0  # golden-section search: the loss is convex in t
    ratio = (5 ** 0.5 - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if loss(a) < loss(b):
            high = b
        else:
            low = a
    return (low + high) / 2


def net_per_seat(block: Block, p: np.ndarray) -> float:
    """(right - 3 x wrong) / seats, over the seats where the opponent finished top two."""
    ids = block.ids
    top = np.zeros(len(block.starts), dtype=int)
    best = np.full(len(block.starts), -1.0)
    for row, seat in enumerate(ids):  # the most likely row of each seat
        if p[row] > best[seat]:
            best[seat], top[seat] = p[row], row
    called = (best >= CALL_THRESHOLD) & block.top_two
    right = np.sum(called & (top == block.chosen))
    wrong = np.sum(called) - right
    seats = int(np.sum(block.top_two))
    return float(right - WRONG_CALL_COST * wrong) / seats if seats else 0.0


def choose_top_two(folds: Sequence[tuple[Block, Block]]) -> float:
    scores = [(float(np.mean([top_two_log_loss(test, fit_top_two(train, penalty))
                              for train, test in folds])), penalty) for penalty in PENALTIES]
    return min(scores)[1]


# -- the bloc model: a conditional logit fitted by Newton's method -------------------
def _group_softmax(scores: np.ndarray, starts: np.ndarray) -> np.ndarray:
    ids = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(scores))))
    top = np.maximum.reduceat(scores, starts)[ids]
    exps = np.exp(scores - top)
    return exps / np.add.reduceat(exps, starts)[ids]


def fit_bloc(block: Block, feats: tuple[str, ...], penalty: float,
             start: np.ndarray | None = None) -> np.ndarray:
    x = block.columns(feats)
    learn = block.chosen >= 0  # seats where one of the standing bloc parties came top
    ids = block.ids

    observed = x[block.chosen[learn]].sum(axis=0)
    ridge = penalty * np.eye(len(feats))

    def gradient_and_hessian(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = _group_softmax(x @ beta, block.starts) * learn[ids]
        mean = np.add.reduceat(p[:, None] * x, block.starts, axis=0)  # seats' rows are runs
        grad = observed - mean.sum(axis=0) - penalty * beta
        centred = x - mean[ids]
        return grad, (centred * p[:, None]).T @ centred + ridge
    return _newton(gradient_and_hessian, len(feats), start)


def _newton(gradient_and_hessian, size: int, start: np.ndarray | None = None) -> np.ndarray:
    """Maximise a concave penalised log likelihood by Newton's method, from zero or from
    a nearby solution (the same fit with another penalty): the maximum is the same."""
    theta = np.zeros(size) if start is None else start.copy()
    for _ in range(50):
        grad, hess = gradient_and_hessian(theta)
        step = np.linalg.solve(hess, grad)
        theta = theta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return theta


def log_loss(block: Block, p: np.ndarray) -> float:
    chosen = block.chosen[block.chosen >= 0]
    return float(-np.mean(np.log(np.clip(p[chosen], 1e-12, 1)))) if len(chosen) else 0.0


# -- the opponent's top-two finish: a logistic regression -----------------------------
def fit_top_two(block: Block, penalty: float) -> np.ndarray:
    x, y = block.t2_x, block.t2_y
    ridge = penalty * np.diag([0.0, 1.0, 1.0]) + 1e-6 * np.eye(3)  # intercept unpenalised

    def gradient_and_hessian(gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = 1 / (1 + np.exp(-np.clip(x @ gamma, -50, 50)))
        return x.T @ (y - p) - ridge @ gamma, (x * (p * (1 - p))[:, None]).T @ x + ridge
    return _newton(gradient_and_hessian, 3)


def top_two_log_loss(block: Block, gamma: np.ndarray) -> float:
    if not len(block.t2_y):
        return 0.0  # the opponent never stood in the held-out seats
    p = np.clip(1 / (1 + np.exp(-np.clip(block.t2_x @ gamma, -50, 50))), 1e-12, 1 - 1e-12)
    y = block.t2_y
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
