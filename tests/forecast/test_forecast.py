"""The forecast: threshold from the cost ratio, chances that sum to one, calibration and
Brier on hand-made sets, the walk-forward cut, and the backtest CLI's default model."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import sqlite_utils

from bot import db as dbmod
from bot.config import PROJECT_ROOT
from bot.elections.importers import local_elections
from bot.evaluation import scorecard
from bot.forecast import share_fit
from bot.forecast.inputs import PAIRS, POLLS_CSV, ForecastData, Outcome, load_polls
from bot.forecast.model import AGAINST_CON, CALL_THRESHOLD, Forecast, call_threshold, in_words


def test_threshold_comes_from_the_cost_of_a_wrong_call():
    assert CALL_THRESHOLD == call_threshold(3) == 0.75  # p - 3(1 - p) = 0 at p = 3/4
    assert call_threshold(1) == 0.5 and call_threshold(9) == 0.9
    just_under = Forecast({"Lab": 0.7499, "LD": 0.2501}, 0.9, ("Lab", "LD"))
    at = Forecast({"Lab": 0.75, "LD": 0.25}, 0.9, ("Lab", "LD"))
    assert (just_under.call, just_under.verdict) == (None, "close")
    assert (at.call, at.verdict) == ("Lab", "clear")
    unlikely = Forecast({"Lab": 0.9, "LD": 0.1}, 0.24, ("Lab", "LD"))
    assert unlikely.verdict == "opponent-not-in-contention" and unlikely.call == "Lab"
    assert Forecast({"Lab": 0.9}, 0.25, ("Lab",)).verdict == "clear"


def test_chances_in_plain_words():
    assert in_words(0.9) == "about 9 in 10"
    assert in_words(0.75) == "about 3 in 4"
    assert in_words(0.5) == "about even"
    assert in_words(0.04) == "less than 1 in 10"
    assert in_words(0.99) == "almost certain"
    assert in_words(0.96) == "more than 9 in 10" and in_words(0.05) == "less than 1 in 10"


def test_calibration_and_brier_on_a_hand_made_set():
    pairs = [(0.05, False), (0.08, True), (0.95, True), (0.91, True), (0.93, False),
             (0.55, True)]
    bands = {b.low: b for b in scorecard.calibration(pairs)}
    assert set(bands) == {0.0, 0.5, 0.9}
    assert bands[0.0].count == 2 and bands[0.0].observed == 0.5
    assert bands[0.9].count == 3 and bands[0.9].observed == pytest.approx(2 / 3)
    assert bands[0.9].mean_predicted == pytest.approx((0.95 + 0.91 + 0.93) / 3)
    outcomes = {"A": Outcome("Lab", True, True), "B": Outcome("LD", True, True)}
    probs = {"A": {"Lab": 0.8, "LD": 0.2}, "B": {"Lab": 0.6, "LD": 0.4}}
    # A: 0.2^2 + 0.2^2 = 0.08; B: 0.6^2 + 0.6^2 = 0.72; mean 0.40
    assert scorecard.brier(probs, outcomes) == pytest.approx(0.40)
    s = scorecard.score("t", "m", {"A": "Lab", "B": "Lab"}, outcomes)
    assert (s.right, s.wrong, s.net, s.accuracy) == (1, 1, 1 - 3, 0.5)


def test_every_poll_row_is_sourced_and_adds_up():
    with (PROJECT_ROOT / "data" / "national_polls.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    totals: dict[tuple, float] = {}
    for row in rows:
        assert row["source"].startswith(("http://", "https://")), row
        k = (row["election_id"], row["area"], row["pollster"], row["date"])
        totals[k] = totals.get(k, 0.0) + float(row["share"])
    assert all(90 <= t <= 101 for t in totals.values()), totals
    polls = load_polls()
    for election in ("ge2015", "ge2017", "ge2019", "ge2024"):
        for area in ("GB", "Scotland", "Wales"):
            assert (election, area) in polls
    assert ("next", "GB") in polls


def test_walk_forward_uses_only_earlier_pairs():
    assert "2015" not in share_fit.EARLIER  # nothing earlier to learn from
    assert share_fit.EARLIER["2019"] == ("2015", "2017")
    assert share_fit.EARLIER["2024"] == ("2015", "2017", "2019")
    assert all(max(earlier) < pair for pair, earlier in share_fit.EARLIER.items())


@pytest.fixture
def fdata(forecast_data):
    return forecast_data


@pytest.mark.slow
def test_every_seat_chances_sum_to_one(fdata):
    found = share_fit.backtest(fdata, "2024")
    assert found is not None
    # however it is asked for, a pair's fit is made once (each fit takes seconds)
    assert share_fit.backtest(fdata, "2024", AGAINST_CON, True) is found
    forecasts = found[1]
    assert len(forecasts) == fdata_gb_seats(fdata, "2024")  # every GB seat
    for f in forecasts.values():
        if f.probabilities:
            assert sum(f.probabilities.values()) == pytest.approx(1.0)
            assert all(0 <= p <= 1 for p in f.probabilities.values())
        assert 0 <= f.opponent_top_two <= 1


def fdata_gb_seats(fdata: ForecastData, pair: str) -> int:
    boundaries = PAIRS[pair].boundaries
    return sum(1 for _c, _n, nation, b in fdata.seats.values()
               if b == boundaries and nation != "Northern Ireland")


def export(data: ForecastData, pair: str, out: Path) -> tuple[str, str]:
    """The pair's per-seat export and the fitted parameters, as text."""
    from bot.evaluation import backtest
    rows = backtest.forecasts(data, pair)
    scorecard.write_forecast_csv(rows, out)
    params, _forecasts = share_fit.backtest(data, pair)  # the fit the rows came from
    return out.read_text(), json.dumps(asdict(params))


