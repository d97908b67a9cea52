"""howtovote core: everything the bot knows, with no Discord in it."""

__version__ = "0.1.0"
