"""The built-in strategies: cross-venue complements and single-venue complete sets.

Both reduce to :func:`arbkit.scan.pricing.price_pair` on a pair of complementary contracts; they
differ only in where the pairs come from. Pairs are derived once per game and cached.
"""

from __future__ import annotations

from collections.abc import Iterator

from arbkit.models import Contract, MatchResult, Opportunity, Relation
from arbkit.scan.pricing import price_pair
from arbkit.strategy import GameState, Strategy


def can_end_level(match: MatchResult) -> bool:
    """Whether the game can end level (tie, draw): "A wins" and "B wins" are then no complements.

    The fact comes from the league data (``can_tie``) on the match result; a result that does not
    carry it is taken to be able to end level, which only ever drops pairs, never adds one.
    """
    return True if match.can_end_level is None else match.can_end_level


Pair = tuple[Contract, Contract, float, tuple[str, ...]]


class PairStrategy(Strategy):
    """A strategy that prices pairs of complementary contracts; subclasses say which pairs."""

    def evaluate(self, game: GameState) -> list[Opportunity]:
        pairs: list[Pair] | None = game.cache.get(self.name)  # type: ignore[assignment]
        if pairs is None:
            pairs = game.cache[self.name] = list(self._pairs(game))
        # A book update changes one contract: a pair whose two books are the very objects it was
        # priced on last time keeps its previous answer instead of walking the books again.
        memo: dict[int, tuple[object, object, Opportunity | None]]
        memo = game.cache.setdefault(self.name + ":memo", {})  # type: ignore[assignment]
        found = []
        for index, (first, second, confidence, reasons) in enumerate(pairs):
            book_a = game.usable_book(first.contract_id)
            book_b = game.usable_book(second.contract_id)
            last = memo.get(index)
            unchanged = last is not None and last[0] is book_a and last[1] is book_b
            if unchanged and book_a is not None and self.settings.max_book_age_seconds is None:
                opportunity = last[2]  # type: ignore[index]
            else:
                opportunity = price_pair(
                    game,
                    first,
                    second,
                    self.settings,
                    strategy=self.name,
                    confidence=confidence,
                    reasons=reasons,
                )
                memo[index] = (book_a, book_b, opportunity)
            if opportunity is not None:
                found.append(opportunity)
        return found

    def _pairs(self, game: GameState) -> Iterator[Pair]:
        """Every (contract, complement, confidence, reasons) to price; computed once per game."""
        raise NotImplementedError


class CrossVenue(PairStrategy):
    """Buy a claim on one venue and its exact complement on another.

    Pairs come from the matcher's contract links: a Polymarket token that is the *same* as a
    Kalshi YES is paired with that market's NO, and the token's complement with the YES; an
    *opposite* link pairs the other way round. In leagues with ties only pairs that are true
    complements in a tie (a claim and its own negation) are used.
    """

    name = "cross_venue"
    description = "Complementary contracts of one game bought on two venues for less than $1."

    def _pairs(self, game: GameState) -> Iterator[Pair]:
        seen: set[frozenset[str]] = set()
        ties = can_end_level(game.match)
        for link in game.match.links:
            left, right = link.left, link.right
            left_other = game.contracts.get(left.complement_id or "")
            right_other = game.contracts.get(right.complement_id or "")
            if link.relation is Relation.SAME:
                candidates = [(left, right_other), (left_other, right)]
            else:
                candidates = [(left, right), (left_other, right_other)]
            for first, second in candidates:
                if first is None or second is None or first.venue == second.venue:
                    continue
                key = frozenset((first.contract_id, second.contract_id))
                if key in seen:
                    continue
                seen.add(key)
                own_negation = first.negated != second.negated
                if ties and not own_negation:
                    continue
                reasons = (
                    f"match {link.relation.value} ({link.confidence:.2f}): "
                    + "; ".join(link.reasons[:3]),
                    f"{first.venue} '{first.outcome}' + {second.venue} '{second.outcome}' "
                    "pay exactly $1 together",
                )
                yield first, second, link.confidence, reasons


class CompleteSet(PairStrategy):
    """Buy every outcome of one market on one venue for less than $1 after fees."""

    name = "complete_set"
    description = "Both outcomes of one market on one venue bought for less than $1."

    def _pairs(self, game: GameState) -> Iterator[Pair]:
        ties = can_end_level(game.match)
        for market in game.match.markets:
            tokens = [c for c in market.contracts if not c.negated]
            if ties and {c.outcome.lower() for c in market.contracts} != {"yes", "no"}:
                continue  # "A wins" + "B wins" pays nothing on a draw: only Yes + No is a set
            if len(market.contracts) != 2 or len(tokens) != 2:
                continue  # a Kalshi YES/NO pair is one book seen from both sides: no set to buy
            first, second = market.contracts
            if first.complement_id != second.contract_id:
                continue
            reasons = (f"{market.venue} {market.market_id}: the two outcomes pay exactly $1",)
            yield first, second, 1.0, reasons
