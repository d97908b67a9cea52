"""`python bot.py bench`: every speed figure in one table, each beside a baseline.

Figures are medians and 99th percentiles over many runs, printed with the core count.
Nothing here is a test: timings vary by machine, so they are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rapidfuzz import process

from bot.config import Settings
from bot.service import HowToVote

ROWS: list[tuple[str, str, str, str]] = []  # (figure, median, p99 or total, baseline/ratio)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out


def mixed_queries(service: HowToVote, n: int) -> list[str]:
    """Names, misspellings, old seat names and towns, drawn from the real data."""
    rng = random.Random(2024)
    names = [s.name for s in service.resolver.by_code.values()]
    old = [o.name for o in service.resolver.old.values()]
    towns = ["Batley", "Brecon", "Torquay", "Cardiff", "Birmingham", "Derry", "Kendal"]

    def misspell(name: str) -> str:
        i = rng.randrange(1, max(2, len(name) - 1))
        return name[:i] + name[i + 1:]

    makers = [lambda: rng.choice(names), lambda: misspell(rng.choice(names)),
              lambda: rng.choice(old), lambda: rng.choice(towns)]
    return [rng.choice(makers)() for _ in range(n)]


def add(figure: str, median: str, p99: str, baseline: str) -> None:
    ROWS.append((figure, median, p99, baseline))
    print(f"  {figure}: {median} / {p99}   {baseline}", file=sys.stderr)


async def bench_queries(service: HowToVote, n: int) -> None:
    """Uncached: every query resolved and every answer worked out afresh (what a query
    never asked before costs), then the same answers as the bot keeps them."""
    queries = mixed_queries(service, n)
    resolve = service.resolver._resolve_name  # past the resolver's cache of names

    def answer(q: str) -> None:
        resolution = resolve(q)
        if resolution.seat:
            service._work_out(resolution.seat.code, None, resolution, None)  # past the cache

    def kept(q: str) -> None:
        resolution = service.resolver.resolve_name(q)
        if resolution.seat:
            service.answer_for_seat(resolution.seat.code, None, resolution)

    resolve_med, resolve_p99 = percentiles(timed(resolve, queries))
    full_med, full_p99 = percentiles(timed(answer, queries))
    for q in queries:
        kept(q)
    kept_med, kept_p99 = percentiles(timed(kept, queries))
    raw = [s.name for s in service.resolver.by_code.values()]
    naive = timed(lambda q: process.extractOne(q, raw), queries[:2000])
    naive_med, _ = percentiles(naive)
    add(f"(1a) resolve, {n:,} mixed name queries", f"{resolve_med * 1e6:.0f} µs",
        f"{resolve_p99 * 1e6:.0f} µs",
        f"naive rapidfuzz over raw names {naive_med * 1e6:.0f} µs ({naive_med / resolve_med:.1f}x"
        " slower)")
    add("(1b) resolve + advise + render (the embed), uncached", f"{full_med * 1e6:.0f} µs",
        f"{full_p99 * 1e6:.0f} µs", f"{full_med / resolve_med:.1f}x resolve alone; target 100 µs")
    add("(1c) a kept answer (resolved and answered before)", f"{kept_med * 1e6:.1f} µs",
        f"{kept_p99 * 1e6:.1f} µs", f"{full_med / kept_med:.0f}x faster than (1b); target 20 µs")


async def bench_postcodes(service: HowToVote, fake_url: str, sample: list[str]) -> None:
    import aiohttp

    from bot.places.postcodes import PostcodeLookup
    async with aiohttp.ClientSession() as session:
        cold = PostcodeLookup(fake_url, session, None)
        cold_times = []
        for pc in sample[:300]:
            start = time.perf_counter()
            await cold.lookup(pc)
            cold_times.append(time.perf_counter() - start)
        warm = PostcodeLookup(fake_url, session, service.guilds_db)
        for pc in sample:
            await warm.lookup(pc)
        warm_times = []
        for pc in sample * 10:
            start = time.perf_counter()
            await warm.lookup(pc)
            warm_times.append(time.perf_counter() - start)
    cold_med, cold_p99 = percentiles(cold_times)
    warm_med, warm_p99 = percentiles(warm_times)
    add("(2a) postcode, cache warm", f"{warm_med * 1e6:.0f} µs", f"{warm_p99 * 1e6:.0f} µs",
        f"cold via local postcodes.io stand-in {cold_med * 1e6:.0f} µs "
        f"({cold_med / warm_med:.0f}x slower)")
    add("(2b) postcode, cold (local postcodes.io stand-in)", f"{cold_med * 1e3:.2f} ms",
        f"{cold_p99 * 1e3:.2f} ms", "one HTTP round trip on loopback")


async def bench_import(settings: Settings) -> None:
    from bot.elections.dataset import import_data
    with tempfile.TemporaryDirectory() as tmp:
        s = replace(settings, db_dir=Path(tmp))
        times = []
        for _ in range(3):
            start = time.perf_counter()
            await import_data(s, progress=False)
            times.append(time.perf_counter() - start)
    med, worst = percentiles(times)
    add("(3) data import (all sources, validated, swapped in)", f"{med:.2f} s",
        f"{worst:.2f} s (max of 3)", "target under 15 s")


def bench_postcode_file(rows: int) -> None:
    import sqlite3

    from bot.places.postcodes import OFFLINE_SCHEMA, normalise_postcode
    rng = random.Random(7)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "nspl.csv"
        made = []
        with src.open("w", encoding="utf-8") as f:
            f.write("pcd7,pcds,dointr,doterm,pcon,lat,long\n")
            for i in range(rows):
                pc = f"{'AB'[i % 2]}{(i // 4000) % 99 + 1} {i % 10}{letters[(i // 10) % 20]}" \
                     f"{letters[(i // 200) % 20]}"
                made.append(pc)
                f.write(f"{pc.replace(' ', '')},{pc},198001,,E14001{i % 543 + 63:03d},57,-2\n")
        # in its own process, so its peak memory is its own: the import streams
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT, str(src),
                               str(Path(tmp) / "postcodes.db")], check=True,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak = int(done.stdout.split()[-1]) / 1024
        add(f"(4a) import a {rows:,}-row NSPL-format file", f"{seconds:.1f} s",
            f"peak RSS {peak:.0f} MB", "target under 30 s")
        conn = sqlite3.connect(Path(tmp) / "postcodes.db")
        probes = [normalise_postcode(rng.choice(made)) for _ in range(20000)]
        indexed = timed(lambda pc: conn.execute(
            "select seat_code from postcodes where postcode = ?", (pc,)).fetchone(), probes)
        plain = sqlite3.connect(":memory:")
        plain.executescript(OFFLINE_SCHEMA.split("create index")[0].replace(
            "postcode text primary key", "postcode text"))
        plain.executemany("insert into postcodes values (?, ?, ?, ?)",
                          conn.execute("select * from postcodes limit 100000"))
        like = timed(lambda pc: plain.execute(
            "select seat_code from postcodes where postcode like ?", (pc,)).fetchone(),
            probes[:50])
        med, p99 = percentiles(indexed)
        like_med, _ = percentiles(like)
        add(f"(4b) lookup in the {rows:,}-row offline table", f"{med * 1e6:.1f} µs",
            f"{p99 * 1e6:.1f} µs", f"plain LIKE scan of 100k rows {like_med * 1e6:.0f} µs "
            f"({like_med / med:.0f}x slower)")


async def bench_discord(settings: Settings, users: int, rounds: int,
                        label: str = "(6) end to end through discord.py") -> None:
    try:
        import discord.ext.test as dpytest
        from discord.ext.test import backend
    except ImportError:  # dpytest is a test extra
        add("(6) end to end through discord.py", "-", "-",
            "needs dpytest: pip install -e '.[test]'")
        return

    from bench.discord_harness import start, stop
    harness = await start(settings)
    queries = mixed_queries(harness.bot.service, users * rounds)
    cfg = dpytest.get_config()
    channel = cfg.guilds[0].text_channels[0]
    members = cfg.members[:3]

    harness.lift_cooldowns()  # the cooldown is per user; this measures throughput
    # 100 users' messages arrive at once: each is dispatched straight away (as the gateway
    # would), then we wait for every reply
    start_time = time.perf_counter()
    for i in range(users * rounds):
        backend.make_message(f"!howtovote {queries[i]}", members[i % len(members)], channel)
    await dpytest.run_all_events()
    seconds = time.perf_counter() - start_time
    replies = len(harness.replies())
    single = time.perf_counter()
    for q in queries[:200]:
        await dpytest.message(f"!howtovote {q}", channel=channel, member=members[0])
    single_rate = 200 / (time.perf_counter() - single)
    harness.replies()
    await stop(harness)
    add(f"{label}, {users} concurrent users",
        f"{replies / seconds:.0f} commands/s", f"{replies:,} replies in {seconds:.1f} s",
        f"one user at a time {single_rate:.0f}/s")


async def bench_versus_bare(settings: Settings) -> None:
    try:
        from bench.versus_bare import ROUNDS, VOTERS, ratio
    except ImportError:  # dpytest is a test extra
        add("(6b) end to end against a bare discord.py bot", "-", "-",
            "needs dpytest: pip install -e '.[test]'")
        return
    ours, bare, share = await ratio(settings)
    add(f"(6b) end to end against a bare discord.py bot, {VOTERS} voters x {ROUNDS}",
        f"{share:.2f}x", f"ours {ours:.0f}/s, bare {bare:.0f}/s",
        "same harness, same embed; target 0.8x")


WRITES = 300


async def bench_writes(settings: Settings) -> float:
    """Moderator updates a second, one after another, each validated and committed with
    the answers it changes worked out before and after (as `!note` does)."""
    service = await HowToVote(settings).start(offline=True)
    service.moderator_rate = None  # one moderator posting 300 in a row: measure, not limit
    try:
        code = next(iter(service.data.current))
        started = time.perf_counter()
        for i in range(WRITES):
            await service.post_update(1, code, "note", None, {"text": f"bench {i}"}, 7, "m")
        return WRITES / (time.perf_counter() - started)
    finally:
        await service.close()


async def bench_engines(settings: Settings) -> None:
    """(7) guild data in guilds.db and in PostgreSQL, side by side in the same run: writes
    a second, and the end-to-end rate of (6) with each."""
    url = os.environ.get("HOWTOVOTE_BENCH_DATABASE_URL") or \
        os.environ.get("HOWTOVOTE_TEST_DATABASE_URL")
    if not url:
        add("(7) guild data: SQLite against PostgreSQL", "-", "-",
            "set HOWTOVOTE_BENCH_DATABASE_URL=postgresql://... to compare")
        return
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    name = f"howtovote_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    try:
        on_pg = replace(settings, database_url=urlunsplit(urlsplit(url)._replace(
            path=f"/{name}")))
        lite, postgres = await bench_writes(settings), await bench_writes(on_pg)
        add("(7a) moderator updates written, one after another", f"SQLite {lite:.0f}/s",
            f"PostgreSQL {postgres:.0f}/s", f"{WRITES} each, same run")
        await bench_discord(on_pg, users=100, rounds=5,
                            label="(7b) end to end with guild data in PostgreSQL")
        await bench_alternating(settings, on_pg)
        bench_two_processes(on_pg)
        bench_fleet(on_pg)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"drop database {name} with (force)")


async def bench_alternating(lite: Settings, on_pg: Settings, rounds: int = 3) -> None:
    """(7b) against (6) as a ratio: the engines take turns, round by round, answering the
    same questions one at a time (`python -m bench.engines`); two bursts one after the
    other on a busy machine differ by a third, so only turns make the two comparable."""
    from bench.engines import QUESTIONS, one_engine
    lite_rates, pg_rates = [], []
    for _ in range(rounds):
        lite_rates.append((await one_engine(lite))[0])
        pg_rates.append((await one_engine(on_pg))[0])
    a, b = statistics.median(lite_rates), statistics.median(pg_rates)
    add("(7b) PostgreSQL against guilds.db, taking turns", f"{b / a:.2f}x",
        f"{b:.0f} against {a:.0f} commands/s",
        f"median of {rounds} turns each, {QUESTIONS} questions one at a time; "
        "target 0.90x or better")


TWO_PROCESS_SCRIPT = """
import asyncio, sys, time
from dataclasses import replace
from pathlib import Path
from bench import run
from bot.config import Settings
start_at = float(sys.argv[3])
while time.time() < start_at:  # both processes start their rounds together
    time.sleep(0.005)
