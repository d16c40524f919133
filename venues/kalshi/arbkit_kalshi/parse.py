"""Kalshi payloads → the domain model: series, events, markets and REST order books.

Handles both the current format (``*_dollars`` price strings, ``*_fp`` count strings) and the
pre-2026-03-12 one (integer cents and counts). Which team a market's YES side is about comes from
the market's ``yes_sub_title``; the ticker suffix and the event's ``sub_title`` codes are only a
cross-check (Kalshi says not to parse tickers), logged when they disagree.

A payload of the wrong shape is a one-line :class:`arbkit.BadResponse` naming the market and
field. An impossible book level (a price outside (0, 1), a size ≤ 0) is logged and dropped and the
book marked not ``continuous``; a game market without a readable date is logged and excluded.
"""

from __future__ import annotations

import logging
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen

from arbkit import (
    BadResponse,
    Contract,
    Event,
    GameIdentity,
    Market,
    MarketType,
    OrderBook,
    lists_home_first,
    parse_optional_timestamp,
    to_decimal,
)
from arbkit_kalshi.fees import FEE_TYPES, KalshiFees

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

_SERIES_RE = re.compile(r"^KX([A-Z0-9]+?)(GAME|SPREAD|TOTAL)$")
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_EVENT_DATE_RE = re.compile(r"-(\d{2})([A-Z]{3})(\d{2})(\d{4})?([A-Z0-9]*)$")
_CODE_RE = re.compile(r"^[A-Z]{2,5}$")
#: Market suffixes that mean "the game ends level".
DRAW_SUFFIXES = frozenset({"TIE", "DRAW", "DRW"})
_CODES_RE = re.compile(r"^\s*([A-Z0-9]{2,5})\s+(at|vs\.?|@)\s+([A-Z0-9]{2,5})\b", re.IGNORECASE)
_TITLE_PREFIX_RE = re.compile(r"^[^:]{1,40}:\s+")  # "Game 5: ", "Week 3: "
_TITLE_SUFFIX_RE = re.compile(r"\s+(Winner\??|winner\??)$")
_ACTIVE = frozenset({"active", "open"})
ZERO = Decimal(0)
EASTERN = ZoneInfo("America/New_York")
HUNDRED = Decimal(100)


class ExcludedMarket(BadResponse):
    """A market that is skipped with a warning rather than failing the whole answer."""


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 2, 30, 30, 4, 4


def short(value: Any) -> str:
    """``repr(value)`` cut short (depth too: a deeply nested value cannot recurse)."""
    return _REPR.repr(value)


def possible_price(price: Decimal) -> bool:
    """True for a price in (0, 1) whose complement 1 − p is too (1 − 1e-40 rounds to 1)."""
    return ZERO < price < ONE and ONE - price < ONE


