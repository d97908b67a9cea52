"""Import the Commons Library by-election files (2017-2026) as elections like any other.

Each period has a constituency file (one row per by-election) and a candidate file.
Quirks handled here: byte-order marks, the 2019-2024 candidate file's `ONS ID2` column,
DD/MM/YYYY dates, and party abbreviations that must map onto our party codes.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import sqlite_utils

from bot.elections.importers.errors import ImportFailed
from bot.elections.importers.psephology import CODE_BY_NAME, DEFAULT_COLOUR, INDEPENDENT

FIRST_2024_BOUNDARY_ELECTION = "2024-07-04"


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"{path.name} is not a readable CSV file ({exc})") from exc


def _date(text: str, where: str) -> str:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date().isoformat()
    except ValueError:
        raise ImportFailed(f"{where}: {text!r} is not a DD/MM/YYYY date") from None


def _int(text: str, where: str) -> int:
    try:
        return int(text.replace(",", "").strip() or 0)
    except ValueError:
        raise ImportFailed(f"{where}: {text!r} is not a number") from None


def load(db: sqlite_utils.Database, pairs: list[tuple[Path, Path]],
         known: dict[str, dict]) -> int:
    """Import each (constituency file, candidate file) pair; returns the number imported."""
    seats = {(code, b): sid for sid, code, b in
             db.conn.execute("select id, code, boundaries from seats")}
    party_by_name = {name: code for code, name in db.conn.execute("select code, name from parties")}
    party_by_name.update({name: code for name, code in CODE_BY_NAME.items()})
    count = 0
    for constituency_file, candidate_file in pairs:
        candidates: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for row in _rows(candidate_file):
            code = (row.get("ONS ID") or row.get("ONS ID2") or "").strip()
            candidates[(_date(row["Election date"], candidate_file.name), code)].append(row)
        for line, row in enumerate(_rows(constituency_file), start=2):
            where = f"{constituency_file.name} line {line}"
            date = _date(row["By-election date"], where)
            code = row["ONS ID"].strip()
            boundaries = "2024" if date >= FIRST_2024_BOUNDARY_ELECTION else "2010"
            seat_id = seats.get((code, boundaries))
            if seat_id is None:
                raise ImportFailed(f"{where}: no {boundaries}-boundary seat {code}")
            ballot = candidates.pop((date, code), [])
            if not ballot:
                raise ImportFailed(f"{where}: {row['Constituency name']} {date} has no "
                                   f"candidates in {candidate_file.name}")
            _add(db, row, ballot, date, code, seat_id, boundaries, where, party_by_name, known)
            count += 1
        if candidates:
            (date, code), _ = next(iter(candidates.items()))
            raise ImportFailed(f"{candidate_file.name}: candidates for {code} on {date} "
                               f"have no by-election in {constituency_file.name}")
    return count


def _add(db, row, ballot, date, code, seat_id, boundaries, where, party_by_name, known) -> None:
    election_id = f"be{date}-{code}"
    valid = _int(row["Valid votes"], where)
    people = []
    for cand in ballot:
        party = _party(db, cand, party_by_name, known)
        name = " ".join(p for p in (cand["Candidate first name"].strip(),
                                    cand["Candidate surname"].strip()) if p)
        people.append({"party": party, "candidate": name or None,
                       "votes": _int(cand["Votes"], where),
                       "coop": int(bool(cand.get("Electoral Commission adjunct party ID"))
                                   or cand["Party name"].strip() == "Labour and Co-operative"),
                       "sitting_mp": int(cand.get("Sitting MP", "").lower() == "yes")})
    counted = sum(p["votes"] for p in people)
    if counted != valid:
        raise ImportFailed(f"{where}: {row['Constituency name']} by-election {date}: candidates' "
                           f"votes add up to {counted:,}, but valid votes are {valid:,}")
    people.sort(key=lambda p: -p["votes"])
    if len(people) > 1 and people[0]["votes"] == people[1]["votes"]:
        raise ImportFailed(f"{where}: {row['Constituency name']} {date} has no single winner")
    db["elections"].insert({
        "id": election_id, "kind": "by-election", "date": date,
        "name": f"{row['Constituency name'].strip()} by-election {date[:4]}",
        "boundaries": boundaries,
    })
    db["contests"].insert({
        "election_id": election_id, "seat_id": seat_id,
        "electorate": _int(row["Electorate"], where) or None, "valid_votes": valid,
        "invalid_votes": _int(row["Invalid votes"], where),
        "majority": _int(row["Majority"], where), "result": row["Result"].strip() or None,
    })
    db["results"].insert_all(
        {**p, "election_id": election_id, "seat_id": seat_id, "share": p["votes"] / valid,
         "position": i, "won": int(i == 1)}
        for i, p in enumerate(people, start=1)
    )


def _party(db, cand: dict, party_by_name: dict[str, str], known: dict[str, dict]) -> str:
    name = cand["Party name"].strip()
    abbreviation = cand["Party abbreviation"].strip()
    if abbreviation == "Ind" or name.lower() == "independent":
        return INDEPENDENT
    if name in party_by_name:
        return party_by_name[name]
    code = abbreviation or name
    taken = {c for (c,) in db.conn.execute("select code from parties")}
    if code in taken:  # an abbreviation another party already uses
        code = f"{code}-{len(taken)}"
    ours = known.get(code, {})
    db["parties"].insert({"code": code, "name": name, "colour": ours.get("colour", DEFAULT_COLOUR),
                          "bloc": int(ours.get("bloc", 0))})
    party_by_name[name] = code
    return code
