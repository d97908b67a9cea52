"""Campaign straw polls with Discord's native polls; tallies persist in guilds.db."""

from __future__ import annotations

import contextlib
import io
import logging
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.advice.render import EmbedSpec, fit
from bot.community import poll_rules as polls
from bot.errors import NotRecorded
from bot.service import HowToVote
from bot.textnorm import safe_text
from cogs.utils.checks import is_moderator
from cogs.utils.client import Bot
from cogs.utils.context import GuildContext
from cogs.utils.embeds import to_embed
from cogs.utils.seats import Seat

log = logging.getLogger("howtovote.polls")
# how often each process looks for due polls: with the claim's lease
# (HOWTOVOTE_POLL_LEASE_SECONDS), the polls of a process that died are announced by another
# within a minute (30 s + 20 s by default)
LOOP_SECONDS = 20
PARTY_EMOJI = {"Con": "🔵", "Lab": "🔴", "LD": "🟠", "Green": "🟢", "SGP": "🟢", "GPNI": "🟢",
               "SNP": "🟡", "PC": "🟩", "RUK": "🩵", "SDLP": "🟩", "APNI": "🟨", "": "❔"}


class Polls(commands.Cog):
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.close_due.start()

    async def cog_unload(self) -> None:
        self.close_due.cancel()

    @property
    def service(self) -> HowToVote:
        return self.bot.service

    async def cog_check(self, ctx: GuildContext) -> bool:
        """Every poll command needs a server, sub-commands included."""
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        return True

    async def _polls_allowed(self, ctx: GuildContext) -> None:
        if not (await self.bot.service.settings_for(ctx.guild.id)).polls_enabled:
            raise polls.PollError("polls are off in this server (a moderator can turn them on "
                                  f"with `{self.bot.settings.prefix}config polls on`)")

    async def _post(self, ctx: GuildContext, question: str, answers: list[tuple[str, str]],
                    hours: int, seat_code: str | None) -> None:
        question, texts = polls.validate(question, [text for _, text in answers], hours)
        poll = discord.Poll(question=question, duration=timedelta(hours=hours))
        for party, text in answers:
            poll.add_answer(text=text, emoji=PARTY_EMOJI.get(party))
        message = await ctx.send(poll=poll)
        try:
            record = await self.service.create_poll(
                guild_id=ctx.guild.id, channel_id=ctx.channel.id, message_id=message.id,
                seat_code=seat_code, question=question, options=texts, hours=hours,
                created_by=ctx.author.id)
        except NotRecorded as exc:
            # a poll we cannot record must not stay up: take it down and say why
            log.error("could not record a poll in server %s: %s", ctx.guild.id, exc.__cause__)
            with contextlib.suppress(discord.HTTPException):
                await message.delete()
            raise NotRecorded("the poll could not be saved (a storage problem), so it was "
                              "removed; try again later") from exc
        await ctx.send(f"Poll #{record.id} is open for {hours} hours. A straw poll of members, "
                       "not a representative poll.", ephemeral=True)

    @commands.hybrid_group(name="poll", fallback="list")
    @commands.guild_only()
    async def poll(self, ctx: GuildContext) -> None:
        """Open polls in this server."""
        open_now = await self.service.open_polls(ctx.guild.id)
        lines = [f"#{p.id}: {safe_text(p.question, 100)} (until {p.ends_at[:16]} UTC)"
                 for p in open_now]
        await ctx.send(embed=to_embed(fit(EmbedSpec("Open polls", "\n".join(lines) or
                                                    "No open polls.", 0x5865F2))))

    @poll.command(name="seat")
    @is_moderator()
    @app_commands.describe(seat="The seat", hours="How long it runs: 1 to 168 hours")
    async def poll_seat(self, ctx: GuildContext, seat: Seat, hours: int = 24) -> None:
        """Ask members how they will vote in a seat (moderators)."""
        await self._polls_allowed(ctx)
        answers = await self.bot.service.seat_poll_options(seat.code, ctx.guild.id)
        await self._post(ctx, f"How will you vote in {seat.name}?", answers, hours,
                         seat.code)

    @poll.command(name="ask")
    @is_moderator()
    @app_commands.describe(question="The question",
                           options="2 to 10 options separated by |")
    async def poll_ask(self, ctx: GuildContext, question: str, *, options: str) -> None:
        """A free-form poll: !poll ask "Question?" option | option | ... (moderators)."""
        await self._polls_allowed(ctx)
        await self._post(ctx, question, [("", o) for o in polls.parse_options(options)], 24,
                         None)

    @poll.command(name="results")
    @app_commands.describe(seat="The seat")
    async def poll_results(self, ctx: GuildContext, *, seat: Seat) -> None:
        """The latest poll on a seat in this server."""
        poll = await self.service.latest_poll_for_seat(ctx.guild.id, seat.code)
        if poll is None:
            raise polls.PollError(f"no poll on {seat.name} in this server yet")
        await self._send_results(ctx, poll)

    @poll.command(name="end")
    @is_moderator()
    @app_commands.describe(poll_id="The poll's number, from /poll list")
    async def poll_end(self, ctx: GuildContext, poll_id: int) -> None:
        """Close a poll now and post its results (moderators)."""
        await ctx.defer()  # Discord may take a moment to close the poll
        poll = await self.service.end_poll(poll_id, ctx.guild.id)
        await self._take_discord_counts(poll, end=True)
        await self._send_results(ctx, poll)

    async def _take_discord_counts(self, poll: polls.Poll, *, end: bool = False) -> None:
        """Discord's own counts (and, with `end`, close the poll there too). If Discord
        cannot be asked, the counts we tallied from vote events stand."""
        channel = self.bot.get_channel(poll.channel_id)
        with contextlib.suppress(discord.HTTPException, AttributeError, LookupError):
            message = await channel.fetch_message(poll.message_id)
            if message.poll is None:
                return
            if end and not message.poll.is_finalised():
                message = await message.end_poll()
            await self.service.reconcile_poll(poll.message_id,
                                              {a.id: a.vote_count for a in message.poll.answers})

    async def _send_results(self, target: discord.abc.Messageable, poll: polls.Poll) -> None:
        """To a command's context (which answers a slash interaction) or a channel."""
        spec, chart = await self.bot.service.poll_results(poll)
        await target.send(embed=to_embed(spec), file=discord.File(io.BytesIO(chart),
                                                                   "poll.png"))

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.service.record_poll_vote(payload.message_id, payload.answer_id,
                                            payload.user_id, True)

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.service.record_poll_vote(payload.message_id, payload.answer_id,
                                            payload.user_id, False)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After a restart: take Discord's counts for every open poll (votes cast while we
        were down are in them)."""
        for poll in await self.service.open_polls():
            await self._take_discord_counts(poll)

    @tasks.loop(seconds=LOOP_SECONDS)
    async def close_due(self) -> None:
        """Post the results of polls whose time is up. Every process of the fleet looks,
        whatever its shards: each due poll is claimed in the store for a while (so it is
        announced once), and a claim left by a process that died lapses, so its polls
        are announced by another within a minute. Nothing here may stop the loop."""
        try:
            due = await self.service.claim_due_polls()
        except Exception as exc:  # the database is restarting, say: the next turn asks
            log.warning("could not look for due polls: %s", exc)
            return
        for poll in due:
            try:
                await self._announce(poll)
            except Exception:  # its claim lapses, and this or another process tries again
                log.exception("could not announce poll %s", poll.id)

    async def _announce(self, poll: polls.Poll) -> None:
        channel = self.bot.get_channel(poll.channel_id)
        if channel is None:  # another shard's server: reach it over the REST API
            with contextlib.suppress(discord.HTTPException):
                channel = await self.bot.fetch_channel(poll.channel_id)
        await self._take_discord_counts(poll, end=True)
        if channel is not None:
            with contextlib.suppress(discord.HTTPException):
                await self._send_results(channel, poll)
        if not await self.service.poll_announced(poll.id):
            log.warning("poll %s was announced late: another process took it over", poll.id)

    @close_due.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: Bot) -> None:
    await bot.add_cog(Polls(bot))