def _name(value: Any) -> str:
    """A ticker for a message: as it is when a string, else its short repr."""
    return value if isinstance(value, str) else short(value)


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    """An optional string field: missing or null is "", anything but a string is BadResponse."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise BadResponse(f"{where}: {key} must be a string, got {short(value)}", venue=VENUE)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadResponse(f"{where}: expected an object, got {type(value).__name__}", venue=VENUE)
    return value


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
    series = _mapping(series, "series")
    where = f"series {_name(series.get('ticker'))}"
    multiplier = series.get("fee_multiplier")
    fee_type = _text(series, "fee_type", where) or "quadratic"
    if fee_type not in FEE_TYPES:  # a fee we cannot compute is never guessed low
        raise ExcludedMarket(f"{where}: unknown fee type {short(fee_type)}", venue=VENUE)
    try:
        return KalshiFees(
            fee_type=fee_type,
            multiplier=to_decimal(multiplier) if multiplier is not None else ONE,
        )
    except (TypeError, ValueError) as exc:
        raise BadResponse(f"{where}: fee {exc}", venue=VENUE) from None


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
            home_first = home_first and (league is None or lists_home_first(league))
            away, home = (second, first) if home_first else (first, second)
            break
    codes = _CODES_RE.match(sub_title or "")
    if codes:
        first_code, second_code = codes.group(1).upper(), codes.group(3).upper()
        home_first = codes.group(2).lower().startswith("vs") and (
            league is None or lists_home_first(league)
        )
        away_code, home_code = (
            (second_code, first_code) if home_first else (first_code, second_code)
        )
    return GameInfo(title=clean, away=away, home=home, away_code=away_code, home_code=home_code)


def tick_size(market: Mapping[str, Any]) -> Decimal:
    """The finest step of the market's price grid (``price_ranges``; legacy ``tick_size`` cents)."""
    ranges = market.get("price_ranges") or []
    if not isinstance(ranges, list):
        raise BadResponse(f"market {market.get('ticker')}: price_ranges is not a list", venue=VENUE)
    steps = [to_decimal(r["step"]) for r in ranges if isinstance(r, Mapping) and r.get("step")]
    if steps:
        step = min(steps)
        if not ZERO < step < ONE:
            raise BadResponse(f"market {market.get('ticker')}: price step {step}", venue=VENUE)
        return step
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
    subject = _text(market, "yes_sub_title", f"market {ticker}").strip()
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
    title = _text(market, "title", f"market {ticker}")
    if title.lower().endswith(" wins"):
        return title[: -len(" wins")].strip()
    if suffix:
        # A ticker-only market: the suffix is the YES team's code (or TIE); the matcher resolves
        # it through the league data's Kalshi codes, or skips the market with a reason.
        return suffix
    raise BadResponse(f"market {ticker}: cannot tell which outcome YES is", venue=VENUE)


def game_identity(
    ticker: str, event_ticker: str, league: str | None, kind: MarketType, info: GameInfo
) -> GameIdentity:
    """What the tickers say about the game, venue-neutrally (codes as Kalshi spells them).

    The two codes come from the event's ``sub_title`` ("NYK at SAS") when there is one, else from
    the event ticker's joined codes split at the YES suffix (``BOSNYK`` with suffix ``BOS``).
    Kalshi lists soccer's home team first in tickers. A code the tickers do not pin down is None.
    """
    match = _EVENT_DATE_RE.search(event_ticker)
    suffix = ticker.rsplit("-", 1)[-1] if ticker.count("-") >= 2 else ""
    away, home = info.away_code, info.home_code
    if not (away and home) and match and _CODE_RE.match(suffix):
        joined = match.group(5)
        starts, ends = joined.startswith(suffix), joined.endswith(suffix)
        rest = joined[len(suffix) :] if starts else joined[: -len(suffix)]
        if starts != ends and _CODE_RE.match(rest):
            first, second = (suffix, rest) if starts else (rest, suffix)
            away, home = (second, first) if lists_home_first(league) else (first, second)
    start = None
    if match and match.group(4) and (day := ticker_date(event_ticker)) is not None:
        start = _et_start(day, match.group(4))
    moneyline = kind is MarketType.MONEYLINE
    team_yes = moneyline and bool(suffix) and suffix not in DRAW_SUFFIXES
    return GameIdentity(
        league=league,
        away=away,
        home=home,
        game_date=ticker_date(event_ticker),
        start_time=start,
        yes=suffix if team_yes else None,
        yes_is_draw=moneyline and suffix in DRAW_SUFFIXES,
        market_type=kind,
    )


