"""The fitted vote-share forecast in elections.db: its parameters fitted at `data import`
on every past election (numpy, once), read by the bot at start-up as plain numbers."""

from __future__ import annotations

import json
from dataclasses import asdict

import sqlite_utils

from bot.forecast.shares import ShareParams

NAME = "vote-share"


def fit_and_store(db: sqlite_utils.Database) -> ShareParams:
    """Fit the forecast for the coming election on every past election pair, and keep it."""
    from bot.forecast.inputs import PAIRS, ForecastData
    from bot.forecast.share_fit import fit

    params = fit(ForecastData(db), tuple(PAIRS))
    db["forecast_models"].insert({"name": NAME, "model": json.dumps(asdict(params)),
                                  "choice": json.dumps({"procedure": "docs/preregistration.md"})},
                                 replace=True)
    return params


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
    return ShareParams(**{**raw, "fitted_on": tuple(raw.get("fitted_on", ()))})
