"""Seat history (`elections`) and the first run that imports data by itself."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.advice.history import render_history_embed, render_history_text, seat_history
from bot.advice.render import EMBED_LIMIT
from bot.config import PROJECT_ROOT


def test_batley_history_has_the_2021_by_election_and_green_withdrawal(election_data):
    history = seat_history(election_data, "E14001196")
    text = render_history_text(history)
    assert "Batley and Spen by-election 2021" in text
    assert "Labour (Kim Leadbeater) 13,296" in text and "Conservative 12,973" in text
    assert "stood aside: Green" in text
    assert [p.seat.name for p in history.predecessors] == ["Dewsbury", "Batley and Spen"]
    dates = [e.contest.date for e in history.entries]
    assert dates == sorted(dates, reverse=True)


def test_brecon_history_shows_both_2019_pacts(election_data):
    history = seat_history(election_data, "W07000085")
    pacts = {(e.contest.election_id, p.name) for e in history.entries for p in e.pacts}
    assert ("be2019-08-01-W07000068", "Remain pact (forerunner of Unite to Remain)") in pacts
    assert ("ge2019", "Unite to Remain") in pacts


def test_runcorn_history_leads_with_the_2025_by_election(election_data):
    history = seat_history(election_data, "E14001455")
    first = history.entries[0].contest
    assert first.date == "2025-05-01" and first.candidates[0].party == "RUK"
    assert first.candidates[0].votes - first.candidates[1].votes == 6


def test_history_embed_fits_discord(election_data):
    for code in ("E14001196", "W07000085", "E14001455", "S14000061"):
        spec = render_history_embed(seat_history(election_data, code))
        assert spec.total_length() <= EMBED_LIMIT and 0 < len(spec.fields) <= 25


def cli(*args, env):
    return subprocess.run([sys.executable, "bot.py", *args], cwd=PROJECT_ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_elections_cli(settings):
    done = cli("elections", "Brecon", env={"HOWTOVOTE_DB_DIR": str(settings.db_dir)})
    assert done.returncode == 0 and "Unite to Remain" in done.stdout


def test_first_run_imports_data_then_answers(data_dir, tmp_path, fit_kept):
    done = cli("ask", "Batley", env={"HOWTOVOTE_DB_DIR": str(tmp_path / "fresh"),
                                     "HOWTOVOTE_DATA": str(data_dir)})
    assert done.returncode == 0, done.stderr
    assert "no election data yet; importing it" in done.stderr
    assert "Dewsbury and Batley" in done.stdout
    assert (tmp_path / "fresh" / "elections.db").exists()
