"""Straw polls' rules and values, with no storage: what a poll may ask, and its tally."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UserFacingError
from bot.textnorm import visible

QUESTION_LIMIT, ANSWER_LIMIT = 300, 55  # Discord's limits for a poll
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MIN_HOURS, MAX_HOURS = 1, 168  # one hour to seven days
NOT_SURE = "Not sure"


class PollError(UserFacingError):
    pass


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


def validate(question: str, options: list[str], hours: int) -> tuple[str, list[str]]:
    question = visible(question)
    options = [visible(o) for o in options if visible(o)]
    if not question:
        raise PollError("the poll needs a question")
    if len(question) > QUESTION_LIMIT:
        raise PollError(f"the question is too long (limit {QUESTION_LIMIT} characters)")
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise PollError(f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options, not "
                        f"{len(options)}")
    if long := [o for o in options if len(o) > ANSWER_LIMIT]:
        raise PollError(f"“{long[0][:20]}…” is too long (limit {ANSWER_LIMIT} characters)")
    if len({o.casefold() for o in options}) != len(options):
        raise PollError("two options are the same")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise PollError(f"a poll runs for {MIN_HOURS} to {MAX_HOURS} hours (7 days)")
    return question, options


def parse_options(text: str) -> list[str]:
    """`Lab | LD | Green` -> ["Lab", "LD", "Green"]."""
    return [part.strip() for part in text.split("|")]
