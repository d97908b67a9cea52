"""Every way the bot broke when attacked (issue 15), kept fixed: global updates, echoes of
user text, invisible text, Discord's limits, broken postcodes.io replies, racing
processes, broken or full storage, and bad values."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.advice.render import EmbedField, EmbedSpec, fit, fit_message
from bot.community import polls, subscriptions, updates
from bot.errors import StoreConflict, StoreFailed, StoreUnavailable
from bot.forecast import national_polls
from bot.places.postcodes import (
    NEGATIVE_MAX_AGE,
    PostcodeImportError,
    PostcodeLookup,
    import_postcodes,
)
from bot.store import sqlite as sqlite_store
from bot.textnorm import clean_query, safe_text

PARTIES = {"Con", "Lab", "LD", "Green", "SNP", "PC", "RUK"}


def guilds(tmp_path: Path):
    return sqlite_store.open_guilds(tmp_path / "guilds.db")


def post(db, guild_id, kind="note", party=None, payload=None, seat="E14001196"):
    return updates.add(db, guild_id=guild_id, seat_code=seat, kind=kind, party=party,
                       payload=payload or {"text": "hello"}, author_id=1, author_name="mod",
                       known_parties=PARTIES)


# -- 1. global updates ------------------------------------------------------------------
def test_owners_revert_a_global_update_and_it_goes_everywhere(tmp_path):
    db = guilds(tmp_path)
    local = post(db, 10, "override", "LD", {"reason": "local knowledge", "party_name": "LD"})
    with pytest.raises(updates.UpdateError, match="owners"):
        updates.make_global(db, update_id=local.id, author_id=5, author_name="mod", owners={99})
    shared = updates.make_global(db, update_id=local.id, author_id=99, author_name="owner",
                                 owners={99})
    assert [u.id for u in updates.in_scope(db, 30, "E14001196")] == [shared.id]
    with pytest.raises(updates.UpdateError, match="bot's owners"):
        updates.revert(db, update_id=shared.id, guild_id=30, author_id=5, author_name="mod")
    undo = updates.revert(db, update_id=shared.id, guild_id=30, author_id=99,
                          author_name="owner", owners={99})
    assert undo.guild_id is None  # the revert applies in every server too
    assert updates.in_scope(db, 30, "E14001196") == []
    assert [u.id for u in updates.in_scope(db, 10, "E14001196")] == [local.id]


def test_reverted_or_already_shared_updates_cannot_be_shared(tmp_path):
    db = guilds(tmp_path)
    first, second = post(db, 10), post(db, 10)
    updates.make_global(db, update_id=first.id, author_id=99, author_name="owner",
                            owners={99})
    with pytest.raises(updates.UpdateError, match="already shared"):
        updates.make_global(db, update_id=first.id, author_id=99, author_name="owner",
                            owners={99})
    updates.revert(db, update_id=second.id, guild_id=10, author_id=1, author_name="mod")
    with pytest.raises(updates.UpdateError, match="was reverted"):
        updates.make_global(db, update_id=second.id, author_id=99, author_name="owner",
                            owners={99})
    rows = db.execute("select count(*) from seat_updates where guild_id is null")
    assert rows.fetchone()[0] == 1


def test_a_global_override_says_all_servers_and_who(election_data, tmp_path):
    from bot.advice.rules import advise
    db = guilds(tmp_path)
    local = post(db, 10, "override", "LD", {"reason": "agreed nationally",
                                            "party_name": "Liberal Democrat"})
    updates.make_global(db, update_id=local.id, author_id=99, author_name="Owner Olive",
                        owners={99})
    advice = advise(election_data.record("E14001196"), election_data.parties,
                    updates=updates.in_scope(db, 30, "E14001196"))
    assert advice.headline.startswith("Owner Olive, for all servers, recommends Liberal")
    assert "This server's moderators" not in advice.headline


# -- 2 and 3. user text is never rendered; invisible text is nothing ----------------------
async def test_a_masked_link_in_a_query_comes_back_inert(settings):
    from bot.service import HowToVote
    service = await HowToVote(settings).start(offline=True)
    try:
        answer = await service.answer("[Click here](http://evil.example) @everyone")
    finally:
        await service.close()
    shown = answer.embed.description
    assert "[Click here](" not in shown and "\\[Click here\\]\\(" in shown
    assert "@everyone" not in shown


def test_not_done_replies_escape_the_users_text():
    from cogs.errors import friendly
    message, _ = friendly(updates.UpdateError("unknown party '[x](http://evil.example)'"),
                          "!", None)
    assert "[x](" not in message and "\\[x\\](" in message  # brackets escaped: no link


def test_invisible_text_is_refused_and_vanishes_inside_words(tmp_path):
    db = guilds(tmp_path)
    for invisible in ("\u200b", "\u200b\u200d\ufeff", " \u2060 ", "\u00ad"):
        with pytest.raises(updates.UpdateError, match="empty"):
            post(db, 10, payload={"text": invisible})
    assert db.execute("select count(*) from seat_updates").fetchone()[0] == 0
    assert clean_query("Bat\u200bley") == "Batley" and clean_query("WF13\u200d 1AB") == "WF13 1AB"
    kept = post(db, 10, payload={"text": "\u200bvote\u200b early"})
    assert kept.payload["text"] == "vote early"


def test_an_empty_field_is_never_rendered():
    spec = fit(EmbedSpec("t", "d", 1, (EmbedField("Note", "\u200b"), EmbedField("", "x"),
                                       EmbedField("Why", "because"))))
    assert [f.name for f in spec.fields] == ["Why"]


# -- 4. Discord's limits -------------------------------------------------------------------
def test_standing_aside_lists_are_capped_and_unique(tmp_path):
    db = guilds(tmp_path)
    for aside in (["LD", "LD"], ["Green"] * 30, list(PARTIES - {"Lab"}) * 2):
        with pytest.raises(updates.UpdateError, match="once"):
            post(db, 10, "pact", "Lab", {"standing_aside": aside})
    assert len(fit_message("x" * 5000)) == 2000


# -- 5. broken postcodes.io ------------------------------------------------------------------
class Broken:
    """A postcodes.io stand-in that answers with whatever shape a test sets."""

    def __init__(self) -> None:
        self.reply: object = None
        self.status = 200
        self.terminated_status = 404
        self.delay = 0.0
        self.requests = 0
        self.app = web.Application()
        self.app.router.add_get("/postcodes/{pc}", self.postcode)
        self.app.router.add_get("/terminated_postcodes/{pc}", self.terminated)

    async def postcode(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.reply, bytes):
            return web.Response(body=self.reply, content_type="application/json")
        return web.json_response(self.reply, status=self.status)

    async def terminated(self, request: web.Request) -> web.Response:
        return web.json_response({"status": self.terminated_status, "error": "x"},
                                 status=self.terminated_status)


@pytest.fixture
async def broken():
    fake = Broken()
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


def cached(db) -> list[tuple]:
    return db.execute("select postcode, status from postcode_cache").fetchall()


@pytest.mark.parametrize("reply", [
    {"status": 200, "result": {"codes": []}},
    {"status": 200, "result": {"codes": {"parliamentary_constituency_2024": 12}}},
    {"status": 200, "result": {"codes": {"parliamentary_constituency_2024": ["E14001196"]}}},
    {"status": 200, "result": None},
    {"status": 200, "result": "E14001196"},
    [1, 2, 3],
    b"\xff\xfe not json",
    b'{"result": {"codes": {"parliamentary_constituency_2024": "E14001196"}}, "pad": "'
    + b"x" * (1 << 20) + b'"}',
])
async def test_malformed_replies_are_errors_and_never_cached(broken, tmp_path, reply):
    db = guilds(tmp_path)
    broken.reply = reply
    async with aiohttp.ClientSession() as session:
        answer = await PostcodeLookup(broken.url, session, db).lookup("WF13 1AB")
    assert answer.status == "error" and answer.seat_code is None
    assert cached(db) == []


async def test_a_failed_terminated_lookup_is_not_called_not_found(broken, tmp_path):
    db = guilds(tmp_path)
    broken.reply, broken.status, broken.terminated_status = {"status": 404}, 404, 503
    async with aiohttp.ClientSession() as session:
        answer = await PostcodeLookup(broken.url, session, db).lookup("WF13 1AB")
    assert answer.status == "error" and cached(db) == []


async def test_not_found_is_kept_for_hours_not_months(broken, tmp_path):
    db = guilds(tmp_path)
    broken.reply, broken.status = {"status": 404}, 404
    async with aiohttp.ClientSession() as session:
        lookup = PostcodeLookup(broken.url, session, db)
        assert (await lookup.lookup("WF13 1AB")).status == "not-found"
        assert cached(db) == [("WF13 1AB", "not-found")]
        stale = (datetime.now(UTC) - NEGATIVE_MAX_AGE - timedelta(minutes=1)).isoformat()
        db.execute("update postcode_cache set fetched_at = ?", (stale,))
        before = broken.requests
        await lookup.lookup("WF13 1AB")
        assert broken.requests == before + 1  # asked again after hours


async def test_forty_lookups_against_a_hanging_server_stay_within_the_budget(broken):
    broken.delay = 30
    async with aiohttp.ClientSession() as session:
        lookup = PostcodeLookup(broken.url, session, timeout=1.0, concurrency=8)
        started = time.monotonic()
        answers = await asyncio.gather(*(lookup.lookup(f"WF13 {i}AB") for i in range(1, 10)),
                                       *(lookup.lookup(f"LS1{i} 1AB") for i in range(31)))
        took = time.monotonic() - started
    assert all(a.status in ("error", "invalid") for a in answers)
    assert took < 3.0, took  # each lookup's wait for a slot counts inside its own 1 s


async def test_a_read_only_cache_still_answers(broken, tmp_path):
    db = guilds(tmp_path)
    db.execute("pragma query_only = on")
    broken.reply = {"status": 200, "result": {
        "parliamentary_constituency_2024": "Dewsbury and Batley",
        "codes": {"parliamentary_constituency_2024": "E14001196"}}}
    async with aiohttp.ClientSession() as session:
        answer = await PostcodeLookup(broken.url, session, db).lookup("WF13 1AB")
    assert (answer.status, answer.seat_code) == ("live", "E14001196")


# -- 6. racing processes -------------------------------------------------------------------
def _revert_worker(path: str, update_id: int, start, results) -> None:
    db = sqlite_store.open_guilds(Path(path))
    start.wait()
    try:
        updates.revert(db, update_id=update_id, guild_id=10, author_id=2, author_name="m")
        results.put("ok")
    except (updates.UpdateError, StoreConflict, StoreUnavailable) as exc:
        results.put(type(exc).__name__)


def _subscribe_worker(path: str, n: int, start, results) -> None:
    db = sqlite_store.open_guilds(Path(path))
    start.wait()
    ok = 0
    for seat in range(3):
        with contextlib.suppress(subscriptions.SubscriptionError, StoreUnavailable):
            ok += subscriptions.subscribe(db, 10, 7, f"E1400{n}{seat:03d}", "x")
    results.put(ok)


def _end_worker(path: str, poll_id: int, start, results) -> None:
    db = sqlite_store.open_guilds(Path(path))
    start.wait()
    try:
        polls.end(db, poll_id, 10)
        results.put("ok")
    except (polls.PollError, StoreUnavailable) as exc:
        results.put(type(exc).__name__)


def race(target, *args) -> list:
    ctx = multiprocessing.get_context("fork")  # separate processes, fast to start
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=target, args=(*args[:-1], args[-1](i), start, results))
               if callable(args[-1]) else
               ctx.Process(target=target, args=(*args, start, results)) for i in range(8)]
    for w in workers:
        w.start()
    start.set()
    out = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    return out


def test_eight_processes_revert_one_update_once(tmp_path):
    db = guilds(tmp_path)
    target = post(db, 10)
    outcomes = race(_revert_worker, str(tmp_path / "guilds.db"), target.id)
    assert outcomes.count("ok") == 1
    assert db.execute("select count(*) from seat_updates where reverts_id = ?",
                           (target.id,)).fetchone()[0] == 1


def test_eight_processes_cannot_pass_the_subscription_cap(tmp_path):
    db = guilds(tmp_path)
    outcomes = race(_subscribe_worker, str(tmp_path / "guilds.db"), lambda i: i)
    rows = db.execute("select count(*) from subscriptions").fetchone()[0]
    assert rows == sum(outcomes) == subscriptions.MAX_PER_USER


def test_eight_processes_end_a_poll_once(tmp_path):
    db = guilds(tmp_path)
    poll = polls.create(db, guild_id=10, channel_id=1, message_id=5, seat_code=None,
                        question="Q?", options=["a", "b"], hours=1, created_by=1)
    outcomes = race(_end_worker, str(tmp_path / "guilds.db"), poll.id)
    assert outcomes.count("ok") == 1 and outcomes.count("PollError") == 7


def test_an_existing_file_with_duplicate_reverts_still_opens(tmp_path):
    path = tmp_path / "guilds.db"
    db = guilds(tmp_path)
    target = post(db, 10)
    db.execute("drop trigger seat_updates_one_revert")
    for _ in range(2):  # what the old race wrote
        db.execute("insert into seat_updates (guild_id, seat_code, kind, payload, "
                        "author_id, author_name, created_at, reverts_id) values "
                        "(10, 'E14001196', 'revert', '{}', 1, 'm', 'now', ?)", (target.id,))
    db.execute("alter table national_polls drop column deleted_at")
    db.execute("alter table subscriptions drop column notified_at")
    db.execute("alter table subscriptions drop column dm_refused_at")
    for column in ("claimed_by", "claimed_until", "announced_at"):
        db.execute(f"alter table polls drop column {column}")
    db.execute("drop table site_calls")
    db.execute("drop table owner_projections")
    db.execute("drop table rate_limits")
    db.execute("drop table answer_versions")
    db.execute("drop index seat_updates_reverts")
    for (name,) in db.execute("select name from sqlite_master where type = 'trigger' "
                                   "and name like '%_version%'").fetchall():
        db.execute(f"drop trigger {name}")
    db.execute("pragma user_version = 4")  # as a file from before migration 5
    db.close()
    again = sqlite_store.open_guilds(path)
    assert again.execute("select count(*) from seat_updates").fetchone()[0] == 3
    assert sqlite_store.schema_version(again.connection) == len(sqlite_store.MIGRATIONS)


# -- 8. broken or full storage ----------------------------------------------------------------
def test_an_empty_guilds_db_is_refused_and_kept(tmp_path):
    path = tmp_path / "guilds.db"
    path.write_bytes(b"")
    with pytest.raises(sqlite_store.StorageError, match=str(path)) as error:
        sqlite_store.open_guilds(path)
    assert "backup" in str(error.value) and path.stat().st_size == 0


def test_a_corrupt_guilds_db_is_refused_and_kept(tmp_path):
    path = tmp_path / "guilds.db"
    junk = b"SQLite format 3\x00" + b"\x13" * 4000
    path.write_bytes(junk)
    with pytest.raises(sqlite_store.StorageError, match="guilds.db"):
        sqlite_store.open_guilds(path)
    assert path.read_bytes() == junk


def test_a_full_disk_is_reported_not_hidden(tmp_path):
    db = guilds(tmp_path)
    page_count = db.execute("pragma page_count").fetchone()[0]
    db.execute(f"pragma max_page_count = {page_count}")
    with pytest.raises(StoreFailed, match="full"):
        post(db, 10, payload={"text": "x" * 400})
        for _ in range(200):
            post(db, 10, payload={"text": "y" * 400})
    db.execute("pragma max_page_count = 1073741823")
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_backup_is_a_consistent_copy(tmp_path):
    db = guilds(tmp_path)
    post(db, 10)
    size = sqlite_store.backup(db, tmp_path / "copy" / "backup.db")
    copy = sqlite3.connect(tmp_path / "copy" / "backup.db")
    assert size > 0 and copy.execute("select count(*) from seat_updates").fetchone()[0] == 1


def test_a_corrupt_offline_postcode_table_is_skipped(tmp_path, caplog):
    bad = tmp_path / "postcodes.db"
    bad.write_bytes(b"not a database at all" * 100)
    lookup = PostcodeLookup("http://127.0.0.1:9", None, None, bad)
    assert lookup.offline is None and "skipping the offline postcode table" in caplog.text


def test_postcode_import_refuses_a_missing_file_and_cleans_up(tmp_path):
    with pytest.raises(PostcodeImportError, match="no such file"):
        import_postcodes(tmp_path / "nope.csv", tmp_path / "postcodes.db")
    leftover = tmp_path / ".postcodes.db.abc.tmp"
    leftover.write_text("killed import")
    src = tmp_path / "pc.csv"
    src.write_text("pcds,pcon,doterm\nWF13 1AB,E14001196,\n")
    assert import_postcodes(src, tmp_path / "postcodes.db", progress=False) == 1
    assert not leftover.exists() and list(tmp_path.glob(".postcodes.db.*")) == []


# -- 10. bad values --------------------------------------------------------------------------
def test_huge_ids_are_refused_cleanly(tmp_path):
    db = guilds(tmp_path)
    with pytest.raises(updates.UpdateError, match="no update"):
        updates.revert(db, update_id=99999999999999999999999, guild_id=1, author_id=1,
                       author_name="m")
    with pytest.raises(polls.PollError, match="no poll"):
        polls.end(db, 99999999999999999999999, 1)
    with pytest.raises(national_polls.PollInputError, match="no national poll"):
        national_polls.delete(db, 10**30)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2019-12-12", "2024-02-30"])
def test_impossible_byelection_dates_are_refused(day):
    with pytest.raises(updates.UpdateError, match="not a real date|after the 2024"):
        updates.parse_votes(f"Lab=10000 Con=5000 {day}", PARTIES)


@pytest.mark.parametrize("text", ['Lab=0 Con=0 source="x" date=2026-01-01',
                                  'Lab=30 Con=20 source="x" date=9999-01-01',
                                  'Lab=30 Con=20 source="x" date=2001-01-01'])
def test_bad_national_polls_are_refused(text):
    with pytest.raises(national_polls.PollInputError):
        national_polls.parse(text, PARTIES)


def test_national_polls_wrong_header_changes_nothing_and_owners_delete(tmp_path):
    db = guilds(tmp_path)
    bad = tmp_path / "polls.csv"
    bad.write_text("when,who,what\n2026-01-01,x,y\n")
    with pytest.raises(national_polls.PollInputError, match="needs the columns"):
        national_polls.import_csv(db, bad, PARTIES)
    assert national_polls.latest(db) is None
    first = national_polls.add(db, national_polls.parse(
        'Lab=30 Con=20 RUK=30 source="a" date=2026-01-01', PARTIES), by=1, owners={1})
    second = national_polls.add(db, national_polls.parse(
        'Lab=20 Con=20 RUK=40 source="typo" date=2026-02-01', PARTIES), by=1, owners={1})
    with pytest.raises(national_polls.PollInputError, match="owners"):
        national_polls.delete(db, second.id, by=2, owners={1})
    national_polls.delete(db, second.id, by=1, owners={1})
    assert national_polls.latest(db).id == first.id


async def test_a_dm_starting_with_the_bots_mention_gets_one_reply(discord_bot):
    import discord.ext.test as dpytest
    member = discord_bot.member(0)
    dm = await member.create_dm()
    await dpytest.message(f"<@{discord_bot.bot.user.id}> howtovote Batley", channel=dm,
                          member=member)
    await dpytest.run_all_events()
    assert len(discord_bot.replies()) == 1


async def test_poll_subcommands_in_a_dm_say_they_need_a_server(discord_bot):
    import discord.ext.test as dpytest
    member = discord_bot.member(0)
    dm = await member.create_dm()
    for command in ("!poll results Batley", "!poll end 1", "!poll"):
        await dpytest.message(command, channel=dm, member=member)
        await dpytest.run_all_events()
        assert "only works in a server" in discord_bot.reply().content


def test_cli_opponent_is_case_insensitive(settings):
    import subprocess
    import sys

    from bot.config import PROJECT_ROOT
    env = {"HOWTOVOTE_DB_DIR": str(settings.db_dir), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "bot.py", "ask", "Batley", "--opponent", "ruk",
                           "--json"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["options"]["opponent"] == "RUK"


def test_safe_text_defuses_mentions_and_links():
    assert safe_text("@everyone [x](http://e.x)", 100) == "@\u200beveryone \\[x\\]\\(http://e.x\\)"


# -- 7. a lock held elsewhere never freezes the event loop ---------------------------------
async def test_a_write_waiting_for_a_lock_does_not_block_the_loop(settings):
    from bot.service import HowToVote
    service = await HowToVote(settings).start(offline=True)
    other = sqlite3.connect(settings.guilds_db_path, isolation_level=None)
    try:
        other.execute("begin immediate")  # another process is writing
        gaps: list[float] = []

        async def heartbeat() -> None:
            last = time.monotonic()
            for _ in range(30):
                await asyncio.sleep(0.05)
                gaps.append(time.monotonic() - last)
                last = time.monotonic()

        async def release_later() -> None:
            await asyncio.sleep(1.0)
            other.execute("commit")

        change, *_ = await asyncio.gather(
            service.post_update(10, "E14001196", "note", None, {"text": "hi"}, 1, "mod"),
            heartbeat(), release_later())
        assert change.update.id >= 1
        # the loop kept ticking while the write waited: blocked, one gap would be the
        # whole 1 s; 0.6 leaves room for a machine busy with other test workers
        assert max(gaps) < 0.6, max(gaps)
    finally:
        other.close()
        await service.close()


async def test_a_lock_held_past_the_busy_timeout_is_refused_in_words(settings):
    """Another process keeps guilds.db's write lock longer than SQLite waits: the update
    is refused as PostgreSQL's are, "nothing was saved", and nothing is."""
    from bot.errors import StoreUnavailable
    from bot.service import HowToVote
    service = await HowToVote(settings).start(offline=True)
    other = sqlite3.connect(settings.guilds_db_path, isolation_level=None)
    try:
        other.execute("begin immediate")
        with pytest.raises(StoreUnavailable, match="busy with another process's write: "
                                                   "nothing was saved"):
            await service.post_update(10, "E14001196", "note", None, {"text": "hi"}, 1, "m")
        other.execute("commit")
        assert other.execute("select count(*) from seat_updates").fetchone()[0] == 0
    finally:
        other.close()
        await service.close()


