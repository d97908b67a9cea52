"""The vote-share forecast's arithmetic on hand-made seats, and its walk-forward fit on
the real data (2019, fitted on 2015 and 2017 only)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.forecast.model import AGAINST_CON, Forecast, SeatCase
from bot.forecast.shares import (
    ShareParams,
    canonical,
    centre,
    chances,
    chances_by_kappa,
    moved_by_polls,
    projected,
    seat_input,
)

PARAMS = ShareParams(alpha=0.5, lam=0.5, sigma_nat=0.02, sigma_reg=0.01, c_share=0.05,
                     c_moved=0.1, kappa=1.0, projection_weights={})


def case(base, before, after, projections=(), names=()) -> SeatCase:
    return SeatCase("E1", "Testford", "England", base, frozenset({"Lab", "LD", "Green"}),
                    before, after, projections=projections, projected_by=names)


def test_predecessors_merge_and_minor_parties_are_other():
    assert canonical({"UKIP": 0.1, "Con": 0.5, "Lab": 0.3, "Yorks": 0.1}) == pytest.approx(
        {"RUK": 0.1, "Con": 0.5, "Lab": 0.3, "Other": 0.1})


def test_the_polls_move_a_seat_half_uniform_half_proportional():
    seat = case({"Con": 0.5, "Lab": 0.3, "LD": 0.2}, {"Con": 0.4, "Lab": 0.4, "LD": 0.2},
                {"Con": 0.2, "Lab": 0.4, "LD": 0.2, "RUK": 0.2})
    moved = moved_by_polls(seat, ("Con", "Lab", "LD", "RUK"), 0.5)
    # Con: uniform 0.5 - 0.2 = 0.3, proportional 0.5 x 0.5 = 0.25; RUK new: 0.2 either way
    raw = {"Con": 0.275, "Lab": 0.3, "LD": 0.2, "RUK": 0.2}
    total = sum(raw.values())
    assert moved == pytest.approx({p: v / total for p, v in raw.items()})
    standing = ("Con", "Lab", "LD", "RUK")
    assert moved_by_polls(seat, standing, 1.0)["Con"] == pytest.approx(0.3)  # 0.3 / 1.0
    assert moved_by_polls(seat, standing, 0.0)["Con"] == pytest.approx(0.25 / 0.95)


def test_a_projection_leaving_a_party_out_does_not_count_it_at_zero():
    seat = case({"Con": 0.4, "Lab": 0.3, "LD": 0.3}, {"Con": 0.4, "Lab": 0.3, "LD": 0.3},
                {"Con": 0.4, "Lab": 0.3, "LD": 0.3},
                projections=({"Con": 0.5, "Lab": 0.3}, {"Con": 0.3, "Lab": 0.3, "LD": 0.4}),
                names=("a", "b"))
    mean = projected(seat, {})
    assert mean == pytest.approx({"Con": 0.4, "Lab": 0.3, "LD": 0.4})  # LD: b alone
    assert projected(seat, {"a": 2.0})["Con"] == pytest.approx((2 * 0.5 + 0.3) / 3)
    blended = centre(seat, ("Con", "Lab", "LD"), PARAMS)
    assert blended["LD"] > 0.3  # pulled up by b, never down by a's silence


def test_chances_follow_the_shares():
    safe = case({"Con": 0.3, "Lab": 0.6, "LD": 0.1}, {"Con": 0.3, "Lab": 0.6, "LD": 0.1},
                {"Con": 0.3, "Lab": 0.6, "LD": 0.1})
    tight = case({"Con": 0.4, "Lab": 0.3, "LD": 0.3}, {"Con": 0.4, "Lab": 0.3, "LD": 0.3},
                 {"Con": 0.4, "Lab": 0.3, "LD": 0.3})
    seats = [seat_input(c, ("Con", "Lab", "LD", "Other"), "North", PARAMS)
             for c in (safe, tight)]
    found = chances([seats[0]], AGAINST_CON, PARAMS, draws=2000)
    assert found["E1"].probabilities["Lab"] > 0.99 and found["E1"].call == "Lab"
    close = chances([seats[1]], AGAINST_CON, PARAMS, draws=4000)["E1"]
    assert 0.35 < close.probabilities["Lab"] < 0.65 and close.call is None
    assert close.opponent_top_two > 0.95
    again = chances([seats[1]], AGAINST_CON, PARAMS, draws=4000)["E1"]
    assert again.probabilities == close.probabilities  # seeded: the same every time


@pytest.mark.full_data
def test_2019_fitted_on_earlier_elections_only(forecast_data):
    from bot.evaluation import scorecard
    from bot.forecast import share_fit
    fdata = forecast_data
    params, found = share_fit.backtest(fdata, "2019")
    assert params.fitted_on == ("2015", "2017")
    outcomes = {f.case.code: f.outcome for f in share_fit.seat_facts(fdata, "2019")}
    score = scorecard.score("2019", "vote-share", {c: fc.call for c, fc in found.items()},
                            outcomes)
    assert score.right - 3 * score.wrong >= 520  # 530 when first run
    assert scorecard.brier({c: fc.probabilities for c, fc in found.items()}, outcomes) < 0.046


def test_against_a_set_of_opponents_the_best_placed_of_them_counts():
    from bot.forecast.model import AGAINST_RIGHT
    # the Conservatives third but Reform UK first: the right is in the top two
    seat = case({"RUK": 0.40, "Lab": 0.30, "Con": 0.20, "LD": 0.10},
                {"RUK": 0.40, "Lab": 0.30, "Con": 0.20, "LD": 0.10},
                {"RUK": 0.40, "Lab": 0.30, "Con": 0.20, "LD": 0.10})
    inputs = [seat_input(seat, ("Con", "Lab", "LD", "RUK", "Other"), "North", PARAMS)]
    right = chances(inputs, AGAINST_RIGHT, PARAMS, draws=2000)["E1"]
    con = chances(inputs, AGAINST_CON, PARAMS, draws=2000)["E1"]
    assert right.opponent_top_two > 0.99 and con.opponent_top_two < 0.2
    assert set(right.probabilities) == {"Lab", "LD"} and right.call == "Lab"


def test_a_collapsing_party_keeps_half_a_point_and_a_surge_is_capped_at_five_times():
    from bot.forecast.shares import FLOOR, MAX_RATIO
    # Lab loses 30 points nationally from 10 here: uniform and proportional both go below 0
    seat = case({"Con": 0.5, "Lab": 0.1, "Green": 0.01, "LD": 0.39},
                {"Con": 0.3, "Lab": 0.4, "Green": 0.01, "LD": 0.29},
                {"Con": 0.3, "Lab": 0.1, "Green": 0.08, "LD": 0.29})
    uniform = moved_by_polls(seat, ("Con", "Lab", "Green", "LD"), 1.0)
    raw = {"Con": 0.5, "Lab": FLOOR, "Green": 0.01 + 0.07, "LD": 0.39}
    assert uniform == pytest.approx({p: v / sum(raw.values()) for p, v in raw.items()})
    proportional = moved_by_polls(seat, ("Con", "Lab", "Green", "LD"), 0.0)
    # Green polls 8 times its base share: the seat's Green share grows 5 times, not 8
    raw = {"Con": 0.5, "Lab": 0.1 * 0.25, "Green": 0.01 * MAX_RATIO, "LD": 0.39}
    assert proportional == pytest.approx({p: v / sum(raw.values()) for p, v in raw.items()})
    assert (FLOOR, MAX_RATIO) == (0.005, 5.0)  # as docs/preregistration.md fixes them


def test_chances_are_counts_of_draws():
    """Every draw is counted once: the chances add up to exactly one, and an opponent that
    never makes the top two has a chance of exactly nought."""
    seat = case({"Con": 0.05, "Lab": 0.6, "LD": 0.35}, {"Con": 0.05, "Lab": 0.6, "LD": 0.35},
                {"Con": 0.05, "Lab": 0.6, "LD": 0.35})
    inputs = [seat_input(seat, ("Con", "Lab", "LD", "Other"), "North", PARAMS)]
    found = chances(inputs, AGAINST_CON, PARAMS, draws=3000, chunk=700)["E1"]
    assert abs(sum(found.probabilities.values()) - 1.0) < 1e-12
    assert found.opponent_top_two == 0.0


def test_errors_are_centred_so_a_wider_spread_is_no_advantage():
    """Two bloc parties level at the centre, one with three times the seat error of the
    other: each tops the bloc about half the time (errors have mean nought)."""
    import numpy as np

    from bot.forecast.shares import SeatInput
    quiet = ShareParams(alpha=0.5, lam=0.5, sigma_nat=0.0, sigma_reg=0.0, c_share=0.05,
                        c_moved=0.1, kappa=1.0, projection_weights={})
    seat = SeatInput("E1", "North", ("Con", "Lab", "LD", "Other"),
                     np.array([0.2, 0.35, 0.35, 0.1]), np.array([0.01, 0.01, 0.03, 0.01]))
    found = chances([seat], AGAINST_CON, quiet, draws=6000)["E1"]
    assert 0.45 < found.probabilities["Lab"] < 0.55


def test_with_all_weight_on_the_projections_the_centre_is_theirs():
    seat = case({"Con": 0.5, "Lab": 0.3, "LD": 0.2}, {"Con": 0.5, "Lab": 0.3, "LD": 0.2},
                {"Con": 0.5, "Lab": 0.3, "LD": 0.2},
                projections=({"Con": 0.2, "Lab": 0.5, "LD": 0.3},), names=("a",))
    only_them = ShareParams(alpha=0.5, lam=1.0, sigma_nat=0.02, sigma_reg=0.01,
                            c_share=0.05, c_moved=0.1, kappa=1.0, projection_weights={})
    assert centre(seat, ("Con", "Lab", "LD"), only_them) == pytest.approx(
        {"Con": 0.2, "Lab": 0.5, "LD": 0.3})
    none = ShareParams(**{**only_them.__dict__, "lam": 0.0})
    assert centre(seat, ("Con", "Lab", "LD"), none) == pytest.approx(
        {"Con": 0.5, "Lab": 0.3, "LD": 0.2})


def test_a_share_drawn_below_nought_is_nought_and_two_noughts_are_level():
    """Con and the Liberal Democrats level at one point with wide errors: when both are
    drawn below nought both have nought, neither beats the other, and the Conservatives
    keep second place; so they are top two more often than half the time (0.59)."""
    import numpy as np

    from bot.forecast.shares import SeatInput
    quiet = ShareParams(alpha=0.5, lam=0.5, sigma_nat=0.0, sigma_reg=0.0, c_share=0.05,
                        c_moved=0.1, kappa=1.0, projection_weights={})
    seat = SeatInput("E1", "North", ("Con", "Lab", "LD"),
                     np.array([0.01, 0.98, 0.01]), np.array([0.05, 0.01, 0.05]))
    found = chances([seat], AGAINST_CON, quiet, draws=6000)["E1"]
    assert 0.55 < found.opponent_top_two < 0.63


def test_a_party_new_since_the_base_has_moved_from_nought():
    """Reform UK did not stand last time: its seat error counts all of its centre as
    distance moved."""
    import math
    seat = case({"Con": 0.5, "Lab": 0.3, "LD": 0.2}, {"Con": 0.4, "Lab": 0.4, "LD": 0.2},
                {"Con": 0.3, "Lab": 0.4, "LD": 0.2, "RUK": 0.1})
    found = seat_input(seat, ("Con", "Lab", "LD", "RUK"), "North", PARAMS)
    ruk = found.parties.index("RUK")
    share = found.centre[ruk]
    assert found.sigma[ruk] == pytest.approx(
        PARAMS.c_share * math.sqrt(share * (1 - share)) + PARAMS.c_moved * share)


def reference_chances(seats, side, params, draws, seed=20261206, chunk=1000):
    """The chances as first written and scored (docs/preregistration.md): one seat at a
    time. The vectorised `chances` must count exactly what this counts."""
    import numpy as np

    from bot.forecast.model import members
    from bot.forecast.shares import MAJOR, OTHER
    rng = np.random.default_rng(seed)
    regions = sorted({s.region for s in seats})
    parties = (*MAJOR, OTHER)
    top = {s.code: {} for s in seats}
    top_two = {s.code: 0 for s in seats}
    done = 0
    while done < draws:
        n = min(chunk, draws - done)
        national = rng.normal(0, params.kappa * params.sigma_nat, (n, len(parties)))
        national[:, -1] = 0.0
        regional = rng.normal(0, params.kappa * params.sigma_reg,
                              (n, len(regions), len(parties)))
        for seat in seats:
            cols = [parties.index(p) for p in seat.parties]
            region = regions.index(seat.region)
            noise = rng.normal(0, 1, (n, len(cols))) * (params.kappa * seat.sigma)
            drawn = np.maximum(seat.centre + national[:, cols] + regional[:, region, cols]
                               + noise, 0.0)
            bloc = [i for i, p in enumerate(seat.parties) if p in side.bloc]
            if bloc:
                winners = np.array(bloc)[np.argmax(drawn[:, bloc], axis=1)]
                for i, count in zip(*np.unique(winners, return_counts=True), strict=True):
                    party = seat.parties[i]
                    top[seat.code][party] = top[seat.code].get(party, 0) + int(count)
            opponents = [i for i, p in enumerate(seat.parties) if p in members(side.opponent)]
            if opponents:
                best = drawn[:, opponents].max(axis=1, keepdims=True)
                others = [i for i in range(len(seat.parties)) if i not in opponents]
                top_two[seat.code] += int(((drawn[:, others] > best).sum(axis=1) <= 1).sum())
        done += n
    return top, top_two


@pytest.mark.parametrize("side", ["Con", "RUK", "Right"])
def test_all_seats_at_once_count_exactly_what_one_seat_at_a_time_counts(side):
    import random

    import numpy as np

    from bot.forecast.model import AGAINST_RIGHT, AGAINST_RUK
    from bot.forecast.shares import MAJOR, OTHER, SeatInput
    chosen = {"Con": AGAINST_CON, "RUK": AGAINST_RUK, "Right": AGAINST_RIGHT}[side]
    rng = random.Random(7)
    seats = []
    for k in range(40):  # seats of every shape: few or many parties, some with no bloc
        parties = tuple(p for p in (*MAJOR, OTHER) if rng.random() < 0.6) or ("Con",)
        raw = np.array([rng.random() for _ in parties])
        seats.append(SeatInput(f"S{k}", rng.choice(["North", "Wales", "London"]), parties,
                               raw / raw.sum(), np.array([rng.uniform(0, 0.08)
                                                          for _ in parties])))
    # and the fit's fifteen kappas from one set of draws: each is that kappa's own
    together = chances_by_kappa(seats, chosen, PARAMS, (0.7, PARAMS.kappa, 1.9), draws=2500)
    for kappa in (PARAMS.kappa, 0.7, 1.9):
        found = (chances(seats, chosen, PARAMS, draws=2500) if kappa == PARAMS.kappa
                 else together[kappa])
        top, top_two = reference_chances(seats, chosen, replace(PARAMS, kappa=kappa),
                                         draws=2500)
        for seat in seats:
            assert found[seat.code].opponent_top_two == top_two[seat.code] / 2500
            assert found[seat.code].probabilities == {
                p: top[seat.code].get(p, 0) / 2500 for p in seat.parties if p in chosen.bloc}
    assert together[PARAMS.kappa] == chances(seats, chosen, PARAMS, draws=2500)


def test_an_import_of_the_same_sources_by_the_same_code_takes_the_kept_fit(tmp_path,
                                                                            monkeypatch):
    """The fit is kept under a key naming every source's sha256 and our code: the same
    key takes it (no fit), a different source fits afresh, and a damaged file is ignored."""
    import json
    from dataclasses import asdict

    import sqlite_utils

    from bot.forecast import store
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sources = [("psephology", "a" * 64), ("polls", "b" * 64)]
    key = store.fit_key(sources)
    assert key == store.fit_key(reversed(sources))
    assert key != store.fit_key([("psephology", "c" * 64), ("polls", "b" * 64)])
    kept = ShareParams(**{**asdict(PARAMS), "fitted_on": ("2015", "2017")})
    (tmp_path / "cache" / "howtovote").mkdir(parents=True)
    (tmp_path / "cache" / "howtovote" / f"fit-{key}.json").write_text(
        json.dumps(asdict(kept)), encoding="utf-8")
    db = sqlite_utils.Database(tmp_path / "e.db")  # no election data: a fit would fail
    assert store.fit_and_store(db, key) == kept
    assert store.load(db) == kept
    (tmp_path / "cache" / "howtovote" / f"fit-{key}.json").write_text("{junk")
    assert store._read(tmp_path / "cache" / "howtovote" / f"fit-{key}.json") is None


def test_chances_are_kept_once_worked_out_and_a_damaged_file_is_worked_out_again(
        tmp_path, monkeypatch):
    import sqlite_utils

    from bot.forecast import store
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    worked = {"k1": Forecast({"Lab": 0.7, "LD": 0.3}, 0.9, ("Lab", "LD")),
              "k2": Forecast({"Green": 1.0}, 0.0, ("Green",))}
    calls = []

    def work_out():
        calls.append(1)
        return worked

    first, second = (sqlite_utils.Database(tmp_path / f"{n}.db") for n in "ab")
    assert store.keep_chances(first, work_out, "key") == 2 and calls == [1]
    assert store.load_chances(first) == worked
    assert store.keep_chances(second, work_out, "key") == 2 and calls == [1]  # kept
    assert store.load_chances(second) == worked
    assert store.load_chances(sqlite_utils.Database(tmp_path / "none.db")) == {}
    kept = tmp_path / "cache" / "howtovote" / "chances-key.json"
    for damaged in ('{"k1": [{"Lab": "most"}, 0.9, ["Lab"]]}', '{"k1": [1, 2]}', "[]",
                    "{junk"):
        kept.write_text(damaged)
        store.keep_chances(sqlite_utils.Database(tmp_path / "c.db"), work_out, "key")
        assert store.load_chances(sqlite_utils.Database(tmp_path / "c.db")) == worked
    assert len(calls) == 5
