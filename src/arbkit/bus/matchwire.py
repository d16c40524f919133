"""Markets and match reports as JSON for the bus, exactly: decimals and times as strings.

A request carries whole markets (what the matcher reads); the answer names markets and
contracts by their place in the request, so the caller gets back a report made of its own
``Market`` and ``Contract`` objects — equal to what a local :class:`MatchingService` returns for
the same batch, and still carrying their ``raw`` payloads, which never cross the bus (nothing
outside a venue plugin reads them). Markets cross in the bus codec's form
(:mod:`arbkit.bus.codec`): a fee model as its attrs class and fields, rebuilt only from arbkit
or an installed venue plugin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from arbkit.bus.codec import Codec
from arbkit.bus.wire import BusError
from arbkit.matching.report import MatchReport, NearMiss
from arbkit.models import Contract, ContractLink, Market, MatchResult, Relation

Json = dict[str, Any]
#: writing needs no allow-list (only reading builds classes)
_WRITER = Codec()


# -- markets -----------------------------------------------------------------------------------


def market_to_json(market: Market, codec: Codec | None = None) -> Any:
    """Every field but ``raw`` (the bus codec's form: decimals and times as strings)."""
    return (codec or _WRITER).dump(market)


def market_from_json(data: Any, codec: Codec) -> Market:
    """A market ``market_to_json`` wrote; ``codec`` says which plugins' fee classes may load."""
    market = codec.load(data)
    if not isinstance(market, Market):
        raise BusError(f"a market was expected on the bus, not {type(market).__name__}")
    return market


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _read_day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _read_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# -- match reports -----------------------------------------------------------------------------


class _Refs:
    """Where each market and contract of a request sits: the answer names them by place."""

    def __init__(self, markets: Sequence[Market], codec: Codec | None = None) -> None:
        self.codec = codec or _WRITER
        self.markets = list(markets)
        self.market_at = {id(m): i for i, m in enumerate(self.markets)}
        self.contract_at = {
            id(c): (i, j) for i, m in enumerate(self.markets) for j, c in enumerate(m.contracts)
        }

    def market(self, market: Market) -> Any:
        at = self.market_at.get(id(market))
        return at if at is not None else {"market": market_to_json(market)}

    def contract(self, contract: Contract) -> Any:
        at = self.contract_at.get(id(contract))
        return list(at) if at is not None else {"contract": self.codec.dump(contract)}

    def read_market(self, ref: Any) -> Market:
        if isinstance(ref, int):
            return self.markets[ref]
        return market_from_json(ref["market"], self.codec)

    def read_contract(self, ref: Any) -> Contract:
        if isinstance(ref, list):
            return self.markets[ref[0]].contracts[ref[1]]
        contract = self.codec.load(ref["contract"])
        if not isinstance(contract, Contract):
            raise BusError("a contract was expected on the bus")
        return contract


def _link_to_json(link: ContractLink, refs: _Refs) -> Json:
    return {
        "left": refs.contract(link.left),
        "right": refs.contract(link.right),
        "relation": link.relation.value,
        "confidence": link.confidence,
        "reasons": list(link.reasons),
    }


def _result_to_json(result: MatchResult, refs: _Refs) -> Json:
    return {
        "game_id": result.game_id,
        "league": result.league,
        "game_date": _day(result.game_date),
        "start_time": _time(result.start_time),
        "title": result.title,
        "markets": [refs.market(m) for m in result.markets],
        "links": [_link_to_json(link, refs) for link in result.links],
        "confidence": result.confidence,
        "reasons": list(result.reasons),
        "can_end_level": result.can_end_level,
    }


def _near_to_json(near: NearMiss) -> Json:
    data = attrs.asdict(near, recurse=False)
    data["game_date"] = _day(near.game_date)
    data["reasons"] = list(near.reasons)
    return data


def report_to_json(report: MatchReport, markets: Sequence[Market]) -> Json:
    """``report`` (the answer for ``markets``), naming the request's markets by place."""
    refs = _Refs(markets)
    return {
        "matches": [_result_to_json(r, refs) for r in report.matches],
        "near_misses": [_near_to_json(n) for n in report.near_misses],
        "skipped": [list(s) for s in report.skipped],
    }


def report_from_json(
    data: Mapping[str, Any], markets: Sequence[Market], codec: Codec | None = None
) -> MatchReport:
    """The report ``report_to_json`` wrote, made of the caller's own ``markets`` (``codec``
    reads anything the answer had to spell out in full: never needed by the built-in matcher)."""
    refs = _Refs(markets, codec)
    try:
        matches = [
            MatchResult(
                game_id=r["game_id"],
                league=r["league"],
                game_date=_read_day(r["game_date"]),
                start_time=_read_time(r["start_time"]),
                title=r["title"],
                markets=tuple(refs.read_market(m) for m in r["markets"]),
                links=tuple(
                    ContractLink(
                        left=refs.read_contract(link["left"]),
                        right=refs.read_contract(link["right"]),
                        relation=Relation(link["relation"]),
                        confidence=link["confidence"],
                        reasons=tuple(link["reasons"]),
                    )
                    for link in r["links"]
                ),
                confidence=r["confidence"],
                reasons=tuple(r["reasons"]),
                can_end_level=r["can_end_level"],
            )
            for r in data["matches"]
        ]
        near = [
            NearMiss(
                **{**n, "game_date": _read_day(n["game_date"]), "reasons": tuple(n["reasons"])}
            )
            for n in data["near_misses"]
        ]
        skipped = [(str(v), str(m), str(why)) for v, m, why in data["skipped"]]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise BusError(
            f"a match answer on the bus could not be read ({type(exc).__name__}: {exc})"
        ) from None
    return MatchReport(matches=matches, near_misses=near, skipped=skipped)
