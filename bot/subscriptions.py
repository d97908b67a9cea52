"""Users who asked to hear when the advice for a seat changes in their server."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from bot.db import transaction
from bot.errors import UserFacingError

MAX_PER_USER = 10


class SubscriptionError(UserFacingError):
    pass


def subscribe(db: sqlite_utils.Database, guild_id: int, user_id: int, seat_code: str,
              current_advice: str) -> bool:
    """True if newly subscribed. `current_advice` is what they have now seen. The count and
    the insert share one write lock, so racing processes cannot pass the cap together."""
    with transaction(db) as conn:
        if conn.execute("select 1 from subscriptions where guild_id = ? and user_id = ? and "
                        "seat_code = ?", (guild_id, user_id, seat_code)).fetchone():
            return False
        count = conn.execute("select count(*) from subscriptions where guild_id = ? and "
                             "user_id = ?", (guild_id, user_id)).fetchone()[0]
        if count >= MAX_PER_USER:
            raise SubscriptionError(f"you can follow at most {MAX_PER_USER} seats per server")
        conn.execute(
            "insert into subscriptions (guild_id, user_id, seat_code, created_at, "
            "last_advice) values (?, ?, ?, ?, ?)",
            (guild_id, user_id, seat_code, datetime.now(UTC).isoformat(timespec="seconds"),
             current_advice))
    return True


def unsubscribe(db: sqlite_utils.Database, guild_id: int, user_id: int, seat_code: str) -> bool:
    cursor = db.conn.execute("delete from subscriptions where guild_id = ? and user_id = ? and "
                             "seat_code = ?", (guild_id, user_id, seat_code))
    return cursor.rowcount == 1


def due(db: sqlite_utils.Database, guild_id: int, seat_code: str, advice: str) -> list[int]:
    """Subscribers who have not yet been told about `advice`; marks them told, atomically,
    so a subscriber hears about each change once."""
    with transaction(db) as conn:
        users = [u for (u,) in conn.execute(
            "select user_id from subscriptions where guild_id = ? and seat_code = ? and "
            "coalesce(last_advice, '') != ?", (guild_id, seat_code, advice))]
        conn.execute("update subscriptions set last_advice = ? where guild_id = ? and "
                     "seat_code = ?", (advice, guild_id, seat_code))
    return users
