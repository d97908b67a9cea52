"""GB voting-intention polls since the 2024 election -> the averages the live answers use.

Two files are read and merged (a poll in both, by pollster and fieldwork end, counts
once): Wikipedia's tables (ten pollsters, to 2026-04-07) and the merged file of six
pollsters to 2026-04-23, with Restore Britain where reported. A row that fails a sanity
check is refused with its reason (`polls_refused`), never averaged: one published before
its own fieldwork ended (its figures come from an older poll), or one more than
OUTLIER_POINTS from the median of the other pollsters in the same fortnight.

The averages are taken at import as of the newest fieldwork date and every fortnight
before it: each pollster's latest poll in the WINDOW_DAYS up to that date (so a pollster
that polls weekly counts once, as much as one that polls monthly), less the pollster's
house effect (its mean difference from the other pollsters' polls of the same fortnight,
where it has HOUSE_MIN_POLLS such comparisons), weighted by recency (halved every
HALF_LIFE_DAYS), averaged party by party over the pollsters that report the party (two at
least). Fewer than MIN_POLLSTERS in the window widens it, once. Stored in `poll_average`
with the date, window and pollsters named. A malformed file is refused whole, naming the
poll at fault.
"""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed

WINDOW_DAYS = 28
STEP_DAYS = 14  # an average every fortnight back from the newest poll
MIN_POLLSTERS = 3
HALF_LIFE_DAYS = 14  # a poll two weeks older than the average's date counts half
NEAR_DAYS = 14  # "the same fortnight": polls this close are compared
OUTLIER_POINTS = 12  # a party this far from the other pollsters' median: not this poll
HOUSE_MIN_POLLS = 3  # comparisons a pollster needs before its house effect is used
FIRST_DAY = date(2024, 7, 5)  # polls for the next election start the day after the last
PARTIES = {"lab": "Lab", "con": "Con", "ref": "RUK", "ld": "LD", "grn": "Green",
           "snp": "SNP", "pc": "PC", "rb": "RB"}


def load(db: sqlite_utils.Database, *paths: Path) -> None:
    """The average as of the newest poll, and as of every STEP_DAYS before it back to the
    first full window: the live forecast takes the newest (`forecast.live`)."""
    polls, refused = checked(merged(*(read(path) for path in paths)))
    db["polls_refused"].insert_all(refused)
    if not polls:
        return
    house = house_effects(polls)
    newest, oldest = max(p["end"] for p in polls), min(p["end"] for p in polls)
    days = [newest]  # the newest, then a fortnight back at a time while a window is full
    while days[-1] - timedelta(days=STEP_DAYS) >= oldest + timedelta(days=WINDOW_DAYS):
        days.append(days[-1] - timedelta(days=STEP_DAYS))
    averages = {}  # by the date each is as of: two steps with no poll between are one
    for day in days:
        average = _average(polls, day, house)
        if average:
            averages.setdefault(average[0]["date"], average)
    db["poll_average"].insert_all(row for average in averages.values() for row in average)


def merged(*files: list[dict]) -> list[dict]:
    """Every poll once: the first file's copy of a poll both files hold."""
    seen, out = set(), []
    for polls in files:
        for poll in polls:
            if (poll["pollster"].casefold(), poll["end"]) not in seen:
                seen.add((poll["pollster"].casefold(), poll["end"]))
                out.append(poll)
    return out


def checked(polls: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the polls that pass, the refused ones with their reasons)."""
    kept, refused = [], []
    for poll in polls:
        reason = _implausible(poll, polls)
        if reason:
            refused.append({"pollster": poll["pollster"], "date": poll["end"].isoformat(),
                            "reason": reason})
        else:
            kept.append(poll)
    return kept, refused


def _near(poll: dict, polls: list[dict]) -> list[dict]:
    """The other pollsters' polls of the same fortnight."""
    return [p for p in polls if p["pollster"] != poll["pollster"]
            and abs((p["end"] - poll["end"]).days) <= NEAR_DAYS]


def _implausible(poll: dict, polls: list[dict]) -> str:
    published = poll.get("published")
    if published is not None and published < poll["end"]:
        return (f"published {published}, before its fieldwork ended on {poll['end']}: its "
                "figures belong to an older poll")
    others = _near(poll, polls)
    for party, share in poll["shares"].items():
        near = [p["shares"][party] for p in others if party in p["shares"]]
        if len(near) >= 3 and abs(share - statistics.median(near)) > OUTLIER_POINTS:
            return (f"{party} {share:g}% against {statistics.median(near):g}% in the other "
                    "pollsters' polls of the same fortnight")
    return ""


