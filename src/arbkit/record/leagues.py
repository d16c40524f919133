"""Keeping one league's part of a recording, without reading any venue's JSON by field name.

The venue's own parser says which league each recorded event or market belongs to and which
ids (market, event, contract) it has. Every other payload — books, settlements, stream
messages — is kept when it names one of the kept ids, dropped when it names only ids of other
leagues' markets, and kept when it names no known id at all (series, subscription answers).
Dropping another league's stream message is what the venue's decoder would do with it anyway:
it follows only the markets it was built for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from arbkit.models import Market

log = logging.getLogger(__name__)

#: The snapshot kinds the venue parser reads markets from.
MARKET_KINDS = ("events", "markets")


def market_ids(market: Market) -> set[str]:
    """Every id a payload about ``market`` may name."""
    return {market.market_id, market.event_id, *(c.contract_id for c in market.contracts)}


def strings(value: Any) -> Iterator[str]:
    """Every string value inside a JSON value (not object keys), iteratively."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


class LeagueFilter:
    """Which recorded items belong to ``leagues`` (upper-case codes), venue by venue."""

    def __init__(self, leagues: Iterable[str], venue_classes: Mapping[str, Any]) -> None:
        self.leagues = frozenset(code.upper() for code in leagues)
        self.classes = venue_classes
        self.kept: dict[str, set[str]] = {}
        self.known: dict[str, set[str]] = {}

    def markets(self, venue: str, items: Sequence[Any]) -> list[Any]:
        """The event/market objects of ``venue`` with a market in the leagues; learns their ids."""
        kept_ids = self.kept.setdefault(venue, set())
        known_ids = self.known.setdefault(venue, set())
        cls = self.classes.get(venue)
        kept = []
        for item in items:
            try:
                found = cls.parse_markets([item]) if cls is not None else []
            except Exception as exc:  # noqa: BLE001 - the replay reports it; here: keep it
                log.warning("%s: a recorded object the parser refuses is kept: %s", venue, exc)
                kept.append(item)
                continue
            ours = [m for m in found if m.league in self.leagues]
            for market in found:
                known_ids.update(market_ids(market))
            if ours:
                kept.append(item)
                for market in ours:
                    kept_ids.update(market_ids(market))
        return kept

    def keeps(self, venue: str, payload: Any) -> bool:
        """Whether any other payload of ``venue`` belongs in the export."""
        kept = self.kept.get(venue, set())
        known = self.known.get(venue, set())
        named_known = False
        for text in strings(payload):
            if text in kept:
                return True
            named_known = named_known or text in known
        return not named_known

    def keeps_key(self, venue: str, key: str) -> bool:
        """Whether an entry of a JSON-object file (``orderbooks.json``: by ticker) belongs."""
        return key in self.kept.get(venue, set()) or key not in self.known.get(venue, set())
