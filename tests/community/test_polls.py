"""Straw polls: the tally core, and end to end through discord.py."""

from __future__ import annotations

import discord
import pytest

from bot.community import polls


def new_poll(db, message_id=500, options=("Lab", "LD", "Not sure")):
    return polls.create(db, guild_id=1, channel_id=2, message_id=message_id,
                        seat_code="E14001249", question="How will you vote?",
                        options=list(options), hours=24, created_by=9)


def test_votes_add_remove_idempotent_and_private(guilds, reopen):
    poll = new_poll(guilds)
    for user, answer in [(1, 1), (2, 1), (3, 2), (1, 1)]:  # user 1's second add is a repeat
        assert polls.record_vote(guilds, poll.message_id, answer, user, True)
    polls.record_vote(guilds, poll.message_id, 1, 2, False)  # user 2 changes their mind
    polls.record_vote(guilds, poll.message_id, 3, 2, True)
    polls.record_vote(guilds, poll.message_id, 2, 99, False)  # a remove with no add
    assert not polls.record_vote(guilds, 12345, 1, 1, True)  # not one of our polls
    tally = polls.tally(guilds, poll)
    assert tally.counts == (("Lab", 1), ("LD", 1), ("Not sure", 1)) and tally.voters == 3
    stored = guilds.execute("select voter from poll_votes").fetchall()
    assert all(len(v) == 64 for (v,) in stored)  # salted hashes, no user ids
    columns = [c[1] for c in guilds.execute("pragma table_info(poll_votes)")] \
        if guilds.engine == "sqlite" else [c[0] for c in guilds.execute(
            "select column_name from information_schema.columns where table_name = ?",
            ("poll_votes",))]
    assert columns == ["message_id", "answer_id", "voter"]
    reopened = reopen()  # a restart keeps the counts
    assert polls.tally(reopened, poll).counts == tally.counts


def test_reconcile_takes_discords_counts(guilds):
    poll = new_poll(guilds)
    polls.record_vote(guilds, poll.message_id, 1, 1, True)
    polls.reconcile(guilds, poll.message_id, {1: 4, 2: 7, 3: 0})
    tally = polls.tally(guilds, poll)
    assert tally.counts == (("Lab", 4), ("LD", 7), ("Not sure", 0)) and tally.leader == "LD"


@pytest.mark.parametrize("question, options, hours, message", [
    ("", ["a", "b"], 24, "needs a question"),
    ("Q?", ["only one"], 24, "2 to 10 options"),
    ("Q?", [str(i) for i in range(11)], 24, "2 to 10 options"),
    ("Q?", ["a", "x" * 56], 24, "too long"),
    ("Q?", ["a", "b"], 0, "1 to 168 hours"),
    ("Q?", ["a", "b"], 169, "1 to 168 hours"),
    ("Q?", ["a", "A"], 24, "the same"),
    ("x" * 301, ["a", "b"], 24, "question is too long"),
])
def test_bad_polls_are_refused_and_nothing_written(guilds, question, options, hours, message):
    with pytest.raises(polls.PollError, match=message):
        polls.create(guilds, guild_id=1, channel_id=2, message_id=3, seat_code=None,
                     question=question, options=options, hours=hours, created_by=9)
    assert guilds.execute("select count(*) from polls").fetchone() == (0,)


# -- end to end ----------------------------------------------------------------------------

