"""The advice's rules at their boundaries, on hand-made seats: the exact sentences and
figures a voter reads. (Written to kill the mutants that survived; see BENCHMARKS.md.)"""

from __future__ import annotations

import pytest

from bot.advice.rules import advise
from bot.elections.seats import Party, SeatRecord
from bot.models import CandidateResult, Contest, Pact, SeatRef, SeatUpdate

SEAT = SeatRef("E14000001", "Testford", "England")
PARTIES = {code: Party(code, name, "#123456", bloc) for code, name, bloc in [
    ("Con", "Conservative", False), ("Lab", "Labour", True), ("LD", "Liberal Democrat", True),
    ("Green", "Green Party", True), ("RUK", "Reform UK", False), ("Ind", "Independent", False)]}


def contest(votes: dict[str, int], *, kind: str = "general", date: str = "2024-07-04",
            name: str = "2024 general election") -> Contest:
    total = sum(votes.values())
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    return Contest(f"x-{date}", name, kind, date, SEAT, total, None,
                   ranked[0][1] - ranked[1][1], None,
                   tuple(CandidateResult(p, PARTIES[p].name, f"{p} Person", v, v / total, i,
                                         i == 1) for i, (p, v) in enumerate(ranked, start=1)))


def record(votes: dict[str, int], byelection: dict[str, int] | None = None,
           pacts: tuple[Pact, ...] = ()) -> SeatRecord:
    bys = (contest(byelection, kind="by-election", date="2025-05-01",
                   name="Testford by-election 2025"),) if byelection else ()
    return SeatRecord(SEAT, contest(votes), None, bys, pacts, False)


def update(uid: int, kind: str, party: str | None = None, **payload) -> SeatUpdate:
    return SeatUpdate(uid, 10, SEAT.code, kind, party, payload, 1, "mod", "2026-01-01", None)


def test_the_why_sentences_carry_the_exact_figures():
    a = advise(record({"Lab": 4000, "Con": 3000, "LD": 2500, "Green": 500}), PARTIES)
    assert a.verdict == "clear" and a.recommended_party == "Lab"
    assert a.reasons == (
        "At the 2024 general election, Labour had 40.0% (4,000 votes) and Conservative 30.0% "
        "(3,000).",
        "At the 2024 general election, Labour was 15.0 points ahead of Liberal Democrat, the "
        "next party you could back.")
    assert a.headline == ("Vote Labour (Lab Person): the best-placed to beat Conservative; it "
                          "beat Conservative by 10.0 points.")
    behind = advise(record({"Con": 4500, "Lab": 3500, "LD": 1500, "Green": 500}), PARTIES)
    assert behind.headline.endswith("it needs 10.0 points more to overtake Conservative.")
    assert behind.margin_to_opponent == pytest.approx(-0.10)
    assert behind.margin_to_next_bloc == pytest.approx(0.20)


@pytest.mark.parametrize(("lab", "verdict"), [(2490, "close"), (2510, "clear")])
def test_close_means_under_five_points(lab, verdict):
    # LD 20.0%, Lab 24.9 / 25.1%
    a = advise(record({"Con": 4000, "Lab": lab, "LD": 2000, "RUK": 4000 - lab}), PARTIES)
    assert a.verdict == verdict
    if verdict == "close":
        assert a.headline.startswith("Too close to call between Labour (24.9%) and Liberal "
                                     "Democrat (20.0%): Labour is only 4.9 points ahead.")
        assert a.recommended_party is None


@pytest.mark.parametrize(("votes", "verdict"), [
    # RUK wins with 45.0%; Con third with 25.1% (19.9 behind) or 24.9% (20.1 behind)
    ({"RUK": 450, "Lab": 260, "Con": 251, "LD": 20, "Green": 19}, "clear"),
    ({"RUK": 450, "Lab": 260, "Con": 249, "LD": 21, "Green": 20}, "opponent-not-in-contention"),
    # third and 15 behind: still in contention
    ({"RUK": 400, "Lab": 300, "Con": 250, "LD": 30, "Green": 20}, "clear"),
    # second, however far behind: in contention
    ({"Lab": 700, "Con": 100, "LD": 90, "Green": 60, "RUK": 50}, "clear"),
])
def test_out_of_contention_means_third_and_over_twenty_points_behind(votes, verdict):
    a = advise(record(votes), PARTIES)
    assert a.verdict == verdict
    if verdict != "clear":
        assert a.headline == ("Conservative came third, 20.1 points behind the winner: no "
                              "tactical vote is needed here. Vote for whoever you prefer.")
        assert a.recommended_party is None


