"""Any query -> the 2024 seat(s) it means, and how it matched.

Order: full postcode, postcode district, then names: current seat names, our aliases,
2010-boundary seat names (to their successors, largest share of people first), a place
name inside seat names, and last a fuzzy match. Every index is built once, at start-up.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace

import sqlite_utils
from rapidfuzz import fuzz, process

from bot.models import Resolution, SeatRef
from bot.places.postcodes import (
    BFPO_RE,
    LOOKS_LIKE_POSTCODE,
    PostcodeLookup,
    normalise_outcode,
    normalise_postcode,
    squash,
)
from bot.textnorm import MAX_QUERY, clean_query, match_key

FUZZY_CUTOFF = 72  # below this a "match" is usually unrelated
FUZZY_CLEAR = 80  # blended score at or above which, well ahead of the next seat, we answer
FUZZY_LEAD = 6  # how far ahead of the next seat a clear winner must be
FUZZY_ALTERNATIVE = 75  # weaker near-misses are noise beside a clear winner
FUZZY_SUGGEST = 65  # below this (blended) a near-miss is not worth suggesting
MAX_CHOICES = 25  # Discord's limit for a select menu or autocomplete
MAX_WARDS = 6  # a word in more wards than this is too common to name a place
MIN_WARD_KEY = 4  # "AR" is not a neighbourhood


@dataclass(frozen=True)
class OldSeat:
    name: str
    successors: tuple[tuple[SeatRef, float], ...]  # (seat, share of the old seat's people)


# Words too common to find a place by on their own ("and" is in 250 seat names).
STOPWORDS = frozenset({"and", "the", "of", "in", "on", "upon", "under", "by", "a", "an",
                       "at", "to", "for", "with", "north", "south", "east", "west",
                       "central", "mid", "town", "seat", "constituency"})
# A town's long form: "Clacton-on-Sea" is Clacton, "Burton upon Trent" is Burton.
PLACE_SUFFIX = re.compile(r" (?:on|by the|upon) (?:sea|trent)$")


NAMES_KEPT = 10_000  # distinct name queries remembered (a few MB at most)


class Resolver:
    def __init__(
        self,
        seats: list[SeatRef],
        aliases: list[tuple[str, str, str]],  # (alias, seat code, kind)
        old_seats: list[OldSeat],
        postcodes: PostcodeLookup | None = None,
        wards: list[tuple[str, str, int]] = (),  # (ward name, seat code, postcodes)
        place_names: list[tuple[str, str, str]] = (),  # (name, what it means, kind)
        areas: list[tuple[str, int]] = (),  # (region or nation, how many seats it has)
    ) -> None:
        self.postcodes = postcodes
        # "London", "Scotland": too many seats to answer for one, too many to list
        self.areas = {match_key(name): (name, n) for name, n in areas}
        self._names: dict[str, Resolution] = {}  # by name, for resolve_name
        self._queries: dict[str, Resolution] = {}  # by query, for resolve: names only
        self.place_names = {match_key(n): (means, kind) for n, means, kind in place_names}
        self.by_code = {s.code: s for s in seats}
        self.by_name = {s.name: s for s in seats}
        self.exact = {match_key(s.name): s for s in seats}
        self.aliases = {match_key(a): (self.by_code[c], kind) for a, c, kind in aliases
                        if c in self.by_code}
        self.old = {k: o for o in old_seats if (k := match_key(o.name)) not in self.exact}
        self.padded = [(f" {k} ", s) for k, s in self.exact.items()]
        # each word -> the seat names and old seat names with it: a town query checks a few
        self.seats_by_word: dict[str, list[tuple[str, SeatRef]]] = {}
        for padded, seat in self.padded:
            for word in set(padded.split()):
                self.seats_by_word.setdefault(word, []).append((padded, seat))
        self.old_by_word: dict[str, list[tuple[str, OldSeat]]] = {}
        for old_key, old in self.old.items():
            for word in set(old_key.split()):
                self.old_by_word.setdefault(word, []).append((f" {old_key} ", old))
        # wards as a place index: " north jesmond " -> (name, {seat: postcodes})
        by_ward: dict[str, tuple[str, dict[SeatRef, int]]] = {}
        for ward, code, count in wards:
            if code in self.by_code:
                entry = by_ward.setdefault(f" {match_key(ward)} ", (ward, {}))
                entry[1][self.by_code[code]] = entry[1].get(self.by_code[code], 0) + count
        # each word -> the wards with it in their name, so a query checks a handful
        self.wards_by_word: dict[str, list[tuple[str, tuple[str, dict[SeatRef, int]]]]] = {}
        for ward_key, entry in by_ward.items():
            for word in set(ward_key.split()):
                self.wards_by_word.setdefault(word, []).append((ward_key, entry))
        # fuzzy choices: every name we know, each pointing at the seat(s) it means
        self.choice_keys: list[str] = []
        self.choice_seats: list[tuple[SeatRef, ...]] = []
        for key, seat in self.exact.items():
            self._add_choice(key, (seat,))
        for key, (seat, _kind) in self.aliases.items():
            self._add_choice(key, (seat,))
        for key, old in self.old.items():
            self._add_choice(key, tuple(s for s, _ in old.successors))

    def _add_choice(self, key: str, seats: tuple[SeatRef, ...]) -> None:
        self.choice_keys.append(key)
        self.choice_seats.append(seats)

    @classmethod
    def from_db(cls, db: sqlite_utils.Database, postcodes: PostcodeLookup | None = None
                ) -> Resolver:
        q = db.conn.execute
        seats = [SeatRef(code, name, nation) for code, name, nation in q(
            "select code, name, nation from seats where boundaries = '2024' order by name")]
        by_id = {sid: SeatRef(code, name, nation) for sid, code, name, nation in q(
            "select id, code, name, nation from seats where boundaries = '2024'")}
        aliases = [tuple(row) for row in q("select alias, seat_code, kind from aliases")]
        successors: dict[str, list[tuple[SeatRef, float]]] = {}
        for old_name, new_id, share in q(
            """select s.name, o.new_seat_id, o.old_population_share from overlaps o
               join seats s on s.id = o.old_seat_id order by o.old_population_share desc"""
        ):
            if share >= 0.005:  # slivers of a street or two are not a successor
                successors.setdefault(old_name, []).append((by_id[new_id], share))
        old = [OldSeat(name, tuple(s)) for name, s in successors.items()]
        tables = db.table_names()
        wards = ([tuple(r) for r in q("select ward, seat_code, postcodes from wards")]
                 if "wards" in tables else [])
        places = ([tuple(r) for r in q("select name, means, kind from place_names")]
                  if "place_names" in tables else [])
        areas = [tuple(r) for r in q(
            "select region, count(*) from seats where boundaries = '2024' group by region "
            "union select nation, count(*) from seats where boundaries = '2024' "
            "group by nation")]
        return cls(seats, aliases, old, postcodes, wards, places, areas)

    def with_postcodes(self, postcodes: PostcodeLookup | None) -> Resolver:
        """This resolver's indexes (shared, never changed) with another postcode lookup."""
        twin = copy.copy(self)
        twin.postcodes = postcodes
        return twin

    # -- lookups ---------------------------------------------------------------------
    def seat(self, code: str) -> SeatRef | None:
        return self.by_code.get(code)

    def suggest(self, text: str, limit: int = MAX_CHOICES) -> list[SeatRef]:
        """Autocomplete: seats whose names start with, contain, or resemble the text."""
        key = match_key(clean_query(text)[:MAX_QUERY])
        if not key:
            return list(self.by_code.values())[:limit]
        starts = [s for k, s in self.exact.items() if k.startswith(key)]
        contains = [s for p, s in self.padded if f" {key}" in p and s not in starts]
        found = starts + contains
        if len(found) < limit:
            for seats in self._fuzzy(key, limit * 2):
                for seat in seats:
                    if seat not in found:
                        found.append(seat)
        return found[:limit]

    async def resolve(self, query: str) -> Resolution:
        if (known := self._queries.get(query)) is not None:  # a name asked before
            return known
        text = clean_query(query)
        compact = squash(text[:MAX_QUERY])
        if normalise_postcode(compact):
            return await self._postcode(text, compact)
        if normalise_outcode(compact) and any(c.isdigit() for c in compact):
            return await self._outcode(text, compact)
        found = self.resolve_name(query)
        if len(query) <= MAX_QUERY * 2:
            if len(self._queries) >= NAMES_KEPT:
                self._queries.clear()
            self._queries[query] = found
        return found

    def resolve_name(self, query: str) -> Resolution:
        """A name query's seat(s): worked out once per distinct query (the indexes never
        change, so neither does the answer), kept for the most recent few thousand."""
        if len(query) > MAX_QUERY * 2:  # not a name anyone types twice: not worth keeping
            return self._resolve_name(query)
        found = self._names.get(query)
        if found is None:
            if len(self._names) >= NAMES_KEPT:
                self._names.clear()
            found = self._names[query] = self._resolve_name(query)
        return found

    def _resolve_name(self, query: str) -> Resolution:
        text = clean_query(query)
        if not text:
            return Resolution(query, (), "none", note="Type a postcode, seat name or town.")
        if len(text) > MAX_QUERY:
            return Resolution(text[:MAX_QUERY], (), "none",
                              note=f"That is too long: seat names are under {MAX_QUERY} letters.")
        compact = squash(text)
        if BFPO_RE.match(compact):
            return Resolution(text, (), "invalid", note=(
                "BFPO addresses are not in a constituency: service voters vote in the seat "
                "where they are registered. Type that postcode or seat name instead."))
        if LOOKS_LIKE_POSTCODE.match(compact) and not normalise_postcode(compact):
            return Resolution(text, (), "invalid", note=(
                f"{compact[:-3]} {compact[-3:]} is not a valid UK postcode. Check it, or type "
                "your seat or town name instead."))
        key = match_key(text)
        if not key:
            return Resolution(text, (), "none", note=f"No seat matches “{text}”.")
        if key in self.areas:
            name, seats = self.areas[key]
            return Resolution(text, (), "area", note=(
                f"{name} has {seats} seats, so I need to know where in {name}: type your "
                "postcode, or your town, borough or neighbourhood."))
        if set(key.split()) <= STOPWORDS:
            return Resolution(text, (), "none", note=(
                f"“{text}” is too common a word to find a place by. Type a postcode, a seat "
                "name or a town."))
        if seat := self.exact.get(key):
            return Resolution(text, (seat,), "exact", 100.0, note=f"Matched {seat.name}.")
        if key in self.aliases:
            seat, kind = self.aliases[key]
            return Resolution(text, (seat,), "alias", 100.0,
                              note=f"Matched {text} ({kind.replace('-', ' ')}) to {seat.name}.")
        if key in self.place_names:
            return self._several_places(text, self._place_name(text, *self.place_names[key]),
                                        self._ward(text, key))
        if old := self.old.get(key):
            return self._old_seat(text, old)
        if town := self._town(text, key):
            return town
        if ward := self._ward(text, key):
            return ward
        if (stem := PLACE_SUFFIX.sub("", key)) != key:  # "Clacton-on-Sea" is Clacton
            found = self.resolve_name(stem.title())
            if found.seats:
                return replace(found, query=text, note=f"Read “{text}” as {stem.title()}. "
                                                       + found.note)
        return self._fuzzy_resolution(text, key)

    @staticmethod
    def _several_places(text: str, first: Resolution, other: Resolution | None
                        ) -> Resolution:
        """A name two places share (Soho in London, Soho in Birmingham): each is offered,
        never one in silence."""
        extra = tuple(s for s in other.seats if s not in first.seats) if other else ()
        if not extra:
            return first
        seats = (*first.seats, *extra)[:MAX_CHOICES]

        def names(found: tuple[SeatRef, ...]) -> str:
            return " or ".join(s.name for s in found[:3])
        return Resolution(text, seats, first.method, 80.0, note=(
            f"More than one place is called “{text}”: one in {names(first.seats)}, another "
            f"in {names(extra)}. Pick yours, or type your postcode."))

    def _place_name(self, text: str, means: str, kind: str) -> Resolution:
        """A name from data/place_names.csv, answered as the query it stands for."""
        found = self.resolve_name(means)
        label = f"Welsh for {means}" if kind == "welsh-name" else f"in {means}"
        return replace(found, query=text, method="place-name",
                       note=f"“{text}” ({label}): {found.note}")

    # -- the name rules ----------------------------------------------------------------
    def _ward(self, text: str, key: str) -> Resolution | None:
        """A neighbourhood named in ward names: `Jesmond` -> North and South Jesmond ->
        Newcastle upon Tyne North. A ward split between seats is a choice, largest share
        first; a word found in too many wards ("Park") is not a place."""
        if len(key) < MIN_WARD_KEY:
            return None
        padded = f" {key} "
        candidates = self.wards_by_word.get(key.split()[0], [])
        found = [(name, seats) for ward_key, (name, seats) in candidates if padded in ward_key]
        if not found or len(found) > MAX_WARDS:
            return None
        postcodes: dict[SeatRef, int] = {}
        for _name, seats in found:
            for seat, count in seats.items():
                postcodes[seat] = postcodes.get(seat, 0) + count
        ranked = sorted(postcodes, key=lambda s: (-postcodes[s], s.name))
        wards = ("wards " if len(found) > 1 else "ward ") + ", ".join(
            f"“{name}”" for name, _ in found[:3]) + (" and others" if len(found) > 3 else "")
        if len(ranked) == 1:
            return Resolution(text, (ranked[0],), "ward", 90.0,
                              note=f"Matched “{text}” to the {wards} in {ranked[0].name}.")
        total = sum(postcodes.values())
        shares = ", ".join(f"{s.name} {postcodes[s] / total:.0%}" for s in ranked[:4])
        return Resolution(text, tuple(ranked[:MAX_CHOICES]), "ward", 85.0,
                          note=f"“{text}” ({wards}) is split between seats: {shares}. "
                               "Pick yours, or type your postcode.")

    def _old_seat(self, text: str, old: OldSeat) -> Resolution:
        first, *rest = old.successors
        shares = ", ".join(f"{s.name} {share:.0%}" for s, share in old.successors[:4])
        note = (f"{old.name} was abolished in the 2024 boundary changes; its people are now in "
                f"{shares}. Showing {first[0].name}.") if rest else (
                f"{old.name} was redrawn in 2024 as {first[0].name}.")
        return Resolution(text, (first[0],), "old-seat", 100.0,
                          tuple(s for s, _ in rest), note)

    def _town(self, text: str, key: str) -> Resolution | None:
        """A place named inside seat names: `Batley` -> Dewsbury and Batley."""
        padded, first = f" {key} ", key.split()[0]
        seats = [s for p, s in self.seats_by_word.get(first, ()) if padded in p]
        if not seats:
            return None
        # seats that took in part of an old seat of that name are worth offering too
        others = []
        for old_padded, old in self.old_by_word.get(first, ()):
            if padded in old_padded:
                others += [s for s, _ in old.successors if s not in seats and s not in others]
        if len(seats) == 1:
            return Resolution(text, (seats[0],), "town", 95.0, tuple(others[:MAX_CHOICES - 1]),
                              note=f"Matched the place name “{text}” to {seats[0].name}.")
        seats.sort(key=lambda s: (not match_key(s.name).startswith(key), s.name))
        return Resolution(text, tuple(seats[:MAX_CHOICES]), "town", 90.0,
                          note=f"{len(seats)} seats are named after {text}: pick one.")

    def _fuzzy(self, key: str, limit: int) -> list[tuple[SeatRef, ...]]:
        hits = process.extract(key, self.choice_keys, scorer=fuzz.WRatio, processor=None,
                               limit=limit, score_cutoff=FUZZY_CUTOFF)
        return [self.choice_seats[index] for _choice, _score, index in hits]

    def _fuzzy_resolution(self, text: str, key: str) -> Resolution:
        hits = process.extract(key, self.choice_keys, scorer=fuzz.WRatio, processor=None,
                               limit=12, score_cutoff=FUZZY_CUTOFF)
        # WRatio finds candidates (it forgives partial and reordered words); averaging in
        # the plain edit-distance ratio separates near twins like Belfast East and West.
        scored = sorted(((score + fuzz.ratio(key, choice)) / 2, index)
                        for choice, score, index in hits)[::-1]
        ranked: list[tuple[SeatRef, float]] = []
        for score, index in scored:
            for seat in self.choice_seats[index]:
                if all(seat != s for s, _ in ranked):
                    ranked.append((seat, score))
        ranked = [(seat, score) for seat, score in ranked if score >= FUZZY_SUGGEST]
        if not ranked:
            return Resolution(text, (), "none", note=(
                f"No seat matches “{text}”. Try a full postcode, or the seat's name."))
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if score >= FUZZY_CLEAR and score - runner_up >= FUZZY_LEAD:
            return Resolution(text, (best,), "fuzzy", score,
                              tuple(s for s, sc in ranked[1:4] if sc >= FUZZY_ALTERNATIVE),
                              note=f"Closest match to “{text}”: {best.name}.")
        # not sure enough to answer: offer the candidates, never pick one silently
        return Resolution(text, (), "fuzzy", score, tuple(s for s, _ in ranked[:5]),
                          note=f"No seat is called “{text}”. Did you mean one of these?")

    # -- postcodes -----------------------------------------------------------------------
    async def _postcode(self, text: str, compact: str) -> Resolution:
        if self.postcodes is None:
            return Resolution(text, (), "error", note=(
                "Postcode lookups are not available here: type your seat or town name."))
        answer = await self.postcodes.lookup(compact)
        pc = answer.postcode
        if answer.status == "live":
            seat = self.by_code.get(answer.seat_code or "") or self.by_name.get(
                answer.seat_name or "")
            if seat:
                return Resolution(pc, (seat,), "postcode", 100.0,
                                  note=f"Matched {pc} to {seat.name}.")
            return Resolution(pc, (), "none", note=(
                f"{pc} is not in a Westminster constituency we know (the Channel Islands and "
                "the Isle of Man have their own parliaments)."))
        if answer.status == "terminated":
            return Resolution(pc, (), "none", note=(
                f"{pc} was {answer.detail}: it is no longer in use. Try your current "
                "postcode, or type your seat or town name."))
        if answer.status == "not-found":
            return Resolution(pc, (), "none", note=(
                f"{pc} looks like a postcode but does not exist. Check it, or type your seat "
                "or town name."))
        return Resolution(pc, (), "error", note=(
            f"Postcode lookup is not working right now ({answer.detail or 'no answer'}). "
            "Type your seat or town name instead."))

    async def _outcode(self, text: str, compact: str) -> Resolution:
        if self.postcodes is None:
            return self.resolve_name(text)
        found, error = await self.postcodes.outcode(compact)
        seats: list[SeatRef] = []
        for item in found:
            seat = (self.by_name.get(item[5:]) if item.startswith("name:")
                    else self.by_code.get(item))
            if seat and seat not in seats:
                seats.append(seat)
        if seats:
            note = (f"{compact} is in {seats[0].name}." if len(seats) == 1 else
                    f"The {compact} district spans {len(seats)} seats: pick yours, or type "
                    "your full postcode.")
            return Resolution(compact, tuple(seats[:MAX_CHOICES]), "outcode", 100.0, note=note)
        if error and error != "no such postcode district":
            return Resolution(compact, (), "error", note=(
                f"Postcode lookup is not working right now ({error}). Type your full "
                "postcode later, or your seat or town name now."))
        return Resolution(compact, (), "none", note=(
            f"We could not find the seats for {compact}: type your full postcode, or your seat "
            "or town name."))
