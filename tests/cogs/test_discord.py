"""The Discord bot end to end: a message in, the bot's reply out."""

from __future__ import annotations

import discord
import pytest

from cogs.utils.client import extensions, intents


def fields(message: discord.Message) -> dict[str, str]:
    return {f.name: f.value for f in message.embeds[0].fields}


def buttons(payload: dict) -> list[str]:
    return [c.get("label") or c.get("placeholder") for row in payload.get("components", [])
            for c in row["components"]]


async def test_howtovote_batley(discord_bot):
    await discord_bot.send("!howtovote Batley")
    reply = discord_bot.reply()
    embed = reply.embeds[0]
    assert embed.title == "How to vote in Dewsbury and Batley"
    assert "Matched the place name “Batley” to Dewsbury and Batley." in embed.description
    result = fields(reply)["2024 general election result"]
    assert "✅ Independent (Iqbal Mohamed): 15,641 (41.1%)" in result
    assert "🎯 Conservative (Lalit Suryawanshi): 4,182 (11.0%)" in result
    payload = discord_bot.last_payload()
    assert payload["allowed_mentions"] == {"parse": []}
    assert buttons(payload) == ["Full result", "Elections", "Official results", "Other matches"]


async def test_old_seat_name(discord_bot):
    await discord_bot.send("!howtovote Brecon and Radnorshire")
    embed = discord_bot.reply().embeds[0]
    assert embed.title == "How to vote in Brecon, Radnor and Cwm Tawe"
    assert "redrawn in 2024" in embed.description
    assert embed.colour.value == 0xFAA61A  # Liberal Democrat


async def test_postcode_through_fake_postcodes_io(discord_bot):
    await discord_bot.send("!howtovote cf10 1aa")
    embed = discord_bot.reply().embeds[0]
    assert embed.title == "How to vote in Cardiff South and Penarth"
    assert "Matched CF10 1AA" in embed.description


async def test_gibberish_is_a_friendly_no_match_and_costs_no_cooldown(discord_bot):
    for _ in range(8):  # more than the cooldown allows: misses are refunded
        await discord_bot.send("!howtovote qwzxv plmokn")
        reply = discord_bot.reply()
        assert reply.embeds[0].title == "No seat found"
        assert "No seat matches" in reply.embeds[0].description


async def test_ambiguous_query_offers_a_choice(discord_bot):
    await discord_bot.send("!howtovote Birmingham")
    reply = discord_bot.reply()
    assert reply.embeds[0].title == "Which seat?"
    assert buttons(discord_bot.last_payload()) == ["Did you mean…", "Official results"]


async def test_mentions_never_ping(discord_bot):
    import discord.ext.test as dpytest
    bob = dpytest.get_config().members[1]
    await discord_bot.send(f"!howtovote @everyone <@{bob.id}> **Batley**")
    reply = discord_bot.reply()
    assert discord_bot.last_payload()["allowed_mentions"] == {"parse": []}
    assert not reply.mentions and not reply.role_mentions and not reply.mention_everyone


async def test_huge_message_is_refused_politely(discord_bot):
    await discord_bot.send("!howtovote " + "Batley " * 430)
    reply = discord_bot.reply()
    assert "too long" in reply.content and not reply.embeds


async def test_cooldown_says_slow_down(discord_bot):
    for _ in range(5):
        await discord_bot.send("!howtovote Hendon")
        assert discord_bot.reply().embeds
    await discord_bot.send("!howtovote Hendon")
    assert "Slow down a little" in discord_bot.reply().content


async def test_seat_command_posts_results_and_chart(discord_bot):
    await discord_bot.send("!seat Batley")
    discord_bot.reply()
    payload = discord_bot.last_payload()  # sent as multipart, with the chart attached
    embed = payload["embeds"][0]
    assert embed["title"] == "Dewsbury and Batley: full result"
    assert "2019 (notional, 2024 boundaries)" in [f["name"] for f in embed["fields"]]
    assert [a["filename"] for a in payload["attachments"]] == ["result.png"]
    assert payload["allowed_mentions"] == {"parse": []}


async def test_elections_command(discord_bot):
    await discord_bot.send("!elections Batley")
    reply = discord_bot.reply()
    text = " ".join(f"{k} {v}" for k, v in fields(reply).items())
    assert "Batley and Spen by-election 2021" in text and "stood aside: Green" in text


