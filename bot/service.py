"""The one front door to the core: the bot's cogs, the terminal `ask` and the benchmarks all
answer through HowToVote, so they cannot drift apart."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path

import aiohttp

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
    poll_results_embed,
    render_embed,
    render_text,
)
from bot.advice.rules import Advice, AdviceOptions, advise, field_of, local_line, model_bloc
from bot.community import limits, polls, projections, sites, subscriptions, updates
from bot.community import settings as guild_settings
from bot.community.kept import Kept
from bot.community.store import GuildStore
from bot.config import Settings
from bot.election_parts import election_parts
from bot.elections.dataset import ensure_data
from bot.errors import (
    NotRecorded,
    SavedUnshown,
    StoreError,
    StoreUnavailable,
    UserFacingError,
)
from bot.forecast import national_polls, projection
from bot.forecast.live import ModelView
from bot.models import Resolution, SeatRef, SeatUpdate
from bot.places.postcodes import PostcodeLookup, clear_cache
from bot.textnorm import match_key, safe_text, shorten

log = logging.getLogger("howtovote.service")
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


@dataclass(frozen=True)
class Change:
    """An accepted seat update and what it did to the advice."""

    update: SeatUpdate
    before: Answer
    after: Answer


class HowToVote:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: aiohttp.ClientSession | None = None
        self._national_2024: dict[str, float] | None = None
        # the bot's owners: from HOWTOVOTE_OWNER_IDS, and those Discord confirms (the
        # application's owner); the core checks this set, not a flag a caller passes
        self.owner_ids: set[int] = set(settings.owner_ids)
        self.answers_served = 0
        self.worker = f"{socket.gethostname()}:{os.getpid()}"  # this process, in claims
        self.moderator_rate: tuple[int, float] | None = limits.MODERATOR_RATE
        self._answer_seconds: deque[float] = deque(maxlen=1000)  # the latest answers

    async def start(self, *, offline: bool = False) -> HowToVote:
        parts = election_parts(await ensure_data(self.settings))
        self.elections_db, self.data, self.forecasts = parts.db, parts.data, parts.forecasts
        self._fields = parts.fields
        self.store = GuildStore(self.settings.guilds_db_path, self.settings.database_url)
        self.guilds_db = self.store.read  # reads only: writes go through self.store.write
        self.kept = Kept(self.guilds_db)  # what guilds.db says, until a write changes it
        self.store.on_write = self.kept.versions.written
        if not offline:
            self.session = aiohttp.ClientSession(
                headers={"User-Agent": "howtovote (Discord tactical-voting bot)"})
        offline_table = self.settings.db_dir / "postcodes.db"
        self.postcodes = PostcodeLookup(self.settings.postcodes_api_url, self.session,
                                        self.guilds_db, offline_table,
                                        write=self.store.write)
        self.resolver = parts.resolver.with_postcodes(self.postcodes)
        self.forecasts.warm(self._fields, self.owner_polls(), self.kept.projections())
        return self

    def owner_polls(self) -> dict[str, national_polls.NationalPoll | None]:
        """The owners' latest poll for each nation (a GB poll stands in)."""
        self.kept.fresh()
        return self.kept.owner_polls()

    def model_view(self, record, in_scope, guild_id: int | None) -> ModelView | None:
        self.kept.fresh()
        return self._model_view(record, in_scope, guild_id,
                                self.kept.settings(guild_id).advice_options)

    # The helpers from here on read what is kept as it is: their public callers have just
    # called kept.fresh() (one pragma a command at most, not one per helper).
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

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        if getattr(self, "store", None) is not None:
            self.store.close()
        # elections.db stays open: its parts are shared with any other service in the process

    @property
    def seat_count(self) -> int:
        return len(self.data.current)

    def suggest(self, text: str, limit: int = 25) -> list[SeatRef]:
        return self.resolver.suggest(text, limit)

    @property
    def known_parties(self) -> set[str]:
        return set(self.data.parties)

    def settings_for(self, guild_id: int | None) -> guild_settings.GuildSettings:
        self.kept.fresh()
        return self.kept.settings(guild_id)

    def updates_for(self, guild_id: int | None, code: str) -> list[SeatUpdate]:
        self.kept.fresh()
        return self.kept.updates(guild_id, code)

    # -- moderation ------------------------------------------------------------------
    async def one_seat(self, query: str) -> SeatRef:
        """Moderation acts on exactly one seat: anything vaguer is refused."""
        resolution = await self.resolver.resolve(query)
        if resolution.seat is None:
            options = ", ".join(s.name for s in resolution.seats[:5])
            hint = f" Did you mean: {options}?" if options else ""
            raise updates.UpdateError(f"{resolution.note}{hint} Put seat names with spaces "
                                      "in quotes.")
        return resolution.seat

    def party_code(self, text: str) -> str:
        match = {p.casefold(): p for p in self.data.parties}.get(text.strip().casefold())
        if match is None:
            raise updates.UpdateError(f"unknown party {text.strip()[:20]!r}: use a code such "
                                      "as Con, Lab, LD, Green, SNP, PC or RUK")
        return match

    @contextlib.asynccontextmanager
    async def _moderator_allowance(self, author_id: int):
        """Each update spends one of the moderator's allowance (limits.MODERATOR_RATE),
        counted in the store, so across every process; given back when it is refused."""
        if self.moderator_rate is None:
            yield
            return
        key = f"moderator:{author_id}"
        wait = await self.store.write(limits.take, key, *self.moderator_rate, time.time())
        if wait:
            raise limits.LimitReached(f"you are posting updates quickly: try again in "
                                      f"{math.ceil(wait)} s")
        try:
            yield
        except UserFacingError:
            await self.store.write(limits.refund, key)
            raise

    async def post_update(self, guild_id: int | None, code: str, kind: str, party: str | None,
                          payload: dict, author_id: int, author_name: str) -> Change:
        """Validate and append one update, with the seat's answer before and after."""
        record = self.data.record(code)
        stood = {c.party for c in record.latest.candidates} if record else set()
        before = self.answer_for_seat(code, guild_id)
        async with self._moderator_allowance(author_id):
            update = await self.store.write(
                updates.add, guild_id=guild_id, seat_code=code, kind=kind, party=party,
                payload=payload, author_id=author_id, author_name=author_name,
                known_parties=self.known_parties, stood=stood,
                opponent=self.settings_for(guild_id).opponent if guild_id is not None
                else None, announced_pact=record.pacts[0] if record and record.pacts
                else None)
        return Change(update, before, self._answer_after(update, guild_id))

    def _answer_after(self, update: SeatUpdate, guild_id: int | None) -> Answer:
        """The seat's answer once `update` is stored. The update is committed by now: if
        the database goes away before the answer is worked out, say it is saved."""
        try:
            return self.answer_for_seat(update.seat_code, guild_id)
        except StoreUnavailable as exc:
            raise SavedUnshown(f"update #{update.id} is saved, but the database went away "
                               "before the new advice could be worked out: ask for the "
                               "seat again in a moment.") from exc

    async def revert_update(self, guild_id: int | None, update_id: int, author_id: int,
                            author_name: str) -> Change:
        target = updates.get(self.guilds_db, update_id)
        before = self.answer_for_seat(target.seat_code, guild_id) if target else None
        async with self._moderator_allowance(author_id):
            update = await self.store.write(updates.revert, update_id=update_id,
                                            guild_id=guild_id, author_id=author_id,
                                            author_name=author_name,
                                            owners=set(self.owner_ids))
        return Change(update, before, self._answer_after(update, guild_id))

    async def make_global(self, update_id: int, author_id: int, author_name: str
                          ) -> SeatUpdate:
        async with self._moderator_allowance(author_id):
            return await self.store.write(updates.make_global, update_id=update_id,
                                          author_id=author_id, author_name=author_name,
                                          owners=set(self.owner_ids))

    def history(self, guild_id: int, code: str) -> list[updates.HistoryItem]:
        return updates.history(self.guilds_db, guild_id, code)

    # -- server settings, subscriptions, national polls, the postcode cache -------------
    async def set_setting(self, guild_id: int, key: str, value: str, by: int
                          ) -> guild_settings.GuildSettings:
        return await self.store.write(guild_settings.set_value, guild_id, key, value, by,
                                      self.known_parties)

    @staticmethod
    def setting_keys() -> dict[str, str]:
        return dict(guild_settings.KEYS)

    def parse_result(self, text: str) -> tuple[dict[str, int], str | None]:
        """`Lab=12000 Con=9000 2026-05-07` -> votes and date, or a clear refusal."""
        return updates.parse_votes(text, self.known_parties)

    def stored_value(self, key: str) -> str | None:
        """A bot-wide stored value (such as the slash-command hash)."""
        return guild_settings.get_raw(self.guilds_db, 0, key)

    async def store_value(self, key: str, value: str) -> None:
        await self.store.write(guild_settings.set_raw, 0, key, value, None)

    async def subscribe(self, guild_id: int, user_id: int, code: str) -> bool:
        fingerprint = self.answer_for_seat(code, guild_id).fingerprint
        return await self.store.write(subscriptions.subscribe, guild_id, user_id, code,
                                      fingerprint)

    async def unsubscribe(self, guild_id: int, user_id: int, code: str) -> bool:
        return await self.store.write(subscriptions.unsubscribe, guild_id, user_id, code)

    async def subscribers_to_tell(self, guild_id: int, code: str, fingerprint: str
                                  ) -> list[int]:
        """Subscribers to DM about a change, once each. Asked after the change is stored:
        if the database fails now, the change stands and nobody is told this time (they
        are at the next change, compared with what they were last told)."""
        try:
            return await self.store.write(subscriptions.due, guild_id, code, fingerprint)
        except StoreError as exc:
            log.warning("could not look up subscribers to tell: %s", exc)
            return []

    async def subscriber_told(self, guild_id: int, code: str, user_id: int,
                              fingerprint: str) -> None:
        await self._after_dm(subscriptions.told, guild_id, code, user_id, fingerprint)

    async def subscriber_refused(self, guild_id: int, code: str, user_id: int) -> None:
        await self._after_dm(subscriptions.refused, guild_id, code, user_id)

    async def _after_dm(self, fn: Callable[..., None], *args) -> None:
        """Record how a DM went. The update it was about is saved and announced by now: a
        failure here is logged, never reported as the update's (the DM is simply sent
        again at the next change)."""
        try:
            await self.store.write(fn, *args)
        except StoreError as exc:
            log.warning("could not record a subscriber's DM: %s", exc)

    def describe_polls(self, quote: Callable[[str], str] = str) -> str:
        """What answers rest on, nation by nation, and the owners' polls on record
        (`quote`: how to make an owner's text safe where it is shown)."""
        return self.forecasts.describe_polls(self.owner_polls(),
                                             national_polls.on_record(self.guilds_db), quote)

    async def set_national_poll(self, text: str, by: int) -> national_polls.NationalPoll:
        poll = national_polls.parse(text, self.known_parties)
        added = await self.store.write(national_polls.add, poll, by=by,
                                       owners=set(self.owner_ids))
        return added

    async def delete_national_poll(self, poll_id: int, by: int) -> national_polls.NationalPoll:
        gone = await self.store.write(national_polls.delete, poll_id, by=by,
                                      owners=set(self.owner_ids))
        return gone

    async def clear_postcode_cache(self) -> int:
        return await self.store.write(clear_cache)

    # -- seat polls ----------------------------------------------------------------------
    async def create_poll(self, **fields) -> polls.Poll:
        try:
            return await self.store.write(polls.create, **fields)
        except StoreError as exc:
            raise NotRecorded("the poll could not be saved (a storage problem)") from exc

    async def end_poll(self, poll_id: int, guild_id: int) -> polls.Poll:
        return await self.store.write(polls.end, poll_id, guild_id)

    async def claim_due_polls(self) -> list[polls.Poll]:
        """Due polls for this process to close and announce (claimed fleet-wide)."""
        return await self.store.write(polls.claim_due, self.worker, time.time())

    async def poll_announced(self, poll_id: int) -> bool:
        return await self.store.write(polls.announced, poll_id, self.worker)

    async def record_poll_vote(self, message_id: int, answer_id: int, user_id: int,
                               added: bool) -> None:
        await self.store.write(polls.record_vote, message_id, answer_id, user_id, added)

    async def reconcile_poll(self, message_id: int, counts: dict[int, int]) -> None:
        await self.store.write(polls.reconcile, message_id, counts)

    def open_polls(self, guild_id: int | None = None) -> list[polls.Poll]:
        return polls.open_polls(self.guilds_db, guild_id)

    def latest_poll_for_seat(self, guild_id: int, code: str) -> polls.Poll | None:
        return polls.latest_for_seat(self.guilds_db, guild_id, code)

    async def answer(self, query: str, guild_id: int | None = None,
                     options: AdviceOptions | None = None) -> Answer:
        started = time.perf_counter()
        resolution = await self.resolver.resolve(query)
        if resolution.seat is None:
            answer = self._no_single_seat(resolution)
        else:
            answer = self.answer_for_seat(resolution.seat.code, guild_id, resolution, options)
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
        server's settings or updates) or empties the store (anything shared)."""
        kept = self.kept
        try:
            kept.fresh()
            key = (code, resolution, options, kept.settings(guild_id),
                   tuple(u.id for u in kept.updates(guild_id, code)),
                   kept.today())  # the date: "polls N days old"
            return kept.answer(key, lambda: self._work_out(code, guild_id, resolution,
                                                           options))
        except StoreUnavailable:
            return self._reference_answer(code, resolution, options)

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
        return Answer(
            resolution, advice,
            render_embed(advice, resolution, self.data.data_date, projected,
                         self._other_sites(advice, guild_id)),
            lambda: render_text(advice, resolution, projected,
                                self._other_sites(advice, guild_id, plain)))

    def _other_sites(self, advice: Advice, guild_id: int | None,
                     quote: Quote = safe_text) -> str:
        """What other tactical-voting sites the owner loaded say here (servers can hide it)."""
        if guild_id is not None and not self.kept.settings(guild_id).sites_enabled:
            return ""
        calls = self.kept.site_calls().get(advice.seat.code)
        if not calls:
            return ""
        names = {code: p.name for code, p in self.data.parties.items()}
        return other_sites_line(advice, calls, names, quote)

    # -- other sites' calls (loaded by the owner) ----------------------------------------
    async def import_site(self, name: str, path: Path, election: str = "next", *,
                          code_column: str | None = None, call_column: str | None = None,
                          replace: bool = False) -> sites.Site:
        boundaries = sites.ELECTIONS.get(election)
        if boundaries is None:
            raise sites.SiteError(f"election must be one of {', '.join(sites.ELECTIONS)}")
        seats = {s.code: s.name for s in self.data.seats.values()
                 if s.boundaries == boundaries}
        names = {code: p.name for code, p in self.data.parties.items()}
        calls = sites.parse(path, seats, names, code_column=code_column,
                            call_column=call_column)
        return await self.store.write(sites.store, name, election, calls, replace=replace)

    # -- seat projections for the coming election (loaded by the owners) -----------------
    async def import_projection(self, name: str, raw: bytes, label: str,
                                published: str | None, by: int | None, *,
                                replace: bool = False) -> projections.Loaded:
        seats = {s.code: s.name for s in self.data.seats.values() if s.boundaries == "2024"}
        names = {match_key(n): c for c, n in seats.items()}
        self.check_projection_size(len(raw))
        day = projections.check_date(published, self.kept.today())
        shares = projections.parse(raw, label, seats, names)
        loaded = await self.store.write(projections.store, name, day, shares, by,
                                        replace=replace)
        self.kept.fresh()
        self.forecasts.warm(self._fields, self.owner_polls(), self.kept.projections())
        return loaded

    @staticmethod
    def check_projection_size(size: int) -> None:
        if size > projections.MAX_BYTES:
            raise projections.ProjectionError(f"that file is {size:,} bytes: a seat table "
                                              "is far smaller")

    async def remove_projection(self, name: str) -> int:
        return await self.store.write(projections.remove, name)

    def loaded_projections(self) -> list[projections.Loaded]:
        return projections.loaded(self.guilds_db)

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

    # -- polls -------------------------------------------------------------------------
    def seat_poll_options(self, code: str, guild_id: int | None) -> list[tuple[str, str]]:
        """(party code, answer text) for a seat poll: the parties standing there (withdrawals
        removed, declared candidates named), biggest first, then "Not sure"."""
        record = self.data.record(code)
        in_scope = self.updates_for(guild_id, code)
        gone = {u.party for u in in_scope if u.kind == "withdraw"}
        named = {u.party: u.payload.get("name", "") for u in in_scope if u.kind == "candidate"}
        parties = [c.party for c in record.latest.candidates if c.party not in gone]
        parties += [p for p in named if p not in parties]
        options = []
        for party in dict.fromkeys(p for p in parties if p != "Ind"):
            label = self.data.party(party).name
            if named.get(party):
                label = f"{label} ({named[party]})"
            options.append((party, shorten(label, polls.ANSWER_LIMIT)))
        return options[:polls.MAX_OPTIONS - 1] + [("", polls.NOT_SURE)]

    def poll_results(self, poll: polls.Poll) -> tuple[EmbedSpec, bytes]:
        tally = polls.tally(self.guilds_db, poll)
        advised = None
        if poll.seat_code and tally.leader:
            advice = self.answer_for_seat(poll.seat_code, poll.guild_id).advice
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
