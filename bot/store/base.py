"""What the community modules may ask of a guild store, whichever engine holds it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from importlib import resources
from typing import Any, Protocol

Row = tuple[Any, ...]


class Rows:
    """A statement's outcome, read in full before the adapter lets go of its connection:
    its rows (for `select` and `returning`) and how many rows it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Row] | None = None, rowcount: int = -1) -> None:
        self._rows = rows or []
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class Store(Protocol):
    """One connection's worth of the guild store. Statements use `?` for parameters."""

    engine: str  # "sqlite" | "postgresql"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Rows: ...

    def transaction(self) -> AbstractContextManager[Store]:
        """One write transaction holding the store's write lock from its first statement
        (fleet-wide on PostgreSQL), so every check made inside it holds when it commits;
        rolled back on any error, which is raised as it was."""
        ...

    def changes(self, *, ask: bool = False) -> int:
        """A number that changes whenever any process commits a write that changes an
        answer (SQLite's data_version; on PostgreSQL the notices heard, or with `ask` or
        while not listening, a sequence the triggers advance)."""
        ...

    def close(self) -> None: ...


def migrations(engine: str) -> list[tuple[int, str]]:
    """An engine's numbered migrations, in order: `bot/store/schema/ENGINE/NNN_name.sql`,
    one history for both engines (PostgreSQL's begins at 9, the schema SQLite reached by
    then). Append only: never edit one that has shipped."""
    folder = resources.files("bot.store") / "schema" / engine
    return sorted((int(f.name[:3]), f.read_text(encoding="utf-8"))
                  for f in folder.iterdir() if f.name.endswith(".sql"))
