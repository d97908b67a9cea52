"""Value types shared across the core. Frozen dataclasses; no I/O, no Discord."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """What the advice concludes about a seat."""

    CLEAR = "clear"  # one party to back
    CLOSE = "close"  # two of the bloc too close to call
    NOT_IN_CONTENTION = "opponent-not-in-contention"  # no tactical vote needed
    NO_BLOC_CANDIDATE = "no-bloc-candidate"  # none of the server's parties stands
    OUTSIDE_BLOC = "outside-bloc"  # the real challenger is a party the server does not back
    OVERRIDE = "override"  # the moderators' own call


class UpdateKind(StrEnum):
    """What a moderator's seat update records."""

    PACT = "pact"
    PACT_END = "pact-end"
    CANDIDATE = "candidate"
    WITHDRAW = "withdraw"
    NOTE = "note"
    OVERRIDE = "override"
    BYELECTION = "byelection"
    REVERT = "revert"


@dataclass(frozen=True)
class SeatRef:
    """A Westminster seat, as users and guilds.db know it (by its GSS code)."""

    code: str
    name: str
    nation: str  # England | Scotland | Wales | Northern Ireland
    boundaries: str = "2024"


@dataclass(frozen=True)
class Resolution:
    """What a user's query matched, and how. Empty `seats` means no match."""

    query: str
    seats: tuple[SeatRef, ...]  # best first
    # postcode | outcode | exact | alias | old-seat | town | fuzzy | none | invalid | error
    method: str
    score: float = 0.0  # 0-100; 100 for exact and postcode matches
    alternatives: tuple[SeatRef, ...] = ()  # other seats the user may have meant
    note: str = ""  # a user-facing sentence: "Matched WF13 1AB to Dewsbury and Batley"

    @property
    def seat(self) -> SeatRef | None:
        """The one seat to answer for, when the match is clear."""
        return self.seats[0] if len(self.seats) == 1 else None


@dataclass(frozen=True)
class CandidateResult:
    party: str  # party code, e.g. Lab, Ind
    party_name: str
    candidate: str | None  # None for notional results
    votes: int
    share: float  # fraction 0-1
    position: int
    won: bool
    coop: bool = False


@dataclass(frozen=True)
class Contest:
    """One seat at one election (general, notional or by-election)."""

    election_id: str
    election_name: str
    kind: str  # general | notional | by-election
    date: str  # ISO
    seat: SeatRef
    valid_votes: int
    electorate: int | None
    majority: int | None
    result: str | None  # "Lab gain from Con"
    candidates: tuple[CandidateResult, ...]  # by position

    @property
    def turnout(self) -> float | None:
        return self.valid_votes / self.electorate if self.electorate else None


@dataclass(frozen=True)
class Pact:
    """A pact or stand-aside: who the pact backed and who stood aside."""

    designated: str  # party code
    standing_aside: tuple[str, ...]
    name: str  # "Unite to Remain", "moderators' pact"
    election_id: str | None = None
    notes: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeatUpdate:
    """One row of the append-only seat_updates log (guilds.db)."""

    id: int
    guild_id: int | None  # None: global, set by a bot owner
    seat_code: str
    kind: UpdateKind
    party: str | None
    payload: dict = field(default_factory=dict)
    author_id: int = 0
    author_name: str = ""
    created_at: str = ""
    reverts_id: int | None = None


@dataclass(frozen=True)
class Poll:
    id: int
    guild_id: int
    channel_id: int
    message_id: int
    seat_code: str | None
    question: str
    options: tuple[str, ...]
    ends_at: str
    ended_at: str | None


@dataclass(frozen=True)
class Tally:
    poll: Poll
    counts: tuple[tuple[str, int], ...]  # (option, votes), in the poll's order
    voters: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def share(self, votes: int) -> float:
        return votes / self.total if self.total else 0.0

    @property
    def leader(self) -> str | None:
        ranked = sorted(self.counts, key=lambda c: -c[1])
        if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return None
        return ranked[0][0]
