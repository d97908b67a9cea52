"""Resolving what voters type into 2024 seats, against the real 650 seats."""

from __future__ import annotations

import aiohttp
import pytest

from bot.models import SeatRef
from bot.places.postcodes import PostcodeLookup, normalise_outcode, normalise_postcode
from bot.places.resolve import Resolver
from bot.store import sqlite as sqlite_store


@pytest.mark.parametrize("typed, seat", [
    ("Dewsbry and Batly", "Dewsbury and Batley"),
    ("chippenam", "Chippenham"),
    ("Islington Nrth", "Islington North"),
    ("Sheffeld Hallam", "Sheffield Hallam"),
    ("Cambrige", "Cambridge"),
    ("Brecon Radnor Cwm Tawe", "Brecon, Radnor and Cwm Tawe"),
    ("Richmond Prk", "Richmond Park"),
    ("Hartlepol", "Hartlepool"),
    ("Wimbeldon", "Wimbledon"),
    ("Clackton", "Clacton"),
    ("Huddersfeild", "Huddersfield"),
    ("Scarbrough and Whitby", "Scarborough and Whitby"),
    ("Glasgow Sout", "Glasgow South"),
    ("Edinburgh Sth", "Edinburgh South"),
    ("Orkney & Shetlands", "Orkney and Shetland"),
    ("Bassetlow", "Bassetlaw"),
    ("Runcorn Helsby", "Runcorn and Helsby"),
    ("Tiverton and Minehed", "Tiverton and Minehead"),
    ("Maidstone and Malling", "Maidstone and Malling"),
    ("Penrith and the Solway", "Penrith and Solway"),
    ("Belfst East", "Belfast East"),
    ("Chesham and Amershem", "Chesham and Amersham"),
    ("Stratford on Avon", "Stratford-on-Avon"),
    ("Na h-Eileanan an Iarr", "Na h-Eileanan an Iar"),
])
def test_misspellings_find_the_seat(resolver: Resolver, typed: str, seat: str):
    result = resolver.resolve_name(typed)
    assert result.seat is not None, result.note
    assert result.seat.name == seat
    assert result.method in {"fuzzy", "exact", "town"}


@pytest.mark.full_data
def test_every_current_seat_name_resolves_exactly_to_itself(resolver: Resolver, elections):
    names = [n for (n,) in elections.conn.execute(
        "select name from seats where boundaries = '2024'")]
    assert len(names) == 650
    for name in names:
        for typed in (name, name.upper(), f"  {name.lower()}  "):
            result = resolver.resolve_name(typed)
            assert result.method == "exact" and result.seat and result.seat.name == name, typed


@pytest.mark.full_data
def test_every_2010_seat_resolves_to_a_successor_it_overlaps(resolver: Resolver, elections):
    rows = elections.conn.execute("""select old.name, group_concat(new.code) from overlaps o
        join seats old on old.id = o.old_seat_id join seats new on new.id = o.new_seat_id
        group by old.id""").fetchall()
    assert len(rows) == 650
    for old_name, codes in rows:
        result = resolver.resolve_name(old_name)
        assert result.seat is not None and result.seat.code in codes.split(","), old_name


def test_old_seat_is_redrawn_with_population_shares(resolver: Resolver):
    result = resolver.resolve_name("Batley and Spen")
    assert result.method == "old-seat"
    assert result.seat.name == "Spen Valley"
    assert [s.name for s in result.alternatives] == ["Dewsbury and Batley"]
    assert "Spen Valley 65%, Dewsbury and Batley 35%" in result.note
    brecon = resolver.resolve_name("Brecon and Radnorshire")
    assert brecon.seat.code == "W07000085" and "redrawn" in brecon.note


def test_town_inside_seat_name_ranks_that_seat_first(resolver: Resolver):
    result = resolver.resolve_name("Batley")
    assert result.method == "town" and result.seat.name == "Dewsbury and Batley"
    assert "Spen Valley" in [s.name for s in result.alternatives]
    many = resolver.resolve_name("Birmingham")
    assert many.seat is None and len(many.seats) == 9
    assert all(s.name.startswith("Birmingham") for s in many.seats)


