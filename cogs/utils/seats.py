"""Slash-command autocomplete over seat names and aliases (answers in well under 3 s)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

MAX_TYPED = 200


async def seat_choices(interaction: discord.Interaction, current: str
                       ) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=s.name[:100], value=s.name[:100])
            for s in interaction.client.service.suggest(current[:MAX_TYPED])]


def add_seat_autocomplete(bot: commands.Bot, *params: str) -> None:
    """Give every slash command that takes one of `params` seat autocomplete."""
    for command in bot.tree.walk_commands():
        for param in getattr(command, "parameters", []):
            if param.name in params and not param.autocomplete:
                command.autocomplete(param.name)(seat_choices)
