"""Does a set of legs pay $1 however the game ends, under each venue's own settlement rules?

A strategy pairs contracts that *should* be complements; this check asks the venues. The game's
outcomes are enumerated from the first leg's subject (its team WINS, LOSES, the game ends LEVEL
when the league can tie, or is VOID), each leg is told the outcome as seen from its own subject,
and its venue's ``settlement_payout`` says what one contract pays. A Polymarket NFL token pays
0.5 on a tie where a Kalshi "not T" pays 1; a Kalshi market cancelled "at a fair price" pays an
amount fixed by no rule (unknown, not zero).

Which team a leg's claim is about relative to the first leg is derived, never guessed: from the
match's contract links (relation SAME/OPPOSITE with each side's negation) and from each market's
complementary pair. Legs that no link ties together, or links that contradict one another, are a
mismatch. A draw market's contracts are no team's claim: no venue rule maps them, so they are a
mismatch too unless the two legs are that market's own complementary pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from attrs import frozen

from arbkit.models import Contract, Market, Opportunity, SubjectResult
from arbkit.money import format_decimal
from arbkit.strategy import GameState
from arbkit.venue import Venue

ZERO = Decimal(0)
ONE = Decimal(1)

_SWAP = {
    SubjectResult.WINS: SubjectResult.LOSES,
    SubjectResult.LOSES: SubjectResult.WINS,
    SubjectResult.LEVEL: SubjectResult.LEVEL,
    SubjectResult.VOID: SubjectResult.VOID,
}


@frozen(kw_only=True)
class SettlementCheck:
    """What one contract of each leg pays together, per way the game can end."""

    #: outcome (``wins``/``loses`` from the first leg's subject, ``level``, ``void``) → dollars
    #: paid by one contract of each leg; None where a venue's rule leaves a leg's payout open
    payouts: Mapping[str, Decimal | None]
    #: every known payout is at least $1 (and the legs could be mapped at all)
    pays_in_every_outcome: bool
    unknown: tuple[str, ...]  #: outcomes whose payout no rule fixes (e.g. ``"void"``)
    detail: str  #: one human line


def check_settlement(
    opportunity: Opportunity, game: GameState, venues: Mapping[str, type[Venue]]
) -> SettlementCheck:
    """Check ``opportunity``'s legs against the venues' settlement rules (see module doc)."""
    legs: list[tuple[Contract, Market, type[Venue]]] = []
    for leg in opportunity.legs:
        contract = game.contracts.get(leg.contract_id)
        market = game.markets.get(leg.contract_id)
        if contract is None or market is None:
            return _mismatch(f"{leg.venue} {leg.contract_id} is not a contract of this game")
        rules = venues.get(contract.venue)
        if rules is None:
            return _mismatch(f"no settlement rules for venue {contract.venue!r}")
        legs.append((contract, market, rules))
    if not legs:
        return _mismatch("no legs")
    outcomes = [SubjectResult.WINS, SubjectResult.LOSES]
    if game.match.can_end_level is not False:
        outcomes.append(SubjectResult.LEVEL)
    outcomes.append(SubjectResult.VOID)
    if _one_markets_pair(legs):
        market = legs[0][1]
        return SettlementCheck(
            payouts={o.value: ONE for o in outcomes},
            pays_in_every_outcome=True,
            unknown=(),
            detail=f"{market.venue} {market.market_id}: its two outcomes pay exactly $1 together",
        )
    for contract, market, _ in legs:
        if _is_draw_market(market):
            return _mismatch(
                f"{market.venue} '{contract.outcome}' is a draw market's: no rule maps it to a "
                "team's result"
            )
    same, why = _orientation(game, [contract for contract, _, _ in legs])
    if same is None:
        return _mismatch(why)
    return _evaluate(legs, same, outcomes)


def _evaluate(
    legs: Sequence[tuple[Contract, Market, type[Venue]]],
    same: Sequence[bool],
    outcomes: Sequence[SubjectResult],
) -> SettlementCheck:
    payouts: dict[str, Decimal | None] = {}
    segments: list[str] = []
    short: list[str] = []
    subject = _label(legs[0][0], legs[0][1])
    for outcome in outcomes:
        total: Decimal | None = ZERO
        parts = []
        for (contract, market, rules), same_subject in zip(legs, same, strict=True):
            paid = rules.settlement_payout(
                market, contract, outcome if same_subject else _SWAP[outcome]
            )
            parts.append(
                f"{contract.venue} '{contract.outcome}' pays "
                + ("?" if paid is None else format_decimal(paid))
            )
            total = None if total is None or paid is None else total + paid
        payouts[outcome.value] = total
        team_result = outcome in (SubjectResult.WINS, SubjectResult.LOSES)
        name = f"{subject} {outcome.value}" if team_result else outcome.value
        segment = f"{name}: pays {'?' if total is None else format_decimal(total)} "
        segment += f"({', '.join(parts)})"
        segments.append(segment)
        if total is not None and total < ONE:
            short.append(segment)
    unknown = tuple(name for name, total in payouts.items() if total is None)
    if short:
        return SettlementCheck(
            payouts=payouts,
            pays_in_every_outcome=False,
            unknown=unknown,
            detail="pays less than $1 on " + "; ".join(short),
        )
    return SettlementCheck(
        payouts=payouts, pays_in_every_outcome=True, unknown=unknown, detail="; ".join(segments)
    )


def _mismatch(why: str) -> SettlementCheck:
    return SettlementCheck(payouts={}, pays_in_every_outcome=False, unknown=(), detail=why)


def _one_markets_pair(legs: Sequence[tuple[Contract, Market, type[Venue]]]) -> bool:
    """Two contracts that are one market's complementary pair on one venue."""
    if len(legs) != 2:
        return False
    (a, market_a, _), (b, market_b, _) = legs
    return (
        a.venue == b.venue
        and market_a.market_id == market_b.market_id
        and a.contract_id != b.contract_id
        and (a.complement_id == b.contract_id or b.complement_id == a.contract_id)
    )


