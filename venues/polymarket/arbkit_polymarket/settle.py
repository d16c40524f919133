"""Polymarket's settlement signals → :class:`arbkit.models.Settlement`.

Two sources say a market is over: a Gamma market object after resolution (``closed`` with final
``outcomePrices``, each "0" or "1", or "0.5"/"0.5" for a 50-50 void) and the market channel's
``market_resolved`` message (``custom_feature_enabled``). Anything short of final (an open
market, a closed one whose prices read "0.9995", a UMA status other than "resolved") is skipped:
a position then stays open until a final word arrives, never paid on a guess. Malformed objects
are logged and skipped, never raised, so one bad record cannot stop the others settling.

Payouts are keyed by the token ids the market parser uses (``clobTokenIds`` for Gamma ``"v1"``
markets, ``positionIds`` for ``"v2"``), so they name the contracts positions hold.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from arbkit import BadResponse, Market, Settlement, from_epoch_ms, parse_optional_timestamp
from arbkit_polymarket.parse import VENUE, json_list, parse_contracts, version_problem

log = logging.getLogger(__name__)

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")
#: Gamma's time of the final word, most telling first. ``endDate`` is not one: for a game it
#: is about the scheduled start, not the resolution.
SETTLED_AT_FIELDS = ("closedTime", "umaEndDate")
#: What a wrongly typed Gamma field raises deep in a parser.
_TYPE_ERRORS = (TypeError, AttributeError, ValueError, LookupError, ArithmeticError)


def parse_settlements(objects: Iterable[Any]) -> list[Settlement]:
    """Resolved Gamma market objects (or events nesting them) → one Settlement per final market.

    Markets that are not final are skipped silently (logged at debug level); malformed ones are
    skipped with a warning.
    """
    settlements: list[Settlement] = []
    for obj in objects:
        if not isinstance(obj, Mapping):
            log.warning("polymarket settlement: skipping a %s, not a Gamma object", _kind(obj))
            continue
        nested = obj.get("markets") if "markets" in obj else None
        markets = nested if isinstance(nested, list) else [obj]
        if "markets" in obj and not isinstance(nested, list):
            slug = obj.get("slug")
            log.warning("polymarket settlement: event %.60r: markets is not a list", slug)
            continue
        for market in markets:
            settlement = settlement_from_gamma(market)
            if settlement is not None:
                settlements.append(settlement)
    return settlements


def settlement_from_gamma(market: Any) -> Settlement | None:
    """One Gamma market → its Settlement, or None (not final, or unreadable: logged)."""
    if not isinstance(market, Mapping):
        log.warning("polymarket settlement: skipping a %s, not a market object", _kind(market))
        return None
    slug = market.get("slug")
    if not isinstance(slug, str) or not slug:
        log.warning(
            "polymarket settlement: skipping a market without a slug (id %.40r)", market.get("id")
        )
        return None
    try:
        return _settlement(market, slug)
    except (BadResponse, *_TYPE_ERRORS) as exc:
        log.warning("polymarket settlement: skipping market %s: %s", slug, exc)
        return None


def _settlement(market: Mapping[str, Any], slug: str) -> Settlement | None:
    if market.get("closed") is not True:
        log.debug("polymarket settlement: %s is not closed", slug)
        return None
    status = market.get("umaResolutionStatus")
    if status not in (None, "", "resolved"):
        log.debug("polymarket settlement: %s UMA status %r is not final", slug, status)
        return None
    problem = version_problem(market)
    if problem:
        raise BadResponse(problem, venue=VENUE)
    tokens = [c.contract_id for c in parse_contracts(market, slug)]
    prices = [_price(p) for p in json_list(market.get("outcomePrices"), "outcomePrices")]
    if len(prices) != len(tokens):
        raise BadResponse(f"{len(prices)} outcomePrices for {len(tokens)} tokens", venue=VENUE)
    void = len(prices) == 2 and prices == [HALF, HALF]
    won = prices.count(ONE) == 1 and prices.count(ZERO) == len(prices) - 1
    if not (void or won):
        log.debug("polymarket settlement: %s prices %s are not final", slug, prices)
        return None
    return Settlement(
        venue=VENUE,
        market_id=slug,
        payouts=dict(zip(tokens, prices, strict=True)),
        settled_at=_settled_at(market, slug),
        void=void,
        raw=market,
    )


def _price(value: Any) -> Decimal:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"outcome price {value!r:.40} is not a decimal string")
    price = Decimal(str(value))
    if not price.is_finite():
        raise ValueError(f"outcome price {value!r:.40} is not finite")
    return price


def _settled_at(market: Mapping[str, Any], slug: str) -> datetime | None:
    """The first readable time field; an unreadable one is logged (the settlement then plays
    at the end of a replay rather than at a made-up time)."""
    for key in SETTLED_AT_FIELDS:
        value = market.get(key)
        if value in (None, ""):
            continue
        moment = parse_optional_timestamp(value)
        if moment is not None:
            return moment
        log.warning("polymarket settlement: %s: unreadable %s %.40r", slug, key, value)
    return None


def settlement_from_resolved(message: Mapping[str, Any], market: Market) -> Settlement | None:
    """A ``market_resolved`` message about ``market`` → its Settlement (winner 1, others 0).

    Returns None, with a warning, when ``winning_asset_id`` is not one of the market's tokens
    (a 50-50 resolution names no winner: the Gamma object then settles it).
    """
    tokens = [c.contract_id for c in market.contracts]
    winner = message.get("winning_asset_id")
    if not isinstance(winner, str) or winner not in tokens:
        log.warning(
            "polymarket stream: market_resolved for %s names no token of it as winner (%.80r)",
            market.market_id,
            winner,
        )
        return None
    stamp = message.get("timestamp")
    settled_at = None
    if stamp not in (None, ""):
        try:
            settled_at = from_epoch_ms(stamp)
        except (TypeError, ValueError, OverflowError, OSError):
            log.warning("polymarket stream: market_resolved timestamp %.40r unreadable", stamp)
    return Settlement(
        venue=VENUE,
        market_id=market.market_id,
        payouts={token: ONE if token == winner else ZERO for token in tokens},
        settled_at=settled_at,
        raw=message,
    )


def _kind(value: Any) -> str:
    return type(value).__name__
