"""Kalshi payloads → the domain model: series, events, markets and REST order books.

Handles both the current format (``*_dollars`` price strings, ``*_fp`` count strings) and the
pre-2026-03-12 one (integer cents and counts). Which team a market's YES side is about comes from
the market's ``yes_sub_title``; the ticker suffix and the event's ``sub_title`` codes are only a
cross-check (Kalshi says not to parse tickers), logged when they disagree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

from arbkit import (
    BadResponse,
    Contract,
    Event,
    Market,
    MarketType,
    OrderBook,
    parse_optional_timestamp,
    to_decimal,
)
from arbkit_kalshi.fees import KalshiFees

log = logging.getLogger(__name__)

VENUE = "kalshi"
ONE = Decimal(1)
CENT = Decimal("0.01")

#: League code inside a series ticker (``KX<LEAGUE><KIND>``) → canonical league.
LEAGUE_CODES: dict[str, str] = {
    "NBA": "NBA",
    "WNBA": "WNBA",
    "NFL": "NFL",
    "MLB": "MLB",
    "NHL": "NHL",
    "MLS": "MLS",
    "EPL": "EPL",
    "LALIGA": "LALIGA",
    "BUNDESLIGA": "BUNDESLIGA",
    "SERIEA": "SERIEA",
    "LIGUE1": "LIGUE1",
    "UCL": "UCL",
    "NCAAF": "NCAAF",
    "NCAAMB": "NCAAB",
}
KINDS: dict[str, MarketType] = {
    "GAME": MarketType.MONEYLINE,
    "SPREAD": MarketType.SPREAD,
    "TOTAL": MarketType.TOTAL,
}
#: The game (moneyline) series discovered for each league.
GAME_SERIES: dict[str, str] = {league: f"KX{code}GAME" for code, league in LEAGUE_CODES.items()}
#: Leagues whose event titles list the home team first ("PSG vs Chelsea").
HOME_FIRST = frozenset({"MLS", "EPL", "LALIGA", "BUNDESLIGA", "SERIEA", "LIGUE1", "UCL"})

_SERIES_RE = re.compile(r"^KX([A-Z0-9]+?)(GAME|SPREAD|TOTAL)$")
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_EVENT_DATE_RE = re.compile(r"-(\d{2})([A-Z]{3})(\d{2})(?:\d{4})?([A-Z0-9]*)$")
_CODES_RE = re.compile(r"^\s*([A-Z0-9]{2,5})\s+(at|vs\.?|@)\s+([A-Z0-9]{2,5})\b", re.IGNORECASE)
_TITLE_PREFIX_RE = re.compile(r"^[^:]{1,40}:\s+")  # "Game 5: ", "Week 3: "
_TITLE_SUFFIX_RE = re.compile(r"\s+(Winner\??|winner\??)$")
_ACTIVE = frozenset({"active", "open"})


def series_kind(series_ticker: str | None) -> tuple[str | None, MarketType]:
    """``KXNBAGAME`` → ``("NBA", MONEYLINE)``; unknown series → ``(None, OTHER)``."""
    match = _SERIES_RE.match(series_ticker or "")
    if not match:
        return None, MarketType.OTHER
    return LEAGUE_CODES.get(match.group(1)), KINDS[match.group(2)]


def series_of(ticker: str) -> str:
    return ticker.split("-", 1)[0]


def fees_from_series(series: Mapping[str, Any] | None) -> KalshiFees:
    """The fee model a series declares; Kalshi's default (quadratic × 1) when unknown."""
    if not series:
        return KalshiFees()
    multiplier = series.get("fee_multiplier")
    return KalshiFees(
        fee_type=str(series.get("fee_type") or "quadratic"),
        multiplier=to_decimal(multiplier) if multiplier is not None else ONE,
    )


