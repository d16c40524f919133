"""Kalshi's settlement signals → :class:`arbkit.models.Settlement`.

A market object after settlement (status ``finalized``, with ``result`` and
``settlement_value_dollars``) and the ``market_lifecycle_v2`` websocket message say a market is
paid. YES pays the settlement value (1 for "yes", 0 for "no"), NO pays 1 minus it; a value
strictly between 0 and 1 is a settlement "at a fair price" (a cancelled game) and is marked
``void``. Kalshi's ``determined`` state is not final (the result can be disputed and amended
before the settlement timer ends), so only ``finalized`` objects and ``settled`` messages count.
A ``void`` result returns every position at its own cost: no per-contract payout exists, so it
is logged and left for a person rather than paid at a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from arbkit import BadResponse, Settlement, from_epoch_ms, parse_optional_timestamp, to_decimal
from arbkit_kalshi.parse import VENUE, _unwrap, short

log = logging.getLogger(__name__)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
#: Market statuses after which the payout is final (``settled`` is the list filter's word).
FINAL_STATUSES = frozenset({"finalized", "settled"})
#: What a wrongly typed field raises deep in a parser.
_TYPE_ERRORS = (TypeError, AttributeError, ValueError, LookupError, ArithmeticError)


def yes_payout(result: Any, value: Any, *, cents: bool = False) -> Decimal | None:
    """What one YES contract pays, from a ``result`` and a settlement value (either may be
    missing); None when neither says. ``cents``: an integer ``value`` is legacy cents.

    Raises:
        BadResponse: the two disagree, the value is outside [0, 1], or the result is unknown.
    """
    by_result = {"yes": ONE, "no": ZERO}.get(result) if isinstance(result, str) else None
    if result not in (None, "", "yes", "no", "scalar"):
        raise BadResponse(f"result {short(result)} pays no known amount", venue=VENUE)
    paid = None
    if value not in (None, ""):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise BadResponse(f"settlement value {short(value)} is not a number", venue=VENUE)
        paid = Decimal(value) / HUNDRED if cents and isinstance(value, int) else to_decimal(value)
        if not (paid.is_finite() and ZERO <= paid <= ONE):
            raise BadResponse(f"settlement value {short(value)} outside [0, 1]", venue=VENUE)
    if paid is not None and by_result is not None and paid != by_result:
        raise BadResponse(f"result {result} but settlement value {paid}", venue=VENUE)
    return paid if paid is not None else by_result


def settlement(
    ticker: str, yes: Decimal, settled_at: datetime | None, raw: Mapping[str, Any]
) -> Settlement:
    """The Settlement of market ``ticker`` whose YES pays ``yes`` (NO pays the rest)."""
    return Settlement(
        venue=VENUE,
        market_id=ticker,
        payouts={f"{ticker}:yes": yes, f"{ticker}:no": ONE - yes},
        settled_at=settled_at,
        void=ZERO < yes < ONE,
        raw=raw,
    )


def parse_settlements(objects: Iterable[Any]) -> list[Settlement]:
    """Settled market objects (any shape ``parse_markets`` reads) → one Settlement each.

    A market that is not final (``active``, ``closed``, ``determined``...) is skipped quietly;
    a malformed one, or a ``void`` one, with a warning.
    """
    found: list[Settlement] = []
    for obj in objects:
        try:
            _, markets = _unwrap(obj)
        except BadResponse as exc:
            log.warning("kalshi settlement: skipping an object: %s", exc)
            continue
        for market in markets:
            parsed = settlement_from_market(market)
            if parsed is not None:
                found.append(parsed)
    return found


def settlement_from_market(market: Any) -> Settlement | None:
    """One market object → its Settlement, or None (not final, void or unreadable: logged)."""
    if not isinstance(market, Mapping) or not isinstance(market.get("ticker"), str):
        log.warning("kalshi settlement: skipping %s: not a market with a ticker", short(market))
        return None
    ticker = market["ticker"]
    status = market.get("status")
    if status is not None and status not in FINAL_STATUSES:
        log.debug("kalshi settlement: %s status %s is not final", ticker, short(status))
        return None
    result = market.get("result")
    if result == "void":
        log.warning(
            "kalshi settlement: %s is void (positions returned at their cost): "
            "no per-contract payout, left for a person to reconcile",
            ticker,
        )
        return None
    try:
        yes = yes_payout(result, market.get("settlement_value_dollars"))
    except (BadResponse, *_TYPE_ERRORS) as exc:
        log.warning("kalshi settlement: skipping %s: %s", ticker, exc)
        return None
    if yes is None:
        log.debug("kalshi settlement: %s has no result yet", ticker)
        return None
    stamp = market.get("settlement_ts")
    settled_at = parse_optional_timestamp(stamp)
    if settled_at is None and stamp not in (None, ""):
        log.warning("kalshi settlement: %s: unreadable settlement_ts %s", ticker, short(stamp))
    return settlement(ticker, yes, settled_at, market)


def epoch_seconds(value: Any) -> datetime | None:
    """A websocket ``*_ts`` (epoch seconds, an integer); None when absent.

    Raises:
        BadResponse: present but not an integer.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadResponse(f"timestamp {short(value)} is not integer epoch seconds", venue=VENUE)
    return from_epoch_ms(value * 1000)
