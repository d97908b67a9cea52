"""Every answer agrees with itself, on every seat and against every opponent: margins
between the parties the call names, a model call that says what moved it, declared
candidates in the headline, the server's bloc respected, results in party names, and
anti-Reform advice that names the real challenger."""

from __future__ import annotations

import re

import pytest

from bot.advice.render import margin_pairs, margin_text
from bot.advice.rules import AdviceOptions, OptionsError, advise
from bot.models import SeatUpdate
from bot.service import HowToVote

OPPONENTS = ("Con", "RUK", "Lab", "LD")


@pytest.fixture
async def service(settings):
    s = await HowToVote(settings).start(offline=True)
    yield s
    await s.close()


def every_answer(service, options_list):
    for code in service.data.current:
        for options in options_list:
            answer = service.answer_for_seat(code, options=options)
            if answer.advice is not None:
                yield answer


def margins_field(answer) -> list[str]:
    field = {f.name: f.value for f in answer.embed.fields}.get("Margins", "")
    return field.splitlines()


@pytest.mark.slow
@pytest.mark.full_data
async def test_every_margin_is_between_the_parties_it_names(service):
    options = [AdviceOptions.against(o) for o in OPPONENTS]
    checked = 0
    for answer in every_answer(service, options):
        a = answer.advice
        named = [r for r in (a.recommended, a.opponent, a.next_bloc, a.best_placed) if r]
        assert all(r in a.rows for r in named), a.seat.name  # rows of the result it cites
        if a.recommended and a.opponent:
            assert a.margin_to_opponent == pytest.approx(
                a.recommended.share - a.opponent.share), a.seat.name
        if a.recommended and a.next_bloc:
            assert a.margin_to_next_bloc == pytest.approx(
                a.recommended.share - a.next_bloc.share), a.seat.name
        # what the embed prints is exactly those pairs, named party first
        expected = [f"{x.party} vs {y.party}: {margin_text(x, y)}" for x, y in margin_pairs(a)]
        assert margins_field(answer) == expected, a.seat.name
        for line in expected:
            party = line.split(" vs ")[0]
            assert party in {r.party for r in a.rows}
        checked += 1
    assert checked >= 4 * 640


@pytest.mark.full_data
async def test_a_model_call_against_the_last_result_says_what_moved_it(service):
    moved = 0
    for answer in every_answer(service, [AdviceOptions()]):
        a = answer.advice
        last = next((r for r in a.rows if r.in_bloc and r.standing), None)
        if a.forecast is None or a.recommended is None or last is None:
            continue
        if a.recommended.party != last.party and last.party in a.forecast.probabilities:
            why = [r for r in a.reasons if r.startswith(f"Why {a.recommended.party_name} and "
                                                        f"not {last.party_name}")]
            assert why, a.seat.name
            moved += 1
    assert moved >= 10  # Bangor Aberconwy and many more


@pytest.mark.full_data
async def test_bangor_aberconwy_margins_and_reasons_follow_plaid(service):
    answer = await service.answer("Bangor Aberconwy")
    a = answer.advice
    assert a.recommended.party == "PC" and a.next_bloc.party == "Lab"
    assert margins_field(answer) == ["PC vs Con: +0.2 pts", "PC vs Lab: -11.8 pts"]
    assert any(r.startswith("Why Plaid Cymru and not Labour") and "polls" in r
               for r in a.reasons)


@pytest.mark.full_data
async def test_dewsbury_margins_are_labours_not_the_independents(service):
    answer = await service.answer("Dewsbury and Batley")
    named = answer.advice.recommended.party
    lines = margins_field(answer)
    assert lines and all(line.startswith(f"{named} vs ") for line in lines)
    assert not any("+30.1" in line for line in lines)  # the Independent's lead over Con
    shares = {"Lab": 22.9, "Green": 5.4, "LD": 3.5, "Con": 11.0}
    for line in lines:  # each margin is between the two parties it names, in points
        pair, value = line.split(": ")
        lead, other = pair.split(" vs ")
        assert float(value.split()[0]) == pytest.approx(shares[lead] - shares[other], abs=0.15)


