"""The core's EmbedSpec -> discord.Embed, with no decisions of its own."""

from __future__ import annotations

import functools

import discord

from bot.advice.render import EmbedSpec

NO_MENTIONS = discord.AllowedMentions.none()


@functools.lru_cache(maxsize=4096)
def to_embed(spec: EmbedSpec) -> discord.Embed:
    """One discord.Embed per distinct spec (answers are kept, so are their embeds); the
    embed is only ever sent, never changed."""
    embed = discord.Embed(title=spec.title, description=spec.description,
                          colour=discord.Colour(spec.colour), url=spec.url)
    for field in spec.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed
