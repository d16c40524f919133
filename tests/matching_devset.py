"""The labelled matching dev set as domain Markets, built the way the venue parsers build them.

Records come from ``tests/data/matching/`` (the shared matching-dev set plus the hard negatives
in the ``*_extra.jsonl`` files). Each record becomes a :class:`arbkit.Market` following the
parser conventions (docs/matching.md), so the matcher is tested without the venue plugins.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from arbkit import Contract, Market, MarketType, parse_timestamp

DATA = Path(__file__).parent / "data" / "matching"
_TYPES = {
    "moneyline": MarketType.MONEYLINE,
    "spreads": MarketType.SPREAD,
    "spread": MarketType.SPREAD,
    "totals": MarketType.TOTAL,
    "total": MarketType.TOTAL,
}


def read_jsonl(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def token_id(slug: str, outcome: str) -> str:
    return f"pm:{slug}:{outcome}"


def poly_market(record: dict[str, Any]) -> Market:
    slug = record["key"]
    outcomes = record.get("outcomes") or record.get("outcomes_inferred_from_title") or []
    tokens = [token_id(slug, o) for o in outcomes]
    contracts = tuple(
        Contract(
            venue="polymarket",
            contract_id=tok,
            market_id=slug,
            outcome=out,
            subject=out,
            complement_id=tokens[1 - i] if len(tokens) == 2 else None,
        )
        for i, (tok, out) in enumerate(zip(tokens, outcomes, strict=True))
    )
    league = record.get("league") or ""
    league = "NCAAF" if league.startswith("NCAAF") else league
    start = record.get("event_start_time")
    kind = (record.get("sports_market_type") or "moneyline").split(" ")[0]
    day = (
        record.get("event_date")
        or record.get("slug_date")
        or re.search(r"\d{4}-\d{2}-\d{2}", slug)[0]
    )
    two = len(outcomes) == 2 and kind == "moneyline" or kind == "spreads"
    return Market(
        venue="polymarket",
        market_id=slug,
        event_id=record.get("event_slug", slug),
        title=record.get("question") or record.get("event_title") or slug,
        market_type=_TYPES.get(kind, MarketType.OTHER),
        league=league or None,
        start_time=parse_timestamp(start) if start else None,
        game_date=date.fromisoformat(day),
        away=outcomes[0] if two else None,
        home=outcomes[1] if two else None,
        line=record.get("line"),
        contracts=contracts,
        raw=record,
    )


def kalshi_market(record: dict[str, Any]) -> Market:
    ticker = record["ticker"]
    title = record.get("event_title") or record.get("title") or ""
    core = re.sub(r"^(Game \d+|CFP):\s*", "", title).removesuffix(" Winner?")
    away, _, home = core.partition(" at ")
    yes = record["yes_sub_title"]
    return Market(
        venue="kalshi",
        market_id=ticker,
        event_id=record["event_ticker"],
        title=title,
        market_type=_TYPES[record.get("market_type", "moneyline")],
        league=record.get("league"),
        game_date=date.fromisoformat(record["game_date_from_ticker"]),
        away=away or None,
        home=home or None,
        contracts=(
            Contract(
                venue="kalshi",
                contract_id=f"{ticker}:yes",
                market_id=ticker,
                outcome=yes,
                subject=yes,
                complement_id=f"{ticker}:no",
            ),
            Contract(
                venue="kalshi",
                contract_id=f"{ticker}:no",
                market_id=ticker,
                outcome=f"not {yes}",
                subject=yes,
                negated=True,
                complement_id=f"{ticker}:yes",
            ),
        ),
        raw=record,
    )


def markets() -> list[Market]:
    poly = read_jsonl("markets_polymarket.jsonl") + read_jsonl("markets_polymarket_extra.jsonl")
    kalshi = read_jsonl("markets_kalshi.jsonl") + read_jsonl("markets_kalshi_extra.jsonl")
    return [poly_market(r) for r in poly] + [kalshi_market(r) for r in kalshi]


def pairs() -> list[dict[str, Any]]:
    return read_jsonl("pairs.jsonl") + read_jsonl("pairs_extra.jsonl")
