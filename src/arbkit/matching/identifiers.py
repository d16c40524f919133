"""Parsers for the venues' game identifiers: Kalshi tickers and Polymarket slugs.

Both encode league, date and both teams, which is the strongest evidence the matcher has:
``KXNBAGAME-26JAN08MIACHI-MIA`` is Miami at Chicago on 2026-01-08 (US-Eastern), YES = Miami;
``nba-mia-chi-2026-01-08`` is the same game on Polymarket. Kalshi asks clients not to parse
tickers, so the matcher always cross-checks what these parsers say against the venue's fields
(titles, ``yes_sub_title``) and refuses a market where the two disagree. Team codes stay
unresolved strings here: which team a code names depends on the league (see TeamBook).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from attrs import frozen

from arbkit.models import MarketType

EASTERN = ZoneInfo("America/New_York")
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_KALSHI = re.compile(
    r"^(?P<series>[A-Z0-9]+)-(?P<yy>\d{2})(?P<mon>[A-Z]{3})(?P<dd>\d{2})(?P<hhmm>\d{4})?"
    r"(?P<teams>[A-Z][A-Z0-9]*?)(?:-(?P<suffix>[A-Z0-9.]+))?$"
)
_SLUG = re.compile(
    r"^(?P<prefix>[a-z0-9]+)-(?P<teams>[a-z0-9]+(?:-[a-z0-9]+)+?)-(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:-(?P<suffix>[a-z0-9-]+))?$"
)
_LINE = re.compile(r"(\d+)pt(\d+)")
DRAW_CODES = frozenset({"TIE", "DRAW", "DRW"})


@frozen(kw_only=True)
class KalshiTicker:
    """What a Kalshi event or market ticker says."""

    series: str  #: e.g. ``"KXNBAGAME"``
    event_ticker: str
    game_date: date  #: US-Eastern game date
    start_et: time | None  #: first pitch (MLB tickers carry HHMM, ET)
    teams: str  #: both codes run together, e.g. ``"MIACHI"``
    suffix: str | None  #: market suffix: the YES team's code, ``"TIE"``, or a line

    @property
    def start_time(self) -> datetime | None:
        """The start time in UTC when the ticker carries one."""
        if self.start_et is None:
            return None
        local = datetime.combine(self.game_date, self.start_et, tzinfo=EASTERN)
        return local.astimezone(ZoneInfo("UTC"))


@frozen(kw_only=True)
class PolymarketSlug:
    """What a Polymarket game slug says."""

    prefix: str  #: league prefix, e.g. ``"nba"``
    codes: tuple[str, ...]  #: the team codes in slug order (lowercase)
    slug_date: date  #: may be the UTC date of an evening game
    suffix: str | None  #: e.g. ``"spread-home-3pt5"``, ``"total-245pt5"``

    @property
    def market_type(self) -> MarketType:
        if not self.suffix:
            return MarketType.MONEYLINE
        if "spread" in self.suffix:
            return MarketType.SPREAD
        if "total" in self.suffix:
            return MarketType.TOTAL
        return MarketType.OTHER

    @property
    def line(self) -> Decimal | None:
        match = _LINE.search(self.suffix or "")
        return Decimal(f"{match.group(1)}.{match.group(2)}") if match else None


def parse_kalshi_ticker(ticker: str) -> KalshiTicker | None:
    """Parse ``KXNBAGAME-26JAN08MIACHI`` (or ``...-MIA``); None if not that shape."""
    match = _KALSHI.match(ticker.strip().upper())
    if match is None or match["mon"] not in _MONTHS:
        return None
    try:
        day = date(2000 + int(match["yy"]), _MONTHS[match["mon"]], int(match["dd"]))
        hhmm = match["hhmm"]
        start = time(int(hhmm[:2]), int(hhmm[2:])) if hhmm else None
    except ValueError:
        return None
    event = ticker.strip().upper()
    if match["suffix"]:
        event = event[: -(len(match["suffix"]) + 1)]
    return KalshiTicker(
        series=match["series"],
        event_ticker=event,
        game_date=day,
        start_et=start,
        teams=match["teams"],
        suffix=match["suffix"],
    )


def parse_polymarket_slug(slug: str) -> PolymarketSlug | None:
    """Parse ``nba-mia-chi-2026-01-08[-suffix]``; None if not that shape."""
    match = _SLUG.match(slug.strip().lower())
    if match is None:
        return None
    try:
        day = date.fromisoformat(match["date"])
    except ValueError:
        return None
    return PolymarketSlug(
        prefix=match["prefix"],
        codes=tuple(match["teams"].split("-")),
        slug_date=day,
        suffix=match["suffix"],
    )


def eastern_date(moment: datetime) -> date:
    """The US-Eastern calendar date of an aware datetime (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(EASTERN).date()
