"""Neighbourhoods people name where they live: ward names as a place index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import db as dbmod
from bot.elections.importers import wards
from bot.elections.importers.errors import ImportFailed
from bot.places.resolve import Resolver


@pytest.mark.full_data
def test_a_neighbourhood_finds_its_seat(resolver: Resolver):
    for typed, seat in [("Didsbury", "Manchester Withington"), ("didsbury", "Manchester "
                        "Withington"), ("Jesmond", "Newcastle upon Tyne North")]:
        result = resolver.resolve_name(typed)
        assert (result.method, result.seat.name) == ("ward", seat), typed
        assert "ward" in result.note


@pytest.mark.full_data
def test_a_ward_split_between_seats_is_a_choice_largest_first(resolver: Resolver):
    for typed in ("Kings Heath", "King's Heath"):
        result = resolver.resolve_name(typed)
        assert result.seat is None and result.method == "ward"
        assert [s.name for s in result.seats] == ["Birmingham Hall Green and Moseley",
                                                  "Birmingham Selly Oak"]
        assert "Birmingham Hall Green and Moseley 61%" in result.note


def hand_made_resolver() -> Resolver:
    from bot.models import SeatRef
    seats = [SeatRef("E1", "Alpha North", "England"), SeatRef("E2", "Beta", "England")]
    return Resolver(seats, [], [], wards=[
        ("Old Town", "E1", 300), ("Old Town", "E2", 100), ("Riverside East", "E2", 50),
        ("Riverside West", "E2", 70), ("Hollins Brook", "E1", 40),
        *((f"Park {i}", "E1", 10) for i in range(10))])


def test_ward_rules_on_a_hand_made_index():
    r = hand_made_resolver()
    riverside = r.resolve_name("riverside")
    assert riverside.seat.name == "Beta" and "wards “Riverside East”, “Riverside West”" in \
        riverside.note
    split = r.resolve_name("Old Town")
    assert [s.name for s in split.seats] == ["Alpha North", "Beta"]
    assert "Alpha North 75%, Beta 25%" in split.note
    assert r.resolve_name("Park").method != "ward"  # in ten wards: not a place
    assert r.resolve_name("Hollins").note == (
        "Matched “Hollins” to the ward “Hollins Brook” in Alpha North.")
    assert r.resolve_name("Alpha North").method == "exact"  # seat names come first


def test_a_ward_file_naming_an_unknown_seat_fails_the_import(built_db_dir, tmp_path: Path):
    shutil.copy(built_db_dir / "elections.db", tmp_path / "e.db")
    db = dbmod.open_elections(tmp_path / "e.db", writable=True)
    bad = tmp_path / "wards.csv"
    bad.write_text("wardId,ward,constituency1,#postcodes1,constituency2,#postcodes2,"
                   "constituency3,#postcodes3,constituency4,#postcodes4\n"
                   "E05000001,Nowhere,Atlantis,10,,,,,,\n")
    with pytest.raises(ImportFailed, match="Atlantis"):
        wards.load(db, bad, min_wards=1)


@pytest.mark.parametrize(("typed", "seat"), [
    ("City of London", "Cities of London and Westminster"),
    ("Westminster", "Cities of London and Westminster"),
    ("Helsby", "Runcorn and Helsby"), ("Penarth", "Cardiff South and Penarth"),
    ("Amersham", "Chesham and Amersham"), ("Minehead", "Tiverton and Minehead"),
    ("Whitby", "Scarborough and Whitby"), ("Dewsbury", "Dewsbury and Batley")])
def test_short_forms_people_type(resolver: Resolver, typed, seat):
    assert resolver.resolve_name(typed).seat.name == seat


def test_ward_counts_at_their_edges():
    from bot.models import SeatRef
    seats = [SeatRef("E1", "Alpha North", "England"), SeatRef("E2", "Beta", "England")]
    six = Resolver(seats, [], [], wards=[(f"Mill {i}", "E1", 10) for i in range(6)])
    assert six.resolve_name("Mill").method == "ward"  # six wards: still a place
    seven = Resolver(seats, [], [], wards=[(f"Mill {i}", "E1", 10) for i in range(7)])
    assert seven.resolve_name("Mill").method != "ward"
    four = Resolver(seats, [], [], wards=[(f"Mill {i}", "E1", 10) for i in range(4)])
    assert "and others" in four.resolve_name("Mill").note
    three = Resolver(seats, [], [], wards=[(f"Mill {i}", "E1", 10) for i in range(3)])
    single = three.resolve_name("Mill")
    assert "and others" not in single.note and single.score == 90.0
    split = hand_made_resolver().resolve_name("Old Town")
    assert split.score == 85.0


def test_ward_shares_add_up_by_seat_and_list_four():
    from bot.models import SeatRef
    seats = [SeatRef(f"E{i}", f"Seat {i}", "England") for i in range(6)]
    same_name = Resolver(seats, [], [], wards=[("Abbey", "E1", 10), ("Abbey", "E1", 30),
                                               ("Abbey", "E2", 40)])
    assert "Seat 1 50%, Seat 2 50%" in same_name.resolve_name("Abbey").note
    small = Resolver(seats, [], [], wards=[("Aspen Vale", "E1", 1), ("Aspen Park", "E2", 3)])
    assert "Seat 2 75%, Seat 1 25%" in small.resolve_name("Aspen").note
    wide = Resolver(seats, [], [], wards=[("Wide", f"E{i}", 10 - i) for i in range(6)])
    note = wide.resolve_name("Wide").note
    assert "Seat 3" in note and "Seat 4" not in note
    four = Resolver(seats, [], [], wards=[(f"Mill {i}", "E1", 10) for i in range(4)])
    assert "“Mill 3”" not in four.resolve_name("Mill").note
