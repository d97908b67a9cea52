"""Answering voters: a seat's advice in a server, worked out once and kept; the full
result and every contest on a seat; what the answers rest on."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

from bot.advice.charts import bar_chart
from bot.advice.history import render_history_embed, render_history_text, seat_history
from bot.advice.render import (
    EmbedSpec,
    Projected,
    Quote,
    full_result_embed,
    no_match_embed,
    no_match_text,
    other_sites_line,
    plain,
    render_embed,
    render_text,
)
from bot.advice.rules import Advice, AdviceOptions, advise, field_of, local_line, model_bloc
from bot.community import settings as guild_settings
from bot.errors import (
    StoreUnavailable,
)
from bot.forecast import national_polls, projection
from bot.forecast.live import ModelView
from bot.models import Resolution, SeatRef, SeatUpdate
from bot.services.state import ServiceState
from bot.textnorm import safe_text

UNREAD_GUILD_DATA = ("This server's settings and moderators' updates could not be read just "
                     "now (the bot's database is out of reach), so this is the advice from "
                     "the published results and polls alone. Ask again in a few minutes.")


@dataclass(frozen=True)
class Answer:
    resolution: Resolution
    advice: Advice | None  # None unless the query matched exactly one seat
    embed: EmbedSpec
    render_text: Callable[[], str] = field(repr=False, compare=False)
    # what a front end makes of this answer, kept with it (the Discord layer's embed and
    # buttons): a kept answer is rendered for Discord once, not once per asker
    extras: dict = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def text(self) -> str:
        """The terminal's answer, rendered only when asked for (Discord never asks)."""
        return self.render_text()

    @property
    def fingerprint(self) -> str:
        """What a subscriber cares about: the verdict and the party it names."""
        a = self.advice
        return f"{a.verdict}:{a.recommended_party or ''}" if a else ""

    @property
    def choices(self) -> tuple[SeatRef, ...]:
        """Seats to offer as "Other matches" / "Did you mean"."""
        r = self.resolution
        return r.alternatives if r.seat else (r.seats or r.alternatives)


