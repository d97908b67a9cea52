"""What voters use: howtovote, seat, elections (prefix and slash), and plain DMs."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.service import Answer
from bot.textnorm import carries_postcode
from cogs.utils.client import Bot
from cogs.utils.cooldowns import SweptCooldownMapping, cooldown
from cogs.utils.embeds import answer_embed
from cogs.utils.seats import add_seat_autocomplete
from cogs.utils.views import answer_view

MAX_INPUT = 200  # longer than any seat, place or postcode
TOO_LONG = (f"That's too long for me: type a postcode, seat or town (under {MAX_INPUT} "
            "characters).")
COOLDOWN = SweptCooldownMapping.from_cooldown(5, 30.0, commands.BucketType.user)


class Voters(commands.Cog):
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def _reply(self, ctx: commands.Context, query: str, answer: Answer,
                     files: list[discord.File] | None = None) -> None:
        postcode = carries_postcode(query)
        if answer.resolution.seat is None and not postcode:
            # a miss costs no try, unless it asked postcodes.io (that is what we ration)
            ctx.command.reset_cooldown(ctx)
        ephemeral = ctx.interaction is not None and postcode
        view = answer_view(answer, ctx.guild.id if ctx.guild else None, shareable=ephemeral)
        await ctx.send(embed=answer_embed(answer), view=view, files=files or [],
                       ephemeral=ephemeral)

    async def _too_long(self, ctx: commands.Context, query: str) -> bool:
        if len(query) > MAX_INPUT:
            ctx.command.reset_cooldown(ctx)
            await ctx.send(TOO_LONG, ephemeral=True)
            return True
        if ctx.interaction is not None:
            # a postcode lookup may take up to 3 s: Discord wants an answer within 3
            await ctx.defer(ephemeral=carries_postcode(query))
        return False

    @commands.hybrid_command(name="howtovote", aliases=["htv"])
    @cooldown(5, 30.0)
    @app_commands.describe(query="Your postcode, seat name, old seat name or town")
    async def howtovote(self, ctx: commands.Context, *, query: str) -> None:
        """Who is best placed to beat the Conservatives in your seat."""
        if await self._too_long(ctx, query):
            return
        guild_id = ctx.guild.id if ctx.guild else None
        await self._reply(ctx, query, await self.bot.service.answer(query, guild_id))

    @commands.hybrid_command(name="seat")
    @cooldown(5, 30.0)
    @app_commands.describe(query="Your postcode, seat name, old seat name or town")
    async def seat(self, ctx: commands.Context, *, query: str) -> None:
        """The full last result beside the 2019 one, with a chart."""
        if await self._too_long(ctx, query):
            return
        answer, chart = await self.bot.service.seat(query)
        files = [discord.File(io.BytesIO(chart), "result.png")] if chart else []
        await self._reply(ctx, query, answer, files)

    @commands.hybrid_command(name="elections")
    @cooldown(5, 30.0)
    @app_commands.describe(query="Your postcode, seat name, old seat name or town")
    async def elections(self, ctx: commands.Context, *, query: str) -> None:
        """Every election in a seat since 2010, with by-elections and pacts."""
        if await self._too_long(ctx, query):
            return
        await self._reply(ctx, query, await self.bot.service.elections(query))

    async def cog_load(self) -> None:
        self.bot.direct_messages = self.answer_direct_message

    async def cog_unload(self) -> None:
        self.bot.direct_messages = None

    async def answer_direct_message(self, message: discord.Message) -> bool:
        """In a DM, a bare place or postcode is a question: answer it like !howtovote.
        True when this handled the message (a command is left to the command handler)."""
        if message.author.bot or not message.content.strip():
            return message.author.bot
        prefixes = await self.bot.get_prefix(message)  # the prefix, or a mention of the bot
        if message.content.startswith(tuple(prefixes) if isinstance(prefixes, list)
                                      else prefixes):
            return False
        if COOLDOWN.update_rate_limit(message):
            return True
        query = message.content.strip()
        if len(query) > MAX_INPUT:
            await message.channel.send(TOO_LONG)
            return True
        answer = await self.bot.service.answer(query)
        await message.channel.send(embed=answer_embed(answer),
                                   view=answer_view(answer, None))
        return True


async def setup(bot: Bot) -> None:
    cog = Voters(bot)
    await bot.add_cog(cog)
    add_seat_autocomplete(bot, "query")
