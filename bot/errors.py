"""Errors whose message is meant for the user (shown as it is, nothing was changed)."""


class UserFacingError(ValueError):
    """A refusal to explain to the user: bad input, not a bug."""


class NotRecorded(UserFacingError):
    """Storage refused a write (a full or read-only disk, say); nothing was recorded."""