@pytest.mark.full_data
async def test_the_projection_field_leads_with_the_headlines_call(service):
    await service.set_setting(1, "projections", "on", 7)
    disagree = 0
    for code in service.data.current:
        answer = service.answer_for_seat(code, 1)
        field = {f.name: f.value for f in answer.embed.fields}.get("Result vs polls")
        if field is None:
            continue
        first = field.splitlines()[0]
        a = answer.advice
        if a.verdict == "clear":
            assert first.endswith(": " + a.recommended.party_name), a.seat.name
        disagree += "disagrees with our call" in field
    assert disagree > 0


def _update(i: int, kind: str, party: str | None, **payload) -> SeatUpdate:
    return SeatUpdate(i, 1, "X", kind, party, payload, 1, "mod", "2026-11-01T00:00:00", None)


@pytest.mark.full_data
def test_a_declared_candidate_replaces_last_times_in_every_line(election_data):
    named = 0
    for record in election_data.current.values():
        base = advise(record, election_data.parties)
        if base.verdict != "clear" or not base.recommended.candidate:
            continue
        old = base.recommended.candidate
        a = advise(record, election_data.parties, updates=[
            _update(1, "candidate", base.recommended.party, name="Jane Newperson")])
        assert "Jane Newperson" in a.headline and old not in a.headline, record.seat.name
        row = next(r for r in a.rows if r.party == base.recommended.party)
        assert row.candidate == "Jane Newperson" and row.previous_candidate == old
        named += 1
    assert named > 300


