"""Moderators keep their server's seat information current: settings, pacts, candidates,
withdrawals, notes, overrides and newer results, with a full history; voters can follow a
seat and hear when its advice changes. All logic lives in the core; this is the wiring."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.advice.render import EmbedField, EmbedSpec, fit, fit_message
from bot.models import SeatRef, SeatUpdate
from bot.service import Answer, Change, HowToVote
from bot.textnorm import safe_text
from cogs.utils.checks import can_manage_server, moderator_command
from cogs.utils.client import Bot
from cogs.utils.context import GuildContext
from cogs.utils.embeds import to_embed
from cogs.utils.seats import Seat

log = logging.getLogger("howtovote.moderation")
SEAT = "The seat (put names with spaces in quotes for ! commands)"


def describe(update: SeatUpdate) -> str:
    p = update.payload
    aside = ", ".join(dict.fromkeys(p.get("standing_aside", []))) or "nobody"
    return {
        "pact": f"pact: {update.party} is the agreed candidate; standing aside: {aside}",
        "pact-end": "pact ended",
        "candidate": f"declared candidate: {safe_text(p.get('name', ''), 100)} "
                     f"({update.party})",
        "withdraw": f"{update.party} withdrew",
        "note": f"note: {safe_text(p.get('text', ''), 200)}",
        "override": f"moderators' call: {update.party} ({safe_text(p.get('reason', ''), 200)})",
        "byelection": "newer result: " + ", ".join(f"{k} {v:,}" for k, v in
                                                   p.get("votes", {}).items()),
        "revert": f"reverted #{update.reverts_id} ({p.get('of', '')})",
    }.get(update.kind, update.kind)


class Moderation(commands.Cog):
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @property
    def service(self) -> HowToVote:
        return self.bot.service

    # -- settings ----------------------------------------------------------------------
    @commands.hybrid_command(name="config")
    @app_commands.default_permissions(manage_guild=True)  # hidden from members
    @can_manage_server()
    @app_commands.describe(key="A setting (leave empty to see them all)", value="Its new value")
    async def config(self, ctx: GuildContext, key: str = "", *, value: str = "") -> None:
        """See or change this server's settings (Manage Server)."""
        if key and value:
            await self.service.set_setting(ctx.guild.id, key, value, ctx.author.id)
        s = await self.service.settings_for(ctx.guild.id)
        lines = [f"{key}: {s.shown(key)}" for key in self.service.setting_keys()]
        help_text = "\n".join(f"`{k}`: {v}" for k, v in self.service.setting_keys().items())
        spec = fit(EmbedSpec("Server settings", "\n".join(lines), 0x5865F2,
                             (EmbedField("Change one", f"`{self.bot.settings.prefix}config "
                                                       f"<setting> <value>`\n{help_text}"),)))
        await ctx.send(embed=to_embed(spec))


    # -- seat updates --------------------------------------------------------------------
    async def _post(self, ctx: GuildContext, seat: SeatRef, kind: str, party: str | None,
                    payload: dict) -> None:
        code = self.service.party_code(party) if party else None
        change = await self.service.post_update(ctx.guild.id, seat.code, kind, code,
                                                payload, ctx.author.id, str(ctx.author))
        await self._announce(ctx, change)

    async def _announce(self, ctx: GuildContext, change: Change) -> None:
        update, after = change.update, change.after
        summary = fit_message(f"Update #{update.id} on {after.resolution.seat.name} by "
                              f"{safe_text(update.author_name, 80)}: {describe(update)}")
        try:
            await ctx.send(summary, embed=to_embed(after.embed))
        except discord.HTTPException as exc:
            # the update is recorded: say so plainly rather than "Sorry"
            log.warning("could not post update %s: %s", update.id, exc)
            await ctx.send(fit_message(f"Update #{update.id} is recorded, but Discord refused "
                                       f"the announcement ({exc.status}). See `history`."))
        settings = await self.service.settings_for(ctx.guild.id)
        channel = (ctx.guild.get_channel(settings.announce_channel_id)
                   if settings.announce_channel_id else None)
        if channel is not None and channel != ctx.channel:
            try:
                await channel.send(summary, embed=to_embed(after.embed))
            except discord.HTTPException:
                log.warning("could not announce in server %s", ctx.guild.id)
        if after.fingerprint != change.before.fingerprint:
            await self._notify(ctx, update.seat_code, after)

    async def _notify(self, ctx: GuildContext, seat_code: str, after: Answer) -> None:
        """DM each subscriber over REST: the production intents keep no member cache, so
        a subscriber is fetched by id, never looked up in a cache. Marked told only once
        Discord took the DM; a refusal (DMs closed) is recorded and not retried."""
        service = self.service
        for user_id in await service.subscribers_to_tell(ctx.guild.id, seat_code,
                                                         after.fingerprint):
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                await user.send(f"The advice for {after.resolution.seat.name} changed in "
                                f"{safe_text(ctx.guild.name, 100)}:",
                                embed=to_embed(after.embed))
            except (discord.Forbidden, discord.NotFound):
                log.info("a subscriber's DMs are closed; not trying them again")
                await service.subscriber_refused(ctx.guild.id, seat_code, user_id)
            except discord.HTTPException as exc:
                log.warning("could not DM a subscriber (%s); they hear at the next change",
                            exc.status)
            else:
                await service.subscriber_told(ctx.guild.id, seat_code, user_id,
                                              after.fingerprint)

    @moderator_command("pact")
    @app_commands.describe(seat=SEAT, party="The agreed candidate's party",
                           standing_aside="Parties standing aside, e.g. LD Green")
    async def pact(self, ctx: GuildContext, seat: Seat, party: str, *,
                   standing_aside: str = "") -> None:
        """Record a pact: the agreed candidate and who stands aside."""
        aside = list(dict.fromkeys(self.service.party_code(p)
                                   for p in standing_aside.replace(",", " ").split()))
        await self._post(ctx, seat, "pact", party, {"standing_aside": aside})

    @moderator_command("pact-end")
    @app_commands.describe(seat=SEAT)
    async def pact_end(self, ctx: GuildContext, *, seat: Seat) -> None:
        """End the pact on a seat."""
        await self._post(ctx, seat, "pact-end", None, {})

    @moderator_command("candidate")
    @app_commands.describe(seat=SEAT, party="Their party", name="The candidate's name")
    async def candidate(self, ctx: GuildContext, seat: Seat, party: str, *, name: str
                        ) -> None:
        """Record a declared candidate for the next election."""
        await self._post(ctx, seat, "candidate", party, {"name": name})

    @moderator_command("withdraw")
    @app_commands.describe(seat=SEAT, party="The party that withdrew")
    async def withdraw(self, ctx: GuildContext, seat: Seat, party: str) -> None:
        """A party withdraws: it drops out of the recommendation."""
        await self._post(ctx, seat, "withdraw", party, {})

    @moderator_command("note")
    @app_commands.describe(seat=SEAT, text="A short note shown under the advice")
    async def note(self, ctx: GuildContext, seat: Seat, *, text: str) -> None:
        """Add a short note shown under the advice."""
        await self._post(ctx, seat, "note", None, {"text": text})

    @moderator_command("override")
    @app_commands.describe(seat=SEAT, party="The party you recommend", reason="Why")
    async def override(self, ctx: GuildContext, seat: Seat, party: str, *, reason: str
                       ) -> None:
        """The server's own recommendation, shown beside the data's."""
        name = self.service.data.party(self.service.party_code(party)).name
        await self._post(ctx, seat, "override", party, {"reason": reason, "party_name": name})

    @moderator_command("byelection")
    @app_commands.describe(seat=SEAT, results="e.g. Lab=12000 Con=9000 LD=3000 2026-05-07")
    async def byelection(self, ctx: GuildContext, seat: Seat, *, results: str) -> None:
        """Record a newer result (party=votes ... [date]) that the advice then uses."""
        votes, when = self.service.parse_result(results)
        payload = {"votes": votes, **({"date": when} if when else {})}
        await self._post(ctx, seat, "byelection", None, payload)

    @commands.hybrid_command(name="history")
    @commands.guild_only()
    @app_commands.describe(seat=SEAT)
    async def history(self, ctx: GuildContext, *, seat: Seat) -> None:
        """Every moderator update on a seat in this server, with who and when."""
        items = await self.service.history(ctx.guild.id, seat.code)
        lines = [f"#{i.update.id} {i.update.created_at[:16].replace('T', ' ')} "
                 f"{safe_text(i.update.author_name, 60)}"
                 f"{' (all servers)' if i.update.guild_id is None else ''}: {describe(i.update)}"
                 + (f" — reverted by #{i.reverted_by}" if i.reverted_by else "")
                 for i in items]
        spec = fit(EmbedSpec(f"Updates on {seat.name}",
                             "\n".join(lines[-40:]) or "No updates yet.", 0x5865F2))
        await ctx.send(embed=to_embed(spec))

    @moderator_command("revert")
    @app_commands.describe(update_id="The update's number, from history")
    async def revert(self, ctx: GuildContext, update_id: int) -> None:
        """Undo an update (a revert record is added; nothing is deleted)."""
        change = await self.service.revert_update(ctx.guild.id, update_id, ctx.author.id,
                                                  str(ctx.author))
        await self._announce(ctx, change)
        if change.update.guild_id is None:
            await self._announce_everywhere(change.update, ctx.guild.id)

    @commands.hybrid_command(name="make-global")
    @app_commands.default_permissions(administrator=True)
    @commands.is_owner()
    async def make_global(self, ctx: GuildContext, update_id: int) -> None:
        """Owners: share an update (a nationally agreed pact) with every server."""
        update = await self.service.make_global(update_id, ctx.author.id, str(ctx.author))
        await ctx.send(f"Update #{update_id} now applies in every server as #{update.id}.")
        await self._announce_everywhere(update)

    async def _announce_everywhere(self, update: SeatUpdate, skip: int | None = None) -> None:
        """Tell every server with an announcements channel about an all-servers update."""
        seat = self.service.resolver.seat(update.seat_code)
        summary = fit_message(f"Update #{update.id} for all servers on "
                              f"{seat.name if seat else ''} by "
                              f"{safe_text(update.author_name, 80)}: {describe(update)}")
        for guild in self.bot.guilds:
            settings = await self.service.settings_for(guild.id)
            channel = (guild.get_channel(settings.announce_channel_id)
                       if settings.announce_channel_id and guild.id != skip else None)
            if channel is None:
                continue
            try:
                await channel.send(summary)
            except discord.HTTPException:
                log.warning("could not announce a global update in server %s", guild.id)

    # -- following a seat ----------------------------------------------------------------
    @commands.hybrid_command(name="subscribe")
    @commands.guild_only()
    @app_commands.describe(seat=SEAT)
    async def subscribe(self, ctx: GuildContext, *, seat: Seat) -> None:
        """Get a DM when the advice for a seat changes in this server."""
        new = await self.service.subscribe(ctx.guild.id, ctx.author.id, seat.code)
        await ctx.send(f"{'Following' if new else 'Already following'} {seat.name}: I'll "
                       "DM you when its advice changes here.", ephemeral=True)

    @commands.hybrid_command(name="unsubscribe")
    @commands.guild_only()
    @app_commands.describe(seat=SEAT)
    async def unsubscribe(self, ctx: GuildContext, *, seat: Seat) -> None:
        """Stop following a seat."""
        gone = await self.service.unsubscribe(ctx.guild.id, ctx.author.id, seat.code)
        await ctx.send(f"{'Stopped following' if gone else 'You were not following'} "
                       f"{seat.name}.", ephemeral=True)


async def setup(bot: Bot) -> None:
    cog = Moderation(bot)
    await bot.add_cog(cog)
