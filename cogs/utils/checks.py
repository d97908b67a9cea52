"""Who may do what: one check that covers `!` and `/` (hybrid commands run it for both),
and one decorator for a moderators' command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from discord import app_commands
from discord.ext import commands

NOT_A_MODERATOR = ("Only this server's moderators can do that (the moderator role set with "
                   "config, or the Manage Server permission).")


async def _owner_or_manager(ctx: commands.Context) -> bool:
    if ctx.guild is None:
        raise commands.NoPrivateMessage()
    return await ctx.bot.is_owner(ctx.author) or ctx.author.guild_permissions.manage_guild


def is_moderator():
    """The server's moderator role, or Manage Server, or a bot owner (Red's mod_or_permissions)."""
    async def predicate(ctx: commands.Context) -> bool:
        if await _owner_or_manager(ctx):
            return True
        role_id = (await ctx.bot.service.settings_for(ctx.guild.id)).mod_role_id
        if role_id and any(role.id == role_id for role in ctx.author.roles):
            return True
        raise commands.CheckFailure(NOT_A_MODERATOR)
    return commands.check(predicate)


def can_manage_server():
    async def predicate(ctx: commands.Context) -> bool:
        if await _owner_or_manager(ctx):
            return True
        raise commands.CheckFailure("Only people with Manage Server can change settings.")
    return commands.check(predicate)


def moderator_command(name: str, **kwargs: Any) -> Callable[[Any], commands.HybridCommand]:
    """A moderators' command, for `!` and `/` alike: hidden from members in the slash menu
    (Manage Server by default, which a server can change) and checked when run."""
    def decorator(func: Any) -> commands.HybridCommand:
        checked = app_commands.default_permissions(manage_guild=True)(is_moderator()(func))
        return commands.hybrid_command(name=name, **kwargs)(checked)
    return decorator
