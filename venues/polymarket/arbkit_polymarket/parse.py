"""Pure parsers: Gamma events/markets → Event/Market/Contract, CLOB books → OrderBook.

No network and no state, so live discovery, the replay venue and the sample data all run the same
code. Polymarket's quirks are handled here and nowhere else: JSON-encoded string fields
(``outcomes``, ``clobTokenIds``), worst-first book arrays, the non-ISO ``gameStartTime``, and
home/away taken from ``teams[].ordering`` rather than assumed from the title.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from arbkit import (
    BadResponse,
    Contract,
    Event,
    GameIdentity,
    Level,
    Market,
    MarketType,
    OrderBook,
    from_epoch_ms,
    json_loads,
    lists_home_first,
    parse_optional_timestamp,
    to_decimal,
)
from arbkit_polymarket.fees import PolymarketFees

log = logging.getLogger(__name__)
VENUE = "polymarket"

#: Polymarket league codes (``sport.sport``, ``teams[].league``, slug prefixes) → arbkit's codes.
LEAGUE_CODES: dict[str, str] = {
    "nba": "NBA",
    "wnba": "WNBA",
    "nfl": "NFL",
    "mlb": "MLB",
    "nhl": "NHL",
    "mls": "MLS",
    "epl": "EPL",
    "lal": "LALIGA",
    "laliga": "LALIGA",
    "la-liga": "LALIGA",
    "bun": "BUNDESLIGA",
    "bundesliga": "BUNDESLIGA",
    "sea": "SERIEA",
    "serie-a": "SERIEA",
    "fl1": "LIGUE1",
    "ligue-1": "LIGUE1",
    "ucl": "UCL",
    "cfb": "NCAAF",
    "cfp": "NCAAF",
    "ncaaf": "NCAAF",
    "cbb": "NCAAB",
    "ncaab": "NCAAB",
}
#: The reverse direction, for discovery filters (first code listed wins).
POLYMARKET_LEAGUE: dict[str, str] = {}
for _code, _league in LEAGUE_CODES.items():
    POLYMARKET_LEAGUE.setdefault(_league, _code)


MARKET_TYPES: dict[str, MarketType] = {
    "moneyline": MarketType.MONEYLINE,
    "spreads": MarketType.SPREAD,
    "spread": MarketType.SPREAD,
    "totals": MarketType.TOTAL,
    "total": MarketType.TOTAL,
}

_SLUG_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})$")
_GAME_SLUG = re.compile(
    r"^(?P<prefix>[a-z0-9]+)-(?P<teams>[a-z0-9]+(?:-[a-z0-9]+)+?)-(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:-(?P<suffix>[a-z0-9-]+))?$"
)
_DRAW_SUFFIXES = frozenset({"draw", "tie"})
_ZERO = Decimal(0)
_ONE = Decimal(1)


def json_list(value: Any, what: str) -> list[Any]:
    """Decode one of Gamma's JSON-in-a-string list fields (a real list is accepted too)."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            decoded = json_loads(value)
        except (ValueError, RecursionError):
            raise BadResponse(f"{what}: not a JSON list: {value[:80]!r}", venue=VENUE) from None
        if isinstance(decoded, list):
            return decoded
    raise BadResponse(f"{what}: expected a JSON list, got {value!r:.80}", venue=VENUE)


