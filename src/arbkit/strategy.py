"""The strategy contract: look at one matched game's books, report opportunities.

A strategy is a class registered through ``register_strategies``. The scanner builds one
instance per run with the user's :class:`StrategySettings` and calls :meth:`Strategy.evaluate`
on every book update of a game, so ``evaluate`` must be fast and must not do I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from attrs import define, evolve, field, frozen

from arbkit.fees import FeeModel
from arbkit.models import Contract, Market, MatchResult, Opportunity, OrderBook


@frozen(kw_only=True)
class StrategySettings:
    """User limits every strategy honours.

    There is no confidence threshold here: the engine's one ``min_confidence`` is applied by the
    matcher, so a strategy only ever sees links that passed it.
    """

    min_edge: Decimal = Decimal("0")  #: minimum net edge per contract, in dollars
    max_size: Decimal | None = None  #: cap on contracts per opportunity
    max_book_age_seconds: float | None = None  #: ignore books older than this (None: no limit)


@define
class GameState:
    """What a shard knows about one matched game: its markets and the latest book per contract.

    ``suspect`` holds contract ids whose stream continuity is in doubt; strategies must not use
    their books (the scanner also skips evaluation, this is the second lock).
    """

    match: MatchResult
    contracts: dict[str, Contract] = field(factory=dict)
    markets: dict[str, Market] = field(factory=dict)  #: by contract id
    books: dict[str, OrderBook] = field(factory=dict)  #: by contract id
    suspect: set[str] = field(factory=set)
    now: datetime | None = None
    #: per-strategy precomputation for this game (e.g. its contract pairs), keyed by strategy name
    cache: dict[str, object] = field(factory=dict)

    @classmethod
    def for_match(cls, match: MatchResult) -> GameState:
        state = cls(match=match)
        for market in match.markets:
            for contract in market.contracts:
                state.contracts[contract.contract_id] = contract
                state.markets[contract.contract_id] = market
        return state

    def replace_fees(self, venue: str, market_ids: Collection[str], fees: FeeModel) -> bool:
        """Swap the fee model of this game's markets named ``market_ids`` on ``venue``.

        Returns whether anything changed; cached prices are then forgotten, since every
        strategy's memo was priced on the old fees.
        """
        changed = False
        for contract_id, market in self.markets.items():
            if market.venue == venue and market.market_id in market_ids and market.fees != fees:
                self.markets[contract_id] = evolve(market, fees=fees)
                changed = True
        if changed:
            for key in [k for k in self.cache if k.endswith(":memo")]:
                del self.cache[key]
        return changed

    def usable_book(self, contract_id: str) -> OrderBook | None:
        """The contract's book if it exists and its continuity is not in doubt."""
        if contract_id in self.suspect:
            return None
        book = self.books.get(contract_id)
        if book is None or not book.continuous:
            return None
        return book


class Strategy:
    """Base class of strategy plugins."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, settings: StrategySettings | None = None) -> None:
        self.settings = settings or StrategySettings()

    def evaluate(self, game: GameState) -> list[Opportunity]:
        """Every opportunity visible in ``game`` right now (empty when none)."""
        raise NotImplementedError


BookMap = Mapping[str, OrderBook]
