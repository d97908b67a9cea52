"""Advice -> terminal text, or an EmbedSpec a cog turns into a discord.Embed as it is.

Discord's limits are enforced here (title 256, description 4,096, field 1,024, 25 fields,
6,000 in all), and everything a user or moderator wrote is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.advice.rules import Advice, Row, pts
from bot.elections.seats import SeatRecord
from bot.models import Contest, Poll, Resolution, Tally, Verdict
from bot.textnorm import safe_text, shorten, shows_anything

Quote = Callable[[str, int], str]  # makes user text safe where it is shown

TITLE_LIMIT, DESCRIPTION_LIMIT, FIELD_LIMIT, FIELDS_LIMIT, EMBED_LIMIT = 256, 4096, 1024, 25, 6000
FOOTER_LIMIT = 2048
RESULTS_URL = "https://electionresults.parliament.uk/"


@dataclass(frozen=True)
class Projected:
    """The advice recomputed on current national polls."""

    advice: Advice
    model: str
    date: str
    source: str

    def label(self) -> str:
        return f"On current polls (projection, {self.date}, {self.model} swing)"


def plain(text: str, limit: int) -> str:
    """The terminal's `safe_text`: nothing is rendered there, so nothing is escaped."""
    return shorten(text, limit)


def other_sites_line(advice: Advice, others: Sequence[tuple[str, str | None]],
                     names: Mapping[str, str], quote: Quote = safe_text) -> str:
    """"StopTheTories: Labour · Best for Britain: Labour (all agree with ours)", or the
    disagreement said plainly."""
    def name(code: str | None) -> str:
        return names.get(code, code) if code else "no call"

    shown = " · ".join(f"{quote(site, 40)}: {name(party)}" for site, party in others)
    ours = advice.recommended_party
    called = {party for _site, party in others if party}
    if ours and called == {ours}:
        return f"{shown} (all agree with ours)"
    if ours and called - {ours}:
        return f"{shown} (not all agree: ours says {name(ours)})"
    return shown


def projection_lines(advice: Advice, projected: Projected, quote: Quote = safe_text
                     ) -> list[str]:
    """Our call (the headline's), the last result's, and the projection's, each labelled;
    a disagreement with the headline is said, never left for the reader to spot."""
    ours = _call(advice)
    lines = [f"Our call{' (the seat model)' if advice.forecast else ''}: {ours}"]
    if advice.last_result_call:
        lines.append(f"On the {advice.basis.election_name} result alone: "
                     f"{advice.last_result_call}")
    lines.append(f"{projected.label()}: {_call(projected.advice)}")
    if ours != _call(projected.advice):
        lines.append(f"The projection disagrees with our call: it carries the change in "
                     f"national polls into this seat by {projected.model} swing alone. Treat "
                     "it as a pointer, not a forecast.")
    lines.append(f"Polls: {quote(projected.source, 200)}")
    return lines


def _call(advice: Advice) -> str:
    if advice.verdict == Verdict.OVERRIDE and advice.override:
        return f"{advice.override.party_name} (the moderators' call)"
    if advice.verdict == Verdict.CLEAR and advice.recommended:
        return advice.recommended.party_name
    if advice.verdict == Verdict.CLOSE and advice.recommended and advice.next_bloc:
        return (f"too close to call ({advice.recommended.party_name} / "
                f"{advice.next_bloc.party_name})")
    return VERDICT_LABEL[advice.verdict].lower()


@dataclass(slots=True)  # not frozen: an answer builds a dozen, and nothing changes them
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(slots=True)
class EmbedSpec:
    title: str
    description: str
    colour: int
    fields: tuple[EmbedField, ...] = ()
    footer: str = ""
    url: str | None = None

    def total_length(self) -> int:
        return (len(self.title) + len(self.description) + len(self.footer)
                + sum(len(f.name) + len(f.value) for f in self.fields))


def colour_int(hex_colour: str) -> int:
    try:
        return int(hex_colour.lstrip("#"), 16)
    except ValueError:
        return 0xAAAAAA


VERDICT_LABEL = {
    "clear": "Clear",
    "close": "Close call",
    "opponent-not-in-contention": "No tactical vote needed",
    "no-opponent": "No opponent standing",
    "no-bloc-candidate": "No candidate to back",
    "outside-bloc": "Best placed: a party you don't back",
    "override": "Moderators' recommendation",
}


def bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "█" * filled + "·" * (width - filled)


def result_lines(contest: Contest, limit: int = 8, bars: bool = False) -> list[str]:
    lines = []
    for c in contest.candidates[:limit]:
        who = f" ({c.candidate})" if c.candidate else ""
        chart = f"{bar(c.share)} " if bars else ""
        lines.append(f"{chart}{c.party_name}{who}: {c.votes:,} ({pts(c.share)})")
    if len(contest.candidates) > limit:
        rest = contest.candidates[limit:]
        lines.append(f"… {len(rest)} more with {sum(c.votes for c in rest):,} votes")
    return lines