async def test_help_and_unknown_command(discord_bot):
    await discord_bot.send("!help")
    assert "tactical voting advice" in discord_bot.reply().embeds[0].title
    await discord_bot.send("!nosuchcommand")
    assert discord_bot.replies() == []


async def test_missing_argument_is_explained(discord_bot):
    await discord_bot.send("!howtovote")
    assert "Try `!help howtovote`" in discord_bot.reply().content


async def test_internal_error_becomes_a_friendly_reply(discord_bot, monkeypatch, caplog):
    async def boom(*_a, **_k):
        raise RuntimeError("database on fire")
    monkeypatch.setattr(discord_bot.bot.service, "answer", boom)
    await discord_bot.send("!howtovote Hendon")
    assert "something went wrong" in discord_bot.reply().content
    assert "database on fire" in caplog.text and "Hendon" not in caplog.text


async def test_slash_autocomplete(discord_bot):
    from types import SimpleNamespace

    from cogs.utils.seats import seat_choices
    interaction = SimpleNamespace(client=discord_bot.bot)
    choices = await seat_choices(interaction, "dewsb")
    assert choices[0].name == "Dewsbury and Batley" and len(choices) <= 25
    assert len(await seat_choices(interaction, "x" * 5000)) <= 25
    howtovote = discord_bot.bot.tree.get_command("howtovote")
    assert howtovote._params["query"].autocomplete is seat_choices


def test_intents_and_extensions():
    it = intents()
    assert it.message_content and it.guilds and not it.members and not it.presences
    assert set(extensions()) >= {"cogs.voters", "cogs.errors", "cogs.meta"}


@pytest.mark.parametrize("query, private", [("WF13 1AB", True), ("wf131ab", True),
                                            ("Batley", False)])
def test_slash_replies_with_postcodes_are_ephemeral(query, private):
    from cogs.voters import carries_postcode
    assert carries_postcode(query) is private


WRONG_TOKEN_RUN = """
import runpy, sys
import discord.http
discord.http.Route.BASE = sys.argv[1]
sys.argv = ["bot.py"]
runpy.run_path("bot.py", run_name="__main__")
"""


