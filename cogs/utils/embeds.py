"""The core's EmbedSpec -> discord.Embed, with no decisions of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.advice.render import EmbedSpec

if TYPE_CHECKING:
    from bot.service import Answer

NO_MENTIONS = discord.AllowedMentions.none()


def answer_embed(answer: Answer) -> discord.Embed:
    """An answer's embed, made once and kept with the answer (answers are kept, so one
    embed serves every asker; it is only ever sent, never changed)."""
    embed = answer.extras.get("embed")
    if embed is None:
        embed = answer.extras["embed"] = to_embed(answer.embed)
    return embed


def to_embed(spec: EmbedSpec) -> discord.Embed:
    embed = discord.Embed(title=spec.title, description=spec.description,
                          colour=discord.Colour(spec.colour), url=spec.url)
    for field in spec.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed
