"""The elections.db import: real counts and facts, validation, and atomic replacement."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import db as dbmod
from bot.config import PROJECT_ROOT, Settings
from bot.elections.dataset import import_data, status
from bot.elections.importers import ImportFailed, build_elections_db
from bot.elections.sources import PSEPHOLOGY, SourceError, fetch
from bot.store import sqlite as sqlite_store
from tests.conftest import fetch_all


def query(path: Path, sql: str, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.full_data
def test_six_general_elections_of_650_seats(built_db_dir: Path):
    rows = query(built_db_dir / "elections.db",
                 "select election_id, count(*) from contests where election_id like 'ge%' "
                 "group by election_id")
    assert dict(rows) == {e: 650 for e in
                          ("ge2010", "ge2015", "ge2017", "ge2019", "ge2019n", "ge2024")}
    assert query(built_db_dir / "elections.db",
                 "select boundaries, count(*) from seats group by 1") == [("2010", 650),
                                                                          ("2024", 650)]


def test_dewsbury_and_batley_2024_won_by_independent(built_db_dir: Path):
    rows = query(built_db_dir / "elections.db", """
        select r.candidate, r.party, r.votes, r.won from results r join seats s on s.id = r.seat_id
        where s.code = 'E14001196' and r.election_id = 'ge2024' order by r.position""")
    assert rows[0] == ("Iqbal Mohamed", "Ind", 15641, 1)
    assert rows[1][1:3] == ("Lab", 8707)


def test_batley_and_spen_2019_and_its_successors(built_db_dir: Path):
    path = built_db_dir / "elections.db"
    votes = dict(query(path, """select r.party, r.votes from results r join seats s
        on s.id = r.seat_id where s.code = 'E14000548' and r.election_id = 'ge2019'"""))
    assert (votes["Lab"], votes["Con"]) == (22594, 19069)
    overlaps = query(path, """
        select n.name, round(o.old_population_share, 2) from overlaps o
        join seats old on old.id = o.old_seat_id join seats n on n.id = o.new_seat_id
        where old.code = 'E14000548' order by 2 desc""")
    assert overlaps == [("Spen Valley", 0.65), ("Dewsbury and Batley", 0.35)]


@pytest.mark.full_data
def test_parties_labour_coop_speaker_and_three_greens(built_db_dir: Path):
    path = built_db_dir / "elections.db"
    parties = {code: (name, bloc) for code, name, bloc in
               query(path, "select code, name, bloc from parties")}
    assert parties["Lab"] == ("Labour", 1) and parties["Con"][1] == 0
    assert {"Green", "SGP", "GPNI"} <= parties.keys()
    # Chorley: the Speaker, against no Con/Lab/LD candidate
    chorley = dict(query(path, """select r.party, r.votes from results r join seats s
        on s.id = r.seat_id where s.code = 'E14001170' and r.election_id = 'ge2024'"""))
    assert "Spk" in chorley and not {"Con", "Lab", "LD"} & chorley.keys()
    # Labour and Co-operative candidates are Labour, flagged co-op, never counted twice
    coop = query(path, "select count(*), count(distinct party) from results "
                       "where coop = 1 and election_id = 'ge2024'")[0]
    assert coop[0] > 30 and coop[1] == 1


def test_every_2024_seat_has_a_notional_2019_result(built_db_dir: Path):
    missing = query(built_db_dir / "elections.db", """select count(*) from seats s
        where s.boundaries = '2024' and s.id not in
        (select seat_id from contests where election_id = 'ge2019n')""")
    assert missing == [(0,)]


def test_sha256_mismatch_changes_nothing(data_dir: Path, tmp_path: Path, built_db_dir: Path):
    target = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", target)
    before = digest(target)
    tampered = tmp_path / "src" / "psephology.db"
    tampered.parent.mkdir()
    tampered.write_bytes((data_dir / "psephology.db").read_bytes() + b"\0")
    settings = Settings(db_dir=tmp_path)
    with pytest.raises(SourceError, match="not the pinned release"):
        asyncio.run(import_data(settings, str(tampered.parent), progress=False))
    assert digest(target) == before


@pytest.mark.parametrize("damage", ["truncated", "not-sqlite"])
def test_corrupt_source_is_a_clear_error(damage, data_dir: Path, tmp_path: Path,
                                         built_db_dir: Path):
    target = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", target)
    before = digest(target)
    bad = tmp_path / "psephology.db"
    original = (data_dir / "psephology.db").read_bytes()
    bad.write_bytes(original[: len(original) // 3] if damage == "truncated" else b"hello" * 999)
    fetched = fetch_all(data_dir, tmp_path / "dl")
    fetched["psephology"] = type(fetched["psephology"])(PSEPHOLOGY, bad, str(bad), "x")
    with pytest.raises(ImportFailed, match="psephology.db"):
        build_elections_db(fetched, target)
    assert digest(target) == before
    assert not list(tmp_path.glob(".elections.db.*"))


def test_validation_failure_leaves_old_database(data_dir: Path, tmp_path: Path,
                                                built_db_dir: Path):
    """A source whose votes do not add up is refused, loudly."""
    target = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", target)
    before = digest(target)
    broken = tmp_path / "psephology.db"
    shutil.copy(data_dir / "psephology.db", broken)
    conn = sqlite3.connect(broken)
    conn.execute("update candidacies set vote_count = vote_count + 1 where id = 19444")
    conn.commit()
    conn.close()
    fetched = fetch_all(data_dir, tmp_path / "dl")
    fetched["psephology"] = type(fetched["psephology"])(PSEPHOLOGY, broken, str(broken), "x")
    with pytest.raises(ImportFailed, match="Dewsbury and Batley: candidates' votes add up"):
        build_elections_db(fetched, target)
    assert digest(target) == before


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from bot.elections.importers import build_elections_db
from tests.conftest import fetch_all
def pause(step):
    if step == "psephology":
        Path(sys.argv[3]).write_text("paused")
        time.sleep(60)
build_elections_db(fetch_all(Path(sys.argv[1]), Path(sys.argv[2]) / "dl"),
                   Path(sys.argv[2]) / "elections.db", after_step=pause)
"""


