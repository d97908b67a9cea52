"""This year's polls: the file read and checked, and the average of each pollster's
latest poll in the last four weeks taken at import."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from bot import db as dbmod
from bot.elections.importers import recent_polls
from bot.elections.importers.errors import ImportFailed


def poll(pollster: str, end: str, **shares) -> dict:
    base = {"lab": 20, "con": 20, "ref": 30, "ld": 12, "grn": 10, "snp": 3, "pc": 1, "oth": 4}
    return {"id": f"{pollster}-{end}", "pollster": pollster, "fieldworkEnd": end,
            "mrp": False, **base, **shares}


def average(tmp_path, polls: list) -> dict[str, tuple]:
    path = tmp_path / "polls.json"
    path.write_text(json.dumps(polls))
    db = sqlite_utils.Database(tmp_path / "e.db")
    dbmod.create_elections_schema(db)
    recent_polls.load(db, path)
    return {r["party"]: (r["share"], r["date"], r["window_days"], r["pollsters"])
            for r in db["poll_average"].rows}


def test_each_pollster_counts_once_with_its_latest_poll(tmp_path):
    got = average(tmp_path, [
        poll("A", "2026-03-01", lab=10),  # A's older poll: replaced by its latest
        poll("A", "2026-04-01", lab=20),
        poll("B", "2026-03-20", lab=30, ref=20),
        poll("C", "2026-04-07", lab=40, ref=10),
        poll("D", "2026-02-01", lab=50, con=10, ref=0),  # 65 days before the newest: out
        {**poll("E", "2026-04-06", lab=99), "mrp": True},  # a seat model, not a poll
    ])
    share, day, window, pollsters = got["Lab"]
    assert share == 30.0 and day == "2026-04-07" and window == 28 and pollsters == "A; B; C"
    assert got["RUK"][0] == 20.0 and got["Green"][0] == 10.0


def test_too_few_pollsters_widen_the_window_once(tmp_path):
    got = average(tmp_path, [poll("A", "2026-04-07"), poll("B", "2026-03-01"),
                             poll("C", "2026-02-20"), poll("D", "2025-12-01")])
    assert got["Lab"][2] == 56 and got["Lab"][3] == "A; B; C"


@pytest.mark.parametrize(("body", "message"), [
    ("not json", "not a readable polls file"),
    ('{"a": 1}', "a list of polls"),
    (json.dumps([poll("A", "2026-04-01", lab=150)]), "lab is 150, not a percentage"),
    (json.dumps([poll("A", "2026-04-01", lab="lots")]), "not a percentage"),
    (json.dumps([{"pollster": "A", "lab": 20}]), "no fieldwork end date"),
    (json.dumps([poll("A", "9999-01-01")]), "not in the future"),
    (json.dumps([poll("A", "2026-04-01", lab=1, con=1, ref=1, ld=1, grn=1, oth=1)]),
     "add up to"),
    (json.dumps([poll("", "2026-04-01")]), "with a pollster"),
])
def test_a_malformed_file_is_refused_whole(tmp_path, body, message):
    path = tmp_path / "polls.json"
    path.write_text(body)
    db = sqlite_utils.Database(tmp_path / "e.db")
    dbmod.create_elections_schema(db)
    with pytest.raises(ImportFailed, match=message):
        recent_polls.load(db, path)
    assert db["poll_average"].count == 0


@pytest.mark.full_data
def test_the_real_file_gives_ten_pollsters_to_april_2026(data_dir, elections):
    polls = recent_polls.read(data_dir / "polls" / "ukpolls2-wikipedia.json")
    assert len(polls) > 300
    rows = elections.conn.execute("select party, share, date, pollsters from poll_average"
                                  ).fetchall()
    shares = {p: s for p, s, _d, _n in rows}
    assert rows[0][2] == "2026-04-07" and len(rows[0][3].split("; ")) == 10
    assert 95 <= sum(shares.values()) <= 100 and shares["RUK"] > shares["Lab"]
