"""Published seat projections: the reader, owners loading them for the coming election,
and the live answer resting on them (and off them again)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.community.projections import ProjectionError
from bot.elections.importers.errors import ImportFailed
from bot.elections.importers.projections import read
from bot.service import HowToVote

# The 2019 file's shape: results merged after polling day (Lab, Con, winningParty ...)
# beside YouGov's two releases (nov.*, dec.*). A forecast may read only code, nov.*, dec.*.
MRP_2019 = (
    '"code","Lab","Con","LD","winningParty","majority","name","dec.constituency",'
    '"dec.Con","dec.Lab","dec.LD","dec.Brexit","dec.Green","dec.SNP","dec.PC","dec.Other",'
    '"nov.Con","nov.Lab","nov.LD","nov.Brexit","nov.Green","nov.SNP","nov.PC","nov.Other"\n'
    '"E14000530",20.1,58.4,17.0,"Con",16698,"Aldershot","Aldershot",'
    '55,25,13,0,4,0,0,3,54,27,12,0,4,0,0,3\n'
    '"W07000049",53.8,20.6,3.4,"Lab",10490,"Aberavon","Aberavon",'
    '20,47,5,13,3,0,9,3,22,48,6,14,3,0,7,2\n'
)


def scramble(text: str, keep: set[int]) -> str:
    """Every cell outside the `keep` columns (and the header) replaced by garbage."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow([cell if i in keep else "garbage; not a number"
                         for i, cell in enumerate(row)])
    return out.getvalue()


def forecast_columns(header: list[str]) -> set[int]:
    return {i for i, h in enumerate(header)
            if h == "code" or h.startswith(("dec.", "nov."))}


def test_the_2019_reader_reads_only_code_and_the_mrp_columns():
    header = next(csv.reader(io.StringIO(MRP_2019)))
    dec = read(MRP_2019.encode(), "mrp.csv", "dec.", boundaries="2010")
    assert dec == [("E14000530", {"Con": 0.55, "Lab": 0.25, "LD": 0.13, "RUK": 0.0,
                                  "Green": 0.04, "SNP": 0.0, "PC": 0.0}),
                   ("W07000049", {"Con": 0.20, "Lab": 0.47, "LD": 0.05, "RUK": 0.13,
                                  "Green": 0.03, "SNP": 0.0, "PC": 0.09})]
    scrambled = scramble(MRP_2019, forecast_columns(header)).encode()
    assert read(scrambled, "mrp.csv", "dec.", boundaries="2010") == dec
    assert read(scrambled, "mrp.csv", "nov.", boundaries="2010") == read(
        MRP_2019.encode(), "mrp.csv", "nov.", boundaries="2010")
    # and it does read those: a change to a dec.* cell changes what it gives
    changed = MRP_2019.replace(",55,25,13,", ",45,35,13,")
    assert read(changed.encode(), "mrp.csv", "dec.", boundaries="2010") != dec


@pytest.mark.full_data
def test_the_real_2019_file_gives_the_same_mrp_with_its_results_scrambled(data_dir: Path):
    raw = (data_dir / "projections" / "ge2019" / "yougov-mrp-2019-combined.csv").read_text()
    header = next(csv.reader(io.StringIO(raw)))
    scrambled = scramble(raw, forecast_columns(header)).encode()
    for release in ("dec.", "nov."):
        real = read(raw.encode(), "combined.csv", release, boundaries="2010")
        assert len(real) == 632
        assert read(scrambled, "combined.csv", release, boundaries="2010") == real


@pytest.mark.parametrize(("text", "message"), [
    ("", "is empty"),
    ("code,con,lab\nE14001196,40,abc\n", "'lab' is 'abc', not a percentage"),
    ("code,con,lab\nE14001196,40,140\n", "140, not a percentage"),
    ("code,con,lab\nE14001196,70,60\n", "add up to 130%"),
    ("code,con,lab\nE14001196,40,30\nE14001196,41,30\n", "appears twice"),
    ("code,notes\nE14001196,hello\n", "no share columns"),
    ("seat,con,lab\nDewsbury and Batley,40,30\n", "no seat code column"),
    ("code,con,lab\nDROP TABLE seats;--,40,30\n", "not a constituency code"),
    ("code,con,lab\n", "no seat with figures"),
])
def test_a_malformed_file_is_refused_with_the_row_at_fault(text, message):
    with pytest.raises(ImportFailed, match=message):
        read(text.encode(), "bad.csv")


def test_non_utf8_and_a_huge_file_are_refused():
    with pytest.raises(ImportFailed, match="not UTF-8"):
        read(b"code,con,lab\n\xff\xfe,1,2\n", "bad.csv")
    huge = "code,con,lab\n" + "".join(f"E1400{i:04d},30,30\n" for i in range(2100))
    with pytest.raises(ImportFailed, match="more than 2000 rows"):
        read(huge.encode(), "huge.csv")


# -- owners' projections for the coming election, end to end ------------------------------
HENDON = "E14001279"  # 2024: Labour 41.7%, Conservative 41.6%, LD 4.7%


@pytest.fixture
async def service(settings):
    s = await HowToVote(settings).start(offline=True)
    yield s
    await s.close()


