"""The fitted seat model in elections.db: fitted at `data import` (numpy, once), read by
the bot at start-up as plain numbers (no numpy on the answer path)."""

from __future__ import annotations

import json
from dataclasses import asdict

import sqlite_utils

from bot.forecast.model import AGAINST_CON, SIDES, Model


def fit_and_store(db: sqlite_utils.Database) -> Model:
    """Fit each side's model for the coming election on every past election pair, and
    keep them. Returns the default side's (against the Conservatives)."""
    from bot.forecast.fit import fit_groups
    from bot.forecast.inputs import PAIRS, ForecastData

    data = ForecastData(db)
    fitted = {}
    for side in SIDES.values():
        model, choice = fit_groups([data.pair_cases(p, side) for p in PAIRS.values()],
                                   tuple(PAIRS))
        db["forecast_models"].insert({
            "name": side.model_name, "model": json.dumps(asdict(model)),
            "choice": json.dumps(asdict(choice)),
        }, replace=True)
        fitted[side.opponent] = model
    return fitted[AGAINST_CON.opponent]


def load(db: sqlite_utils.Database, name: str = AGAINST_CON.model_name) -> Model | None:
    if "forecast_models" not in db.table_names():
        return None
    row = db.conn.execute("select model from forecast_models where name = ?",
                          (name,)).fetchone()
    if row is None:
        return None
    raw = json.loads(row[0])
    return Model(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
