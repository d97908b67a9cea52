"""National voting intention, set by the bot's owners, that projections start from."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.errors import UserFacingError
from bot.owner_files import csv_rows
from bot.store.base import Store
from bot.textnorm import party_code


class PollInputError(UserFacingError):
    pass


MIN_TOTAL = 30  # percent: less (all zeros, say) is a typo, even for a partial list
EARLIEST = date(2024, 7, 5)  # after the last general election in our data
COLUMNS = {"date", "pollster", "area", "party", "share", "source"}


@dataclass(frozen=True)
class NationalPoll:
    id: int
    date: str
    pollster: str
    area: str
    shares: dict[str, float]  # percent
    source: str

    def fractions(self) -> dict[str, float]:
        return {p: v / 100 for p, v in self.shares.items()}


def parse(text: str, known_parties: set[str]) -> dict:
    """`Lab=30 Con=18 RUK=27 source="YouGov 20 Nov" date=2026-11-20 pollster=YouGov`."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise PollInputError(f"could not read that ({exc})") from None
    shares: dict[str, float] = {}
    fields = {"source": "", "date": date.today().isoformat(), "pollster": "average",
              "area": "GB"}
    for token in tokens:
        name, sep, value = token.partition("=")
        if not sep or not value:
            raise PollInputError(f"write party=percent or source=\"...\", not {token[:30]!r}")
        if name.lower() in fields:
            fields[name.lower()] = value.strip()
            continue
        party = party_code(name, known_parties)
        if party is None:
            raise PollInputError(f"unknown party {name[:20]!r}")
        if not re.fullmatch(r"\d{1,2}(\.\d)?|100", value):
            raise PollInputError(f"{party}={value[:10]}: give a percentage from 0 to 100")
        if party in shares:
            raise PollInputError(f"{party} is listed twice: give each party once")
        shares[party] = float(value)
    if len(shares) < 2:
        raise PollInputError("give at least two parties, e.g. Lab=30 Con=20")
    total = sum(shares.values())
    if total > 101:
        raise PollInputError(f"the shares add up to {total:.0f}%, over 100%")
    if total < MIN_TOTAL:
        raise PollInputError(f"the shares add up to only {total:.0f}%: give the main "
                             "parties' figures")
    if not fields["source"]:
        raise PollInputError('say where the figures come from: source="..."')
    try:
        when = date.fromisoformat(fields["date"])
    except ValueError:
        raise PollInputError(f"{fields['date'][:20]!r} is not a date (YYYY-MM-DD)") from None
    if not EARLIEST <= when <= date.today():
        raise PollInputError(f"{when}: polls must be dated after the last general election "
                             "and not in the future")
    fields["date"] = when.isoformat()
    if fields["area"] not in ("GB", "Scotland", "Wales"):
        raise PollInputError("area must be GB, Scotland or Wales")
    return {**fields, "shares": shares}


def add(db: Store, poll: dict, *, by: int | None,
        owners: Collection[int] | None        ) -> NationalPoll:
    if owners is not None and by not in owners:  # None: the operator's own shell
        raise PollInputError("only the bot's owners can set national polls")
    same = _same_poll(db, poll)
    if same is not None:  # the same poll set or imported again: kept once
        return same
    added = db.execute(
        "insert into national_polls (date, pollster, area, shares, source, created_by, "
        "created_at) values (?, ?, ?, ?, ?, ?, ?) returning id",
        (poll["date"], poll["pollster"][:100], poll["area"], json.dumps(poll["shares"]),
         poll["source"][:300], by, datetime.now(UTC).isoformat(timespec="seconds")))
    return latest(db, poll["area"], added.fetchone()[0])


def _same_poll(db: Store, poll: dict) -> NationalPoll | None:
    rows = db.execute(
        "select id from national_polls where deleted_at is null and date = ? and area = ? "
        "and pollster = ? and source = ?",
        (poll["date"], poll["area"], poll["pollster"][:100], poll["source"][:300])).fetchall()
    for (poll_id,) in rows:
        found = latest(db, poll["area"], poll_id)
        if found is not None and found.shares == poll["shares"]:
            return found
    return None


def on_record(db: Store) -> list[NationalPoll]:
    """Every poll an owner set or imported and has not deleted, newest first."""
    return [NationalPoll(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in db.execute(
        "select id, date, pollster, area, shares, source from national_polls where deleted_at "
        "is null order by date desc, id desc")]


def latest(db: Store, area: str = "GB", poll_id: int | None = None
           ) -> NationalPoll | None:
    sql = ("select id, date, pollster, area, shares, source from national_polls where area = ? "
           "and deleted_at is null")
    params: tuple = (area,)
    if poll_id is not None:
        sql += " and id = ?"
        params += (poll_id,)
    row = db.execute(sql + " order by date desc, id desc limit 1", params).fetchone()
    if row is None:
        return None
    return NationalPoll(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])


def import_csv(db: Store, path: Path, known_parties: set[str]) -> int:
    """Rows of date,pollster,area,party,share,source; one poll per (date, pollster, area).
    Returns how many were new: a poll already on record is not added again."""
    grouped: dict[tuple, dict] = {}
    reader = csv_rows(path, PollInputError)
    missing = COLUMNS - {"area"} - set(reader.fieldnames or ())
    if missing:
        raise PollInputError(f"{path.name} needs the columns date,pollster,area,party,"
                             f"share,source (missing: {', '.join(sorted(missing))})")
    for row in reader:
        k = (row["date"], row["pollster"], row.get("area") or "GB")
        entry = grouped.setdefault(k, {"source": row["source"], "parts": []})
        entry["parts"].append(f"{row['party']}={row['share']}")
    parsed = [parse(" ".join([*entry["parts"], f"date={when}", f"area={area}",
                              "pollster=" + shlex.quote(pollster),
                              "source=" + shlex.quote(entry["source"])]), known_parties)
              for (when, pollster, area), entry in grouped.items()]  # all checked first
    new = [poll for poll in parsed if _same_poll(db, poll) is None]
    for poll in new:
        add(db, poll, by=None, owners=None)
    return len(new)


def delete(db: Store, poll_id: int, *, by: int | None = None,
           owners: Collection[int] | None = None) -> NationalPoll:
    """An owner retires a national poll (kept, marked deleted); the one before applies."""
    if owners is not None and by not in owners:
        raise PollInputError("only the bot's owners can delete national polls")
    if not 1 <= poll_id <= 2**63 - 1:
        raise PollInputError(f"there is no national poll #{str(poll_id)[:20]}")
    row = db.execute("select area from national_polls where id = ? and deleted_at is "
                          "null", (poll_id,)).fetchone()
    if row is None:
        raise PollInputError(f"there is no national poll #{poll_id}")
    poll = latest(db, row[0], poll_id)
    db.execute("update national_polls set deleted_at = ? where id = ?",
                    (datetime.now(UTC).isoformat(timespec="seconds"), poll_id))
    return poll