async def test_wrong_token_is_a_clear_message_not_a_traceback(settings):
    """`python bot.py` against a local stand-in for Discord's API that refuses the token."""
    import asyncio
    import os
    import sys

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from bot.config import PROJECT_ROOT

    async def unauthorized(_request):
        return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unauthorized)
    async with TestServer(app, host="127.0.0.1") as server:
        env = {**os.environ, "DISCORD_TOKEN": "not-a-real-token",
               "HOWTOVOTE_DB_DIR": str(settings.db_dir)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRONG_TOKEN_RUN, str(server.make_url("/api/v10")),
            cwd=PROJECT_ROOT, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 3
    assert "Discord refused the token" in err.decode()
    assert "Traceback" not in err.decode()


class FakeResponse:
    def __init__(self):
        self.sent: list[dict] = []

    async def send_message(self, content=None, **kwargs):
        self.sent.append({"content": content, **kwargs})


def fake_interaction(user_id: int):
    from types import SimpleNamespace
    return SimpleNamespace(user=SimpleNamespace(id=user_id), response=FakeResponse())


async def test_answer_buttons_and_seat_picker(discord_bot):
    from cogs.utils.views import SeatButton, SeatPick, answer_view
    service = discord_bot.bot.service
    answer = await service.answer("Batley")
    view = answer_view(answer, guild_id=None)
    assert view.timeout is None  # nothing to expire: the buttons work as long as the message
    assert answer_view(answer, guild_id=None) is view  # built once per answer
    items = {getattr(item, "action", type(item)): item for item in view.children}
    clicked = fake_interaction(1)
    clicked.client = discord_bot.bot
    await items["full"].callback(clicked)
    sent = clicked.response.sent[0]
    assert sent["embed"].title == "Dewsbury and Batley: full result" and sent["ephemeral"]
    assert sent["files"][0].filename == "result.png"
    await items["elections"].callback(clicked)
    assert "Elections in Dewsbury and Batley" in clicked.response.sent[1]["embed"].title
    picker = items[SeatPick]
    picker.item._values = ["E14001506"]  # as if the user picked Spen Valley in "Other matches"
    await picker.callback(clicked)
    assert clicked.response.sent[2]["embed"].title == "How to vote in Spen Valley"
    # anyone in the channel may press: the reply goes privately to whoever pressed
    stranger = fake_interaction(2)
    stranger.client = discord_bot.bot
    await items["elections"].callback(stranger)
    assert stranger.response.sent[0]["ephemeral"]
    # rebuilt from its custom id alone (after a restart, or on another process of a fleet)
    button = items["full"]
    match = SeatButton.__discord_ui_compiled_template__.fullmatch(button.custom_id)
    again = await SeatButton.from_custom_id(clicked, button.item, match)
    assert (again.action, again.seat) == ("full", "E14001196")


async def test_answers_leave_no_state_behind(discord_bot):
    store = discord_bot.bot._connection._view_store
    discord_bot.lift_cooldowns()
    for _ in range(20):
        await discord_bot.send("!howtovote Batley")
        assert buttons(discord_bot.last_payload())[:2] == ["Full result", "Elections"]
    discord_bot.replies()
    assert not store._synced_message_views and not store._views


async def test_a_dm_is_answered_like_a_server(discord_bot):
    import discord.ext.test as dpytest
    member = discord_bot.member(0)
    dm = await member.create_dm()
    await dpytest.message("Batley", channel=dm, member=member)
    await dpytest.run_all_events()
    reply = discord_bot.reply()
    assert reply.embeds[0].title == "How to vote in Dewsbury and Batley"
    await dpytest.message("!howtovote Hendon", channel=dm, member=member)
    await dpytest.run_all_events()
    assert discord_bot.reply().embeds[0].title == "How to vote in Hendon"


async def test_slash_reply_with_a_postcode_is_ephemeral(discord_bot):
    """The slash path (a context with an interaction): postcodes stay private."""
    from types import SimpleNamespace
    cog = discord_bot.bot.get_cog("Voters")
    sent = []

    async def send(**kwargs):
        sent.append(kwargs)
        return None

    for query, private in [("cf10 1aa", True), ("Batley", False)]:
        ctx = SimpleNamespace(interaction=object(), author=SimpleNamespace(id=1), guild=None,
                              command=SimpleNamespace(reset_cooldown=lambda _ctx: None),
                              send=send)
        await cog._reply(ctx, query, await discord_bot.bot.service.answer(query))
        assert sent[-1]["ephemeral"] is private  # no pings: Context.send's default


async def test_help_lists_every_command_and_explains_one(discord_bot):
    from cogs.utils.helptext import listed
    await discord_bot.send("!help")
    embed = discord_bot.reply().embeds[0]
    shown = " ".join(f.value for f in embed.fields)
    commands = listed(discord_bot.bot)
    assert len(commands) > 20
    for command in commands:  # a new command cannot be left out
        assert f"`!{command.qualified_name}`" in shown, command.qualified_name
    await discord_bot.send("!help howtovote")
    detail = discord_bot.reply().embeds[0]
    assert detail.title == "!howtovote"
    assert "best placed to beat the Conservatives" in detail.description
    usage = {f.name: f.value for f in detail.fields}
    assert usage["Usage"] == "`!howtovote <query>`" and "`!htv`" in usage["Also"]
    await discord_bot.send("!help nosuchthing")
    assert "no command by that name" in discord_bot.reply().content


async def test_about_says_version_data_and_speed(discord_bot):
    await discord_bot.send("!howtovote Hendon")
    discord_bot.replies()
    await discord_bot.send("!about")
    text = discord_bot.reply().embeds[0].description
    assert "Version 0.1.0; election data to" in text and "Serving 2 servers" in text
    assert "Answers since start: 1, median" in text


async def test_every_command_has_a_slash_twin_and_moderator_ones_are_hidden(discord_bot):
    from discord import app_commands

    from cogs.utils.helptext import listed
    bot = discord_bot.bot
    slash = {c.qualified_name for c in bot.tree.walk_commands()}
    for command in listed(bot):
        if command.qualified_name != "help":  # /help is its own app command
            assert command.qualified_name in slash, command.qualified_name
    assert "help" in slash
    for name in ("pact", "note", "override", "byelection", "revert", "config", "withdraw",
                 "candidate", "pact-end"):
        perms = bot.tree.get_command(name).default_permissions
        assert perms is not None and perms.manage_guild, name
    for name in ("make-global", "sync", "cache-clear", "polls"):
        command = bot.tree.get_command(name)
        perms = command.default_permissions
        assert perms is not None and perms.administrator, name
    assert bot.tree.get_command("howtovote").default_permissions is None
    assert isinstance(bot.tree.get_command("howtovote"), app_commands.Command)


async def test_the_readme_command_table_matches_the_help(discord_bot):
    from bot.config import PROJECT_ROOT
    from cogs.utils.helptext import listed
    table = "\n".join(line for line in (PROJECT_ROOT / "README.md").read_text().splitlines()
                      if line.startswith("| `!"))
    for command in listed(discord_bot.bot):
        assert f"`!{command.qualified_name}" in table, command.qualified_name


async def test_share_posts_the_advice_without_the_postcode(discord_bot, fake_postcodes):
    from types import SimpleNamespace

    from cogs.utils.views import Share, answer_view
    service = discord_bot.bot.service
    answer = await service.answer("cf10 1aa", 10)
    assert "CF10 1AA" in answer.embed.description  # the private answer names it
    view = answer_view(answer, guild_id=10, shareable=True)
    share = next(item for item in view.children if isinstance(item, Share))
    posted = []

    async def channel_send(content=None, **kwargs):
        posted.append((content, kwargs))

    clicked = fake_interaction(1)
    clicked.client = discord_bot.bot
    clicked.user.display_name = "**alice** @everyone"
    clicked.channel = SimpleNamespace(send=channel_send)
    await share.callback(clicked)
    content, kwargs = posted[0]
    embed = kwargs["embed"]
    everything = content + embed.title + (embed.description or "") + "".join(
        f.name + f.value for f in embed.fields)
    assert embed.title == "How to vote in Cardiff South and Penarth"
    assert "CF10" not in everything.upper().replace(" ", "") and "1AA" not in everything
    assert content.startswith("\\*\\*alice\\*\\* @\u200beveryone shared the advice")
    assert clicked.response.sent[0]["ephemeral"]
    plain = answer_view(answer, guild_id=10)
    assert not any(isinstance(item, Share) for item in plain.children)


async def test_the_seat_converter_one_several_none(discord_bot):
    await discord_bot.send('!history "Dewsbury and Batley"')
    assert discord_bot.reply().embeds[0].title == "Updates on Dewsbury and Batley"
    await discord_bot.send("!history Birmingham")
    several = discord_bot.reply().content
    assert several.startswith("Not done:") and "Birmingham Edgbaston" in several
    await discord_bot.send("!subscribe Qwzxvplmokn")
    none = discord_bot.reply().content
    assert none.startswith("Not done:") and "No seat matches" in none
    # the same converter is the slash transformer, with autocomplete
    param = next(p for p in discord_bot.bot.tree.get_command("history").parameters
                 if p.name == "seat")
    assert param.autocomplete


async def test_a_process_of_the_fleet_connects_only_its_own_shards(settings):
    """HOWTOVOTE_SHARD_COUNT and HOWTOVOTE_SHARD_IDS reach discord.py: this process opens
    shards 2 and 5 of 8, and the others are left to the rest of the fleet."""
    from dataclasses import replace

    from discord.ext import commands as ext

    from bot.service import HowToVote
    from cogs.utils.client import make_bot

    fleet = replace(settings, shard_count=8, shard_ids=(2, 5))
    bot = make_bot(fleet, HowToVote(fleet))
    assert isinstance(bot, ext.AutoShardedBot)
    assert (bot.shard_count, bot.shard_ids) == (8, [2, 5])


async def test_refusals_keep_our_code_spans_and_escape_only_the_users_text(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!pact "Godalming and Ash" LD Lab')
    discord_bot.reply()
    await discord_bot.send('!withdraw "Godalming and Ash" LD')
    reply = discord_bot.reply().content
    assert "(update #1): end the pact first (`pact-end`)" in reply, reply
    await discord_bot.send('!withdraw "Godalming and Ash" **[x](http://e.example)**')
    reply = discord_bot.reply().content
    assert r"\*\*\[x\](http://e.example)\*\*" in reply or r"\*\*\[x\]" in reply, reply


async def test_help_never_cuts_a_code_span(discord_bot):
    from cogs.utils.helptext import listed, summary
    for command in listed(discord_bot.bot):
        assert summary(command).count("`") % 2 == 0, command.qualified_name
    await discord_bot.send("!help")
    text = "\n".join(f.value for f in discord_bot.reply().embeds[0].fields)
    assert '`!projections import "YouGov MRP" 2029-04-30` with the file attached' in text
