"""Buttons and menus under an answer: full result, elections, other matches, share, and
the official results site.

Each control is a discord.py DynamicItem whose custom id carries what it needs (the seat,
the server), so a message's buttons keep working for as long as it exists, across
restarts and on any process of a fleet, and the bot keeps no state per message: a
national campaign's thousands of answers cost no memory, no timers and no edits later.
Anyone may press them: every reply goes privately to whoever pressed, and the Share
button is only on private answers, which only the asker sees. So one answer's controls
are the same for everyone who gets it, and are built once per answer.
"""

from __future__ import annotations

import io

import discord

from bot.service import Answer
from bot.textnorm import safe_text
from cogs.utils.embeds import answer_embed

RESULTS_URL = "https://electionresults.parliament.uk/"
SEAT = r"(?P<seat>[ENSW]\d{8})"


class SeatButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=rf"htv:(?P<action>full|elections):{SEAT}"):
    """"Full result" (the seat's last result, with a chart) or "Elections" (every election
    on the seat), answered privately to whoever pressed."""

    LOOKS = {"full": ("Full result", discord.ButtonStyle.primary),
             "elections": ("Elections", discord.ButtonStyle.secondary)}

    def __init__(self, action: str, seat: str) -> None:
        label, style = self.LOOKS[action]
        super().__init__(discord.ui.Button(label=label, style=style,
                                           custom_id=f"htv:{action}:{seat}"))
        self.action, self.seat = action, seat

    @classmethod
    async def from_custom_id(cls, interaction, item, match) -> SeatButton:
        return cls(match["action"], match["seat"])

    async def callback(self, interaction: discord.Interaction) -> None:
        service = interaction.client.service
        files = []
        if self.action == "full":
            answer, chart = service.seat_for_code(self.seat)
            files = [discord.File(io.BytesIO(chart), "result.png")] if chart else []
        else:
            answer = service.elections_for_seat(self.seat)
        await interaction.response.send_message(embed=answer_embed(answer), files=files,
                                                ephemeral=True)


class SeatPick(discord.ui.DynamicItem[discord.ui.Select],
               template=r"htv:pick:(?P<guild>\d+)"):
    """"Other matches" / "Did you mean": picking a seat answers for it, privately."""

    def __init__(self, guild_id: int | None, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        super().__init__(discord.ui.Select(
            custom_id=f"htv:pick:{guild_id or 0}", placeholder=placeholder,
            options=options or [discord.SelectOption(label="-")]))
        self.guild_id = guild_id

    @classmethod
    def for_answer(cls, answer: Answer, guild_id: int | None) -> SeatPick:
        return cls(guild_id, [
            discord.SelectOption(label=s.name[:100], value=s.code, description=s.nation)
            for s in answer.choices[:25]],
            "Other matches" if answer.resolution.seat else "Did you mean…")

    @classmethod
    async def from_custom_id(cls, interaction, item, match) -> SeatPick:
        return cls(int(match["guild"]) or None)

    async def callback(self, interaction: discord.Interaction) -> None:
        service = interaction.client.service
        answer = await service.answer_seat(self.item.values[0], self.guild_id)
        await interaction.response.send_message(
            embed=answer_embed(answer), view=answer_view(answer, self.guild_id),
            ephemeral=True)


class Share(discord.ui.DynamicItem[discord.ui.Button],
            template=rf"htv:share:{SEAT}:(?P<guild>\d+)"):
    """A private (postcode) answer, posted in the channel for everyone: the seat's advice,
    matched by name, so the postcode never appears."""

    def __init__(self, seat: str, guild_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Share (without my postcode)", style=discord.ButtonStyle.success,
            custom_id=f"htv:share:{seat}:{guild_id}"))
        self.seat, self.guild_id = seat, guild_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match) -> Share:
        return cls(match["seat"], int(match["guild"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        public = await interaction.client.service.answer_seat(self.seat, self.guild_id)
        who = safe_text(getattr(interaction.user, "display_name", "Someone"), 80)
        await interaction.channel.send(f"{who} shared the advice for {public.advice.seat.name}:",
                                       embed=answer_embed(public))
        await interaction.response.send_message(
            "Shared in this channel, without your postcode.", ephemeral=True)


DYNAMIC_ITEMS = (SeatButton, SeatPick, Share)  # registered once, at start


class Controls(discord.ui.View):
    """A view that never changes once built: its components are worked out once, and it
    is not stored per message (discord.py finds its dynamic items by their custom ids,
    registered at start), so sending it again costs next to nothing."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self._components: list[dict] | None = None
        self._v2: bool | None = None

    def to_components(self) -> list[dict]:
        if self._components is None:
            self._components = super().to_components()
        return self._components

    def has_components_v2(self) -> bool:
        if self._v2 is None:
            self._v2 = super().has_components_v2()
        return self._v2

    def is_dispatchable(self) -> bool:
        return False


def answer_view(answer: Answer, guild_id: int | None, *, shareable: bool = False
                ) -> discord.ui.View:
    """The controls under one answer, built once per answer (and server): a fully dynamic
    view keeps nothing per message, so the same one goes under every copy."""
    key = ("view", guild_id, shareable)
    view = answer.extras.get(key)
    if view is None:
        view = answer.extras[key] = _build(answer, guild_id, shareable)
    return view


def _build(answer: Answer, guild_id: int | None, shareable: bool) -> Controls:
    view = Controls()
    seat = answer.resolution.seat
    if seat is not None:
        view.add_item(SeatButton("full", seat.code))
        view.add_item(SeatButton("elections", seat.code))
    if answer.choices:
        view.add_item(SeatPick.for_answer(answer, guild_id))
    if shareable and seat is not None and guild_id is not None:
        view.add_item(Share(seat.code, guild_id))
    view.add_item(discord.ui.Button(label="Official results", url=RESULTS_URL))
    return view