@pytest.mark.parametrize("typed, seat, method", [
    ("brecon radnor & cwm tawe", "Brecon, Radnor and Cwm Tawe", "exact"),
    ("Ynys Mon", "Ynys Môn", "exact"),
    ("Saint Albans", "St Albans", "exact"),
    ("ST. HELENS NORTH", "St Helens North", "exact"),
    ("montgomeryshire and glyndwr", "Montgomeryshire and Glyndŵr", "exact"),
    ("Torquay", "Torbay", "alias"),
    ("Anglesey", "Ynys Môn", "alias"),
    ("Derry", "Foyle", "alias"),
    ("Dwyrain Caerdydd", "Cardiff East", "alias"),
])
def test_exact_and_alias_rules(resolver: Resolver, typed: str, seat: str, method: str):
    result = resolver.resolve_name(typed)
    assert (result.method, result.seat.name if result.seat else None) == (method, seat)


@pytest.mark.parametrize("typed", [
    "", "   ", "x" * 5000, "🙂🙂🙂", "**bold** __under__ `code`", "@everyone", "@here <@123>",
    "'; DROP TABLE seats; --", "\x00\x1b[31m", "asdfghjkl", "12345", "?",
])
def test_nasty_input_is_a_clean_no_match(resolver: Resolver, typed: str):
    result = resolver.resolve_name(typed)
    assert result.seats == () and result.method in {"none", "invalid"}
    assert result.note


def test_suggest_for_autocomplete(resolver: Resolver):
    names = [s.name for s in resolver.suggest("brad")]
    assert names[0].startswith("Bradford") and len(names) <= 25
    assert resolver.suggest("dewsbry")[0].name == "Dewsbury and Batley"
    assert len(resolver.suggest("")) == 25


@pytest.mark.parametrize("typed, expected", [
    ("wf131ab", "WF13 1AB"), (" WF13 1AB ", "WF13 1AB"), ("sw1a 1aa", "SW1A 1AA"),
    ("GIR 0AA", "GIR 0AA"), ("ec1a1bb", "EC1A 1BB"),
    ("WF13", None), ("QQ1 1AA", None), ("WF13 1AC", None), ("BFPO 123", None), ("", None),
])
def test_postcode_format(typed, expected):
    assert normalise_postcode(typed) == expected


def test_outcode_format():
    assert normalise_outcode("wf13") == "WF13" and normalise_outcode("SW1A") == "SW1A"
    assert normalise_outcode("WF13 1AB") is None and normalise_outcode("batley") is None


async def _resolver_with(resolver: Resolver, url: str, session, cache=None, timeout=3.0,
                         offline=None):
    lookup = PostcodeLookup(url, session, cache, offline, timeout=timeout)
    return Resolver(list(resolver.by_code.values()), [], [], lookup), lookup


async def test_postcode_via_postcodes_io_then_cache(resolver, fake_postcodes, tmp_path):
    cache = sqlite_store.open_guilds(tmp_path / "guilds.db")
    async with aiohttp.ClientSession() as session:
        r, _ = await _resolver_with(resolver, fake_postcodes.url, session, cache)
        result = await r.resolve("cf101aa")
        assert result.method == "postcode" and result.seat.name == "Cardiff South and Penarth"
        assert result.note == "Matched CF10 1AA to Cardiff South and Penarth."
        before = fake_postcodes.requests
        fake_postcodes.mode = "500"  # the cache answers without asking again
        again = await r.resolve("CF10 1AA")
        assert again.seat.name == "Cardiff South and Penarth"
        assert fake_postcodes.requests == before
    row = cache.execute("select seat_code, status from postcode_cache").fetchone()
    assert row == ("W07000091", "live")


@pytest.mark.full_data
async def test_every_seats_sample_postcode_resolves_in_bulk(resolver, fake_postcodes):
    async with aiohttp.ClientSession() as session:
        lookup = PostcodeLookup(fake_postcodes.url, session)
        answers = await lookup.lookup_many(
            f"{pc[:-3]} {pc[-3:]}" for pc in fake_postcodes.postcodes)
    assert len(answers) == 650
    assert {a.seat_code for a in answers.values()} == set(resolver.by_code)
    assert fake_postcodes.requests == 7  # 650 postcodes in bulk requests of 100


@pytest.mark.parametrize("mode, typed, method, words", [
    ("ok", "SW1A 2AB", "none", "retired in March 2019"),
    ("ok", "ZE9 9ZZ", "none", "does not exist"),
    ("ok", "WF13 1AC", "invalid", "not a valid UK postcode"),
    ("500", "CF10 1AA", "error", "answered 500"),
    ("garbage", "CF10 1AA", "error", "unexpected reply"),
    ("hang", "CF10 1AA", "error", "timed out"),
])
async def test_postcode_failures_are_friendly(resolver, fake_postcodes, mode, typed, method,
                                              words):
    fake_postcodes.mode = mode
    async with aiohttp.ClientSession() as session:
        r, _ = await _resolver_with(resolver, fake_postcodes.url, session, timeout=0.3)
        result = await r.resolve(typed)
    assert result.method == method and result.seats == ()
    assert words in result.note
    if method == "error":
        assert "seat or town name" in result.note