# -- 9. abuse ---------------------------------------------------------------------------------
def test_a_subscriber_gets_one_dm_per_seat_per_pause(tmp_path):
    db = guilds(tmp_path)
    subscriptions.subscribe(db, 10, 7, "E14001196", "clear:Lab")
    t0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert subscriptions.due(db, 10, "E14001196", "clear:LD", now=t0) == [7]
    subscriptions.told(db, 10, "E14001196", 7, "clear:LD")  # Discord took the DM
    for minute, advice in enumerate(["clear:Lab", "clear:LD", "close:"], start=1):
        assert subscriptions.due(db, 10, "E14001196", advice,
                                 now=t0 + timedelta(minutes=minute)) == []
    later = t0 + subscriptions.DM_PAUSE + timedelta(seconds=1)
    assert subscriptions.due(db, 10, "E14001196", "close:", now=later) == [7]
    subscriptions.told(db, 10, "E14001196", 7, "close:")
    assert subscriptions.due(db, 10, "E14001196", "close:",
                             now=later + timedelta(hours=1)) == []  # nothing new to tell


async def test_thirty_requests_draw_one_slow_down(discord_bot):
    for _ in range(30):
        await discord_bot.send("!howtovote Batley")
    replies = discord_bot.replies()
    slow = [m for m in replies if m.content.startswith("Slow down")]
    assert len(slow) == 1 and len(replies) == 6  # five answers, one notice


