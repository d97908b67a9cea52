"""Users who asked to hear when the advice for a seat changes in their server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.errors import UserFacingError
from bot.store.base import Store

MAX_PER_USER = 10
DM_PAUSE = timedelta(minutes=5)  # at most one DM per seat per subscriber in this time


class SubscriptionError(UserFacingError):
    pass


def subscribe(db: Store, guild_id: int, user_id: int, seat_code: str,
              current_advice: str) -> bool:
    """True if newly subscribed. `current_advice` is what they have now seen. The count and
    the insert share one write lock, so racing processes cannot pass the cap together."""
    with db.transaction() as conn:
        if conn.execute("select 1 from subscriptions where guild_id = ? and user_id = ? and "
                        "seat_code = ?", (guild_id, user_id, seat_code)).fetchone():
            # following again after a refused DM: they may have opened their DMs since
            conn.execute("update subscriptions set dm_refused_at = null where guild_id = ? "
                         "and user_id = ? and seat_code = ?", (guild_id, user_id, seat_code))
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


def unsubscribe(db: Store, guild_id: int, user_id: int, seat_code: str) -> bool:
    cursor = db.execute("delete from subscriptions where guild_id = ? and user_id = ? and "
                             "seat_code = ?", (guild_id, user_id, seat_code))
    return cursor.rowcount == 1


def due(db: Store, guild_id: int, seat_code: str, advice: str,
        now: datetime | None = None) -> list[int]:
    """Subscribers to DM about `advice`: not yet told of it, not sent a DM about this seat
    in the last few minutes, and not refusing DMs. Claims them atomically (the claim is
    the pause), so across every process each hears of a change once however often
    moderators flip it. They are marked told only when Discord takes the DM (`told`);
    one whose DM failed hears at the next change after the pause."""
    now = now or datetime.now(UTC)
    quiet_since = (now - DM_PAUSE).isoformat(timespec="seconds")
    with db.transaction() as conn:
        users = [u for (u,) in conn.execute(
            "select user_id from subscriptions where guild_id = ? and seat_code = ? and "
            "coalesce(last_advice, '') != ? and coalesce(notified_at, '') <= ? and "
            "dm_refused_at is null", (guild_id, seat_code, advice, quiet_since))]
        conn.executemany(
            "update subscriptions set notified_at = ? where guild_id = ? and seat_code = ? "
            "and user_id = ?",
            [(now.isoformat(timespec="seconds"), guild_id, seat_code, u) for u in users])
    return users


def told(db: Store, guild_id: int, seat_code: str, user_id: int,
         advice: str) -> None:
    """Discord took the DM: the subscriber has now seen `advice`."""
    db.execute("update subscriptions set last_advice = ? where guild_id = ? and "
                    "seat_code = ? and user_id = ?", (advice, guild_id, seat_code, user_id))


def refused(db: Store, guild_id: int, seat_code: str, user_id: int) -> None:
    """Discord refused the DM (closed DMs, no shared server): never tried again in a loop;
    following the seat again clears it."""
    db.execute("update subscriptions set dm_refused_at = ? where guild_id = ? and "
                    "seat_code = ? and user_id = ?",
                    (datetime.now(UTC).isoformat(timespec="seconds"), guild_id, seat_code,
                     user_id))
