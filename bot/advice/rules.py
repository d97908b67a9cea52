"""The tactical advice: pure functions from a seat's record, the server's options and the
moderators' updates to an Advice. No I/O; every number comes from a result row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.elections.seats import Party, SeatRecord
from bot.forecast.live import Field, ModelView
from bot.forecast.model import Forecast, in_words
from bot.models import CandidateResult, Contest, Pact, SeatRef, SeatUpdate

DEFAULT_OPPONENT = "Con"
DEFAULT_BLOC = frozenset({"Lab", "LD", "Green", "SGP", "GPNI", "SNP", "PC", "SDLP", "APNI"})
INDEPENDENT = "Ind"
CLOSE_POINTS = 5.0  # the top two bloc parties within this many points: a close call
# The opponent is out of contention when it came third or lower and trailed the winner
# by more than this many points: no tactical vote is needed to keep it out.
OUT_OF_CONTENTION_POINTS = 20.0



@dataclass(frozen=True)
class AdviceOptions:
    opponent: str = DEFAULT_OPPONENT
    bloc: frozenset[str] = DEFAULT_BLOC


DEFAULT_OPTIONS = AdviceOptions()


@dataclass(frozen=True)
class Row:
    """One candidate as the advice sees them."""

    party: str
    party_name: str
    candidate: str | None
    votes: int
    share: float  # fraction
    in_bloc: bool
    is_opponent: bool
    standing: bool = True  # False: withdrawn, or stood aside under a pact


@dataclass(frozen=True)
class Note:
    text: str
    author: str
    when: str
    scope: str  # "this server" | "all servers"


@dataclass(frozen=True)
class Override:
    party: str
    party_name: str
    reason: str
    author: str
    when: str
    scope: str = "this server"  # "all servers": shared by the bot's owners


@dataclass(frozen=True)
class Advice:
    seat: SeatRef
    verdict: str
    data_verdict: str  # what the numbers say, even under a moderators' override
    headline: str
    recommended: Row | None
    next_bloc: Row | None
    opponent: Row | None
    margin_to_opponent: float | None  # points, recommended minus opponent
    margin_to_next_bloc: float | None
    basis: Contest  # the result the advice rests on
    rows: tuple[Row, ...]
    general: Contest
    notional: Contest | None
    byelection: Contest | None = None
    other_call: str | None = None  # what the general election alone would recommend
    pact: Pact | None = None
    pact_source: str = ""
    override: Override | None = None
    notes: tuple[Note, ...] = ()
    declared: tuple[tuple[str, str], ...] = ()  # (party, candidate) declared for next time
    reasons: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    colour: str = "#AAAAAA"
    options: AdviceOptions = field(default_factory=AdviceOptions)
    forecast: Forecast | None = None  # the seat model's chances, when it is on
    last_result_call: str = ""  # what the last result alone says, beside the model's call

    @property
    def recommended_party(self) -> str | None:
        """The single party the advice names, or None (close call, no need, no opponent)."""
        if self.verdict == "override" and self.override:
            return self.override.party
        return self.recommended.party if self.verdict == "clear" and self.recommended else None


def pts(share: float) -> str:
    return f"{share * 100:.1f}%"


def field_of(record: SeatRecord, parties: dict[str, Party],
             updates: Sequence[SeatUpdate] = ()) -> Field:
    state = _apply_updates(record, updates, parties)
    aside = set(state.pact[0].standing_aside) if state.pact else set()
    stood = {c.party for c in record.latest.candidates} | {p for p, _n in state.declared}
    return Field(frozenset(stood - state.withdrawn - aside),
                 state.pact[0].designated if state.pact else "")


def advise(record: SeatRecord, parties: dict[str, Party], options: AdviceOptions = DEFAULT_OPTIONS,
           updates: Sequence[SeatUpdate] = (), model: ModelView | None = None) -> Advice:
    state = _apply_updates(record, updates, parties)
    opponent_name = parties[options.opponent].name if options.opponent in parties else \
        options.opponent
    general_call = _analyse(record.general, options, state, opponent_name)
    basis = state.byelection or record.latest
    analysis = (_analyse(basis, options, state, opponent_name) if basis is not record.general
                else general_call)
    rec = analysis.recommended
    colour_party = state.override.party if state.override else (rec.party if rec else None)
    colour = parties[colour_party].colour if colour_party in parties else "#AAAAAA"

    reasons = list(analysis.reasons)
    caveats: list[str] = []
    byelection = basis if basis is not record.general else None
    other_call = None
    if byelection is not None:
        reasons.insert(0, f"This rests on the {byelection.election_name}, the most recent vote "
                          f"here, rather than the {record.general.election_name}.")
        if byelection.result:
            margin = f", majority {byelection.majority:,}" if byelection.majority else ""
            reasons.insert(1, f"{byelection.election_name}: {byelection.result}{margin}.")
        caveats.append("By-elections have low turnout and special circumstances; a general "
                       "election can go differently.")
        if general_call.label != analysis.label:
            other_call = general_call.label
            reasons.append(f"The {record.general.election_name} pointed elsewhere: "
                           f"{general_call.label}.")
    pact, pact_source = state.pact or _table_pact(record)
    if pact is not None:
        # who was best placed before anyone stood aside: the pact may have chosen otherwise
        best = next((r for c in basis.candidates
                     if (r := _row(c, options, state.withdrawn)).in_bloc and r.standing), None)
        reasons.append(_pact_sentence(pact, best, parties))
    if record.redrawn and record.notional is not None and basis.kind == "general":
        winner = record.notional.candidates[0]
        caveats.append(f"The seat was redrawn in 2024. On the new boundaries the 2019 result "
                       f"would have been a {winner.party_name} win with {pts(winner.share)} "
                       "(notional figures).")
    caveats.append(f"Based on votes cast at the {basis.election_name}, not on an opinion poll.")

    verdict = analysis.verdict
    headline = analysis.headline
    last_call = ""
    # the model knows published results only: a moderator's newer result takes precedence
    if model is not None and state.byelection is None and options.opponent == "Con" and verdict in (
            "clear", "close", "opponent-not-in-contention"):
        last_call = analysis.label
        rows_by_party = {r.party: r for r in analysis.rows if r.in_bloc and r.standing}
        verdict, headline, rec, nxt = _model_call(model.forecast, rows_by_party, parties,
                                                  opponent_name)
        analysis = replace(analysis, verdict=verdict, recommended=rec, next_bloc=nxt)
        reasons.insert(0, f"On the {basis.election_name} result alone: {last_call}.")
        reasons.insert(0, f"The chances rest on {model.basis}.")
        caveats[:] = [c for c in caveats if not c.startswith("Based on votes cast")]
        caveats.append("A forecast from past results and national polls, fitted only on "
                       "earlier elections; local campaigns can change a seat.")
        if model.stale:
            caveats.append(model.stale)
    if state.override is not None:
        verdict = "override"
        who = ("This server's moderators" if state.override.scope == "this server" else
               f"{state.override.author}, for all servers,")
        headline = (f"{who} recommend{'' if state.override.scope == 'this server' else 's'} "
                    f"{state.override.party_name} (the numbers say: {analysis.label}).")
    return Advice(
        seat=record.seat, verdict=verdict, data_verdict=analysis.verdict, headline=headline,
        recommended=rec, next_bloc=analysis.next_bloc, opponent=analysis.opponent,
        margin_to_opponent=analysis.margin_to_opponent,
        margin_to_next_bloc=analysis.margin_to_next_bloc, basis=basis, rows=analysis.rows,
        general=record.general, notional=record.notional, byelection=byelection,
        other_call=other_call, pact=pact, pact_source=pact_source, override=state.override,
        notes=tuple(state.notes), declared=tuple(state.declared), reasons=tuple(reasons),
        caveats=tuple(caveats),
        sources=("UK Parliament election results (Commons Library), Open Parliament Licence",
                 *(pact.sources if pact else ())),
        colour=colour, options=options,
        forecast=model.forecast if model is not None and last_call else None,
        last_result_call=last_call,
    )


def _model_call(f: Forecast, rows: dict[str, Row], parties: dict[str, Party], opp: str
                ) -> tuple[str, str, Row | None, Row | None]:
    """The verdict, headline and the two parties named, from the seat model."""
    def name(code: str | None) -> str:
        return parties[code].name if code in parties else (code or "")

    lead, second = f.leader, f.runner_up
    rec, nxt = rows.get(lead or ""), rows.get(second or "")
    chance = f"{name(lead)}: {in_words(f.chance(lead))} to be the strongest challenger here"
    if f.verdict == "opponent-not-in-contention":
        return (f.verdict, f"{opp} is unlikely to finish in the top two here "
                f"({in_words(f.opponent_top_two)}): no tactical vote is needed. Vote for "
                f"whoever you prefer. ({chance}.)", rec, nxt)
    if f.verdict == "clear":
        who = name(lead) + (f" ({rec.candidate})" if rec and rec.candidate else "")
        return f.verdict, f"Vote {who}: the best-placed to beat {opp}. {chance}.", rec, nxt
    return (f.verdict, f"Too close to call between {name(lead)} ({in_words(f.chance(lead))}) "
            f"and {name(second)} ({in_words(f.chance(second))}) to be the strongest "
            f"challenger to {opp}. Watch for local pacts and polls.", rec, nxt)


@dataclass
class _State:
    withdrawn: set[str] = field(default_factory=set)
    pact: tuple[Pact, str] | None = None
    override: Override | None = None
    notes: list[Note] = field(default_factory=list)
    declared: list[tuple[str, str]] = field(default_factory=list)
    byelection: Contest | None = None


def _apply_updates(record: SeatRecord, updates: Sequence[SeatUpdate],
                   parties: dict[str, Party]) -> _State:
    """Fold the moderators' in-scope updates (oldest first) into what the advice uses."""
    state = _State()
    for u in sorted(updates, key=lambda u: u.id):
        scope = "all servers" if u.guild_id is None else "this server"
        who = f"{u.author_name} ({scope})"
        if u.kind == "pact" and u.party:
            aside = tuple(u.payload.get("standing_aside", ()))
            state.pact = (Pact(u.party, aside, u.payload.get("name", "Local pact"),
                               notes=u.payload.get("reason", "")), f"posted by {who}")
        elif u.kind == "pact-end":
            state.pact = None
        elif u.kind == "withdraw" and u.party:
            state.withdrawn.add(u.party)
        elif u.kind == "candidate" and u.party:
            state.declared.append((u.party, u.payload.get("name", "")))
            state.withdrawn.discard(u.party)
        elif u.kind == "note":
            state.notes.append(Note(u.payload.get("text", ""), u.author_name, u.created_at,
                                    scope))
        elif u.kind == "override" and u.party:
            state.override = Override(u.party, u.payload.get("party_name", u.party),
                                      u.payload.get("reason", ""), u.author_name, u.created_at,
                                      scope)
        elif u.kind == "byelection":
            state.byelection = _contest_from_update(record.seat, u, parties)
    return state


