"""The vote-share forecast (docs/preregistration.md): for every seat and party standing, a
distribution of its share at the election ahead, and the chances that follow from it.

Pure arithmetic on SeatCases; the fit on earlier elections is in `forecast.share_fit`.
- The centre: the base result moved by the polls (a mix of uniform and proportional swing,
  `alpha`), blended (`lam`) with the published seat projections' weighted mean.
- The spread: a national error per party, a regional one per party and region, and a seat
  error that grows with the party's share and with how far the centre moved from the base;
  all three scaled by `kappa`.
- The chances: counted over seeded draws.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from bot.forecast.model import Forecast, SeatCase, Side, members
from bot.forecast.projection import key

# the parties a seat's shares are forecast for; everyone else is "Other"
MAJOR = ("Con", "Lab", "LD", "Green", "RUK", "SNP", "PC")
OTHER = "Other"
PREDECESSOR = {"UKIP": "RUK", "BRX": "RUK"}  # their votes are Reform UK's base
FLOOR = 0.005  # a standing party's centre is never below half a point
MAX_RATIO = 5.0  # proportional swing multiplies a share by at most this
DRAWS = 10_000
SEED = 20261206


@dataclass(frozen=True)
class ShareParams:
    """Everything the forecast fitted, and on which pairs."""

    alpha: float  # weight of uniform swing (1 - alpha: proportional)
    lam: float  # weight of the published projections in the centre
    sigma_nat: float  # national error per party (share)
    sigma_reg: float  # regional error per party and region
    c_share: float  # seat error per unit of sqrt(p (1 - p))
    c_moved: float  # seat error per unit of |centre - base|
    kappa: float  # one scale on all three, for calibration
    projection_weights: Mapping[str, float]  # a source's weight (1 without a record)
    fitted_on: tuple[str, ...] = ()


def canonical(shares: Mapping[str, float]) -> dict[str, float]:
    """Shares by forecast party: predecessors merged, minor parties as Other."""
    out: dict[str, float] = {}
    for party, share in shares.items():
        key = PREDECESSOR.get(party, party)
        if key in MAJOR:
            out[key] = out.get(key, 0.0) + share
    out[OTHER] = max(0.0, 1.0 - sum(out.values()))
    return out


@functools.cache
def _canonical_items(items: tuple[tuple[str, float], ...]) -> dict[str, float]:
    return canonical(dict(items))


def _canonical_polls(shares: Mapping[str, float]) -> dict[str, float]:
    """`canonical` of a poll average, kept: every seat of a nation shares one average
    (and there are a handful of averages in all)."""
    return _canonical_items(tuple(shares.items()))


def forecast_party(code: str) -> str:
    """A party's code as the forecast knows it (SGP is Green, UKIP is Reform UK's)."""
    return PREDECESSOR.get(key(code), key(code))


def moved_by_polls(case: SeatCase, standing: Sequence[str], alpha: float
                   ) -> dict[str, float]:
    """The base moved by the change in the polls since it: `alpha` uniform, the rest
    proportional; a party new since the base takes its national share."""
    base = canonical(case.base)
    before = _canonical_polls(case.polls_before)
    after = _canonical_polls(case.polls_after)
    out = {}
    for party in standing:
        s, b = base.get(party, 0.0), before.get(party, 0.0)
        a = after.get(party, b)
        uniform = s + a - b
        if s <= 0:
            proportional = a
        elif b <= 0:
            proportional = s
        else:
            proportional = s * min(a / b, MAX_RATIO)
        out[party] = alpha * uniform + (1 - alpha) * proportional
    return _normalised(out)


def projected(case: SeatCase, weights: Mapping[str, float]) -> dict[str, float]:
    """The published projections' weighted mean, party by party over the sources that
    cover it (a party a projection leaves out is not at 0%)."""
    sums: dict[str, float] = {}
    totals: dict[str, float] = {}
    for name, shares in zip(case.projected_by, case.projections, strict=True):
        weight = weights.get(name, 1.0)
        for party, share in canonical(shares).items():
            if party == OTHER:
                continue
            sums[party] = sums.get(party, 0.0) + weight * share
            totals[party] = totals.get(party, 0.0) + weight
    return {p: sums[p] / totals[p] for p in sums}


def centre(case: SeatCase, standing: Sequence[str], params: ShareParams) -> dict[str, float]:
    from_polls = moved_by_polls(case, standing, params.alpha)
    if not case.projections or params.lam == 0:
        return from_polls
    published = projected(case, params.projection_weights)
    return _normalised({p: (1 - params.lam) * from_polls[p] + params.lam * published[p]
                        if p in published else from_polls[p] for p in standing})


def seat_sigma(centre_share: float, base_share: float, params: ShareParams) -> float:
    p = min(max(centre_share, 0.0), 1.0)
    return (params.c_share * math.sqrt(p * (1 - p))
            + params.c_moved * abs(centre_share - base_share))


def _normalised(shares: Mapping[str, float]) -> dict[str, float]:
    floored = {p: max(s, FLOOR) for p, s in shares.items()}
    total = sum(floored.values())
    return {p: s / total for p, s in floored.items()}


@dataclass(frozen=True)
class SeatInput:
    """One seat ready to simulate: who stands, its centre and seat errors, its region."""

    code: str
    region: str
    parties: tuple[str, ...]
    centre: np.ndarray
    sigma: np.ndarray


def seat_input(case: SeatCase, standing: Sequence[str], region: str, params: ShareParams
               ) -> SeatInput:
    parties = tuple(p for p in (*MAJOR, OTHER) if p in standing)
    middle = centre(case, parties, params)
    base = canonical(case.base)
    return SeatInput(case.code, region, parties,
                     np.array([middle[p] for p in parties]),
                     np.array([seat_sigma(middle[p], base.get(p, 0.0), params)
                               for p in parties]))


def params_digest(params: ShareParams) -> str:
    return hashlib.sha256(json.dumps(asdict(params), sort_keys=True).encode()).hexdigest()


def chances_key(seat: SeatInput, side: Side, params: str) -> str:
    """Everything a seat's chances (`chances([seat], side, params)`) are worked out from,
    as one digest: `params` is `params_digest` of the parameters. Equal keys, equal
    chances, bit for bit, so chances worked out once may be kept under it."""
    digest = hashlib.sha256(repr((params, side.opponent, side.bloc, seat.code, seat.region,
                                  seat.parties, seat.centre.dtype.str, seat.sigma.dtype.str,
                                  DRAWS, SEED)).encode())
    digest.update(seat.centre.tobytes())
    digest.update(seat.sigma.tobytes())
    return digest.hexdigest()


def chances(seats: Sequence[SeatInput], side: Side, params: ShareParams,
            draws: int = DRAWS, seed: int = SEED, chunk: int = 1000) -> dict[str, Forecast]:
    """Each seat's chances against `side`, counted over `draws` seeded draws of every
    seat at once (national and regional errors shared, as they are on the day). The
    draws come from one generator in a fixed order, a chunk at a time: the national
    errors, the regional ones, then each seat's own, seat by seat."""
    return chances_by_kappa(seats, side, params, (params.kappa,), draws, seed,
                            chunk)[params.kappa]


