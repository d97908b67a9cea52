"""Which servers' answers a write has made stale, in this process or any other.

guilds.db keeps a version per server (and one, scope 0, for what every server shares:
updates for all servers, owners' national polls, other sites' calls), bumped by triggers
in the same transaction as the write. A reader asks the store's `changes()` first (SQLite's
data_version, which changes only when another connection has committed; on PostgreSQL the
count of the triggers' notices the bot has heard, `bot.store.listen`, or a sequence the
triggers advance when it is not listening), and asks it at most every
RECHECK_SECONDS unless told that this process has just written (`written`): so a write in
this process changes the very next answer, and one in another process any answer given a
tenth of a second after it, and most commands cost no query at all.
"""

from __future__ import annotations

import time

from bot.store.base import Store

SHARED = 0  # the scope of what every server sees
RECHECK_SECONDS = 0.1


class Versions:
    def __init__(self, db: Store) -> None:
        self.db = db
        self._data_version: int | None = None
        self._seen: dict[int, int] = {}
        self._checked_at = float("-inf")
        self._asked = False  # the next look must ask the store itself

    def written(self) -> None:
        """This process has just committed a write: look again at the next call, and ask
        (the notice of a write may reach this process's listener a moment after it)."""
        self._checked_at = float("-inf")
        self._asked = True

    def stale(self) -> set[int] | None:
        """The servers whose answers changed since the last call: empty when none did,
        None when every server's did (a shared change, or the first look)."""
        now = time.monotonic()
        if now - self._checked_at < RECHECK_SECONDS:
            return set()
        self._checked_at = now
        data_version = self.db.changes(ask=self._asked)
        self._asked = False
        if data_version == self._data_version:
            return set()
        self._data_version = data_version
        now = dict(self.db.execute("select scope, version from answer_versions"))
        before, self._seen = self._seen, now
        if now.get(SHARED) != before.get(SHARED):
            return None
        return {scope for scope, version in now.items() if before.get(scope) != version}
