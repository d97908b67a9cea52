"""Help, and the owner's manual slash-command sync."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.render import EmbedField, EmbedSpec, fit
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


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Meta(bot))