async def test_outcode_spanning_seats_is_a_choice(resolver, fake_postcodes):
    async with aiohttp.ClientSession() as session:
        r, _ = await _resolver_with(resolver, fake_postcodes.url, session)
        result = await r.resolve("wf13")
    assert result.method == "outcode" and result.seat is None
    assert [s.name for s in result.seats] == ["Dewsbury and Batley", "Spen Valley"]


async def test_postcodes_io_down_still_answers_names(resolver, fake_postcodes):
    fake_postcodes.mode = "500"
    async with aiohttp.ClientSession() as session:
        r, _ = await _resolver_with(resolver, fake_postcodes.url, session)
        assert (await r.resolve("Chippenham")).seat.name == "Chippenham"


ONSPD = """pcd7,pcds,dointr,doterm,pcon,lat,long
WF131AB,WF13 1AB,198001,,E14001196,53.69,-1.63
WF131AD,WF13 1AD,198001,201903,E14001196,53.69,-1.63
WF136XX,WF13 6XX,198001,,E14001506,53.7,-1.68
AB101PE,AB10 1PE,198001,,S14000060,57.1,-2.1
AB115QN,AB11 5QN,198001,,S14000058,57.1,-2.1
not a postcode,??,,,E14000001,,
"""
MYSOCIETY = """postcode,gss_code
CF10 1AA,W07000091
CF10 2EY,W07000089
"""


@pytest.mark.parametrize("content, rows, postcode, seat", [
    (ONSPD, 5, "wf131ab", "Dewsbury and Batley"),
    (ONSPD, 5, "AB11 5QN", "West Aberdeenshire and Kincardine"),  # old code S14000058
    (MYSOCIETY, 2, "cf101aa", "Cardiff South and Penarth"),
])
async def test_offline_postcode_table(resolver, tmp_path, content, rows, postcode, seat):
    from bot.places.postcodes import import_postcodes
    src = tmp_path / "pcs.csv"
    src.write_text(content, encoding="utf-8")
    target = tmp_path / "postcodes.db"
    assert import_postcodes(src, target, progress=False) == rows  # the bad row is skipped
    r, _ = await _resolver_with(resolver, "http://127.0.0.1:9", None, offline=target)
    result = await r.resolve(postcode)
    assert result.method == "postcode" and result.seat.name == seat


async def test_offline_terminated_and_outcode(resolver, tmp_path):
    from bot.places.postcodes import import_postcodes
    src = tmp_path / "pcs.csv"
    src.write_text(ONSPD, encoding="utf-8")
    import_postcodes(src, tmp_path / "postcodes.db", progress=False)
    r, _ = await _resolver_with(resolver, "http://127.0.0.1:9", None,
                                offline=tmp_path / "postcodes.db")
    retired = await r.resolve("WF13 1AD")
    assert "retired in March 2019" in retired.note and retired.seats == ()
    district = await r.resolve("WF13")
    assert {s.name for s in district.seats} == {"Dewsbury and Batley", "Spen Valley"}


def test_import_the_real_onspd_extract(data_dir, tmp_path, resolver):
    import sqlite3
    done = import_postcodes_cli(data_dir / "onspd-extract-aberdeen-AB1-postcodes.io-seed.csv",
                                tmp_path)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(tmp_path / "postcodes.db")
    live = dict(conn.execute("select terminated = '', count(*) from postcodes group by 1"))
    assert live[1] == 4237 and sum(live.values()) == 8048
    codes = {c for (c,) in conn.execute("select distinct seat_code from postcodes "
                                        "where terminated = '' and outcode like 'AB1%'")}
    assert codes <= {"S14000060", "S14000061", "S14000111"}


def test_import_postcodes_rejects_a_file_without_the_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,age\nx,1\n", encoding="utf-8")
    done = import_postcodes_cli(bad, tmp_path)
    assert done.returncode == 2 and "expected a postcode column" in done.stderr


def import_postcodes_cli(path, db_dir):
    import os
    import subprocess
    import sys

    from bot.config import PROJECT_ROOT
    return subprocess.run([sys.executable, "bot.py", "data", "import-postcodes", str(path)],
                          cwd=PROJECT_ROOT, env={**os.environ, "HOWTOVOTE_DB_DIR": str(db_dir)},
                          capture_output=True, text=True, timeout=120)


