"""Scoring calls the way voters feel them, and how well the seat model's chances are
calibrated.

For each GB seat where the opponent finished first or second, a call naming the party
that finished highest of the bloc (Lab, LD, Green, SNP, PC) is right, a call naming any
other party is wrong, and no call counts nothing: net = right - 3 x wrong. Best-placed
accuracy: of all the seats where a party is named, the share where it finished highest
of the bloc.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.forecast.inputs import Outcome
from bot.forecast.model import WRONG_CALL_COST, Forecast, brier  # noqa: F401 (scorecard.brier)


@dataclass(frozen=True)
class Score:
    pair: str
    model: str
    calls: int  # seats where a party is named
    best_placed: int  # of those, named the party that came top of the bloc
    seats: int  # seats where the opponent finished top two
    right: int
    wrong: int

    @property
    def net(self) -> float:
        return self.right - WRONG_CALL_COST * self.wrong

    @property
    def accuracy(self) -> float:
        return self.best_placed / self.calls if self.calls else 0.0


def score(pair: str, model: str, calls: Mapping[str, str | None],
          outcomes: Mapping[str, Outcome]) -> Score:
    """`calls`: seat code -> the party named (None: no call)."""
    named = best = seats = right = wrong = 0
    for code, outcome in outcomes.items():
        call = calls.get(code)
        if call:
            named += 1
            best += call == outcome.best_bloc
        if not outcome.opponent_top_two:
            continue
        seats += 1
        if call:
            right += call == outcome.best_bloc
            wrong += call != outcome.best_bloc
    return Score(pair, model, named, best, seats, right, wrong)


def format_scores(scores: Sequence[Score]) -> str:
    lines = [f"{'pair':<12} {'model':<30} {'calls':>6} {'best-placed':>12} "
             f"{'opp. top 2':>10} {'right':>6} {'wrong':>6} {'net':>6}"]
    for s in scores:
        label = {"2015": "2010->2015", "2017": "2015->2017", "2019": "2017->2019",
                 "2024": "2019n->2024"}.get(s.pair, s.pair)
        lines.append(f"{label:<12} {s.model:<30} {s.calls:>6} {s.accuracy:>11.1%} "
                     f"{s.seats:>10} {s.right:>6} {s.wrong:>6} {s.net:>6.0f}")
    return "\n".join(lines)


# -- calibration ----------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    low: float  # predicted probability in [low, low + 0.1)
    count: int
    mean_predicted: float
    observed: float  # how often the party did finish highest of the bloc


def predictions(forecasts: Mapping[str, Forecast], outcomes: Mapping[str, Outcome]
                ) -> list[tuple[float, bool]]:
    """(chance, came true) for every bloc party in every seat with an outcome."""
    out = []
    for code, f in forecasts.items():
        outcome = outcomes.get(code)
        if outcome is None or outcome.best_bloc is None:
            continue
        out += [(p, party == outcome.best_bloc) for party, p in f.probabilities.items()]
    return out


def calibration(pairs: Sequence[tuple[float, bool]], bands: int = 10) -> list[Band]:
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bands)]
    for p, hit in pairs:
        grouped[min(int(p * bands), bands - 1)].append((p, hit))
    return [Band(i / bands, len(g), sum(p for p, _ in g) / len(g),
                 sum(h for _, h in g) / len(g)) for i, g in enumerate(grouped) if g]


def certain(party: str | None, standing: Sequence[str]) -> dict[str, float]:
    """A rule's call as probabilities: all on the party it names."""
    return {p: float(p == party) for p in standing}


def format_calibration(bands: Sequence[Band]) -> str:
    lines = [f"{'predicted':<12} {'parties':>8} {'mean predicted':>15} {'came true':>10}"]
    for b in bands:
        lines.append(f"{b.low:.1f}-{b.low + 0.1:.1f}{'':<4} {b.count:>8} "
                     f"{b.mean_predicted:>15.1%} {b.observed:>10.1%}")
    return "\n".join(lines)


def plot(bands_by_pair: Mapping[str, Sequence[Band]], path: Path) -> None:
    """The reliability diagram: predicted chance against how often it came true."""
    from PIL import Image, ImageDraw

    size, margin = 520, 60
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    span = size - 2 * margin

    def xy(px: float, py: float) -> tuple[float, float]:
        return margin + px * span, size - margin - py * span

    draw.rectangle([xy(0, 1), xy(1, 0)], outline="#888888")
    draw.line([xy(0, 0), xy(1, 1)], fill="#BBBBBB", width=1)
    for i in range(0, 11, 2):
        draw.text((xy(i / 10, 0)[0] - 8, size - margin + 8), f"{i / 10:.1f}", fill="black")
        draw.text((margin - 32, xy(0, i / 10)[1] - 6), f"{i / 10:.1f}", fill="black")
    colours = ["#E4003B", "#FAA61A", "#02A95B", "#1F77B4"]
    for n, (pair, bands) in enumerate(bands_by_pair.items()):
        colour = colours[n % len(colours)]
        points = [xy(b.mean_predicted, b.observed) for b in bands]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        draw.text((margin + 10, margin + 10 + 16 * n), f"{pair}", fill=colour)
    draw.text((size / 2 - 90, size - 24), "predicted chance (bands of 10 points)",
              fill="black")
    draw.text((8, 8), "how often it came true", fill="black")
    image.save(path)


def write_forecast_csv(rows: Sequence[tuple[str, str, str, Forecast]], path: Path) -> None:
    """One row per seat: the model's call and chances (nothing about the result)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "name", "recommended", "verdict", "model", "leader",
                         "p_leader", "runner_up", "p_runner_up", "p_opponent_top_two"])
        for code, name, model, fc in rows:
            writer.writerow([code, name, fc.call or "", fc.verdict, model, fc.leader or "",
                             f"{fc.chance(fc.leader):.4f}", fc.runner_up or "",
                             f"{fc.chance(fc.runner_up):.4f}", f"{fc.opponent_top_two:.4f}"])
