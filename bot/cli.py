"""howtovote: tactical-voting advice for UK voters, on Discord and in the terminal.

\b
    python bot.py                 run the Discord bot (needs DISCORD_TOKEN)
                                  (installed: `howtovote` stands for `python bot.py`)
    python bot.py data import     build data/elections.db from the public sources
    python bot.py data status     what is loaded, from where, and row counts
    python bot.py ask "Batley"    answer in the terminal, as the bot would on Discord
    python bot.py elections Brecon   every election on a seat since 2010
    python bot.py backtest        how right the advice would have been in 2019 and 2024
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import sys
from collections.abc import Awaitable, Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.elections.importers.errors import ImportFailed
from bot.elections.sources import SourceError
from bot.errors import UserFacingError
from bot.places.postcodes import PostcodeImportError
from bot.store.postgres_data import PostgresError
from bot.store.sqlite import StorageError

if TYPE_CHECKING:
    from bot.service import HowToVote

T = TypeVar("T")

NO_TOKEN = """\
howtovote needs a Discord bot token to run on Discord.

  1. Create an application at https://discord.com/developers/applications
  2. Under "Bot", reset the token and copy it; turn on "Message Content Intent".
  3. Put it in a .env file beside bot.py:   DISCORD_TOKEN=your-token
     (copy .env.example to .env for every setting), then run: python bot.py