def ticker_date(event_ticker: str) -> date | None:
    """The (US-Eastern) game date in an event ticker, ``...-26JUN13NYKSAS`` → 2026-06-13."""
    match = _EVENT_DATE_RE.search(event_ticker)
    if not match or match.group(2) not in _MONTHS:
        return None
    try:
        return date(2000 + int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3)))
    except ValueError:
        return None


@frozen
class GameInfo:
    """What an event says about its game: labels and codes in (away, home) order."""

    title: str
    away: str | None = None
    home: str | None = None
    away_code: str | None = None
    home_code: str | None = None


def game_info(title: str, sub_title: str | None, league: str | None) -> GameInfo:
    """Read "Away at Home" (or soccer's "Home vs Away") from an event or market title."""
    clean = _TITLE_SUFFIX_RE.sub("", _TITLE_PREFIX_RE.sub("", title.strip()))
    away = home = away_code = home_code = None
    for separator, home_first in ((" at ", False), (" @ ", False), (" vs. ", True), (" vs ", True)):
        if separator in clean:
            first, second = (part.strip() for part in clean.split(separator, 1))
            home_first = home_first and (league is None or league in HOME_FIRST)
            away, home = (second, first) if home_first else (first, second)
            break
    codes = _CODES_RE.match(sub_title or "")
    if codes:
        first_code, second_code = codes.group(1).upper(), codes.group(3).upper()
        home_first = codes.group(2).lower().startswith("vs") and (
            league is None or league in HOME_FIRST
        )
        away_code, home_code = (
            (second_code, first_code) if home_first else (first_code, second_code)
        )
    return GameInfo(title=clean, away=away, home=home, away_code=away_code, home_code=home_code)


def tick_size(market: Mapping[str, Any]) -> Decimal:
    """The finest step of the market's price grid (``price_ranges``; legacy ``tick_size`` cents)."""
    ranges = market.get("price_ranges") or []
    steps = [to_decimal(r["step"]) for r in ranges if isinstance(r, Mapping) and r.get("step")]
    if steps:
        return min(steps)
    legacy = market.get("tick_size")
    if isinstance(legacy, int) and legacy > 0:
        return Decimal(legacy) / 100
    return CENT


def yes_subject(market: Mapping[str, Any], info: GameInfo) -> str:
    """The team (as Kalshi labels it) that the market's YES side is about.

    ``yes_sub_title`` decides; the ticker suffix is checked against the event's team codes and a
    disagreement is logged. Without ``yes_sub_title`` the code decides, then the market title.
    """
    ticker = str(market.get("ticker", ""))
    suffix = ticker.rsplit("-", 1)[-1] if "-" in ticker else ""
    by_code = {info.away_code: info.away, info.home_code: info.home}
    coded_label = by_code.get(suffix) if suffix else None
    subject = str(market.get("yes_sub_title") or "").strip()
    if subject:
        other_code = info.home_code if suffix == info.away_code else info.away_code
        other_label = by_code.get(other_code) if coded_label else None
        if other_label and _names_team(subject, other_code, other_label):
            log.warning(
                "kalshi %s: yes_sub_title %r names the other team (suffix %s is %r); "
                "trusting the field",
                ticker,
                subject,
                suffix,
                coded_label,
            )
        return subject
    if coded_label:
        return coded_label
    title = str(market.get("title") or "")
    if title.lower().endswith(" wins"):
        return title[: -len(" wins")].strip()
    raise BadResponse(f"market {ticker}: cannot tell which outcome YES is", venue=VENUE)


def _names_team(subject: str, code: str | None, label: str) -> bool:
    """True if a YES label names this team: its event label, or NHL's "{CODE} {Nickname}"."""
    return subject == label or bool(code and subject.upper().startswith(code + " "))


def _line(market: Mapping[str, Any], kind: MarketType) -> Decimal | None:
    if kind not in (MarketType.SPREAD, MarketType.TOTAL):
        return None
    for key in ("floor_strike", "cap_strike"):
        if market.get(key) is not None:
            return to_decimal(market[key])
    return None


