"""The tactical advice: pure functions from a seat's record, the server's options and the
moderators' updates to an Advice. No I/O; every number comes from a result row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from bot.elections.seats import Party, SeatRecord
from bot.errors import UserFacingError
from bot.forecast.live import Field, ModelView
from bot.forecast.model import (
    AGAINST_CON,
    OPPONENT_SET_NAMES,
    SIDES,
    Forecast,
    in_words,
    members,
)
from bot.forecast.shares import MAJOR, forecast_party
from bot.models import CandidateResult, Contest, Pact, SeatRef, SeatUpdate, UpdateKind, Verdict

DEFAULT_OPPONENT = "Con"
DEFAULT_BLOC = frozenset({"Lab", "LD", "Green", "SGP", "GPNI", "SNP", "PC", "SDLP", "APNI"})
INDEPENDENT = "Ind"
CLOSE_POINTS = 5.0  # the top two bloc parties within this many points: a close call
# The opponent is out of contention when it came third or lower and trailed the winner
# by more than this many points: no tactical vote is needed to keep it out.
OUT_OF_CONTENTION_POINTS = 20.0
RESULTS_SOURCE = "UK Parliament election results (Commons Library), Open Parliament Licence"


class OptionsError(UserFacingError):
    """Options that contradict themselves (the opponent is also in the bloc)."""


def default_bloc(opponent: str) -> frozenset[str] | None:
    """Against the Conservatives or the right, the parties of the left and centre; against
    anyone else, every party but the opponent (an anti-Reform server backs the
    Conservatives too)."""
    return DEFAULT_BLOC if opponent in (DEFAULT_OPPONENT, "Right") else None


@dataclass(frozen=True)
class AdviceOptions:
    opponent: str = DEFAULT_OPPONENT
    bloc: frozenset[str] | None = DEFAULT_BLOC  # None: every party but the opponent

    def __post_init__(self) -> None:
        if self.bloc is not None and members(self.opponent) & self.bloc:
            both = " ".join(sorted(members(self.opponent) & self.bloc))
            raise OptionsError(f"{both} cannot be both the party to beat and one of "
                               "the parties to back: take it out of the bloc, or choose "
                               "another opponent")

    @classmethod
    def against(cls, opponent: str, bloc: frozenset[str] | None = None) -> AdviceOptions:
        """The options for an opponent: its default bloc unless one is given."""
        return cls(opponent, default_bloc(opponent) if bloc is None else bloc)

    def backs(self, party: str) -> bool:
        return party not in members(self.opponent) and (self.bloc is None
                                                        or party in self.bloc)

    @cached_property
    def backed_model_parties(self) -> frozenset[str]:
        """The seat model's parties this server backs."""
        side = SIDES.get(self.opponent)
        return frozenset(p for p in side.bloc if self.backs(p)) if side else frozenset()

    @property
    def narrowed(self) -> bool:
        """The server backs fewer parties than the default for its opponent."""
        return self.bloc is not None and self.bloc != default_bloc(self.opponent)


DEFAULT_OPTIONS = AdviceOptions()


def model_bloc(options: AdviceOptions) -> tuple[str, ...]:
    """The forecast's parties this server backs, in the forecast's order (ties)."""
    return tuple(p for p in MAJOR if p in options.backed_model_parties)


@dataclass(slots=True)
class Row:
    """One candidate as the advice sees them. Not frozen only because an answer builds one
    per candidate and a frozen dataclass is several times slower to build; nothing
    changes a Row once made."""

    party: str
    party_name: str
    candidate: str | None
    votes: int
    share: float  # fraction
    in_bloc: bool
    is_opponent: bool
    standing: bool = True  # False: withdrawn, or stood aside under a pact
    previous_candidate: str | None = None  # who stood last time, when another is declared
    line: str | None = field(default=None, compare=False, repr=False)  # rendered, once


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


