"""The backtest harness, on a tiny hand-made election and on the real data."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import db as dbmod
from bot.config import PROJECT_ROOT
from bot.elections.seats import ElectionData
from bot.evaluation import backtest


def tiny_db(path: Path) -> ElectionData:
    """Three seats, 2017 and 2019: a hit, a miss in a battleground, and a seat with no Con."""
    db = dbmod.open_elections(path, writable=True)
    dbmod.create_elections_schema(db)
    db["parties"].insert_all([
        {"code": c, "name": c, "colour": "#000000", "bloc": int(c != "Con")}
        for c in ("Con", "Lab", "LD")])
    db["elections"].insert_all([
        {"id": "ge2017", "kind": "general", "date": "2017-06-08", "name": "2017",
         "boundaries": "2010"},
        {"id": "ge2019", "kind": "general", "date": "2019-12-12", "name": "2019",
         "boundaries": "2010"}])
    votes = {  # seat: {election: {party: votes}}
        1: {"ge2017": {"Con": 40, "Lab": 35, "LD": 25}, "ge2019": {"Con": 45, "Lab": 40, "LD": 15}},
        2: {"ge2017": {"Con": 40, "Lab": 34, "LD": 26}, "ge2019": {"Con": 40, "LD": 35, "Lab": 25}},
        3: {"ge2017": {"Lab": 60, "LD": 40}, "ge2019": {"Lab": 70, "LD": 30}},
    }
    for seat, by_election in votes.items():
        db["seats"].insert({"id": seat, "code": f"E1400000{seat}", "name": f"Seat {seat}",
                            "boundaries": "2010", "nation": "England", "region": "England"})
        for eid, parties in by_election.items():
            db["contests"].insert({"election_id": eid, "seat_id": seat, "valid_votes": 100})
            ranked = sorted(parties.items(), key=lambda kv: -kv[1])
            db["results"].insert_all(
                {"election_id": eid, "seat_id": seat, "party": p, "votes": v, "share": v / 100,
                 "position": i, "won": int(i == 1)} for i, (p, v) in enumerate(ranked, 1))
    db.conn.commit()
    return ElectionData(db)


def test_harness_on_a_tiny_election(tmp_path: Path):
    data = tiny_db(tmp_path / "tiny.db")
    result = backtest.evaluate(data, "2019")
    # seat 1: Lab best placed and still the strongest bloc party (hit, battleground)
    # seat 2: Lab best placed, LD strongest in 2019 (miss, battleground)
    # seat 3: no Conservative: not counted
    assert (result.overall.correct, result.overall.total) == (1, 2)
    assert (result.battleground.correct, result.battleground.total) == (1, 2)
    assert (result.winner.correct, result.winner.total) == (2, 2)
    calls = {c.code: c for c in backtest.calls(data, "2019")}
    assert calls["E14000001"].recommended == "Lab" and calls["E14000002"].verdict == "clear"
    assert calls["E14000003"].verdict == "no-opponent" and calls["E14000003"].recommended == ""


@pytest.mark.full_data
def test_real_backtest_figures_are_in_a_sane_range(election_data):
    for pair in ("2019", "2024"):
        r = backtest.evaluate(election_data, pair)
        assert r.overall.total > 600 and 0.8 < r.overall.rate < 0.97
        assert r.battleground.total > 100 and 0.5 < r.battleground.rate < 0.95
    assert "2019n->2024  last-result" in backtest.format_table([r])


def export(data: ElectionData, pair: str, path: Path) -> list[dict]:
    backtest.write_csv(backtest.calls(data, pair), path)
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.full_data
def test_export_2024_hand_checked_rows(election_data, tmp_path: Path):
    rows = {r["name"]: r for r in export(election_data, "2024", tmp_path / "x.csv")}
    assert len(rows) == 650
    # notional 2019 (before the 2024 election): Con 27.2k vs LD 18.9k in Godalming and Ash
    assert rows["Godalming and Ash"]["recommended"] == "LD"
    assert rows["Godalming and Ash"]["verdict"] == "clear"
    assert rows["Chorley"]["recommended"] == "" and rows["Chorley"]["verdict"] == "no-opponent"
    assert rows["Dewsbury and Batley"]["best_placed"] == "Lab"
    assert set(rows["Hendon"]) >= {"code", "name", "recommended", "verdict", "model"}


@pytest.mark.full_data
def test_export_2019_uses_pacts_and_byelections_known_before(election_data, tmp_path: Path):
    rows = {r["name"]: r for r in export(election_data, "2019", tmp_path / "y.csv")}
    assert len(rows) == 650
    # Brecon and Radnorshire: the August 2019 by-election (LD gain) and the Unite to Remain
    # pact were both known before polling day
    assert rows["Brecon and Radnorshire"]["recommended"] == "LD"
    assert rows["Brighton, Pavilion"]["best_placed"] == "Green"


def test_2024_export_does_not_depend_on_2024_results(built_db_dir: Path, tmp_path: Path,
                                                     election_data):
    before = export(election_data, "2024", tmp_path / "before.csv")
    cut = tmp_path / "cut.db"
    shutil.copy(built_db_dir / "elections.db", cut)
    conn = sqlite3.connect(cut)
    with conn:
        conn.execute("delete from results where election_id in (select id from elections "
                     "where date >= '2024-07-04')")
        conn.execute("delete from contests where election_id in (select id from elections "
                     "where date >= '2024-07-04')")
        conn.execute("delete from pacts where election_id = 'ge2024'")
    conn.close()
    after = export(ElectionData(dbmod.open_elections(cut)), "2024", tmp_path / "after.csv")
    assert after == before


@pytest.mark.full_data
def test_by_elections_scored_from_what_was_known_the_day_before(election_data):
    from bot.evaluation import byelections
    found = byelections.calls(election_data)
    by_seat = {(c.seat, c.date[:4]): c for c in found}
    # nominations are known: Labour stood aside in Southend West (2022), so no Labour call
    assert by_seat[("Southend West", "2022")].call is None
    # a joint Labour and Co-operative candidate is Labour's (Wakefield 2022)
    assert by_seat[("Wakefield", "2022")].outcome.best_bloc == "Lab"
    # the day before, the 2019 result pointed to Labour in North Shropshire: the LD won
    shropshire = by_seat[("North Shropshire", "2021")]
    assert shropshire.call == "Lab" and shropshire.outcome.best_bloc == "LD"
    score = byelections.score(found)
    assert score.right - score.wrong * 3 == score.net and score.seats >= 20
    assert all(c.date >= byelections.FIRST for c in found)


def test_backtest_byelections_prints_the_calls_and_the_score(settings):
    done = subprocess.run([sys.executable, "bot.py", "backtest", "--byelections"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOWTOVOTE_DB_DIR": str(settings.db_dir)})
    assert done.returncode == 0, done.stderr
    assert "by-elections last-result" in done.stdout and "top of the bloc" in done.stdout


@pytest.mark.full_data
def test_the_forecast_is_scored_on_the_by_elections_with_polls_before_them(election_data,
                                                                          elections):
    """Runcorn and Helsby 2025 and Gorton and Denton 2026 had polls in the four weeks
    before them; the June and August 2026 ones did not (the polls end in April)."""
    from bot.advice.rules import AdviceOptions
    from bot.evaluation import byelections
    from bot.forecast import store
    from bot.forecast.inputs import ForecastData
    params = store.load(elections)
    found = byelections.forecast_calls(election_data, ForecastData(elections), params,
                                       AdviceOptions.against("RUK"))
    assert [(c.seat, c.date) for c in found] == [("Runcorn and Helsby", "2025-05-01"),
                                                 ("Gorton and Denton", "2026-02-26")]
    assert [c.outcome.best_bloc for c in found] == ["Lab", "Green"]
    assert all(c.outcome.opponent_top_two for c in found)  # Reform UK top two in both
    score = byelections.score(found, "vote-share")
    assert score.right + score.wrong == sum(1 for c in found if c.call)
