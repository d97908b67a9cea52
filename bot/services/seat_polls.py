"""Polls servers run on a seat: created, voted in, closed and announced once across a
fleet, with the parties standing as the answers."""

from __future__ import annotations

import time

from bot.advice.charts import bar_chart
from bot.advice.render import (
    EmbedSpec,
    poll_results_embed,
)
from bot.community import polls
from bot.errors import (
    NotRecorded,
    StoreError,
)
from bot.models import UpdateKind
from bot.services.answers import Answers
from bot.textnorm import shorten


class SeatPolls(Answers):
    async def create_poll(self, **fields) -> polls.Poll:
        try:
            return await self.store.write(polls.create, **fields)
        except StoreError as exc:
            raise NotRecorded("the poll could not be saved (a storage problem)") from exc

    async def end_poll(self, poll_id: int, guild_id: int) -> polls.Poll:
        return await self.store.write(polls.end, poll_id, guild_id)

    async def claim_due_polls(self) -> list[polls.Poll]:
        """Due polls for this process to close and announce (claimed fleet-wide)."""
        return await self.store.write(polls.claim_due, self.worker, time.time(),
                                      self.settings.poll_lease_seconds)

    async def poll_announced(self, poll_id: int) -> bool:
        return await self.store.write(polls.announced, poll_id, self.worker)

    async def record_poll_vote(self, message_id: int, answer_id: int, user_id: int,
                               added: bool) -> None:
        await self.store.write(polls.record_vote, message_id, answer_id, user_id, added)

    async def reconcile_poll(self, message_id: int, counts: dict[int, int]) -> None:
        await self.store.write(polls.reconcile, message_id, counts)

    async def open_polls(self, guild_id: int | None = None) -> list[polls.Poll]:
        return await self.store.run(polls.open_polls, self.guilds_db, guild_id)

    async def latest_poll_for_seat(self, guild_id: int, code: str) -> polls.Poll | None:
        return await self.store.run(polls.latest_for_seat, self.guilds_db, guild_id, code)

    async def seat_poll_options(self, code: str, guild_id: int | None
                                ) -> list[tuple[str, str]]:
        """(party code, answer text) for a seat poll: the parties standing there (withdrawals
        removed, declared candidates named), biggest first, then "Not sure"."""
        record = self.data.record(code)
        in_scope = await self.updates_for(guild_id, code)
        gone = {u.party for u in in_scope if u.kind == UpdateKind.WITHDRAW}
        named = {u.party: u.payload.get("name", "") for u in in_scope
                 if u.kind == UpdateKind.CANDIDATE}
        parties = [c.party for c in record.latest.candidates if c.party not in gone]
        parties += [p for p in named if p not in parties]
        options = []
        for party in dict.fromkeys(p for p in parties if p != "Ind"):
            label = self.data.party(party).name
            if named.get(party):
                label = f"{label} ({named[party]})"
            options.append((party, shorten(label, polls.ANSWER_LIMIT)))
        return options[:polls.MAX_OPTIONS - 1] + [("", polls.NOT_SURE)]

    async def poll_results(self, poll: polls.Poll) -> tuple[EmbedSpec, bytes]:
        tally = await self.store.run(polls.tally, self.guilds_db, poll)
        advised = None
        if poll.seat_code and tally.leader:
            advice = (await self.answer_seat(poll.seat_code, poll.guild_id)).advice
            named = advice.recommended_party if advice else None
            advised = self.data.party(named).name if named else None
        chart = bar_chart(poll.question, [(o, tally.share(v), self._option_colour(o))
                                          for o, v in tally.counts])
        return poll_results_embed(poll, tally, advised), chart

    def _option_colour(self, option: str) -> str:
        for party in self.data.parties.values():
            if option.startswith(party.name):
                return party.colour
        return "#99AAB5"