settings = Settings(db_dir=Path(sys.argv[1]), database_url=sys.argv[2])
asyncio.run(run.bench_discord(settings, users=100, rounds=5))
print("RATE", run.ROWS[-1][1].split()[0])
"""


def bench_two_processes(settings: Settings) -> None:
    """(7c) two bot processes on one PostgreSQL store, each driving its own stand-in
    Discord at once: their rates added up."""
    begin = time.time() + 8  # time for both to load the data
    running = [subprocess.Popen([sys.executable, "-c", TWO_PROCESS_SCRIPT,
                                 str(settings.db_dir), settings.database_url, str(begin)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
               for _ in range(2)]
    rates = []
    for child in running:
        out, _ = child.communicate(timeout=300)
        rates += [float(line.split()[1]) for line in out.splitlines() if line.startswith("RATE")]
    if len(rates) != 2:
        add("(7c) two processes on one PostgreSQL", "-", "-", "a process failed")
        return
    add("(7c) end to end, two bot processes on one PostgreSQL at once",
        f"{sum(rates):.0f} commands/s", f"{rates[0]:.0f} + {rates[1]:.0f}",
        f"{os.cpu_count()} cores; compare (7b), one process")


def bench_fleet(settings: Settings, processes: int = 4, notes: int = 100) -> None:
    """(7d) a fleet of bot processes on one PostgreSQL, each a moderator posting notes
    and reverting them through the stand-in Discord (bench/fleet.py, as the fleet test
    runs it): the moderator writes a second the fleet commits, all told."""
    import json

    with tempfile.TemporaryDirectory() as folder:
        go = Path(folder) / "go"
        running = [subprocess.Popen([sys.executable, "-m", "bench.fleet", "write",
                                     str(settings.db_dir), settings.database_url,
                                     f"b{n}", str(notes), str(go)], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
                   for n in range(processes)]
        if not all(child.stdout.readline().startswith("ready") for child in running):
            add(f"(7d) {processes} bot processes writing", "-", "-", "a process failed")
            return
        go.touch()
        said = [json.loads(child.communicate(timeout=600)[0]) for child in running]
    writes = sum(len(s["done"]) for s in said)
    seconds = max(s["seconds"] for s in said)
    add(f"(7d) moderator writes, {processes} bot processes on one PostgreSQL at once",
        f"{writes / seconds:.0f} writes/s", f"{writes:,} in {seconds:.1f} s",
        f"notes and reverts; {os.cpu_count()} cores; compare (7a), one process")


RSS_SCRIPT = """
import asyncio, sys
from bench.run import peak_rss_kb
from pathlib import Path
from bot.config import Settings
from bot.service import HowToVote
from cogs.utils.client import make_bot
async def main():
    settings = Settings(db_dir=Path(sys.argv[1]))
    bot = make_bot(settings, HowToVote(settings))
    await bot._async_setup_hook()
    await bot.setup_hook()
    await bot.service.answer("Batley")
    print(peak_rss_kb())
    await bot.service.close()