def _et_start(day: date, hhmm: str) -> datetime | None:
    """A ticker's HHMM (US-Eastern) on ``day`` as an aware UTC datetime; None if impossible."""
    try:
        local = datetime.combine(day, time(int(hhmm[:2]), int(hhmm[2:])), tzinfo=EASTERN)
    except ValueError:
        return None
    return local.astimezone(UTC)


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
    """One Kalshi market object (with its event and series when known) → :class:`Market`.

    Raises:
        ExcludedMarket: a game market without a readable date in its event ticker (its start
            is unknown, so it must not pass for a future game).
        BadResponse: a field of the wrong type.
    """
    market = _mapping(market, "market")
    ticker = market.get("ticker")
    if not ticker or not isinstance(ticker, str):
        raise BadResponse(f"market object without a ticker (got {short(ticker)})", venue=VENUE)
    where = f"market {ticker}"
    event = _mapping(event, f"{where}: event") if event is not None else None
    event_ticker = _text(market, "event_ticker", where) or (
        _text(event, "event_ticker", where) if event else ""
    )
    series_ticker = (_text(event, "series_ticker", where) if event else "") or series_of(
        event_ticker or ticker
    )
    league, kind = series_kind(series_ticker)
    game_date = ticker_date(event_ticker)
    if game_date is None and league is not None:
        raise ExcludedMarket(
            f"{where}: no readable game date in event ticker {short(event_ticker)}", venue=VENUE
        )
    if event:
        info = game_info(_text(event, "title", where), _text(event, "sub_title", where), league)
    else:
        info = game_info(_text(market, "title", where), None, league)
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
        title=_text(market, "title", where) or info.title,
        market_type=kind if kind is not MarketType.OTHER else MarketType.OTHER,
        league=league,
        start_time=None,  # Kalshi has no reliable scheduled-start field (venue-notes §4.1)
        game_date=game_date,
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
        identity=game_identity(ticker, event_ticker, league, kind, info),
        raw=market,
    )


def parse_event(event: Mapping[str, Any]) -> Event:
    """One Kalshi event object → :class:`Event` (the game as Kalshi lists it)."""
    event = _mapping(event, "event")
    event_ticker = _text(event, "event_ticker", "event")
    where = f"event {event_ticker}"
    league, _ = series_kind(_text(event, "series_ticker", where) or series_of(event_ticker))
    info = game_info(_text(event, "title", where), _text(event, "sub_title", where), league)
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


def _market_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadResponse(
            f"{where}: markets must be a list, got {type(value).__name__}", venue=VENUE
        )
    return value


def _unwrap(obj: Any) -> tuple[Mapping[str, Any] | None, list[Any]]:
    """Split any event/market response shape into (event or None, its market objects)."""
    if not isinstance(obj, Mapping):
        raise BadResponse(
            f"expected a Kalshi event or market object, got {type(obj).__name__}", venue=VENUE
        )
    if isinstance(obj.get("market"), Mapping):  # GET /markets/{t}
        return None, [obj["market"]]
    if isinstance(obj.get("event"), Mapping):  # GET /events/{t}
        event = obj["event"]
        where = f"event {_name(event.get('event_ticker'))}"
        nested = event.get("markets")
        return event, _market_list(nested if nested is not None else obj.get("markets"), where)
    if "ticker" in obj:  # a bare market object
        return None, [obj]
    if "event_ticker" in obj:  # a bare event object with nested markets
        return obj, _market_list(obj.get("markets"), f"event {_name(obj['event_ticker'])}")
    raise BadResponse("neither a Kalshi event nor a market object", venue=VENUE)