@dataclass(slots=True)
class Advice:
    """What the bot advises in one seat, with everything it rests on. Not frozen for speed
    (an answer builds one; a frozen dataclass of this size takes several times as long),
    but never changed once made: kept answers share it."""

    seat: SeatRef
    verdict: Verdict
    data_verdict: Verdict  # what the numbers say, even under a moderators' override
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
    byelection: Contest | None = None  # the latest by-election, shown whether used or not
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
    best_placed: Row | None = None  # a party the server does not back, better placed

    @property
    def beside(self) -> Contest | None:
        """The other result shown next to the basis: the general election beside a
        by-election, or a by-election the advice does not rest on."""
        if self.byelection is None:
            return None
        return self.general if self.basis is self.byelection else self.byelection

    @property
    def recommended_party(self) -> str | None:
        """The single party the advice names, or None (close call, no need, no opponent)."""
        if self.verdict == Verdict.OVERRIDE and self.override:
            return self.override.party
        return self.recommended.party if self.verdict == Verdict.CLEAR and self.recommended \
            else None


def article(word: str) -> str:
    """"an" before a vowel sound: an Alliance win, an SNP win, a Labour win."""
    return "an" if word[:1] in "AEIOU" or word in ("SNP", "SDLP", "UUP") else "a"


def pts(share: float) -> str:
    return f"{share * 100:.1f}%"


def field_of(record: SeatRecord, parties: dict[str, Party],
             updates: Sequence[SeatUpdate] = ()) -> Field:
    state = _apply_updates(record, updates, parties)
    aside = set(state.pact[0].standing_aside) if state.pact else set()
    stood = record.stood | {p for p, _n in state.declared}
    return Field(frozenset(stood - state.withdrawn - aside),
                 state.pact[0].designated if state.pact else "")


def advise(record: SeatRecord, parties: dict[str, Party], options: AdviceOptions = DEFAULT_OPTIONS,
           updates: Sequence[SeatUpdate] = (), model: ModelView | None = None) -> Advice:
    state = _apply_updates(record, updates, parties)
    opponent_name = _name(parties, options.opponent)
    general_call = _analyse(record.general, options, state, opponent_name)
    byelection = state.byelection or (record.latest if record.latest is not record.general
                                      else None)
    # a published by-election where a party of the seat stood aside does not replace the
    # general election: that party keeps its standing (Clacton 2026: no Conservative stood).
    # A moderator's posted result is taken as the newest word.
    absent = _stood_aside(byelection, record.general, general_call, options) \
        if byelection is not None and state.byelection is None else []
    basis = byelection if byelection is not None and not absent else record.general
    analysis = (_analyse(basis, options, state, opponent_name) if basis is not record.general
                else general_call)

    reasons = list(analysis.reasons)
    caveats: list[str] = []
    other_call = None
    if byelection is not None and basis is byelection:
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
    elif byelection is not None:
        who = " and ".join(_name(parties, p) for p in absent)
        reasons.insert(0, f"The advice rests on the {record.general.election_name}, not the "
                          f"{byelection.election_name}: {who} did not stand in the "
                          "by-election, and a party that stands aside once is still a party "
                          "of the seat.")
    pact, pact_source = state.pact or _table_pact(record)
    if pact is not None:
        # who was best placed before anyone stood aside: the pact may have chosen otherwise
        best = next((r for c in basis.candidates
                     if (r := _row(c, options, state.withdrawn)).in_bloc and r.standing), None)
        reasons.append(_pact_sentence(pact, best, parties))
    if record.redrawn and record.notional is not None and basis.kind == "general":
        winner = record.notional.candidates[0]
        caveats.append(f"The seat was redrawn in 2024. On the new boundaries the 2019 result "
                       f"would have been {article(winner.party_name)} {winner.party_name} win "
                       f"with {pts(winner.share)} "
                       "(notional figures).")
    last_call = ""
    forecast = _model_forecast(model, options) if state.byelection is None else None
    # the model knows published results only: a moderator's newer result takes precedence
    if forecast is not None and analysis.verdict in (
            "clear", "close", "opponent-not-in-contention"):
        last_call = analysis.label
        analysis = _model_call(forecast, analysis, parties, opponent_name, options,
                               model.forecast)
        # the last result's "next party" gives way to the forecast's runner-up
        reasons = [r for r in reasons if not r.endswith(NEXT_PARTY)]
        if analysis.next_bloc is not None and analysis.verdict != Verdict.OUTSIDE_BLOC:
            reasons.append(f"{analysis.next_bloc.party_name}, {NEXT_PARTY[:-1]}, is "
                           f"{in_words(forecast.chance(analysis.next_bloc.party))} to be the "
                           "strongest challenger.")
        if model.terms is not None and analysis.recommended \
                and general_call.recommended \
                and analysis.recommended.party != general_call.recommended.party \
                and (why := _why_moved(model, analysis.recommended, general_call.recommended)):
            reasons.insert(0, why)
        reasons.insert(0, f"On the {basis.election_name} result alone: {last_call}.")
        if model.case is not None and model.case.local \
                and model.case.local_coverage >= LOCAL_SHOWN_FROM:
            reasons.insert(0, local_line(model.case.local, model.case.local_coverage,
                                         model.case.local_years, parties))
        if model.terms is not None and model.case.projected_by:
            if disagreement := _projections_disagree(model, forecast, parties):
                reasons.insert(0, disagreement)
            reasons.insert(0, _projection_line(model, parties))
        reasons.insert(0, f"The chances rest on {model.basis}.")
        caveats.append("A forecast of vote shares from the last result, the polls and the "
                       "published seat projections, fitted only on earlier elections; local "
                       "campaigns can change a seat.")
        if model.stale:
            caveats.append(model.stale)
    else:
        caveats.append(f"Based on votes cast at the {basis.election_name}, not on an opinion "
                       "poll.")
    verdict, headline, rec = analysis.verdict, analysis.headline, analysis.recommended
    if state.override is not None:
        verdict = Verdict.OVERRIDE
        who = ("This server's moderators" if state.override.scope == "this server" else
               f"{state.override.author}, for all servers,")
        headline = (f"{who} recommend{'' if state.override.scope == 'this server' else 's'} "
                    f"{state.override.party_name} (the numbers say: {analysis.label}).")
    colour_party = state.override.party if state.override else (rec.party if rec else None)
    return Advice(
        seat=record.seat, verdict=verdict, data_verdict=analysis.verdict, headline=headline,
        recommended=rec, next_bloc=analysis.next_bloc, opponent=analysis.opponent,
        margin_to_opponent=analysis.margin_to_opponent,
        margin_to_next_bloc=analysis.margin_to_next_bloc, basis=basis, rows=analysis.rows,
        general=record.general, notional=record.notional, byelection=byelection,
        other_call=other_call, pact=pact, pact_source=pact_source, override=state.override,
        notes=tuple(state.notes), declared=tuple(state.declared), reasons=tuple(reasons),
        caveats=tuple(caveats),
        sources=(RESULTS_SOURCE, *pact.sources) if pact else (RESULTS_SOURCE,),
        colour=parties[colour_party].colour if colour_party in parties else "#AAAAAA",
        options=options, forecast=forecast if last_call else None,
        last_result_call=last_call, best_placed=analysis.best_placed,
    )


