"""The fitted vote-share forecast in elections.db: its parameters fitted at `data import`
on every past election (numpy, once), read by the bot at start-up as plain numbers.

Beside it, every seat's chances as the bot starts with them (no server's updates, no
owner's poll or projection), under `shares.chances_key`: each bot process reads them
instead of working out 650 seats' draws at start-up.

Both are pure functions of the sources and the code, so they are also kept in the user's
cache folder under a key naming both (`fit_key`): an import of the same sources by the
same code takes them from there instead of working them out again. The cache is best
effort: a folder that cannot be read or written only costs the work."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from pathlib import Path

import platformdirs
import sqlite_utils

from bot.facts import fact
from bot.forecast.model import Forecast
from bot.forecast.shares import ShareParams

NAME = "vote-share"
CHANCES = "forecast_chances"


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("howtovote"))


def fit_key(sources: Iterable[tuple[str, str]]) -> str:
    """What the fit rests on: every source's name and sha256, and every file of our code
    and shipped data (a change to either fits again), named alike in a checkout and in an
    installed package (where `data/*.csv` ships as `bot/facts_csv`), so both share it."""
    package = Path(__file__).resolve().parents[1]
    files = [(f"bot/{path.relative_to(package).as_posix()}", path)
             for path in package.rglob("*.py")]
    files += [(f"data/{path.name}", path) for path in fact("parties.csv").parent.glob("*.csv")]
    digest = hashlib.sha256()
    for name, sha in sorted(sources):
        digest.update(f"{name}:{sha}\n".encode())
    for name, path in sorted(files):
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fit_and_store(db: sqlite_utils.Database, key: str | None = None) -> ShareParams:
    """Fit the forecast for the coming election on every past election pair (or take the
    fit kept under `key`), and keep it."""
    from bot.forecast.inputs import PAIRS, ForecastData
    from bot.forecast.share_fit import fit

    kept = cache_dir() / f"fit-{key}.json" if key else None
    params = _read(kept) if kept else None
    if params is None:
        params = fit(ForecastData(db), tuple(PAIRS))
        if kept:
            _write_json(kept, asdict(params))
    db["forecast_models"].insert({"name": NAME, "model": json.dumps(asdict(params)),
                                  "choice": json.dumps({"procedure": "docs/preregistration.md"})},
                                 replace=True)
    return params


def keep_chances(db: sqlite_utils.Database, work_out: Callable[[], Mapping[str, Forecast]],
                 key: str | None = None) -> int:
    """Keep the chances `work_out` gives (key -> Forecast), or those kept under `key`;
    returns how many."""
    kept = cache_dir() / f"chances-{key}.json" if key else None
    raw = _read_json(kept) if kept else None
    if not _chances_shaped(raw):
        raw = {k: [f.probabilities, f.opponent_top_two, list(f.ranked)]
               for k, f in work_out().items()}
        if kept:
            _write_json(kept, raw)
    db[CHANCES].insert_all(({"key": k, "forecast": json.dumps(v)} for k, v in raw.items()),
                           pk="key", replace=True)
    return len(raw)


def _chances_shaped(raw: object) -> bool:
    """What `keep_chances` writes: key -> [probabilities, top-two chance, ranked]."""
    return isinstance(raw, dict) and all(
        isinstance(v, list) and len(v) == 3 and isinstance(v[0], dict)
        and all(isinstance(c, float) for c in v[0].values()) and isinstance(v[1], float)
        and isinstance(v[2], list) for v in raw.values())


def load_chances(db: sqlite_utils.Database) -> dict[str, Forecast]:
    """The chances kept at import (none in an elections.db from before them)."""
    if CHANCES not in db.table_names():
        return {}
    out = {}
    for key, text in db.conn.execute(f"select key, forecast from {CHANCES}"):
        probabilities, top_two, ranked = json.loads(text)
        out[key] = Forecast(probabilities, top_two, tuple(ranked))
    return out


def _params(raw: dict) -> ShareParams:
    return ShareParams(**{**raw, "fitted_on": tuple(raw.get("fitted_on", ()))})


def _read(path: Path) -> ShareParams | None:
    raw = _read_json(path)
    try:
        return _params(raw) if isinstance(raw, dict) else None
    except TypeError:
        return None


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # no cache: the next import works it out again


def load(db: sqlite_utils.Database, name: str = NAME) -> ShareParams | None:
    if "forecast_models" not in db.table_names():
        return None
    row = db.conn.execute("select model from forecast_models where name = ?",
                          (name,)).fetchone()
    if row is None:
        return None
    raw = json.loads(row[0])
    if "alpha" not in raw:  # an elections.db from before the vote-share forecast
        return None
    return _params(raw)
