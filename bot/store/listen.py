"""The fleet's writes heard as they commit (PostgreSQL's LISTEN/NOTIFY), so that a bot
sends no query to learn whether another process has written.

The tables whose changes make answers stale notify CHANNEL (migration 013). A
`ChangeListener` keeps a connection of its own listening on it: its count goes up by one
for each notice, and by one each time the connection is made again (what was written
while it was away is unknown, so readers look again). `heard()` is None, and the store
asks the change sequence as it does without a listener, whenever the count may be behind:
while it is not listening (not yet, or the server went away), and while a notice waits
on its socket that the loop has not yet read.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
from collections.abc import Mapping
from typing import Any

import psycopg

CHANNEL = "howtovote_changes"
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)  # between attempts to listen again


class ChangeListener:
    def __init__(self, url: str, session: Mapping[str, Any]) -> None:
        self._count = 0  # never goes back, so no value is ever seen twice
        self._conn: psycopg.AsyncConnection | None = None  # while listening
        self._url, self._session = url, dict(session)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(),
                                                            name="howtovote-listen")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def heard(self) -> int | None:
        """How many notices (and new connections) so far; None when that may be behind."""
        conn = self._conn
        if conn is None or conn.closed:
            return None
        waiting, _w, _x = select.select([conn.fileno()], [], [], 0)
        return None if waiting else self._count

    async def _listen(self) -> None:
        attempt = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._url,
                                                                 **self._session) as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    self._count += 1  # listening from here on: whatever came before, look
                    self._conn, attempt = conn, 0
                    async for _notice in conn.notifies():
                        self._count += 1
            except (psycopg.Error, OSError):
                pass  # the server went away: ask the sequence until listening again
            finally:
                self._conn = None
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1
