"""Council elections by ward -> local strength per seat: hand-made files of each shape,
multi-member wards, wards split between seats, the four-year window, 2010 seats through
the overlaps, and files that are not what they claim."""

from __future__ import annotations

import pytest
import sqlite_utils

from bot import db as dbmod
from bot.elections.importers import local_elections
from bot.elections.importers.errors import ImportFailed
from bot.elections.importers.local_elections import LocalFile


@pytest.fixture
def db(tmp_path):
    db = sqlite_utils.Database(tmp_path / "e.db")
    dbmod.create_elections_schema(db)
    db["seats"].insert_all([
        {"id": 1, "code": "E14000001", "name": "Old Seat", "boundaries": "2010",
         "nation": "England", "region": "X"},
        {"id": 2, "code": "E14001001", "name": "North", "boundaries": "2024",
         "nation": "England", "region": "X"},
        {"id": 3, "code": "E14001002", "name": "South", "boundaries": "2024",
         "nation": "England", "region": "X"}])
    db["overlaps"].insert_all([  # both new seats drawn wholly from the old one
        {"old_seat_id": 1, "new_seat_id": 2, "old_population_share": 0.5,
         "new_population_share": 1.0},
        {"old_seat_id": 1, "new_seat_id": 3, "old_population_share": 0.5,
         "new_population_share": 1.0}])
    db["wards"].insert_all([
        {"ward": "Abbey", "ward_code": "E05000001", "seat_code": "E14001001", "postcodes": 100},
        {"ward": "Bridge", "ward_code": "E05000002", "seat_code": "E14001001", "postcodes": 50},
        {"ward": "Bridge", "ward_code": "E05000002", "seat_code": "E14001002", "postcodes": 50},
        {"ward": "Castle", "ward_code": "E05000003", "seat_code": "E14001002", "postcodes": 100},
        {"ward": "Dock", "ward_code": "E05000004", "seat_code": "E14001002", "postcodes": 100}])
    return db


