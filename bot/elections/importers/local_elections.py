"""Council election results by ward -> each party's local strength in each seat.

Every file is read into one shape: a ward (its 2023 GSS code where we can find it), the
day of the contest, and each party's votes per seat being filled, so that a ward electing
three councillors weighs as one electing one (candidate files: each party's best
candidate; ward files, which sum the candidates: the total over the vacancies).

A seat's local strength for an election is the latest contest in each of its wards in
the four years before polling day, each ward's votes shared between the 2024 seats it
lies in by its postcodes (the ward lookup), summed, and turned into shares; for the 2010
seats of 2017 and 2019, carried on through the official overlaps. `coverage` says how
much of the seat (by postcodes) had a contest. County divisions (E58) are a different
tier whose boundaries no lookup here gives: they are left out, and so are Scotland's
STV wards (first preferences of a ranked ballot are not comparable). Wards whose old
code is not in the 2023 lookup are matched by name where the name is unique.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from bot import db as dbmod
from bot.elections.importers.errors import ImportFailed
from bot.elections.importers.projections import normalised

# party codes in the files -> swing keys; every other code counts as "Other"
PARTIES = {"c": "Con", "con": "Con", "conservative": "Con", "lab": "Lab", "labour": "Lab",
           "ld": "LD", "libdem": "LD", "liberaldemocrat": "LD", "liberaldemocrats": "LD",
           "grn": "Green", "green": "Green", "greenparty": "Green", "ukip": "UKIP",
           "ref": "RUK", "reform": "RUK", "reformuk": "RUK", "snp": "SNP", "pc": "PC",
           "plaidcymru": "PC"}
LOOKBACK = timedelta(days=4 * 365 + 60)  # a full council cycle before polling day


@dataclass(frozen=True)
class LocalFile:
    day: str  # polling day of the local elections
    kind: str  # leap | wards-xlsx | wards-2023
    path: Path


def _party(code: str) -> str:
    return PARTIES.get(normalised(code), "Other")


def load(db: sqlite_utils.Database, files: list[LocalFile]) -> dict[str, float]:
    """Store every contest matched to a ward, then each seat's local strength. Returns
    the share of contests matched to a 2023 ward, by file day."""
    lookup = _ward_lookup(db)
    by_name = _unique_names(db)
    rows, matched = [], {}
    for f in files:
        seen = found = 0
        for code, name, votes in _contests(f):
            seen += 1
            ward = code if code in lookup else by_name.get(normalised(name))
            if ward is None:
                continue
            found += 1
            rows += [{"day": f.day, "ward_code": ward, "party": p, "votes": v}
                     for p, v in votes.items()]
        if not seen:
            raise ImportFailed(f"{f.path.name}: no ward results in it")
        matched[f.day] = found / seen
    dbmod.insert_rows(db, "local_results", rows)
    strength(db)
    return matched


# -- reading the files ----------------------------------------------------------------
Contest = tuple[str, str, dict[str, float]]  # ward code, ward name, votes by party


def _contests(f: LocalFile) -> Iterator[Contest]:
    try:
        if f.kind == "leap":
            yield from _leap(f.path)
        elif f.kind == "wards-2023":
            yield from _wards_2023(f.path)
        else:
            yield from _wards_xlsx(f.path)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, IndexError) as exc:
        raise ImportFailed(f"{f.path.name} is not the local results file expected "
                           f"({type(exc).__name__}: {str(exc)[:80]})") from exc


def _leap(path: Path) -> Iterator[Contest]:
    """No header: council, council code, ward, ward code, candidate, party, votes,
    elected. Each party's best candidate in the ward."""
    best: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) < 8:
                raise ValueError(f"a row of {len(row)} fields")
            code, name = row[3].strip(), row[2].strip()
            if not code.startswith(("E05", "W05")):
                continue  # county divisions, Scottish STV wards, odd codes
            ward = best[(code, name)]
            ward[row[5]] = max(ward.get(row[5], 0.0), float(row[6] or 0))
    for (code, name), by_code in best.items():
        votes: dict[str, float] = defaultdict(float)
        for party, v in by_code.items():
            votes[_party(party)] += v
        yield code, name, dict(votes)


def _sheet(path: Path):
    from python_calamine import (  # only `data import` reads spreadsheets
        CalamineError,
        CalamineWorkbook,
        PasswordError,
        XmlError,
        ZipError,
    )

    try:
        book = CalamineWorkbook.from_path(str(path))
        name = next((n for n in book.sheet_names
                     if normalised(n) in ("wardsresults", "wardresults")), None)
        if name is None:
            raise ValueError("no 'Wards results' sheet")
        rows = iter(book.get_sheet_by_name(name).to_python())
    except (CalamineError, PasswordError, XmlError, ZipError) as exc:
        raise ValueError(f"not a spreadsheet ({exc})") from None
    for row in rows:  # the header is the first row naming the ward code column
        header = [normalised(str(c)) if c is not None else "" for c in row]
        if any(h in ("wardcode", "wardedcode", "onswardcode") for h in header):
            return header, rows
    raise ValueError("no header row with a ward code column")


