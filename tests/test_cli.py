"""The command line as an operator meets it: `main(argv)` in this process, its exit code,
and what it prints. Every refusal is one line on stderr, never a traceback, and changes
nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from bot.cli import Exit, main
from bot.config import PROJECT_ROOT
from bot.store import sqlite as sqlite_store

LATIN1 = "code,call\nE14001159,Lib Démocrats\n".encode("latin-1")


@pytest.fixture
def cli(settings, monkeypatch, capsys):
    """Run `howtovote ARGS...` here; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("HOWTOVOTE_DB_DIR", str(settings.db_dir))
    monkeypatch.delenv("HOWTOVOTE_DATABASE_URL", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return code, out, err
    return run


def refused(result: tuple[int, str, str], says: str) -> None:
    code, _out, err = result
    assert code == Exit.REFUSED, err
    lines = [line for line in err.splitlines() if not line.startswith("howtovote: no election")]
    assert len(lines) == 1 and says in lines[0], err


def test_the_readme_lists_every_exit_code():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("Every command exits"):]
    listed = [int(n) for n in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)]
    assert listed == [int(e) for e in Exit]


def test_exit_codes_as_they_happen(cli, settings, tmp_path, monkeypatch):
    assert cli("ask", "Batley")[0] == Exit.OK
    code, out, _err = cli("ask", "Birmingham")
    assert code == Exit.NO_SINGLE_SEAT and "Birmingham" in out
    refused(cli("ask", "Batley", "--opponent", "Pirates"), "Unknown party 'Pirates'")
    monkeypatch.setenv("HOWTOVOTE_DB_DIR", str(tmp_path / "empty"))
    code, _out, err = cli("data", "import", "--from", str(tmp_path / "nowhere"))
    assert code == Exit.ELECTION_DATA and "not found" in err
    # codes 3 and 5 (Discord refusing or unreachable) are made to happen in
    # tests/cogs/test_discord.py and tests/test_one_truth.py, by running the bot


def test_polls_import_refuses_a_missing_a_non_utf8_and_a_doubled_file(cli, tmp_path):
    refused(cli("polls", "import", str(tmp_path / "missing.csv")), "cannot read")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,pollster,area,party,share,source\n2026-01-05,Ipsos,GB,Lab,30,"
                      "Ipsos Mori: Santé\n".encode("latin-1"))
    refused(cli("polls", "import", str(latin)), "is not UTF-8 text")
    doubled = tmp_path / "doubled.csv"
    doubled.write_text("date,pollster,area,party,share,source\n"
                       "2026-01-05,Ipsos,GB,Lab,30,x\n2026-01-05,Ipsos,GB,Lab,20,x\n"
                       "2026-01-05,Ipsos,GB,Con,20,x\n")
    refused(cli("polls", "import", str(doubled)), "Lab is listed twice")


