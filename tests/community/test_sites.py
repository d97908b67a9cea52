"""Other tactical-voting sites beside ours: import in each CSV shape, show, hide, score."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.community import sites
from bot.service import HowToVote

HEADER_SHAPES = {
    "codes": "code,call\nE14001196,Labour\nE14001279,Lab\nE14001159,Lib Dems\nE14001249,heart\n",
    "names": "Constituency,Party\nDewsbury and Batley,labour\nHendon,Labour Party\n"
             "Chelmsford,Liberal Democrats\nGodalming and Ash,\n",
    "custom": "Seat Name,Our Pick,Notes\nDewsbury and Batley,LAB,x\nHendon,Lab,\n"
              "Chelmsford,LD,\nGodalming and Ash,any,\n",
}


@pytest.fixture
async def service(settings):
    s = await HowToVote(settings).start(offline=True)
    yield s
    await s.close()


@pytest.mark.parametrize("shape", list(HEADER_SHAPES))
async def test_every_supported_shape_loads_the_same_calls(service, tmp_path: Path, shape, guilds):
    path = tmp_path / f"{shape}.csv"
    path.write_text(HEADER_SHAPES[shape])
    columns = {"code_column": "Seat Name", "call_column": "Our Pick"} if shape == "custom" \
        else {}
    site = await service.import_site("Site A", path, **columns)
    assert (site.seats, site.calls) == (4, 3)
    assert sites.all_calls(guilds).get("E14001159") == [("Site A", "LD")]
    # "heart", blank, "any": no call
    assert sites.all_calls(guilds).get("E14001249") == [("Site A", None)]


async def test_the_answer_shows_other_sites_and_a_server_can_hide_them(service, tmp_path):
    (tmp_path / "a.csv").write_text("code,call\nE14001159,LD\nE14001279,Lab\n")
    (tmp_path / "b.csv").write_text("code,call\nE14001159,Lab\nE14001279,Lab\n")
    await service.import_site("Alpha", tmp_path / "a.csv")
    await service.import_site("Beta", tmp_path / "b.csv")
    names = {code: p.name for code, p in service.data.parties.items()}

    def verdict(answer, called: set[str]) -> str:  # what the line says of ours
        ours = answer.advice.recommended_party
        if ours is None:
            return ""
        return " (all agree with ours)" if called == {ours} else \
            f" (not all agree: ours says {names[ours]})"
    hendon = await service.answer_seat("E14001279")
    assert ("Other sites: Alpha: Labour · Beta: Labour" + verdict(hendon, {"Lab"})
            ) in hendon.text
    chelmsford = await service.answer_seat("E14001159")
    field = {f.name: f.value for f in chelmsford.embed.fields}["Other sites"]
    assert field == ("Alpha: Liberal Democrat · Beta: Labour"
                     + verdict(chelmsford, {"LD", "Lab"}))
    await service.set_setting(77, "sites", "off", 1)
    assert "Other sites" not in (await service.answer_seat("E14001159", 77)).text


@pytest.mark.parametrize(("body", "message"), [
    ("code,call\nE14001159,Pirates\n", "line 2: 'Pirates' is not a party"),
    ("code,call\nE14001159,LD\nE99999999,LD\n", "line 3: 'E99999999' is not a seat"),
    ("seat,whatever\nHendon,LD\n", "no call column"),
    ("", "no code column"),
])
async def test_a_malformed_file_is_refused_and_nothing_changes(service, tmp_path, body,
                                                               message, guilds):
    good = tmp_path / "good.csv"
    good.write_text("code,call\nE14001159,LD\n")
    await service.import_site("Site A", good)
    bad = tmp_path / "bad.csv"
    bad.write_text(body)
    with pytest.raises(sites.SiteError, match=message):
        await service.import_site("Site A", bad)
    assert sites.all_calls(guilds).get("E14001159") == [("Site A", "LD")]


def test_sites_cli_import_list_remove_and_score(settings, howtovote, tmp_path: Path):
    def run(settings, *args: str):
        return howtovote(*args, env={"HOWTOVOTE_DB_DIR": str(settings.db_dir)})

    calls = tmp_path / "site-2024.csv"
    # Godalming: LD came top of the bloc, Con top two (right); Hendon: Lab came top and Con
    # second, the site said Green (wrong); Dewsbury: Con fourth (not counted)
    calls.write_text("code,call\nE14001249,LD\nE14001279,Green\nE14001196,Lab\n")
    loaded = run(settings, "sites", "import", "Example", str(calls), "--election", "2024")
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded Example (2024): 3 calls in 3 seats" in loaded.stdout
    scored = run(settings, "backtest", "--election", "2024", "--model", "last-result",
                 "--site", "Example")
    assert scored.returncode == 0, scored.stderr
    row = next(line for line in scored.stdout.splitlines() if "site:Example" in line)
    calls_, best, _seats, right, wrong, net = row.split()[2:]
    assert (calls_, best, right, wrong, net) == ("3", "66.7%", "1", "1", "-2")
    refused = run(settings, "sites", "import", "Example", str(tmp_path / "missing.csv"))
    assert refused.returncode == 2 and "cannot read" in refused.stderr
    gone = run(settings, "sites", "remove", "Example")
    assert gone.returncode == 0 and "Removed Example: 3 seats" in gone.stdout