def _contest_from_update(seat: SeatRef, u: SeatUpdate, parties: dict[str, Party]) -> Contest:
    votes: dict[str, int] = {p: int(v) for p, v in u.payload.get("votes", {}).items()}
    total = sum(votes.values()) or 1
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    date = u.payload.get("date") or u.created_at[:10]
    return Contest(
        f"update-{u.id}", f"by-election of {date} (posted by {u.author_name})", "by-election",
        date, seat, total, None, ranked[0][1] - ranked[1][1] if len(ranked) > 1 else None,
        None, tuple(CandidateResult(p, parties[p].name if p in parties else p, None, v,
                                    v / total, i, i == 1)
                    for i, (p, v) in enumerate(ranked, start=1)),
    )


def _table_pact(record: SeatRecord) -> tuple[Pact | None, str]:
    return (record.pacts[0], "announced by the parties") if record.pacts else (None, "")


def _pact_sentence(pact: Pact, rec: Row | None, parties: dict[str, Party]) -> str:
    def name(code: str) -> str:
        return parties[code].name if code in parties else code

    aside = ", ".join(name(p) for p in pact.standing_aside) or "no one"
    if not pact.designated:
        return f"{pact.name}: {aside} stood aside here."
    sentence = f"{pact.name}: {name(pact.designated)} is the agreed candidate; {aside} " \
               "stand aside."
    if rec is not None and rec.party != pact.designated:
        sentence += (f" Note that on the last result {rec.party_name} was better placed than "
                     f"the pact's candidate.")
    return sentence


