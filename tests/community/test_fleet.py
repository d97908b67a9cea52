"""Several bot processes on one store, on both engines: real processes writing at once,
racing to close the same due poll, and one killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from bot.community import polls
from bot.config import PROJECT_ROOT

KNOWN = '{"Green", "Lab", "LD", "Con"}'


def opener(settings) -> str:
    return (f"pg.open_guilds({settings.database_url!r})" if settings.database_url
            else f"dbmod.open_guilds(Path({str(settings.guilds_db_path)!r}))")


def start(settings, code: str) -> subprocess.Popen:
    """A separate Python process with `db` open on the same guild data."""
    script = textwrap.dedent(f"""
        import json, sys, time
        from pathlib import Path
        from bot import db as dbmod, pg
        from bot.community import polls, updates
        db = {opener(settings)}
    """) + textwrap.dedent(code)
    return subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


WRITER = """
    done = 0
    for i in range({writes}):
        made = updates.add(db, guild_id={guild}, seat_code="E14001196", kind="note",
                           party=None, payload={{"text": f"{{i}}"}}, author_id=7,
                           author_name="m", known_parties={known})
        updates.revert(db, update_id=made.id, guild_id={guild}, author_id=7, author_name="m")
        done += 1
    print(json.dumps({{"pairs": done}}))
"""


def test_processes_writing_at_once_lose_and_repeat_nothing(guilds, settings):
    processes, writes = 4, 60
    running = [start(settings, WRITER.format(writes=writes, guild=g, known=KNOWN))
               for g in range(1, processes + 1)]
    outputs = [p.communicate(timeout=120) for p in running]
    assert all(p.returncode == 0 for p in running), [err for _o, err in outputs]
    assert [json.loads(out)["pairs"] for out, _e in outputs] == [writes] * processes
    rows = guilds.conn.execute("select id, guild_id, kind, reverts_id from seat_updates"
                               ).fetchall()
    notes = {r[0]: r[1] for r in rows if r[2] == "note"}
    reverts = [(r[1], r[3]) for r in rows if r[2] == "revert"]
    assert len(notes) == len(reverts) == processes * writes
    # each note reverted exactly once, by a revert of its own server
    assert sorted(target for _g, target in reverts) == sorted(notes)
    assert all(notes[target] == guild for guild, target in reverts)
    versions = dict(guilds.conn.execute("select scope, version from answer_versions"))
    assert all(versions[g] == 2 * writes for g in range(1, processes + 1))


def test_a_due_poll_is_closed_once_however_many_processes_race(guilds, settings):
    poll = polls.create(guilds, guild_id=1, channel_id=2, message_id=77, seat_code=None,
                        question="Which?", options=["a", "b"], hours=1, created_by=9)
    closer = f"""
        while time.time() < {time.time() + 1.5}:  # start together
            time.sleep(0.01)
        try:
            polls.end(db, {poll.id}, 1)
            print("closed")
        except polls.PollError:
            print("already")
    """
    running = [start(settings, closer) for _ in range(6)]
    said = [p.communicate(timeout=60)[0].strip() for p in running]
    assert sorted(said) == ["already"] * 5 + ["closed"]
    assert polls.get(guilds, poll.id).ended_at is not None


def test_a_process_killed_mid_write_leaves_nothing_half_done(guilds, settings):
    writer = start(settings, WRITER.format(writes=100_000, guild=5, known=KNOWN))
    deadline = time.time() + 30
    while time.time() < deadline and guilds.conn.execute(
            "select count(*) from seat_updates").fetchone()[0] < 40:
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    rows = guilds.conn.execute("select id, kind, reverts_id, payload, author_name from "
                               "seat_updates").fetchall()
    assert len(rows) >= 40
    ids = {r[0] for r in rows}
    for _id, kind, reverts, payload, author in rows:  # every committed row is whole
        assert author == "m"
        assert (kind, reverts is None) == ("note", True) and json.loads(payload)["text"] \
            or kind == "revert" and reverts in ids
    # at most one note is left unreverted: the pair the kill cut between its two writes
    reverted = {r[2] for r in rows if r[1] == "revert"}
    assert len([r for r in rows if r[1] == "note" and r[0] not in reverted]) <= 1
    # and another process still closes a poll that fell due
    poll = polls.create(guilds, guild_id=5, channel_id=2, message_id=78, seat_code=None,
                        question="Which?", options=["a", "b"], hours=1, created_by=9)
    closer = start(settings, f"polls.end(db, {poll.id}, 5); print('closed')")
    assert closer.communicate(timeout=60)[0].strip() == "closed"
    assert polls.get(guilds, poll.id).ended_at is not None


async def test_postgresql_restarting_under_traffic_loses_and_doubles_nothing(
        private_postgres, built_db_dir, tmp_path):
    """Writes keep coming while the server restarts: each either commits once or is
    refused with a clear message, and the bot reconnects by itself afterwards."""
    import asyncio
    import sqlite3
    import threading
    from dataclasses import replace

    from bot.config import Settings
    from bot.service import HowToVote

    url, restart = private_postgres
    (tmp_path / "elections.db").symlink_to(built_db_dir / "elections.db")
    service = await HowToVote(replace(Settings(db_dir=tmp_path), database_url=url)).start(
        offline=True)
    service.moderator_rate = None  # one moderator posting hundreds: the server is on test
    code = next(iter(service.data.current))
    done, refused = [], []
    restarter = threading.Timer(0.5, restart)
    restarter.start()
    try:
        i = 0
        while (restarter.is_alive() or len(done) < 50 or i < 100) and i < 20_000:
            i += 1
            try:
                await service.post_update(1, code, "note", None, {"text": f"w{i}"}, 7, "m")
                done.append(f"w{i}")
            except sqlite3.Error as exc:
                refused.append((f"w{i}", str(exc)))
                await asyncio.sleep(0.05)
        restarter.join()
        after = await service.post_update(1, code, "note", None, {"text": "after"}, 7, "m")
        rows = [json.loads(p)["text"] for (p,) in service.guilds_db.conn.execute(
            "select payload from seat_updates")]
    finally:
        await service.close()
    assert after.update.id > 0  # reconnected by itself
    assert refused, "the restart should have refused some writes"
    assert all("try again in a moment" in message for _w, message in refused)
    assert len(rows) == len(set(rows))  # nothing written twice
    assert set(done) <= set(rows)  # nothing that was said to be done is missing
    assert set(rows) - set(done) - {"after"} <= {w for w, _m in refused}


def test_a_moderators_limit_holds_across_processes(guilds, settings):
    """Four processes spend one moderator's allowance at once: ten in all get through."""
    spender = f"""
        from bot.community import limits
        while time.time() < {time.time() + 1.5}:  # start together
            time.sleep(0.01)
        allowed = sum(limits.take(db, "moderator:7", 10, 60.0, time.time()) == 0
                      for _ in range(8))
        print(allowed)
    """
    running = [start(settings, spender) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in running]
    assert all(p.returncode == 0 for p in running), [err for _o, err in outputs]
    assert sum(int(out) for out, _e in outputs) == 10