def _name(parties: Mapping[str, Party], code: str | None) -> str:
    if code in OPPONENT_SET_NAMES:
        return OPPONENT_SET_NAMES[code]
    return parties[code].name if code in parties else (code or "")


def _stood_aside(byelection: Contest, general: Contest, general_call: _Analysis,
                 options: AdviceOptions) -> list[str]:
    """The opponent and the general election's best-placed party, where either stood at
    the general election but not in the by-election."""
    stood = {c.party for c in byelection.candidates}
    at_general = {c.party for c in general.candidates}
    wanted = [options.opponent, *([general_call.recommended.party]
                                  if general_call.recommended else [])]
    return [p for p in dict.fromkeys(wanted) if p in at_general and p not in stood]


def _model_forecast(model: ModelView | None, options: AdviceOptions) -> Forecast | None:
    """The forecast's chances among the parties this server backs, when it applies."""
    side = model.case.side if model is not None and model.case is not None else AGAINST_CON
    if model is None or side.opponent != options.opponent:
        return None
    forecast = model.backed or model.forecast.among(options.backed_model_parties)
    return forecast if forecast.ranked else None


def _polls_named(model: ModelView) -> str:
    """Which polls moved the seat: a nation's own, or GB polls standing in for them."""
    nation = model.case.nation
    if nation in ("Scotland", "Wales") and model.polls_area == "GB":
        return f"GB polls (applied to {nation}, for want of {nation} polls)"
    return f"{model.polls_area} polls" if model.polls_area != "GB" else "GB polls"


