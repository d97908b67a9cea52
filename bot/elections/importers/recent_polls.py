"""GB voting-intention polls since the 2024 election -> the averages the live answers use.

The averages are taken at import, from what the file holds, as of the newest fieldwork
date and every fortnight before it: each pollster's latest poll in the WINDOW_DAYS up to
that date (so a pollster that polls weekly counts once, as much as one that polls
monthly), averaged party by party over the pollsters that report the party. Fewer than
MIN_POLLSTERS in the window widens it, once. Stored in `poll_average` with the date,
window and pollsters named. A malformed file is refused whole, naming the poll at fault.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed

WINDOW_DAYS = 28
STEP_DAYS = 14  # an average every fortnight back from the newest poll
MIN_POLLSTERS = 3
PARTIES = {"lab": "Lab", "con": "Con", "ref": "RUK", "ld": "LD", "grn": "Green",
           "snp": "SNP", "pc": "PC"}


def load(db: sqlite_utils.Database, path: Path) -> None:
    """The average as of the newest poll, and as of every STEP_DAYS before it back to the
    first full window: the live model takes the newest one it can rest on (`forecast.live`)."""
    polls = read(path)
    if not polls:
        return
    newest, oldest = max(p["end"] for p in polls), min(p["end"] for p in polls)
    days = [newest]  # the newest, then a fortnight back at a time while a window is full
    while days[-1] - timedelta(days=STEP_DAYS) >= oldest + timedelta(days=WINDOW_DAYS):
        days.append(days[-1] - timedelta(days=STEP_DAYS))
    averages = {}  # by the date each is as of: two steps with no poll between are one
    for day in days:
        average = _average(polls, day)
        if average:
            averages.setdefault(average[0]["date"], average)
    db["poll_average"].insert_all(row for average in averages.values() for row in average)


def _average(polls: list[dict], day: date) -> list[dict]:
    """Each pollster's latest poll in the window to `day` (widened once if too few),
    averaged party by party; dated by the newest fieldwork in it."""
    window = WINDOW_DAYS
    chosen = _latest_per_pollster(polls, day - timedelta(days=window), day)
    if len(chosen) < MIN_POLLSTERS:
        window *= 2
        chosen = _latest_per_pollster(polls, day - timedelta(days=window), day)
    if not chosen:
        return []
    pollsters = "; ".join(sorted(chosen))
    as_of = max(p["end"] for p in chosen.values()).isoformat()
    rows = []
    for party in PARTIES.values():
        shares = [p["shares"][party] for p in chosen.values() if party in p["shares"]]
        if shares:
            rows.append({"area": "GB", "date": as_of, "party": party,
                         "share": round(sum(shares) / len(shares), 2),
                         "window_days": window, "pollsters": pollsters})
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
            end = date.fromisoformat(str(row["fieldworkEnd"]))
            pollster = str(row["pollster"]).strip()
        except (KeyError, ValueError) as exc:
            raise ImportFailed(f"{where} has no fieldwork end date or pollster") from exc
        if not pollster or not date(2024, 7, 5) <= end <= date.today():
            raise ImportFailed(f"{where}: a poll must be after the 2024 election and not in "
                               "the future, with a pollster")
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
        polls.append({"end": end, "pollster": pollster, "shares": shares})
    return polls


def _latest_per_pollster(polls: list[dict], since: date, until: date) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for poll in polls:
        if since <= poll["end"] <= until and (poll["pollster"] not in latest
                                     or poll["end"] > latest[poll["pollster"]]["end"]):
            latest[poll["pollster"]] = poll
    return latest