def parse_market(
    market: Mapping[str, Any],
    *,
    event: Mapping[str, Any] | None = None,
    series: Mapping[str, Any] | None = None,
) -> Market:
    """One Kalshi market object (with its event and series when known) → :class:`Market`."""
    ticker = market.get("ticker")
    if not ticker:
        raise BadResponse("market object without a ticker", venue=VENUE)
    ticker = str(ticker)
    event_ticker = str(market.get("event_ticker") or (event or {}).get("event_ticker") or "")
    series_ticker = str((event or {}).get("series_ticker") or series_of(event_ticker or ticker))
    league, kind = series_kind(series_ticker)
    if event:
        info = game_info(str(event.get("title") or ""), event.get("sub_title"), league)
    else:
        info = game_info(str(market.get("title") or ""), None, league)
    subject = yes_subject(market, info)
    yes_id, no_id = f"{ticker}:yes", f"{ticker}:no"
    contracts = (
        Contract(
            venue=VENUE,
            contract_id=yes_id,
            market_id=ticker,
            outcome=subject,
            subject=subject,
            complement_id=no_id,
        ),
        Contract(
            venue=VENUE,
            contract_id=no_id,
            market_id=ticker,
            outcome=f"not {subject}",
            subject=subject,
            negated=True,
            complement_id=yes_id,
        ),
    )
    # Every active market is fractional since 2026-04-17; `fractional_trading_enabled` was
    # removed from the schema on 2026-07-09 and decides nothing (venue-notes §00).
    step = CENT
    return Market(
        venue=VENUE,
        market_id=ticker,
        event_id=event_ticker,
        title=str(market.get("title") or info.title),
        market_type=kind if kind is not MarketType.OTHER else MarketType.OTHER,
        league=league,
        start_time=None,  # Kalshi has no reliable scheduled-start field (venue-notes §4.1)
        game_date=ticker_date(event_ticker),
        home=info.home,
        away=info.away,
        line=_line(market, kind),
        contracts=contracts,
        tick_size=tick_size(market),
        min_size=step,
        size_increment=step,
        fees=fees_from_series(series),
        active=str(market.get("status", "")).lower() in _ACTIVE,
        close_time=parse_optional_timestamp(market.get("close_time")),
        raw=market,
    )


def parse_event(event: Mapping[str, Any]) -> Event:
    """One Kalshi event object → :class:`Event` (the game as Kalshi lists it)."""
    event_ticker = str(event.get("event_ticker") or "")
    league, _ = series_kind(str(event.get("series_ticker") or series_of(event_ticker)))
    info = game_info(str(event.get("title") or ""), event.get("sub_title"), league)
    teams = tuple(team for team in (info.away, info.home) if team)
    return Event(
        venue=VENUE,
        event_id=event_ticker,
        title=info.title,
        league=league,
        game_date=ticker_date(event_ticker),
        home=info.home,
        away=info.away,
        participants=teams,
        raw=event,
    )


