"""By-elections 2017-2026 and the pacts table, imported with the general elections."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from bot.elections.importers import PACTS_CSV, ImportFailed, build_elections_db
from tests.conftest import fetch_all


def contest(elections, election_like: str, code: str):
    return elections.conn.execute("""select r.party, r.candidate, r.votes, r.won from results r
        join seats s on s.id = r.seat_id where r.election_id like ? and s.code = ?
        order by r.position""", (election_like, code)).fetchall()


@pytest.mark.full_data
def test_by_elections_are_imported_on_their_boundaries(elections):
    rows = dict(elections.conn.execute(
        "select boundaries, count(*) from elections where kind = 'by-election' group by 1"))
    assert rows == {"2010": 28, "2024": 6}
    assert elections.conn.execute("select count(*) from elections e where kind = 'by-election' "
                                  "and not exists (select 1 from contests c where "
                                  "c.election_id = e.id)").fetchone() == (0,)


def test_runcorn_and_helsby_2025_reform_by_six_votes(elections):
    rows = contest(elections, "be2025-05-01-%", "E14001455")
    assert rows[0][0] == "RUK" and rows[0][3] == 1
    assert rows[0][2] - rows[1][2] == 6 and rows[1][0] == "Lab"


def test_batley_and_spen_2021(elections):
    rows = contest(elections, "be2021-07-01-%", "E14000548")
    votes = {party: v for party, _c, v, _w in rows}
    assert (votes["Lab"], votes["Con"]) == (13296, 12973)
    assert rows[0][1] == "Kim Leadbeater" and "Green" not in votes


def test_pacts_csv_agrees_with_the_shared_table_row_for_row(data_dir: Path):
    def key(code, designated, aside, pact, date):
        return (code, designated, frozenset(p for p in aside.split(";") if p), pact, date)

    with (data_dir / "pacts-and-stand-asides.csv").open(encoding="utf-8-sig") as f:
        shared = sorted(key(r["ons_code"], r["designated"], r["standing_aside"], r["pact"],
                            r["election_date"]) for r in csv.DictReader(f))
    with PACTS_CSV.open(encoding="utf-8") as f:
        ours = sorted(key(r["seat_code"], r["designated"], r["standing_aside"], r["pact"],
                          r["date"]) for r in csv.DictReader(f))
    assert len(ours) == 68 and ours == shared


@pytest.mark.full_data
def test_unite_to_remain_matches_the_2019_ballots(elections):
    """Derived from the 2019 candidacies: England and Wales seats where exactly one of
    LD, Green and Plaid stood. The pact's 60 seats are all among them; for Plaid and the
    Greens the derivation finds the pact exactly once the four other stand-asides in
    data/pacts.csv are set aside (Chorley, Beaconsfield, Broxtowe, Luton South: decided by
    hand). Lib Dem-only ballots are far more common, because the Greens skipped many seats
    on their own, so for the Lib Dems the ballots only confirm the 43."""
    derived: dict[str, set[str]] = {}
    for code, party in elections.conn.execute("""
        select s.code, r.party from results r join seats s on s.id = r.seat_id
        where r.election_id = 'ge2019' and s.nation in ('England', 'Wales')
          and r.party in ('LD', 'Green', 'PC')
          and s.id in (select seat_id from results where election_id = 'ge2019'
                       group by seat_id having sum(party in ('LD', 'Green', 'PC')) = 1)"""):
        derived.setdefault(party, set()).add(code)
    pact: dict[str, set[str]] = {}
    for code, party in elections.conn.execute(
            "select seat_code, designated from pacts where pact = 'Unite to Remain'"):
        pact.setdefault(party, set()).add(code)
    assert {p: len(c) for p, c in pact.items()} == {"LD": 43, "Green": 10, "PC": 7}
    by_hand = {c for (c,) in elections.conn.execute(
        "select seat_code from pacts where election_id = 'ge2019' and pact != 'Unite to Remain'")}
    assert derived["PC"] == pact["PC"]
    assert derived["Green"] - by_hand == pact["Green"]
    assert pact["LD"] <= derived["LD"]


def test_contradicted_pact_fails_the_import(data_dir, tmp_path, monkeypatch, built_db_dir):
    target = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", target)
    before = target.read_bytes()
    bad = tmp_path / "pacts.csv"
    text = PACTS_CSV.read_text(encoding="utf-8")
    # Batley and Spen 2021: claim Labour stood aside
    bad.write_text(text.replace("be2021-07-01-E14000548,2021-07-01,E14000548,2010,"
                                "Batley and Spen,Unilateral stand-aside (no pact),,Green",
                                "be2021-07-01-E14000548,2021-07-01,E14000548,2010,"
                                "Batley and Spen,Unilateral stand-aside (no pact),,Lab"),
                   encoding="utf-8")
    assert bad.read_text() != text
    monkeypatch.setattr("bot.elections.importers.PACTS_CSV", bad)
    with pytest.raises(ImportFailed, match="Batley and Spen.*Lab said to stand aside"):
        build_elections_db(fetch_all(data_dir, tmp_path / "dl"), target)
    assert target.read_bytes() == before


def test_byelection_votes_not_adding_up_fails_the_import(data_dir, tmp_path, built_db_dir):
    target = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", target)
    before = target.read_bytes()
    fetched = fetch_all(data_dir, tmp_path / "dl")
    name = "byelections-2024-2026-candidate"
    broken = tmp_path / "broken.csv"
    broken.write_text(fetched[name].path.read_text(encoding="utf-8-sig").replace(
        ",95,0.002909,", ",96,0.002909,", 1), encoding="utf-8")
    fetched[name] = type(fetched[name])(fetched[name].source, broken, str(broken), "x")
    with pytest.raises(ImportFailed, match="Runcorn and Helsby by-election 2025-05-01"):
        build_elections_db(fetched, target)
    assert target.read_bytes() == before