asyncio.run(main())
"""


def peak_rss_kb() -> int:
    """This process's peak resident memory. VmHWM belongs to the process image, so unlike
    ru_maxrss it does not count the parent's pages from before exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


IMPORT_SCRIPT = """
import sys
from pathlib import Path
from bench.run import peak_rss_kb
from bot.places.postcodes import import_postcodes
import_postcodes(Path(sys.argv[1]), Path(sys.argv[2]), progress=False)
print(peak_rss_kb())
"""


def bot_rss(settings: Settings) -> float:
    """The bot as it runs (core, every cog, data loaded, one answer), in its own process."""
    done = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(settings.db_dir)],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024


def run(settings: Settings, queries: int = 10_000, postcode_rows: int = 1_000_000) -> str:
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the stand-in's chatter

    async def main() -> None:
        from bench.fake_postcodes import FakePostcodesIO, load_sample_postcodes
        data_dir = Path(settings.data_source or "../shared/data")
        fake = FakePostcodesIO(load_sample_postcodes(data_dir))
        await fake.start()
        with tempfile.TemporaryDirectory() as tmp:
            local = replace(settings, db_dir=Path(tmp), postcodes_api_url=fake.url)
            (Path(tmp) / "elections.db").symlink_to(settings.elections_db_path.resolve())
            service = await HowToVote(local).start()
            rss = bot_rss(local)
            add("(5) peak RSS of the bot with all data and cogs loaded", f"{rss:.0f} MB", "-",
                "target under 150 MB")
            await bench_queries(service, queries)
            sample = [f"{pc[:-3]} {pc[-3:]}" for pc in fake.postcodes]
            await bench_postcodes(service, fake.url, sample)
            await service.close()
            await bench_discord(local, users=100, rounds=5)
            await bench_versus_bare(local)
            await bench_engines(local)
        await fake.close()
        await bench_import(settings)

    asyncio.run(main())
    bench_postcode_file(postcode_rows)
    header = (f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n\n"
              "| figure | median | p99 / total | baseline |\n|---|---|---|---|")
    return "\n".join([header, *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in ROWS)])
