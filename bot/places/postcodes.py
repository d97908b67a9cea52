"""Postcodes -> 2024 seat codes: the offline table, the cache, then postcodes.io.

One shared aiohttp session (the caller owns it), a short timeout with one retry on 5xx
and timeouts, and a semaphore so a burst of voters cannot open hundreds of sockets.
Nothing here logs a postcode next to who asked for it.
"""

from __future__ import annotations

import asyncio
import calendar
import csv
import json
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.errors import StoreError
from bot.store.base import Store

# Full UK postcode (the Royal Mail format, plus the Girobank special case).
POSTCODE_RE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]"
    r"|[A-HK-Y][0-9][ABEHMNPRV-Y])[0-9][ABD-HJLNP-UW-Z]{2})$"
)
OUTCODE_RE = re.compile(
    r"^(?:[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y]))$"
)
# Loosely postcode-shaped: letters then a digit, optionally a space and digit+2 letters.
LOOKS_LIKE_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$")
BFPO_RE = re.compile(r"^BFPO\s*[0-9]{1,4}$")

# ONS re-coded five Scottish 2024 seats after the first release; some postcode data still
# carries the old codes. Source: ukparliament/psephology db/data/revised_constituency_ids.csv.
REVISED_SCOTTISH_CODES = {
    "S14000006": "S14000107",
    "S14000008": "S14000108",
    "S14000010": "S14000109",
    "S14000040": "S14000110",
    "S14000058": "S14000111",
}

MONTHS = list(calendar.month_name)[1:]
GSS_SEAT = re.compile(r"^[ENSW]\d{8}$")  # a Westminster constituency's ONS code
MAX_REPLY_BYTES = 1 << 20  # after decompression: no postcodes.io reply comes near this
NEGATIVE_MAX_AGE = timedelta(hours=6)  # "no such postcode" is kept briefly: it may be wrong
log = logging.getLogger("howtovote.postcodes")


class BadReply(ValueError):
    """postcodes.io answered, but not in the shape its contract promises."""


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def normalise_postcode(text: str) -> str | None:
    """`wf131ab` -> `WF13 1AB`; None when it is not a valid UK postcode."""
    compact = squash(text)
    if not POSTCODE_RE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_outcode(text: str) -> str | None:
    compact = squash(text)
    return compact if OUTCODE_RE.match(compact) else None


def current_code(code: str | None) -> str | None:
    return REVISED_SCOTTISH_CODES.get(code, code) if code else None


@dataclass(frozen=True)
class PostcodeAnswer:
    postcode: str
    status: str  # live | terminated | not-found | invalid | error
    seat_code: str | None = None
    seat_name: str | None = None  # postcodes.io's name, a fallback when the code is unknown
    detail: str = ""  # "retired in March 2019", or what went wrong