@dataclass(frozen=True)
class _Analysis:
    verdict: str
    headline: str
    label: str  # a short phrase: "Labour", "too close to call (Lab/LD)", ...
    rows: tuple[Row, ...]
    recommended: Row | None
    next_bloc: Row | None
    opponent: Row | None
    margin_to_opponent: float | None
    margin_to_next_bloc: float | None
    reasons: tuple[str, ...]


def _analyse(contest: Contest, options: AdviceOptions, state: _State, opp_name: str
             ) -> _Analysis:
    aside = set(state.pact[0].standing_aside) if state.pact else set()
    rows = tuple(_row(c, options, state.withdrawn | aside) for c in contest.candidates)
    opponent = next((r for r in rows if r.is_opponent), None)
    bloc = [r for r in rows if r.in_bloc and r.standing]
    rec = bloc[0] if bloc else None
    nxt = bloc[1] if len(bloc) > 1 else None
    m_opp = rec.share - opponent.share if rec and opponent else None
    m_next = rec.share - nxt.share if rec and nxt else None
    winner = rows[0]

    if opponent is None:
        return _Analysis("no-opponent",
                         f"No {opp_name} candidate stood here last time: there is no one to "
                         "vote tactically against. Vote for whoever you prefer.",
                         "no tactical vote needed", rows, rec, nxt, None, None, m_next,
                         (f"{opp_name} did not stand at the {contest.election_name}.",))
    if rec is None:
        return _Analysis("no-bloc-candidate",
                         "None of the parties this server backs stood here last time.",
                         "no candidate to back", rows, None, None, opponent, None, None, ())
    reasons = [f"At the {contest.election_name}, {rec.party_name} had {pts(rec.share)} "
               f"({rec.votes:,} votes) and {opponent.party_name} {pts(opponent.share)} "
               f"({opponent.votes:,})."]
    opp_position = rows.index(opponent) + 1
    if opp_position >= 3 and winner.share - opponent.share > OUT_OF_CONTENTION_POINTS / 100:
        return _Analysis("opponent-not-in-contention",
                         f"{opponent.party_name} came {_ordinal(opp_position)}, "
                         f"{(winner.share - opponent.share) * 100:.1f} points behind the "
                         "winner: no tactical vote is needed here. Vote for whoever you prefer.",
                         "no tactical vote needed", rows, rec, nxt, opponent, m_opp, m_next,
                         tuple(reasons))
    if nxt is not None and m_next is not None and m_next < CLOSE_POINTS / 100:
        return _Analysis("close",
                         f"Too close to call between {rec.party_name} ({pts(rec.share)}) and "
                         f"{nxt.party_name} ({pts(nxt.share)}): {rec.party_name} is only "
                         f"{m_next * 100:.1f} points ahead. Watch for local pacts and polls.",
                         f"too close to call ({rec.party}/{nxt.party})", rows, rec, nxt,
                         opponent, m_opp, m_next, tuple(reasons))
    if nxt is not None:
        reasons.append(f"{rec.party_name} is {m_next * 100:.1f} points ahead of "
                       f"{nxt.party_name}, the next party you could back.")
    who = f"{rec.party_name}" + (f" ({rec.candidate})" if rec.candidate else "")
    if m_opp is not None and m_opp > 0:
        gap = f"it beat {opponent.party_name} by {m_opp * 100:.1f} points"
    else:
        gap = f"it needs {-m_opp * 100:.1f} points more to overtake {opponent.party_name}"
    return _Analysis("clear", f"Vote {who}: the best-placed to beat {opponent.party_name}; "
                              f"{gap}.",
                     rec.party_name, rows, rec, nxt, opponent, m_opp, m_next, tuple(reasons))


def _row(c: CandidateResult, options: AdviceOptions, out: set[str]) -> Row:
    # an independent joins the bloc only where they won or came second
    in_bloc = c.party in options.bloc or (c.party == INDEPENDENT and c.position <= 2
                                         and options.opponent != INDEPENDENT)
    return Row(c.party, c.party_name, c.candidate, c.votes, c.share, in_bloc,
               c.party == options.opponent, c.party not in out)


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")