def _why_moved(model: ModelView, lead: Row, last: Row) -> str:
    """What carried the forecast from the last result's strongest party to another: each of
    its own terms (the polls' move, the published projections) that moved the gap toward
    `lead`, with its size in points; none named is said as nothing ("")."""
    case, terms = model.case, model.terms
    a, b = forecast_party(lead.party), forecast_party(last.party)
    base, polls, middle = terms.base, terms.from_polls, terms.centre
    if a not in polls or b not in polls:
        return ""
    said = []
    by_polls = (polls[a] - polls[b]) - (base.get(a, 0.0) - base.get(b, 0.0))
    if by_polls > 0.0005:
        said.append(f"the {_polls_named(model)} since then move {lead.party_name} from "
                     f"{pts(base.get(a, 0.0))} to {pts(polls[a])} here and {last.party_name} "
                     f"from {pts(base.get(b, 0.0))} to {pts(polls[b])} "
                     f"({by_polls * 100:.1f} points toward {lead.party_name})")
    by_projections = (middle[a] - middle[b]) - (polls[a] - polls[b])
    if case.projected_by and by_projections > 0.0005:
        published = terms.published
        said.append(f"the published seat projections ({', '.join(case.projected_by)}) put "
                     f"{lead.party_name} at {pts(published.get(a, polls[a]))} and "
                     f"{last.party_name} at {pts(published.get(b, polls[b]))} "
                     f"({by_projections * 100:.1f} points toward {lead.party_name})")
    if not said:
        return ""
    return (f"Why {lead.party_name} and not {last.party_name}, who did better last time: "
            f"{'; '.join(said)}.")


NEXT_PARTY = "the next party you could back."
LOCAL_SHOWN_FROM = 0.25  # council results from less of a seat than this say little of it


def local_line(shares: Mapping[str, float], coverage: float, years: str,
               parties: Mapping[str, Party]) -> str:
    """Council elections in the seat's wards, as voters read them."""
    listed = ", ".join(f"{_name(parties, p) if p != 'Other' else 'others'} {pts(v)}"
                       for p, v in sorted(shares.items(), key=lambda kv: -kv[1])
                       if v >= 0.005)
    where = ("this seat's wards" if coverage >= 0.95 else
             f"wards holding {coverage:.0%} of this seat's postcodes")
    return f"Council elections {years} in {where}: {listed}."


def _projections_disagree(model: ModelView, forecast: Forecast,
                          parties: dict[str, Party]) -> str:
    """The published projections, when they put different parties first of those the
    server backs (the chances already weigh them all)."""
    firsts = []
    for label, shares in zip(model.projection_labels, model.terms.projections, strict=True):
        backed = {p: v for p, v in shares.items() if p in forecast.probabilities}
        if backed:
            firsts.append((label, max(backed, key=backed.get)))
    if len({party for _label, party in firsts}) < 2:
        return ""
    said = "; ".join(f"{label}: {_name(parties, party)}" for label, party in firsts)
    return (f"The published projections disagree on who is strongest of the parties you "
            f"could back here ({said}); the chances weigh them all.")


def _projection_line(model: ModelView, parties: dict[str, Party]) -> str:
    """The published projections' shares here as the forecast takes them (a
    next-election MRP moved by the polls since its own baseline, each source weighted by
    its record on earlier elections)."""
    shares = sorted(model.terms.published.items(), key=lambda kv: -kv[1])
    listed = ", ".join(f"{_name(parties, p)} {pts(v)}" for p, v in shares if v >= 0.005)
    return f"Seat projections here, as the forecast weighs them: {listed}."


