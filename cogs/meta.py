"""Help, and the owner's manual slash-command sync."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.advice.render import EmbedSpec, fit, fit_message
from bot.textnorm import count, safe_text
from cogs.utils import helptext
from cogs.utils.client import Bot
from cogs.utils.embeds import to_embed


class Meta(commands.Cog):
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="How to use howtovote, or one command")
    @app_commands.describe(command="A command to explain (leave empty for all)")
    async def slash_help(self, interaction: discord.Interaction, command: str = "") -> None:
        found = helptext.find(self.bot, command) if command else None
        spec = helptext.detail(found, "/") if found else helptext.overview(self.bot, "/")
        await interaction.response.send_message(embed=to_embed(spec), ephemeral=True)

    @commands.hybrid_command(name="about")
    async def about(self, ctx: commands.Context) -> None:
        """Version, data, servers, uptime and how fast answers come."""
        service = self.bot.service
        median = service.median_answer_ms()
        model = service.forecasts.fitted
        lines = [
            f"Version {__version__}; election data to {service.data.data_date}.",
            f"Serving {len(self.bot.guilds):,} servers; up {_duration(self.bot.uptime)}.",
            f"Answers since start: {service.answers_served:,}"
            + (f", median {median:.1f} ms." if median is not None else "."),
            ("Vote-share forecast fitted on " + ", ".join(model.fitted_on) + "." if model else
             "Vote-share forecast: not fitted (run `data import`)."),
        ]
        await ctx.send(embed=to_embed(fit(EmbedSpec("About howtovote", "\n".join(lines),
                                                    0x5865F2))))

    @commands.hybrid_command(name="sync")
    @app_commands.default_permissions(administrator=True)
    @commands.is_owner()
    async def sync(self, ctx: commands.Context) -> None:
        """Sync slash commands now (owners only; Discord rate-limits this)."""
        count = await self.bot.sync_if_changed(force=True)
        await ctx.send(f"Synced {count} commands." if count is not None else "Nothing to sync.")


    @commands.hybrid_group(name="polls", fallback="show")
    @app_commands.default_permissions(administrator=True)
    async def national(self, ctx: commands.Context) -> None:
        """The national polls projections start from."""
        text = await self.bot.service.describe_polls(quote=lambda s: safe_text(s, 60))
        await ctx.send(fit_message(text))

    @national.command(name="set")
    async def national_set(self, ctx: commands.Context, *, figures: str) -> None:
        """Owners: `!polls set Lab=30 Con=18 RUK=27 LD=13 Green=9 SNP=3 source="..."`."""
        poll = await self.bot.service.set_national_poll(figures, ctx.author.id)
        await ctx.send(f"National polls set for {poll.date} as #{poll.id}: the seat model "
                       "and projections now use them.")

    @national.command(name="delete")
    async def national_delete(self, ctx: commands.Context, poll_id: int) -> None:
        """Owners: retire a national poll set by mistake (`!polls delete 3`)."""
        gone = await self.bot.service.delete_national_poll(poll_id, ctx.author.id)
        await ctx.send(f"National poll #{gone.id} ({gone.date}, {gone.area}) deleted.")

    @commands.hybrid_group(name="projections", fallback="list")
    @app_commands.default_permissions(administrator=True)
    @commands.is_owner()
    async def seat_projections(self, ctx: commands.Context) -> None:
        """Owners: the seat projections answers use for the coming election."""
        found = await self.bot.service.loaded_projections()
        lines = [f"- {safe_text(p.label, 80)}: {count(p.seats, 'seat')}" for p in found]
        await ctx.send(fit_message("\n".join(["Seat projections loaded:", *lines]) if lines
                                   else "No seat projections loaded: answers rest on the 2024 "
                                        "result and the national polls."))

    @seat_projections.command(name="import")
    @commands.is_owner()
    async def projections_import(self, ctx: commands.Context, name: str,
                                 file: discord.Attachment, published: str | None = None,
                                 replace: bool = False) -> None:
        """Owners: load a per-seat projection CSV (`!projections import "YouGov MRP"
        2029-04-30` with the file attached; add `replace` to replace one of that name)."""
        self.bot.service.check_projection_size(file.size)  # before downloading it
        try:
            raw = await file.read()
        except discord.HTTPException:
            await ctx.send("I could not download that file from Discord: nothing was loaded. "
                           "Please try again in a moment.")
            return
        loaded = await self.bot.service.import_projection(
            name, raw, file.filename[:60], published, ctx.author.id, replace=replace)
        replaced = (f"Replaced {safe_text(loaded.replaced.label, 80)} "
                    f"({count(loaded.replaced.seats, 'seat')}). " if loaded.replaced else "")
        await ctx.send(f"{replaced}Loaded {safe_text(loaded.label, 80)}: "
                       f"{count(loaded.seats, 'seat')}. Answers now use it.")

    @seat_projections.command(name="remove")
    @commands.is_owner()
    async def projections_remove(self, ctx: commands.Context, *, name: str) -> None:
        """Owners: remove a loaded projection (`!projections remove YouGov MRP`)."""
        await self.bot.service.remove_projection(name)
        await ctx.send(f"Removed {safe_text(name, 60)}: answers no longer use it.")

    @commands.hybrid_command(name="cache-clear")
    @app_commands.default_permissions(administrator=True)
    @commands.is_owner()
    async def cache_clear(self, ctx: commands.Context) -> None:
        """Owners: empty the postcode cache (answers are fetched again as asked)."""
        count = await self.bot.service.clear_postcode_cache()
        await ctx.send(f"Cleared {count:,} cached postcode answers.")


async def setup(bot: Bot) -> None:
    await bot.add_cog(Meta(bot))


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"