def test_scores_say_how_sure_each_rule_is(resolver: Resolver):
    assert resolver.resolve_name("Hendon").score == 100.0
    assert resolver.resolve_name("Torquay").score == 100.0  # alias
    assert resolver.resolve_name("Batley and Spen").score == 100.0  # old seat
    assert resolver.resolve_name("Batley").score == 95.0  # one town
    assert resolver.resolve_name("Birmingham").score == 90.0  # several towns


def test_a_query_of_exactly_the_limit_is_read(resolver: Resolver):
    from bot.textnorm import MAX_QUERY
    at = resolver.resolve_name("x" * MAX_QUERY)
    over = resolver.resolve_name("x" * (MAX_QUERY + 1))
    assert "too long" not in at.note and "too long" in over.note


def test_old_seat_successors_keep_small_shares_but_not_slivers(resolver: Resolver):
    # Devizes sent 0.7% of its people to Chippenham: a successor; Birmingham, Hall Green
    # sent 0.3% to Birmingham Yardley: a sliver of a street or two, not offered
    devizes = resolver.resolve_name("Devizes")
    assert devizes.method == "old-seat"
    assert "Chippenham" in [s.name for s in (*devizes.seats, *devizes.alternatives)]
    hall_green = resolver.resolve_name("Birmingham, Hall Green")
    assert hall_green.method == "old-seat"
    assert "Birmingham Yardley" not in [s.name for s in (*hall_green.seats,
                                                         *hall_green.alternatives)]


def test_a_close_fuzzy_race_is_offered_not_picked(resolver: Resolver):
    result = resolver.resolve_name("Birmingham Hall Gren")
    assert result.score >= 80 and result.seat is None  # high score, but no clear lead
    assert result.alternatives[0].name == "Birmingham Hall Green and Moseley"


async def test_postcode_districts_failing_or_unknown(resolver: Resolver, fake_postcodes):
    async with aiohttp.ClientSession() as session:
        r, _ = await _resolver_with(resolver, fake_postcodes.url, session)
        two = await r.resolve("WF13")
        assert two.method == "outcode" and len(two.seats) == 2
        unknown = await r.resolve("WF99")
        assert unknown.method == "none" and "could not find the seats for WF99" in unknown.note
        fake_postcodes.mode = "500"
        broken = await r.resolve("LS12")
        assert broken.method == "error" and "not working right now" in broken.note


def test_notes_and_alternatives_say_exactly_what_a_voter_reads(resolver: Resolver):
    invalid = resolver.resolve_name("zz999zz")
    assert invalid.note == ("ZZ99 9ZZ is not a valid UK postcode. Check it, or type your "
                            "seat or town name instead.")
    batley = resolver.resolve_name("Batley")
    assert [s.name for s in batley.alternatives] == ["Spen Valley"]  # no repeat of the seat
    race = resolver.resolve_name("Birmingham Hall Gren")
    assert len(race.alternatives) == 5
    sure = resolver.resolve_name("Sheffeld Hallam")
    assert sure.note == "Closest match to “Sheffeld Hallam”: Sheffield Hallam."


def test_an_old_seat_note_lists_at_most_four_successors():
    from bot.places.resolve import OldSeat
    seats = [SeatRef(f"E{i}", f"Seat {i}", "England") for i in range(6)]
    old = OldSeat("Old Place", tuple((s, 0.3 - i * 0.05) for i, s in enumerate(seats)))
    result = Resolver(seats, [], [old]).resolve_name("Old Place")
    assert "Seat 3 15%" in result.note and "Seat 4" not in result.note
    assert [s.name for s in result.alternatives] == [f"Seat {i}" for i in range(1, 6)]


async def test_postcode_district_notes(resolver: Resolver, fake_postcodes):
    async with aiohttp.ClientSession() as session:
        r, _ = await _resolver_with(resolver, fake_postcodes.url, session)
        two = await r.resolve("cf10")
    assert two.note == "The CF10 district spans 2 seats: pick yours, or type your full postcode."
    assert [s.name for s in two.seats] == ["Cardiff East", "Cardiff South and Penarth"]
    assert two.score == 100.0


# -- the fuzzy and place rules at their edges, on hand-made seats whose scores are known --
MARSTONS = ["North", "South", "East", "West", "Central", "Moor", "Vale", "Green"]


def _marston_resolver(*parts: str) -> Resolver:
    return Resolver([SeatRef(f"E{i}", f"Marston {p}", "England")
                     for i, p in enumerate(parts)], [], [])