async def enable_polls(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send("!config polls on")
    discord_bot.reply()


def vote(bot, message_id, answer_id, user_id, added=True):
    event = discord.RawPollVoteActionEvent({
        "user_id": user_id, "channel_id": 1, "message_id": message_id, "answer_id": answer_id,
        "guild_id": 1})
    bot.dispatch("raw_poll_vote_add" if added else "raw_poll_vote_remove", event)


def test_a_due_poll_is_claimed_for_a_while_then_taken_over(guilds):
    """The poll loop's claim, on both engines: one process claims a due poll; another
    finds nothing while the claim is live, takes the poll over once it lapses (the first
    died before posting), and the first, back too late, is told so."""
    import time

    poll = polls.create(guilds, guild_id=1, channel_id=2, message_id=3, seat_code=None,
                        question="Which?", options=["a", "b"], hours=1, created_by=9)
    later = time.time() + 2 * 3600  # the poll's hour is up
    assert polls.claim_due(guilds, "host:1", later - 3600 - 60) == []  # not yet due
    [claimed] = polls.claim_due(guilds, "host:1", later)
    assert claimed.id == poll.id and claimed.ended_at is not None  # ended as it is claimed
    assert polls.claim_due(guilds, "host:2", later + 10) == []  # the claim is live
    [taken] = polls.claim_due(guilds, "host:2", later + polls.LEASE_SECONDS + 1)
    assert taken.id == poll.id and taken.ended_at == claimed.ended_at
    assert polls.announced(guilds, poll.id, "host:1") is False  # it lost the poll
    assert polls.announced(guilds, poll.id, "host:2") is True
    assert polls.claim_due(guilds, "host:3", later + 3600) == []  # announced: never again
    # a poll a moderator ended (and whose results the reply posted) is not announced again
    ended = polls.create(guilds, guild_id=1, channel_id=2, message_id=4, seat_code=None,
                         question="Other?", options=["a", "b"], hours=1, created_by=9)
    polls.end(guilds, ended.id, 1)
    assert polls.claim_due(guilds, "host:3", later + 3600) == []


async def test_seat_poll_lifecycle(discord_bot, guilds):
    import asyncio
    await enable_polls(discord_bot)
    await discord_bot.send('!withdraw "Godalming and Ash" Green')
    discord_bot.replies()
    await discord_bot.send('!poll seat "Godalming and Ash" 48')
    discord_bot.replies()
    sent = next(p for p in discord_bot.payloads if "poll" in p and p["poll"])
    answers = [a["poll_media"]["text"] for a in sent["poll"]["answers"]]
    assert sent["poll"]["question"]["text"] == "How will you vote in Godalming and Ash?"
    assert sent["poll"]["duration"] == 48
    assert answers[:2] == ["Conservative", "Liberal Democrat"] and answers[-1] == "Not sure"
    assert "Green Party" not in answers and "Labour" in answers
    db = guilds
    poll = polls.open_polls(db, discord_bot.member(0).guild.id)[0]
    for user, answer in [(1, 2), (2, 2), (3, 1)]:
        vote(discord_bot.bot, poll.message_id, answer, user)
    vote(discord_bot.bot, poll.message_id, 1, 3, added=False)
    await asyncio.sleep(0.05)
    assert polls.tally(db, poll).counts[:2] == (("Conservative", 0), ("Liberal Democrat", 2))
    await discord_bot.send(f"!poll end {poll.id}")
    discord_bot.replies()
    result = discord_bot.last_payload()
    embed = result["embeds"][0]
    assert embed["title"].startswith(f"Poll #{poll.id}: How will you vote")
    assert "straw poll" in embed["description"]
    assert "Liberal Democrat: 2 (100%)" in embed["fields"][0]["value"]
    assert [a["filename"] for a in result["attachments"]] == ["poll.png"]


async def test_polls_refused_clearly(discord_bot, guilds):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!poll seat "Godalming and Ash"')
    assert "polls are off" in discord_bot.reply().content
    await discord_bot.send("!config polls on")
    discord_bot.reply()
    await discord_bot.send('!poll seat "Godalming and Ash" 500')
    assert "1 to 168 hours" in discord_bot.reply().content
    await discord_bot.send('!poll seat Nowhereville')
    assert discord_bot.reply().content.startswith("Not done:")
    await discord_bot.send('!poll ask "Pick one" ' + " | ".join(str(i) for i in range(11)))
    assert "2 to 10 options" in discord_bot.reply().content
    await discord_bot.send('!poll ask "Pick one" a | ' + "b" * 60)
    assert "too long" in discord_bot.reply().content
    await discord_bot.send('!poll ask "Pick one" a | b', member=1)
    assert "Only this server's moderators" in discord_bot.reply().content
    db = guilds
    assert db.execute("select count(*) from polls").fetchone() == (0,)


async def test_the_poll_loop_posts_a_due_polls_results_once(discord_bot, guilds):
    await enable_polls(discord_bot)
    await discord_bot.send('!poll ask "Pick one" a | b')
    discord_bot.replies()
    db = guilds
    [poll] = polls.open_polls(db, discord_bot.member(0).guild.id)
    db.execute("update polls set ends_at = '2020-01-01T00:00:00+00:00' where id = ?",
                    (poll.id,))
    loop_turn = discord_bot.bot.get_cog("Polls").close_due
    discord_bot.payloads.clear()
    for _ in range(3):
        await loop_turn()
    titles = [e["title"] for p in discord_bot.payloads for e in p.get("embeds") or []]
    assert titles == [f"Poll #{poll.id}: Pick one"]
    assert polls.get(db, poll.id).ended_at is not None
