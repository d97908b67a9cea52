"""Per-user cooldowns that stay cheap with many users.

discord.py's CooldownMapping drops expired buckets on every lookup by walking every user
it has seen, so each command costs time in proportion to the users of the last window:
with a national campaign's hundreds of thousands of voters, that is the slowest part of
a command. Here the walk happens at most once a minute; an expired bucket found before
then is simply reset by its own window, as discord.py's Cooldown does anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from discord.ext import commands

SWEEP_SECONDS = 60.0


class SweptCooldownMapping(commands.CooldownMapping):
    _swept_at = 0.0

    def copy(self) -> SweptCooldownMapping:  # discord.py's copy() would lose the subclass
        twin = SweptCooldownMapping(self._cooldown, self._type)
        twin._cache = self._cache.copy()
        return twin

    def _verify_cache_integrity(self, current: float | None = None) -> None:
        current = current or time.time()
        if current - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = current
            super()._verify_cache_integrity(current)


def cooldown(rate: int, per: float, type: commands.BucketType = commands.BucketType.user
             ) -> Callable:
    """`commands.cooldown`, with the cheap mapping."""
    def decorator(func):
        mapping = SweptCooldownMapping(commands.Cooldown(rate, per), type)
        if isinstance(func, commands.Command):
            func._buckets = mapping
        else:
            func.__commands_cooldown__ = mapping
        return func
    return decorator
