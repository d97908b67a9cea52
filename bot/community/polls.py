"""Straw polls: records and tallies, Discord-free.

Votes are stored per poll message and answer under a salted hash of the voter, which is
all it takes to count a vote being changed or withdrawn; no user id is kept.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta

from bot.community.poll_rules import (  # noqa: F401  (the rules, re-exported for callers)
    ANSWER_LIMIT,
    MAX_OPTIONS,
    NOT_SURE,
    PollError,
    parse_options,
    validate,
)
from bot.config import Settings
from bot.models import Poll, Tally  # noqa: F401  (re-exported for callers)
from bot.store.base import Store

# Closing a poll whose time is up is claimed in the store for a lease (by default
# HOWTOVOTE_POLL_LEASE_SECONDS's): the process that claimed it ends it, posts its results
# and marks it announced; if it dies first, its claim lapses and the next process to look
# does it all again.
LEASE_SECONDS = float(Settings.poll_lease_seconds)

COLUMNS = ("id, guild_id, channel_id, message_id, seat_code, question, options, ends_at, "
           "ended_at")


def _poll(row) -> Poll:
    *head, options, ends_at, ended_at = row
    return Poll(*head, tuple(json.loads(options)), ends_at, ended_at)


def create(db: Store, *, guild_id: int, channel_id: int, message_id: int,
           seat_code: str | None, question: str, options: list[str], hours: int,
           created_by: int) -> Poll:
    question, options = validate(question, options, hours)
    now = datetime.now(UTC)
    added = db.execute(
        "insert into polls (guild_id, channel_id, message_id, seat_code, question, options, "
        "created_by, created_at, ends_at, salt) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "returning id",
        (guild_id, channel_id, message_id, seat_code, question, json.dumps(options),
         created_by, now.isoformat(timespec="seconds"),
         (now + timedelta(hours=hours)).isoformat(timespec="seconds"), secrets.token_hex(16)))
    return get(db, added.fetchone()[0])


def get(db: Store, poll_id: int) -> Poll | None:
    row = db.execute(f"select {COLUMNS} from polls where id = ?", (poll_id,)).fetchone()
    return _poll(row) if row else None


def _voter(db: Store, message_id: int, user_id: int) -> str | None:
    row = db.execute("select salt from polls where message_id = ?", (message_id,)
                          ).fetchone()
    return hashlib.sha256(f"{row[0]}:{user_id}".encode()).hexdigest() if row else None


def record_vote(db: Store, message_id: int, answer_id: int, user_id: int,
                added: bool) -> bool:
    """Apply one vote event; idempotent. False when the message is not one of our polls."""
    voter = _voter(db, message_id, user_id)
    if voter is None:
        return False
    if added:
        db.execute("insert into poll_votes values (?, ?, ?) on conflict do nothing",
                        (message_id, answer_id, voter))
    else:
        db.execute("delete from poll_votes where message_id = ? and answer_id = ? and "
                        "voter = ?", (message_id, answer_id, voter))
    return True


def reconcile(db: Store, message_id: int, counts: dict[int, int]) -> None:
    """Discord's own counts (fetched at start-up or when the poll closes) win."""
    db.execute("update polls set final_counts = ? where message_id = ?",
                    (json.dumps({str(k): v for k, v in counts.items()}), message_id))


def tally(db: Store, poll: Poll) -> Tally:
    row = db.execute("select final_counts from polls where id = ?", (poll.id,)).fetchone()
    live = dict(db.execute("select answer_id, count(*) from poll_votes where "
                                "message_id = ? group by answer_id", (poll.message_id,)))
    voters = db.execute("select count(distinct voter) from poll_votes where "
                             "message_id = ?", (poll.message_id,)).fetchone()[0]
    if row and row[0]:
        fetched = {int(k): v for k, v in json.loads(row[0]).items()}
        live = fetched
        voters = max(voters, sum(fetched.values()))  # one answer per voter in our polls
    counts = tuple((option, live.get(i, 0)) for i, option in enumerate(poll.options, start=1))
    return Tally(poll, counts, voters)


def open_polls(db: Store, guild_id: int | None = None) -> list[Poll]:
    sql = f"select {COLUMNS} from polls where ended_at is null"
    params: tuple = ()
    if guild_id is not None:
        sql += " and guild_id = ?"
        params = (guild_id,)
    return [_poll(r) for r in db.execute(sql + " order by id", params)]


def end(db: Store, poll_id: int, guild_id: int) -> Poll:
    """Close a poll now (a moderator's `poll end`, whose reply posts the results): of
    several racing closers, exactly one succeeds."""
    if not 1 <= poll_id <= 2**63 - 1:
        raise PollError(f"there is no poll #{str(poll_id)[:20]} in this server")
    poll = get(db, poll_id)
    if poll is None or poll.guild_id != guild_id:
        raise PollError(f"there is no poll #{poll_id} in this server")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    closed = db.execute("update polls set ended_at = ?, announced_at = ? where id = ? "
                             "and ended_at is null", (now, now, poll_id))
    if closed.rowcount != 1:
        raise PollError(f"poll #{poll_id} has already ended")
    return get(db, poll_id)


_UNANNOUNCED = ("announced_at is null and ends_at <= ? and "
                "(claimed_until is null or claimed_until < ?)")


def claim_due(db: Store, worker: str, now: float, lease: float = LEASE_SECONDS
              ) -> list[Poll]:
    """The polls whose time is up and whose results nobody has posted, ended and claimed
    for `worker` for `lease` seconds. A live claim of another process is left alone; a
    lapsed one (that process died between closing and posting) is taken over."""
    due = (datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"), now)
    if db.execute(f"select 1 from polls where {_UNANNOUNCED} limit 1", due
                       ).fetchone() is None:
        return []  # the usual case, and no write lock taken for it
    with db.transaction() as conn:
        ids = [row[0] for row in conn.execute(
            f"select id from polls where {_UNANNOUNCED} order by id limit 50", due)]
        for poll_id in ids:
            conn.execute("update polls set claimed_by = ?, claimed_until = ?, "
                         "ended_at = coalesce(ended_at, ?) where id = ?",
                         (worker, now + lease, due[0], poll_id))
    return [get(db, poll_id) for poll_id in ids]


def announced(db: Store, poll_id: int, worker: str) -> bool:
    """`worker` has posted the poll's results; False if its claim had lapsed and another
    process took the poll over."""
    done = db.execute("update polls set announced_at = ? where id = ? and claimed_by = ? "
                           "and announced_at is null",
                           (datetime.now(UTC).isoformat(timespec="seconds"), poll_id, worker))
    return done.rowcount == 1


def latest_for_seat(db: Store, guild_id: int, seat_code: str) -> Poll | None:
    row = db.execute(f"select {COLUMNS} from polls where guild_id = ? and seat_code = ? "
                          "order by id desc limit 1", (guild_id, seat_code)).fetchone()
    return _poll(row) if row else None
