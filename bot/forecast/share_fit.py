"""Fitting the vote-share forecast walk-forward (docs/preregistration.md): every parameter
for a scored election comes from the elections before it, by the rules written there."""

from __future__ import annotations

import functools
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.forecast.inputs import PAIRS, ForecastData, Outcome
from bot.forecast.model import AGAINST_CON, Forecast, SeatCase, Side, brier
from bot.forecast.shares import (
    MAJOR,
    OTHER,
    ShareParams,
    canonical,
    centre,
    chances,
    chances_by_kappa,
    moved_by_polls,
    seat_input,
)

# scored pair -> the pairs it is fitted on
EARLIER = {"2017": ("2015",), "2019": ("2015", "2017"), "2024": ("2015", "2017", "2019")}
GRID = tuple(i / 10 for i in range(11))
KAPPAS = tuple(round(0.6 + i / 10, 1) for i in range(15))  # 0.6 ... 2.0
LAM_WITHOUT_RECORD = 0.5  # fixed in advance, for a pair with no earlier projections
SIGMA_NAT_FLOOR = 0.02
FIT_DRAWS = 1000  # draws per kappa tried (the scored forecast uses shares.DRAWS)


@dataclass(frozen=True)
class SeatFact:
    """A seat of a pair: the case before polling day, who stood, what happened."""

    pair: str
    case: SeatCase
    outcome: Outcome
    region: str
    standing: tuple[str, ...]  # forecast parties standing (Other always)
    actual: dict[str, float]  # canonical shares at the target


def seat_facts(fdata: ForecastData, pair: str, side: Side = AGAINST_CON) -> list[SeatFact]:
    p = PAIRS[pair]
    ids = {(code, b): sid for sid, (code, _n, _nat, b) in fdata.seats.items()}
    out = []
    for case, outcome in fdata.pair_cases(p, side):
        sid = ids[(case.code, p.boundaries)]
        actual = canonical(fdata.shares(p.target, sid))
        # who stood is public weeks before polling day: the candidates, whatever they got
        standing = tuple(q for q in (*MAJOR, OTHER) if q in actual)
        out.append(SeatFact(pair, case, outcome, fdata.regions.get(sid, case.nation),
                            standing, actual))
    return out


def fit(fdata: ForecastData, pairs: Sequence[str], side: Side = AGAINST_CON,
        with_projections: bool = True) -> ShareParams:
    """Every parameter, in the order docs/preregistration.md gives, on `pairs` only."""
    facts = {pair: seat_facts(fdata, pair, side) for pair in pairs}
    everything = [f for pair in pairs for f in facts[pair]]
    alpha = min(GRID, key=lambda a: _squared_error(
        everything, lambda f: moved_by_polls(f.case, f.standing, a)))
    weights = projection_weights(everything) if with_projections else {}
    with_published = [f for f in everything if f.case.projections] if with_projections else []
    params = ShareParams(alpha, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, weights, tuple(pairs))
    if with_projections:
        lam = (min(GRID, key=lambda v: _squared_error(
            with_published, lambda f: centre(f.case, f.standing, replace(params, lam=v))))
            if with_published else LAM_WITHOUT_RECORD)
        params = replace(params, lam=lam)
    params = replace(params, sigma_nat=national_sigma(fdata, pairs))
    sigma_reg, c_share, c_moved = _spread(everything, params)
    params = replace(params, sigma_reg=sigma_reg, c_share=c_share, c_moved=c_moved)
    if not with_projections:
        facts = {pair: _without_projections(fs) for pair, fs in facts.items()}
    # the seats' centres and errors do not depend on kappa: worked out once per pair
    seats = {pair: [seat_input(f.case, f.standing, f.region, params) for f in fs]
             for pair, fs in facts.items()}
    # every kappa's chances from one set of draws (bit for bit each kappa's own)
    found = {pair: chances_by_kappa(seats[pair], side, params, KAPPAS, FIT_DRAWS)
             for pair in facts}
    kappa = min(KAPPAS, key=lambda k: sum(_brier(fs, found[pair][k])
                                          for pair, fs in facts.items()))
    return replace(params, kappa=kappa)


def _without_projections(facts: Sequence[SeatFact]) -> list[SeatFact]:
    """The seats as if no projection had been published for them."""
    return [replace(f, case=replace(f.case, projections=(), projected={}, projected_by=()))
            for f in facts]


def _squared_error(facts: Sequence[SeatFact], predict) -> float:
    total = n = 0
    for f in facts:
        predicted = predict(f)
        for party in f.standing:
            if party == OTHER:
                continue
            total += (predicted.get(party, 0.0) - f.actual.get(party, 0.0)) ** 2
            n += 1
    return total / n if n else 0.0