def house_effects(polls: list[dict]) -> dict[tuple[str, str], float]:
    """(pollster, party) -> its mean difference from the other pollsters' polls of the
    same fortnight, where it has HOUSE_MIN_POLLS such comparisons."""
    differences: dict[tuple[str, str], list[float]] = {}
    for poll in polls:
        others = _near(poll, polls)
        for party, share in poll["shares"].items():
            near = [p["shares"][party] for p in others if party in p["shares"]]
            if near:
                differences.setdefault((poll["pollster"], party), []).append(
                    share - statistics.fmean(near))
    return {k: statistics.fmean(v) for k, v in differences.items()
            if len(v) >= HOUSE_MIN_POLLS}


def _average(polls: list[dict], day: date, house: dict[tuple[str, str], float]
             ) -> list[dict]:
    """Each pollster's latest poll in the window to `day` (widened once if too few), less
    its house effect, weighted by recency, averaged party by party; dated by the newest
    fieldwork in it."""
    window = WINDOW_DAYS
    chosen = _latest_per_pollster(polls, day - timedelta(days=window), day)
    if len(chosen) < MIN_POLLSTERS:
        window *= 2
        chosen = _latest_per_pollster(polls, day - timedelta(days=window), day)
    if not chosen:
        return []
    pollsters = "; ".join(sorted(chosen))
    as_of = max(p["end"] for p in chosen.values())
    rows = []
    for party in PARTIES.values():
        weighted = [(0.5 ** ((as_of - p["end"]).days / HALF_LIFE_DAYS),
                     p["shares"][party] - house.get((name, party), 0.0))
                    for name, p in chosen.items() if party in p["shares"]]
        if len(weighted) >= min(2, len(chosen)):
            share = sum(w * v for w, v in weighted) / sum(w for w, _v in weighted)
            rows.append({"area": "GB", "date": as_of.isoformat(), "party": party,
                         "share": round(max(share, 0.0), 2), "window_days": window,
                         "pollsters": pollsters})
    return rows


def read(path: Path) -> list[dict]:
    """Every poll in the file, checked: a date, a pollster, shares that are percentages
    adding up to roughly a whole electorate."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailed(f"{path.name} is not a readable polls file ({exc})") from exc
    if not isinstance(raw, list):
        raise ImportFailed(f"{path.name} should hold a list of polls")
    polls = []
    for number, row in enumerate(raw, start=1):
        where = f"{path.name} poll {number} ({str(row.get('id', '?'))[:40]!r})" \
            if isinstance(row, dict) else f"{path.name} poll {number}"
        if not isinstance(row, dict) or row.get("mrp"):
            if not isinstance(row, dict):
                raise ImportFailed(f"{where} is not a poll")
            continue  # a seat model, not a national poll
        try:
            end = date.fromisoformat(str(row.get("date") or row["fieldworkEnd"]))
            pollster = str(row["pollster"]).strip()
        except (KeyError, ValueError) as exc:
            raise ImportFailed(f"{where} has no fieldwork end date or pollster") from exc
        if not pollster or end > date.today():
            raise ImportFailed(f"{where}: a poll must not be in the future, and needs a "
                               "pollster")
        if end < FIRST_DAY:
            continue  # a poll for the 2024 election, or before it
        try:
            published = date.fromisoformat(str(row["publishedAt"])) \
                if row.get("publishedAt") else None
        except ValueError as exc:
            raise ImportFailed(f"{where}: publishedAt is not a date") from exc
        shares = {}
        for column, party in PARTIES.items():
            value = row.get(column)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= 100:
                raise ImportFailed(f"{where}: {column} is {value!r}, not a percentage")
            shares[party] = float(value)
        if not 80 <= sum(shares.values()) + float(row.get("oth") or 0) <= 110:
            raise ImportFailed(f"{where}: the shares add up to "
                               f"{sum(shares.values()):.0f}%, not about 100%")
        polls.append({"end": end, "pollster": pollster, "shares": shares,
                      "published": published})
    return polls


def _latest_per_pollster(polls: list[dict], since: date, until: date) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for poll in polls:
        if since <= poll["end"] <= until and (poll["pollster"] not in latest
                                     or poll["end"] > latest[poll["pollster"]]["end"]):
            latest[poll["pollster"]] = poll
    return latest
