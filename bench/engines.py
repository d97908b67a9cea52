"""The two guild-data engines side by side, alternating, in one process:

    HOWTOVOTE_TEST_DATABASE_URL=postgresql://... python -m bench.engines [ROUNDS]

Each round answers the same 200 questions one at a time through the stand-in Discord,
first with guild data in guilds.db, then in PostgreSQL (a database of its own, dropped
after), and prints each rate, the PostgreSQL statements a command sent on average, and
what an answer the bot has kept costs on each engine. Alternating is what makes the two
comparable: one burst after another on a busy machine differs by a third.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.discord_harness import start, stop
from bench.run import mixed_queries
from bot.config import load_settings
from bot.elections.dataset import ensure_data
from bot.store import postgres

QUESTIONS = 200


async def one_engine(settings) -> tuple[float, float, float]:
    """(commands a second through Discord, kept answers a second, PostgreSQL statements
    a command)."""
    import discord.ext.test as dpytest
    sent = {"statements": 0}
    counted = postgres.PostgresStore._run

    async def counting(self, *args, **kwargs):
        sent["statements"] += 1
        return await counted(self, *args, **kwargs)
    postgres.PostgresStore._run = counting
    harness = await start(settings, record=False)
    try:
        config = dpytest.get_config()
        channel, member = config.guilds[0].text_channels[0], config.members[0]
        harness.lift_cooldowns()
        questions = mixed_queries(harness.bot.service, QUESTIONS + 50)
        for q in questions[:50]:  # warm
            await dpytest.message(f"!howtovote {q}", channel=channel, member=member)
        sent["statements"] = 0
        began = time.perf_counter()
        for q in questions[50:]:
            await dpytest.message(f"!howtovote {q}", channel=channel, member=member)
        through_discord = QUESTIONS / (time.perf_counter() - began)
        statements = sent["statements"] / QUESTIONS
        began = time.perf_counter()
        for q in questions[50:]:
            await harness.bot.service.answer(q, channel.guild.id)
        kept = QUESTIONS / (time.perf_counter() - began)
        return through_discord, kept, statements
    finally:
        postgres.PostgresStore._run = counted
        await stop(harness)


async def main(rounds: int) -> None:
    url = os.environ.get("HOWTOVOTE_BENCH_DATABASE_URL") or \
        os.environ.get("HOWTOVOTE_TEST_DATABASE_URL")
    if not url:
        sys.exit("set HOWTOVOTE_TEST_DATABASE_URL=postgresql://... to compare the engines")
    base = load_settings()
    elections = await ensure_data(base)
    name = f"howtovote_engines_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    try:
        with tempfile.TemporaryDirectory() as lite_dir, tempfile.TemporaryDirectory() as pg_dir:
            for folder in (lite_dir, pg_dir):
                (Path(folder) / "elections.db").symlink_to(elections)
            lite = replace(base, db_dir=Path(lite_dir), database_url=None)
            pg = replace(base, db_dir=Path(pg_dir), database_url=urlunsplit(
                urlsplit(url)._replace(path=f"/{name}")))
            for _ in range(rounds):
                a, a_kept, _ = await one_engine(lite)
                b, b_kept, statements = await one_engine(pg)
                print(f"guilds.db {a:.0f} commands/s (kept answer {1e6 / a_kept:.1f} µs)  "
                      f"PostgreSQL {b:.0f} commands/s (kept answer {1e6 / b_kept:.1f} µs, "
                      f"{statements:.3f} statements a command)", flush=True)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"drop database {name} with (force)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