def _row_line(r: Row) -> str:
    """One candidate in the embed: voters look for the name on the ballot paper. Kept on
    the row: rows of a result nobody changed are shared by every answer on it."""
    if r.line is None:
        r.line = _render_row(r)
    return r.line


def _render_row(r: Row) -> str:
    mark = "✅ " if r.in_bloc and r.standing else ("🎯 " if r.is_opponent else "")
    gone = " — not standing" if not r.standing else ""
    who = f" ({safe_text(r.candidate, 60)})" if r.candidate else ""
    if r.previous_candidate:
        who = (f" ({safe_text(r.candidate or '', 60)}, declared; "
               f"{safe_text(r.previous_candidate, 60)} last time)")
    return f"{mark}{r.party_name}{who}: {r.votes:,} ({r.share * 100:.1f}%){gone}"


def margin_pairs(advice: Advice) -> list[tuple[Row, Row]]:
    """The pairs of candidates whose margins the answer shows, named party first."""
    rec, pairs = advice.recommended, []
    if advice.best_placed is not None and rec is not None:
        pairs.append((advice.best_placed, rec))
    if rec is not None and advice.opponent is not None:
        pairs.append((rec, advice.opponent))
    if rec is not None and advice.next_bloc is not None:
        pairs.append((rec, advice.next_bloc))
    return pairs


def margin_text(a: Row, b: Row) -> str:
    """a's share minus b's, in points; in votes when it is under 0.1 points."""
    if abs(a.share - b.share) < 0.001:
        return f"{a.votes - b.votes:+,} votes"
    return f"{(a.share - b.share) * 100:+.1f} pts"


def _status_lines(advice: Advice, quote: Quote = safe_text) -> list[str]:
    lines = []
    if advice.pact:
        lines.append(f"Pact ({quote(advice.pact_source, 200)}): "
                     + next((r for r in advice.reasons if r.startswith(advice.pact.name)), ""))
    if advice.override:
        o = advice.override
        lines.append(f"Moderators' call: {o.party_name}, by {quote(o.author, 100)} on "
                     f"{o.when[:10]}: {quote(o.reason, 300)}")
    for party, name in advice.declared:
        lines.append(f"Declared candidate: {quote(name, 100)} ({party})")
    return lines


def render_text(advice: Advice, resolution: Resolution | None = None,
                projected: Projected | None = None, other_sites: str = "") -> str:
    out = [f"{advice.seat.name} ({advice.seat.nation}, {advice.seat.code})"]
    if resolution and resolution.note:
        out.append(resolution.note)
    out += ["", f"[{VERDICT_LABEL[advice.verdict]}] {advice.headline}", ""]
    out.append(f"{advice.basis.election_name}:")
    out += [f"  {line}" for line in result_lines(advice.basis, limit=12, bars=True)]
    if advice.beside is not None:
        out += ["", f"{advice.beside.election_name}:"]
        out += [f"  {line}" for line in result_lines(advice.beside, limit=6, bars=True)]
    status = _status_lines(advice, plain)
    if advice.reasons or status:
        out += ["", "Why:"] + [f"  - {r}" for r in (*advice.reasons, *status)]
    for n in advice.notes:
        out.append(f"  Note from {n.author} ({n.scope}): {n.text}")
    if projected is not None:
        out += ["", *projection_lines(advice, projected, plain)]
    if other_sites:
        out += ["", f"Other sites: {other_sites}"]
    out += ["", "Caveats:"] + [f"  - {c}" for c in advice.caveats]
    out.append(f"Source: {advice.sources[0]}.")
    return "\n".join(out)


def render_embed(advice: Advice, resolution: Resolution | None = None,
                 data_date: str = "", projected: Projected | None = None,
                 other_sites: str = "") -> EmbedSpec:
    description = safe_text(advice.headline, DESCRIPTION_LIMIT)  # may hold a declared name
    if resolution and resolution.note:
        description = f"*{safe_text(resolution.note, 300)}*\n\n{description}"
    fields = [EmbedField(f"{advice.basis.election_name} result",
                         "\n".join(_row_line(r) for r in advice.rows[:8]) or "—")]
    if advice.beside is not None:
        fields.append(EmbedField(f"{advice.beside.election_name}",
                                 "\n".join(result_lines(advice.beside, limit=5))))
    numbers = [f"{a.party} vs {b.party}: {margin_text(a, b)}"
               for a, b in margin_pairs(advice)]
    if numbers:
        fields.append(EmbedField("Margins", "\n".join(numbers), inline=True))
    fields.append(EmbedField("Confidence", VERDICT_LABEL[advice.verdict], inline=True))
    status = _status_lines(advice)
    fields.append(EmbedField("Pact status", "\n".join(status) if status else
                             "No pact or moderator update applies here."))
    for n in advice.notes[-5:]:
        fields.append(EmbedField(f"Note from {safe_text(n.author, 80)} ({n.scope})",
                                 safe_text(n.text, 500)))
    reasons = [r for r in advice.reasons if not (advice.pact and r.startswith(advice.pact.name))]
    if reasons:
        fields.append(EmbedField("Why", "\n".join(f"• {r}" for r in reasons)))
    if projected is not None:
        fields.append(EmbedField("Result vs polls", "\n".join(projection_lines(advice,
                                                                             projected))))
    if other_sites:
        fields.append(EmbedField("Other sites", other_sites))
    fields.append(EmbedField("Caveats", "\n".join(f"• {c}" for c in advice.caveats)))
    footer = f"{advice.sources[0]}." + (f" Data to {data_date}." if data_date else "")
    return fit(EmbedSpec(
        title=f"How to vote in {advice.seat.name}",
        description=description,
        colour=colour_int(advice.colour),
        fields=tuple(fields),
        footer=footer,
        url=RESULTS_URL,
    ))