def _is_yes_no(market: Market) -> bool:
    return {c.outcome.strip().lower() for c in market.contracts} == {"yes", "no"}


def _is_draw_market(market: Market) -> bool:
    """A market whose claim is "the game ends level" (a soccer TIE/draw market)."""
    if market.identity is not None and market.identity.yes_is_draw:
        return True
    # Kalshi's TIE market names its YES "Tie"; a claim about no team cannot be mapped to one.
    return any(
        (c.subject or "").strip().lower() in ("tie", "draw")
        for c in market.contracts
        if not c.negated
    )


def _label(contract: Contract, market: Market) -> str:
    if _is_yes_no(market):
        yes = market.identity.yes if market.identity is not None else None
        return yes or market.title
    return contract.subject or contract.outcome


def _edges(game: GameState) -> dict[str, list[tuple[str, bool]]]:
    """Contract id → [(other contract id, same subject?)] from links and complements."""
    edges: dict[str, list[tuple[str, bool]]] = {}

    def add(a: Contract, b: Contract, relation_same: bool) -> None:
        market_a, market_b = game.markets.get(a.contract_id), game.markets.get(b.contract_id)
        if market_a is None or market_b is None:
            return
        if _is_draw_market(market_a) or _is_draw_market(market_b):
            return
        negations_differ = a.negated != b.negated
        same = relation_same != negations_differ
        edges.setdefault(a.contract_id, []).append((b.contract_id, same))
        edges.setdefault(b.contract_id, []).append((a.contract_id, same))

    for link in game.match.links:
        left = game.contracts.get(link.left.contract_id)
        right = game.contracts.get(link.right.contract_id)
        if left is not None and right is not None:
            add(left, right, link.relation.value == "same")
    for contract in game.contracts.values():
        other = game.contracts.get(contract.complement_id or "")
        if (
            other is not None
            and other.venue == contract.venue
            and other.market_id == contract.market_id
            and contract.contract_id < other.contract_id  # each pair once
        ):
            # complements pay in opposite outcomes: "relation" OPPOSITE
            add(contract, other, False)
    return edges


def _orientation(game: GameState, contracts: Sequence[Contract]) -> tuple[list[bool] | None, str]:
    """For each contract: is its subject the first contract's subject? None with why if unknown.

    Walks every link and complement reachable from the first contract and refuses a component
    in which two paths disagree: a contradiction means some link is wrong, and we cannot tell
    which.
    """
    edges = _edges(game)
    start = contracts[0].contract_id
    side: dict[str, bool] = {start: True}
    queue = [start]
    while queue:
        current = queue.pop()
        for other, same in edges.get(current, ()):
            expected = side[current] == same
            known = side.get(other)
            if known is None:
                side[other] = expected
                queue.append(other)
            elif known != expected:
                return None, (
                    f"the match's links disagree about which team {other} is about: "
                    "cannot tell the legs' outcomes apart"
                )
    result = []
    for contract in contracts:
        if contract.contract_id not in side:
            return None, (
                f"no link ties {contracts[0].venue} '{contracts[0].outcome}' to "
                f"{contract.venue} '{contract.outcome}': cannot map their outcomes"
            )
        result.append(side[contract.contract_id])
    return result, ""
