"""`backtest`: how right the advice would have been at past elections, printed as the
command line shows it (scores, the forecast's calibration, the by-elections)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot import db as dbmod
from bot.advice.rules import AdviceOptions
from bot.community.settings import opponent_code
from bot.config import Settings
from bot.elections.dataset import ensure_data
from bot.elections.seats import ElectionData
from bot.errors import UserFacingError
from bot.evaluation import backtest, scorecard
from bot.forecast import share_fit
from bot.forecast.inputs import PAIRS, ForecastData
from bot.forecast.model import AGAINST_CON, SIDES, brier


def report(settings: Settings, *, election: str | None, opponent_text: str,
           model_name: str | None, csv: Path | None, site: str | None, plot: Path | None,
           by_elections: bool) -> int:
    """Print the backtest; an exit code (2: a refused combination of options)."""
    db = dbmod.open_elections(asyncio.run(ensure_data(settings)))
    data, fdata = ElectionData(db), ForecastData(db)
    try:
        opponent = opponent_code(opponent_text, set(data.parties))
    except UserFacingError:
        print(f"unknown party {opponent_text!r}: use a code such as Con or RUK, or right",
              file=sys.stderr)
        return 2
    options = AdviceOptions.against(opponent)
    if by_elections:
        from bot.evaluation import byelections
        from bot.forecast import store as forecast_store
        found = byelections.calls(data, options)
        print(byelections.format_calls(found))
        scores = [byelections.score(found)]
        params = forecast_store.load(db)
        if params is not None and opponent in SIDES:
            forecast = byelections.forecast_calls(data, fdata, params, options)
            print("\nThe vote-share forecast, where there were polls in the four weeks "
                  "before:")
            print(byelections.format_calls(forecast))
            scores.append(byelections.score(forecast, backtest.VOTE_SHARE))
        print()
        print(scorecard.format_scores(scores))
        return 0
    pairs = [election] if election else list(backtest.PAIRS)
    name = model_name or (backtest.DEFAULT_MODEL if csv else "all")
    if name != "all" and name not in backtest.MODEL_NAMES:
        print(f"unknown model {name!r}; choose from {', '.join(backtest.MODEL_NAMES)} or all",
              file=sys.stderr)
        return 2
    if csv:
        if len(pairs) != 1 or name == "all":
            print("--csv needs --election YEAR and one model", file=sys.stderr)
            return 2
        if name in backtest.FITTED:
            if opponent not in SIDES:
                print(f"there is no forecast against {opponent}", file=sys.stderr)
                return 2
            rows = backtest.forecasts(fdata, pairs[0], SIDES[opponent],
                                      with_projections=name == backtest.VOTE_SHARE)
            if rows is None:
                print(f"the forecast has no earlier election to learn {pairs[0]} from",
                      file=sys.stderr)
                return 2
            scorecard.write_forecast_csv(rows, csv)
        else:
            rows = backtest.calls(data, pairs[0], options,
                                  backtest.model(name, data, pairs[0]), name)
            backtest.write_csv(rows, csv)
        print(f"Wrote {len(rows)} seats to {csv}")
        return 0
    if site and not election:
        print("--site needs --election 2019 or 2024 (the election its calls were for)",
              file=sys.stderr)
        return 2
    models = list(backtest.MODEL_NAMES) if name == "all" else [name]
    side = SIDES.get(opponent)
    scores = backtest.scores(data, fdata, pairs, models, options)
    if site:
        from bot.community import sites
        from bot.community.store import open_guild_data
        guilds = open_guild_data(settings)
        for pair in pairs:
            calls = sites.election_calls(guilds, site, pair)
            outcomes = {c.code: o for c, o in fdata.pair_cases(PAIRS[pair], side or AGAINST_CON)}
            scores.append(scorecard.score(pair, f"site:{site}"[:14], calls, outcomes))
    print(scorecard.format_scores(scores))
    bands_by_pair = {}
    if side is None:
        print(f"\nNo forecast against {opponent}: the advice rests on the last result.")
    for pair in pairs if side is not None and name in ("all", backtest.VOTE_SHARE) else []:
        found = share_fit.backtest(fdata, pair, side)
        if found is None:
            continue
        outcomes = {c.code: o for c, o in fdata.pair_cases(PAIRS[pair], side)}
        params, forecasts = found
        rule = {c.code: scorecard.certain(c.best_placed or None,
                                          list(forecasts[c.code].probabilities))
                for c in backtest.calls(data, pair, options) if c.code in forecasts}
        print(f"\nVote-share forecast (docs/preregistration.md), {pair}: Brier "
              f"{brier({k: f.probabilities for k, f in forecasts.items()}, outcomes):.3f} "
              f"(last-result rule {brier(rule, outcomes):.3f}); fitted on "
              f"{', '.join(params.fitted_on)}: uniform share of swing {params.alpha:.1f}, "
              f"projections' weight {params.lam:.1f}, errors national "
              f"{params.sigma_nat:.3f}, regional {params.sigma_reg:.3f}, seat "
              f"{params.c_share:.3f} x sqrt(p(1-p)) + {params.c_moved:.3f} x moved, "
              f"scaled by {params.kappa:.1f}")
        bands_by_pair[pair] = scorecard.calibration(scorecard.predictions(forecasts, outcomes))
        print(scorecard.format_calibration(bands_by_pair[pair]))
    if plot:
        scorecard.plot(bands_by_pair, plot)
        print(f"\nWrote the reliability diagram to {plot}")
    return 0