def _model_call(f: Forecast, last: _Analysis, parties: dict[str, Party], opp: str,
                options: AdviceOptions, full: Forecast) -> _Analysis:
    """The last-result analysis recast on the seat model's call (`f`, among the parties
    the server backs; `full`, among them all): its verdict, headline, the two parties it
    names and the margins between exactly those two."""
    lead, second = f.leader, f.runner_up
    rows = {r.party: r for r in last.rows if r.in_bloc and r.standing}
    rec, nxt = rows.get(lead or ""), rows.get(second or "")
    role = ("the strongest of the parties this server backs" if options.narrowed
            else "the strongest challenger here")
    chance = f"{_name(parties, lead)}: {in_words(f.chance(lead))} to be {role}"
    outside = full.call if full.call and not options.backs(full.call) else None
    if outside and f.verdict != Verdict.NOT_IN_CONTENTION:
        best = next((r for r in last.rows if r.party == outside and r.standing), None)
        headline = (f"{_name(parties, outside)} is {in_words(full.chance(outside))} to be the "
                    f"strongest challenger to {opp} here, but it is not one of the parties "
                    f"this server backs. Of those, {_name(parties, lead)} is the strongest "
                    f"({in_words(f.chance(lead))}).")
        m_opp, m_next = _margins(rec, nxt, last.opponent)
        return replace(last, verdict=Verdict.OUTSIDE_BLOC, headline=headline, recommended=rec,
                       next_bloc=nxt, margin_to_opponent=m_opp, margin_to_next_bloc=m_next,
                       best_placed=best)
    if f.verdict == Verdict.NOT_IN_CONTENTION:
        if outside:  # say who is strongest, though the server does not back them
            chance = (f"{_name(parties, outside)}, which this server does not back: "
                      f"{in_words(full.chance(outside))} to be the strongest challenger; of "
                      f"the parties it backs, {chance}")
        headline = (f"{opp} is unlikely to finish in the top two here "
                    f"({in_words(f.opponent_top_two)}): no tactical vote is needed. Vote for "
                    f"whoever you prefer. ({chance}.)")
    elif f.verdict == Verdict.CLEAR:
        who = _name(parties, lead) + (f" ({rec.candidate})" if rec and rec.candidate else "")
        headline = f"Vote {who}: the best-placed to beat {opp}. {chance}."
    else:
        headline = (f"Too close to call between {_name(parties, lead)} "
                    f"({in_words(f.chance(lead))}) and {_name(parties, second)} "
                    f"({in_words(f.chance(second))}) to be "
                    + (f"{role} against {opp}" if options.narrowed
                       else f"the strongest challenger to {opp}")
                    + ". Watch for local pacts and polls.")
    m_opp, m_next = _margins(rec, nxt, last.opponent)
    return _Analysis(f.verdict, headline, last.label, last.rows, rec, nxt, last.opponent, m_opp,
                     m_next, last.reasons)


def _margins(rec: Row | None, nxt: Row | None, opponent: Row | None
             ) -> tuple[float | None, float | None]:
    """The named party's share minus the opponent's, and minus the other named party's."""
    return (rec.share - opponent.share if rec and opponent else None,
            rec.share - nxt.share if rec and nxt else None)


def _gap(a: Row, b: Row) -> str:
    """How far apart two candidates finished: in points, or in votes under 0.1 points."""
    if abs(a.share - b.share) < 0.001:
        n = abs(a.votes - b.votes)
        return f"{n:,} vote{'' if n == 1 else 's'}"
    return f"{abs(a.share - b.share) * 100:.1f} points"


@dataclass
class _State:
    withdrawn: set[str] = field(default_factory=set)
    pact: tuple[Pact, str] | None = None
    override: Override | None = None
    notes: list[Note] = field(default_factory=list)
    declared: list[tuple[str, str]] = field(default_factory=list)
    byelection: Contest | None = None


_NO_UPDATES = _State()  # most seats in most servers: shared, and never changed