class PostcodeLookup:
    def __init__(
        self,
        api_url: str,
        session: aiohttp.ClientSession | None,
        cache: Store | None = None,
        offline: Path | None = None,
        *,
        write: Callable[..., Awaitable[Any]] | None = None,
        run: Callable[..., Awaitable[Any]] | None = None,
        timeout: float = 3.0,
        concurrency: int = 8,
        max_age: timedelta = timedelta(days=90),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.session = session
        self.cache = cache
        # how an answer is kept (the store's writer, the bot's) and the cache read (under the
        # store's `run`, which on PostgreSQL keeps the loop off the network); without
        # them, the cache itself
        self.write = write
        self.run = run
        self.offline = _open_offline(offline)
        self.budget = timeout  # seconds per lookup, waiting for a free slot included
        self.limit = asyncio.Semaphore(concurrency)
        self.max_age = max_age

    # -- full postcodes -------------------------------------------------------------
    async def lookup(self, text: str) -> PostcodeAnswer:
        postcode = normalise_postcode(text)
        if postcode is None:
            return PostcodeAnswer(squash(text), "invalid", detail="not a valid UK postcode")
        local = self._offline(postcode) or await self._cached(postcode)
        if local:
            return local
        answer = await self._fetch(postcode)
        await self._remember(answer)
        return answer

    async def lookup_many(self, texts: Iterable[str]) -> dict[str, PostcodeAnswer]:
        """Many postcodes at once: local answers first, the rest in bulk requests of 100."""
        answers: dict[str, PostcodeAnswer] = {}
        missing: list[str] = []
        for text in texts:
            postcode = normalise_postcode(text)
            if postcode is None:
                answers[text] = PostcodeAnswer(squash(text), "invalid")
            elif local := self._offline(postcode) or await self._cached(postcode):
                answers[postcode] = local
            else:
                missing.append(postcode)
        for start in range(0, len(missing), 100):
            batch = missing[start:start + 100]
            data, error = await self._request("POST", "/postcodes", {"postcodes": batch})
            for postcode in batch:
                answers[postcode] = PostcodeAnswer(postcode, "error", detail=error or "")
            items = data.get("result") if isinstance(data, dict) else None
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, dict) or not isinstance(item.get("query"), str):
                    continue
                postcode = normalise_postcode(item["query"])
                if postcode not in batch:
                    continue
                result = item.get("result")
                try:
                    answers[postcode] = (_live(postcode, result) if result is not None
                                         else await self._not_found(postcode))
                except BadReply as exc:
                    answers[postcode] = PostcodeAnswer(postcode, "error", detail=str(exc))
                await self._remember(answers[postcode])
        return answers

    async def _fetch(self, postcode: str) -> PostcodeAnswer:
        data, error = await self._request("GET", f"/postcodes/{postcode.replace(' ', '')}")
        if error == "404":
            return await self._not_found(postcode)
        if error:
            return PostcodeAnswer(postcode, "error", detail=error)
        try:
            if not isinstance(data, dict):
                raise BadReply("unexpected reply from postcodes.io")
            return _live(postcode, data.get("result"))
        except BadReply as exc:
            return PostcodeAnswer(postcode, "error", detail=str(exc))

    async def _not_found(self, postcode: str) -> PostcodeAnswer:
        path = f"/terminated_postcodes/{postcode.replace(' ', '')}"
        data, error = await self._request("GET", path)
        if error == "404":
            return PostcodeAnswer(postcode, "not-found")
        if error:  # we do not know: never call it "not found" on a failed lookup
            return PostcodeAnswer(postcode, "error", detail=error)
        try:
            result = data["result"]
            result = result[0] if isinstance(result, list) else result
            month, year = int(result["month_terminated"]), int(result["year_terminated"])
            if not (1 <= month <= 12 and 1980 <= year <= 2100):
                raise ValueError
            return PostcodeAnswer(postcode, "terminated",
                                  detail=f"retired in {MONTHS[month - 1]} {year}")
        except (KeyError, TypeError, ValueError, IndexError):
            return PostcodeAnswer(postcode, "error",
                                  detail="unexpected reply from postcodes.io")

    async def _request(self, method: str, path: str, body: dict | None = None
                       ) -> tuple[dict | None, str | None]:
        """(json, None) on success, (None, "404") when not found, else (None, reason)."""
        if self.session is None:
            return None, "postcode lookups are offline"
        reason = "no answer"
        deadline = asyncio.get_running_loop().time() + self.budget
        for attempt in range(2):  # one retry on 5xx and timeouts, within the same budget
            try:
                async with asyncio.timeout_at(deadline), self.limit, self.session.request(
                    method, self.api_url + path, json=body
                ) as response:
                    if response.status == 404:
                        return None, "404"
                    if response.status >= 500:
                        reason = f"postcodes.io answered {response.status}"
                        continue
                    if response.status != 200:
                        return None, f"postcodes.io answered {response.status}"
                    return json.loads(await _read_capped(response)), None
            except (TimeoutError, aiohttp.ClientError) as exc:
                reason = "postcodes.io timed out" if isinstance(exc, TimeoutError) else (
                    "could not reach postcodes.io")
                if isinstance(exc, TimeoutError):
                    break  # the budget is spent
            except (BadReply, json.JSONDecodeError, UnicodeDecodeError, ValueError):
                return None, "unexpected reply from postcodes.io"
            if attempt == 0:
                await asyncio.sleep(0.05)
        return None, reason

    # -- outcodes ---------------------------------------------------------------------
    async def outcode(self, text: str) -> tuple[list[str], str | None]:
        """Seat codes (or names, prefixed `name:`) a postcode district spans, and an error."""
        outcode = normalise_outcode(text)
        if outcode is None:
            return [], "not a postcode district"
        if self.offline is not None:
            rows = self.offline.execute(
                "select seat_code, count(*) from postcodes where outcode = ? and terminated = '' "
                "group by seat_code order by 2 desc", (outcode,)
            ).fetchall()
            if rows:
                return [current_code(code) for code, _ in rows], None
        data, error = await self._request("GET", f"/outcodes/{outcode}")
        if error:
            return [], ("no such postcode district" if error == "404" else error)
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            return [], "unexpected reply from postcodes.io"
        names = result.get("parliamentary_constituency_2024") or result.get(
            "parliamentary_constituency") or []
        if not isinstance(names, list):
            return [], "unexpected reply from postcodes.io"
        return [f"name:{n}" for n in names if isinstance(n, str) and n.strip()], None

    # -- local layers ----------------------------------------------------------------
    def _offline(self, postcode: str) -> PostcodeAnswer | None:
        if self.offline is None:
            return None
        try:
            row = self.offline.execute(
                "select seat_code, terminated from postcodes where postcode = ?", (postcode,)
            ).fetchone()
        except sqlite3.DatabaseError as exc:  # the optional table broke: go on without it
            log.warning("offline postcode table unusable (%s); using postcodes.io", exc)
            self.offline = None
            return None
        if row is None:
            return None
        if row[1]:
            return PostcodeAnswer(postcode, "terminated", detail=f"retired in {row[1]}")
        return PostcodeAnswer(postcode, "live", current_code(row[0]))

    async def _cached(self, postcode: str) -> PostcodeAnswer | None:
        if self.cache is None:
            return None
        try:
            row = await self.run(cached_row, self.cache, postcode) if self.run \
                else cached_row(self.cache, postcode)
        except StoreError as exc:
            log.warning("postcode cache unreadable: %s", exc)
            return None
        if row is None:
            return None
        max_age = self.max_age if row[1] != "not-found" else min(self.max_age,
                                                                  NEGATIVE_MAX_AGE)
        if datetime.fromisoformat(row[3]) < datetime.now(UTC) - max_age:
            return None
        return PostcodeAnswer(postcode, row[1], row[0], detail=row[2] or "")

    async def _remember(self, answer: PostcodeAnswer) -> None:
        """Keep a well-formed answer; a failed write (read-only or full disk) costs only
        the cache, never the answer."""
        if self.cache is None or answer.status not in ("live", "terminated", "not-found"):
            return
        try:
            if self.write is None:
                remember(self.cache, answer)
            else:
                await self.write(remember, answer)
        except StoreError as exc:
            log.warning("could not cache a postcode answer: %s", exc)


