"""Moderators' seat updates: an append-only log in guilds.db.

Nothing is edited or deleted: a revert is a new row pointing at the one it undoes. Every
write is validated first (bad input writes nothing) and is one transaction, so two
moderators posting at once cannot collide and a crash loses at most the write in flight.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.errors import UserFacingError
from bot.forecast.model import members
from bot.models import Pact, SeatUpdate, UpdateKind
from bot.store.base import Store
from bot.textnorm import party_code, visible

KINDS = tuple(UpdateKind)
NEEDS_PARTY = {UpdateKind.PACT, UpdateKind.CANDIDATE, UpdateKind.WITHDRAW, UpdateKind.OVERRIDE}
NOTE_LIMIT, REASON_LIMIT, NAME_LIMIT = 500, 300, 100
MAX_STANDING_ASIDE = 8
FIRST_NEW_RESULT = date(2024, 7, 5)  # the day after the last general election in our data
MAX_VOTES = 200_000  # no UK seat has ever had this many voters
# the fewest valid votes in any Westminster by-election since 2017 were 14,858 (Southend
# West, 2022, which the main parties left uncontested): a third of that is no real count
MIN_VOTES = 5_000
VOTE_RE = re.compile(r"^([A-Za-z][\w-]{0,19})=(\d{1,7})$")


class UpdateError(UserFacingError):
    """A refused update; the message says why, and nothing was written."""


@dataclass(frozen=True)
class HistoryItem:
    update: SeatUpdate
    reverted_by: int | None  # the id of the revert, if any


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row(row: tuple) -> SeatUpdate:
    (id_, guild_id, seat_code, kind, party, payload, author_id, author_name, created_at,
     reverts_id) = row
    return SeatUpdate(id_, guild_id, seat_code, UpdateKind(kind), party,
                      json.loads(payload or "{}"),
                      author_id, author_name, created_at, reverts_id)


COLUMNS = ("id, guild_id, seat_code, kind, party, payload, author_id, author_name, created_at, "
           "reverts_id")


def parse_votes(text: str, known_parties: set[str]) -> tuple[dict[str, int], str | None]:
    """`Lab=12000 Con=9000 LD=3000 2026-05-07` -> ({party: votes}, date or None)."""
    votes: dict[str, int] = {}
    when = None
    for token in text.split():
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
            try:
                when = date.fromisoformat(token)
            except ValueError:
                raise UpdateError(f"{token} is not a real date") from None
            if not FIRST_NEW_RESULT <= when <= date.today():
                raise UpdateError(f"{token}: a newer result must fall after the "
                                  f"{FIRST_NEW_RESULT.year} general election and not in the "
                                  "future")
            when = when.isoformat()
            continue
        match = VOTE_RE.match(token)
        if not match:
            raise UpdateError(f"write results as party=votes, e.g. Lab=12000 Con=9000 "
                              f"(not {token[:30]!r})")
        party = party_code(match[1], known_parties)
        if party is None:
            raise UpdateError(f"unknown party {match[1]!r}")
        if party in votes:
            raise UpdateError(f"{party} is listed twice")
        votes[party] = int(match[2])
    if len(votes) < 2:
        raise UpdateError("a result needs at least two parties")
    if sum(votes.values()) > MAX_VOTES or not any(votes.values()):
        raise UpdateError("those vote counts are not plausible for one seat")
    if sum(votes.values()) < MIN_VOTES:
        raise UpdateError(f"those votes add up to {sum(votes.values()):,}: a by-election "
                          f"result needs at least {MIN_VOTES:,} (the fewest in any "
                          "Westminster by-election since 2017 were 14,858, Southend West "
                          "2022). Give the full counts, not thousands or percentages")
    return votes, when


def validate(kind: str, party: str | None, payload: dict, known_parties: set[str],
             stood: set[str] | None = None) -> None:
    """Refuse anything malformed before a byte is written."""
    if kind not in KINDS or kind == UpdateKind.REVERT:
        raise UpdateError(f"unknown update kind {kind!r}")
    if kind in NEEDS_PARTY and not party:
        raise UpdateError(f"a {kind} needs a party")
    for p in [party, *payload.get("standing_aside", ())]:
        if p and p not in known_parties:
            raise UpdateError(f"unknown party {p[:20]!r}")
    if kind == UpdateKind.WITHDRAW and stood is not None and party not in stood:
        raise UpdateError(f"{party} did not stand here at the last election, so it cannot "
                          "withdraw")
    aside = payload.get("standing_aside", ())
    if len(aside) > MAX_STANDING_ASIDE or len(set(aside)) != len(aside):
        raise UpdateError(f"name each party standing aside once, at most {MAX_STANDING_ASIDE}")
    if kind == UpdateKind.PACT and party in aside:
        raise UpdateError("the pact's candidate cannot also stand aside")
    limits = {"text": NOTE_LIMIT, "reason": REASON_LIMIT, "name": NAME_LIMIT}
    for key, limit in limits.items():
        if key in payload:
            value = visible(str(payload[key]))
            if not value:
                raise UpdateError(f"the {key} is empty (invisible characters do not count)")
            if len(value) > limit:
                raise UpdateError(f"the {key} is too long ({len(value)} characters; the "
                                  f"limit is {limit})")
    if kind == UpdateKind.NOTE and "text" not in payload:
        raise UpdateError("a note needs some text")
    if kind == UpdateKind.OVERRIDE and "reason" not in payload:
        raise UpdateError("an override needs a reason")
    if kind == UpdateKind.CANDIDATE and "name" not in payload:
        raise UpdateError("a candidate needs a name")


MAX_ID = 2**63 - 1  # SQLite's integer range: a bigger "id" is simply not one of ours


def check_id(value: int, what: str = "update") -> int:
    if not 1 <= value <= MAX_ID:
        raise UpdateError(f"there is no {what} #{str(value)[:20]}")
    return value


def _insert(conn: Store, values: tuple) -> SeatUpdate:
    return _row(conn.execute(
        "insert into seat_updates (guild_id, seat_code, kind, party, payload, author_id, "
        "author_name, created_at, reverts_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        f"returning {COLUMNS}", values).fetchone())


def add(db: Store, *, guild_id: int | None, seat_code: str, kind: str,
        party: str | None, payload: dict, author_id: int, author_name: str,
        known_parties: set[str], stood: set[str] | None = None,
        opponent: str | None = None, announced_pact: Pact | None = None) -> SeatUpdate:
    """`announced_pact`: the parties' own pact for the seat (data/pacts.csv), in force
    unless a moderator's pact replaces it."""
    validate(kind, party, payload, known_parties, stood)
    if opponent and kind == UpdateKind.PACT and members(opponent) & {party,
                                                             *payload.get("standing_aside", ())}:
        raise UpdateError(f"{opponent} is the party this server wants to beat: it cannot be "
                          "the pact's candidate or stand aside in it")
    if opponent and kind == UpdateKind.OVERRIDE and party in members(opponent):
        raise UpdateError(f"{opponent} is the party this server wants to beat (`config "
                          "opponent`): the moderators' call cannot be to vote for it")
    clean = {k: (visible(v) if isinstance(v, str) else v) for k, v in payload.items()}
    with db.transaction() as conn:
        standing = _standing(conn, guild_id, seat_code)
        _refuse_contradiction(standing, kind, party, announced_pact)
        if kind == UpdateKind.BYELECTION:
            _refuse_second_result(standing, clean)
        return _insert(conn, (guild_id, seat_code, kind, party, json.dumps(clean), author_id,
                              author_name[:NAME_LIMIT], _now(), None))