def _wards_xlsx(path: Path) -> Iterator[Contest]:
    """The Commons Library handbooks: a row per ward, the party columns summed over the
    candidates, so divided by the vacancies."""
    header, rows = _sheet(path)
    col = {h: i for i, h in enumerate(header) if h}
    code_i = next(col[h] for h in ("wardcode", "wardedcode", "onswardcode") if h in col)
    name_i = next(col[h] for h in ("wardname", "wardedname", "wardcountyelectoraldistrictname")
                  if h in col)
    seats_i = next(col[h] for h in ("vacancies", "seats") if h in col)
    first = next(i for i, h in enumerate(header) if h in ("con", "lab"))
    parties = [(i, _party(h)) for i, h in enumerate(header) if i >= first and h
               and h not in ("grandtotal", "total")]
    for row in rows:
        code = str(row[code_i] or "").strip()
        seats = row[seats_i]
        if not code.startswith(("E05", "W05")) or not isinstance(seats, (int, float)) \
                or seats <= 0:
            continue  # county divisions, blank or "NA" rows
        votes: dict[str, float] = defaultdict(float)
        for i, party in parties:
            value = row[i] if i < len(row) else None
            if isinstance(value, (int, float)) and value > 0:
                votes[party] += value / seats
        if votes:
            yield code, str(row[name_i] or ""), dict(votes)


def _wards_2023(path: Path) -> Iterator[Contest]:
    """2023: no ward codes (matched by name), party columns summed over candidates."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = [normalised(h) for h in next(reader)]
    col = {h: i for i, h in enumerate(header)}
    first = col["elect"] + 2  # ELECT, TURNOUT, then the parties
    parties = [(i, _party(h)) for i, h in enumerate(header) if i >= first
               and h != "grandtotal"]
    for row in reader:
        seats = float(row[col["vacs"]] or 0)
        if not seats:
            continue
        votes: dict[str, float] = defaultdict(float)
        for i, party in parties:
            value = float(row[i]) if i < len(row) and row[i].strip() else 0.0
            if value > 0:
                votes[party] += value / seats
        if votes:
            yield "", row[col["wardname"]], dict(votes)


# -- wards to seats ---------------------------------------------------------------------
def _ward_lookup(db: sqlite_utils.Database) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for ward, seat, postcodes in db.conn.execute(
            "select ward_code, seat_code, postcodes from wards"):
        out[ward].append((seat, postcodes))
    return dict(out)


def _unique_names(db: sqlite_utils.Database) -> dict[str, str]:
    codes: dict[str, set[str]] = defaultdict(set)
    for name, code in db.conn.execute("select ward, ward_code from wards"):
        codes[normalised(name)].add(code)
    return {name: next(iter(c)) for name, c in codes.items() if len(c) == 1}


# (election id, boundaries, polling day) whose seats get a local strength
TARGETS = (("ge2017", "2010", "2017-06-08"), ("ge2019", "2010", "2019-12-12"),
           ("ge2024", "2024", "2024-07-04"), ("next", "2024", "9999-12-31"))


def strength(db: sqlite_utils.Database) -> None:
    """(Re)compute `local_strength` from the contests stored in `local_results`."""
    lookup = _ward_lookup(db)
    db.conn.execute("delete from local_strength")
    contests: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for day, ward, party, votes in db.conn.execute(
            "select day, ward_code, party, votes from local_results"):
        contests[ward][day][party] = votes
    postcodes: dict[str, float] = defaultdict(float)  # each 2024 seat's postcodes
    for entries in lookup.values():
        for seat, count in entries:
            postcodes[seat] += count
    overlaps = db.conn.execute(
        "select o.code, n.code, v.new_population_share from overlaps v join seats o on "
        "o.id = v.old_seat_id join seats n on n.id = v.new_seat_id where o.boundaries = "
        "'2010' and n.boundaries = '2024'").fetchall()
    rows = []
    for election, boundaries, polling_day in TARGETS:
        latest_day = polling_day if polling_day != "9999-12-31" else date.today().isoformat()
        since = (date.fromisoformat(latest_day) - LOOKBACK).isoformat()
        votes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        covered: dict[str, float] = defaultdict(float)
        days: dict[str, set[str]] = defaultdict(set)
        for ward, by_day in contests.items():
            held = [d for d in by_day if since <= d < latest_day]
            if not held:
                continue
            day = max(held)
            total = sum(count for _s, count in lookup[ward]) or 1
            for seat, count in lookup[ward]:
                for party, v in by_day[day].items():
                    votes[seat][party] += v * count / total
                covered[seat] += count
                days[seat].add(day[:4])
        if boundaries == "2010":
            votes, covered, days, seat_postcodes = _to_2010(votes, covered, days, postcodes,
                                                            overlaps)
        else:
            seat_postcodes = postcodes
        for seat, parties in votes.items():
            total = sum(parties.values())
            if total <= 0:
                continue
            years = sorted(days[seat])
            for party, v in parties.items():
                rows.append({"election_id": election, "seat_code": seat, "party": party,
                             "share": v / total,
                             "coverage": min(1.0, covered[seat] / seat_postcodes[seat]),
                             "years": f"{years[0]}–{years[-1]}" if len(years) > 1
                             else years[0]})
    db["local_strength"].insert_all(rows)


def _to_2010(votes, covered, days, postcodes, overlaps):
    """2024-seat figures carried to the 2010 seats, each new seat's share of people from
    an old seat taking that share of its votes and postcodes."""
    old_votes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    old_covered: dict[str, float] = defaultdict(float)
    old_postcodes: dict[str, float] = defaultdict(float)
    old_days: dict[str, set[str]] = defaultdict(set)
    for old, new, share in overlaps:
        old_postcodes[old] += postcodes.get(new, 0.0) * share
        if new in votes:
            for party, v in votes[new].items():
                old_votes[old][party] += v * share
            old_covered[old] += covered[new] * share
            old_days[old] |= days[new]
    return old_votes, old_covered, old_days, old_postcodes