def test_independents_join_the_bloc_only_in_the_top_two():
    second = advise(record({"Con": 4000, "Ind": 3000, "Lab": 2000, "LD": 1000}), PARTIES)
    assert second.recommended.party == "Ind"
    third = advise(record({"Con": 4000, "Lab": 3000, "Ind": 2000, "LD": 1000}), PARTIES)
    assert third.recommended.party == "Lab"
    assert [r.party for r in third.rows if r.in_bloc] == ["Lab", "LD"]


def test_a_pact_for_a_party_that_was_not_best_placed_says_so():
    pact = update(1, "pact", "LD", standing_aside=["Lab", "Green"], name="Test pact")
    a = advise(record({"Con": 4000, "Lab": 3000, "LD": 2000, "Green": 1000}), PARTIES,
               updates=[pact])
    assert a.recommended.party == "LD" and a.pact_source == "posted by mod (this server)"
    assert ("Test pact: Liberal Democrat is the agreed candidate; Labour, Green Party stand "
            "aside. Note that on the last result Labour was better placed than the pact's "
            "candidate.") in a.reasons
    fair = advise(record({"Con": 4000, "LD": 3000, "Lab": 2000, "Green": 1000}), PARTIES,
                  updates=[update(1, "pact", "LD", standing_aside=["Lab"], name="Test pact")])
    assert "Test pact: Liberal Democrat is the agreed candidate; Labour stand aside." in \
        fair.reasons
    table = advise(record({"Con": 4000, "Lab": 3000, "LD": 2000},
                          pacts=(Pact("", ("Green",), "Stand-aside"),)), PARTIES)
    assert "Stand-aside: Green Party stood aside here." in table.reasons


def test_a_byelection_that_points_elsewhere_says_so():
    a = advise(record({"Con": 4000, "Lab": 3000, "LD": 2000, "Green": 1000},
                      byelection={"LD": 5000, "Con": 3000, "Lab": 1000}), PARTIES)
    assert a.recommended.party == "LD" and a.other_call == "Labour"
    assert "The 2024 general election pointed elsewhere: Labour." in a.reasons
    assert a.reasons[0] == ("This rests on the Testford by-election 2025, the most recent vote "
                            "here, rather than the 2024 general election.")
    same = advise(record({"Con": 4000, "LD": 3000, "Lab": 2000, "Green": 1000},
                         byelection={"LD": 5000, "Con": 3000, "Lab": 1000}), PARTIES)
    assert same.other_call is None


def test_withdrawals_and_declared_candidates():
    base = {"Con": 4000, "Lab": 3000, "LD": 2000, "Green": 1000}
    gone = advise(record(base), PARTIES, updates=[update(1, "withdraw", "Lab")])
    assert gone.recommended.party == "LD"
    back = advise(record(base), PARTIES, updates=[update(1, "withdraw", "Lab"),
                                                  update(2, "candidate", "Lab", name="New")])
    assert back.recommended.party == "Lab" and back.declared == (("Lab", "New"),)


# -- the seat model's call, as the advice states it ------------------------------------------
def model_view(probs: dict[str, float], top_two: float = 0.9, stale: str = ""):
    from bot.forecast.live import ModelView
    from bot.forecast.model import Forecast
    ranked = tuple(sorted(probs, key=lambda p: -probs[p]))
    return ModelView(Forecast(probs, top_two, ranked), "the 2024 result and polls of DAY", stale)


BASE = {"Con": 4000, "Lab": 3000, "LD": 2000, "Green": 1000}


def test_the_model_names_its_party_with_the_chance_and_the_basis():
    a = advise(record(BASE), PARTIES, model=model_view({"LD": 0.9, "Lab": 0.08, "Green": 0.02}))
    assert (a.verdict, a.recommended_party, a.recommended.party) == ("clear", "LD", "LD")
    assert a.headline == ("Vote Liberal Democrat (LD Person): the best-placed to beat "
                          "Conservative. Liberal Democrat: about 9 in 10 to be the strongest "
                          "challenger here.")
    assert a.reasons[:2] == ("The chances rest on the 2024 result and polls of DAY.",
                             "On the 2024 general election result alone: Labour.")
    assert a.last_result_call == "Labour" and a.forecast is not None
    assert not any(c.startswith("Based on votes cast") for c in a.caveats)
    assert any(c.startswith("A forecast of vote shares from the last result") for c in a.caveats)


