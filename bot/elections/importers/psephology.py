"""Import the UK Parliament results database (psephology.db) into our own tables.

Six general elections (2010, 2015, 2017, 2019, 2019 notional on 2024 boundaries, 2024),
both boundary sets, candidacies with their party, and the official overlaps between
2010-boundary and 2024-boundary seats.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from bot import db as dbmod
from bot.elections.importers.errors import ImportFailed

# The three Green parties and two "CF"s share an abbreviation in the source; we need
# one code per party. Keyed by the source's full party name.
CODE_BY_NAME = {
    "Scottish Green Party": "SGP",
    "Green Party Northern Ireland": "GPNI",
    "Communist Future": "CmF",
    # a joint candidate is Labour's, with the Co-operative flag (psephology.db's own way);
    # as a party of its own, Labour would look absent (Wakefield 2022)
    "Labour and Co-operative": "Lab",
}
INDEPENDENT, SPEAKER = "Ind", "Spk"
DEFAULT_COLOUR = "#AAAAAA"


def election_id(year: str, notional: bool) -> str:
    return f"ge{year}{'n' if notional else ''}"


def load(db: sqlite_utils.Database, path: Path, known_parties: dict[str, dict]) -> None:
    """Read `path` (psephology.db) and fill elections, seats, contests, results, overlaps."""
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        src.row_factory = sqlite3.Row
        src.execute("select count(*) from candidacies").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ImportFailed(f"{path.name} is not a readable results database ({exc})") from exc
    try:
        _load(db, src, known_parties)
    except sqlite3.DatabaseError as exc:
        raise ImportFailed(f"{path.name} is damaged or not the expected database ({exc})") from exc
    finally:
        src.close()


def _load(db: sqlite_utils.Database, src: sqlite3.Connection, known: dict[str, dict]) -> None:
    elections = {}
    for row in src.execute("select id, polling_on, is_notional from general_elections"):
        year = row["polling_on"][:4]
        eid = election_id(year, bool(row["is_notional"]))
        elections[row["id"]] = eid
        db["elections"].insert({
            "id": eid,
            "kind": "notional" if row["is_notional"] else "general",
            "date": row["polling_on"],
            "name": f"{year} general election" + (" (notional, 2024 boundaries)"
                                                  if row["is_notional"] else ""),
            "boundaries": "2024" if row["is_notional"] or year >= "2024" else "2010",
        })

    seats = [
        {
            "id": row["id"],
            "code": row["geographic_code"],
            "name": row["name"],
            "boundaries": "2024" if row["start_on"] >= "2024" else "2010",
            "nation": row["nation"],
            "region": row["region"] or row["nation"],
        }
        for row in src.execute(
            """
            select a.id, a.geographic_code, a.name, b.start_on, c.name as nation,
                   r.name as region
            from constituency_areas a
            join boundary_sets b on b.id = a.boundary_set_id
            join countries c on c.id = a.country_id
            left join english_regions r on r.id = a.english_region_id
            where a.id in (select g.constituency_area_id from elections e
                           join constituency_groups g on g.id = e.constituency_group_id)
            """
        )
    ]
    db["seats"].insert_all(seats)

    db["contests"].insert_all(
        {
            "election_id": elections[row["general_election_id"]],
            "seat_id": row["seat_id"],
            "electorate": row["electorate"],
            "valid_votes": row["valid_vote_count"],
            "invalid_votes": row["invalid_vote_count"],
            "majority": row["majority"],
            "result": row["result"],
        }
        for row in src.execute(
            """
            select e.general_election_id, g.constituency_area_id as seat_id,
                   el.population_count as electorate, e.valid_vote_count,
                   e.invalid_vote_count, e.majority, rs.short_summary as result
            from elections e
            join constituency_groups g on g.id = e.constituency_group_id
            left join electorates el on el.id = e.electorate_id
            left join result_summaries rs on rs.id = e.result_summary_id
            """
        )
    )

    parties_seen: dict[str, str] = {}
    results = []
    for row in src.execute(
        """
        select c.*, e.general_election_id, g.constituency_area_id as seat_id,
               p.name as party_name, p.abbreviation,
               exists (select 1 from certifications a
                       where a.adjunct_to_certification_id = ce.id) as coop
        from candidacies c
        join elections e on e.id = c.election_id
        join constituency_groups g on g.id = e.constituency_group_id
        left join certifications ce
               on ce.candidacy_id = c.id and ce.adjunct_to_certification_id is null
        left join political_parties p on p.id = ce.political_party_id
        """
    ):
        if row["party_name"] is not None:
            code = CODE_BY_NAME.get(row["party_name"], row["abbreviation"])
            parties_seen.setdefault(code, row["party_name"])
        elif row["is_standing_as_commons_speaker"]:
            code = SPEAKER
        elif row["is_standing_as_independent"]:
            code = INDEPENDENT
        else:
            raise ImportFailed(f"candidacy {row['id']} has no party and is not independent")
        name = " ".join(
            part for part in (row["candidate_given_name"], row["candidate_family_name"]) if part
        )
        results.append({
            "election_id": elections[row["general_election_id"]],
            "seat_id": row["seat_id"],
            "party": code,
            "candidate": name or None,
            "votes": row["vote_count"],
            "share": row["vote_share"],
            "position": row["result_position"],
            "won": row["is_winning_candidacy"],
            "coop": int(bool(row["coop"])),
            "sitting_mp": row["candidate_is_sitting_mp"],
        })

    _check_party_codes(parties_seen)
    add_parties(db, known, parties_seen)
    dbmod.insert_rows(db, "results", results)

    db["overlaps"].insert_all(
        {
            "old_seat_id": row["from_constituency_area_id"],
            "new_seat_id": row["to_constituency_area_id"],
            "old_population_share": row["from_constituency_population"],
            "new_population_share": row["to_constituency_population"],
        }
        for row in src.execute("select * from constituency_area_overlaps")
    )


def _check_party_codes(seen: dict[str, str]) -> None:
    """Two parties under one code would merge their votes: refuse."""
    codes: dict[str, set[str]] = {}
    for code, name in seen.items():
        codes.setdefault(code, set()).add(name)
    clashes = {c: n for c, n in codes.items() if len(n) > 1}
    if clashes:
        raise ImportFailed(f"party codes shared by several parties: {clashes}")


def add_parties(db: sqlite_utils.Database, known: dict[str, dict], seen: dict[str, str]) -> None:
    """Every party in the results, with our colour and bloc where we have them."""
    rows = {}
    for code, name in {**seen, INDEPENDENT: "Independent", SPEAKER: "Speaker"}.items():
        ours = known.get(code)
        rows[code] = {
            "code": code,
            "name": ours["name"] if ours else name,
            "colour": ours["colour"] if ours else DEFAULT_COLOUR,
            "bloc": int(ours["bloc"]) if ours else 0,
        }
    db["parties"].upsert_all(rows.values(), pk="code")