async def test_postcode_misses_count_against_the_cooldown(discord_bot, fake_postcodes):
    for i in range(12):  # real-format postcodes that do not exist: each asks postcodes.io
        await discord_bot.send(f"!howtovote WF13 {i % 10}ZZ" if i < 10 else "!howtovote LS1 1ZZ")
    answers = [m for m in discord_bot.replies() if m.embeds]
    assert len(answers) == 5  # then "slow down": no more postcodes.io requests
    assert fake_postcodes.requests <= 10


async def test_moderators_have_a_cooldown_too(discord_bot):
    await discord_bot.grant_manage_server(0)
    for i in range(14):
        await discord_bot.send(f'!note "Dewsbury and Batley" note {i}')
    count = discord_bot.bot.service.guilds_db.execute(
        "select count(*) from seat_updates").fetchone()[0]
    assert count == 10


def test_update_rules_at_their_edges(tmp_path):
    votes, _ = updates.parse_votes("Lab=10000 Con=5000", PARTIES)
    assert votes == {"Lab": 10000, "Con": 5000}  # two parties are enough
    for bad in ("Lab=100", "Lab=0 Con=0", "Lab=150000 Con=60000"):
        with pytest.raises(updates.UpdateError):
            updates.parse_votes(bad, PARTIES)
    db = guilds(tmp_path)
    with pytest.raises(updates.UpdateError, match="needs a name"):
        post(db, 10, "candidate", "Lab", {})
    other = post(db, 20)
    with pytest.raises(updates.UpdateError) as refused:
        updates.revert(db, update_id=other.id, guild_id=10, author_id=1, author_name="m")
    assert "owners" not in str(refused.value)  # not a global update: no owners' hint
    mine = post(db, 10)
    undo = updates.revert(db, update_id=mine.id, guild_id=10, author_id=1, author_name="m")
    with pytest.raises(updates.UpdateError, match="no update"):
        updates.make_global(db, update_id=undo.id, author_id=99, author_name="o", owners={99})