def test_a_close_model_call_names_both_and_a_stale_poll_is_flagged():
    a = advise(record(BASE), PARTIES,
               model=model_view({"Lab": 0.6, "LD": 0.4}, stale="polls are old"))
    assert a.verdict == "close" and a.recommended_party is None
    assert a.headline == ("Too close to call between Labour (about 6 in 10) and Liberal "
                          "Democrat (about 4 in 10) to be the strongest challenger to "
                          "Conservative. Watch for local pacts and polls.")
    assert (a.recommended.party, a.next_bloc.party) == ("Lab", "LD")
    assert "polls are old" in a.caveats


def test_no_tactical_vote_needed_when_the_opponent_is_unlikely_top_two():
    a = advise(record(BASE), PARTIES, model=model_view({"Lab": 0.95, "LD": 0.05}, 0.1))
    assert a.verdict == "opponent-not-in-contention" and a.recommended_party is None
    assert a.headline == ("Conservative is unlikely to finish in the top two here (about 1 in "
                          "10): no tactical vote is needed. Vote for whoever you prefer. "
                          "(Labour: more than 9 in 10 to be the strongest challenger here.)")


def test_the_model_steps_aside_for_overrides_other_opponents_and_newer_results():
    view = model_view({"LD": 0.9, "Lab": 0.1})
    over = advise(record(BASE), PARTIES, model=view, updates=[
        update(1, "override", "Green", reason="local", party_name="Green Party")])
    assert over.verdict == "override" and over.recommended_party == "Green"
    from bot.advice.rules import AdviceOptions
    reform = advise(record(BASE), PARTIES, AdviceOptions(opponent="RUK"), model=view)
    assert reform.forecast is None and reform.last_result_call == ""
    newer = advise(record(BASE), PARTIES, model=view, updates=[
        update(1, "byelection", votes={"Green": 5000, "Con": 1000}, date="2026-01-01")])
    assert newer.forecast is None and newer.recommended.party == "Green"
    assert newer.basis.election_name == "by-election of 2026-01-01 (posted by mod)"
    assert newer.rows[0].share == pytest.approx(5 / 6)


def test_who_stands_follows_the_moderators():
    from bot.advice.rules import field_of
    f = field_of(record(BASE), PARTIES, [update(1, "withdraw", "Green"),
                                          update(2, "candidate", "PC", name="New"),
                                          update(3, "pact", "Lab", standing_aside=["LD"])])
    assert f.standing == frozenset({"Con", "Lab", "PC"}) and f.designated == "Lab"
    assert field_of(record(BASE), PARTIES).standing == frozenset(BASE)
    assert field_of(record(BASE), PARTIES).designated == ""


def test_override_headlines_say_whose_call_it_is():
    local = update(1, "override", "Green", reason="local", party_name="Green Party")
    a = advise(record(BASE), PARTIES, updates=[local])
    assert a.headline == ("This server's moderators recommend Green Party (the numbers say: "
                          "Labour).")
    shared = SeatUpdate(2, None, SEAT.code, "override", "Green",
                        {"reason": "national", "party_name": "Green Party"}, 1, "Olive",
                        "2026-01-01", None)
    b = advise(record(BASE), PARTIES, updates=[shared])
    assert b.headline == "Olive, for all servers, recommends Green Party (the numbers say: " \
        "Labour)."
    assert b.override.scope == "all servers" and a.override.scope == "this server"


def test_a_posted_result_keeps_its_own_date_and_winner():
    posted = SeatUpdate(1, 10, SEAT.code, "byelection", None,
                        {"votes": {"Green": 5000, "Con": 1000}, "date": "2025-11-30"}, 1, "mod",
                        "2026-02-01T10:00:00", None)
    a = advise(record(BASE), PARTIES, updates=[posted])
    assert a.basis.election_name == "by-election of 2025-11-30 (posted by mod)"
    assert [c.won for c in a.basis.candidates] == [True, False]
    undated = SeatUpdate(2, 10, SEAT.code, "byelection", None,
                         {"votes": {"Green": 5000, "Con": 1000}}, 1, "mod",
                         "2026-02-01T10:00:00", None)
    assert advise(record(BASE), PARTIES, updates=[undated]).basis.date == "2026-02-01"


def test_the_opponent_fifth_is_said_in_words():
    a = advise(record({"Lab": 500, "RUK": 150, "Green": 120, "LD": 110, "Con": 100,
                       "Ind": 20}), PARTIES)
    assert a.headline.startswith("Conservative came fifth, 40.0 points behind the winner")


