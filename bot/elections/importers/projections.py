"""Published per-seat projections (MRPs and similar) -> `seat_projections`.

One row per (election, model, publication date, seat, party), the share a fraction by swing
key. The same reader takes the pinned files of past elections and the files owners load
for the next one: a seat code or name column and a share column per party, under any of
the common headers. A malformed file is refused whole, naming the row at fault.

The 2019 file also holds the 2019 *results*, merged after polling day: its reader looks
only at the `code`, `dec.*` and `nov.*` columns, found by name in the header, and never
reads another cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot import db as dbmod
from bot.elections.importers.errors import ImportFailed
from bot.places.postcodes import REVISED_SCOTTISH_CODES
from bot.textnorm import match_key

# Header (lower-cased, punctuation dropped) -> swing key. Others' columns are not read.
PARTY_HEADERS = {
    "con": "Con", "conservative": "Con", "conservatives": "Con", "tory": "Con",
    "lab": "Lab", "labour": "Lab",
    "ld": "LD", "lib": "LD", "libdem": "LD", "libdems": "LD", "liberaldemocrat": "LD",
    "liberaldemocrats": "LD",
    "grn": "Green", "green": "Green", "greens": "Green",
    "ref": "RUK", "reform": "RUK", "reformuk": "RUK", "ruk": "RUK", "brexit": "RUK",
    "brx": "RUK",
    "ukip": "UKIP",
    "snp": "SNP",
    "pc": "PC", "plaid": "PC", "plaidcymru": "PC",
}
CODE_HEADERS = ("code", "seatcode", "constituencycode", "onscode", "pcon", "gsscode", "id")
NAME_HEADERS = ("name", "seat", "constituency", "constituencyname", "seatname")
GSS_SEAT = re.compile(r"^[ENSW]\d{8}$")
MAX_ROWS = 2000


@dataclass(frozen=True)
class Published:
    """One model's file: which election it forecasts, when it was published."""

    election_id: str
    model: str
    published: str
    path: Path
    columns: str = ""  # a prefix the party headers must carry ("dec."), else bare names


# The pinned files of past elections (sources.PROJECTIONS holds where each comes from).
# The 2017 final release is dated by its publication, the 2024 scrapes by their folder.
def pinned(election_id: str, model: str, published: str, path: Path) -> list[Published]:
    if election_id == "ge2019":  # one file, two releases: 27 Nov and 10 Dec
        return [Published(election_id, model, "2019-11-27", path, "nov."),
                Published(election_id, model, "2019-12-10", path, "dec.")]
    return [Published(election_id, model, published, path)]


def load(db: sqlite_utils.Database, files: Iterable[Published],
         seat_names: Mapping[str, str] | None = None) -> int:
    """Read every file before writing any row: one bad file and nothing is stored."""
    rows = [row for f in files for row in _rows(f, seat_names)]
    dbmod.insert_rows(db, "seat_projections", rows)
    return len(rows)


def _rows(f: Published, seat_names: Mapping[str, str] | None) -> Iterator[dict]:
    boundaries = "2024" if f.election_id >= "ge2019n" else "2010"
    for code, shares in read(f.path.read_bytes(), f.path.name, f.columns, seat_names,
                             boundaries):
        for party, share in shares.items():
            yield {"election_id": f.election_id, "model": f.model,
                   "published": f.published, "seat_code": code, "party": party,
                   "share": share}


def normalised(text: str) -> str:
    """A column header or party code as compared: lower-case letters only."""
    return re.sub(r"[^a-z]", "", text.lower())


def read(raw: bytes, label: str, prefix: str = "",
         seat_names: Mapping[str, str] | None = None, boundaries: str = "2024"
         ) -> list[tuple[str, dict[str, float]]]:
    """(seat code, {party: share as a fraction}) per seat with figures. A row of all zeros
    (a model's missing seat) is left out. `seat_names` maps names (`match_key`) to codes,
    for files keyed by seat name. On 2024 boundaries, five Scottish seats' first codes are
    read as their revised ones."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{label} is not UTF-8 text") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ImportFailed(f"{label} is empty")
    names = [normalised(h[len(prefix):]) if h.startswith(prefix) else None for h in header]
    if prefix:  # the seat key is unprefixed; nothing else without the prefix is read
        names = [n if n is not None else ("code" if normalised(h) == "code" else None)
                 for n, h in zip(names, header, strict=True)]
    parties = {i: PARTY_HEADERS[n] for i, n in enumerate(names) if n in PARTY_HEADERS}
    code_col = next((i for h in CODE_HEADERS for i, n in enumerate(names) if n == h), None)
    name_col = next((i for h in NAME_HEADERS for i, n in enumerate(names) if n == h), None)
    if len(set(parties.values())) < 2:
        raise ImportFailed(f"{label} has no share columns for two parties or more (headers "
                           "such as con, lab, ld, green, reform, snp, pc)")
    if code_col is None and (name_col is None or seat_names is None):
        raise ImportFailed(f"{label} has no seat code column (code, pcon, ons code)"
                           + ("" if seat_names is None else " or seat name column"))
    out: dict[str, dict[str, float]] = {}
    largest = 0.0
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS:
            raise ImportFailed(f"{label} has more than {MAX_ROWS} rows: not a seat table")
        if not any(cell.strip() for cell in row):
            continue
        where = f"{label} row {number}"
        code = _seat(row, code_col, name_col, seat_names, where)
        if boundaries == "2024":
            code = REVISED_SCOTTISH_CODES.get(code, code)
        shares: dict[str, float] = {}
        for i, party in parties.items():
            cell = row[i].strip() if i < len(row) else ""
            if cell in ("", "NA", "-", "n/a"):
                continue
            try:
                value = float(cell.rstrip("%"))
            except ValueError:
                raise ImportFailed(f"{where}: {header[i]!r} is {cell[:20]!r}, not a "
                                   "percentage") from None
            if not 0 <= value <= 100:
                raise ImportFailed(f"{where}: {header[i]!r} is {value:g}, not a percentage")
            largest = max(largest, value)
            shares[party] = shares.get(party, 0.0) + value / 100
        if not shares:
            continue  # the seat has no figures in this release
        total = sum(shares.values())
        if total == 0:
            continue  # all zeros: the model did not cover the seat
        if total > 1.05:
            raise ImportFailed(f"{where}: the shares add up to {total * 100:.0f}%, "
                               "more than 100%")
        if code in out:
            raise ImportFailed(f"{where}: {code} appears twice")
        out[code] = shares
    if not out:
        raise ImportFailed(f"{label} has no seat with figures")
    if largest <= 1:
        raise ImportFailed(f"{label}: every share is 1 or less (the largest is {largest:g}): "
                           "these look like fractions. Write percentages (45 for 45%)")
    return sorted(out.items())


def _seat(row: list[str], code_col: int | None, name_col: int | None,
          seat_names: Mapping[str, str] | None, where: str) -> str:
    if code_col is not None and code_col < len(row):
        code = row[code_col].strip().upper()
        if GSS_SEAT.match(code):
            return code
        if name_col is None:
            raise ImportFailed(f"{where}: {code[:20]!r} is not a constituency code")
    name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
    code = (seat_names or {}).get(match_key(name))
    if code is None:
        raise ImportFailed(f"{where}: no constituency called {name[:60]!r}")
    return code