def test_a_clear_fuzzy_winner_lists_three_near_misses_of_75_or_more():
    # blended scores for "Marston Nrth": North 96, South 80, East/West/Moor 75 exactly,
    # Central 74.1, Green 72, Vale 68.3
    result = _marston_resolver(*MARSTONS).resolve_name("Marston Nrth")
    assert result.seat.name == "Marston North" and result.score == 96.0
    names = [s.name for s in result.alternatives]
    assert len(names) == 3 and names[0] == "Marston South"
    assert set(names[1:]) <= {"Marston East", "Marston West", "Marston Moor"}
    alone = _marston_resolver("North", "Central", "Vale").resolve_name("Marston Nrth")
    assert alone.seat.name == "Marston North" and alone.alternatives == ()  # all under 75


def test_fuzzy_scores_exactly_at_the_thresholds_count():
    clear = _marston_resolver("South").resolve_name("Marston Nrth")  # blended exactly 80
    assert clear.seat.name == "Marston South" and clear.score == 80.0
    faint = Resolver([SeatRef("E1", "Marston Trussell", "England")], [], []).resolve_name("Mars")
    assert faint.score == 65.0 and [s.name for s in faint.alternatives] == ["Marston Trussell"]


def test_a_close_fuzzy_race_offers_at_most_five():
    # "Marston Est": East and West tie at 95.7, then six more at 65 or over
    race = _marston_resolver(*MARSTONS).resolve_name("Marston Est")
    assert race.seat is None and race.method == "fuzzy" and len(race.alternatives) == 5
    assert {s.name for s in race.alternatives[:2]} == {"Marston East", "Marston West"}
    twins = _marston_resolver("East", "West").resolve_name("Marston Est")
    assert twins.seat is None and len(twins.alternatives) == 2  # the runner-up is second


def test_suggest_never_repeats_a_seat(resolver: Resolver):
    names = [s.name for s in resolver.suggest("bradford")]
    assert names[:3] == ["Bradford East", "Bradford South", "Bradford West"]
    assert len(names) == len(set(names))


def test_a_town_offers_at_most_24_seats_beside_its_own():
    from bot.places.resolve import OldSeat
    seats = [SeatRef("T", "Quarry Town", "England")] + [
        SeatRef(f"E{i}", f"Seat {i}", "England") for i in range(30)]
    old = OldSeat("Old Quarry Fields", tuple((s, 1 / 30) for s in seats[1:]))
    result = Resolver(seats, [], [old]).resolve_name("Quarry")
    assert result.method == "town" and result.seat.name == "Quarry Town"
    assert [s.name for s in result.alternatives] == [f"Seat {i}" for i in range(24)]


async def test_a_postcode_is_matched_by_seat_name_when_the_code_is_unknown(fake_postcodes):
    seat = SeatRef("X1", "Cardiff South and Penarth", "Wales")
    async with aiohttp.ClientSession() as session:
        r = Resolver([seat], [], [], PostcodeLookup(fake_postcodes.url, session))
        result = await r.resolve("CF10 1AA")  # postcodes.io says W07000091: not ours
    assert (result.method, result.seats, result.score) == ("postcode", (seat,), 100.0)


async def test_a_district_naming_an_unknown_seat_lists_only_the_known(fake_postcodes):
    seat = SeatRef("X1", "Dewsbury and Batley", "England")
    async with aiohttp.ClientSession() as session:
        r = Resolver([seat], [], [], PostcodeLookup(fake_postcodes.url, session))
        result = await r.resolve("WF13")  # postcodes.io: Dewsbury and Batley, Spen Valley
    assert (result.method, result.seats) == ("outcode", (seat,))
    assert result.note == "WF13 is in Dewsbury and Batley."


@pytest.mark.parametrize("query", ["London", "london", "Scotland", "North West",
                                   "Yorkshire and the Humber"])
def test_a_region_or_nation_asks_where_in_it_rather_than_guessing_a_seat(resolver, query):
    found = resolver.resolve_name(query)
    assert found.seats == () and found.method == "area", found
    assert "seats, so I need to know where in" in found.note and "postcode" in found.note


@pytest.mark.full_data
def test_a_name_two_places_share_offers_each(resolver):
    found = resolver.resolve_name("Soho")
    assert [s.name for s in found.seats] == [
        "Cities of London and Westminster", "Birmingham Ladywood", "Smethwick"]
    assert found.seat is None and "More than one place is called “Soho”" in found.note
    assert resolver.resolve_name("Mayfair").seat.name == "Cities of London and Westminster"
    assert resolver.resolve_name("Croydon").seat is None  # four seats: a choice, as before