def test_a_redrawn_seat_names_its_notional_winner():
    notional = contest({"Con": 4000, "Lab": 3500, "LD": 2500})
    redrawn = SeatRecord(SEAT, contest({"Lab": 4000, "Con": 3000, "LD": 3000}), notional, (),
                         (), True)
    a = advise(redrawn, PARTIES)
    assert ("The seat was redrawn in 2024. On the new boundaries the 2019 result would have "
            "been a Conservative win with 40.0% (notional figures).") in a.caveats


def test_a_narrowed_bloc_hears_of_the_party_the_model_calls_outside_it():
    from bot.advice.rules import AdviceOptions
    labour_only = AdviceOptions("Con", frozenset({"Lab"}))
    view = model_view({"LD": 0.9, "Lab": 0.08, "Green": 0.02})
    a = advise(record(BASE), PARTIES, labour_only, model=view)
    assert a.verdict == "outside-bloc" and a.recommended_party is None
    assert a.headline.startswith("Liberal Democrat is about 9 in 10 to be the strongest")
    assert "Of those, Labour is the strongest (almost certain)" in a.headline
    calm = advise(record(BASE), PARTIES, labour_only,
                  model=model_view({"LD": 0.9, "Lab": 0.08, "Green": 0.02}, top_two=0.1))
    assert calm.verdict == "opponent-not-in-contention"
    assert "Liberal Democrat, which this server does not back" in calm.headline
    assert a.forecast.probabilities == {"Lab": 1.0}  # chances among the bloc only


def test_posted_results_count_by_polling_day_not_by_when_posted():
    by_day = {"2025-08-01": {"LD": 9000, "Con": 8000, "Lab": 1000},
              "2025-03-01": {"Lab": 9000, "Con": 8000, "LD": 1000}}
    posted = [update(2, "byelection", votes=by_day["2025-08-01"], date="2025-08-01"),
              update(3, "byelection", votes=by_day["2025-03-01"], date="2025-03-01")]
    a = advise(record({"Lab": 4000, "Con": 3000, "LD": 2500}), PARTIES, updates=posted)
    assert a.basis.date == "2025-08-01" and a.recommended.party == "LD"
    # a posted result older than the published by-election (2025-05-01) is not the basis
    b = advise(record({"Lab": 4000, "Con": 3000, "LD": 2500},
                      byelection={"LD": 5000, "Con": 4000, "Lab": 1000}), PARTIES,
               updates=[posted[1]])
    assert b.basis.date == "2025-05-01" and b.recommended.party == "LD"


def test_small_words_read_right():
    from types import SimpleNamespace

    from bot.advice.rules import _polls_named, article, local_line
    from bot.forecast.live import ModelView
    assert [article(w) for w in ("Alliance", "SNP", "Labour", "Independent")] == [
        "an", "an", "a", "an"]
    assert local_line({"Lab": 0.5, "Con": 0.5}, 0.42, "2023", PARTIES).startswith(
        "Council elections 2023 in wards holding 42% of this seat's postcodes:")
    assert "this seat's wards" in local_line({"Lab": 1.0}, 0.97, "2023", PARTIES)

    def view(nation: str, area: str) -> ModelView:
        return ModelView(None, "", case=SimpleNamespace(nation=nation), polls_area=area)
    assert _polls_named(view("Scotland", "GB")) == ("GB polls (applied to Scotland, for "
                                                    "want of Scotland polls)")
    assert _polls_named(view("Scotland", "Scotland")) == "Scotland polls"
    assert _polls_named(view("England", "GB")) == "GB polls"


def forecast_view(base, from_polls, centre, published=None, projections=(), labels=()):
    """A forecast's view of a seat with its own terms given by hand."""
    from bot.forecast.live import ModelView, Terms
    from bot.forecast.model import Forecast, SeatCase
    case = SeatCase("E1", "Testford", "England", base, frozenset(from_polls), {}, {},
                    projected_by=tuple(labels))
    probs = {p: 1 / len(from_polls) for p in from_polls}
    return ModelView(Forecast(probs, 0.9, tuple(from_polls)), "basis", case=case,
                     parties=tuple(from_polls),
                     projection_labels=tuple(labels),
                     terms=Terms(base, from_polls, published or {}, centre, tuple(projections)))


def row(party: str, share: float):
    from bot.advice.rules import Row
    return Row(party, PARTIES[party].name, None, int(share * 10000), share, True, False)


