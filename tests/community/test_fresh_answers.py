"""Answers are worked out once and kept, but never stale: a moderator's update, a revert,
an owner's national poll and a server's setting each change the very next answer, whether
the write came from this process or from another one sharing guilds.db."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from bot.config import PROJECT_ROOT
from bot.service import HowToVote

GUILD = 1
POLL = 'Lab=15 Con=18 RUK=30 LD=12 Green=20 source="a test poll" date=2026-11-20'


@pytest.fixture
async def service(settings):
    s = await HowToVote(settings).start(offline=True)
    s.owner_ids.add(7)
    yield s
    await s.close()


def bath(service) -> str:
    return next(c for c, r in service.data.current.items() if r.seat.name == "Bath")


def in_another_process(settings, code: str) -> None:
    """Run `code` in a fresh Python process with `db` open on the same guild data (the
    guilds.db file, or the PostgreSQL database)."""
    opened = (f"postgres.open_guilds({settings.database_url!r})" if settings.database_url
              else f"sqlite_store.open_guilds(Path({str(settings.guilds_db_path)!r}))")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from bot.store import sqlite as sqlite_store
        from bot.store import postgres
        from bot.community import settings as guild_settings, updates
        from bot.forecast import national_polls
        db = {opened}
    """) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_a_cached_answer_is_the_same_object_until_something_changes(service):
    code = bath(service)
    first = await service.answer_seat(code, GUILD)
    assert (await service.answer_seat(code, GUILD)) is first  # kept, not worked out again
    await service.set_setting(GUILD, "sites", "off", 7)  # a write to this server
    assert (await service.answer_seat(code, GUILD)) is not first
    other = await service.answer_seat(code, 2)
    await service.set_setting(GUILD, "sites", "on", 7)
    assert (await service.answer_seat(code, 2)) is other  # another server's is still good


async def test_each_write_changes_the_next_answer_in_this_process(service):
    code = bath(service)
    before = await service.answer_seat(code, GUILD)
    assert before.advice.verdict != "override"
    change = await service.post_update(GUILD, code, "override", "Green",
                                       {"reason": "local", "party_name": "Green Party"}, 7, "m")
    assert (await service.answer_seat(code, GUILD)).advice.verdict == "override"
    await service.revert_update(GUILD, change.update.id, 7, "m")
    assert (await service.answer_seat(code, GUILD)).advice.verdict == before.advice.verdict
    await service.set_national_poll(POLL, by=7)
    reasons = (await service.answer_seat(code, GUILD)).advice.reasons
    assert "polls of 2026-11-20" in " ".join(reasons)
    await service.set_setting(GUILD, "model", "off", 7)
    assert (await service.answer_seat(code, GUILD)).advice.forecast is None


async def test_each_write_in_another_process_changes_the_next_answer(service, settings):
    code = bath(service)
    before = await service.answer_seat(code, GUILD)
    in_another_process(settings, f"""
        updates.add(db, guild_id={GUILD}, seat_code={code!r}, kind="override", party="Green",
                    payload={{"reason": "local", "party_name": "Green Party"}}, author_id=7,
                    author_name="m", known_parties={{"Green", "Lab", "LD", "Con"}})
    """)
    overridden = await service.answer_seat(code, GUILD)
    assert overridden.advice.verdict == "override"
    update_id = (await service.updates_for(GUILD, code))[-1].id
    in_another_process(settings, f"""
        updates.revert(db, update_id={update_id}, guild_id={GUILD}, author_id=7,
                       author_name="m")
    """)
    assert (await service.answer_seat(code, GUILD)).advice.verdict == before.advice.verdict
    in_another_process(settings, f"""
        national_polls.add(db, national_polls.parse({POLL!r}, {{"Lab", "Con", "RUK", "LD",
                           "Green"}}), by=None, owners=None)
    """)
    reasons = (await service.answer_seat(code, GUILD)).advice.reasons
    assert "polls of 2026-11-20" in " ".join(reasons)
    in_another_process(settings, f"""
        guild_settings.set_value(db, {GUILD}, "model", "off", 7, set())
    """)
    assert (await service.answer_seat(code, GUILD)).advice.forecast is None
    assert (await service.answer_seat(code, 2)).advice.forecast is not None  # not that server


async def test_servers_in_the_same_state_share_one_answer(service):
    code = bath(service)
    first = await service.answer_seat(code, 1)
    assert (await service.answer_seat(code, 2)) is first  # neither server changed anything
    assert (await service.answer_seat(code, None)) is first  # nor does a DM
    change = await service.post_update(1, code, "note", None, {"text": "hustings Friday"}, 7,
                                       "m")
    noted = await service.answer_seat(code, 1)
    assert noted is not first and noted.advice.notes[0].text == "hustings Friday"
    assert (await service.answer_seat(code, 2)) is first  # the other server is as it was
    await service.revert_update(1, change.update.id, 7, "m")
    assert (await service.answer_seat(code, 1)).advice.notes == ()


def test_an_answer_worked_out_while_something_went_stale_is_given_but_not_kept(tmp_path):
    """No reader depends on its caller having looked for stale data first, and an answer
    that straddles a write is not kept to be served later."""
    import time

    from bot.community import settings as guild_settings
    from bot.community.kept import Kept
    from bot.store import sqlite as sqlite_store
    reader = sqlite_store.open_guilds(tmp_path / "guilds.db")
    writer = sqlite_store.open_guilds(tmp_path / "guilds.db")
    kept = Kept(reader)
    assert kept.settings(GUILD).opponent == "Con"  # read once and kept

    def straddling() -> str:
        guild_settings.set_raw(writer, GUILD, "opponent", "RUK", 1)  # another connection
        time.sleep(0.15)  # past the recheck window
        return kept.settings(GUILD).opponent  # the reader looks again by itself
    assert kept.answer(("key",), straddling) == "RUK"
    assert kept.answer(("key",), lambda: "worked out again") == "worked out again"
    assert kept.answer(("key",), lambda: "not again") == "worked out again"
    reader.close()
    writer.close()


async def test_an_answers_text_reads_nothing_from_the_store_when_it_is_rendered(
        service, monkeypatch):
    """The terminal's text is rendered when asked for, later and outside the store's
    bridge (`python bot.py ask` prints it on the loop): everything it shows was read when
    the answer was worked out, so rendering it asks the store nothing, however long after.
    (It read other sites' calls then; on PostgreSQL, once a tenth of a second had gone,
    that was a RuntimeError instead of an answer.)"""
    from bot.community import versions

    answer = await service.answer("Bath", GUILD)
    monkeypatch.setattr(versions, "RECHECK_SECONDS", -1.0)  # every look would ask
    asked = []
    monkeypatch.setattr(service.guilds_db, "changes",
                        lambda **kwargs: asked.append(kwargs) or 0)
    assert answer.text.startswith("Bath")
    assert asked == []