def parse_markets(
    objects: Iterable[Any],
    *,
    series: Mapping[str, Mapping[str, Any]] | None = None,
    events: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Market]:
    """Events (with nested markets) and/or bare markets → markets.

    A game market without a readable date is logged and left out (:class:`ExcludedMarket`).

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
            market = _mapping(market, "market")
            event_ticker = market.get("event_ticker") or (event or {}).get("event_ticker")
            owner = event or (events.get(event_ticker) if isinstance(event_ticker, str) else None)
            series_ticker = (owner or {}).get("series_ticker") or series_of(str(event_ticker))
            try:
                markets.append(
                    parse_market(market, event=owner, series=series.get(str(series_ticker)))
                )
            except ExcludedMarket as exc:
                log.warning("%s; excluded", exc)
    return markets


# -- order books ------------------------------------------------------------------------------


def _levels(raw: Any, where: str, *, cents: bool) -> tuple[list[tuple[Decimal, Decimal]], bool]:
    """One bid ladder and whether every level was possible.

    A wrong shape is BadResponse; an impossible level (price outside (0, 1), size ≤ 0) is
    logged and dropped, and the ladder reported unsound so its book is marked doubtful.
    """
    if raw is None:
        return [], True
    if not isinstance(raw, list):
        raise BadResponse(
            f"{where}: expected a list of [price, size], got {type(raw).__name__}", venue=VENUE
        )
    levels, sound = [], True
    for entry in raw:
        if not isinstance(entry, list | tuple) or len(entry) != 2:
            raise BadResponse(f"{where}: level {short(entry)} is not [price, size]", venue=VENUE)
        try:
            price, size = to_decimal(entry[0]), to_decimal(entry[1])
        except BadResponse as exc:
            raise BadResponse(
                f"{where}: level {short(entry)}: {exc.args[0]}", venue=VENUE
            ) from None
        if not (price.is_finite() and size.is_finite()):  # a JSON NaN float gets this far
            raise BadResponse(f"{where}: level {short(entry)} is not finite", venue=VENUE)
        if cents and ZERO < price < HUNDRED:
            price = price / HUNDRED
        if not possible_price(price) or size <= 0:
            log.warning(
                "kalshi %s: impossible level %s x %s dropped (price outside (0, 1) or size <= 0); "
                "book marked doubtful",
                where,
                short(entry[0]),
                short(entry[1]),
            )
            sound = False
            continue
        levels.append((price, size))
    return levels, sound


def book_sides(
    body: Any, ticker: str = "?"
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]], bool]:
    """YES bids, NO bids and soundness of a ``GET /markets/{t}/orderbook`` body, any format."""
    body = _mapping(body, f"order book {ticker}")
    current = body.get("orderbook_fp")
    legacy = body.get("orderbook")
    if isinstance(current, Mapping):
        keys, cents, sides = ("yes_dollars", "no_dollars"), False, current
    elif isinstance(legacy, Mapping):
        if "yes_dollars" in legacy or "no_dollars" in legacy:
            keys, cents = ("yes_dollars", "no_dollars"), False
        else:
            keys, cents = ("yes", "no"), True
        sides = legacy
    else:
        raise BadResponse(f"order book {ticker}: body without orderbook_fp", venue=VENUE)
    yes, yes_sound = _levels(sides.get(keys[0]), f"{ticker} YES bids", cents=cents)
    no, no_sound = _levels(sides.get(keys[1]), f"{ticker} NO bids", cents=cents)
    return yes, no, yes_sound and no_sound


def books_from_bids(
    ticker: str,
    yes_bids: Sequence[tuple[Decimal, Decimal]],
    no_bids: Sequence[tuple[Decimal, Decimal]],
    *,
    timestamp: datetime | None = None,
    sequence: int | None = None,
    continuous: bool = True,
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
        continuous=continuous,
    )
    no = OrderBook(
        venue=VENUE,
        contract_id=f"{ticker}:no",
        bids=tuple(no_sorted),
        asks=tuple((ONE - price, size) for price, size in yes_sorted),
        timestamp=timestamp,
        sequence=sequence,
        continuous=continuous,
    )
    return yes, no


def parse_orderbook(
    ticker: str, body: Mapping[str, Any], *, timestamp: datetime | None = None
) -> tuple[OrderBook, OrderBook]:
    """A REST order book body → the (YES, NO) contract books of ``ticker``.

    A body with an impossible level gives books marked not ``continuous`` (never traded on).
    """
    yes_bids, no_bids, sound = book_sides(body, ticker)
    return books_from_bids(ticker, yes_bids, no_bids, timestamp=timestamp, continuous=sound)


def parse_books(payload: Any) -> list[OrderBook]:
    """``{ticker: orderbook body}`` (a recording) or ``{"orderbooks": [...]}`` → books."""
    if isinstance(payload, Mapping) and isinstance(payload.get("orderbooks"), list):
        items = []
        for index, item in enumerate(payload["orderbooks"]):
            item = _mapping(item, f"orderbooks[{index}]")
            ticker = item.get("ticker")
            if not isinstance(ticker, str) or not ticker:
                raise BadResponse(f"orderbooks[{index}]: ticker {short(ticker)}", venue=VENUE)
            items.append((ticker, item))
    elif isinstance(payload, Mapping):
        items = [(str(ticker), body) for ticker, body in payload.items()]
    else:
        raise BadResponse("order books: expected an object keyed by ticker", venue=VENUE)
    books: list[OrderBook] = []
    for ticker, body in items:
        books.extend(parse_orderbook(ticker, body))
    return books
