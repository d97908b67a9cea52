"""A seat's story: every contest on it and on the seats it was drawn from, 2010 to now,
general elections and by-elections, with the pacts and stand-asides around them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.advice.render import FIELDS_LIMIT, EmbedField, EmbedSpec, fit
from bot.advice.rules import pts
from bot.elections.seats import ElectionData
from bot.models import Contest, Pact, SeatRef

MIN_SHARE = 0.05  # predecessors that gave less than this to the seat are left out


@dataclass(frozen=True)
class Predecessor:
    seat: SeatRef
    moved_in: float  # share of the old seat's people now in this seat
    of_new: float  # share of this seat's people who came from it


@dataclass(frozen=True)
class HistoryEntry:
    contest: Contest
    predecessor: Predecessor | None  # None: the current seat itself
    pacts: tuple[Pact, ...]


@dataclass(frozen=True)
class SeatHistory:
    seat: SeatRef
    predecessors: tuple[Predecessor, ...]
    entries: tuple[HistoryEntry, ...]  # newest first
    local: str = ""  # council elections in its wards, in words


def seat_history(data: ElectionData, code: str, local: str = "") -> SeatHistory | None:
    sid = data.seat_id(code)
    if sid is None:
        return None
    seat = data.seats[sid]
    preds = [Predecessor(data.seats[old], moved, of_new) for old, moved, of_new in
             data.db.conn.execute(
                 """select old_seat_id, old_population_share, new_population_share
                    from overlaps where new_seat_id = ? order by new_population_share desc""",
                 (sid,)) if moved >= MIN_SHARE or of_new >= MIN_SHARE]
    entries = [HistoryEntry(c, None, data.pacts_for(sid, c.election_id))
               for c in data.contests(sid)]
    for p in preds:
        old_id = data.seat_id(p.seat.code, p.seat.boundaries)
        entries += [HistoryEntry(c, p, data.pacts_for(old_id, c.election_id))
                    for c in data.contests(old_id)]
    entries.sort(key=lambda e: (e.contest.date, e.contest.kind == "notional"), reverse=True)
    return SeatHistory(seat, tuple(preds), tuple(entries), local)


def entry_lines(entry: HistoryEntry) -> list[str]:
    c = entry.contest
    where = "" if entry.predecessor is None else (
        f" — {entry.predecessor.seat.name} ({entry.predecessor.moved_in:.0%} of it is now "
        "in this seat)")
    first = c.candidates[0]
    who = f" ({first.candidate})" if first.candidate else ""
    lines = [f"{c.date} {c.election_name}{where}",
             f"  Winner: {first.party_name}{who} {first.votes:,} ({pts(first.share)})"]
    if len(c.candidates) > 1:
        second = c.candidates[1]
        lines.append(f"  Runner-up: {second.party_name} {second.votes:,} "
                     f"({pts(second.share)}); majority {first.votes - second.votes:,}")
    if c.turnout:
        lines.append(f"  Turnout: {c.turnout:.1%}" + (f"; {c.result}" if c.result else ""))
    for pact in entry.pacts:
        aside = ", ".join(pact.standing_aside) or "none"
        backed = f"backed {pact.designated}; " if pact.designated else ""
        lines.append(f"  Pact: {pact.name} ({backed}stood aside: {aside}). {pact.notes}".rstrip())
        if pact.sources:
            lines.append(f"  Source: {pact.sources[0]}")
    return lines


def render_history_embed(history: SeatHistory) -> EmbedSpec:
    fields = []
    for entry in history.entries[:FIELDS_LIMIT]:
        title, *rest = entry_lines(entry)
        fields.append(EmbedField(title, "\n".join(line.strip() for line in rest) or "—"))
    drawn = ", ".join(f"{p.seat.name} ({p.of_new:.0%})" for p in history.predecessors)
    description = " ".join(filter(None, (f"Drawn in 2024 from: {drawn}." if drawn else "",
                                         history.local)))
    return fit(EmbedSpec(f"Elections in {history.seat.name} since 2010", description, 0x5865F2,
                         tuple(fields), "UK Parliament election results, Open Parliament "
                         "Licence; pacts: data/pacts.csv; council results: Local Elections "
                         "Archive Project (Andrew Teale), Commons Library"))


def render_history_text(history: SeatHistory) -> str:
    out = [f"{history.seat.name}: elections since 2010"]
    if history.predecessors:
        out.append("Drawn in 2024 from: " + ", ".join(
            f"{p.seat.name} ({p.of_new:.0%} of this seat's people)" for p in history.predecessors))
    if history.local:
        out.append(history.local)
    for entry in history.entries:
        out += ["", *entry_lines(entry)]
    return "\n".join(out)
