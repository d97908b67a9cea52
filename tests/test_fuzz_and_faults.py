"""Odd input never breaks anything, and failures around us are survived.

Hypothesis feeds arbitrary text to the resolver, the rendering and the command handlers;
the fault tests break postcodes.io, the database and the data mid-flight.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import stat
import time

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.advice.render import EMBED_LIMIT, FIELD_LIMIT, FIELDS_LIMIT, render_embed, render_text
from bot.advice.rules import advise
from bot.models import SeatUpdate
from bot.places.postcodes import PostcodeLookup
from bot.places.resolve import Resolver
from bot.store import sqlite as sqlite_store

NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=50),
    st.sampled_from(["@everyone", "@here", "<@&123>", "**", "`" * 3, "||x||", "\u202e",
                     "'; drop table seats; --", "\x00", "WF13 1AB", "wf13", "BFPO 1"]),
    st.text(max_size=20).map(lambda t: t * 300),  # huge
)
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(text=NASTY)
def test_resolve_never_raises(resolver: Resolver, text: str):
    result = resolver.resolve_name(text)
    assert result.method in {"exact", "alias", "old-seat", "town", "ward", "fuzzy", "none",
                             "invalid"}
    assert len(result.note) < 500 and len(result.seats) <= 25


@FAST
@given(note=st.text(max_size=600), author=st.text(max_size=120), reason=st.text(max_size=400))
def test_rendering_hostile_moderator_text_stays_inert_and_within_limits(
        election_data, note, author, reason):
    record = election_data.record("E14001249")
    updates = [SeatUpdate(1, 1, "E14001249", "note", None, {"text": note}, 1, author, "2026"),
               SeatUpdate(2, 1, "E14001249", "override", "Green",
                          {"reason": reason, "party_name": "Green Party"}, 1, author, "2026")]
    advice = advise(record, election_data.parties, updates=updates)
    spec = render_embed(advice)
    assert spec.total_length() <= EMBED_LIMIT and len(spec.fields) <= FIELDS_LIMIT
    assert all(len(f.value) <= FIELD_LIMIT and len(f.name) <= 256 for f in spec.fields)
    everything = spec.description + "".join(f.value + f.name for f in spec.fields)
    assert "@everyone" not in everything and "@here" not in everything
    render_text(advice)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=NASTY)
def test_command_handlers_never_crash_or_ping(discord_session, text):
    harness, loop = discord_session
    loop.run_until_complete(harness.send(f"!howtovote {text}"))
    for message in harness.replies():
        assert not message.mention_everyone and not message.mentions
        assert len(message.content) <= 2000
        for embed in message.embeds:
            assert len(embed) <= EMBED_LIMIT
    assert all(p.get("allowed_mentions") == {"parse": []} for p in harness.payloads)
    assert all("Sorry, something went wrong" not in (p.get("content") or "")
               for p in harness.payloads)


@pytest.fixture(scope="module")
def discord_session(built_db_dir, tmp_path_factory):
    """One bot for all the fuzz examples (starting one per example would be slow)."""
    from bench.discord_harness import start, stop
    from bot.config import Settings
    folder = tmp_path_factory.mktemp("fuzzbot")
    (folder / "elections.db").symlink_to(built_db_dir / "elections.db")
    loop = asyncio.new_event_loop()
    harness = loop.run_until_complete(start(Settings(
        db_dir=folder, postcodes_api_url="http://127.0.0.1:9")))
    harness.lift_cooldowns()  # fuzzing is not abuse
    yield harness, loop
    loop.run_until_complete(stop(harness))
    loop.close()


# -- faults ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["500", "hang", "garbage"])
async def test_postcodes_io_failing_during_a_burst(resolver, fake_postcodes, mode):
    fake_postcodes.mode = mode
    queries = [f"{pc[:-3]} {pc[-3:]}" for pc in list(fake_postcodes.postcodes)[:50]]
    async with aiohttp.ClientSession() as session:
        lookup = PostcodeLookup(fake_postcodes.url, session, timeout=0.3, concurrency=8)
        r = Resolver(list(resolver.by_code.values()), [], [], lookup)
        started = time.monotonic()
        results = await asyncio.gather(*(r.resolve(q) for q in queries))
        names = await r.resolve("Hendon")  # names keep working meanwhile
    assert all(res.method == "error" and "seat or town name" in res.note for res in results)
    assert names.seat.name == "Hendon"
    # 50 lookups, 8 at a time, two tries each with a 0.3 s timeout: bounded, never hung
    assert time.monotonic() - started < 10


def test_read_only_database_files(built_db_dir, tmp_path):
    from bot.config import Settings
    from bot.service import HowToVote
    shutil.copy(built_db_dir / "elections.db", tmp_path / "elections.db")
    guilds = sqlite_store.open_guilds(tmp_path / "guilds.db")
    guilds.close()
    (tmp_path / "elections.db").chmod(stat.S_IRUSR)

    async def ask():
        service = await HowToVote(Settings(db_dir=tmp_path)).start(offline=True)
        try:
            return await service.answer("Hendon")
        finally:
            await service.close()

    answer = asyncio.run(ask())
    assert answer.advice and answer.advice.recommended.party == "Lab"


@pytest.mark.slow
async def test_queries_keep_answering_during_an_import(settings, data_dir):
    """The running bot reads the old file until the swap; the swap never breaks a reader."""
    from bot.elections.dataset import import_data
    from bot.service import HowToVote
    db_dir = settings.db_dir
    shared_build = settings.elections_db_path.resolve()  # the fixture links to it
    (db_dir / "elections.db").unlink()
    shutil.copy(shared_build, db_dir / "elections.db")
    service = await HowToVote(settings).start(offline=True)
    stop = asyncio.Event()
    answers = []

    async def ask_repeatedly():
        while not stop.is_set():
            answers.append((await service.answer("Hendon")).advice.recommended.party)
            await asyncio.sleep(0.005)  # not a busy loop: the import thread needs the GIL

    asker = asyncio.create_task(ask_repeatedly())
    # `data import` runs beside the bot (another process in real life; a thread here)
    await asyncio.to_thread(lambda: asyncio.run(import_data(settings, progress=False)))
    stop.set()
    await asker
    assert len(answers) > 10 and set(answers) == {"Lab"}
    fresh = sqlite3.connect(db_dir / "elections.db")
    assert fresh.execute("select count(*) from seats").fetchone() == (1300,)
    await service.close()


# -- hostile moderators and a hostile postcodes.io, fuzzed ----------------------------------
MOD_COMMANDS = st.sampled_from([
    '!note "Dewsbury and Batley" {}', '!pact "Dewsbury and Batley" Lab {}',
    '!candidate "Dewsbury and Batley" LD {}', '!override "Hendon" Green {}',
    '!byelection "Hendon" {}', "!revert {}", "!poll end {}", "!config {} on",
    '!withdraw "Hendon" {}', "!history {}", '!poll ask "{}" a | b'])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=MOD_COMMANDS, text=NASTY)
def test_moderator_commands_never_crash_ping_or_store_junk(discord_session, command, text):
    harness, loop = discord_session
    loop.run_until_complete(harness.grant_manage_server(0))
    harness.payloads.clear()
    loop.run_until_complete(harness.send(command.format(text)))
    for message in harness.replies():
        assert not message.mention_everyone and not message.mentions
        assert len(message.content) <= 2000
    assert all(p.get("allowed_mentions") == {"parse": []} for p in harness.payloads)
    assert all("Sorry, something went wrong" not in (p.get("content") or "")
               for p in harness.payloads)
    db = harness.bot.service.guilds_db
    for (payload,) in db.execute("select payload from seat_updates"):
        for key in ("text", "reason", "name"):
            value = json.loads(payload).get(key)
            assert value is None or value.strip() and "\u200b" not in value


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["status", "result", "codes", "parliamentary_constituency_2024",
                         "query", "postcode", "x"]), inner, max_size=4),
    max_leaves=12)


@pytest.fixture(scope="module")
def hostile_postcodes_io():
    """A local server answering every postcode lookup with whatever the test sets."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer
    state = {"reply": None}

    async def reply(request):
        return web.Response(body=json.dumps(state["reply"]), content_type="application/json")

    app = web.Application()
    app.router.add_get("/postcodes/{pc}", reply)
    app.router.add_get("/terminated_postcodes/{pc}", reply)
    loop = asyncio.new_event_loop()
    server = TestServer(app, host="127.0.0.1")
    loop.run_until_complete(server.start_server())
    session = loop.run_until_complete(_session())
    yield state, str(server.make_url("")).rstrip("/"), session, loop
    loop.run_until_complete(session.close())
    loop.run_until_complete(server.close())
    loop.close()


async def _session():
    return aiohttp.ClientSession()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reply=JSON)
def test_any_reply_from_postcodes_io_is_survived_and_junk_never_cached(
        hostile_postcodes_io, tmp_path_factory, reply):
    state, url, session, loop = hostile_postcodes_io
    state["reply"] = reply
    cache = sqlite_store.open_guilds(tmp_path_factory.mktemp("cache") / "guilds.db")
    answer = loop.run_until_complete(PostcodeLookup(url, session, cache).lookup("WF13 1AB"))
    assert answer.status in ("live", "terminated", "not-found", "error")
    if answer.status == "live":
        assert answer.seat_code and answer.seat_code[0] in "ENSW"
    rows = cache.execute("select status, seat_code from postcode_cache").fetchall()
    assert all(status != "live" or code for status, code in rows)
    assert answer.status != "error" or rows == []
    cache.close()
