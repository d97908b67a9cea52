"""The Context every command gets (as RoboDanny's cogs/utils/context.py): the service and
the server at hand, and sends that are safe by default (no pings, within Discord's
limits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.advice.render import fit_message
from cogs.utils.embeds import NO_MENTIONS

if TYPE_CHECKING:
    from bot.service import HowToVote


class Context(commands.Context):
    @property
    def service(self) -> HowToVote:
        return self.bot.service

    @property
    def guild_id(self) -> int | None:
        return self.guild.id if self.guild else None

    async def send(self, content: str | None = None, **kwargs) -> discord.Message:
        kwargs.setdefault("allowed_mentions", NO_MENTIONS)
        return await super().send(fit_message(content) if content else content, **kwargs)


class GuildContext(Context):
    """For commands that need a server (guarded by guild_only or a moderator check)."""

    guild: discord.Guild
    author: discord.Member