def test_import_killed_partway_leaves_old_database(data_dir: Path, tmp_path: Path,
                                                   built_db_dir: Path):
    target = tmp_path / "elections.db"
    shutil.copy(built_db_dir / "elections.db", target)
    before = digest(target)
    marker = tmp_path / "paused"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(data_dir), str(tmp_path),
                             str(marker)], cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the import ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert list(tmp_path.glob(".elections.db.*.tmp")), "the new build is in a temp file"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert digest(target) == before
    db = dbmod.open_elections(target)
    assert db.conn.execute("select count(*) from seats").fetchone() == (1300,)


def test_guilds_db_is_not_touched_by_import(data_dir: Path, tmp_path: Path, fit_kept):
    settings = Settings(db_dir=tmp_path)
    guilds = sqlite_store.open_guilds(settings.guilds_db_path)
    guilds.execute("insert into guild_settings (guild_id, key, value, updated_at) "
                   "values (1, 'opponent', 'RUK', 'now')")
    guilds.close()
    before = digest(settings.guilds_db_path)
    asyncio.run(import_data(settings, str(data_dir), progress=False))
    assert digest(settings.guilds_db_path) == before
    st = status(settings)
    assert st is not None and {e["id"]: e["seats"] for e in st.elections}["ge2024"] == 650


async def test_download_from_local_server_verifies_sha256(data_dir: Path, tmp_path: Path):
    payload = (data_dir / "psephology.db").read_bytes()
    served = {"body": payload}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=served["body"])

    app = web.Application()
    app.router.add_get("/psephology.db", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/psephology.db"))
        got = await fetch(PSEPHOLOGY, url, tmp_path / "dl", progress=False)
        assert got.path.read_bytes() == payload and got.origin == url
        served["body"] = payload[:-10] + b"0123456789"
        (tmp_path / "dl" / "psephology.db").unlink()
        with pytest.raises(SourceError, match="not the pinned release"):
            await fetch(PSEPHOLOGY, url, tmp_path / "dl", progress=False)
        assert not list((tmp_path / "dl").iterdir()), "a bad download leaves nothing behind"


async def test_download_http_error_is_clear(tmp_path: Path):
    app = web.Application()
    async with TestServer(app, host="127.0.0.1") as server:
        with pytest.raises(SourceError, match="HTTP 404"):
            await fetch(PSEPHOLOGY, str(server.make_url("/psephology.db")), tmp_path,
                        progress=False)


def test_guilds_migrations_are_numbered_and_idempotent(tmp_path: Path):
    path = tmp_path / "guilds.db"
    db = sqlite_store.open_guilds(path)
    version = sqlite_store.schema_version(db.connection)
    assert version == sqlite_store.MIGRATIONS[-1][0]
    assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    db.close()
    again = sqlite_store.open_guilds(path)
    assert sqlite_store.schema_version(again.connection) == version
    tables = {name for (name,) in again.execute("select name from sqlite_master")}
    assert {"seat_updates", "guild_settings", "postcode_cache"} <= tables


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "bot.py", *args], cwd=PROJECT_ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_cli_import_and_status(data_dir: Path, tmp_path: Path, fit_kept):
    env = {"HOWTOVOTE_DB_DIR": str(tmp_path)}
    done = run_cli("data", "import", "--from", str(data_dir / "psephology.db"), env=env)
    assert done.returncode == 0, done.stderr
    assert "6 general elections and 34 by-elections" in done.stdout
    # the build's steps are shown as they end, never a long silence after one line
    assert "building elections.db" in done.stderr and "5/5" in done.stderr
    shown = run_cli("data", "status", env=env)
    assert "ge2024       2024-07-04   650       4515" in shown.stdout
    assert PSEPHOLOGY.sha256 in shown.stdout


def test_cli_without_token_explains_setup(tmp_path: Path):
    done = run_cli(env={"HOWTOVOTE_DB_DIR": str(tmp_path), "DISCORD_TOKEN": ""})
    assert done.returncode == 2
    assert "DISCORD_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_cli_bad_setting_is_one_clear_line(tmp_path: Path):
    done = run_cli("data", "status", env={"LOG_LEVEL": "LOUD"})
    assert done.returncode == 2
    assert done.stderr.startswith("howtovote: bad setting: LOG_LEVEL")