def test_why_names_only_the_terms_that_moved_the_call_with_their_size():
    from bot.advice.rules import _why_moved
    polls_only = forecast_view({"Lab": 0.30, "LD": 0.20}, {"Lab": 0.25, "LD": 0.28},
                               {"Lab": 0.25, "LD": 0.28})
    said = _why_moved(polls_only, row("LD", 0.2), row("Lab", 0.3))
    assert said == ("Why Liberal Democrat and not Labour, who did better last time: the GB "
                    "polls since then move Liberal Democrat from 20.0% to 28.0% here and "
                    "Labour from 30.0% to 25.0% (13.0 points toward Liberal Democrat).")
    # the polls moved toward Labour; the projections, toward the Liberal Democrats
    projections = forecast_view({"Lab": 0.30, "LD": 0.20}, {"Lab": 0.32, "LD": 0.20},
                                {"Lab": 0.26, "LD": 0.29}, {"Lab": 0.22, "LD": 0.35},
                                labels=("MRP",))
    said = _why_moved(projections, row("LD", 0.2), row("Lab", 0.3))
    assert "polls" not in said and "the published seat projections (MRP) put Liberal " \
        "Democrat at 35.0% and Labour at 22.0% (15.0 points toward Liberal Democrat)" in said
    # nothing moved toward it: nothing is said
    assert _why_moved(forecast_view({"Lab": 0.3, "LD": 0.2}, {"Lab": 0.3, "LD": 0.2},
                                    {"Lab": 0.3, "LD": 0.2}),
                      row("LD", 0.2), row("Lab", 0.3)) == ""


def test_projections_that_disagree_are_said_and_agreeing_ones_are_not():
    from bot.advice.rules import _projections_disagree
    differ = forecast_view({"Lab": 0.3, "LD": 0.2}, {"Lab": 0.3, "LD": 0.2},
                           {"Lab": 0.3, "LD": 0.2},
                           projections=({"Lab": 0.30, "LD": 0.20, "Con": 0.40},
                                        {"Lab": 0.20, "LD": 0.30, "Con": 0.40}),
                           labels=("A MRP", "B MRP"))
    assert _projections_disagree(differ, differ.forecast, PARTIES) == (
        "The published projections disagree on who is strongest of the parties you could "
        "back here (A MRP: Labour; B MRP: Liberal Democrat); the chances weigh them all.")
    agree = forecast_view({"Lab": 0.3, "LD": 0.2}, {"Lab": 0.3, "LD": 0.2},
                          {"Lab": 0.3, "LD": 0.2},
                          projections=({"Lab": 0.30, "LD": 0.20}, {"Lab": 0.35, "LD": 0.1}),
                          labels=("A MRP", "B MRP"))
    assert _projections_disagree(agree, agree.forecast, PARTIES) == ""


@pytest.mark.parametrize(("votes", "place"), [
    ({"Lab": 500, "RUK": 150, "Green": 120, "Con": 100, "LD": 90}, "fourth"),
    ({"Lab": 500, "RUK": 150, "Green": 120, "LD": 110, "Ind": 105, "Con": 100}, "6th")])
def test_every_place_below_third_is_said_as_written(votes, place):
    assert advise(record(votes), PARTIES).headline.startswith(f"Conservative came {place},")


def test_a_one_vote_gap_is_one_vote():
    from dataclasses import replace

    from bot.advice.rules import _gap
    close = row("Lab", 0.3)
    assert _gap(close, replace(close, votes=close.votes - 1)) == "1 vote"
    assert _gap(close, replace(close, votes=close.votes - 2)) == "2 votes"
    assert _gap(close, row("LD", 0.29)) == "1.0 points"


def test_a_byelection_result_is_said_second_after_what_the_advice_rests_on():
    from dataclasses import replace
    won = record({"Lab": 4000, "Con": 3000, "LD": 2500},
                 byelection={"Lab": 3000, "Con": 2000, "LD": 1500})
    won = replace(won, byelections=(replace(won.byelections[0], result="Lab hold"),))
    reasons = advise(won, PARTIES).reasons
    assert reasons[0].startswith("This rests on the Testford by-election 2025")
    assert reasons[1] == "Testford by-election 2025: Lab hold, majority 1,000."


def test_why_the_forecast_differs_follows_the_result_alone():
    from dataclasses import replace
    moved = forecast_view({"Lab": 0.30, "LD": 0.20}, {"Lab": 0.25, "LD": 0.28},
                          {"Lab": 0.25, "LD": 0.28})
    view = replace(moved, forecast=model_view({"LD": 0.9, "Lab": 0.1}).forecast)
    reasons = advise(record(BASE), PARTIES, model=view).reasons
    alone = reasons.index("On the 2024 general election result alone: Labour.")
    assert reasons[alone + 1].startswith("Why Liberal Democrat and not Labour, who did better "
                                         "last time: the GB polls since then move")
