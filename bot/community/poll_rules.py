"""Straw polls' rules and values, with no storage: what a poll may ask, and its tally."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.textnorm import visible

QUESTION_LIMIT, ANSWER_LIMIT = 300, 55  # Discord's limits for a poll
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MIN_HOURS, MAX_HOURS = 1, 168  # one hour to seven days
NOT_SURE = "Not sure"


class PollError(UserFacingError):
    pass


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