@pytest.mark.slow
@pytest.mark.parametrize("pair", ["2019", "2024"])
def test_deleting_the_election_and_everything_after_changes_nothing(
        pair, built_db_dir: Path, forecast_data: ForecastData, tmp_path: Path):
    before = export(forecast_data, pair, tmp_path / "before.csv")
    target, day = PAIRS[pair].target, PAIRS[pair].polling_day
    cut = tmp_path / "cut.db"
    shutil.copy(built_db_dir / "elections.db", cut)
    conn = sqlite3.connect(cut)
    with conn:
        # the votes go; who stood (public three weeks before polling day) stays
        conn.execute("update results set votes = 0, share = 0, won = 0, position = 0 "
                     "where election_id = ?", (target,))
        later = "select id from elections where date > ? or (date = ? and id != ?)"
        gone = {row[0] for row in conn.execute(later, (day, day, target))} | {"next"}
        # and what was published for them: seat projections, the polls since 2024
        tables = {row[0] for row in conn.execute("select name from sqlite_master")}
        for table in ("results", "contests", "pacts", "seat_projections"):
            if table in tables:
                conn.execute(f"delete from {table} where election_id in ({later})",
                             (day, day, target))
        if "poll_average" in tables:
            conn.execute("delete from poll_average")
        if "local_results" in tables:  # council elections from polling day on
            conn.execute("delete from local_results where day >= ?", (day,))
        conn.execute("delete from elections where date > ? or (date = ? and id != ?)",
                     (day, day, target))
    conn.close()
    if "local_results" in tables:  # the seats' local strength worked out again from that
        local_elections.strength(sqlite_utils.Database(cut))
    polls = tmp_path / "polls.csv"
    with POLLS_CSV.open(newline="") as f, polls.open("w", newline="") as out:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(out, reader.fieldnames)
        writer.writeheader()
        writer.writerows(r for r in reader if r["election_id"] not in gone)
    after = ForecastData(dbmod.open_elections(cut), polls)
    assert export(after, pair, tmp_path / "after.csv") == before

    def own(path: Path) -> int:  # the target's own projections, published before it, stay
        return sum(len(models) for (e, _c), models in
                   ForecastData(dbmod.open_elections(path)).projections.items() if e == target)
    assert own(cut) == own(built_db_dir / "elections.db")


