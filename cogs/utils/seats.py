"""One seat from what was typed: a converter for `!` commands that is also the slash
transformer (with autocomplete), so "matches several seats" is refused in one place."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.models import SeatRef

MAX_TYPED = 200


async def seat_choices(interaction: discord.Interaction, current: str
                       ) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=s.name[:100], value=s.name[:100])
            for s in interaction.client.service.suggest(current[:MAX_TYPED])]


class Seat(commands.Converter, app_commands.Transformer):
    """Exactly one 2024 seat; anything vaguer is refused with the seats it could mean."""

    async def convert(self, ctx: commands.Context, argument: str) -> SeatRef:
        return await ctx.bot.service.one_seat(argument[:MAX_TYPED])

    async def transform(self, interaction: discord.Interaction, value: str) -> SeatRef:
        return await interaction.client.service.one_seat(value[:MAX_TYPED])

    async def autocomplete(self, interaction: discord.Interaction, value: str
                           ) -> list[app_commands.Choice[str]]:
        return await seat_choices(interaction, value)


def add_seat_autocomplete(bot: commands.Bot, *params: str) -> None:
    """Give every slash command that takes one of `params` (free-text queries) seat
    autocomplete."""
    for command in bot.tree.walk_commands():
        for param in getattr(command, "parameters", []):
            if param.name in params and not param.autocomplete:
                command.autocomplete(param.name)(seat_choices)
