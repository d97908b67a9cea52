"""Seat projections for the coming election, loaded by the bot's owners from a publisher's
per-seat file (`projections import NAME FILE`, or `!projections import` with the file
attached). The live seat model averages the loaded ones into each seat's estimate and
says which they are; with none loaded it rests on the result and the polls, as before.

A file is read whole before anything is stored (`elections.importers.projections.read`):
a seat code or name column and a share column per party. A bad file changes nothing. A
party a file has no figure for is not covered by it (never 0%). Loading a name again is
refused unless the owner asks to replace it, which is then one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.elections.importers.errors import ImportFailed
from bot.elections.importers.projections import read
from bot.errors import UserFacingError
from bot.store.base import Store
from bot.textnorm import count, label, visible

NAME_LIMIT = 40
MAX_BYTES = 2_000_000  # a seat table is about 40 kB; anything this big is not one


class ProjectionError(UserFacingError):
    """A projection file or name we cannot take; nothing was changed."""


@dataclass(frozen=True)
class Loaded:
    name: str
    published: str
    seats: int
    loaded_at: str
    replaced: Loaded | None = None  # what a `--replace` import took the place of

    @property
    def label(self) -> str:
        """How answers name it: "YouGov MRP of 2029-04-30"."""
        return f"{self.name} of {self.published}"


def check_name(name: str) -> str:
    found = label(name, NAME_LIMIT)
    if found is None:
        raise ProjectionError(f"a projection's name is 1 to {NAME_LIMIT} letters, digits, "
                              "spaces or -_.'")
    return found


def check_date(published: str | None, today: date) -> str:
    if published is None:
        return today.isoformat()
    try:
        day = date.fromisoformat(published.strip())
    except ValueError:
        raise ProjectionError(f"{visible(published)[:20]!r} is not a date (YYYY-MM-DD)") from None
    if not date(2024, 7, 5) <= day <= today:
        raise ProjectionError("a projection for the coming election is published after the "
                              "2024 election and not in the future")
    return day.isoformat()


def parse(raw: bytes, label: str, seats: Mapping[str, str],
          names: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """seat code -> shares, for 2024 seats only. `names`: seat name (`match_key`) -> code."""
    try:
        rows = read(raw, label, seat_names=names)
    except ImportFailed as exc:
        raise ProjectionError(str(exc)) from None
    unknown = [code for code, _s in rows if code not in seats]
    if unknown:
        raise ProjectionError(f"{label}: {unknown[0]} is not a seat on the 2024 boundaries "
                              f"({count(len(unknown), 'such row')}); nothing was loaded")
    return dict(rows)


def store(db: Store, name: str, published: str,
          shares: Mapping[str, Mapping[str, float]], loaded_by: int | None, *,
          replace: bool = False) -> Loaded:
    """Load a projection under a new name, or (`replace`) in place of the one it names."""
    name = check_name(name)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with db.transaction() as conn:
        before = next((p for p in loaded(db) if p.name.casefold() == name.casefold()), None)
        if before is not None and not replace:
            raise ProjectionError(f"a projection called {before.name!r} is already loaded "
                                  f"({count(before.seats, 'seat')}, published "
                                  f"{before.published}): "
                                  "import it with --replace to replace it")
        conn.execute("delete from owner_projections where name = ?",
                     (before.name if before else name,))
        conn.executemany(
            "insert into owner_projections (name, published, seat_code, party, share, "
            "loaded_by, loaded_at) values (?, ?, ?, ?, ?, ?, ?)",
            [(name, published, code, party, share, loaded_by, now)
             for code, parties in shares.items() for party, share in parties.items()])
    return Loaded(name, published, len(shares), now, before)


def remove(db: Store, name: str) -> int:
    with db.transaction() as conn:
        gone = conn.execute("delete from owner_projections where name = ?",
                            (visible(name),)).rowcount
    if not gone:
        raise ProjectionError(f"no projection called {visible(name)[:NAME_LIMIT]!r} is loaded")
    return gone


def loaded(db: Store) -> list[Loaded]:
    return [Loaded(*row) for row in db.execute(
        "select name, max(published), count(distinct seat_code), max(loaded_at) "
        "from owner_projections group by name order by name")]


def by_seat(db: Store) -> dict[str, dict[str, dict[str, float]]]:
    """seat code -> label ("YouGov MRP of 2029-04-30") -> party -> share."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, published, code, party, share in db.execute(
            "select name, published, seat_code, party, share from owner_projections "
            "order by name"):
        out.setdefault(code, {}).setdefault(f"{name} of {published}", {})[party] = share
    return out