Without Discord, ask in the terminal:  python bot.py ask "Batley"
"""


class Exit(IntEnum):
    """Every exit code `howtovote` gives (the README's table lists the same)."""

    OK = 0
    NO_SINGLE_SEAT = 1  # ask/elections: no one seat matched (the choices are printed);
    #                     health: not healthy
    REFUSED = 2  # a bad command line, setting, value or file: refused, nothing changed
    DISCORD_REFUSED = 3  # Discord refused the token or the message-content intent
    GUILD_DATA = 4  # guilds.db damaged, or PostgreSQL out of reach
    DISCORD_UNREACHABLE = 5  # Discord could not be reached
    ELECTION_DATA = 6  # the election data could not be downloaded, verified or built
    INTERRUPTED = 130  # Ctrl-C


def _prog() -> str:
    return "python bot.py" if Path(sys.argv[0]).name == "bot.py" else "howtovote"


class App:
    """What every command is given: the settings, read (and logging set up) when a
    command first needs them, so `--help` works whatever the settings say."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            logs.configure(self._settings.log_level, self._settings.log_format)
        return self._settings


def with_settings(command: Callable[..., Any]) -> Callable[..., Any]:
    """The command receives the settings as its first argument."""
    @click.pass_obj
    @functools.wraps(command)
    def run(app: App, *args: Any, **kwargs: Any) -> Any:
        return command(app.settings, *args, **kwargs)
    return run


def in_service(settings: Settings, work: Callable[[HowToVote], Awaitable[T]], *,
               offline: bool = True) -> T:
    """Start the service for one command (each seat's chances worked out as asked), do
    `work`, and close it whatever happens."""
    from bot.service import HowToVote

    async def go() -> T:
        service = await HowToVote(settings).start(offline=offline, warm=False)
        try:
            return await work(service)
        finally:
            await service.close()
    return asyncio.run(go())


def say(settings: Settings, work: Callable[[HowToVote], Awaitable[list[str]]]) -> int:
    """Print the lines `work` gives, in the service."""
    print("\n".join(in_service(settings, work)))
    return Exit.OK


QUERY = click.argument("query", nargs=-1, required=True)


@click.group(invoke_without_command=True, help=__doc__,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> int | None:
    if ctx.invoked_subcommand is None:
        return cmd_run(ctx.obj.settings)
    return None


@cli.command("run", help="run the Discord bot (the default)")
@with_settings
def run_command(settings: Settings) -> int:
    return cmd_run(settings)


# -- the election data and the guild store ------------------------------------------------
@cli.group(help="import or inspect the election data")
def data() -> None:
    pass


@data.command("import", help="(re)build data/elections.db")
@click.option("--from", "origin", metavar="PATH|URL",
              help="a local folder or file, or a URL (default: HOWTOVOTE_DATA, else the "
                   "public URLs)")
@click.option("--unpinned", is_flag=True,
              help="accept files whose sha256 differs from the pinned release")
@with_settings
def data_import(settings: Settings, origin: str | None, unpinned: bool) -> int:
    from bot.elections import dataset

    report = asyncio.run(dataset.import_data(settings, origin, verify=not unpinned))
    general = sum(1 for e in report.counts if e.startswith("ge"))
    print(f"Imported {general} general elections and {len(report.counts) - general} "
          f"by-elections ({sum(report.counts.values()):,} seat results) into {report.path} "
          f"in {report.seconds:.1f} s")
    return Exit.OK


@data.command("status", help="what is loaded, from where, and row counts")
@with_settings
def data_status(settings: Settings) -> int:
    from bot.elections import dataset

    print(dataset.format_status(dataset.status(settings), settings))
    return Exit.OK


@data.command("import-postcodes",
              help="load an ONSPD/NSPL or mySociety postcode CSV for offline lookups")
@click.argument("file", type=click.Path(path_type=Path))
@with_settings
def data_import_postcodes(settings: Settings, file: Path) -> int:
    from bot.places.postcodes import import_postcodes

    count = import_postcodes(file, settings.db_dir / "postcodes.db")
    print(f"Imported {count:,} postcodes into {settings.db_dir / 'postcodes.db'}")
    return Exit.OK


@data.command("backup", help="a consistent copy of guilds.db (safe while the bot runs)")
@click.argument("file", type=click.Path(path_type=Path))
@with_settings
def data_backup(settings: Settings, file: Path) -> int:
    from bot.community.store import open_guild_data, where
    from bot.store import postgres_data
    from bot.store import sqlite as sqlite_store

    if settings.database_url:
        copied = postgres_data.export_guilds_db(settings.database_url, file)
        print(f"Backed up {where(settings)} to {file} as a guilds.db file "
              f"({sum(c.rows for c in copied):,} rows, every table's checksum equal; "
              "`data migrate --to` loads it back)")
        return Exit.OK
    guilds = open_guild_data(settings)
    try:
        size = sqlite_store.backup(guilds, file)
    finally:
        guilds.close()
    print(f"Backed up {where(settings)} to {file} ({size:,} bytes)")
    return Exit.OK


@data.command("migrate", help="copy guilds.db into an empty PostgreSQL database, verified, "
                              "in one transaction")
@click.option("--to", "url", required=True, metavar="postgresql://...",
              help="the PostgreSQL database to copy into (must hold no data)")
@with_settings
def data_migrate(settings: Settings, url: str) -> int:
    from bot.store import postgres_data
    from bot.store import sqlite as sqlite_store

    if not url.startswith(("postgresql://", "postgres://")):
        print("--to takes a PostgreSQL URL: postgresql://user@host:5432/database",
              file=sys.stderr)
        return Exit.REFUSED
    guilds = sqlite_store.open_guilds(settings.guilds_db_path)
    try:
        copied = postgres_data.copy_guilds_db(guilds.connection, url)
    except postgres_data.PostgresError as exc:
        print(f"howtovote: {exc}", file=sys.stderr)
        return Exit.REFUSED
    finally:
        guilds.close()
    for item in copied:
        print(f"{item.table:<18} {item.rows:>8,} rows  sha256 {item.checksum[:16]}  equal")
    print(f"Copied {settings.guilds_db_path} into {postgres_data.safe_url(url)}: every "
          "table's rows and checksum match.")
    return Exit.OK


@data.command("cache", help="the postcode cache in guilds.db")
@click.argument("action", type=click.Choice(["clear"]))
@with_settings
def data_cache(settings: Settings, action: str) -> int:
    count = in_service(settings, lambda service: service.clear_postcode_cache())
    print(f"Cleared {count:,} cached postcode answers")
    return Exit.OK


# -- answers ----------------------------------------------------------------------------
@cli.command(help="answer a query in the terminal, as the bot would")
@QUERY
@click.option("--opponent", default="Con", help="the party to beat (default: Con), or "
              "right: whichever of Con, RUK and Restore Britain is best placed")
@click.option("--bloc", help="the parties to back, e.g. 'Lab LD Green' (default: the "
              "opponent's default bloc)")
@click.option("--json", "as_json", is_flag=True, help="print the advice as JSON")
@with_settings
def ask(settings: Settings, query: tuple[str, ...], opponent: str, bloc: str | None,
        as_json: bool) -> int:
    from bot.advice.rules import AdviceOptions
    from bot.community.settings import opponent_code

    async def answer(service: HowToVote):
        try:
            against = opponent_code(opponent, service.known_parties)
        except UserFacingError:
            raise UserFacingError(f"Unknown party {opponent!r}: use a code such as Con or "
                                  "RUK, or right.") from None
        backed = frozenset(service.party_code(p) for p in bloc.replace(",", " ").split()) \
            if bloc else None
        return await service.answer(" ".join(query),
                                    options=AdviceOptions.against(against, backed))

    found = in_service(settings, answer, offline=False)
    if as_json:
        r = found.resolution
        match = {"query": r.query, "method": r.method, "score": r.score, "note": r.note,
                 "seats": [dataclasses.asdict(s) for s in r.seats],
                 "alternatives": [dataclasses.asdict(s) for s in r.alternatives]}
        advice = dataclasses.asdict(found.advice) if found.advice else {}
        print(json.dumps({"match": match, **advice}, indent=2, default=list))
    else:
        print(found.text)
    return Exit.OK if found.advice else Exit.NO_SINGLE_SEAT


@cli.command(help="every election on a seat since 2010")
@QUERY
@with_settings
def elections(settings: Settings, query: tuple[str, ...]) -> int:
    found = in_service(settings, lambda service: service.elections(" ".join(query)),
                       offline=False)
    print(found.text)
    return Exit.OK if found.resolution.seat else Exit.NO_SINGLE_SEAT


# -- what the owners load ------------------------------------------------------------------
@cli.group(help="national polls for projections")
def polls() -> None:
    pass


async def _polls_used(service: HowToVote) -> list[str]:
    return [await service.describe_polls()]


@polls.command("import", help="load national polls from a CSV "
                              "(date,pollster,area,party,share,source)")
@click.argument("file", type=click.Path(path_type=Path))
@with_settings
def polls_import(settings: Settings, file: Path) -> int:
    from bot.community.store import where

    async def load(service: HowToVote) -> list[str]:
        count = await service.import_national_polls(file)
        return [f"Imported {count} new national poll(s) into {where(settings)}",
                *await _polls_used(service)]
    return say(settings, load)


@polls.command("show", help="the national polls answers rest on")
@with_settings
def polls_show(settings: Settings) -> int:
    return say(settings, _polls_used)


@polls.command("delete", help="retire a national poll by its number")
@click.argument("poll_id", type=int)
@with_settings
def polls_delete(settings: Settings, poll_id: int) -> int:
    async def delete(service: HowToVote) -> list[str]:
        gone = await service.delete_national_poll(poll_id, None)  # the operator's own shell
        return [f"Deleted national poll #{gone.id} ({gone.date}, {gone.area})",
                *await _polls_used(service)]
    return say(settings, delete)


@cli.group(help="other tactical-voting sites' per-seat calls, loaded by the owner, shown "
                "beside ours")
def sites() -> None:
    pass


async def _list_sites(service: HowToVote) -> list[str]:
    from bot.textnorm import count
    return [f"{s.name}\t{s.election}\t{count(s.calls, 'call')} in {count(s.seats, 'seat')}"
            f"\tseats\tloaded {s.loaded_at}" for s in await service.loaded_sites()]


@sites.command("import", help="load a site's published per-seat CSV")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--code-column", help="the column naming the seat (GSS code or name; default: "
                                    "found by its header)")
@click.option("--call-column", help="the column with the party called")
@click.option("--election", default="next", type=click.Choice(["next", "2024", "2019"]),
              help="which election the calls were for (default: the next)")
@click.option("--replace", is_flag=True,
              help="replace the calls already loaded under that name")
@with_settings
def sites_import(settings: Settings, name: str, file: Path, code_column: str | None,
                 call_column: str | None, election: str, replace: bool) -> int:
    from bot.textnorm import count

    async def load(service: HowToVote) -> list[str]:
        site = await service.import_site(name, file, election, code_column=code_column,
                                         call_column=call_column, replace=replace)
        said = []
        if old := site.replaced:
            said.append(f"Replaced {old.name} ({old.election}: {count(old.calls, 'call')} "
                        f"in {count(old.seats, 'seat')}, loaded {old.loaded_at[:10]})")
        said.append(f"Loaded {site.name} ({site.election}): {count(site.calls, 'call')} in "
                    f"{count(site.seats, 'seat')}")
        return said + await _list_sites(service)
    return say(settings, load)


@sites.command("list", help="the sites loaded")
@with_settings
def sites_list(settings: Settings) -> int:
    return say(settings, _list_sites)


@sites.command("remove", help="remove a site's calls")
@click.argument("name")
@with_settings
def sites_remove(settings: Settings, name: str) -> int:
    from bot.textnorm import count

    async def remove(service: HowToVote) -> list[str]:
        gone = await service.remove_site(name)
        return [f"Removed {name}: {count(gone, 'seat')}", *await _list_sites(service)]
    return say(settings, remove)


@cli.group(help="published seat projections for the coming election, loaded by the owner")
def projections() -> None:
    pass


async def _list_projections(service: HowToVote) -> list[str]:
    from bot.textnorm import count
    found = await service.loaded_projections()
    return [f"{p.name}\tpublished {p.published}\t{count(p.seats, 'seat')}\tloaded "
            f"{p.loaded_at}" for p in found] or [
        "No seat projections loaded: answers rest on the 2024 result and the national polls."]


@projections.command("import", help="load a per-seat projection CSV (seat code or name, a "
                                    "share per party)")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--date", "published", help="when it was published (default: today)")
@click.option("--replace", is_flag=True,
              help="replace the projection already loaded under that name")
@with_settings
def projections_import(settings: Settings, name: str, file: Path, published: str | None,
                       replace: bool) -> int:
    from bot.community.projections import ProjectionError
    from bot.textnorm import count

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ProjectionError(f"cannot read {file}: {exc.strerror or exc}") from None

    async def load(service: HowToVote) -> list[str]:
        loaded = await service.import_projection(name, raw, file.name, published, None,
                                                 replace=replace)
        said = [f"Replaced {loaded.replaced.label} ({count(loaded.replaced.seats, 'seat')})"
                ] if loaded.replaced else []
        said.append(f"Loaded {loaded.label}: {count(loaded.seats, 'seat')}. Answers now use "
                    "it.")
        return said + await _list_projections(service)
    return say(settings, load)


@projections.command("list", help="the projections loaded")
@with_settings
def projections_list(settings: Settings) -> int:
    return say(settings, _list_projections)


@projections.command("remove", help="remove a projection")
@click.argument("name")
@with_settings
def projections_remove(settings: Settings, name: str) -> int:
    from bot.textnorm import count

    async def remove(service: HowToVote) -> list[str]:
        gone = await service.remove_projection(name)
        return [f"Removed {name}: {count(gone, 'figure')}", *await _list_projections(service)]
    return say(settings, remove)


# -- operating it ------------------------------------------------------------------------
@cli.command(help="exit 0 when the data is in place and the running bot is connected to "
                  "Discord (for health checks)")
@with_settings
def health(settings: Settings) -> int:
    return cmd_health(settings)


@cli.command(help="print the speed figures (BENCHMARKS.md)")
@click.option("--queries", type=int, default=10_000)
@click.option("--postcode-rows", type=int, default=1_000_000)
@with_settings
def bench(settings: Settings, queries: int, postcode_rows: int) -> int:
    from bench.run import run
    from bot.elections.dataset import ensure_data

    asyncio.run(ensure_data(settings))
    print(run(settings, queries, postcode_rows))
    return Exit.OK


@cli.command(help="replay the advice against past elections")
@click.option("--election", type=click.Choice(["2015", "2017", "2019", "2024"]),
              help="one election (default: all four)")
@click.option("--opponent", default="Con", help="the party to beat (default: Con)")
@click.option("--model", "model_name", help="vote-share, vote-share-no-projections, "
              "last-result, uniform, proportional, mixed, transition or all (default: all; "
              "with --csv, the bot's default, vote-share)")
@click.option("--csv", type=click.Path(path_type=Path),
              help="write one row per seat to this file")
@click.option("--site", help="score an imported site's calls (sites import NAME FILE "
                             "--election YEAR) by the same measure")
@click.option("--plot", type=click.Path(path_type=Path),
              help="draw the forecast's reliability diagram to this PNG file")
@click.option("--byelections", "by_elections", is_flag=True,
              help="score the advice on every GB by-election since 2017, from what was "
                   "known the day before")
@with_settings
def backtest(settings: Settings, opponent: str, **options: Any) -> int:
    from bot.evaluation.report import report
    return report(settings, opponent_text=opponent, **options)


HEARTBEAT_STALE_SECONDS = 120  # the bot writes one every 30 s while connected


def cmd_health(settings: Settings) -> int:
    """0 when healthy; 1 with the reason on stderr when not."""
    import time

    from bot import db as dbmod

    if problem := dbmod.elections_problem(settings.elections_db_path):
        print(f"unhealthy: no usable election data at {settings.elections_db_path} "
              f"({problem})", file=sys.stderr)
        return 1
    beat = settings.db_dir / ".heartbeat"
    try:
        age = time.time() - float(beat.read_text().strip())
    except (OSError, ValueError):
        print("unhealthy: the bot is not connected to Discord (no heartbeat)", file=sys.stderr)
        return 1
    if age > HEARTBEAT_STALE_SECONDS:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", file=sys.stderr)
        return 1
    print("healthy")
    return 0


def cmd_run(settings: Settings) -> int:
    if not settings.discord_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.community.store import open_guild_data
    from bot.elections.dataset import ensure_data

    # refuse what cannot work before connecting to Discord: missing or corrupt data, a
    # guild database that cannot be opened or reached
    asyncio.run(ensure_data(settings))
    open_guild_data(settings).close()
    # the one place the core reaches up into the Discord layer: starting it
    from bot.service import HowToVote
    from cogs.utils.client import run_bot

    return run_bot(settings, HowToVote(settings))


def main(argv: list[str] | None = None) -> int:
    try:
        code = cli.main(args=argv, prog_name=_prog(), obj=App(), standalone_mode=False)
    except click.ClickException as exc:  # a bad command line: click says what and how
        exc.show()
        return Exit.REFUSED
    except ConfigError as exc:
        print(f"howtovote: bad setting: {exc}", file=sys.stderr)
        return Exit.REFUSED
    except (ImportFailed, SourceError) as exc:
        print(f"howtovote: {exc}", file=sys.stderr)  # the election data: no traceback
        return Exit.ELECTION_DATA
    except (UserFacingError, PostcodeImportError) as exc:
        print(f"howtovote: {exc}", file=sys.stderr)  # a bad input file or value
        return Exit.REFUSED
    except (StorageError, PostgresError) as exc:
        print(f"howtovote: {exc}", file=sys.stderr)
        return Exit.GUILD_DATA
    except (KeyboardInterrupt, click.Abort):
        return Exit.INTERRUPTED
    except BrokenPipeError:  # `howtovote ask X | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return Exit.OK
    return int(code or 0)
