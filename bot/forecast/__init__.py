"""Forecast: national polls, projections, the seat model (pure arithmetic in `model`),
its inputs read from elections.db by SQL (`inputs`), its walk-forward fit (`fit`, numpy,
never on the answer path), the fitted model's storage (`store`) and the live chances the
running bot uses (`live`).

May import: the shared modules at the top of `bot`, and `bot.places`.
"""
