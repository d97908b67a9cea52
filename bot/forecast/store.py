"""The fitted vote-share forecast in elections.db: its parameters fitted at `data import`
on every past election (numpy, once), read by the bot at start-up as plain numbers.

The fit is a pure function of the sources and the code, so it is also kept in the user's
cache folder under a key naming both (`fit_key`): an import of the same sources by the
same code takes it from there instead of fitting again. The cache is best effort: a
folder that cannot be read or written only costs the fit."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import platformdirs
import sqlite_utils

from bot.forecast.shares import ShareParams

NAME = "vote-share"


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("howtovote"))


def fit_key(sources: Iterable[tuple[str, str]]) -> str:
    """What the fit rests on: every source's name and sha256, and every file of our code
    and shipped data (a change to either fits again)."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for name, sha in sorted(sources):
        digest.update(f"{name}:{sha}\n".encode())
    for path in sorted([*root.glob("bot/**/*.py"), *root.glob("data/*.csv")]):
        digest.update(path.relative_to(root).as_posix().encode())
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
            _write(kept, params)
    db["forecast_models"].insert({"name": NAME, "model": json.dumps(asdict(params)),
                                  "choice": json.dumps({"procedure": "docs/preregistration.md"})},
                                 replace=True)
    return params


def _params(raw: dict) -> ShareParams:
    return ShareParams(**{**raw, "fitted_on": tuple(raw.get("fitted_on", ()))})


def _read(path: Path) -> ShareParams | None:
    try:
        return _params(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write(path: Path, params: ShareParams) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(params)), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # no cache: the next import fits again


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