def test_result_dates_names_and_huge_ids_in_the_messages():
    from datetime import date
    _votes, when = updates.parse_votes(f"Lab=10000 Con=5000 {date.today()}", PARTIES)
    assert when == date.today().isoformat()  # today is not the future
    with pytest.raises(updates.UpdateError, match="unknown party 'Pirates'"):
        updates.parse_votes("Pirates=100 Con=50", PARTIES)
    with pytest.raises(updates.UpdateError) as huge:
        updates.check_id(10**40)
    assert str(huge.value) == "there is no update #" + "1" + "0" * 19


@pytest.mark.parametrize(("key", "limit"), [("text", 500), ("reason", 300), ("name", 100)])
def test_length_limits_hold_exactly(tmp_path, key, limit):
    db = guilds(tmp_path)
    kind, party = {"text": ("note", None), "reason": ("override", "LD"),
                   "name": ("candidate", "LD")}[key]
    post(db, 10, kind, party, {key: "x" * limit})
    with pytest.raises(updates.UpdateError, match=f"too long \\({limit + 1} characters; the "
                                                  f"limit is {limit}\\)"):
        post(db, 10, kind, party, {key: "x" * (limit + 1)})


def test_numeric_limits_hold_exactly(tmp_path):
    many = PARTIES | {"SDLP", "APNI", "UKIP"}
    db = guilds(tmp_path)
    aside = sorted(many - {"Lab"})[:8]
    updates.add(db, guild_id=10, seat_code="E14001196", kind="pact", party="Lab",
                payload={"standing_aside": aside}, author_id=1, author_name="m",
                known_parties=many)
    with pytest.raises(updates.UpdateError, match="at most 8"):
        updates.add(db, guild_id=10, seat_code="E14001196", kind="pact", party="Lab",
                    payload={"standing_aside": sorted(many - {"Lab"})[:9]}, author_id=1,
                    author_name="m", known_parties=many)
    assert updates.parse_votes("Lab=150000 Con=50000", PARTIES)[0]["Lab"] == 150000
    with pytest.raises(updates.UpdateError, match="not plausible"):
        updates.parse_votes("Lab=150000 Con=50001", PARTIES)
    assert updates.parse_votes("Lab=4000 Con=1000 2024-07-05", PARTIES)[1] == "2024-07-05"
    with pytest.raises(updates.UpdateError, match="after the 2024 general election"):
        updates.parse_votes("Lab=4000 Con=1000 2024-07-04", PARTIES)
    with pytest.raises(updates.UpdateError, match="add up to 4,999: .* at least 5,000"):
        updates.parse_votes("Lab=3999 Con=1000", PARTIES)
    assert updates.check_id(2**63 - 1) == 2**63 - 1
    with pytest.raises(updates.UpdateError):
        updates.check_id(2**63)
    with pytest.raises(updates.UpdateError, match=r"\(not 'x{30}'\)"):
        updates.parse_votes("Lab=1 " + "x" * 40, PARTIES)
    with pytest.raises(updates.UpdateError, match=r"unknown party 'Q{20}'"):
        updates.validate("withdraw", "Q" * 40, {}, PARTIES)