@pytest.mark.full_data
async def test_spen_valley_declared_candidate_through_discord(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send('!candidate "Spen Valley" Lab Jane Newperson')
    discord_bot.reply()
    await discord_bot.send("!howtovote Spen Valley")
    embed = discord_bot.reply().embeds[0]
    assert "Leadbeater" not in embed.description  # named, if at all, as the declared one
    rows = {f.name: f.value for f in embed.fields}["2024 general election result"]
    assert "Jane Newperson, declared; Kim Leadbeater last time" in rows


@pytest.mark.slow
@pytest.mark.full_data
async def test_the_model_chooses_only_among_the_servers_bloc(service):
    for bloc in ({"Lab"}, {"LD", "Green"}):
        options = AdviceOptions("Con", frozenset(bloc))
        for answer in every_answer(service, [options]):
            a = answer.advice
            if a.forecast is not None:
                assert set(a.forecast.probabilities) <= bloc, a.seat.name
                assert sum(a.forecast.probabilities.values()) == pytest.approx(1.0)
            if a.recommended_party:
                assert a.recommended_party in bloc | {"Ind"}, a.seat.name


@pytest.mark.full_data
async def test_bath_with_a_labour_only_bloc_through_discord(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send("!config bloc Lab")
    discord_bot.reply()
    await discord_bot.send("!howtovote Bath")
    description = discord_bot.reply().embeds[0].description
    assert not description.startswith("Vote Liberal Democrat")
    assert "Liberal Democrat" in description
    assert "not one of the parties" in description or "does not back" in description


def test_the_opponent_cannot_be_in_the_bloc():
    with pytest.raises(OptionsError, match="both the party to beat"):
        AdviceOptions("LD", frozenset({"LD", "Lab"}))
    assert AdviceOptions.against("LD").backs("Con")  # the default: every other party
    assert not AdviceOptions.against("LD").backs("LD")


@pytest.mark.full_data
async def test_config_refuses_the_opponent_in_the_bloc(discord_bot):
    await discord_bot.grant_manage_server(0)
    await discord_bot.send("!config bloc Con Lab")
    assert "cannot also be in the bloc" in discord_bot.reply().content
    await discord_bot.send("!config bloc Lab LD")
    discord_bot.reply()
    await discord_bot.send("!config opponent LD")
    assert "one of the parties this server backs" in discord_bot.reply().content
    await discord_bot.send("!config")
    settings_text = discord_bot.reply().embeds[0].description
    assert "opponent: Con" in settings_text and "bloc: LD Lab" in settings_text


@pytest.mark.full_data
async def test_no_answer_says_minus_zero_points_or_a_party_code_result(service):
    words = {w for p in service.data.parties.values() for w in p.name.split()}
    codes = set(service.data.parties) - words  # "RUK", "Con", "LD": never in a sentence
    for answer in every_answer(service, [AdviceOptions.against(o) for o in OPPONENTS]):
        a = answer.advice
        said = " ".join((a.headline, *a.reasons, answer.text))
        assert not re.search(r"(?<![\d.])[-+]?0\.0 points", said), (a.seat.name, said)
        assert "-0.0" not in said
        for contest in (a.basis, a.general, a.byelection):
            if contest is not None and contest.result:
                assert not set(contest.result.split()) & codes, contest.result


@pytest.mark.full_data
async def test_runcorn_says_the_votes_under_a_tenth_of_a_point(service):
    answer = service.answer_for_seat(
        next(c for c, r in service.data.current.items() if r.seat.name == "Runcorn and Helsby"),
        options=AdviceOptions.against("RUK"))
    assert "Reform UK gain from Labour" in " ".join(answer.advice.reasons)
    said = " ".join((answer.advice.headline, *margins_field(answer)))
    assert "6 votes" in said and "0.0 points" not in said


@pytest.mark.full_data
async def test_against_reform_the_real_challenger_is_named(service):
    """Every seat where Reform UK finished first or second: a 'Clear' call names the party
    the seat model against Reform calls (every party but Reform may be named); a narrowed
    bloc whose model call is a party it does not back is told so, never 'Clear'."""
    checked = narrowed_told = 0
    narrow = AdviceOptions("RUK", frozenset({"Lab", "LD", "Green"}))
    for code, record in service.data.current.items():
        top = [c.party for c in record.general.candidates[:2]]
        if "RUK" not in top or record.latest is not record.general:
            continue
        a = service.answer_for_seat(code, options=AdviceOptions.against("RUK")).advice
        assert a.forecast is not None and "RUK" not in a.forecast.probabilities
        if a.verdict == "clear":
            assert a.recommended.party == a.forecast.call, record.seat.name
        n = service.answer_for_seat(code, options=narrow).advice
        if a.forecast.call and a.forecast.call not in narrow.bloc and \
                n.verdict != "opponent-not-in-contention":
            name = service.data.parties[a.forecast.call].name
            assert n.verdict == "outside-bloc" and name in n.headline, record.seat.name
            narrowed_told += 1
        checked += 1
    assert checked > 90 and narrowed_told >= 5


@pytest.mark.full_data
async def test_boston_and_skegness_against_reform(service):
    a = (await service.answer("Boston and Skegness",
                              options=AdviceOptions.against("RUK"))).advice
    assert a.verdict == "clear" and a.recommended.party == "Con"
    narrow = (await service.answer("Boston and Skegness",
                                   options=AdviceOptions("RUK", frozenset({"Lab"})))).advice
    assert narrow.verdict == "outside-bloc" and narrow.recommended_party is None
    assert narrow.headline.startswith("Conservative (")


@pytest.mark.full_data
async def test_a_stand_aside_by_election_keeps_the_general_election(service):
    """Clacton 2026: no Conservative and no bloc party stood in the by-election."""
    clacton = (await service.answer("Clacton")).advice
    assert clacton.basis.kind == "general" and clacton.byelection is not None
    assert clacton.verdict != "no-opponent" and "did not stand in the by-election" in \
        " ".join(clacton.reasons)
    reform = (await service.answer("Clacton", options=AdviceOptions.against("RUK"))).advice
    # the Conservatives stood aside in the by-election, not from the seat: still named
    assert reform.verdict in ("clear", "close") and reform.recommended.party == "Con"
    for record in service.data.current.values():
        a = advise(record, service.data.parties)
        if a.byelection is not None and a.basis is a.byelection:
            stood = {c.party for c in a.byelection.candidates}
            assert "Con" in stood or "Con" not in {c.party for c in a.general.candidates}


@pytest.mark.full_data
async def test_no_opponent_at_the_general_election_is_said_as_such(service):
    told = 0
    for answer in every_answer(service, [AdviceOptions()]):
        a = answer.advice
        assert "no one to vote tactically against" not in a.headline
        if a.verdict == "no-opponent":
            assert "did not stand" in a.headline or "stood here at the" in a.headline
            assert "The strongest there was" in a.headline, a.seat.name
            told += 1
    assert told >= 15  # Northern Ireland's seats and the Speaker's