def _apply_updates(record: SeatRecord, updates: Sequence[SeatUpdate],
                   parties: dict[str, Party]) -> _State:
    """Fold the moderators' in-scope updates (oldest first) into what the advice uses."""
    if not updates:
        return _NO_UPDATES
    state = _State()
    for u in sorted(updates, key=lambda u: u.id):
        scope = "all servers" if u.guild_id is None else "this server"
        who = f"{u.author_name} ({scope})"
        if u.kind == UpdateKind.PACT and u.party:
            aside = tuple(u.payload.get("standing_aside", ()))
            state.pact = (Pact(u.party, aside, u.payload.get("name", "Local pact"),
                               notes=u.payload.get("reason", "")), f"posted by {who}")
        elif u.kind == UpdateKind.PACT_END:
            state.pact = None
        elif u.kind == UpdateKind.WITHDRAW and u.party:
            state.withdrawn.add(u.party)
        elif u.kind == UpdateKind.CANDIDATE and u.party:
            state.declared.append((u.party, u.payload.get("name", "")))
            state.withdrawn.discard(u.party)
        elif u.kind == UpdateKind.NOTE:
            state.notes.append(Note(u.payload.get("text", ""), u.author_name, u.created_at,
                                    scope))
        elif u.kind == UpdateKind.OVERRIDE and u.party:
            state.override = Override(u.party, u.payload.get("party_name", u.party),
                                      u.payload.get("reason", ""), u.author_name, u.created_at,
                                      scope)
        elif u.kind == UpdateKind.BYELECTION:
            posted = _contest_from_update(record.seat, u, parties)
            # by polling day, not by when it was posted: a late entry of an older result
            # never displaces a newer one
            if state.byelection is None or posted.date >= state.byelection.date:
                state.byelection = posted
    published = record.latest if record.latest is not record.general else None
    if state.byelection and published and published.date > state.byelection.date:
        state.byelection = None  # the published by-election is the newer word
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


@dataclass(slots=True)
class _Analysis:
    verdict: Verdict
    headline: str
    label: str  # a short phrase: "Labour", "too close to call (Lab/LD)", ...
    rows: tuple[Row, ...]
    recommended: Row | None
    next_bloc: Row | None
    opponent: Row | None
    margin_to_opponent: float | None
    margin_to_next_bloc: float | None
    reasons: tuple[str, ...]
    best_placed: Row | None = None


def _analyse(contest: Contest, options: AdviceOptions, state: _State, opp_name: str
             ) -> _Analysis:
    if state is _NO_UPDATES:
        rows = _plain_rows(contest, options)
    else:
        aside = set(state.pact[0].standing_aside) if state.pact else set()
        declared = dict(state.declared)
        out = state.withdrawn | aside
        rows = (tuple(_row(c, options, out, declared) for c in contest.candidates)
                if out or declared else _plain_rows(contest, options))
    opponent = next((r for r in rows if r.is_opponent), None)
    bloc = [r for r in rows if r.in_bloc and r.standing]
    rec = bloc[0] if bloc else None
    nxt = bloc[1] if len(bloc) > 1 else None
    m_opp, m_next = _margins(rec, nxt, opponent)
    # the strongest party standing against the opponent, backed by this server or not
    challenger = next((r for r in rows if r.standing and not r.is_opponent), None)

    def analysis(verdict: Verdict, headline: str, label: str, *reasons: str,
                 best: Row | None = None) -> _Analysis:
        return _Analysis(verdict, headline, label, rows, rec, nxt, opponent, m_opp, m_next,
                         reasons, best)

    if opponent is None:
        said = [f"No {opp_name} candidate stood here at the {contest.election_name}, so that "
                "result gives no tactical steer."]
        if challenger:
            said.append(f"The strongest there was {_who(challenger)} with "
                        f"{pts(challenger.share)}"
                        + (f"; of the parties this server backs, {_who(rec)} had "
                           f"{pts(rec.share)}." if rec and rec is not challenger else "."))
        said.append(f"If {opp_name} stands next time, check back once candidates are "
                    "declared.")
        return analysis("no-opponent", " ".join(said), "no tactical vote needed",
                        f"{opp_name} did not stand at the {contest.election_name}.")
    if rec is None:
        strongest = (f" The strongest challenger to {opp_name} was {_who(challenger)} with "
                     f"{pts(challenger.share)}." if challenger else "")
        return analysis(Verdict.NO_BLOC_CANDIDATE,
                        f"None of the parties this server backs stood here at the "
                        f"{contest.election_name}.{strongest}", "no candidate to back",
                        best=challenger)
    reasons = [f"At the {contest.election_name}, {rec.party_name} had {pts(rec.share)} "
               f"({rec.votes:,} votes) and {opponent.party_name} {pts(opponent.share)} "
               f"({opponent.votes:,})."]
    opp_position = next(i for i, r in enumerate(rows, 1) if r is opponent)
    if opp_position >= 3 and rows[0].share - opponent.share > OUT_OF_CONTENTION_POINTS / 100:
        return analysis(Verdict.NOT_IN_CONTENTION,
                        f"{opponent.party_name} came {_ordinal(opp_position)}, "
                        f"{_gap(rows[0], opponent)} behind the winner: no tactical vote is "
                        "needed here. Vote for whoever you prefer.",
                        "no tactical vote needed", *reasons)
    # a party the server does not back is the real challenger: the opponent beat the
    # bloc's best, and that party finished well clear of it (Boston and Skegness against
    # Reform: the Conservatives second with 33.4%, Labour 18.9%)
    if challenger is not None and challenger is not rec and not challenger.in_bloc \
            and opponent.share > rec.share \
            and challenger.share - rec.share >= CLOSE_POINTS / 100:
        return analysis(Verdict.OUTSIDE_BLOC,
                        f"{_who(challenger)} is best placed to beat {opponent.party_name} "
                        f"here ({pts(challenger.share)}), but it is not one of the parties "
                        f"this server backs. Of those, {_who(rec)} was strongest with "
                        f"{pts(rec.share)}, {_gap(challenger, rec)} behind.",
                        f"a party you don't back ({challenger.party_name})",
                        *reasons, best=challenger)
    if nxt is not None and m_next is not None and m_next < CLOSE_POINTS / 100:
        return analysis(Verdict.CLOSE,
                        f"Too close to call between {rec.party_name} ({pts(rec.share)}) and "
                        f"{nxt.party_name} ({pts(nxt.share)}): {rec.party_name} is only "
                        f"{_gap(rec, nxt)} ahead. Watch for local pacts and polls.",
                        f"too close to call ({rec.party}/{nxt.party})", *reasons)
    if nxt is not None:
        reasons.append(f"At the {contest.election_name}, {rec.party_name} was "
                       f"{_gap(rec, nxt)} ahead of {nxt.party_name}, {NEXT_PARTY}")
    if rec.share > opponent.share:
        gap = f"it beat {opponent.party_name} by {_gap(rec, opponent)}"
    elif rec.votes == opponent.votes:
        gap = f"it tied with {opponent.party_name}"
    else:
        gap = f"it needs {_gap(rec, opponent)} more to overtake {opponent.party_name}"
    return analysis(Verdict.CLEAR, f"Vote {_who(rec)}: the best-placed to beat "
                             f"{opponent.party_name}; {gap}.", rec.party_name, *reasons)


