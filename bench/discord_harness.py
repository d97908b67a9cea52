"""End-to-end through discord.py with dpytest: real command parsing, cogs, checks, views
and error handling; only Discord's servers are faked.

dpytest drops `components` and `allowed_mentions` from what the bot sends, so the harness
also records the exact payload discord.py put on the wire.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import discord
import discord.ext.test as dpytest
from discord.ext import commands
from discord.ext.test import factories

from bot.config import Settings
from bot.service import HowToVote
from cogs.utils.client import make_bot

MEMBERS = ["alice", "bob", "carol"]

# dpytest's snowflakes outgrow 64 bits after 4,096 of them in one process (its counter
# spills past its 12 bits, and SQLite then refuses the id); Discord's counter wraps
_make_id = factories.make_id


def _wrapping_make_id() -> int:
    factories.generated_ids %= 4096
    return _make_id()


factories.make_id = _wrapping_make_id
MEMBERS_PER_GUILD = len(MEMBERS)


@dataclass
class Harness:
    bot: commands.Bot
    payloads: list[dict] = field(default_factory=list)

    async def send(self, content: str, *, member: int = 0, channel: int = 0,
                   guild: int = 0, attachments: list[Path] | None = None) -> discord.Message:
        cfg = dpytest.get_config()
        chan = cfg.guilds[guild].text_channels[channel]
        who = cfg.members[guild * MEMBERS_PER_GUILD + member]
        message = await dpytest.message(content, channel=chan, member=who,
                                        attachments=attachments)
        await dpytest.run_all_events()
        return message

    def replies(self) -> list[discord.Message]:
        out = []
        while not dpytest.sent_queue.empty():
            out.append(dpytest.sent_queue.get_nowait())
        return out

    def reply(self) -> discord.Message:
        replies = self.replies()
        assert len(replies) == 1, [m.content for m in replies]
        return replies[0]

    def member(self, member: int = 0, guild: int = 0) -> discord.Member:
        return dpytest.get_config().members[guild * MEMBERS_PER_GUILD + member]

    def channel(self, channel: int = 0, guild: int = 0) -> discord.TextChannel:
        return dpytest.get_config().guilds[guild].text_channels[channel]

    async def grant_manage_server(self, member: int = 0, guild: int = 0) -> None:
        from discord.ext.test import backend
        g = dpytest.get_config().guilds[guild]
        role = backend.make_role("Moderators", g,
                                 permissions=discord.Permissions(manage_guild=True,
                                                                 send_messages=True).value)
        await dpytest.add_role(self.member(member, guild), role)

    def lift_cooldowns(self) -> None:
        """For load and fuzz runs: one fake user sends far more than any person would."""
        for command in self.bot.walk_commands():
            command._buckets._cooldown = None
        self.bot.service.moderator_rate = None  # moderators' limit is kept in the store

    def last_payload(self) -> dict:
        return self.payloads[-1]


async def start(settings: Settings, guilds=("Campaign HQ", "Elsewhere"),
                members: list[str] = MEMBERS, *, record: bool = True) -> Harness:
    """Our bot on dpytest; `record` keeps each payload as sent (tests read them; the
    benchmark does not, so both bots it compares do the same work per message)."""
    service = await HowToVote(settings).start()
    bot = make_bot(settings, service, sharded=False)
    await bot._async_setup_hook()
    await bot.setup_hook()
    configure(bot, guilds, members)
    # dpytest re-raises command errors into the test; the bot's own handler answers them
    bot.on_command_error = _quiet
    # dpytest saves each sent file as ./dpytest_<n>.dat: numbers of this process's own, so
    # test workers running side by side never write one file
    bot.http.fileno = os.getpid() * 1000
    harness = Harness(bot)
    if not record:
        return harness
    original = bot.http.send_message

    async def recording(channel_id, *, params):
        channel = sys._getframe(1).f_locals.get("channel")  # noqa: F841 (dpytest reads it)
        harness.payloads.append(wire_payload(params))
        return await original(channel_id, params=params)

    bot.http.send_message = recording
    return harness


def configure(bot: commands.Bot, guilds=("Campaign HQ", "Elsewhere"),
              members: list[str] = MEMBERS) -> None:
    """dpytest's fake Discord around a bot: the same for ours and for a bare one. The bot
    then runs with the intents `python bot.py` uses (no member cache)."""
    production = bot._connection._intents
    # dpytest builds its fake members through the member cache, which needs this intent
    # for the set-up alone
    bot._connection._intents = discord.Intents(production.value, members=True)
    bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(
        bot._connection._intents)
    dpytest.configure(bot, guilds=list(guilds), text_channels=["general", "announcements"],
                      members=list(members))
    bot._connection._intents = production
    bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(production)
    _serve_users_from_discord(bot)


def _serve_users_from_discord(bot: commands.Bot) -> None:
    """`GET /users/{id}` answered from the fake Discord's own records, as Discord does,
    not from the bot's cache (dpytest's own answer reads the bot's member cache)."""
    async def get_user(user_id: int) -> dict:
        user = next((m for m in dpytest.get_config().members if m.id == user_id), None)
        if user is None:
            raise discord.NotFound(_Response(404, "Not Found"), "Unknown User")
        return factories.make_user_dict(user.name, user.discriminator, None,
                                        id_num=user.id)

    bot.http.get_user = get_user


class _Response:
    """What discord.py's HTTP errors read from a response."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason


def forget_user(bot: commands.Bot, user_id: int) -> None:
    """The bot's caches as after a restart, for a user who has not spoken since: no
    member, user or DM channel of theirs (with the production intents nothing refills the
    member cache). dpytest builds the authors of fake messages from the member cache, so
    only users who stay silent can be forgotten."""
    state = bot._connection
    state._messages.clear()
    channel = state._private_channels_by_user.pop(user_id, None)
    if channel is not None:
        state._private_channels.pop(channel.id, None)
    state._users.pop(user_id, None)
    for guild in bot.guilds:
        if (member := guild._members.get(user_id)) is not None:
            guild._remove_member(member)


def close_dms(bot: commands.Bot, user_id: int) -> None:
    """That user's DMs are closed: Discord answers 403 to every message sent to them."""
    original = bot.http.send_message

    async def send_message(channel_id, *, params):
        channel = bot.get_channel(channel_id)  # noqa: F841 (dpytest reads it)
        dm = bot._connection._get_private_channel_by_user(user_id)
        if dm is not None and dm.id == channel_id:
            raise discord.Forbidden(_Response(403, "Forbidden"),
                                    {"code": 50007, "message": "Cannot send messages to "
                                                               "this user"})
        return await original(channel_id, params=params)

    bot.http.send_message = send_message


def wire_payload(params) -> dict:
    """The JSON discord.py sends; with files it travels as a multipart `payload_json`."""
    if params.payload is not None:
        return params.payload
    part = next((p for p in params.multipart or [] if p.get("name") == "payload_json"), None)
    return json.loads(part["value"]) if part else {}


async def _quiet(_ctx, _error) -> None:
    return None


async def stop(harness: Harness) -> None:
    await dpytest.empty_queue()
    for n in range(os.getpid() * 1000, harness.bot.http.fileno):
        Path(f"dpytest_{n}.dat").unlink(missing_ok=True)
    await harness.bot.stop_heartbeat()
    for name in list(harness.bot.cogs):  # their loops (the poll closer) stop with them
        await harness.bot.remove_cog(name)
    await harness.bot.service.close()  # no gateway to close: dpytest never connected one
