"""The advice on real seats, the rendering, and `python bot.py ask`."""

from __future__ import annotations

import json
import os
import sys

import pytest

from bot.advice.render import EMBED_LIMIT, render_embed, render_text
from bot.advice.rules import AdviceOptions, advise
from bot.config import PROJECT_ROOT
from bot.models import SeatUpdate


def code_of(data, name: str) -> str:
    return next(code for code, r in data.current.items() if r.seat.name == name)


def advice_for(data, name: str, **options):
    return advise(data.record(code_of(data, name)), data.parties, AdviceOptions(**options))


def test_dewsbury_and_batley_independent_winner(election_data):
    a = advice_for(election_data, "Dewsbury and Batley")
    assert a.rows[0].party == "Ind" and a.rows[0].votes == 15641 and a.rows[0].in_bloc
    assert a.verdict == "opponent-not-in-contention"  # the Conservatives came fourth
    assert "fourth" in a.headline and "Vote for whoever you prefer" in a.headline
    assert any("redrawn in 2024" in c for c in a.caveats)


def test_lab_con_marginal_hendon(election_data):
    a = advice_for(election_data, "Hendon")
    assert a.verdict == "clear" and a.recommended.party == "Lab"
    assert a.opponent.party == "Con" and 0 <= a.margin_to_opponent < 0.001  # 15 votes
    assert "Vote Labour (David Pinto-Duschinsky)" in a.headline
    assert a.recommended_party == "Lab"


def test_con_ld_southern_marginal_godalming(election_data):
    a = advice_for(election_data, "Godalming and Ash")
    assert (a.verdict, a.recommended.party) == ("clear", "LD")
    assert a.margin_to_opponent == pytest.approx(-0.016, abs=0.001)
    assert "needs 1.6 points more to overtake Conservative" in a.headline


def test_northern_ireland_and_the_speaker_have_no_opponent(election_data):
    for seat in ("Foyle", "Belfast East", "Chorley"):
        a = advice_for(election_data, seat)
        assert a.verdict == "no-opponent" and a.recommended_party is None, seat
        assert "Conservative did not stand" in a.reasons[0]


def test_scottish_snp_lab_seat(election_data):
    a = advice_for(election_data, "Aberdeenshire North and Moray East")
    assert (a.verdict, a.recommended.party, a.next_bloc.party) == ("clear", "SNP", "Lab")
    assert a.margin_to_opponent == pytest.approx(0.025, abs=0.001)


def test_close_call_names_both(election_data):
    a = advice_for(election_data, "Dumfries and Galloway")
    assert a.verdict == "close" and a.recommended_party is None
    assert "Scottish National Party" in a.headline and "Labour" in a.headline
    assert a.margin_to_next_bloc < 0.05


def test_opponent_reform_changes_the_advice(election_data):
    con = advice_for(election_data, "Godalming and Ash")
    ruk = advice_for(election_data, "Godalming and Ash", opponent="RUK")
    assert con.verdict == "clear" and ruk.verdict == "opponent-not-in-contention"
    clacton = advice_for(election_data, "Hartlepool", opponent="RUK")
    assert clacton.opponent.party == "RUK" and clacton.verdict in {"clear", "close"}
    assert clacton.recommended.party == "Lab"


def test_latest_result_first_runcorn(election_data):
    a = advice_for(election_data, "Runcorn and Helsby")
    assert a.basis.kind == "by-election" and a.basis.date == "2025-05-01"
    assert a.general.election_id == "ge2024"
    assert "Reform UK gain from Labour, majority 6" in " ".join(a.reasons)
    assert any("low turnout" in c for c in a.caveats)
    text = render_text(a)
    assert text.index("by-election 2025") < text.index("2024 general election:")


def test_aberdeen_south_2026_conservative_gain(election_data):
    a = advice_for(election_data, "Aberdeen South")
    assert a.basis.date == "2026-06-18" and a.rows[0].party == "Con"
    assert "Conservative gain from Scottish National Party" in " ".join(a.reasons)
    assert a.recommended.party == "SNP" and a.margin_to_opponent < 0


def update(kind, party=None, guild=1, id_=1, **payload):
    return SeatUpdate(id_, guild, "X", kind, party, payload, 42, "Mod Person",
                      "2026-11-01T10:00:00+00:00")