def _who(r: Row) -> str:
    return r.party_name + (f" ({r.candidate})" if r.candidate else "")


# (id of a result) -> (the result, {options: its rows}); the result is held, so its id
# cannot be reused while the entry lives (hashing a whole result costs more than the rows)
_PLAIN_ROWS: dict[int, tuple[Contest, dict[AdviceOptions, tuple[Row, ...]]]] = {}
_PLAIN_ROWS_KEPT = 4096


def _plain_rows(contest: Contest, options: AdviceOptions) -> tuple[Row, ...]:
    """A result's rows where the moderators changed nothing: the same for every server
    with these options, so worked out once (Rows are never changed once made)."""
    entry = _PLAIN_ROWS.get(id(contest))
    if entry is None or entry[0] is not contest:
        if len(_PLAIN_ROWS) >= _PLAIN_ROWS_KEPT:
            _PLAIN_ROWS.clear()
        entry = _PLAIN_ROWS[id(contest)] = (contest, {})
    rows = entry[1].get(options)
    if rows is None:
        rows = entry[1][options] = tuple(_row(c, options, set()) for c in contest.candidates)
    return rows


def _row(c: CandidateResult, options: AdviceOptions, out: set[str],
         declared: dict[str, str] | None = None) -> Row:
    # an independent joins a named bloc only where they won or came second
    party, opponents, bloc = c.party, members(options.opponent), options.bloc
    in_bloc = (party not in opponents and (bloc is None or party in bloc)) or (
        party == INDEPENDENT and c.position <= 2 and INDEPENDENT not in opponents)
    name = (declared or {}).get(c.party)
    candidate, previous = (name, c.candidate) if name and name != c.candidate else (
        c.candidate, None)
    return Row(c.party, c.party_name, candidate, c.votes, c.share, in_bloc,
               c.party in opponents, c.party not in out, previous)


def _ordinal(n: int) -> str:
    """A place below second (the only places said in words)."""
    return {3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")
