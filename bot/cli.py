"""howtovote: tactical-voting advice for UK voters, on Discord and in the terminal.

    python bot.py                 run the Discord bot (needs DISCORD_TOKEN)
                                  (installed: `howtovote` stands for `python bot.py`)
    python bot.py data import     build data/elections.db from the public sources
    python bot.py data status     what is loaded, from where, and row counts
    python bot.py ask "Batley"    answer in the terminal, as the bot would on Discord
    python bot.py elections Brecon   every election on a seat since 2010
    python bot.py backtest        how right the advice would have been in 2019 and 2024
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from enum import IntEnum
from pathlib import Path

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.elections.importers.errors import ImportFailed
from bot.elections.sources import SourceError
from bot.errors import UserFacingError
from bot.places.postcodes import PostcodeImportError
from bot.store.postgres_data import PostgresError
from bot.store.sqlite import StorageError

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_prog(), description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the Discord bot (the default)")

    data = commands.add_parser("data", help="import or inspect the election data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    imp = data_commands.add_parser("import", help="(re)build data/elections.db")
    imp.add_argument("--from", dest="origin", metavar="PATH|URL",
                     help="a local folder or file, or a URL (default: HOWTOVOTE_DATA, "
                          "else the public URLs)")
    imp.add_argument("--unpinned", action="store_true",
                     help="accept files whose sha256 differs from the pinned release")
    data_commands.add_parser("status", help="what is loaded, from where, and row counts")
    pcs = data_commands.add_parser("import-postcodes",
                                   help="load an ONSPD/NSPL or mySociety postcode CSV for "
                                        "offline lookups")
    pcs.add_argument("file", type=Path)
    backup = data_commands.add_parser("backup", help="a consistent copy of guilds.db (safe "
                                                     "while the bot runs)")
    backup.add_argument("file", type=Path)
    move = data_commands.add_parser("migrate", help="copy guilds.db into an empty PostgreSQL "
                                                    "database, verified, in one transaction")
    move.add_argument("--to", required=True, metavar="postgresql://...",
                      help="the PostgreSQL database to copy into (must hold no data)")
    cache = data_commands.add_parser("cache", help="the postcode cache in guilds.db")
    cache.add_argument("action", choices=["clear"])

    ask = commands.add_parser("ask", help="answer a query in the terminal, as the bot would")
    ask.add_argument("query", nargs="+", help="a postcode, seat name, old seat name or town")
    ask.add_argument("--opponent", default="Con", help="the party to beat (default: Con), or "
                     "right: whichever of Con, RUK and Restore Britain is best placed")
    ask.add_argument("--bloc", help="the parties to back, e.g. 'Lab LD Green' (default: the "
                     "opponent's default bloc)")
    ask.add_argument("--json", action="store_true", help="print the advice as JSON")

    np = commands.add_parser("polls", help="national polls for projections")
    np_commands = np.add_subparsers(dest="polls_command", required=True)
    np_import = np_commands.add_parser("import", help="load national polls from a CSV "
                                                       "(date,pollster,area,party,share,source)")
    np_import.add_argument("file", type=Path)
    np_commands.add_parser("show", help="the latest national poll")
    np_delete = np_commands.add_parser("delete", help="retire a national poll by its number")
    np_delete.add_argument("poll_id", type=int)

    st = commands.add_parser("sites", help="other tactical-voting sites' per-seat calls, "
                                           "loaded by the owner, shown beside ours")
    st_commands = st.add_subparsers(dest="sites_command", required=True)
    st_import = st_commands.add_parser("import", help="load a site's published per-seat CSV")
    st_import.add_argument("name")
    st_import.add_argument("file", type=Path)
    st_import.add_argument("--code-column", help="the column naming the seat (GSS code or "
                                                 "name; default: found by its header)")
    st_import.add_argument("--call-column", help="the column with the party called")
    st_import.add_argument("--election", default="next", choices=["next", "2024", "2019"],
                           help="which election the calls were for (default: the next)")
    st_import.add_argument("--replace", action="store_true",
                           help="replace the calls already loaded under that name")
    st_commands.add_parser("list", help="the sites loaded")
    st_remove = st_commands.add_parser("remove", help="remove a site's calls")
    st_remove.add_argument("name")

    pj = commands.add_parser("projections", help="published seat projections for the "
                                                 "coming election, loaded by the owner")
    pj_commands = pj.add_subparsers(dest="projections_command", required=True)
    pj_import = pj_commands.add_parser("import", help="load a per-seat projection CSV (seat "
                                                      "code or name, a share per party)")
    pj_import.add_argument("name", help='how answers name it, e.g. "YouGov MRP"')
    pj_import.add_argument("file", type=Path)
    pj_import.add_argument("--date", help="when it was published (default: today)")
    pj_import.add_argument("--replace", action="store_true",
                           help="replace the projection already loaded under that name")
    pj_commands.add_parser("list", help="the projections loaded")
    pj_remove = pj_commands.add_parser("remove", help="remove a projection")
    pj_remove.add_argument("name")

    commands.add_parser("health", help="exit 0 when the data is in place and the running "
                                       "bot is connected to Discord (for health checks)")

    bench = commands.add_parser("bench", help="print the speed figures (BENCHMARKS.md)")
    bench.add_argument("--queries", type=int, default=10_000)
    bench.add_argument("--postcode-rows", type=int, default=1_000_000)

    el = commands.add_parser("elections", help="every election on a seat since 2010")
    el.add_argument("query", nargs="+", help="a postcode, seat name, old seat name or town")

    bt = commands.add_parser("backtest", help="replay the advice against past elections")
    bt.add_argument("--election", choices=["2015", "2017", "2019", "2024"],
                    help="one election (default: all four)")
    bt.add_argument("--opponent", default="Con", help="the party to beat (default: Con)")
    bt.add_argument("--model", help="vote-share, vote-share-no-projections, last-result, "
                                    "uniform, proportional, mixed, transition or all "
                                    "(default: all; with --csv, the bot's default, "
                                    "vote-share)")
    bt.add_argument("--csv", type=Path, help="write one row per seat to this file")
    bt.add_argument("--site", help="score an imported site's calls (sites import NAME FILE "
                                    "--election YEAR) by the same measure")
    bt.add_argument("--plot", type=Path, help="draw the forecast's reliability diagram to "
                                              "this PNG file")
    bt.add_argument("--byelections", action="store_true",
                    help="score the advice on every GB by-election since 2017, from what "
                         "was known the day before")
    return parser


def cmd_data(args: argparse.Namespace, settings: Settings) -> int:
    from bot.elections import dataset as data

    if args.data_command == "status":
        print(data.format_status(data.status(settings), settings))
        return 0
    if args.data_command in ("backup", "cache"):
        from bot.community.store import open_guild_data, where
        from bot.places.postcodes import clear_cache
        from bot.store import postgres_data
        from bot.store import sqlite as sqlite_store

        if args.data_command == "backup" and settings.database_url:
            copied = postgres_data.export_guilds_db(settings.database_url, args.file)
            print(f"Backed up {where(settings)} to {args.file} as a guilds.db file "
                  f"({sum(c.rows for c in copied):,} rows, every table's checksum equal; "
                  "`data migrate --to` loads it back)")
            return 0
        guilds = open_guild_data(settings)
        try:
            if args.data_command == "backup":
                size = sqlite_store.backup(guilds, args.file)
                print(f"Backed up {where(settings)} to {args.file} ({size:,} bytes)")
            else:
                print(f"Cleared {clear_cache(guilds):,} cached postcode answers")
        finally:
            guilds.close()
        return 0
    if args.data_command == "migrate":
        from bot.store import postgres_data
        from bot.store import sqlite as sqlite_store

        if not args.to.startswith(("postgresql://", "postgres://")):
            print("--to takes a PostgreSQL URL: postgresql://user@host:5432/database",
                  file=sys.stderr)
            return 2
        guilds = sqlite_store.open_guilds(settings.guilds_db_path)
        try:
            copied = postgres_data.copy_guilds_db(guilds.connection, args.to)
        except postgres_data.PostgresError as exc:
            print(f"howtovote: {exc}", file=sys.stderr)
            return 2
        for item in copied:
            print(f"{item.table:<18} {item.rows:>8,} rows  sha256 {item.checksum[:16]}  "
                  "equal")
        print(f"Copied {settings.guilds_db_path} into {postgres_data.safe_url(args.to)}: "
              "every table's rows and checksum match.")
        return 0
    if args.data_command == "import-postcodes":
        from bot.places.postcodes import import_postcodes

        count = import_postcodes(args.file, settings.db_dir / "postcodes.db")
        print(f"Imported {count:,} postcodes into {settings.db_dir / 'postcodes.db'}")
        return 0
    report = asyncio.run(data.import_data(settings, args.origin, verify=not args.unpinned))
    general = sum(1 for e in report.counts if e.startswith("ge"))
    print(f"Imported {general} general elections and {len(report.counts) - general} "
          f"by-elections ({sum(report.counts.values()):,} seat results) into {report.path} "
          f"in {report.seconds:.1f} s")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses
    import json

    from bot.advice.rules import AdviceOptions
    from bot.community.settings import opponent_code
    from bot.service import HowToVote

    async def go():
        service = await HowToVote(settings).start()
        try:
            try:
                opponent = opponent_code(args.opponent, set(service.data.parties))
            except UserFacingError:
                return None, (f"Unknown party {args.opponent!r}: use a code such as Con or "
                              "RUK, or right.")
            bloc = None
            if args.bloc:
                bloc = frozenset(service.party_code(p) for p in args.bloc.replace(",", " ")
                                 .split())
            return await service.answer(" ".join(args.query),
                                        options=AdviceOptions.against(opponent, bloc)), None
        except UserFacingError as exc:
            return None, str(exc)
        finally:
            await service.close()

    answer, error = asyncio.run(go())
    if error:
        print(error, file=sys.stderr)
        return 2
    if args.json:
        r = answer.resolution
        match = {"query": r.query, "method": r.method, "score": r.score, "note": r.note,
                 "seats": [dataclasses.asdict(s) for s in r.seats],
                 "alternatives": [dataclasses.asdict(s) for s in r.alternatives]}
        advice = dataclasses.asdict(answer.advice) if answer.advice else {}
        print(json.dumps({"match": match, **advice}, indent=2, default=list))
    else:
        print(answer.text)
    return Exit.OK if answer.advice else Exit.NO_SINGLE_SEAT


def cmd_polls(args: argparse.Namespace, settings: Settings) -> int:
    from bot import db as dbmod
    from bot.community.store import open_guild_data, where
    from bot.elections.dataset import ensure_data
    from bot.forecast import national_polls
    from bot.service import HowToVote

    elections = dbmod.open_elections(asyncio.run(ensure_data(settings)))
    parties = {code for (code,) in elections.conn.execute("select code from parties")}
    guilds = open_guild_data(settings)
    if args.polls_command == "import":
        count = national_polls.import_csv(guilds, args.file, parties)
        print(f"Imported {count} new national poll(s) into {where(settings)}")
    if args.polls_command == "delete":
        gone = national_polls.delete(guilds, args.poll_id)  # the operator's own shell
        print(f"Deleted national poll #{gone.id} ({gone.date}, {gone.area})")
    guilds.close()

    async def describe() -> str:
        service = await HowToVote(settings).start(offline=True)
        try:
            return service.describe_polls()
        finally:
            await service.close()

    print(asyncio.run(describe()))
    return 0


def cmd_elections(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import HowToVote

    async def go():
        service = await HowToVote(settings).start()
        try:
            return await service.elections(" ".join(args.query))
        finally:
            await service.close()

    answer = asyncio.run(go())
    print(answer.text)
    return Exit.OK if answer.resolution.seat else Exit.NO_SINGLE_SEAT


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    from bot import db as dbmod
    from bot.advice.rules import AdviceOptions
    from bot.community.settings import opponent_code
    from bot.elections.dataset import ensure_data
    from bot.elections.seats import ElectionData
    from bot.evaluation import backtest, scorecard
    from bot.forecast import share_fit
    from bot.forecast.inputs import PAIRS, ForecastData
    from bot.forecast.model import AGAINST_CON, SIDES, brier

    db = dbmod.open_elections(asyncio.run(ensure_data(settings)))
    data, fdata = ElectionData(db), ForecastData(db)
    try:
        opponent = opponent_code(args.opponent, set(data.parties))
    except UserFacingError:
        print(f"unknown party {args.opponent!r}: use a code such as Con or RUK, or right",
              file=sys.stderr)
        return 2
    options = AdviceOptions.against(opponent)
    if args.byelections:
        from bot.evaluation import byelections
        from bot.forecast import store as forecast_store
        found = byelections.calls(data, options)
        print(byelections.format_calls(found))
        scores = [byelections.score(found)]
        params = forecast_store.load(db)
        if params is not None and opponent in SIDES:
            forecast = byelections.forecast_calls(data, fdata, params, options)
            print("\nThe vote-share forecast, where there were polls in the four weeks "
                  "before:")
            print(byelections.format_calls(forecast))
            scores.append(byelections.score(forecast, backtest.VOTE_SHARE))
        print()
        print(scorecard.format_scores(scores))
        return 0
    pairs = [args.election] if args.election else list(backtest.PAIRS)
    name = args.model or (backtest.DEFAULT_MODEL if args.csv else "all")
    if name != "all" and name not in backtest.MODEL_NAMES:
        print(f"unknown model {name!r}; choose from {', '.join(backtest.MODEL_NAMES)} or all",
              file=sys.stderr)
        return 2
    if args.csv:
        if len(pairs) != 1 or name == "all":
            print("--csv needs --election YEAR and one model", file=sys.stderr)
            return 2
        if name in backtest.FITTED:
            if opponent not in SIDES:
                print(f"there is no forecast against {opponent}", file=sys.stderr)
                return 2
            rows = backtest.forecasts(fdata, pairs[0], SIDES[opponent],
                                      with_projections=name == backtest.VOTE_SHARE)
            if rows is None:
                print(f"the forecast has no earlier election to learn {pairs[0]} from",
                      file=sys.stderr)
                return 2
            scorecard.write_forecast_csv(rows, args.csv)
        else:
            rows = backtest.calls(data, pairs[0], options,
                                  backtest.model(name, data, pairs[0]), name)
            backtest.write_csv(rows, args.csv)
        print(f"Wrote {len(rows)} seats to {args.csv}")
        return 0
    if args.site and not args.election:
        print("--site needs --election 2019 or 2024 (the election its calls were for)",
              file=sys.stderr)
        return 2
    models = list(backtest.MODEL_NAMES) if name == "all" else [name]
    side = SIDES.get(opponent)
    scores = backtest.scores(data, fdata, pairs, models, options)
    if args.site:
        from bot.community import sites
        from bot.community.store import open_guild_data
        guilds = open_guild_data(settings)
        for pair in pairs:
            calls = sites.election_calls(guilds, args.site, pair)
            outcomes = {c.code: o for c, o in fdata.pair_cases(PAIRS[pair], side or AGAINST_CON)}
            scores.append(scorecard.score(pair, f"site:{args.site}"[:14], calls, outcomes))
    print(scorecard.format_scores(scores))
    bands_by_pair = {}
    if side is None:
        print(f"\nNo forecast against {opponent}: the advice rests on the last result.")
    for pair in pairs if side is not None and name in ("all", backtest.VOTE_SHARE) else []:
        found = share_fit.backtest(fdata, pair, side)
        if found is None:
            continue
        outcomes = {c.code: o for c, o in fdata.pair_cases(PAIRS[pair], side)}
        params, forecasts = found
        rule = {c.code: scorecard.certain(c.best_placed or None,
                                          list(forecasts[c.code].probabilities))
                for c in backtest.calls(data, pair, options) if c.code in forecasts}
        print(f"\nVote-share forecast (docs/preregistration.md), {pair}: Brier "
              f"{brier({k: f.probabilities for k, f in forecasts.items()}, outcomes):.3f} "
              f"(last-result rule {brier(rule, outcomes):.3f}); fitted on "
              f"{', '.join(params.fitted_on)}: uniform share of swing {params.alpha:.1f}, "
              f"projections' weight {params.lam:.1f}, errors national "
              f"{params.sigma_nat:.3f}, regional {params.sigma_reg:.3f}, seat "
              f"{params.c_share:.3f} x sqrt(p(1-p)) + {params.c_moved:.3f} x moved, "
              f"scaled by {params.kappa:.1f}")
        bands_by_pair[pair] = scorecard.calibration(scorecard.predictions(forecasts, outcomes))
        print(scorecard.format_calibration(bands_by_pair[pair]))
    if args.plot:
        scorecard.plot(bands_by_pair, args.plot)
        print(f"\nWrote the reliability diagram to {args.plot}")
    return 0


def cmd_sites(args: argparse.Namespace, settings: Settings) -> int:
    from bot.community import sites
    from bot.service import HowToVote
    from bot.textnorm import count

    async def go() -> int:
        service = await HowToVote(settings).start(offline=True)
        try:
            if args.sites_command == "import":
                site = await service.import_site(
                    args.name, args.file, args.election, code_column=args.code_column,
                    call_column=args.call_column, replace=args.replace)
                if site.replaced:
                    old = site.replaced
                    print(f"Replaced {old.name} ({old.election}: {count(old.calls, 'call')} "
                          f"in {count(old.seats, 'seat')}, loaded {old.loaded_at[:10]})")
                print(f"Loaded {site.name} ({site.election}): {count(site.calls, 'call')} in "
                      f"{count(site.seats, 'seat')}")
            elif args.sites_command == "remove":
                gone = await service.store.write(sites.remove, args.name)
                print(f"Removed {args.name}: {count(gone, 'seat')}")
            for site in sites.sites(service.guilds_db):
                print(f"{site.name}\t{site.election}\t{count(site.calls, 'call')} in "
                      f"{count(site.seats, 'seat')}\t"
                      f"seats\tloaded {site.loaded_at}")
            return 0
        finally:
            await service.close()
    return asyncio.run(go())


def cmd_projections(args: argparse.Namespace, settings: Settings) -> int:
    from bot.community.projections import ProjectionError
    from bot.service import HowToVote
    from bot.textnorm import count

    async def go() -> int:
        service = await HowToVote(settings).start(offline=True)
        try:
            if args.projections_command == "import":
                try:
                    raw = args.file.read_bytes()
                except OSError as exc:
                    raise ProjectionError(f"cannot read {args.file}: "
                                          f"{exc.strerror or exc}") from None
                loaded = await service.import_projection(args.name, raw, args.file.name,
                                                         args.date, None,
                                                         replace=args.replace)
                if loaded.replaced:
                    print(f"Replaced {loaded.replaced.label} "
                          f"({count(loaded.replaced.seats, 'seat')})")
                print(f"Loaded {loaded.label}: {count(loaded.seats, 'seat')}. Answers now use "
                      "it.")
            elif args.projections_command == "remove":
                gone = await service.remove_projection(args.name)
                print(f"Removed {args.name}: {count(gone, 'figure')}")
            found = service.loaded_projections()
            for item in found:
                print(f"{item.name}\tpublished {item.published}\t{count(item.seats, 'seat')}\t"
                      f"loaded {item.loaded_at}")
            if not found:
                print("No seat projections loaded: answers rest on the 2024 result and the "
                      "national polls.")
            return 0
        finally:
            await service.close()
    return asyncio.run(go())


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
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"howtovote: bad setting: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    try:
        if args.command == "data":
            return cmd_data(args, settings)
        if args.command == "ask":
            return cmd_ask(args, settings)
        if args.command == "bench":
            from bench.run import run
            from bot.elections.dataset import ensure_data

            asyncio.run(ensure_data(settings))
            print(run(settings, args.queries, args.postcode_rows))
            return 0
        if args.command == "polls":
            return cmd_polls(args, settings)
        if args.command == "health":
            return cmd_health(settings)
        if args.command == "sites":
            return cmd_sites(args, settings)
        if args.command == "projections":
            return cmd_projections(args, settings)
        if args.command == "elections":
            return cmd_elections(args, settings)
        if args.command == "backtest":
            return cmd_backtest(args, settings)
        return cmd_run(settings)
    except (ImportFailed, SourceError) as exc:
        print(f"howtovote: {exc}", file=sys.stderr)  # the election data: no traceback
        return Exit.ELECTION_DATA
    except (UserFacingError, PostcodeImportError) as exc:
        print(f"howtovote: {exc}", file=sys.stderr)  # a bad input file or value
        return Exit.REFUSED
    except (StorageError, PostgresError) as exc:
        print(f"howtovote: {exc}", file=sys.stderr)
        return Exit.GUILD_DATA
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except BrokenPipeError:  # `howtovote ask X | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0