@pytest.mark.slow
def test_backtest_csv_without_a_model_writes_the_default_model(settings, tmp_path: Path):
    out = tmp_path / "2024.csv"
    env = {"HOWTOVOTE_DB_DIR": str(settings.db_dir), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "bot.py", "backtest", "--election", "2024",
                           "--csv", str(out)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    gb = sqlite3.connect(settings.elections_db_path).execute(
        "select count(*) from seats where boundaries = '2024' and nation != 'Northern Ireland'"
    ).fetchone()[0]
    assert len(rows) == gb and {r["model"] for r in rows} == {"vote-share"}
    dewsbury = next(r for r in rows if r["code"] == "E14001196")
    assert 0 < float(dewsbury["p_leader"]) <= 1


def test_the_live_answer_states_the_chance_and_its_basis(settings):
    import asyncio

    from bot.service import HowToVote

    async def go():
        service = await HowToVote(settings).start(offline=True)
        try:
            used = service.forecasts.poll_in_use(None, "England")[0].date
            return used, service.answer_for_seat("E14001159")  # Chelmsford
        finally:
            await service.close()
    used, answer = asyncio.run(go())
    advice = answer.advice
    assert advice.forecast is not None and advice.last_result_call == "Liberal Democrat"
    assert "to be the strongest challenger here" in answer.text
    assert f"polls of {used}" in answer.text and "days old" in answer.text


@pytest.mark.full_data  # kept by a real import, for 600+ seats
def test_the_chances_kept_at_import_are_what_every_seat_would_work_out(elections):
    """Every bot process reads the seats' chances the import worked out instead of
    drawing them again: over every seat, the answer's chances are bit for bit those a
    process with nothing kept works out; and a seat whose field changes (a withdrawal)
    is worked out afresh, not read."""
    from dataclasses import replace

    from bot.advice.rules import field_of
    from bot.elections.forecast_ahead import fields as fields_of
    from bot.elections.seats import ElectionData
    from bot.forecast.live import LiveForecasts

    kept, fresh, marked = (LiveForecasts(elections) for _ in range(3))
    fresh.known = {}
    # what is read, not worked out, is known by a mark no draw can give
    marked.known = {k: replace(f, opponent_top_two=-1.0) for k, f in marked.known.items()}
    data = ElectionData(elections)
    fields = fields_of(data)
    # the fields kept for are those an answer with no updates uses
    assert fields == {code: field_of(r, data.parties) for code, r in data.current.items()}
    forecast = 0
    for code, field in fields.items():
        worked_out = fresh.view(code, field, None)
        assert kept.view(code, field, None) == worked_out, code
        if worked_out is not None:
            forecast += 1
            assert marked.view(code, field, None).forecast.opponent_top_two == -1.0
    assert len(kept.known) == forecast > 600  # Great Britain's seats
    code = "E14001272"  # Hartlepool: Labour withdraws
    view = kept.view(code, fields[code], None)
    withdrawn = replace(fields[code], standing=fields[code].standing - {"Lab"})
    changed = kept.view(code, withdrawn, None)
    assert "Lab" in view.forecast.probabilities and "Lab" not in changed.forecast.probabilities
    assert changed == fresh.view(code, withdrawn, None)
    assert marked.view(code, withdrawn, None).forecast.opponent_top_two >= 0


@pytest.mark.full_data  # 600+ seats
def test_every_seats_forecast_rests_on_the_same_numbers_in_every_process(built_db_dir):
    """Python orders a set by a hash that differs from process to process: a forecast
    summed in a set's order differs in its last bits between two bots (and then its kept
    chances are not found). Two processes, two hash seeds, the same digest of every
    seat's inputs."""
    import os
    script = ("import sys; from pathlib import Path; from bot import db; "
              "from bot.elections.forecast_ahead import chances_ahead; "
              "print(*sorted(chances_ahead(db.open_elections(Path(sys.argv[1])))))")
    digests = [subprocess.run([sys.executable, "-c", script,
                               str(built_db_dir / "elections.db")],
                              env={**os.environ, "PYTHONHASHSEED": seed}, cwd=PROJECT_ROOT,
                              capture_output=True, text=True, check=True).stdout.split()
               for seed in ("1", "2")]
    assert digests[0] == digests[1] and len(digests[0]) > 600
