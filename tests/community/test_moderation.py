"""Moderators' seat updates: the append-only log, and end to end through discord.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from bot.community import settings as guild_settings
from bot.community import subscriptions, updates
from bot.config import PROJECT_ROOT
from bot.store import sqlite as sqlite_store

PARTIES = {"Con", "Lab", "LD", "Green", "RUK", "SNP"}
SEAT = "E14001249"  # Godalming and Ash


def add(db, guild=1, kind="note", party=None, **payload):
    return updates.add(db, guild_id=guild, seat_code=SEAT, kind=kind, party=party,
                       payload=payload, author_id=7, author_name="mod",
                       known_parties=PARTIES, stood={"Con", "LD", "Lab", "Green", "RUK"})


def count(db) -> int:
    return db.execute("select count(*) from seat_updates").fetchone()[0]


@pytest.mark.parametrize("kind, party, payload, message", [
    ("pact", "XYZ", {}, "unknown party"),
    ("withdraw", "SNP", {}, "did not stand here"),
    ("note", None, {"text": ""}, "empty"),
    ("note", None, {"text": "x" * 501}, "too long"),
    ("override", "Lab", {}, "needs a reason"),
    ("pact", "LD", {"standing_aside": ["LD"]}, "cannot also stand aside"),
    ("delete", None, {}, "unknown update kind"),
])
def test_refusals_write_nothing(guilds, kind, party, payload, message):
    with pytest.raises(updates.UpdateError, match=message):
        add(guilds, kind=kind, party=party, **payload)
    assert count(guilds) == 0


def test_history_revert_and_scope(guilds):
    first = add(guilds, kind="pact", party="Lab", standing_aside=["LD"])
    note = add(guilds, text="hustings on Friday")
    other = add(guilds, guild=2, text="another server")
    assert [u.id for u in updates.in_scope(guilds, 1, SEAT)] == [first.id, note.id]
    assert [u.id for u in updates.in_scope(guilds, 2, SEAT)] == [other.id]
    revert = updates.revert(guilds, update_id=first.id, guild_id=1, author_id=8,
                            author_name="other mod")
    assert [u.id for u in updates.in_scope(guilds, 1, SEAT)] == [note.id]
    items = updates.history(guilds, 1, SEAT)
    assert [i.update.id for i in items] == [first.id, note.id, revert.id]
    assert items[0].reverted_by == revert.id
    with pytest.raises(updates.UpdateError, match="already reverted"):
        updates.revert(guilds, update_id=first.id, guild_id=1, author_id=8, author_name="x")
    with pytest.raises(updates.UpdateError, match="no update"):
        updates.revert(guilds, update_id=other.id, guild_id=1, author_id=8, author_name="x")
    assert count(guilds) == 4


def test_what_the_advice_reads_is_the_history_less_its_reverts(guilds):
    """`in_scope` asks the database for what `history` shows standing: in every server,
    whatever mix of notes, reverts, and updates shared with every server (one of them
    reverted by an owner) the log holds, on another seat too."""
    def revert(u, guild=1, by=8):
        return updates.revert(guilds, update_id=u.id, guild_id=guild, author_id=by,
                              author_name="mod", owners={1})
    notes = [add(guilds, guild=1 + i % 2, text=f"note {i}") for i in range(6)]
    for u in notes[::3]:
        revert(u, guild=u.guild_id)
    pact = add(guilds, kind="pact", party="Lab", standing_aside=["LD"])
    shared = [updates.make_global(guilds, update_id=u.id, author_id=1, author_name="owner",
                                  owners={1}) for u in (pact, notes[1])]
    revert(shared[1], guild=2, by=1)  # an owner, from another server, undoes it everywhere
    updates.add(guilds, guild_id=1, seat_code="S14000021", kind="note", party=None,
                payload={"text": "elsewhere"}, author_id=7, author_name="mod",
                known_parties=PARTIES, stood=set())
    for guild in (1, 2, 3, None):
        standing = [item.update for item in updates.history(guilds, guild, SEAT)
                    if item.reverted_by is None and item.update.kind != "revert"]
        assert updates.in_scope(guilds, guild, SEAT) == standing
    assert [u.payload.get("text") for u in updates.in_scope(guilds, 1, SEAT)] == [
        "note 2", "note 4", None, None]  # the pact, then its copy for every server


def test_global_updates_reach_every_server(guilds):
    local = add(guilds, kind="pact", party="LD", standing_aside=["Lab", "Green"])
    shared = updates.make_global(guilds, update_id=local.id, author_id=1, author_name="owner",
                                 owners={1})
    assert shared.guild_id is None and shared.payload["copied_from"] == local.id
    assert [u.id for u in updates.in_scope(guilds, 99, SEAT)] == [shared.id]


def test_parse_votes():
    votes, when = updates.parse_votes("lab=12000 Con=9000 LD=3000 2026-05-07", PARTIES)
    assert votes == {"Lab": 12000, "Con": 9000, "LD": 3000} and when == "2026-05-07"
    for bad in ("Lab=1", "Lab=x Con=2", "Foo=1 Con=2", "Lab=1 Lab=2", "Lab=1 Con=2 2026-13-40"):
        with pytest.raises(updates.UpdateError):
            updates.parse_votes(bad, PARTIES)


def test_200_concurrent_updates_all_land_once(tmp_path):
    path = tmp_path / "guilds.db"
    sqlite_store.open_guilds(path).close()
    errors = []

    def worker(n: int) -> None:
        db = sqlite_store.open_guilds(path)
        try:
            for i in range(40):
                add(db, text=f"worker {n} note {i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db = sqlite_store.open_guilds(path)
    texts = [u.payload["text"] for u in updates.in_scope(db, 1, SEAT)]
    assert not errors and len(texts) == 200 and len(set(texts)) == 200
    ids = [u.id for u in updates.in_scope(db, 1, SEAT)]
    assert ids == sorted(ids) and len(set(ids)) == 200


KILL = """
import sys, time
from pathlib import Path
from bot.store import sqlite as sqlite_store
from tests.community.test_moderation import add
db = sqlite_store.open_guilds(Path(sys.argv[1]))
add(db, text="first")
Path(sys.argv[2]).write_text("1")
time.sleep(60)
add(db, text="second")
"""


def test_process_killed_between_updates_loses_nothing(tmp_path):
    path, marker = tmp_path / "guilds.db", tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILL, str(path), str(marker)],
                            cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite_store.open_guilds(path)
    assert [u.payload["text"] for u in updates.in_scope(db, 1, SEAT)] == ["first"]
    add(db, text="after restart")
    assert count(db) == 2


def test_subscribers_hear_once_per_change(guilds):
    assert subscriptions.subscribe(guilds, 1, 100, SEAT, "clear:LD")
    assert not subscriptions.subscribe(guilds, 1, 100, SEAT, "clear:LD")
    assert subscriptions.due(guilds, 1, SEAT, "clear:LD") == []
    assert subscriptions.due(guilds, 1, SEAT, "clear:Lab") == [100]
    assert subscriptions.due(guilds, 1, SEAT, "clear:Lab") == []
    assert subscriptions.unsubscribe(guilds, 1, 100, SEAT)


def test_guild_settings_validate(guilds):
    s = guild_settings.set_value(guilds, 1, "opponent", "ruk", 7, PARTIES)
    # against Reform the default bloc is every other party, the Conservatives included
    assert s.opponent == "RUK" and not s.advice_options.backs("RUK")
    assert s.advice_options.backs("Con") and s.advice_options.backs("Lab")
    with pytest.raises(guild_settings.SettingError, match="unknown party"):
        guild_settings.set_value(guilds, 1, "bloc", "Lab Nonsense", 7, PARTIES)
    with pytest.raises(guild_settings.SettingError):
        guild_settings.set_value(guilds, 1, "mod-role", "@everyone", 7, PARTIES)
    assert guild_settings.get(guilds, 1).bloc is None  # nothing refused was stored


# -- end to end through discord.py -------------------------------------------------------

def field_text(message) -> str:
    embed = message.embeds[0]
    return " ".join([embed.description or "", *(f"{f.name} {f.value}" for f in embed.fields)])


async def test_pact_shows_in_this_server_only(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!pact "Godalming and Ash" Lab LD Green')
    reply = discord_bot.reply()
    assert reply.content.startswith("Update #1 on Godalming and Ash")
    await discord_bot.send("!howtovote Godalming and Ash")
    here = field_text(discord_bot.reply())
    assert "Labour is the agreed candidate" in here
    assert "better placed than the pact's candidate" in here
    await discord_bot.send("!howtovote Godalming and Ash", guild=1)
    assert "agreed candidate" not in field_text(discord_bot.reply())


async def test_non_moderator_is_refused_and_nothing_written(discord_bot, guilds):
    await discord_bot.send('!pact "Godalming and Ash" Lab LD', member=1)
    assert "Only this server's moderators" in discord_bot.reply().content
    assert count(guilds) == 0


async def test_history_revert_override_and_byelection(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!override "Godalming and Ash" Green local council strength')
    discord_bot.reply()
    await discord_bot.send("!howtovote Godalming and Ash")
    reply = discord_bot.reply()
    assert "moderators recommend Green Party" in reply.embeds[0].description
    assert "alice" in field_text(reply)  # the override's author
    await discord_bot.send("!revert 1")
    discord_bot.reply()
    await discord_bot.send("!howtovote Godalming and Ash")
    assert "Vote Liberal Democrat" in discord_bot.reply().embeds[0].description
    await discord_bot.send('!byelection "Godalming and Ash" Con=9000 Lab=12000 LD=3000')
    discord_bot.reply()
    await discord_bot.send("!howtovote Godalming and Ash")
    assert "Vote Labour" in discord_bot.reply().embeds[0].description
    await discord_bot.send('!history "Godalming and Ash"', member=1)  # anyone may look
    lines = discord_bot.reply().embeds[0].description.splitlines()
    assert [line.split()[0] for line in lines] == ["#1", "#2", "#3"]
    assert "reverted by #2" in lines[0]


async def test_announcement_and_subscriber_notified_once(discord_bot):
    await discord_bot.grant_manage_server(0)
    announce = discord_bot.channel(1)
    await discord_bot.send(f"!config announce-channel {announce.id}")
    discord_bot.reply()
    await discord_bot.send('!subscribe "Godalming and Ash"', member=2)
    assert "Following Godalming and Ash" in discord_bot.reply().content
    await discord_bot.send('!withdraw "Godalming and Ash" LD')
    sent = discord_bot.replies()
    channels = [m.channel for m in sent]
    assert announce in channels  # the announcement
    dms = [m for m in sent if m.guild is None]
    assert len(dms) == 1 and "advice for Godalming and Ash changed" in dms[0].content
    await discord_bot.send('!note "Godalming and Ash" leaflets at the station')
    assert [m for m in discord_bot.replies() if m.guild is None] == []  # advice unchanged


async def test_bad_party_and_unknown_seat_are_refused(discord_bot, guilds):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!withdraw "Godalming and Ash" SNP')
    assert "did not stand here" in discord_bot.reply().content
    await discord_bot.send("!note Nowhereville hello")
    assert discord_bot.reply().content.startswith("Not done:")
    await discord_bot.send('!withdraw "Godalming and Ash" Pirates')
    assert "unknown party" in discord_bot.reply().content
    assert count(guilds) == 0


async def test_moderator_role_from_settings(discord_bot):
    import discord.ext.test as dpytest
    from discord.ext.test import backend
    await discord_bot.grant_manage_server(0)
    guild = dpytest.get_config().guilds[0]
    role = backend.make_role("Campaign mods", guild)
    await discord_bot.send(f"!config mod-role {role.id}")
    assert f"<@&{role.id}>" in discord_bot.reply().embeds[0].description
    await discord_bot.send('!note "Godalming and Ash" canvassing Saturday', member=1)
    assert "Only this server's moderators" in discord_bot.reply().content
    await dpytest.add_role(discord_bot.member(1), role)
    await discord_bot.send('!note "Godalming and Ash" canvassing Saturday', member=1)
    assert discord_bot.reply().content.startswith("Update #1 on Godalming and Ash")
    await discord_bot.send("!config opponent Pirates", member=1)  # a moderator, not a manager
    assert "Manage Server" in discord_bot.reply().content


async def test_a_refused_update_gives_the_moderator_back_their_allowance(settings):
    from bot.community import limits
    from bot.service import HowToVote
    service = await HowToVote(settings).start(offline=True)
    try:
        code = next(iter(service.data.current))
        for _ in range(12):  # refused: an unknown party; each refunded
            with pytest.raises(updates.UpdateError):
                await service.post_update(1, code, "pact", "XYZ", {}, 7, "m")
        for i in range(10):
            await service.post_update(1, code, "note", None, {"text": f"n{i}"}, 7, "m")
        with pytest.raises(limits.LimitReached, match="try again in"):
            await service.post_update(1, code, "note", None, {"text": "one more"}, 7, "m")
        await service.post_update(1, code, "note", None, {"text": "another"}, 8, "m2")
    finally:
        await service.close()


async def test_subscribers_are_dmed_over_rest_with_the_production_intents(discord_bot, guilds):
    """Subscribed last week, the bot restarted since: with the production intents no cache
    knows the subscriber, and the DM still arrives; they are marked told only then."""
    from bench.discord_harness import forget_user
    from cogs.utils.client import intents
    assert discord_bot.bot.intents == intents() and not discord_bot.bot.intents.members
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!subscribe "Godalming and Ash"', member=2)
    discord_bot.reply()
    forget_user(discord_bot.bot, discord_bot.member(2).id)
    await discord_bot.send('!withdraw "Godalming and Ash" LD')
    dms = [m for m in discord_bot.replies() if m.guild is None]
    assert len(dms) == 1 and "advice for Godalming and Ash changed" in dms[0].content
    state = discord_bot.bot._connection
    assert dms[0].channel.id == state._get_private_channel_by_user(discord_bot.member(2).id).id
    service = discord_bot.bot.service
    code, told, refused = guilds.execute(
        "select seat_code, last_advice, dm_refused_at from subscriptions").fetchone()
    assert told == (await service.answer_seat(code, discord_bot.channel().guild.id)).fingerprint
    assert refused is None


async def test_a_refused_dm_is_recorded_as_refused_and_never_retried(discord_bot, guilds):
    from bench.discord_harness import close_dms
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!subscribe "Godalming and Ash"', member=2)
    discord_bot.reply()
    close_dms(discord_bot.bot, discord_bot.member(2).id)
    db = guilds
    before = db.execute("select last_advice from subscriptions").fetchone()[0]
    await discord_bot.send('!withdraw "Godalming and Ash" LD')
    replies = discord_bot.replies()
    assert replies and all(m.guild is not None for m in replies)  # no DM got through
    last_advice, refused = db.execute(
        "select last_advice, dm_refused_at from subscriptions").fetchone()
    assert last_advice == before and refused is not None  # not told; refused
    # the pause passes and the advice changes again: nobody tries the closed DMs again
    db.execute("update subscriptions set notified_at = '2000-01-01'")
    asked = []
    original = discord_bot.bot.http.start_private_message

    async def counting(user_id):
        asked.append(user_id)
        return await original(user_id)
    discord_bot.bot.http.start_private_message = counting
    await discord_bot.send('!revert 1')
    assert [m for m in discord_bot.replies() if m.guild is None] == [] and asked == []
    # following the seat again clears the refusal
    await discord_bot.send('!subscribe "Godalming and Ash"', member=2)
    discord_bot.reply()
    assert db.execute("select dm_refused_at from subscriptions").fetchone()[0] is None


async def test_every_setting_changes_three_times_in_a_row(discord_bot):
    """Each change takes effect at once, the second and third too (SQLite once reset its
    answer version on every `insert or replace`, so caches never saw a second change)."""
    import discord.ext.test as dpytest
    from discord.ext.test import backend
    await discord_bot.grant_manage_server(0)
    discord_bot.lift_cooldowns()
    guild = dpytest.get_config().guilds[0]
    roles = [backend.make_role(f"mods {i}", guild) for i in range(3)]
    channels = [discord_bot.channel(i).id for i in (1, 0, 1)]
    cycles = {
        "opponent": [("RUK", "opponent: RUK"), ("Con", "opponent: Con"),
                     ("RUK", "opponent: RUK")],
        "bloc": [('"Lab LD Green"', "bloc: Green LD Lab"), ("Lab", "bloc: Lab"),
                 ("default", "bloc: default (every party but RUK)")],
        "mod-role": [(str(r.id), f"mod-role: <@&{r.id}>") for r in roles],
        "announce-channel": [(str(c), f"announce-channel: <#{c}>") for c in channels],
        **{key: [("on", f"{key}: on"), ("off", f"{key}: off"), ("on", f"{key}: on")]
           for key in ("polls", "projections", "model", "sites")},
    }
    assert set(cycles) == set(discord_bot.bot.service.setting_keys())
    for key, steps in cycles.items():
        for value, shown in steps:
            await discord_bot.send(f"!config {key} {value}")
            assert shown in discord_bot.reply().embeds[0].description.splitlines(), (key, value)
            if key == "opponent":
                await discord_bot.send("!howtovote Godalming and Ash")
                text = discord_bot.reply().embeds[0].description
                assert ("Reform UK is unlikely" in text) == (value == "RUK"), text
            if key == "model":
                await discord_bot.send("!howtovote Godalming and Ash")
                reply = discord_bot.reply()
                assert reply.embeds, reply.content
                text = reply.embeds[0].description + "".join(f.value for f in
                                                             reply.embeds[0].fields)
                assert ("The chances rest on" in text) == (value == "on"), value


async def test_commands_are_case_insensitive(discord_bot):
    await discord_bot.send("!HOWTOVOTE Batley")
    assert discord_bot.reply().embeds[0].title == "How to vote in Dewsbury and Batley"


async def test_contradictory_and_impossible_updates_are_refused_naming_why(discord_bot, guilds):
    await discord_bot.grant_manage_server(0)
    discord_bot.lift_cooldowns()
    db = guilds

    async def refused(command: str, *says: str) -> None:
        stored = count(db)
        await discord_bot.send(command)
        reply = discord_bot.reply().content
        assert all(s in reply for s in says), reply
        assert count(db) == stored  # nothing stored

    gas = '"Godalming and Ash"'
    await refused(f"!override {gas} Con they are nice", "Con is the party this server "
                  "wants to beat")
    await discord_bot.send(f"!pact {gas} LD Lab")
    assert discord_bot.reply().content.startswith("Update #1")
    await refused(f"!override {gas} Lab local hero", "Lab stands aside under the pact in "
                  "force (update #1)")
    await refused(f"!byelection {gas} Lab=10 Con=5", "add up to 15", "at least 5,000",
                  "Southend West")
    await discord_bot.send(f"!byelection {gas} LD=21000 Con=9000 Lab=3000 2025-06-05")
    assert discord_bot.reply().content.startswith("Update #2")
    await refused(f"!byelection {gas} LD=21000 Con=9000 Lab=3000 2025-06-05",
                  "already recorded (update #2)")
    await refused(f"!byelection {gas} LD=9000 Con=21000 Lab=3000 2025-06-05",
                  "update #2 already records a different result for 2025-06-05")
    # an older result posted later is kept in the history, but the answer rests on the
    # newer polling day
    await discord_bot.send(f"!byelection {gas} Con=25000 LD=9000 Lab=3000 2025-02-13")
    assert discord_bot.reply().content.startswith("Update #3")
    await discord_bot.send(f"!howtovote {gas}")
    embed = discord_bot.reply().embeds[0]
    assert "beat Conservative by 36.4 points" in embed.description  # 2025-06-05's figures
    basis = next(f for f in embed.fields if "2025-" in f.name)
    assert "by-election of 2025-06-05" in basis.name, basis.name



async def test_a_server_can_choose_the_right_as_its_opponent(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send("!config opponent right")
    assert "opponent: Right" in discord_bot.reply().embeds[0].description.splitlines()
    await discord_bot.send("!howtovote Godalming and Ash")
    assert "the right (Conservative, Reform UK, Restore Britain)" in \
        discord_bot.reply().embeds[0].description
    await discord_bot.send("!config bloc Lab RUK")  # a party of the set cannot be backed
    assert "RUK is the party this server wants to beat (opponent: Right)" in \
        discord_bot.reply().content
    await discord_bot.send('!override "Godalming and Ash" Con because')
    assert "the party this server wants to beat" in discord_bot.reply().content