@dataclass
class _Standing:
    withdrawn: dict[str, int]  # party -> the update that withdrew it
    pact: SeatUpdate | None
    results: dict[str, SeatUpdate]  # polling day -> the by-election result posted for it


def result_day(update: SeatUpdate) -> str:
    """The polling day of a posted by-election: its date, else the day it was posted."""
    return update.payload.get("date") or update.created_at[:10]


def _standing(conn: Store, guild_id: int | None, seat_code: str) -> _Standing:
    """Who has withdrawn and which pact holds, from the updates in force (read under the
    write lock, so two moderators cannot post contradicting updates at once)."""
    state = _Standing({}, None, {})
    for u in in_scope(conn, guild_id, seat_code):
        if u.kind == UpdateKind.BYELECTION:
            state.results[result_day(u)] = u
        elif u.kind == UpdateKind.WITHDRAW and u.party:
            state.withdrawn[u.party] = u.id
        elif u.kind == UpdateKind.CANDIDATE and u.party:
            state.withdrawn.pop(u.party, None)
        elif u.kind == UpdateKind.PACT:
            state.pact = u
        elif u.kind == UpdateKind.PACT_END:
            state.pact = None
    return state


def _refuse_contradiction(state: _Standing, kind: str, party: str | None,
                          announced_pact: Pact | None = None) -> None:
    """An update that contradicts one in force is refused, saying which and what to do."""
    if kind == UpdateKind.OVERRIDE and state.pact and party in state.pact.payload.get(
            "standing_aside", ()):
        raise UpdateError(f"{party} stands aside under the pact in force (update "
                          f"#{state.pact.id}): end the pact first (`pact-end`)")
    if kind == UpdateKind.OVERRIDE and state.pact is None and announced_pact is not None \
            and party in announced_pact.standing_aside:
        raise UpdateError(f"{party} stands aside here under {announced_pact.name}, announced "
                          "by the parties: post this server's own pact first if that has "
                          "changed")
    if kind == UpdateKind.WITHDRAW and party in state.withdrawn:
        raise UpdateError(f"{party} has already withdrawn here (update "
                          f"#{state.withdrawn[party]})")
    if kind == UpdateKind.WITHDRAW and state.pact and state.pact.party == party:
        raise UpdateError(f"{party} is the agreed candidate of the pact in force (update "
                          f"#{state.pact.id}): end the pact first (`pact-end`)")
    if kind == UpdateKind.PACT and party in state.withdrawn:
        raise UpdateError(f"{party} has withdrawn here (update #{state.withdrawn[party]}): "
                          "revert that, or declare its new candidate, before a pact backs it")


