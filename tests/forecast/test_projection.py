"""Projections from national polls: valid shares, the backtest, owners' polls, the embed."""

from __future__ import annotations

import pytest

from bot.evaluation import backtest
from bot.forecast import national_polls, projection

EXTREMES = [
    {"Con": 0.0, "Lab": 0.30, "LD": 0.12, "Green": 0.08, "RUK": 0.40, "SNP": 0.03},  # Con wiped
    {"Con": 0.20, "Lab": 0.20, "LD": 0.10, "Green": 0.05, "RUK": 0.05, "New": 0.40},  # newcomer
    {"Con": 1.0},
]


@pytest.mark.parametrize("model", list(projection.MODELS))
@pytest.mark.parametrize("after", EXTREMES)
def test_shares_stay_valid_on_every_2024_seat(election_data, model, after):
    before = projection.national_shares(election_data.national_votes("ge2024"))
    names = {c: p.name for c, p in election_data.parties.items()}
    for record in election_data.current.values():
        projected = projection.project_contest(record.general, record.seat.nation, model,
                                               before, after, names)
        shares = [c.share for c in projected.candidates]
        assert all(0.0 <= s <= 1.0 for s in shares)
        assert sum(shares) == pytest.approx(1.0, abs=1e-4)  # source shares have 6 d.p.
        if after.get("New") and record.seat.nation != "Northern Ireland":
            assert "New" in {c.party for c in projected.candidates}


def test_models_on_a_hand_made_seat():
    seat = {"Con": 0.40, "Lab": 0.35, "LD": 0.25}
    before = {"Con": 0.40, "Lab": 0.30, "LD": 0.10, "RUK": 0.0}
    after = {"Con": 0.20, "Lab": 0.40, "LD": 0.10, "RUK": 0.20}
    uni = projection.uniform(seat, before, after)
    assert uni["Lab"] > uni["Con"] and uni["RUK"] == pytest.approx(0.20 / 1.10)
    prop = projection.proportional(seat, before, after)
    assert prop["Con"] == pytest.approx(0.2 / (0.2 + 0.35 * 4 / 3 + 0.25 + 0.2))
    trans = projection.transition(seat, before, after)
    # Con sheds half its vote (0.20); Lab gains 0.10 and RUK 0.20 of 0.30 national gains
    assert trans["Con"] == pytest.approx(0.20)
    assert trans["Lab"] == pytest.approx(0.35 + 0.20 / 3)
    assert trans["RUK"] == pytest.approx(0.20 * 2 / 3)


@pytest.mark.full_data
def test_projection_backtest_beats_the_last_result_in_2019(election_data):
    base = backtest.evaluate(election_data, "2019")
    proj = backtest.evaluate(election_data, "2019",
                             project=backtest.model("proportional", election_data, "2019"),
                             model="proportional")
    assert proj.battleground.total == base.battleground.total  # same seats judged
    assert proj.battleground.rate > base.battleground.rate
    assert proj.winner.rate > base.winner.rate
    later = backtest.evaluate(election_data, "2024",
                              project=backtest.model("proportional", election_data, "2024"),
                              model="proportional")
    assert later.winner.rate > backtest.evaluate(election_data, "2024").winner.rate


def test_parse_owner_poll_text():
    parties = {"Lab", "Con", "RUK", "LD", "Green", "SNP"}
    poll = national_polls.parse('Lab=30 Con=18 RUK=27 LD=13 Green=9 SNP=3 source="YouGov x"',
                                parties)
    assert poll["shares"]["RUK"] == 27 and poll["source"] == "YouGov x"
    for bad, message in [("Lab=30 Con=18", "source"), ("Lab=80 Con=30 source=x", "over 100"),
                         ("Pirates=3 Con=2 source=x", "unknown party"),
                         ("Lab=abc Con=3 source=x", "percentage"), ('Lab=3 source="x', "read")]:
        with pytest.raises(national_polls.PollInputError, match=message):
            national_polls.parse(bad, parties)


async def test_non_owner_cannot_set_national_polls(discord_bot):
    await discord_bot.send('!polls set Lab=30 Con=18 source="mine"')
    assert "only the bot's owners" in discord_bot.reply().content
    assert national_polls.latest(discord_bot.bot.service.guilds_db) is None


async def test_embed_shows_result_and_projection_when_they_disagree(discord_bot):
    discord_bot.bot.owner_ids.add(discord_bot.member(0).id)
    await discord_bot.grant_manage_server(0)
    await discord_bot.send("!config projections on")
    discord_bot.reply()
    await discord_bot.send('!polls set Lab=15 Con=18 RUK=30 LD=12 Green=20 '
                           'source="a test poll" date=2026-11-20')
    assert "National polls set for 2026-11-20" in discord_bot.reply().content
    await discord_bot.send("!howtovote Hendon")
    embed = discord_bot.reply().embeds[0]
    text = {f.name: f.value for f in embed.fields}["Result vs polls"]
    lines = text.splitlines()
    # the field leads with the headline's own call, then the last result, then the polls
    ours = lines[0].removeprefix("Our call (the seat model): ")
    assert ours != lines[0] and ours.split(" (")[0].casefold() in embed.description.casefold()
    assert lines[1] == "On the 2024 general election result alone: Labour"
    assert lines[2].startswith("On current polls (projection, 2026-11-20, proportional swing)")
    projected = lines[2].split(": ", 1)[1]
    assert ("The projection disagrees with our call" in text) == (projected != ours)
    assert "Polls: a test poll" in text
    await discord_bot.send("!howtovote Hendon", guild=1)  # not opted in: no projection
    assert "Result vs polls" not in {f.name for f in discord_bot.reply().embeds[0].fields}


@pytest.mark.full_data  # national shares from 66 seats are not the nations'
async def test_the_newest_polls_are_always_what_the_forecast_rests_on(discord_bot):
    """However far the polls move, the forecast rests on the newest: there is no range
    of swings outside which polls are refused."""
    discord_bot.bot.owner_ids.add(discord_bot.member(0).id)
    await discord_bot.send("!howtovote Hendon")
    before = discord_bot.reply().embeds[0]
    await discord_bot.send('!polls set Lab=5 Con=18 RUK=40 LD=12 Green=20 '
                           'source="a test poll" date=2026-11-20')
    discord_bot.reply()
    await discord_bot.send("!howtovote Hendon")
    after = discord_bot.reply().embeds[0]
    why = {f.name: f.value for f in after.fields}
    text = after.description + "".join(why.values())
    assert "polls of 2026-11-20" in text
    assert after.description != before.description  # Labour at 5% moves the chances
