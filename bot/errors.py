"""Errors whose message is meant for the user (shown as it is, nothing was changed), and
the guild store's own errors, which each store adapter raises in place of its driver's."""


class UserFacingError(ValueError):
    """A refusal to explain to the user: bad input, not a bug."""

    heading = "Not done"  # what the reply says before the message


class NotRecorded(UserFacingError):
    """Storage refused a write (a full or read-only disk, say); nothing was recorded."""


class SavedUnshown(UserFacingError):
    """A write is committed, but what it changed could not be shown (the database went
    away just after)."""

    heading = "Done"


class StoreError(Exception):
    """The guild store failed, whichever engine holds it."""


class StoreConflict(StoreError):
    """A rule of the schema refused the write (a unique key, a trigger); nothing was
    written."""


class StoreFailed(StoreError):
    """The engine refused or broke (a full or read-only disk, a damaged page)."""


class StoreUnavailable(StoreError, UserFacingError):
    """The guild database is out of reach (PostgreSQL restarting, another process holding
    guilds.db's write lock) and nothing was written."""

    def __init__(self, message: str = "the bot's database is out of reach for a moment "
                 "(restarting?): nothing was saved. Please try again in a moment.") -> None:
        super().__init__(message)


class StoreUncertain(StoreError, UserFacingError):
    """The database went away while a write was committing: it may or may not be saved."""

    heading = "Perhaps done"

    def __init__(self, message: str = "the bot's database went away just as this was being "
                 "saved, so it may have been saved. Check `history` before trying again."
                 ) -> None:
        super().__init__(message)
