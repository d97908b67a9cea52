"""This year's polls: the file read and checked, the average of each pollster's latest
poll in four weeks taken at import (as of the newest poll and every fortnight before), and
the live answers resting on the newest average the model has learned swings like."""

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
    newest = max(r["date"] for r in db["poll_average"].rows)
    return {r["party"]: (r["share"], r["date"], r["window_days"], r["pollsters"])
            for r in db["poll_average"].rows if r["date"] == newest}


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
    # the newest weigh most: halved every fortnight before the newest poll
    weights = {"A": 0.5 ** (6 / 14), "B": 0.5 ** (18 / 14), "C": 1.0}
    lab = (20 * weights["A"] + 30 * weights["B"] + 40) / sum(weights.values())
    assert share == round(lab, 2) and day == "2026-04-07" and window == 28
    assert pollsters == "A; B; C" and got["Green"][0] == 10.0


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
    (json.dumps([poll("A", "9999-01-01")]), "must not be in the future"),
    (json.dumps([poll("A", "2026-04-01", lab=1, con=1, ref=1, ld=1, grn=1, oth=1)]),
     "add up to"),
    (json.dumps([poll("", "2026-04-01")]), "needs a pollster"),
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
def test_the_real_files_give_the_polls_to_23_april_2026_refusing_a_2023_poll(data_dir,
                                                                            elections):
    polls = recent_polls.read(data_dir / "polls" / "ukpolls2-wikipedia.json")
    assert len(polls) > 300
    rows = elections.conn.execute(
        "select party, share, date, pollsters from poll_average where date = "
        "(select max(date) from poll_average)").fetchall()
    shares = {p: s for p, s, _d, _n in rows}
    assert rows[0][2] == "2026-04-23" and len(rows[0][3].split("; ")) >= 6
    assert 90 <= sum(shares.values()) <= 101 and shares["RUK"] > shares["Lab"]
    refused = elections.conn.execute("select pollster, date, reason from polls_refused"
                                     ).fetchall()
    assert ("Ipsos", "2026-04-21") in [(p, d) for p, d, _r in refused]
    assert all("before its fieldwork ended" in r or "other pollsters" in r
               for _p, _d, r in refused)


def test_an_average_every_fortnight_back_to_the_first_full_window(tmp_path):
    polls = [poll(p, f"2026-{m:02d}-{d:02d}", lab=20 + m)
             for m in (1, 2, 3, 4) for d, p in ((3, "A"), (12, "B"), (24, "C"))]
    path = tmp_path / "polls.json"
    path.write_text(json.dumps(polls))
    db = sqlite_utils.Database(tmp_path / "e.db")
    dbmod.create_elections_schema(db)
    recent_polls.load(db, path)
    days = [d for (d,) in db.conn.execute("select distinct date from poll_average "
                                          "order by date desc")]
    assert days[0] == "2026-04-24" and len(days) == len(set(days)) >= 5
    assert all(d >= "2026-01-31" for d in days)  # each a full four weeks after the first
    lab = dict(db.conn.execute("select date, share from poll_average where party = 'Lab'"))
    assert abs(lab["2026-04-24"] - 24.0) < 1  # A, B and C all polled in April: Lab 20 + 4


@pytest.mark.full_data
async def test_answers_rest_on_the_newest_polls_however_far_they_moved(settings):
    from bot.service import HowToVote
    service = await HowToVote(settings).start(offline=True)
    try:
        live = service.forecasts
        newest = live.data.recent_polls[0]
        used, origin = live.poll_in_use(None, "England")
        assert used == newest and newest.date >= "2026-04-07"
        assert origin.startswith("the latest poll of each of")
        answer = await service.answer("Sevenoaks")
        assert any(f"GB polls of {newest.date}" in r for r in answer.advice.reasons)
        assert not any("not used" in c for c in answer.advice.caveats)
        # an owner's newer poll still wins
        service.owner_ids.add(1)
        await service.set_national_poll("Lab=25 Con=20 RUK=28 LD=13 Green=9 "
                                        'source="an owner" date=2026-11-20', 1)
        assert live.poll_in_use(service.owner_polls()["England"], "England")[0].date == \
            "2026-11-20"
    finally:
        await service.close()


def test_a_poll_published_before_its_fieldwork_or_far_off_the_others_is_refused(tmp_path):
    stale = {**poll("Ipsos", "2026-04-21", lab=43, con=23, ref=9), "publishedAt": "2024-06-05"}
    odd = poll("Odd", "2026-04-10", lab=45, ref=5)
    got = average(tmp_path, [poll("A", "2026-04-01"), poll("B", "2026-04-05"),
                             poll("C", "2026-04-07"), stale, odd])
    assert got["Lab"][0] == 20.0 and "Ipsos" not in got["Lab"][3] and "Odd" not in got["Lab"][3]
    db = sqlite_utils.Database(tmp_path / "e.db")
    reasons = dict((p, r) for p, r in db.conn.execute("select pollster, reason from "
                                                      "polls_refused"))
    assert reasons["Ipsos"].startswith("published 2024-06-05, before its fieldwork ended")
    assert reasons["Odd"] == "Lab 45% against 20% in the other pollsters' polls of the same " \
        "fortnight"


def test_a_pollster_s_house_effect_is_taken_off(tmp_path):
    """H always has Labour three points above the others. Whether or not H polled in the
    last window, the average is nearly the same: without the correction it would move by
    three quarters of a point (20.75 with H, 20 without)."""
    polls = [poll(p, f"2026-0{m}-{d:02d}", lab=20 + 3 * (p == "H"))
             for m in (2, 3, 4) for d, p in ((2, "A"), (5, "H"), (8, "B"), (11, "C"))]
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    with_h = average(tmp_path / "with", polls)["Lab"][0]
    without_h = average(tmp_path / "without",
                        [p for p in polls if p["id"] != "H-2026-04-05"])["Lab"][0]
    assert abs(with_h - without_h) < 0.3