def test_updates_pact_withdraw_override_note_byelection(election_data):
    record = election_data.record(code_of(election_data, "Godalming and Ash"))
    withdrawn = advise(record, election_data.parties, updates=[update("withdraw", "LD")])
    assert withdrawn.recommended.party == "Lab"
    pact = advise(record, election_data.parties,
                  updates=[update("pact", "Lab", standing_aside=["LD", "Green"])])
    assert pact.recommended.party == "Lab" and pact.pact.designated == "Lab"
    assert "better placed than the pact's candidate" in " ".join(pact.reasons)
    ended = advise(record, election_data.parties, updates=[
        update("pact", "Lab", standing_aside=["LD"]), update("pact-end", id_=2)])
    assert ended.pact is None and ended.recommended.party == "LD"
    over = advise(record, election_data.parties, updates=[
        update("override", "Green", party_name="Green Party", reason="local strength"),
        update("note", text="@everyone **hustings** on Friday", id_=2)])
    assert over.verdict == "override" and over.data_verdict == "clear"
    assert over.recommended_party == "Green"
    assert "the numbers say: Liberal Democrat" in over.headline
    embed = render_embed(over)
    assert "Mod Person" in "".join(f.value for f in embed.fields)
    note = next(f for f in embed.fields if f.name.startswith("Note from"))
    assert "@\u200beveryone" in note.value and "\\*\\*hustings" in note.value
    newer = advise(record, election_data.parties,
                   updates=[update("byelection", votes={"Con": 100, "Lab": 900, "LD": 500})])
    assert newer.basis.kind == "by-election" and newer.recommended.party == "Lab"


def test_every_seat_renders_within_discord_limits(election_data):
    for record in election_data.current.values():
        spec = render_embed(advise(record, election_data.parties))
        assert spec.total_length() <= EMBED_LIMIT and len(spec.fields) <= 25
        assert all(len(f.value) <= 1024 for f in spec.fields)


@pytest.fixture
def run_ask(settings, howtovote):
    env = {"HOWTOVOTE_DB_DIR": str(settings.db_dir), "POSTCODES_API_URL": "http://127.0.0.1:9"}
    return lambda *args: howtovote("ask", *args, env=env)


def test_ask_names_and_old_seats(run_ask):
    done = run_ask("Batley")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Dewsbury and Batley (England, E14001196)")
    assert "Independent (Iqbal Mohamed): 15,641 (41.1%)" in done.stdout
    old = run_ask("Brecon", "and", "Radnorshire")
    assert "Brecon, Radnor and Cwm Tawe" in old.stdout and "redrawn" in old.stdout


def test_ask_json_and_no_match(run_ask):
    done = run_ask("--json", "Hendon")
    payload = json.loads(done.stdout)
    # the forecast's leader is the party recommended, and its chances add up
    assert payload["verdict"] in ("clear", "close")
    assert payload["recommended"]["party"] == payload["forecast"]["ranked"][0] == "Lab"
    assert sum(payload["forecast"]["probabilities"].values()) == pytest.approx(1.0)
    assert payload["match"]["method"] == "exact" and payload["match"]["note"] == \
        "Matched Hendon."
    missing = run_ask("Birmingham")
    assert missing.returncode == 1 and "Birmingham Edgbaston" in missing.stdout
    several = json.loads(run_ask("--json", "Birmingham").stdout)
    assert several["match"]["method"] == "town" and "verdict" not in several
    assert "Birmingham Edgbaston" in [s["name"] for s in several["match"]["seats"]]
    old = json.loads(run_ask("--json", "Batley and Spen").stdout)
    assert old["match"]["method"] == "old-seat"
    assert [s["name"] for s in old["match"]["alternatives"]] == ["Dewsbury and Batley"]
    bad = run_ask("--opponent", "XYZ", "Hendon")
    assert bad.returncode == 2 and "Unknown party" in bad.stderr


async def test_ask_by_postcode_through_fake_postcodes_io(settings, fake_postcodes):
    import asyncio
    env = {**os.environ, "HOWTOVOTE_DB_DIR": str(settings.db_dir),
           "POSTCODES_API_URL": fake_postcodes.url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "bot.py", "ask", "cf10 1aa", cwd=PROJECT_ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "Matched CF10 1AA to Cardiff South and Penarth." in out.decode()