def chances_by_kappa(seats: Sequence[SeatInput], side: Side, params: ShareParams,
                     kappas: Sequence[float], draws: int = DRAWS, seed: int = SEED,
                     chunk: int = 1000) -> dict[float, dict[str, Forecast]]:
    """`chances` with each of `kappas` in turn, drawn once: every error is its scale
    times a standard normal (as numpy draws a normal), so the standard normals are drawn
    once and scaled for each kappa, and each kappa's chances are bit for bit those
    `chances` gives it alone (the fit tries fifteen)."""
    rng = np.random.default_rng(seed)
    regions = sorted({s.region for s in seats})
    parties = (*MAJOR, OTHER)
    tallies = {k: [_Tally(seat, side, parties, regions, k) for seat in seats] for k in kappas}
    done = 0
    while done < draws:
        n = min(chunk, draws - done)
        national = rng.standard_normal((n, len(parties)))
        regional = rng.standard_normal((n, len(regions), len(parties)))
        own = [rng.standard_normal((n, len(seat.parties))) for seat in seats]
        for kappa, kept in tallies.items():
            scaled = (kappa * params.sigma_nat) * national
            scaled[:, parties.index(OTHER)] = 0.0  # Other is what the parties leave
            scaled_regional = (kappa * params.sigma_reg) * regional
            for tally, errors in zip(kept, own, strict=True):
                tally.add(scaled, scaled_regional, errors)
        done += n
    return {k: {t.seat.code: _forecast(t.seat, side, t.top(), t.top_two / draws, draws)
                for t in kept} for k, kept in tallies.items()}


class _Tally:
    """One seat's count over the draws: who of the bloc came top, and whether the
    opponent (the best placed of a set of opponents) came top two."""

    def __init__(self, seat: SeatInput, side: Side, parties: Sequence[str],
                 regions: Sequence[str], kappa: float) -> None:
        self.seat = seat
        self.cols = np.array([parties.index(p) for p in seat.parties], dtype=int)
        self.region = regions.index(seat.region)
        self.spread = kappa * seat.sigma
        opposed = members(side.opponent)
        self.bloc = np.array([i for i, p in enumerate(seat.parties) if p in side.bloc],
                             dtype=int)
        self.opponents = [i for i, p in enumerate(seat.parties) if p in opposed]
        self.others = [i for i, p in enumerate(seat.parties) if p not in opposed]
        self.wins = np.zeros(len(self.bloc), dtype=np.int64)
        self.top_two = 0

    def add(self, national: np.ndarray, regional: np.ndarray, own: np.ndarray) -> None:
        drawn = np.maximum(self.seat.centre + national[:, self.cols]
                           + regional[:, self.region, self.cols] + own * self.spread, 0.0)
        if len(self.bloc):
            self.wins += np.bincount(np.argmax(drawn[:, self.bloc], axis=1),
                                     minlength=len(self.bloc))
        if self.opponents:
            best = drawn[:, self.opponents].max(axis=1, keepdims=True)
            beaten_by = (drawn[:, self.others] > best).sum(axis=1)
            self.top_two += int((beaten_by <= 1).sum())

    def top(self) -> dict[str, int]:
        return {self.seat.parties[i]: int(w) for i, w in zip(self.bloc, self.wins,
                                                              strict=True)}


def _forecast(seat: SeatInput, side: Side, top: Mapping[str, int], top_two: float,
              draws: int) -> Forecast:
    standing = [p for p in seat.parties if p in side.bloc]
    probabilities = {p: top.get(p, 0) / draws for p in standing}
    ranked = tuple(sorted(standing, key=lambda p: (-probabilities[p], side.bloc.index(p))))
    return Forecast(probabilities, top_two, ranked)
