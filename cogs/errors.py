"""One place that turns every failure into a short, friendly reply.

Order of cases (first match wins):
1. unknown command: ignored (people type `!` for other bots too);
2. a refusal from the core (bad party, note too long...): its own message; refunded;
3. on cooldown: "slow down, try again <relative time>", deleted after a few seconds;
4. a missing or bad argument: how to use the command; the cooldown is refunded;
5. not allowed (checks, permissions, DMs): says who may use it;
6. anything else: "something went wrong", and the traceback goes to the log (with the
   command name, never the user's text, which may hold a postcode).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.textnorm import safe_message
from cogs.utils.client import Bot

log = logging.getLogger("howtovote.errors")
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


def friendly(error: Exception, prefix: str, command: str | None) -> tuple[str | None, float | None]:
    """(message, delete_after) for an error, or (None, None) to stay quiet."""
    if isinstance(error, commands.CommandNotFound):
        return None, None
    if isinstance(error, UserFacingError):
        return f"{error.heading}: {safe_message(str(error), 1500)}", None
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        when = discord.utils.format_dt(
            discord.utils.utcnow() + timedelta(seconds=error.retry_after), "R")
        return f"Slow down a little: try again {when}.", min(error.retry_after, 10.0)
    if isinstance(error, commands.MissingRequiredArgument | commands.BadArgument |
                  commands.TooManyArguments | commands.UserInputError):
        usage = f" Try `{prefix}help {command}`." if command else ""
        return f"I didn't understand that.{usage}", None
    if isinstance(error, commands.NoPrivateMessage):
        return "That only works in a server.", None
    if isinstance(error, commands.NotOwner):
        return "Only the bot's owners can do that.", None
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        detail = str(error) if str(error) and "check functions" not in str(error) else ""
        return detail or "You don't have permission to do that here.", None
    return SORRY, None


class Errors(commands.Cog):
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._default_on_error = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error
        self._slow_down_until: dict[tuple[int, str | None], float] = {}

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._default_on_error

    def _first_notice(self, user_id: int, command: str | None, retry_after: float) -> bool:
        """One "slow down" per user and command per cooldown window; the rest are silent."""
        now = time.monotonic()
        key = (user_id, command)
        if self._slow_down_until.get(key, 0.0) > now:
            return False
        if len(self._slow_down_until) > 10_000:  # forget old windows
            self._slow_down_until = {k: t for k, t in self._slow_down_until.items() if t > now}
        self._slow_down_until[key] = now + retry_after
        return True

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: Exception) -> None:
        error = getattr(error, "original", error)
        if isinstance(error, commands.ConversionError):
            error = error.original  # the Seat converter's refusal, say
        if isinstance(error, commands.HybridCommandError):
            error = getattr(error.original, "original", error.original)
        name = ctx.command.qualified_name if ctx.command else None
        if isinstance(error, commands.UserInputError | UserFacingError) and ctx.command:
            ctx.command.reset_cooldown(ctx)
        text, delete_after = friendly(error, self.bot.settings.prefix, name)
        if isinstance(error, commands.CommandOnCooldown) and not self._first_notice(
                ctx.author.id, name, error.retry_after):
            return
        if text == SORRY:
            log.error("command %s failed", name, exc_info=error)
        if text:
            try:
                await ctx.send(text, delete_after=delete_after, ephemeral=True)
            except discord.HTTPException:
                log.warning("could not send an error reply for %s", name)

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.TransformerError) and error.__cause__:
            error = error.__cause__  # the Seat transformer's refusal, say
        error = getattr(error, "original", error)
        name = interaction.command.qualified_name if interaction.command else None
        text, _ = friendly(error, "/", name)
        if text == SORRY:
            log.error("slash command %s failed", name, exc_info=error)
        if not text:
            return
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: Bot) -> None:
    await bot.add_cog(Errors(bot))