def cached_row(db: Store, postcode: str) -> tuple | None:
    return db.execute("select seat_code, status, detail, fetched_at from postcode_cache "
                      "where postcode = ?", (postcode,)).fetchone()


def remember(db: Store, answer: PostcodeAnswer) -> None:
    db.execute("insert into postcode_cache (postcode, seat_code, status, detail, fetched_at) "
               "values (?, ?, ?, ?, ?) on conflict (postcode) do update set "
               "seat_code = excluded.seat_code, status = excluded.status, "
               "detail = excluded.detail, fetched_at = excluded.fetched_at",
               (answer.postcode, answer.seat_code, answer.status, answer.detail,
                datetime.now(UTC).isoformat(timespec="seconds")))


def clear_cache(db: Store) -> int:
    """Empty the postcode cache (answers are fetched again as asked)."""
    return db.execute("delete from postcode_cache").rowcount


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(1 << 16):
        body += chunk
        if len(body) > MAX_REPLY_BYTES:
            raise BadReply("postcodes.io sent an oversized reply")
    return bytes(body)


def _live(postcode: str, result: object) -> PostcodeAnswer:
    """A live postcode's seat, from a reply checked against the contract's shape."""
    codes = result.get("codes") if isinstance(result, dict) else None
    code = codes.get("parliamentary_constituency_2024") if isinstance(codes, dict) else None
    name = result.get("parliamentary_constituency_2024") if isinstance(result, dict) else None
    if not isinstance(code, str) or not GSS_SEAT.match(code):
        raise BadReply("postcodes.io gave no 2024 constituency for it")
    return PostcodeAnswer(postcode, "live", current_code(code),
                          seat_name=name if isinstance(name, str) else None)


