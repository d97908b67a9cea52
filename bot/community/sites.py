"""Other tactical-voting sites' calls, loaded by the bot's owner from a site's published
per-seat CSV, shown beside ours and scored by the same backtest. We ship none of their
data: an owner runs `python bot.py sites import NAME FILE`.

A CSV names each seat by GSS code or by name, and the party called (a code such as LD,
or a name such as "Liberal Democrats"); "heart", "any", "not sure" and blank mean no call.
A file with an unknown seat or party is refused whole, naming the line; nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import UserFacingError
from bot.owner_files import csv_rows
from bot.store.base import Store
from bot.textnorm import count, label, match_key, visible

NO_CALL = {"", "heart", "any", "not sure", "unsure", "none", "n/a", "-", "vote with your heart",
           "too close", "too close to call", "tbc"}
CODE_COLUMNS = ("code", "gss", "gss_code", "ons_id", "pcon24cd", "pcon25cd",
                "constituency_code", "seat_code", "pcon11cd")
NAME_COLUMNS = ("constituency", "constituency_name", "seat", "seat_name", "name")
CALL_COLUMNS = ("call", "recommendation", "recommended", "advice", "tactical_vote", "vote",
                "party")
PARTY_WORDS = {  # the ways sites write parties, beyond our codes and names
    "labour": "Lab", "lab": "Lab", "labour party": "Lab", "labour and co-operative": "Lab",
    "lib dem": "LD", "lib dems": "LD", "libdem": "LD", "libdems": "LD",
    "liberal democrat": "LD", "liberal democrats": "LD", "ld": "LD",
    "green": "Green", "greens": "Green", "green party": "Green",
    "scottish green": "SGP", "scottish greens": "SGP",
    "snp": "SNP", "scottish national party": "SNP", "plaid": "PC", "plaid cymru": "PC",
    "pc": "PC", "independent": "Ind", "ind": "Ind", "conservative": "Con", "con": "Con",
    "reform": "RUK", "reform uk": "RUK", "sdlp": "SDLP", "alliance": "APNI",
}
MAX_ROWS = 5000
NAME_LIMIT = 40
ELECTIONS = {"next": "2024", "2024": "2024", "2019": "2010"}  # election -> boundaries


class SiteError(UserFacingError):
    """A site file or name we cannot take; nothing was changed."""


@dataclass(frozen=True)
class Site:
    name: str
    election: str
    seats: int
    calls: int
    loaded_at: str
    replaced: Site | None = None  # what a `--replace` import took the place of


def parse(path: Path, seats: Mapping[str, str], parties: Mapping[str, str], *,
          code_column: str | None = None, call_column: str | None = None
          ) -> dict[str, str | None]:
    """seat code -> the party called (None: no call). `seats`: code -> name on the right
    boundaries; `parties`: code -> name."""
    by_name = {match_key(name): code for code, name in seats.items()}
    words = {**PARTY_WORDS, **{match_key(n): c for c, n in parties.items()},
             **{c.casefold(): c for c in parties}}
    reader = csv_rows(path, SiteError)
    columns = {c.strip().casefold(): c for c in reader.fieldnames or [] if c}
    seat_col, by_code = _seat_column(columns, code_column)
    call_col = _column(columns, call_column, CALL_COLUMNS, "call")
    out: dict[str, str | None] = {}
    for line, row in enumerate(reader, start=2):
        if line > MAX_ROWS:
            raise SiteError(f"{path.name}: more than {MAX_ROWS} rows; one per seat")
        raw = visible(row.get(seat_col) or "")
        code = raw.upper() if by_code else by_name.get(match_key(raw))
        if code not in seats:
            raise SiteError(f"{path.name} line {line}: {raw[:60]!r} is not a seat on "
                            "these boundaries")
        if code in out:
            raise SiteError(f"{path.name} line {line}: {raw[:60]!r} is a second row for "
                            "a seat already in the file; one row per seat")
        call = visible(row.get(call_col) or "")
        if call.casefold() in NO_CALL:
            out[code] = None
            continue
        party = words.get(match_key(call)) or words.get(call.casefold())
        if party is None:
            raise SiteError(f"{path.name} line {line}: {call[:40]!r} is not a party we "
                            "know (use a code such as Lab, LD, Green, or 'any')")
        out[code] = party
    if not out:
        raise SiteError(f"{path.name}: no seats in it")
    return out


def _column(columns: Mapping[str, str], chosen: str | None, known: tuple[str, ...],
            what: str) -> str:
    if chosen is not None:
        if chosen.strip().casefold() not in columns:
            raise SiteError(f"there is no column {chosen[:40]!r} (columns: "
                            f"{', '.join(list(columns.values())[:12])})")
        return columns[chosen.strip().casefold()]
    found = next((columns[c] for c in known if c in columns), None)
    if found is None:
        raise SiteError(f"no {what} column found (looked for {', '.join(known[:6])}); name "
                        f"it with --{what}-column")
    return found


def _seat_column(columns: Mapping[str, str], chosen: str | None) -> tuple[str, bool]:
    """The column naming the seat, and whether it holds GSS codes (else names)."""
    if chosen is not None:
        col = _column(columns, chosen, CODE_COLUMNS, "code")
        return col, chosen.strip().casefold() in CODE_COLUMNS
    if code := next((columns[c] for c in CODE_COLUMNS if c in columns), None):
        return code, True
    return _column(columns, None, NAME_COLUMNS, "code"), False


def check_name(name: str) -> str:
    found = label(name, NAME_LIMIT)
    if found is None:
        raise SiteError(f"a site's name is 1 to {NAME_LIMIT} letters, digits, spaces or -_.'")
    return found


def store(db: Store, name: str, election: str, calls: Mapping[str, str | None],
          *, replace: bool = False) -> Site:
    """Load a site's calls for an election, or (`replace`) in place of those loaded under
    that name, in one transaction."""
    name = check_name(name)
    if election not in ELECTIONS:
        raise SiteError(f"election must be one of {', '.join(ELECTIONS)}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with db.transaction() as conn:
        before = next((s for s in sites(db) if s.election == election
                       and s.name.casefold() == name.casefold()), None)
        if before is not None and not replace:
            raise SiteError(f"{before.name}'s calls for {election} are already loaded "
                            f"({count(before.calls, 'call')} in {count(before.seats, 'seat')}, "
                            "loaded "
                            f"{before.loaded_at[:10]}): import with --replace to replace them")
        conn.execute("delete from site_calls where site = ? and election = ?",
                     (before.name if before else name, election))
        conn.executemany("insert into site_calls (site, election, seat_code, party, loaded_at) "
                         "values (?, ?, ?, ?, ?)",
                         [(name, election, code, party, now) for code, party in calls.items()])
    return Site(name, election, len(calls), sum(1 for p in calls.values() if p), now, before)


def sites(db: Store) -> list[Site]:
    return [Site(*row) for row in db.execute(
        "select site, election, count(*), count(party), max(loaded_at) from site_calls "
        "group by site, election order by site, election")]


def remove(db: Store, name: str) -> int:
    with db.transaction() as conn:
        gone = conn.execute("delete from site_calls where site = ?", (name,)).rowcount
    if not gone:
        raise SiteError(f"no site called {name[:NAME_LIMIT]!r} is loaded")
    return gone


def all_calls(db: Store, election: str = "next"
              ) -> dict[str, list[tuple[str, str | None]]]:
    """seat code -> [(site, party or None)], in site order."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    for site, code, party in db.execute(
            "select site, seat_code, party from site_calls where election = ? "
            "order by site", (election,)):
        out.setdefault(code, []).append((site, party))
    return out


def election_calls(db: Store, name: str, election: str
                   ) -> dict[str, str | None]:
    rows = db.execute("select seat_code, party from site_calls where site = ? and "
                           "election = ?", (name, election)).fetchall()
    if not rows:
        raise SiteError(f"no calls from {name[:NAME_LIMIT]!r} for {election} are loaded")
    return dict(rows)
