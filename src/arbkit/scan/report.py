"""Opportunities as plain data: the JSON shape of ``arbkit scan --json`` and of the database rows.

Every decimal is a string, so a reader recomputes the figures exactly: a leg costs
``notional + fee`` (both venues charge buy fees in cash on top), ``cost`` is the sum of the legs'
costs, ``payout`` is the contracts bought on every leg (the same on each), and
``expected_profit = payout - cost`` and ``net_edge = expected_profit / size``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arbkit.models import Leg, Opportunity
from arbkit.money import format_decimal

#: Averages and edges are shown to 6 places; exact figures are the notional, fee, cost and payout.
_PRICE_PLACES = Decimal("0.000001")
_EDGE_PLACES = Decimal("0.000001")


def leg_to_dict(leg: Leg) -> dict[str, Any]:
    return {
        "venue": leg.venue,
        "market": leg.market_id,
        "contract": leg.contract_id,
        "outcome": leg.outcome,
        "side": leg.side.value,
        "price": format_decimal(leg.price.quantize(_PRICE_PLACES) if leg.size else leg.price),
        "size": format_decimal(leg.size),
        "fee": format_decimal(leg.fee),
        "notional": format_decimal(leg.notional),
        "worst_price": format_decimal(leg.worst_price),
    }


def opportunity_to_dict(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "strategy": opportunity.strategy,
        "game": {
            "id": opportunity.game_id,
            "league": opportunity.league,
            "start_time": opportunity.start_time.isoformat() if opportunity.start_time else None,
            "title": opportunity.title,
        },
        "legs": [leg_to_dict(leg) for leg in opportunity.legs],
        "cost": format_decimal(opportunity.cost),
        "payout": format_decimal(opportunity.payout),
        "gross_edge": format_decimal(opportunity.gross_edge.quantize(_EDGE_PLACES)),
        "net_edge": format_decimal(opportunity.net_edge.quantize(_EDGE_PLACES)),
        "size": format_decimal(opportunity.size),
        "expected_profit": format_decimal(opportunity.expected_profit),
        "confidence": round(opportunity.confidence, 4),
        "reasons": list(opportunity.reasons),
        "detected_at": opportunity.detected_at.isoformat() if opportunity.detected_at else None,
    }