# -- the offline table (postcodes.db, kept apart so `data import` never wipes it) -------
OFFLINE_SCHEMA = """
create table if not exists postcodes (
    postcode text primary key,   -- "WF13 1AB"
    outcode text not null,
    seat_code text,
    terminated text not null default ''  -- '' while live, else when: "March 2019"
);
create index if not exists postcodes_outcode on postcodes (outcode);
"""


def _open_offline(path: Path | None) -> sqlite3.Connection | None:
    """The optional offline table, or None (with one warning) when it is unusable."""
    if path is None or not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("select postcode, seat_code, terminated from postcodes limit 1")
        return conn
    except sqlite3.DatabaseError as exc:
        log.warning("skipping the offline postcode table %s: %s (rebuild it with `python "
                    "bot.py data import-postcodes FILE`)", path, exc)
        return None


def import_postcodes(csv_path: Path, target: Path, *, progress: bool = True) -> int:
    """Stream an ONSPD/NSPL CSV (`pcds`/`pcd7`, `pcon`, `doterm`) or mySociety's 2025
    postcode lookup (`postcode`, a 2024-constituency code column) into `target`.
    Memory stays flat: rows are read and written in batches. The table is built in a
    temporary file and moved into place, so a failed or killed import leaves the old one;
    temporary files left by a killed import are removed first."""
    if not csv_path.is_file():
        raise PostcodeImportError(f"{csv_path}: no such file")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        count = _build_offline(csv_path, tmp, progress)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


class PostcodeImportError(ValueError):
    """A postcode file we cannot read; nothing was changed."""


def _build_offline(csv_path: Path, target: Path, progress: bool) -> int:
    from tqdm import tqdm

    conn = sqlite3.connect(target)
    conn.executescript(OFFLINE_SCHEMA)
    count = 0
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = {c.lower(): c for c in reader.fieldnames or []}
        pc_col = next((columns[c] for c in ("pcds", "pcd7", "pcd", "postcode") if c in columns),
                      None)
        seat_col = next((columns[c] for c in ("pcon", "pcon24cd", "pcon25", "constituency_code",
                                              "short_code", "gss_code") if c in columns), None)
        if pc_col is None or seat_col is None:
            conn.close()
            raise PostcodeImportError(
                f"{csv_path.name}: expected a postcode column (pcds or postcode) and a "
                f"constituency code column (pcon); found {(reader.fieldnames or [])[:20]}")
        term_col = columns.get("doterm")
        batch: list[tuple] = []
        with tqdm(unit=" rows", disable=not progress, desc=csv_path.name, leave=False) as bar:
            for row in reader:
                postcode = normalise_postcode(row[pc_col] or "")
                if postcode is None:
                    continue
                ended = (row.get(term_col) or "").strip() if term_col else ""
                batch.append((postcode, postcode.split()[0], row[seat_col] or None,
                              _month_year(ended) if ended else ""))
                if len(batch) >= 10_000:
                    count += _write(conn, batch, bar)
            count += _write(conn, batch, bar)
    conn.close()
    return count


def _write(conn: sqlite3.Connection, batch: list[tuple], bar) -> int:
    with conn:
        conn.executemany("insert or replace into postcodes values (?, ?, ?, ?)", batch)
    n = len(batch)
    bar.update(n)
    batch.clear()
    return n


def _month_year(doterm: str) -> str:
    """ONSPD's doterm is YYYYMM."""
    digits = re.sub(r"\D", "", doterm)
    if len(digits) >= 6 and 1 <= int(digits[4:6]) <= 12:
        return f"{MONTHS[int(digits[4:6]) - 1]} {digits[:4]}"
    return doterm