def leap(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("".join(",".join(f'"{c}"' for c in row) + "\n" for row in rows))
    return path


def shares(db, election, seat):
    return {r["party"]: round(r["share"], 4) for r in db["local_strength"].rows_where(
        "election_id = ? and seat_code = ?", [election, seat])}


def test_each_shape_each_ward_once_multi_member_by_best_candidate(db, tmp_path):
    old = leap(tmp_path, "leap-2018.csv", [
        # Abbey, two seats: each party's best candidate counts, once
        ("Town", "E07000001", "Abbey", "E05000001", "A", "C", "600", "1"),
        ("Town", "E07000001", "Abbey", "E05000001", "B", "C", "500", "1"),
        ("Town", "E07000001", "Abbey", "E05000001", "D", "LD", "400", "0"),
        ("Town", "E07000001", "Abbey", "E05000001", "E", "LD", "300", "0"),
        # an old ward code, matched by its unique name in the 2023 lookup
        ("Town", "E07000001", "Castle", "E05999999", "F", "Lab", "300", "1"),
        ("Town", "E07000001", "Castle", "E05999999", "G", "Grn", "100", "0"),
        # a county division: another tier, left out
        ("County", "E10000001", "Abbey Division", "E58000001", "H", "UKIP", "900", "1"),
    ])
    newer = tmp_path / "2023.csv"  # by name, party columns summed over the vacancies
    newer.write_text("COUNTYNAME,DISTRICTNAME,WARDNAME,VACS,TYPE,ELECT,TURNOUT,CON,LAB,LD,"
                     "GREEN,REF,Grand Total\n"
                     ",Town,Abbey,2,SD,5000,30,400,200,1400,,0,2000\n")
    matched = local_elections.load(db, [LocalFile("2018-05-03", "leap", old),
                                        LocalFile("2023-05-04", "wards-2023", newer)])
    assert matched == {"2018-05-03": 1.0, "2023-05-04": 1.0}
    # 2019 (2010 seats): Abbey's 2018 contest (Con 600, LD 400) and Castle's (Lab 300,
    # Green 100), both new seats drawn from the old one
    assert shares(db, "ge2019", "E14000001") == {
        p: round(v / 1400, 4) for p, v in {"Con": 600, "LD": 400, "Lab": 300,
                                           "Green": 100}.items()}
    # 2024: Abbey's latest is 2023 (LD 700, Con 200, Lab 100 per seat)
    assert shares(db, "ge2024", "E14001001") == {"Con": 0.2, "Lab": 0.1, "LD": 0.7}
    north = next(db["local_strength"].rows_where("election_id = 'ge2024' and "
                                                 "seat_code = 'E14001001'"))
    assert north["coverage"] == pytest.approx(100 / 150) and north["years"] == "2023"
    south = next(db["local_strength"].rows_where("election_id = 'ge2019' and "
                                                 "seat_code = 'E14000001'"))
    assert south["years"] == "2018"


def test_contests_outside_four_years_before_polling_day_are_not_used(db, tmp_path):
    old = leap(tmp_path, "leap.csv", [("T", "E0", "Dock", "E05000004", "A", "Lab", "10", "1")])
    local_elections.load(db, [LocalFile("2016-05-05", "leap", old)])
    assert shares(db, "ge2017", "E14000001") == {"Lab": 1.0}
    assert shares(db, "ge2024", "E14001002") == {}  # eight years before 2024: too old


def test_a_spreadsheet_divides_by_vacancies_and_skips_county_divisions(db, tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Wards results"
    sheet.append(["Local election results by ward 2024"])
    sheet.append(["Local authority name", "Local authority code", "Ward code", "Ward name",
                  "Vacancies", "Type", "Electorate", "Total votes", "Turnout (%)", "LAB",
                  "CON", "LD", "GREEN", "REF", "IND"])
    sheet.append(["Town", "E07000001", "E05000003", "Castle", 3, "SD", 1, 1, 0.3,
                  900, 600, 0, 300, 300, 900])
    sheet.append(["Town", "E07000001", "E58000009", "Division", 1, "CC", 1, 1, 0.3,
                  10, 10, 10, 10, 10, 10])
    sheet.append(["Town", "E07000001", "E05000004", "Dock", "NA", "SD", 1, 1, 0.3,
                  1, 1, 1, 1, 1, 1])
    path = tmp_path / "2024.xlsx"
    book.save(path)
    local_elections.load(db, [LocalFile("2024-05-02", "wards-xlsx", path)])
    assert shares(db, "ge2024", "E14001002") == {"Lab": 0.3, "Con": 0.2, "Green": 0.1,
                                                 "RUK": 0.1, "Other": 0.3}


@pytest.mark.parametrize(("kind", "body", "message"), [
    ("leap", '"a","b"\n', "not the local results file expected"),
    ("wards-2023", "WARD,VACS\nx,1\n", "not the local results file expected"),
    ("wards-xlsx", "not a spreadsheet", "not the local results file expected"),
    ("leap", "", "no ward results in it"),
])
def test_a_file_of_the_wrong_shape_is_refused_and_nothing_is_stored(db, tmp_path, kind,
                                                                      body, message):
    path = tmp_path / "bad"
    path.write_text(body)
    with pytest.raises(ImportFailed, match=message):
        local_elections.load(db, [LocalFile("2019-05-02", kind, path)])
    assert "local_strength" not in db.table_names() or db["local_strength"].count == 0


@pytest.mark.full_data
async def test_the_real_files_cover_most_seats_and_answers_say_so(elections, settings):
    from bot.service import HowToVote
    counts = dict(elections.conn.execute(
        "select election_id, count(distinct seat_code) from local_strength group by 1"))
    assert counts["ge2019"] > 500 and counts["ge2024"] > 500 and counts["next"] > 400
    service = await HowToVote(settings).start(offline=True)
    try:
        answer = await service.answer("Newton Abbot")
        history = service.elections_for_seat(answer.advice.seat.code)
    finally:
        await service.close()
    said = [r for r in answer.advice.reasons if r.startswith("Council elections ")]
    assert said and "of this seat's postcodes" in said[0] and "Liberal Democrat" in said[0]
    assert said[0] in history.text
