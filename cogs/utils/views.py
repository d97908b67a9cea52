"""Buttons and menus under an answer: full result, other matches, elections, official site."""

from __future__ import annotations

import contextlib
import io

import discord

from bot.service import Answer
from bot.textnorm import safe_text
from cogs.utils.embeds import to_embed

TIMEOUT = 300.0
RESULTS_URL = "https://electionresults.parliament.uk/"


class AnswerView(discord.ui.View):
    """Belongs to the person who asked (RoboDanny's author-only check); disabled on timeout."""

    def __init__(self, bot, answer: Answer, author_id: int, guild_id: int | None,
                 *, shareable: bool = False) -> None:
        super().__init__(timeout=TIMEOUT)
        self.bot = bot
        self.answer = answer
        self.author_id = author_id
        self.guild_id = guild_id
        self.message: discord.Message | None = None
        seat = answer.resolution.seat
        if seat is None:
            self.remove_item(self.full_result)
            self.remove_item(self.elections)
        if answer.choices:
            self.add_item(SeatSelect(answer))
        if shareable and seat is not None and guild_id is not None:
            self.add_item(ShareButton())
        self.add_item(discord.ui.Button(label="Official results", url=RESULTS_URL))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to the person who asked. Run /howtovote yourself!",
            ephemeral=True)
        return False

    async def on_timeout(self) -> None:
        for item in self.children:
            if not getattr(item, "url", None):
                item.disabled = True
        if self.message is not None:
            # the message may be gone, or we lost access: then there is nothing to disable
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    @discord.ui.button(label="Full result", style=discord.ButtonStyle.primary)
    async def full_result(self, interaction: discord.Interaction, _button) -> None:
        answer, chart = self.bot.service.seat_for_code(self.answer.resolution.seat.code)
        files = [discord.File(io.BytesIO(chart), "result.png")] if chart else []
        await interaction.response.send_message(embed=to_embed(answer.embed), files=files,
                                                ephemeral=True)

    @discord.ui.button(label="Elections", style=discord.ButtonStyle.secondary)
    async def elections(self, interaction: discord.Interaction, _button) -> None:
        answer = self.bot.service.elections_for_seat(self.answer.resolution.seat.code)
        await interaction.response.send_message(embed=to_embed(answer.embed), ephemeral=True)


class SeatSelect(discord.ui.Select):
    """"Other matches" / "Did you mean": picking a seat answers for it."""

    def __init__(self, answer: Answer) -> None:
        seats = answer.choices[:25]
        label = "Other matches" if answer.resolution.seat else "Did you mean…"
        super().__init__(placeholder=label, options=[
            discord.SelectOption(label=s.name[:100], value=s.code, description=s.nation)
            for s in seats])

    async def callback(self, interaction: discord.Interaction) -> None:
        view: AnswerView = self.view
        answer = view.bot.service.answer_for_seat(self.values[0], view.guild_id)
        await interaction.response.send_message(
            embed=to_embed(answer.embed),
            view=AnswerView(view.bot, answer, interaction.user.id, view.guild_id),
            ephemeral=True)


class ShareButton(discord.ui.Button):
    """A private (postcode) answer, posted in the channel for everyone: the seat's advice,
    matched by name, so the postcode never appears."""

    def __init__(self) -> None:
        super().__init__(label="Share (without my postcode)", style=discord.ButtonStyle.success)

    async def callback(self, interaction: discord.Interaction) -> None:
        view: AnswerView = self.view
        seat = view.answer.resolution.seat
        public = view.bot.service.answer_for_seat(seat.code, view.guild_id)
        who = safe_text(getattr(interaction.user, "display_name", "Someone"), 80)
        await interaction.channel.send(f"{who} shared the advice for {seat.name}:",
                                       embed=to_embed(public.embed))
        await interaction.response.send_message(
            "Shared in this channel, without your postcode.", ephemeral=True)
