"""Help, and the owner's manual slash-command sync."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.render import EmbedField, EmbedSpec, fit
from bot.textnorm import safe_text
from cogs.utils.embeds import NO_MENTIONS, to_embed


def help_spec(prefix: str) -> EmbedSpec:
    p = prefix
    return fit(EmbedSpec(
        "howtovote: tactical voting advice for UK general elections",
        "Tell me your **postcode**, **seat** or **town** and I'll say who is best placed to "
        "beat the Conservatives there, with the numbers behind it, any pact, and how sure "
        "that is. Old seat names and misspellings work too.",
        0x5865F2,
        (
            EmbedField("Ask", f"`{p}howtovote WF13 1AB` · `{p}howtovote Batley` · "
                              "`/howtovote`\nIn a DM, just send your postcode or town."),
            EmbedField("More about a seat", f"`{p}seat <place>`: the full result and a chart\n"
                                           f"`{p}elections <place>`: every election since "
                                           "2010, by-elections and pacts"),
            EmbedField("For moderators", f"`{p}config`, `{p}pact`, `{p}withdraw`, `{p}note`, "
                                        f"`{p}override`, `{p}history`, `{p}revert`: see "
                                        "the README"),
            EmbedField("Privacy", "Slash answers that carry a postcode are only shown to "
                                  "you. Postcodes are never logged beside who asked."),
        ),
        "Advice is based on past votes, not a poll. Contains Parliamentary information "
        "licensed under the Open Parliament Licence v3.0.",
    ))


class Meta(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="help")
    async def help(self, ctx: commands.Context) -> None:
        """How to use howtovote."""
        await ctx.send(embed=to_embed(help_spec(self.bot.settings.prefix)), ephemeral=True,
                       allowed_mentions=NO_MENTIONS)

    @commands.command(name="sync", hidden=True)
    @commands.is_owner()
    async def sync(self, ctx: commands.Context) -> None:
        """Sync slash commands now (owners only; Discord rate-limits this)."""
        count = await self.bot.sync_if_changed(force=True)
        await ctx.send(f"Synced {count} commands." if count is not None else "Nothing to sync.",
                       allowed_mentions=discord.AllowedMentions.none())


    @commands.group(name="polls", invoke_without_command=True)
    async def national(self, ctx: commands.Context) -> None:
        """The national polls projections start from."""
        poll = self.bot.service.latest_national_poll()
        text = ("No national polls set yet." if poll is None else
                f"{poll.date} ({safe_text(poll.pollster, 60)}): " + ", ".join(
                    f"{p} {v:g}%" for p, v in poll.shares.items())
                + f"\nSource: {safe_text(poll.source, 200)}")
        await ctx.send(text, allowed_mentions=NO_MENTIONS)

    @national.command(name="set")
    async def national_set(self, ctx: commands.Context, *, figures: str) -> None:
        """Owners: `!polls set Lab=30 Con=18 RUK=27 LD=13 Green=9 SNP=3 source="..."`."""
        poll = await self.bot.service.set_national_poll(
            figures, ctx.author.id, await self.bot.is_owner(ctx.author))
        await ctx.send(f"National polls set for {poll.date} as #{poll.id}: the seat model "
                       "and projections now use them.", allowed_mentions=NO_MENTIONS)

    @national.command(name="delete")
    async def national_delete(self, ctx: commands.Context, poll_id: int) -> None:
        """Owners: retire a national poll set by mistake (`!polls delete 3`)."""
        gone = await self.bot.service.delete_national_poll(
            poll_id, await self.bot.is_owner(ctx.author))
        await ctx.send(f"National poll #{gone.id} ({gone.date}, {gone.area}) deleted.",
                       allowed_mentions=NO_MENTIONS)

    @commands.command(name="cache-clear", hidden=True)
    @commands.is_owner()
    async def cache_clear(self, ctx: commands.Context) -> None:
        """Owners: empty the postcode cache (answers are fetched again as asked)."""
        count = await self.bot.service.clear_postcode_cache()
        await ctx.send(f"Cleared {count:,} cached postcode answers.",
                       allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Meta(bot))