def _unwrap(obj: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """Split any event/market response shape into (event or None, its market objects)."""
    if "market" in obj and isinstance(obj["market"], Mapping):  # GET /markets/{t}
        return None, [obj["market"]]
    if "event" in obj and isinstance(obj["event"], Mapping):  # GET /events/{t}
        event = obj["event"]
        markets = event.get("markets") or obj.get("markets") or []
        return event, list(markets)
    if "ticker" in obj:  # a bare market object
        return None, [obj]
    if "event_ticker" in obj:  # a bare event object with nested markets
        return obj, list(obj.get("markets") or [])
    raise BadResponse("neither a Kalshi event nor a market object", venue=VENUE)


def parse_markets(
    objects: Iterable[Mapping[str, Any]],
    *,
    series: Mapping[str, Mapping[str, Any]] | None = None,
    events: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Market]:
    """Events (with nested markets) and/or bare markets → markets.

    Args:
        series: series objects by ticker (fee type and multiplier); absent ones get the default.
        events: event objects by ticker, to name home and away for bare market objects.
    """
    series = series or {}
    events = events or {}
    markets: list[Market] = []
    for obj in objects:
        event, market_objects = _unwrap(obj)
        for market in market_objects:
            event_ticker = str(market.get("event_ticker") or (event or {}).get("event_ticker"))
            owner = event or events.get(event_ticker)
            series_ticker = str((owner or {}).get("series_ticker") or series_of(event_ticker))
            markets.append(parse_market(market, event=owner, series=series.get(series_ticker)))
    return markets


# -- order books ------------------------------------------------------------------------------


def _levels(raw: Any, *, cents: bool) -> list[tuple[Decimal, Decimal]]:
    levels = []
    for entry in raw or ():
        price, size = to_decimal(entry[0]), to_decimal(entry[1])
        if cents:
            price = price / 100
        if size > 0:
            levels.append((price, size))
    return levels


def book_sides(body: Mapping[str, Any]) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    """YES bids and NO bids of a ``GET /markets/{t}/orderbook`` body, any format."""
    current = body.get("orderbook_fp")
    if isinstance(current, Mapping):
        return (
            _levels(current.get("yes_dollars"), cents=False),
            _levels(current.get("no_dollars"), cents=False),
        )
    legacy = body.get("orderbook")
    if isinstance(legacy, Mapping):
        if "yes_dollars" in legacy or "no_dollars" in legacy:
            return (
                _levels(legacy.get("yes_dollars"), cents=False),
                _levels(legacy.get("no_dollars"), cents=False),
            )
        return (
            _levels(legacy.get("yes"), cents=True),
            _levels(legacy.get("no"), cents=True),
        )
    raise BadResponse("order book body without orderbook_fp", venue=VENUE)


def books_from_bids(
    ticker: str,
    yes_bids: Sequence[tuple[Decimal, Decimal]],
    no_bids: Sequence[tuple[Decimal, Decimal]],
    *,
    timestamp: datetime | None = None,
    sequence: int | None = None,
) -> tuple[OrderBook, OrderBook]:
    """The YES and NO contract books of one market from its two bid ladders.

    A NO bid at q is a YES ask at 1 − q (same size), and a YES bid at p a NO ask at 1 − p.
    """
    yes_sorted = sorted(yes_bids, reverse=True)
    no_sorted = sorted(no_bids, reverse=True)
    yes = OrderBook(
        venue=VENUE,
        contract_id=f"{ticker}:yes",
        bids=tuple(yes_sorted),
        asks=tuple((ONE - price, size) for price, size in no_sorted),
        timestamp=timestamp,
        sequence=sequence,
    )
    no = OrderBook(
        venue=VENUE,
        contract_id=f"{ticker}:no",
        bids=tuple(no_sorted),
        asks=tuple((ONE - price, size) for price, size in yes_sorted),
        timestamp=timestamp,
        sequence=sequence,
    )
    return yes, no


def parse_orderbook(
    ticker: str, body: Mapping[str, Any], *, timestamp: datetime | None = None
) -> tuple[OrderBook, OrderBook]:
    """A REST order book body → the (YES, NO) contract books of ``ticker``."""
    yes_bids, no_bids = book_sides(body)
    return books_from_bids(ticker, yes_bids, no_bids, timestamp=timestamp)


def parse_books(payload: Any) -> list[OrderBook]:
    """``{ticker: orderbook body}`` (a recording) or ``{"orderbooks": [...]}`` → books."""
    books: list[OrderBook] = []
    if isinstance(payload, Mapping) and isinstance(payload.get("orderbooks"), list):
        items = [(str(item.get("ticker")), item) for item in payload["orderbooks"]]
    elif isinstance(payload, Mapping):
        items = [(str(ticker), body) for ticker, body in payload.items()]
    else:
        raise BadResponse("order books: expected an object keyed by ticker", venue=VENUE)
    for ticker, body in items:
        books.extend(parse_orderbook(ticker, body))
    return books
