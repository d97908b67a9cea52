"""Shared fixtures: the real data from $HOWTOVOTE_DATA, built once per test session.

Without HOWTOVOTE_DATA (a fresh clone) the tests run on tests/fixtures/mini_elections.sql:
66 real seats and everything on them, cut from the same open data. Tests that need all
650 seats or the source files are marked `full_data` and skip, saying how to run them."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.elections.importers import REQUIRED_SOURCES, build_elections_db
from bot.elections.sources import fetch

ENABLE_HINT = (
    "full-data tests need HOWTOVOTE_DATA pointing at the shared data folder, "
    "e.g. HOWTOVOTE_DATA=../shared/data pytest"
)
FULL_DATA = bool(os.environ.get("HOWTOVOTE_DATA"))
FIXTURES = Path(__file__).parent / "fixtures"
_builder: subprocess.Popen | None = None  # the workers' shared build, being made


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "full_data: needs all 650 seats or the source files")
    config.addinivalue_line("markers", "slow: takes ten seconds or more on two cores; run "
                            "first, so that the workers end together")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core. Much of the suite waits (on PostgreSQL servers
    stopped, restarted or frozen on purpose, on deadlines, on other processes), and a
    second worker per core runs tests in that time (on two cores: 185 s with two workers,
    158 s with four)."""
    return 2 * (os.cpu_count() or 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # those that need no elections.db first (they run while it is built), and the slow
    # ones first among the rest
    items.sort(key=lambda item: (needs_the_build(item), "slow" not in item.keywords))
    if FULL_DATA:
        return
    skip = pytest.mark.skip(reason=ENABLE_HINT)
    for item in items:
        if "full_data" in item.keywords:
            item.add_marker(skip)


def needs_the_build(item: pytest.Item) -> bool:
    """Whether the test asks for elections.db, through any fixture, overridden ones too
    (whose parents' arguments pytest leaves out of `fixturenames`)."""
    info = getattr(item, "_fixtureinfo", None)
    todo, seen = list(getattr(item, "fixturenames", ())), set()
    while todo:
        name = todo.pop()
        if name == "built_db_dir":
            return True
        if name not in seen and info is not None:
            seen.add(name)
            for definition in info.name2fixturedefs.get(name, ()):
                todo.extend(definition.argnames)
    return False


def pytest_sessionstart(session: pytest.Session) -> None:
    """With workers (xdist), the controller starts the workers' shared build at once, in a
    process of its own that holds the build's lock until it is done: the workers start
    and run the tests that need no elections.db meanwhile. Were it to fail, the first
    worker to need the build makes it, and says why it cannot."""
    global _builder
    config = session.config
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        return
    folder = shared_build_folder(config._tmp_path_factory.getbasetemp())  # as xdist does
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(folder / "build.log", "w") as log:
            _builder = subprocess.Popen([sys.executable, "-m", "tests.conftest", str(folder)],
                                        cwd=Path(__file__).parents[1], stdout=log,
                                        stderr=log, pass_fds=(lock.fileno(),))  # its lock now


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _builder is not None and _builder.poll() is None:  # no test needed it
        _builder.kill()
        _builder.wait()


def shared_build_folder(run_base: Path) -> Path:
    """Where the workers of a run (whose folders `run_base` holds) share one build."""
    folder = run_base / "built"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = os.environ.get("HOWTOVOTE_DATA")
    if not value:
        pytest.skip(ENABLE_HINT)
    path = Path(value).resolve()
    if not (path / "psephology.db").is_file():
        pytest.fail(f"HOWTOVOTE_DATA={value} has no psephology.db")
    return path


def fetch_all(data_dir: Path, downloads: Path) -> dict:
    async def go():
        return {s.name: await fetch(s, data_dir, downloads, progress=False)
                for s in REQUIRED_SOURCES}
    return asyncio.run(go())


@pytest.fixture(scope="session")
def built_db_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Path:
    """A folder holding an elections.db built from the real data, or from the mini fixture
    on a fresh clone (shared; do not write)."""
    worker = getattr(request.config, "workerinput", None)
    if worker is None:  # one process: a folder of its own
        folder = tmp_path_factory.mktemp("built")
    else:  # xdist: the workers of one run share one build (`pytest_sessionstart`)
        folder = shared_build_folder(tmp_path_factory.getbasetemp().parent)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait for the first build
        if not (folder / "elections.db").exists():
            build_into(folder, request.getfixturevalue("data_dir") if FULL_DATA else None)
    return folder


@pytest.fixture(scope="session")
def fit_kept(built_db_dir: Path) -> None:
    """For a test that runs a whole import of its own: the shared build is done, so the
    forecast's fit and chances are in the user cache (`forecast.store`, under a key of
    the sources and the code), and the test's import takes them rather than working them
    out again beside the build."""


def build_into(folder: Path, data_dir: Path | None) -> None:
    """elections.db in `folder`: from the real data in `data_dir`, or the mini fixture."""
    partial = folder / ".partial.db"
    if data_dir is not None:
        build_elections_db(fetch_all(data_dir, folder / "downloads"), partial)
    else:
        build_mini(partial)
    partial.replace(folder / "elections.db")


def build_mini(path: Path) -> None:
    from bot import db as dbmod
    db = dbmod.open_elections(path, writable=True)
    dbmod.create_elections_schema(db)
    db.conn.executescript((FIXTURES / "mini_elections.sql").read_text(encoding="utf-8"))
    db.close()


def sample_postcodes_file() -> Path:
    if FULL_DATA:
        return Path(os.environ["HOWTOVOTE_DATA"]) / "constituency-sample-postcode-2024.csv"
    return FIXTURES / "mini-sample-postcodes.csv"


@pytest.fixture
def settings(built_db_dir: Path, tmp_path: Path) -> Settings:
    """Settings whose elections.db is the shared build and whose guilds.db is fresh."""
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    (db_dir / "elections.db").symlink_to(built_db_dir / "elections.db")
    return Settings(db_dir=db_dir, data_source=os.environ.get("HOWTOVOTE_DATA") or None)


@pytest.fixture
def howtovote(monkeypatch, capsys):
    """`howtovote ARGS...` run in this process (`bot.cli.main`), with `env` set for it and
    nothing else of the caller's guild-store settings: a CompletedProcess (exit code,
    stdout, stderr), as a real run gives. A few tests still start real processes."""
    import subprocess

    from bot.cli import main

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        for name in ("DISCORD_TOKEN", "HOWTOVOTE_DATABASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return subprocess.CompletedProcess(list(args), code, out, err)
    return run


@pytest.fixture(scope="session")
def elections(built_db_dir: Path):
    """The real elections.db, opened read-only."""
    from bot import db as dbmod
    return dbmod.open_elections(built_db_dir / "elections.db")


@pytest.fixture(scope="session")
def forecast_data(elections):
    """The forecast's inputs from the shared build: one instance per worker, so the fits
    `share_fit.backtest` keeps for it serve every test that asks for the same one."""
    from bot.forecast.inputs import ForecastData
    return ForecastData(elections)


@pytest.fixture(scope="session")
def resolver(elections):
    from bot.places.resolve import Resolver
    return Resolver.from_db(elections)


@pytest.fixture
async def fake_postcodes():
    from bench.fake_postcodes import FakePostcodesIO, load_sample_postcodes
    server = FakePostcodesIO(load_sample_postcodes(sample_postcodes_file()))
    await server.start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
def election_data(elections):
    from bot.elections.seats import ElectionData
    return ElectionData(elections)


@pytest.fixture
async def discord_bot(settings, fake_postcodes):
    """The real bot, cogs and core, driven through dpytest; postcodes via the local fake."""
    from dataclasses import replace

    from bench.discord_harness import start, stop
    harness = await start(replace(settings, postcodes_api_url=fake_postcodes.url))
    yield harness
    await stop(harness)


# -- PostgreSQL: a database of its own for each test ------------------------------------------
PG_ADMIN_URL = os.environ.get("HOWTOVOTE_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def _pg_databases():
    """This worker's PostgreSQL databases, made as tests first need them and kept
    between tests, emptied (making one costs a copy of the template and a flush to disk;
    emptying one, milliseconds); all dropped at the end."""
    if not PG_ADMIN_URL:
        pytest.skip("PostgreSQL tests need HOWTOVOTE_TEST_DATABASE_URL=postgresql://user@host"
                    "/database (CI sets it); skipped on this machine")
    import psycopg
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    made: list[str] = []
    free: list[str] = []
    try:
        yield admin, made, free
    finally:
        for name in made:
            admin.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.fixture
def pg_url(_pg_databases):
    """An empty PostgreSQL database of this test's own. Skips, saying why, without
    HOWTOVOTE_TEST_DATABASE_URL (CI sets it and .ci/run checks the server answers).
    Afterwards every session on it is ended and its one schema made anew, so the next test
    to take it finds it as `create database` would."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    admin, made, free = _pg_databases
    if free:
        name = free.pop()
    else:
        name = f"howtovote_test_{uuid.uuid4().hex[:12]}"
        admin.execute(f"create database {name}")
        made.append(name)
    url = urlunsplit(urlsplit(PG_ADMIN_URL)._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        admin.execute("select pg_terminate_backend(pid, 5000) from pg_stat_activity "
                      "where datname = %s", (name,))  # each waited for, up to 5 s
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema public cascade")
            conn.execute("create schema public")
        free.append(name)


@pytest.fixture
def private_postgres():
    """A PostgreSQL server of this test's own (initdb in a temporary folder, a free port),
    so that a test may restart or stop it without disturbing the others. Yields (url,
    control): control("restart"), control("stop") and control("start") each return once
    the server has done it; control("freeze") stops every server process (a server that
    hangs: its sockets stay open, nothing answers) until control("thaw")."""
    import glob
    import shutil
    import socket
    import subprocess
    import tempfile

    if not PG_ADMIN_URL:
        pytest.skip("PostgreSQL tests need HOWTOVOTE_TEST_DATABASE_URL (CI sets it)")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")) or \
        [p for p in [shutil.which("pg_ctl")] if p]
    if not found:
        pytest.fail("pg_ctl not found: the fault tests need PostgreSQL's server binaries")
    bindir = os.path.dirname(found[-1])
    folder = Path(tempfile.mkdtemp(prefix="howtovote-pg-"))  # pytest's tmp is root's only
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run([*as_postgres, f"{bindir}/initdb", "-D", str(data), "-A", "trust",
                    "-U", "postgres"], check=True, capture_output=True)
    ctl = [*as_postgres, f"{bindir}/pg_ctl", "-D", str(data), "-l", str(folder / "log"),
           "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "-w"]
    subprocess.run([*ctl, "start"], check=True, capture_output=True)

    def control(action: str) -> None:
        if action in ("freeze", "thaw"):  # every server process stopped, sockets open
            postmaster = (data / "postmaster.pid").read_text().split()[0]
            found = subprocess.run(["pgrep", "-P", postmaster], capture_output=True,
                                   text=True).stdout.split()
            signal = "-STOP" if action == "freeze" else "-CONT"
            subprocess.run(["kill", signal, postmaster, *found], check=True)
            return
        subprocess.run([*ctl, "-m", "fast", action], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", control
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":  # `python -m tests.conftest FOLDER`: the workers' shared build
    build_into(Path(sys.argv[1]),
               Path(os.environ["HOWTOVOTE_DATA"]).resolve() if FULL_DATA else None)