async def test_a_loaded_projection_changes_the_answer_and_is_removed_cleanly(service):
    before = await service.answer("Hendon")
    assert before.advice.recommended.party == "Lab"
    raw = (b"Constituency,Con,Lab,Lib Dem,Reform,Green\n"
           b"Hendon,30,12,40,12,6\n")
    loaded = await service.import_projection("Test MRP", raw, "mrp.csv", "2026-11-02", 7)
    assert (loaded.label, loaded.seats) == ("Test MRP of 2026-11-02", 1)
    after = await service.answer("Hendon")
    # one source among those published for the seat: it moves the chances its way
    assert after.advice.forecast.chance("LD") > before.advice.forecast.chance("LD")
    assert any("Test MRP of 2026-11-02" in r and r.startswith("The chances rest on")
               for r in after.advice.reasons)
    assert any(r.startswith("Seat projections here, as the forecast weighs them:")
               for r in after.advice.reasons)
    assert [p.name for p in await service.loaded_projections()] == ["Test MRP"]
    await service.remove_projection("Test MRP")
    again = await service.answer("Hendon")
    assert await service.loaded_projections() == []
    assert again.advice.recommended.party == "Lab"
    assert again.advice.reasons == before.advice.reasons
    assert again.advice.headline == before.advice.headline


async def test_a_bad_file_changes_nothing_already_loaded(service):
    good = b"code,con,lab,ld\nE14001279,30,12,40\n"
    await service.import_projection("Good", good, "good.csv", "2026-11-02", 7)
    answer = await service.answer("Hendon")
    for raw, message in [
        (b"code,con,lab,ld\nE14001279,30,12,40\nS99999999,1,1,1\n", "not a seat on the 2024"),
        (b"code,con,lab,ld\nE14001279,30,12,abc\n", "not a percentage"),
        (b"\x00\x01garbage", "share columns"),
        (b"x" * 2_000_001, "a seat table is far smaller"),
    ]:
        with pytest.raises(ProjectionError, match=message):
            await service.import_projection("Good", raw, "bad.csv", None, 7)
    for published in ("2026-02-30", "1999-01-01", "2999-01-01", "'; drop table x"):
        with pytest.raises(ProjectionError):
            await service.import_projection("Good", good, "good.csv", published, 7)
    for name in ("", "x" * 41, "@everyone <@1>", "[a](https://evil)"):
        with pytest.raises(ProjectionError, match="a projection's name"):
            await service.import_projection(name, good, "good.csv", None, 7)
    with pytest.raises(ProjectionError, match="no projection called"):
        await service.remove_projection("Not loaded")
    assert [(p.name, p.published, p.seats) for p in await service.loaded_projections()] == [
        ("Good", "2026-11-02", 1)]
    assert (await service.answer("Hendon")).advice.reasons == answer.advice.reasons


async def test_owners_load_list_and_remove_a_projection_on_discord(discord_bot, tmp_path):
    path = tmp_path / "mrp.csv"
    path.write_text("code,con,lab,ld\nE14001279,30,12,40\n")
    discord_bot.bot.owner_ids.add(discord_bot.member(0).id)
    await discord_bot.send('!projections import "Test MRP" 2026-11-02', attachments=[str(path)],
                           member=1)
    assert "only the bot's owners" in discord_bot.reply().content.lower()
    assert await discord_bot.bot.service.loaded_projections() == []
    await discord_bot.send('!projections import "Test MRP" 2026-11-02', attachments=[str(path)])
    assert discord_bot.reply().content == ("Loaded Test MRP of 2026-11-02: 1 seat. Answers "
                                           "now use it.")
    await discord_bot.send("!projections")
    assert "Test MRP of 2026-11-02: 1 seat" in discord_bot.reply().content
    await discord_bot.send("!howtovote Hendon")
    embed = discord_bot.reply().embeds[0]
    assert "Test MRP of 2026-11-02" in "".join(f.value for f in embed.fields)
    await discord_bot.send("!projections remove Test MRP")
    assert "Removed Test MRP" in discord_bot.reply().content
    path.write_text("code,con,lab\nE14001279,30,abc\n")
    await discord_bot.send('!projections import "Broken"', attachments=[str(path)])
    assert "not a percentage" in discord_bot.reply().content
    assert await discord_bot.bot.service.loaded_projections() == []



# -- against Reform UK: a model of its own --------------------------------------------------
async def test_an_anti_reform_server_gets_the_forecast_against_reform(service):
    before = await service.answer("Hendon", guild_id=5)
    await service.set_setting(5, "opponent", "RUK", 7)
    answer = await service.answer("Hendon", guild_id=5)
    assert "Reform UK" in answer.advice.headline
    assert answer.advice.forecast is not None and before.advice.forecast is not None
    # Conservative is one of the parties it may name against Reform, never Reform itself
    assert "Con" in answer.advice.forecast.probabilities
    assert "RUK" not in answer.advice.forecast.probabilities
    assert "Con" not in before.advice.forecast.probabilities
    assert any(r.startswith("The chances rest on") for r in answer.advice.reasons)


@pytest.mark.slow
@pytest.mark.full_data
def test_backtest_scores_the_model_against_reform_in_2024(settings):
    from tests.elections.test_import import run_cli
    out = run_cli("backtest", "--opponent", "RUK", "--election", "2024", "--model",
                  "vote-share", env={"HOWTOVOTE_DB_DIR": str(settings.db_dir)})
    assert out.returncode == 0, out.stderr
    row = next(line.split() for line in out.stdout.splitlines()
               if line.startswith("2019n->2024  vote-share "))
    calls, seats, right, wrong, net = int(row[2]), int(row[4]), int(row[5]), int(row[6]), \
        float(row[7])
    assert seats > 90 and right + wrong <= seats and net == right - 3 * wrong
    assert right >= 90 and wrong <= 5  # Reform finished top two in about 100 seats
    assert "published:yougov" in out.stdout and calls > 450
