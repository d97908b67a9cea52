"""One source of truth, and failures said clearly: national polls as answers use them,
contradicting seat updates refused, broken databases and an unreachable Discord, places
by their Welsh and London names."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.community.updates import UpdateError
from bot.service import HowToVote
from tests.elections.test_import import run_cli

POLLS_CSV = """date,pollster,area,party,share,source
2026-11-20,YouGov,GB,Lab,20,https://example.org/poll
2026-11-20,YouGov,GB,Con,18,https://example.org/poll
2026-11-20,YouGov,GB,RUK,28,https://example.org/poll
2026-11-20,YouGov,GB,LD,14,https://example.org/poll
2026-11-20,YouGov,GB,Green,12,https://example.org/poll
"""


@pytest.fixture
def cli_env(settings) -> dict:
    return {"HOWTOVOTE_DB_DIR": str(settings.db_dir)}


def test_polls_show_what_answers_use_and_import_twice_keeps_one(cli_env, howtovote, tmp_path):
    shown = howtovote("polls", "show", env=cli_env)
    assert shown.returncode == 0, shown.stderr
    # the newest average of the polls in the file: the forecast always rests on it
    used = re.search(r"GB polls of (\d{4}-\d\d-\d\d), the latest poll of each of \d+ "
                     r"pollsters", shown.stdout)
    assert used and used[1] >= "2026-04-07", shown.stdout
    assert "No national polls yet" not in shown.stdout and "not used" not in shown.stdout
    polls = tmp_path / "polls.csv"
    polls.write_text(POLLS_CSV)
    first = howtovote("polls", "import", str(polls), env=cli_env)
    assert "Imported 1 new national poll" in first.stdout
    assert "GB polls of 2026-11-20, national poll #1" in first.stdout
    again = howtovote("polls", "import", str(polls), env=cli_env)
    assert "Imported 0 new national poll" in again.stdout
    assert again.stdout.count("- #") == 1  # one poll on record, not two
    asked = howtovote("ask", "Bath", env=cli_env)
    assert "GB polls of 2026-11-20" in asked.stdout
    gone = howtovote("polls", "delete", "1", env=cli_env)
    assert "Deleted national poll #1" in gone.stdout
    assert f"GB polls of {used[1]}, the latest poll of each" in gone.stdout
    assert f"GB polls of {used[1]}" in howtovote("ask", "Bath", env=cli_env).stdout


async def test_discord_polls_show_the_same_text(discord_bot):
    discord_bot.bot.owner_ids.add(discord_bot.member(0).id)
    await discord_bot.send("!polls")
    text = discord_bot.reply().content
    assert "Answers and projections use:" in text and "GB polls of 2026-" in text
    await discord_bot.send('!polls set Lab=15 Con=18 RUK=30 LD=12 Green=20 '
                           'source="a test poll" date=2026-11-20')
    discord_bot.reply()
    await discord_bot.send("!polls")
    assert "national poll #1, set or imported by an owner" in discord_bot.reply().content


@pytest.fixture
async def service(settings):
    s = await HowToVote(settings).start(offline=True)
    yield s
    await s.close()


def spen(service) -> str:
    return next(c for c, r in service.data.current.items() if r.seat.name == "Spen Valley")


async def post(service, code, kind, party=None, **payload):
    return await service.post_update(1, code, kind, party, payload, 7, "mod")


async def test_contradicting_updates_are_refused_and_nothing_is_written(service):
    code = spen(service)
    await post(service, code, "withdraw", "Lab")
    with pytest.raises(UpdateError, match="already withdrawn"):
        await post(service, code, "withdraw", "Lab")
    with pytest.raises(UpdateError, match="has withdrawn here"):
        await post(service, code, "pact", "Lab", standing_aside=["Green"])
    with pytest.raises(UpdateError, match="party this server wants to beat"):
        await post(service, code, "pact", "LD", standing_aside=["Con"])
    with pytest.raises(UpdateError, match="party this server wants to beat"):
        await post(service, code, "pact", "Con", standing_aside=["LD"])
    assert [u.kind for u in await service.updates_for(1, code)] == ["withdraw"]
    # declaring a new candidate puts the party back; then a pact may back it
    await post(service, code, "candidate", "Lab", name="Jane Newperson")
    change = await post(service, code, "pact", "Lab", standing_aside=["Green"])
    assert "better placed than the pact's candidate" not in " ".join(change.after.advice.reasons)
    with pytest.raises(UpdateError, match="agreed candidate of the pact"):
        await post(service, code, "withdraw", "Lab")


@pytest.mark.slow
@pytest.mark.full_data
def test_a_broken_elections_db_is_rebuilt_not_a_traceback(data_dir, tmp_path, built_db_dir):
    """Each damage is found unusable (an empty file, garbage, a file cut short); one of
    them is rebuilt end to end (each rebuild is a whole import)."""
    from bot.elections.dataset import unreadable
    damaged = tmp_path / "elections.db"
    for damage in (b"", b"garbage" * 100, (built_db_dir / "elections.db").read_bytes()[:8192]):
        damaged.write_bytes(damage)
        assert unreadable(damaged) is not None, damage[:20]
    done = run_cli("ask", "Batley", env={"HOWTOVOTE_DB_DIR": str(tmp_path),
                                         "HOWTOVOTE_DATA": str(data_dir)})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "being rebuilt" in done.stderr
    assert done.stdout.startswith("Dewsbury and Batley")
    assert unreadable(damaged) is None


def test_a_broken_elections_db_without_sources_says_how_to_rebuild(tmp_path):
    (tmp_path / "elections.db").write_bytes(b"garbage" * 100)
    done = run_cli("ask", "Batley", env={"HOWTOVOTE_DB_DIR": str(tmp_path),
                                         "HOWTOVOTE_DATA": str(tmp_path / "nowhere")})
    assert done.returncode == 6 and "Traceback" not in done.stderr  # Exit.ELECTION_DATA
    assert "unusable" in done.stderr and "HOWTOVOTE_DATA" in done.stderr


def test_a_garbage_guilds_db_is_refused_before_connecting(settings, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(settings.db_dir / "elections.db", folder / "elections.db")
    (folder / "guilds.db").write_bytes(b"not a database at all" * 50)
    done = run_cli(env={"HOWTOVOTE_DB_DIR": str(folder), "DISCORD_TOKEN": "a.b.c"})
    assert done.returncode == 4 and "guilds.db cannot be used" in done.stderr
    assert "logging in" not in done.stderr  # refused before Discord was contacted
    assert (folder / "guilds.db").read_bytes() == b"not a database at all" * 50


def test_discord_unreachable_is_one_clear_line(settings):
    done = run_cli(env={"HOWTOVOTE_DB_DIR": str(settings.db_dir), "DISCORD_TOKEN": "a.b.c",
                        "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy":
                        "http://127.0.0.1:9"})
    assert done.returncode == 5, done.stderr
    assert "cannot reach Discord" in done.stderr and "Traceback" not in done.stderr


def test_ask_refuses_an_opponent_inside_the_bloc(cli_env, howtovote):
    done = howtovote("ask", "Bath", "--opponent", "LD", "--bloc", "LD Lab", env=cli_env)
    assert done.returncode == 2 and "cannot be both the party to beat" in done.stderr
    fine = howtovote("ask", "Bath", "--opponent", "LD", env=cli_env)
    assert fine.returncode == 0 and "Vote Liberal Democrat" not in fine.stdout
    assert "Conservative" in fine.stdout.split("\n")[3] and "-0.0" not in fine.stdout


@pytest.mark.full_data
@pytest.mark.parametrize(("query", "seat", "said"), [
    ("Wrecsam", "Wrexham", "Welsh for Wrexham"),
    ("Y Drenewydd", "Montgomeryshire and Glyndŵr", "Welsh for Newtown"),
    ("Mayfair", "Cities of London and Westminster", "in Cities of London and Westminster"),
    ("Clacton-on-Sea", "Clacton", "Read “Clacton-on-Sea” as Clacton"),
])
def test_welsh_and_london_names_and_long_town_names(resolver, query, seat, said):
    r = resolver.resolve_name(query)
    assert r.seat is not None and r.seat.name == seat and said in r.note


@pytest.mark.parametrize("query", ["and", "the", "of", "North", "and the"])
def test_bare_stopwords_find_nothing_and_say_why(resolver, query):
    r = resolver.resolve_name(query)
    assert r.seats == () and "too common a word" in r.note


@pytest.mark.full_data
def test_every_place_name_reaches_a_seat(resolver, elections):
    names = [n for (n,) in elections.conn.execute("select name from place_names")]
    assert len(names) >= 40
    for name in names:
        r = resolver.resolve_name(name)
        assert r.method == "place-name" and r.seats, name


def test_a_place_name_pointing_nowhere_is_refused_at_import(tmp_path):
    import sqlite_utils

    from bot import db as dbmod
    from bot.elections.importers import place_names
    from bot.elections.importers.errors import ImportFailed
    db = sqlite_utils.Database(tmp_path / "e.db")
    dbmod.create_elections_schema(db)
    db["seats"].insert({"id": 1, "code": "W1", "name": "Wrexham", "nation": "Wales",
                        "region": "Wales", "boundaries": "2024"})
    bad = tmp_path / "places.csv"
    bad.write_text("name,means,kind,source\nAtlantis,Lost City,town,a source\n")
    with pytest.raises(ImportFailed, match="in no seat, ward or place name"):
        place_names.load(db, bad)
    loop = tmp_path / "loop.csv"
    loop.write_text("name,means,kind,source\nA,B,town,s\nB,A,town,s\n")
    with pytest.raises(ImportFailed):
        place_names.load(db, loop)
    good = tmp_path / "good.csv"
    good.write_text("name,means,kind,source\nWrecsam,Wrexham,welsh-name,a source\n")
    place_names.load(db, good)
    assert db["place_names"].count == 1


@pytest.mark.full_data
def test_ask_json_margins_are_the_named_parties(cli_env, howtovote):
    import json
    done = howtovote("ask", "Bangor Aberconwy", "--json", env=cli_env)
    advice = json.loads(done.stdout)
    rec, opp, nxt = advice["recommended"], advice["opponent"], advice["next_bloc"]
    assert rec["party"] == "PC" and nxt["party"] == "Lab"
    assert advice["margin_to_opponent"] == pytest.approx(rec["share"] - opp["share"])
    assert advice["margin_to_next_bloc"] == pytest.approx(rec["share"] - nxt["share"])
    mayfair = howtovote("ask", "Mayfair", env=cli_env)
    assert mayfair.stdout.startswith("Cities of London and Westminster")