def league_of(event: Mapping[str, Any]) -> str | None:
    """The canonical league of a Gamma event, from the most specific field that names one."""
    candidates: list[Any] = []
    sport = event.get("sport")
    if isinstance(sport, Mapping):
        candidates.append(sport.get("sport"))
    for team in event.get("teams") or ():
        if isinstance(team, Mapping):
            candidates.append(team.get("league"))
    for key in ("seriesSlug", "slug"):
        value = event.get(key)
        if isinstance(value, str):
            candidates.append(value.split("-", 1)[0])
    for tag in event.get("tags") or ():
        if isinstance(tag, Mapping):
            candidates.append(tag.get("slug"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.lower() in LEAGUE_CODES:
            return LEAGUE_CODES[candidate.lower()]
    return None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _home_away(event: Mapping[str, Any], league: str | None) -> tuple[str | None, str | None]:
    """(home, away) labels: ``teams[].ordering`` if present, else the title's order."""
    title = str(event.get("title") or "")
    home = away = None
    for team in event.get("teams") or ():
        if not isinstance(team, Mapping):
            continue
        alias, name = team.get("alias"), team.get("name")
        # The label the venue shows: the alias when the title uses it ("Lions vs. Bills").
        label = alias if alias and alias in title else (name or alias)
        if team.get("ordering") == "home":
            home = label
        elif team.get("ordering") == "away":
            away = label
    if home and away:
        return home, away
    parts = title.split(" vs. ")
    if len(parts) != 2:
        return home, away
    sport = event.get("sport")
    first = sport.get("ordering") if isinstance(sport, Mapping) else None
    if first is None:
        first = "home" if lists_home_first(league) else "away"
    if first == "home":
        return parts[0].strip(), parts[1].strip()
    return parts[1].strip(), parts[0].strip()


#: What a wrongly typed Gamma field raises deep in a parser (a list where text belongs...).
_TYPE_ERRORS = (TypeError, AttributeError, ValueError, LookupError, ArithmeticError)


def parse_event(event: Mapping[str, Any]) -> Event:
    """The game a Gamma event describes (without its markets)."""
    slug = event.get("slug") or event.get("ticker")
    if not isinstance(slug, str) or not slug:
        raise BadResponse(f"Gamma event without a slug (id {event.get('id')!r:.40})", venue=VENUE)
    try:
        return _event(event, slug)
    except _TYPE_ERRORS as exc:
        raise BadResponse(
            f"event {slug}: unexpected field types ({exc!s:.80})", venue=VENUE
        ) from None


def _event(event: Mapping[str, Any], slug: str) -> Event:
    league = league_of(event)
    home, away = _home_away(event, league)
    match = _SLUG_DATE.search(slug)
    return Event(
        venue=VENUE,
        event_id=slug,
        title=str(event.get("title") or slug),
        league=league,
        start_time=parse_optional_timestamp(event.get("startTime")),
        game_date=_date(event.get("eventDate")) or _date(match.group(1) if match else None),
        home=home,
        away=away,
        participants=tuple(p for p in (away, home) if p),
        raw=event,
    )


#: Gamma ``version`` → (field holding the tradable token ids, exchange domain version).
#: ``"v1"`` markets trade by ``clobTokenIds`` on the V2 exchange; ``"v2"`` markets by
#: ``positionIds`` (different ids) on ExchangeV3.
MARKET_VERSIONS: dict[str, tuple[str, int]] = {"v1": ("clobTokenIds", 2), "v2": ("positionIds", 3)}


def version_problem(market: Mapping[str, Any]) -> str | None:
    """Why a Gamma market cannot be routed to an exchange (None: it can)."""
    version = market.get("version")
    if version is None:
        return "no Gamma version: cannot tell which exchange it trades on"
    if version not in MARKET_VERSIONS:
        return f"unknown Gamma version {version!r}"
    field = MARKET_VERSIONS[version][0]
    if not market.get(field):
        return f"Gamma version {version} market without {field}"
    return None


def exchange_version(market: Mapping[str, Any]) -> int:
    """The exchange domain version (2 or 3) a routable Gamma market's orders are signed for."""
    return MARKET_VERSIONS[str(market.get("version"))][1]


def parse_contracts(market: Mapping[str, Any], market_id: str) -> tuple[Contract, ...]:
    """One contract per outcome token; ``<token field>[i]`` trades ``outcomes[i]``.

    The token field is ``clobTokenIds`` for ``"v1"`` markets and ``positionIds`` for ``"v2"``.
    """
    outcomes = json_list(market.get("outcomes"), f"market {market_id} outcomes")
    field = MARKET_VERSIONS.get(str(market.get("version")), ("clobTokenIds", 2))[0]
    tokens = json_list(market.get(field), f"market {market_id} {field}")
    if len(outcomes) != len(tokens) or not tokens:
        raise BadResponse(
            f"market {market_id}: {len(outcomes)} outcomes but {len(tokens)} token ids",
            venue=VENUE,
        )
    ids = [str(token) for token in tokens]
    contracts = []
    for index, (outcome, token) in enumerate(zip(outcomes, ids, strict=True)):
        complement = ids[1 - index] if len(ids) == 2 else None
        label = str(outcome)
        contracts.append(
            Contract(
                venue=VENUE,
                contract_id=token,
                market_id=market_id,
                outcome=label,
                subject=label,
                complement_id=complement,
            )
        )
    return tuple(contracts)


_FEES: dict[tuple[Any, ...], PolymarketFees] = {}


def _fees(market: Mapping[str, Any]) -> PolymarketFees:
    """The market's fee model; identical schedules share one (immutable) instance."""
    schedule = market.get("feeSchedule")
    enabled = bool(market.get("feesEnabled", schedule is not None))
    fee_type = market.get("feeType")
    key = (enabled, fee_type, *(sorted(schedule.items()) if isinstance(schedule, Mapping) else ()))
    fees = _FEES.get(key)
    if fees is None:
        fees = PolymarketFees.from_schedule(schedule, enabled=enabled, fee_type=fee_type)
        if len(_FEES) < 1024:
            _FEES[key] = fees
    return fees


def needs_clob_fees(market: Mapping[str, Any]) -> bool:
    """Fee-enabled on Gamma but without a ``feeSchedule``: the rates must come from CLOB ``fd``."""
    return market.get("feesEnabled") is True and not market.get("feeSchedule")


def game_identity(slug: str, league: str | None, kind: MarketType) -> GameIdentity | None:
    """What a game slug (``nba-bos-nyk-2026-11-24[-suffix]``) says, venue-neutrally.

    Codes stay as Polymarket spells them (lowercase); slugs list soccer's home team first and
    their date may be the UTC date of an evening game. A moneyline slug's suffix (``-ars``,
    ``-draw``) is what its Yes/No tokens are about. None when the slug is not a game slug.
    """
    match = _GAME_SLUG.match(slug.strip().lower())
    if match is None:
        return None
    try:
        day = date.fromisoformat(match["date"])
    except ValueError:
        return None
    named = LEAGUE_CODES.get(match["prefix"])
    if league is not None and named is not None and named != league:
        return None  # the matcher then goes by names and refuses what disagrees
    league = league or named
    codes = match["teams"].split("-")
    away = home = None
    if len(codes) == 2:
        away, home = (codes[1], codes[0]) if lists_home_first(league) else (codes[0], codes[1])
    suffix = match["suffix"] or ""
    moneyline = kind is MarketType.MONEYLINE
    return GameIdentity(
        league=league,
        away=away,
        home=home,
        game_date=day,
        utc_date=True,
        yes=suffix if moneyline and suffix.isalpha() and suffix not in _DRAW_SUFFIXES else None,
        yes_is_draw=moneyline and suffix in _DRAW_SUFFIXES,
        market_type=_slug_kind(suffix),
    )


def _slug_kind(suffix: str) -> MarketType:
    if not suffix:
        return MarketType.MONEYLINE
    for word, kind in (("spread", MarketType.SPREAD), ("total", MarketType.TOTAL)):
        if word in suffix:
            return kind
    return MarketType.MONEYLINE if suffix.isalpha() else MarketType.OTHER


def parse_market(
    market: Mapping[str, Any],
    event: Event | None = None,
    clob_fees: Mapping[str, PolymarketFees] | None = None,
) -> Market:
    """One Gamma market (from an event's ``markets`` or a ``/markets`` row) → :class:`Market`.

    ``clob_fees`` (condition id → model from ``/clob-markets``) supplies the fee model of a
    fee-enabled market that has no ``feeSchedule``.

    Raises:
        BadResponse: malformed, or fee-enabled with no known fee parameters.
    """
    slug = market.get("slug")
    if not isinstance(slug, str) or not slug:
        raise BadResponse(f"Gamma market without a slug (id {market.get('id')!r})", venue=VENUE)
    if event is None:
        parents = market.get("events")
        if isinstance(parents, list) and parents and isinstance(parents[0], Mapping):
            event = parse_event(parents[0])
    kind = market.get("sportsMarketType")
    market_type = MARKET_TYPES.get(kind, MarketType.OTHER) if kind else MarketType.OTHER
    line = market.get("line")
    tick = market.get("orderPriceMinTickSize") or "0.01"
    try:
        if needs_clob_fees(market):
            fees = (clob_fees or {}).get(str(market.get("conditionId")))
            if fees is None:
                raise BadResponse(f"market {slug}: {NO_FEE_PARAMETERS}", venue=VENUE)
        else:
            fees = _fees(market)
        tradable = (
            bool(market.get("active", True))
            and not market.get("closed", False)
            and bool(market.get("acceptingOrders", True))
            and bool(market.get("enableOrderBook", True))
        )
        return Market(
            venue=VENUE,
            market_id=slug,
            event_id=event.event_id if event else slug,
            title=str(market.get("question") or slug),
            market_type=market_type,
            league=event.league if event else None,
            start_time=parse_optional_timestamp(market.get("gameStartTime"))
            or (event.start_time if event else None),
            game_date=event.game_date if event else None,
            home=event.home if event else None,
            away=event.away if event else None,
            line=None if line is None else to_decimal(line),
            contracts=parse_contracts(market, slug),
            tick_size=to_decimal(tick),
            min_size=to_decimal(market.get("orderMinSize") or 1),
            size_increment=Decimal("0.01"),
            fees=fees,
            active=tradable,
            close_time=parse_optional_timestamp(market.get("endDate")),
            identity=game_identity(slug, event.league if event else None, market_type),
            raw=market,
        )
    except (TypeError, AttributeError) as exc:
        raise BadResponse(f"market {slug}: unexpected field types ({exc})", venue=VENUE) from None


NO_FEE_PARAMETERS = "fee-enabled without feeSchedule and no CLOB fd: fees unknown"


def parse_markets(
    objects: Iterable[Mapping[str, Any]], clob_fees: Mapping[str, PolymarketFees] | None = None
) -> list[Market]:
    """Gamma events (with nested ``markets``) and/or bare markets → markets.

    Markets without an order book (no ``clobTokenIds``/``positionIds``) cannot be traded and
    are left out; so are markets whose Gamma ``version`` is missing or unknown, and fee-enabled
    markets whose fee parameters are unknown (no ``feeSchedule`` and none in ``clob_fees``):
    each is logged as a warning with the reason and listed in :data:`SKIPPED`.
    """
    result: list[Market] = []
    for obj in objects:
        if not isinstance(obj, Mapping):
            raise BadResponse(f"expected a Gamma object, got {type(obj).__name__}", venue=VENUE)
        try:
            _parse_object(obj, clob_fees, result)
        except _TYPE_ERRORS as exc:
            slug = obj.get("slug") or obj.get("id")
            message = f"Gamma object {slug!r:.60}: unexpected field types ({exc!s:.80})"
            raise BadResponse(message, venue=VENUE) from None
    return result


def _parse_object(
    obj: Mapping[str, Any],
    clob_fees: Mapping[str, PolymarketFees] | None,
    result: list[Market],
) -> None:
    """One Gamma event (its markets) or bare market row, appended to ``result``."""
    if "markets" in obj:
        nested = obj.get("markets") or ()
        if not isinstance(nested, list):
            raise BadResponse(f"event {obj.get('slug')!r}: markets is not a list", venue=VENUE)
        event_problem = start_problem(obj)
        event = parse_event(obj)
        for market in nested:
            if isinstance(market, Mapping) and _routable(market, clob_fees):
                _append_timed(result, market, event, clob_fees, event_problem)
    elif _routable(obj, clob_fees):
        parents = obj.get("events")
        parent = parents[0] if isinstance(parents, list) and parents else None
        problem = start_problem(parent) if isinstance(parent, Mapping) else None
        _append_timed(result, obj, None, clob_fees, problem)


def _append_timed(
    result: list[Market],
    market: Mapping[str, Any],
    event: Event | None,
    clob_fees: Mapping[str, PolymarketFees] | None,
    event_problem: str | None,
) -> None:
    """Parse and keep a market unless its start is unreadable or unknown (logged as skipped).

    An unreadable time is not "no time": the game may already be under way, so pricing it
    as a future game would show an edge that is not there.
    """
    problem = event_problem or start_problem(market)
    if problem:
        skip(market, problem)
        return
    parsed = parse_market(market, event, clob_fees)
    if parsed.start_time is None and parsed.game_date is None:
        skip(market, "no start time or game date: cannot tell whether the game has started")
        return
    result.append(parsed)


#: Gamma's start fields: an ISO/epoch time, or a calendar date.
_START_FIELDS = (("gameStartTime", False), ("startTime", False), ("eventDate", True))


def start_problem(obj: Mapping[str, Any]) -> str | None:
    """Why an event's or market's start fields cannot be trusted (None: absent or readable)."""
    for key, is_date in _START_FIELDS:
        value = obj.get(key)
        if value is None or value == "":
            continue
        readable = _date(value) if is_date else parse_optional_timestamp(value)
        if readable is None:
            return f"unreadable {key} {value!r:.40}"
    return None


#: The last exclusions, ``(market slug, reason)``, newest last (bounded).
SKIPPED: list[tuple[str, str]] = []


def skip(market: Mapping[str, Any], reason: str) -> None:
    """Record and log why a market is excluded from discovery."""
    slug = str(market.get("slug") or market.get("id"))
    log.warning("polymarket: excluding market %s: %s", slug, reason)
    SKIPPED.append((slug, reason))
    del SKIPPED[:-1000]


def _routable(market: Mapping[str, Any], clob_fees: Mapping[str, PolymarketFees] | None) -> bool:
    """Has an order book, a known exchange and known fees; an exclusion is logged with why."""
    if not (market.get("clobTokenIds") or market.get("positionIds")):
        return False
    problem = version_problem(market)
    if not problem and needs_clob_fees(market):
        if str(market.get("conditionId")) not in (clob_fees or {}):
            problem = NO_FEE_PARAMETERS
    if problem:
        skip(market, problem)
        return False
    return True


def parse_levels(levels: Any, *, descending: bool, where: str = "book") -> tuple[Level, ...]:
    """``[{price, size}]`` in any order → (price, size) tuples best first.

    Impossible levels (price outside (0, 1), size ≤ 0) are dropped with a warning; use
    :func:`read_levels` to learn whether any was.
    """
    return read_levels(levels, descending=descending, where=where)[0]


def read_levels(levels: Any, *, descending: bool, where: str) -> tuple[tuple[Level, ...], bool]:
    """(levels best first, whether an impossible level was dropped); ``where`` names the side.

    A size of 0 or a price of 0 or 1 cannot be a real resting order, so a book that has one is
    not what the venue holds: the caller marks it doubtful rather than trusting the rest.
    """
    if not isinstance(levels, list):
        raise BadResponse(f"{where} levels: expected a list, got {levels!r:.80}", venue=VENUE)
    parsed: list[Level] = []
    dropped = False
    for level in levels:
        try:
            price, size = to_decimal(level["price"]), to_decimal(level["size"])
        except (KeyError, TypeError, IndexError):
            message = f"{where}: level without price/size: {level!r:.80}"
            raise BadResponse(message, venue=VENUE) from None
        except BadResponse as exc:
            raise BadResponse(f"{where}: level {level!r:.80}: {exc}", venue=VENUE) from None
        if not (price.is_finite() and size.is_finite()):  # a JSON NaN arrives as a float
            raise BadResponse(f"{where}: level {level!r:.80} is not finite", venue=VENUE)
        if _ZERO < price < _ONE and size > _ZERO:
            parsed.append((price, size))
        else:
            log.warning("polymarket %s: dropping impossible level %s x %s", where, price, size)
            dropped = True
    parsed.sort(reverse=descending)
    return tuple(parsed), dropped


def parse_book(payload: Mapping[str, Any], *, continuous: bool = True) -> OrderBook:
    """A CLOB ``/book`` response or WS ``book`` message. The wire lists worst prices first.

    A book with an impossible level comes back with that level dropped and ``continuous``
    False, so no strategy prices it.
    """
    if not isinstance(payload, Mapping) or not payload.get("asset_id"):
        raise BadResponse(f"book without an asset_id: {payload!r:.120}", venue=VENUE)
    asset = str(payload["asset_id"])
    stamp = payload.get("timestamp")
    try:
        timestamp = from_epoch_ms(stamp) if stamp else None
    except (TypeError, ValueError, OverflowError, OSError):
        message = f"book {asset}: timestamp {stamp!r:.40} is not epoch ms"
        raise BadResponse(message, venue=VENUE) from None
    bids, bad_bids = read_levels(payload.get("bids", []), descending=True, where=f"{asset} bids")
    asks, bad_asks = read_levels(payload.get("asks", []), descending=False, where=f"{asset} asks")
    return OrderBook(
        venue=VENUE,
        contract_id=asset,
        bids=bids,
        asks=asks,
        timestamp=timestamp,
        continuous=continuous and not (bad_bids or bad_asks),
    )


def parse_books(payload: Any) -> list[OrderBook]:
    """One ``/book`` object or a list of them (``POST /books``, a recording's books.json)."""
    items: Sequence[Any] = payload if isinstance(payload, list) else [payload]
    return [parse_book(item) for item in items]
