"""Per-user limits kept in the store, so that they hold across every process of a fleet
(an in-memory cooldown counts only what one process saw): a fixed window per key, spent
in one locked write, refunded when the action it paid for is refused."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.store.base import Store

MODERATOR_RATE = (10, 60.0)  # updates a moderator may post a minute: faster is a script or a slip


class LimitReached(UserFacingError):
    """Too many in the window: nothing was done."""


def take(db: Store, key: str, rate: int, per: float, now: float) -> float:
    """Spend one of `rate` uses a `per`-second window for `key`: 0 when allowed, else the
    seconds until the window opens again."""
    with db.transaction() as conn:
        row = conn.execute("select window_start, used from rate_limits where key = ?",
                           (key,)).fetchone()
        if row is None or now - row[0] >= per:
            conn.execute("insert into rate_limits (key, window_start, used) values (?, ?, 1) "
                         "on conflict (key) do update set window_start = excluded.window_start, "
                         "used = 1", (key, now))
            return 0.0
        if row[1] >= rate:
            return per - (now - row[0])
        conn.execute("update rate_limits set used = used + 1 where key = ?", (key,))
        return 0.0


def refund(db: Store, key: str) -> None:
    db.execute("update rate_limits set used = used - 1 where key = ? and used > 0",
                    (key,))
