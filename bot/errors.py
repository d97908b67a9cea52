"""Errors whose message is meant for the user (shown as it is, nothing was changed)."""

import sqlite3


class UserFacingError(ValueError):
    """A refusal to explain to the user: bad input, not a bug."""

    heading = "Not done"  # what the reply says before the message


class NotRecorded(UserFacingError):
    """Storage refused a write (a full or read-only disk, say); nothing was recorded."""


class SavedUnshown(UserFacingError):
    """A write is committed, but what it changed could not be shown (the database went
    away just after)."""

    heading = "Done"


class StoreUnavailable(sqlite3.OperationalError, UserFacingError):
    """The guild database is out of reach (PostgreSQL restarting, say) and nothing was
    written. A sqlite3 error too, so that code handling either engine's failures sees one
    kind."""

    def __init__(self, message: str = "the bot's database is out of reach for a moment "
                 "(restarting?): nothing was saved. Please try again in a moment.") -> None:
        super().__init__(message)


class StoreUncertain(sqlite3.OperationalError, UserFacingError):
    """The database went away while a write was committing: it may or may not be saved."""

    heading = "Perhaps done"

    def __init__(self, message: str = "the bot's database went away just as this was being "
                 "saved, so it may have been saved. Check `history` before trying again."
                 ) -> None:
        super().__init__(message)