def fit(spec: EmbedSpec) -> EmbedSpec:
    """Cut an embed to Discord's limits, dropping trailing fields if the total is too long."""
    fields: list[EmbedField] = []
    for f in spec.fields:
        # Discord rejects a field whose name or value is empty (or only invisible characters)
        if not ((f.name[:1].isalnum() or shows_anything(f.name))
                and (f.value[:1].isalnum() or shows_anything(f.value))):
            continue
        if len(f.name) > TITLE_LIMIT or len(f.value) > FIELD_LIMIT:
            f = EmbedField(shorten(f.name, TITLE_LIMIT), shorten(f.value, FIELD_LIMIT), f.inline)
        fields.append(f)
        if len(fields) == FIELDS_LIMIT:
            break
    title, footer = shorten(spec.title, TITLE_LIMIT), shorten(spec.footer, FOOTER_LIMIT)
    description = shorten(spec.description, DESCRIPTION_LIMIT)
    total = len(title) + len(description) + len(footer) + sum(
        len(f.name) + len(f.value) for f in fields)
    while total > EMBED_LIMIT and fields:
        dropped = fields.pop()
        total -= len(dropped.name) + len(dropped.value)
    return EmbedSpec(title, description, spec.colour, tuple(fields), footer, spec.url)


MESSAGE_LIMIT = 2000  # Discord's limit on a message's text


def fit_message(text: str) -> str:
    """A message's text cut to Discord's limit (every message the bot sends goes through
    this or `fit`)."""
    return shorten(text, MESSAGE_LIMIT)


def message_embed(title: str, text: str, colour: int = 0x5865F2) -> EmbedSpec:
    """A plain message (no match, an error, a list) in the same shape."""
    return fit(EmbedSpec(title, text, colour))


NO_MATCH_COLOUR = 0x99AAB5


def no_match_text(resolution: Resolution) -> str:
    choices = resolution.seats or resolution.alternatives
    return "\n".join([resolution.note or "No seat matches that.",
                      *(f"• {s.name}" for s in choices)])


def no_match_embed(resolution: Resolution) -> EmbedSpec:
    """No single seat: the note (which may quote what the user typed, so it is escaped)
    and the seats to choose from."""
    choices = resolution.seats or resolution.alternatives
    shown = "\n".join([safe_text(resolution.note or "No seat matches that.", 400),
                       *(f"• {safe_text(s.name, 100)}" for s in choices)])
    return message_embed("Which seat?" if choices else "No seat found", shown,
                         NO_MATCH_COLOUR)


def full_result_embed(record: SeatRecord, colour: str, data_date: str) -> EmbedSpec:
    """`!seat`: the latest result beside the notional 2019 one, with turnout."""
    latest, seat = record.latest, record.seat
    fields = [EmbedField(latest.election_name, "\n".join(result_lines(latest, 15)), True)]
    if record.notional is not None:
        fields.append(EmbedField("2019 (notional, 2024 boundaries)",
                                 "\n".join(result_lines(record.notional, 15)), True))
    if latest.turnout:
        fields.append(EmbedField("Turnout", f"{latest.turnout:.1%} of {latest.electorate:,}"))
    return fit(EmbedSpec(f"{seat.name}: full result", f"{seat.nation} · {seat.code}",
                         colour_int(colour), tuple(fields), f"Data to {data_date}.",
                         RESULTS_URL))


def poll_results_embed(poll: Poll, tally: Tally, advised: str | None) -> EmbedSpec:
    """A straw poll's results; when members lean elsewhere than the advice, it says so."""
    lines = [f"{safe_text(option, 60)}: {votes:,} ({tally.share(votes):.0%})"
             for option, votes in sorted(tally.counts, key=lambda c: -c[1])]
    fields = [EmbedField("Votes", "\n".join(lines) or "No votes yet"),
              EmbedField("Voters", f"{tally.voters:,}", inline=True)]
    description = "A straw poll of this server's members, not a representative poll of voters."
    if advised and tally.leader and not tally.leader.startswith(advised):
        description += (f" Members here lean to {safe_text(tally.leader, 60)}; on the last "
                        f"result the advice is {advised}.")
    return fit(EmbedSpec(f"Poll #{poll.id}: {safe_text(poll.question, 200)}", description,
                         0x5865F2, tuple(fields)))
