"""Projecting a seat from national polls: pure functions over shares (fractions).

Each model takes a seat's last result {party: share}, the national shares at that election
and the national shares now (both GB), and returns projected shares that stay within 0-1
and sum to 1. Parties the polls do not mention are held at their old national share.

- uniform: every party moves by its national change in points (floored at zero);
- proportional: every party scales by its national ratio (a new party takes its national
  share);
- transition: losing parties lose the same fraction of their vote in every seat, and the
  votes they shed go to the gaining parties in proportion to each one's national gain
  (the idea behind Electoral Calculus's "strong transition" model), so collapses and new
  parties behave sensibly.

Northern Ireland has its own parties and is never projected from GB polls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from bot.models import CandidateResult, Contest

Shares = Mapping[str, float]
# one national series per family of parties: the Brexit Party became Reform UK; the GB
# Greens poll together
SWING_KEY = {"BRX": "RUK", "SGP": "Green", "GPNI": "Green"}


def key(party: str) -> str:
    """The national series a party (or candidate, `party|position`) swings with."""
    party = party.split("|", 1)[0]
    return SWING_KEY.get(party, party)


def national_shares(votes: Mapping[str, int]) -> dict[str, float]:
    """Party votes (any codes) -> shares by swing key."""
    total = sum(votes.values()) or 1
    out: dict[str, float] = {}
    for party, v in votes.items():
        out[key(party)] = out.get(key(party), 0.0) + v / total
    return out


def _normalise(shares: dict[str, float]) -> dict[str, float]:
    shares = {p: max(0.0, s) for p, s in shares.items()}
    total = sum(shares.values())
    if total <= 0:
        return {p: 1 / len(shares) for p in shares} if shares else {}
    return {p: s / total for p, s in shares.items()}


def _changes(before: Shares, after: Shares) -> dict[str, tuple[float, float]]:
    parties = set(before) | set(after)
    return {p: (before.get(p, 0.0), after.get(p, before.get(p, 0.0))) for p in parties}


def uniform(seat: Shares, before: Shares, after: Shares) -> dict[str, float]:
    change = _changes(before, after)
    out = {p: s + (change[key(p)][1] - change[key(p)][0] if key(p) in change else 0.0)
           for p, s in seat.items()}
    for party, (b, a) in change.items():  # a party new to this seat arrives with its gain
        if b == 0 and a > 0 and not any(key(p) == party for p in seat):
            out[party] = a
    return _normalise(out)


def proportional(seat: Shares, before: Shares, after: Shares) -> dict[str, float]:
    change = _changes(before, after)
    out = {}
    for p, s in seat.items():
        b, a = change.get(key(p), (0.0, 0.0))
        out[p] = s * (a / b) if b > 0 else s
    for party, (b, a) in change.items():
        if b == 0 and a > 0 and not any(key(p) == party for p in seat):
            out[party] = a
    return _normalise(out)


def transition(seat: Shares, before: Shares, after: Shares) -> dict[str, float]:
    change = _changes(before, after)
    gains = {p: a - b for p, (b, a) in change.items() if a > b}
    total_gain = sum(gains.values())
    out: dict[str, float] = {}
    shed = 0.0
    for p, s in seat.items():
        b, a = change.get(key(p), (0.0, 0.0))
        if b > 0 and a < b:
            kept = s * a / b
            shed += s - kept
            out[p] = kept
        else:
            out[p] = s
    if total_gain > 0:
        for party, gain in gains.items():
            holders = [p for p in out if key(p) == party] or [party]
            for p in holders:
                out[p] = out.get(p, 0.0) + shed * gain / total_gain / len(holders)
    return _normalise(out)


def mixed(seat: Shares, before: Shares, after: Shares) -> dict[str, float]:
    """Half uniform, half proportional: big parties move by points, small ones by ratio."""
    u, p = uniform(seat, before, after), proportional(seat, before, after)
    return _normalise({k: (u.get(k, 0.0) + p.get(k, 0.0)) / 2 for k in {**u, **p}})


MODELS: dict[str, Callable[[Shares, Shares, Shares], dict[str, float]]] = {
    "uniform": uniform, "proportional": proportional, "mixed": mixed,
    "transition": transition,
}
DEFAULT_MODEL = "proportional"  # chosen by the backtest (README)


def project_contest(contest: Contest, nation: str, model: str, before: Shares, after: Shares,
                    party_names: Mapping[str, str]) -> Contest:
    """The contest as the model projects it (votes scaled to the same turnout)."""
    if nation == "Northern Ireland":
        return contest
    seat = {f"{c.party}|{c.position}": c.share for c in contest.candidates}
    projected = MODELS[model](seat, before, after)
    ranked = sorted(projected.items(), key=lambda kv: -kv[1])
    old = {f"{c.party}|{c.position}": c for c in contest.candidates}
    candidates = []
    for position, (cid, share) in enumerate(ranked, start=1):
        party = cid.split("|", 1)[0]
        person = old[cid].candidate if cid in old else None
        candidates.append(CandidateResult(party, party_names.get(party, party), person,
                                          round(share * contest.valid_votes), share, position,
                                          position == 1))
    return replace(contest, candidates=tuple(candidates), result=None, majority=None,
                   election_name=f"{contest.election_name}, projected ({model})")