def test_sites_import_refuses_bad_files_and_replaces_only_when_asked(cli, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(LATIN1)
    refused(cli("sites", "import", "Site_dup", str(latin)), "latin.csv is not UTF-8 text")
    twice = tmp_path / "twice.csv"
    twice.write_text("code,call\nE14001159,LD\nE14001279,Lab\nE14001159,Lab\n")
    refused(cli("sites", "import", "Site_dup", str(twice)),
            "line 4: 'E14001159' is a second row for a seat")
    first = tmp_path / "first.csv"
    first.write_text("code,call\nE14001159,LD\n")
    code, out, _ = cli("sites", "import", "Site_dup", str(first))
    assert code == Exit.OK and "Loaded Site_dup (next): 1 call in 1 seat" in out
    second = tmp_path / "second.csv"
    second.write_text("code,call\nE14001159,Lab\nE14001279,Lab\n")
    refused(cli("sites", "import", "site_dup", str(second)),
            "Site_dup's calls for next are already loaded (1 call in 1 seat")
    code, out, _ = cli("sites", "list")
    assert "Site_dup\tnext\t1 call in 1 seat" in out  # unchanged, and never escaped
    code, out, _ = cli("sites", "import", "Site_dup", str(second), "--replace")
    assert code == Exit.OK
    assert "Replaced Site_dup (next: 1 call in 1 seat, loaded " in out
    assert "Loaded Site_dup (next): 2 calls in 2 seats" in out
    code, out, _ = cli("ask", "Chelmsford")
    assert "Other sites: Site_dup: Labour" in out and "\\_" not in out


def test_projections_import_refuses_fractions_and_replaces_only_when_asked(cli, tmp_path):
    fractions = tmp_path / "proj_fractions.csv"
    fractions.write_text("code,con,lab,ld\nE14001279,0.30,0.12,0.40\n")
    refused(cli("projections", "import", "MRP", str(fractions)),
            "proj_fractions.csv: every share is 1 or less (the largest is 0.4)")
    good = tmp_path / "good.csv"
    good.write_text("code,con,lab,ld\nE14001279,30,12,40\n")
    assert cli("projections", "import", "MRP", str(good), "--date", "2026-11-02")[0] == 0
    refused(cli("projections", "import", "MRP", str(good)),
            "a projection called 'MRP' is already loaded (1 seat, published 2026-11-02)")
    code, out, _ = cli("projections", "import", "MRP", str(good), "--replace")
    assert code == Exit.OK and "Replaced MRP of 2026-11-02 (1 seat)" in out
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"code,con,lab\nE14001279,30,\xe912\n")
    refused(cli("projections", "import", "Other", str(latin)), "is not UTF-8 text")


def test_a_guilds_db_missing_part_of_its_schema_is_refused_naming_it(cli, settings):
    path = settings.db_dir / "guilds.db"
    sqlite_store.open_guilds(path).execute("drop table seat_updates")
    code, _out, err = cli("ask", "Batley")
    assert code == Exit.GUILD_DATA
    assert "guilds.db is damaged: it lacks table seat_updates" in err
    db = sqlite3.connect(path)
    assert db.execute("select count(*) from sqlite_master where name = 'seat_updates'"
                      ).fetchone() == (0,)  # left as it was: never repaired behind a back


def test_postgresql_out_of_reach_is_code_4(cli, monkeypatch):
    monkeypatch.setenv("HOWTOVOTE_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    code, _out, err = cli("ask", "Batley")
    assert code == Exit.GUILD_DATA and "cannot connect to PostgreSQL" in err


def test_a_projection_leaving_a_party_out_does_not_count_it_at_zero(cli, tmp_path):
    """Chelmsford is a Liberal Democrat seat: a file with figures only for Con and Lab
    says nothing of the Liberal Democrats, so they keep their own standing."""
    _code, before, _ = cli("ask", "Chelmsford", "--json")
    partial = tmp_path / "partial.csv"
    partial.write_text("code,con,lab\nE14001159,35,25\n")
    assert cli("projections", "import", "Partial", str(partial))[0] == Exit.OK
    _code, after, _ = cli("ask", "Chelmsford", "--json")
    chances = [json.loads(out)["forecast"] for out in (before, after)]
    assert [c["ranked"][0] for c in chances] == ["LD", "LD"], chances
    # Labour at 25% moves Labour's chance; the Liberal Democrats keep their lead
    assert chances[1]["probabilities"]["LD"] > 0.5


@pytest.mark.parametrize("name", ["Site A", "sites-2024"])
def test_names_in_refusals_are_shown_as_typed(cli, tmp_path, name):
    missing = tmp_path / "no_such_file.csv"
    refused(cli("sites", "import", name, str(missing)), f"cannot read {missing}")
    assert Path(missing).exists() is False


def test_ask_against_the_right(cli):
    code, out, _err = cli("ask", "Clacton", "--opponent", "right")
    assert code == Exit.OK
    assert "the strongest challenger to the right (Conservative, Reform UK, Restore " \
        "Britain)" in out.replace("\n", " ") or "beat Reform UK" in out
    refused(cli("ask", "Clacton", "--opponent", "right", "--bloc", "Lab RUK"),
            "RUK cannot be both the party to beat")
