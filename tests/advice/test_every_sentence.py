"""Every sentence an answer says is true of its seat: checked over every GB seat, against
the Conservatives, against Reform UK and against the right (Con, RUK and Restore Britain,
whichever is best placed), on the real data (issue #30, point 8)."""

from __future__ import annotations

import re

import pytest

from bot.advice.rules import NEXT_PARTY, AdviceOptions
from bot.forecast.model import in_words
from bot.service import HowToVote

WHY = re.compile(r"^Why (.+?) and not (.+?), who did better last time: (.+)\.$")
TOWARD = re.compile(r"\((\d+\.\d) points toward ([^)]+)\)")


@pytest.fixture
async def service(settings):
    s = await HowToVote(settings).start(offline=True)
    yield s
    await s.close()


@pytest.mark.full_data
@pytest.mark.parametrize("opponent", ["Con", "RUK", "Right"])
async def test_every_sentence_is_true_of_its_seat(service, opponent):
    options = AdviceOptions.against(opponent)
    forecast_answers = moved = 0
    for code, record in service.data.current.items():
        if record.seat.nation == "Northern Ireland":
            continue
        a = service.answer_for_seat(code, options=options).advice
        assert not any("holds the seat" in r for r in a.reasons), a.seat.name
        if a.forecast is None or a.verdict not in ("clear", "close"):
            continue
        forecast_answers += 1
        f = a.forecast
        # the party named is the forecast's leader, with its own chance in words
        assert a.recommended.party == f.leader, a.seat.name
        assert in_words(f.chance(f.leader)) in a.headline, (a.seat.name, a.headline)
        assert (a.verdict == "clear") == (f.call == f.leader), a.seat.name
        # "the next party you could back" is the runner-up the margins and JSON name
        next_said = [r for r in a.reasons if NEXT_PARTY[:-1] in r]
        assert all(r.startswith(f"{a.next_bloc.party_name}, {NEXT_PARTY[:-1]}")
                   for r in next_said), (a.seat.name, next_said)
        assert a.next_bloc is None or a.next_bloc.party == f.runner_up, a.seat.name
        # "why" names the party recommended, and only terms that moved toward it
        for reason in a.reasons:
            found = WHY.match(reason)
            if found is None:
                continue
            moved += 1
            assert found[1] == a.recommended.party_name, (a.seat.name, reason)
            terms = TOWARD.findall(found[3])
            assert terms and all(float(n) > 0 and who == found[1] for n, who in terms), \
                (a.seat.name, reason)
    assert forecast_answers > 300 and moved > 20