def projection_weights(facts: Sequence[SeatFact]) -> dict[str, float]:
    """A source with a record: (median RMSE of all sources / its own)^2, within [0.5, 2]."""
    errors: dict[str, list[float]] = defaultdict(list)
    for f in facts:
        for name, shares in zip(f.case.projected_by, f.case.projections, strict=True):
            for party, share in canonical(shares).items():
                if party != OTHER and party in f.standing:
                    errors[name].append((share - f.actual.get(party, 0.0)) ** 2)
    rmse = {name: math.sqrt(statistics.fmean(e)) for name, e in errors.items() if e}
    if not rmse:
        return {}
    median = statistics.median(rmse.values())
    return {name: min(max((median / r) ** 2, 0.5), 2.0) for name, r in rmse.items() if r > 0}


def national_sigma(fdata: ForecastData, pairs: Sequence[str]) -> float:
    """The final GB polls' error against the national result, root mean square over the
    parties and the elections, floored."""
    errors = []
    for pair in pairs:
        target = PAIRS[pair].target
        polls = fdata.polls_for(target, "GB")
        if polls is None:
            continue
        result = canonical(fdata.nation_shares(target, "GB"))
        shown = canonical(polls.shares)
        errors += [(shown[p] - result[p]) ** 2 for p in MAJOR
                   if p in shown and p in result and result[p] > 0.01]
    return max(math.sqrt(statistics.fmean(errors)), SIGMA_NAT_FLOOR) if errors \
        else SIGMA_NAT_FLOOR


def _spread(facts: Sequence[SeatFact], params: ShareParams) -> tuple[float, float, float]:
    """The regional error, and the seat error's two coefficients, from the residuals of
    the centre less their national and regional means."""
    rows = []  # (pair, region, party, residual, centre, base)
    for f in facts:
        middle = centre(f.case, f.standing, params)
        base = canonical(f.case.base)
        rows += [(f.pair, f.region, p, f.actual.get(p, 0.0) - middle[p], middle[p],
                  base.get(p, 0.0)) for p in f.standing if p != OTHER]
    national: dict[tuple[str, str], list[float]] = defaultdict(list)
    regional: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for pair, region, party, r, _c, _b in rows:
        national[(pair, party)].append(r)
        regional[(pair, region, party)].append(r)
    n_mean = {k: statistics.fmean(v) for k, v in national.items()}
    r_mean = {k: statistics.fmean(v) - n_mean[(k[0], k[2])] for k, v in regional.items()}
    sigma_reg = math.sqrt(statistics.fmean(v * v for v in r_mean.values()))
    y, x = [], []
    for pair, region, party, r, c, b in rows:
        e = r - n_mean[(pair, party)] - r_mean[(pair, region, party)]
        y.append(abs(e) * math.sqrt(math.pi / 2))
        x.append((math.sqrt(max(c, 0.0) * (1 - min(c, 1.0))), abs(c - b)))
    c_share, c_moved = _non_negative_least_squares(np.array(x), np.array(y))
    return sigma_reg, c_share, c_moved


def _non_negative_least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    if (coef >= 0).all():
        return float(coef[0]), float(coef[1])
    keep = int(np.argmax(coef))  # one coefficient came out negative: fit the other alone
    alone = float(x[:, keep] @ y / (x[:, keep] @ x[:, keep]))
    return (alone, 0.0) if keep == 0 else (0.0, alone)


def _brier(facts: Sequence[SeatFact], found: Mapping[str, Forecast]) -> float:
    return brier({code: fc.probabilities for code, fc in found.items()},
                 {f.case.code: f.outcome for f in facts})


def forecasts(facts: Sequence[SeatFact], params: ShareParams, side: Side = AGAINST_CON,
              draws: int | None = None) -> dict[str, Forecast]:
    seats = [seat_input(f.case, f.standing, f.region, params) for f in facts]
    return chances(seats, side, params, **({"draws": draws} if draws else {}))


def backtest(fdata: ForecastData, pair: str, side: Side = AGAINST_CON,
             with_projections: bool = True) -> tuple[ShareParams, dict[str, Forecast]] | None:
    """The forecast of every GB seat of `pair`, fitted on the pairs before it only (None
    when there are none). Kept: the backtest asks for each pair's twice (score,
    calibration), and every argument is passed on so that `backtest(d, p)` and
    `backtest(d, p, AGAINST_CON, True)` are the one fit."""
    return _backtest(fdata, pair, side, with_projections)


@functools.cache
def _backtest(fdata: ForecastData, pair: str, side: Side, with_projections: bool
              ) -> tuple[ShareParams, dict[str, Forecast]] | None:
    earlier = EARLIER.get(pair)
    if not earlier:
        return None
    params = fit(fdata, earlier, side, with_projections)
    facts = seat_facts(fdata, pair, side)
    if not with_projections:
        facts = _without_projections(facts)
    return params, forecasts(facts, params, side)