def _refuse_second_result(state: _Standing, payload: dict) -> None:
    """One result per polling day: the same again is a duplicate, a different one a
    contradiction; either way the moderator is told which update already holds it."""
    day = payload.get("date") or _now()[:10]
    earlier = state.results.get(day)
    if earlier is None:
        return
    if earlier.payload.get("votes") == payload.get("votes"):
        raise UpdateError(f"that result for {day} is already recorded (update #{earlier.id})")
    raise UpdateError(f"update #{earlier.id} already records a different result for {day}: "
                      f"revert it first if it was wrong")


def get(db: Store, update_id: int) -> SeatUpdate | None:
    row = db.execute(f"select {COLUMNS} from seat_updates where id = ?",
                       (check_id(update_id),)).fetchone()
    return _row(row) if row else None


def _reverted(conn: Store, update_id: int) -> bool:
    return conn.execute("select 1 from seat_updates where reverts_id = ?",
                        (update_id,)).fetchone() is not None


def revert(db: Store, *, update_id: int, guild_id: int | None, author_id: int,
           author_name: str, owners: Collection[int] = ()) -> SeatUpdate:
    """Undo an update of this server; a bot owner may also undo one shared with every
    server (the revert then applies everywhere too). Checked and written under one lock."""
    with db.transaction() as conn:
        target = get(conn, update_id)
        shared = target is not None and target.guild_id is None
        if target is None or not (target.guild_id == guild_id
                                  or (shared and author_id in owners)):
            hint = " (an update for all servers can be reverted by the bot's owners)" \
                if shared else ""
            raise UpdateError(f"there is no update #{update_id} in this server{hint}")
        if target.kind == UpdateKind.REVERT:
            raise UpdateError("a revert cannot be reverted: post the update again instead")
        if _reverted(conn, update_id):
            raise UpdateError(f"update #{update_id} is already reverted")
        return _insert(conn, (target.guild_id, target.seat_code, "revert", target.party,
                              json.dumps({"of": target.kind}), author_id,
                              author_name[:NAME_LIMIT], _now(), update_id))


def make_global(db: Store, *, update_id: int, author_id: int,
                author_name: str, owners: Collection[int]) -> SeatUpdate:
    """A bot owner's copy of an update for every server (the original stays as it was).
    A reverted update, a revert, a global one, or one already shared cannot be shared."""
    if author_id not in owners:
        raise UpdateError("only the bot's owners can share an update with every server")
    with db.transaction() as conn:
        source = get(conn, update_id)
        if source is None or source.kind == UpdateKind.REVERT:
            raise UpdateError(f"there is no update #{update_id} to share")
        if source.guild_id is None:
            raise UpdateError(f"update #{update_id} already applies in every server")
        if _reverted(conn, update_id):
            raise UpdateError(f"update #{update_id} was reverted: it cannot be shared")
        copy = next((u.id for u in _globals(conn, source.seat_code)
                     if u.payload.get("copied_from") == update_id), None)
        if copy is not None:
            raise UpdateError(f"update #{update_id} is already shared as #{copy}")
        payload = {**source.payload, "copied_from": update_id}
        return _insert(conn, (None, source.seat_code, source.kind, source.party,
                              json.dumps(payload), author_id, author_name[:NAME_LIMIT],
                              _now(), None))


def _globals(db: Store, seat_code: str) -> list[SeatUpdate]:
    return [_row(r) for r in db.execute(f"select {COLUMNS} from seat_updates where "
                                        "seat_code = ? and guild_id is null", (seat_code,))]


def history(db: Store, guild_id: int | None,
            seat_code: str) -> list[HistoryItem]:
    """Every update on the seat seen in this server, oldest first, reverted ones marked."""
    rows = [_row(r) for r in db.execute(
        f"select {COLUMNS} from seat_updates where seat_code = ? and "
        "(guild_id = ? or guild_id is null) order by id", (seat_code, guild_id))]
    reverted = {u.reverts_id: u.id for u in rows if u.kind == UpdateKind.REVERT}
    return [HistoryItem(u, reverted.get(u.id)) for u in rows]


def seats_updated(db: Store, guild_id: int | None) -> frozenset[str]:
    """The seats with any update seen in this server (most have none)."""
    return frozenset(code for (code,) in db.execute(
        "select distinct seat_code from seat_updates where guild_id = ? or guild_id is null",
        (guild_id,)))


def in_scope(db: Store, guild_id: int | None,
             seat_code: str) -> list[SeatUpdate]:
    """What the advice in this server should take into account, oldest first: `history`
    without the reverts and what they reverted, which the database leaves out (a seat's
    log grows with every note and revert; the advice reads it after each change)."""
    return [_row(r) for r in db.execute(
        f"select {COLUMNS} from seat_updates u where seat_code = ? and "
        "(guild_id = ? or guild_id is null) and kind != ? and not exists ("
        " select 1 from seat_updates r where r.reverts_id = u.id and r.kind = ? and"
        " r.seat_code = u.seat_code and (r.guild_id = ? or r.guild_id is null)) order by id",
        (seat_code, guild_id, UpdateKind.REVERT, UpdateKind.REVERT, guild_id))]