class Answers(ServiceState):
    def owner_polls(self) -> dict[str, national_polls.NationalPoll | None]:
        """The owners' latest poll for each nation (a GB poll stands in)."""
        return self.kept.owner_polls()

    def model_view(self, record, in_scope, guild_id: int | None) -> ModelView | None:
        return self._model_view(record, in_scope, guild_id,
                                self.kept.settings(guild_id).advice_options)

    def _model_view(self, record, in_scope, guild_id: int | None, options: AdviceOptions
                    ) -> ModelView | None:
        if guild_id is not None and not self.kept.settings(guild_id).model_enabled:
            return None
        owners = self.kept.owner_polls().get(record.seat.nation)
        code = record.seat.code
        field = (field_of(record, self.data.parties, in_scope) if in_scope
                 else self._fields.get(code) or field_of(record, self.data.parties))
        return self.forecasts.view(code, field, owners, self.kept.today(),
                                   self.kept.projections().get(code), options.opponent,
                                   model_bloc(options))

    def suggest(self, text: str, limit: int = 25) -> list[SeatRef]:
        return self.resolver.suggest(text, limit)

    # The readers the Discord layer awaits. The synchronous code below them reads the
    # store through what is kept; on PostgreSQL it runs under `store.run`, so the loop
    # never waits on the network.
    async def settings_for(self, guild_id: int | None) -> guild_settings.GuildSettings:
        return await self.store.run(self.kept.settings, guild_id)

    async def updates_for(self, guild_id: int | None, code: str) -> list[SeatUpdate]:
        return await self.store.run(self.kept.updates, guild_id, code)

    async def describe_polls(self, quote: Callable[[str], str] = str) -> str:
        """What answers rest on, nation by nation, and the owners' polls on record
        (`quote`: how to make an owner's text safe where it is shown)."""
        return await self.store.run(lambda: self.forecasts.describe_polls(
            self.owner_polls(), national_polls.on_record(self.guilds_db), quote))

    async def answer_seat(self, code: str, guild_id: int | None = None,
                          resolution: Resolution | None = None,
                          options: AdviceOptions | None = None) -> Answer:
        """`answer_for_seat`, for the loop."""
        return await self.store.run(self.answer_for_seat, code, guild_id, resolution, options)

    def warm(self) -> None:
        """Work out every seat's chances now, so no question waits for them."""
        self.forecasts.warm(self._fields, self.owner_polls(), self.kept.projections())

    async def answer(self, query: str, guild_id: int | None = None,
                     options: AdviceOptions | None = None) -> Answer:
        started = time.perf_counter()
        resolution = await self.resolver.resolve(query)
        if resolution.seat is None:
            answer = self._no_single_seat(resolution)
        else:
            answer = await self.answer_seat(resolution.seat.code, guild_id, resolution,
                                            options)
        self.answers_served += 1
        self._answer_seconds.append(time.perf_counter() - started)
        return answer

    def median_answer_ms(self) -> float | None:
        """The median time of the latest answers (postcode lookups included)."""
        if not self._answer_seconds:
            return None
        return statistics.median(self._answer_seconds) * 1000

    def answer_for_seat(self, code: str, guild_id: int | None = None,
                        resolution: Resolution | None = None,
                        options: AdviceOptions | None = None) -> Answer:
        """The answer for one seat in one server, worked out once and kept, keyed by what it
        rests on rather than by who asks: every server with the same settings and the same
        updates on the seat (most of them: none) shares it. A write changes the key (the
        server's settings or updates) or empties the store (anything shared). With the
        store out of reach, the reference data's answer, saying so."""
        try:
            return self.kept_answer(code, guild_id, resolution, options)
        except StoreUnavailable:
            return self._reference_answer(code, resolution, options)

    def kept_answer(self, code: str, guild_id: int | None = None,
                    resolution: Resolution | None = None,
                    options: AdviceOptions | None = None) -> Answer:
        """`answer_for_seat` from this server's settings and updates only: StoreUnavailable
        when they cannot be read."""
        kept = self.kept
        key = (code, resolution, options, kept.settings(guild_id),
               tuple(u.id for u in kept.updates(guild_id, code)),
               kept.today())  # the date: "polls N days old"
        return kept.answer(key, lambda: self._work_out(code, guild_id, resolution, options))

    def _reference_answer(self, code: str, resolution: Resolution | None,
                          options: AdviceOptions | None) -> Answer:
        """The guild store is out of reach: the advice from the reference data alone (the
        results and the shipped polls), saying that this server's settings and updates
        could not be read. Never kept: the next question tries the store again."""
        record, seat = self.data.record(code), self.resolver.seat(code)
        if record is None or seat is None:
            return self._no_single_seat(Resolution(code, (), "none", note="Unknown seat."))
        resolution = resolution or Resolution(seat.name, (seat,), "exact", 100.0)
        options = options or guild_settings.DEFAULTS.advice_options
        field = self._fields.get(code) or field_of(record, self.data.parties)
        view = self.forecasts.view(code, field, None, date.today(), None, options.opponent,
                                   model_bloc(options))
        advice = advise(record, self.data.parties, options, (), view)
        advice = replace(advice, caveats=(UNREAD_GUILD_DATA, *advice.caveats))
        return Answer(resolution, advice,
                      render_embed(advice, resolution, self.data.data_date),
                      lambda: render_text(advice, resolution))

    def _work_out(self, code: str, guild_id: int | None, resolution: Resolution | None,
                  options: AdviceOptions | None) -> Answer:
        record = self.data.record(code)
        seat = self.resolver.seat(code)
        if record is None or seat is None:
            return self._no_single_seat(Resolution(code, (), "none", note="Unknown seat."))
        resolution = resolution or Resolution(seat.name, (seat,), "exact", 100.0)
        options = options or self.kept.settings(guild_id).advice_options
        in_scope = self.kept.updates(guild_id, code)
        advice = advise(record, self.data.parties, options, in_scope,
                        self._model_view(record, in_scope, guild_id, options))
        projected = self._projected(record, options, in_scope, guild_id)
        # read now, under the store: the text is rendered later, wherever it is asked for
        calls = self._site_calls(advice, guild_id)
        return Answer(
            resolution, advice,
            render_embed(advice, resolution, self.data.data_date, projected,
                         self._other_sites(advice, calls)),
            lambda: render_text(advice, resolution, projected,
                                self._other_sites(advice, calls, plain)))

    def _site_calls(self, advice: Advice, guild_id: int | None) -> list[tuple[str, str | None]]:
        """Other tactical-voting sites' calls here, as the owner loaded them (none where
        the server hides them)."""
        if guild_id is not None and not self.kept.settings(guild_id).sites_enabled:
            return []
        return self.kept.site_calls().get(advice.seat.code) or []

    def _other_sites(self, advice: Advice, calls: list[tuple[str, str | None]],
                     quote: Quote = safe_text) -> str:
        """The line saying what other sites call here ("" for none)."""
        if not calls:
            return ""
        names = {code: p.name for code, p in self.data.parties.items()}
        return other_sites_line(advice, calls, names, quote)

    def _projected(self, record, options, in_scope, guild_id) -> Projected | None:
        """The advice on current national polls, for servers that opted in."""
        if guild_id is None or not self.kept.settings(guild_id).projections_enabled:
            return None
        # the poll the seat model uses for this nation: one source of truth for both
        nation = record.seat.nation
        poll = self.forecasts.poll(self.kept.owner_polls().get(nation), nation)
        if poll is None:
            return None
        if self._national_2024 is None:
            self._national_2024 = projection.national_shares(self.data.national_votes("ge2024"))
        names = {code: p.name for code, p in self.data.parties.items()}
        model = projection.DEFAULT_MODEL
        contest = projection.project_contest(record.general, record.seat.nation, model,
                                             self._national_2024, poll.shares, names)
        advice = advise(replace(record, general=contest, byelections=()), self.data.parties,
                        options, in_scope)
        return Projected(advice, model, poll.date, "; ".join(poll.sources))

    async def seat(self, query: str) -> tuple[Answer, bytes | None]:
        """The full last result beside the notional 2019 one, and a chart (`!seat`)."""
        resolution = await self.resolver.resolve(query)
        if resolution.seat is None:
            return self._no_single_seat(resolution), None
        return self.seat_for_code(resolution.seat.code, resolution)

    def seat_for_code(self, code: str, resolution: Resolution | None = None
                      ) -> tuple[Answer, bytes | None]:
        record = self.data.record(code)
        if record is None:
            return self._no_single_seat(Resolution(code, (), "none", note="Unknown seat.")), None
        latest, seat = record.latest, record.seat
        spec = full_result_embed(record, self.data.party(latest.candidates[0].party).colour,
                                 self.data.data_date)
        chart = bar_chart(f"{seat.name}: {latest.election_name}", [
            (c.party_name, c.share, self.data.party(c.party).colour) for c in latest.candidates])
        text = "\n".join([spec.title, *(f"{f.name}:\n{f.value}" for f in spec.fields)])
        resolution = resolution or Resolution(seat.name, (seat,), "exact", 100.0)
        return Answer(resolution, None, spec, lambda: text), chart

    async def elections(self, query: str) -> Answer:
        """Every contest on the seat and its predecessors (`!elections`)."""
        resolution = await self.resolver.resolve(query)
        if resolution.seat is None:
            return self._no_single_seat(resolution)
        return self.elections_for_seat(resolution.seat.code, resolution)

    def elections_for_seat(self, code: str, resolution: Resolution | None = None) -> Answer:
        found = self.forecasts.data.local.get(("next", code))
        history = seat_history(self.data, code,
                               local_line(*found, self.data.parties) if found else "")
        if history is None:
            return self._no_single_seat(Resolution(code, (), "none", note="Unknown seat."))
        resolution = resolution or Resolution(history.seat.name, (history.seat,), "exact")
        return Answer(resolution, None, render_history_embed(history),
                      lambda: render_history_text(history))

    def _no_single_seat(self, resolution: Resolution) -> Answer:
        return Answer(resolution, None, no_match_embed(resolution),
                      lambda: no_match_text(resolution))
