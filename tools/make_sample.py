#!/usr/bin/env python3
"""Generate arbkit's offline sample data set, the evening that ``arbkit scan --sample`` replays.

The sample is a synthetic but realistic evening (Tuesday 24 November 2026, captured at 6 pm US
Eastern) of NBA, NHL and men's college basketball games listed on Polymarket and Kalshi. Every file
holds the venues' *raw* API payloads in the replay layout of docs/replay-format.md, so the sample
runs through the same parsers as live data. Prices and ids are invented; formats are not: each
object mirrors the recorded payloads in ../shared/venue-samples/ field for field.

Running the script rewrites every file byte-identically. Nothing depends on the clock, the network
or a random seed: ids and sizes come from SHA-256 of fixed labels, so a diff of the output is a
diff of the design.

Before writing, the script checks its own design. It replays the recorded streams, message by
message, through a small reference scanner (exact Decimal fees per venue, depth walking, minimum
order size, start cut-off, Kalshi sequence gaps) and fails unless the profitable cross-venue
pairs are exactly the ones EXPECTED.json promises at every moment. Prices, docs and expectations
therefore cannot drift apart silently.

Usage::

    python tools/make_sample.py [--out DIR] [--report]

``--report`` prints the Markdown tables used in docs/sample-data.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "arbkit" / "data" / "sample"
CAPTURED_AT = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
#: US Eastern is UTC-5 all of November (EST), so a fixed offset keeps the script tz-database free.
ET_OFFSET = timedelta(hours=-5)
STREAM_SECONDS = 360

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
PM_MIN_ORDER = Decimal(5)
KALSHI_TAKER = Decimal("0.07")
KALSHI_MAKER = Decimal("0.0175")

Level = tuple[Decimal, Decimal]
Json = dict[str, Any]


# --------------------------------------------------------------------------- numbers and ids


def dec(value: str | int | Decimal) -> Decimal:
    """Exact decimal from a literal; floats never enter the money path."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def pm_text(value: Decimal) -> str:
    """Polymarket's wire form: plain decimal without trailing zeros ("0.3", "63", "11.5")."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def k_price(value: Decimal) -> str:
    """Kalshi's dollar strings always carry four decimals ("0.4500")."""
    return f"{value.quantize(Decimal('0.0001')):.4f}"


def k_count(value: Decimal) -> str:
    """Kalshi's fixed-point counts always carry two decimals ("1500.00")."""
    return f"{value.quantize(CENT):.2f}"


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()


def token_id(*parts: object) -> str:
    """A uint256 decimal string, the shape of a Polymarket CLOB token id."""
    return str(int.from_bytes(_digest("token", *parts), "big"))


def hex32(*parts: object) -> str:
    """A 0x-prefixed 32-byte hex id (condition ids, question ids, transaction hashes)."""
    return "0x" + _digest("hex", *parts).hex()


def uuid_for(*parts: object) -> str:
    """A stable UUID (Kalshi market ids, trade ids, team ids)."""
    return str(uuid.UUID(bytes=_digest("uuid", *parts)[:16], version=4))


def pick(low: int, high: int, *parts: object) -> int:
    """A stable integer in [low, high] derived from a label."""
    return low + int.from_bytes(_digest("int", low, high, *parts)[:8], "big") % (high - low + 1)


def jitter(base: Decimal, *parts: object, spread: int = 18) -> Decimal:
    """``base`` moved by up to ±spread % and rounded to cents, so sizes look organic."""
    pct = Decimal(pick(-spread, spread, *parts)) / 100
    cents = Decimal(pick(0, 99, "c", *parts)) / 100
    return (base * (1 + pct)).quantize(ONE) + cents


def ceil_cent(value: Decimal) -> Decimal:
    """Kalshi rounds an order's fee up to the next cent (venue-notes 2.8)."""
    return value.quantize(CENT, rounding=ROUND_CEILING)


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded up to a multiple of ``step``."""
    return value.quantize(step, rounding=ROUND_CEILING)


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z, the way both venues write timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(moment: datetime, *parts: object) -> str:
    """Gamma's created/updated stamps carry microseconds."""
    micro = pick(0, 999_999, *parts)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{micro:06d}Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


T0_MS = epoch_ms(CAPTURED_AT)


# --------------------------------------------------------------------------- leagues and teams


@dataclass(frozen=True)
class League:
    """Everything that differs per league on either venue."""

    key: str  # Polymarket slug prefix and sport code
    name: str  # as Polymarket writes it ("CBB")
    canonical: str  # arbkit's league name ("NCAAB"), used in EXPECTED.json
    kalshi_series: str
    kalshi_series_title: str
    kalshi_competition: str
    kalshi_tag: str
    kalshi_fee_type: str
    sport_words: str  # in Kalshi rules: "professional basketball game"
    strike_key: str  # Kalshi custom_strike key
    resolution: str
    pm_sport_id: int
    pm_tag_id: str
    pm_tag_label: str
    pm_series_id: str
    pm_series_slug: str
    pm_series_title: str
    pm_fee_rate: Decimal
    pm_seconds_delay: int
    depth: Decimal  # scales default book sizes: college books are thinner


# fmt: off
LEAGUES = {
    "nba": League(
        "nba", "NBA", "NBA", "KXNBAGAME", "Professional Basketball Game", "Pro Basketball (M)",
        "Basketball", "quadratic", "professional basketball game", "basketball_team",
        "https://www.nba.com/", 4, "745", "NBA", "12291", "nba-2027", "NBA 2026-27",
        Decimal("0.05"), 1, Decimal(1),
    ),
    "nhl": League(
        "nhl", "NHL", "NHL", "KXNHLGAME", "Professional Hockey Game", "Pro Hockey (M)", "Hockey",
        "quadratic", "professional hockey game", "hockey_team", "https://www.nhl.com/", 6,
        "899", "NHL", "12297", "nhl-2027", "NHL 2026-27", Decimal("0.05"), 1, Decimal("0.6"),
    ),
    "cbb": League(
        "cbb", "CBB", "NCAAB", "KXNCAAMBGAME", "Men's College Basketball Game",
        "College Basketball (M)", "Basketball", "quadratic_with_maker_fees",
        "men's college basketball game", "basketball_team", "https://www.ncaa.com/", 14,
        "101178", "CBB", "12305", "cbb-2026", "CBB 2026-27", Decimal("0.03"), 3, Decimal("0.35"),
    ),
}
# fmt: on


@dataclass(frozen=True)
class Team:
    """One team with both venues' names for it (team_codes.json conventions)."""

    league: str
    full_name: str
    nickname: str
    kalshi_code: str
    kalshi_city: str  # in Kalshi event titles: "Los Angeles C at Detroit"
    kalshi_label: str  # Kalshi yes_sub_title
    pm_code: str  # Polymarket slug code
    pm_label: str  # Polymarket outcome label
    record: str


def _nba(code: str, city: str, full: str, nick: str, record: str) -> Team:
    return Team("nba", full, nick, code, city, city, code.lower(), nick, record)


def _nhl(code: str, pm: str, city: str, full: str, nick: str, record: str, label: str = "") -> Team:
    return Team("nhl", full, nick, code, city, f"{code} {nick}", pm, label or nick, record)


def _cbb(code: str, pm: str, school: str, nick: str, record: str) -> Team:
    return Team("cbb", f"{school} {nick}", nick, code, school, school, pm, school, record)


# fmt: off
TEAMS: dict[tuple[str, str], Team] = {
    (t.league, t.kalshi_code): t
    for t in [
        _nba("BOS", "Boston", "Boston Celtics", "Celtics", "10-6"),
        _nba("NYK", "New York", "New York Knicks", "Knicks", "11-5"),
        _nba("MIA", "Miami", "Miami Heat", "Heat", "8-8"),
        _nba("ORL", "Orlando", "Orlando Magic", "Magic", "10-7"),
        _nba("PHI", "Philadelphia", "Philadelphia 76ers", "76ers", "7-9"),
        _nba("TOR", "Toronto", "Toronto Raptors", "Raptors", "8-8"),
        _nba("MIL", "Milwaukee", "Milwaukee Bucks", "Bucks", "6-10"),
        _nba("CLE", "Cleveland", "Cleveland Cavaliers", "Cavaliers", "13-3"),
        _nba("OKC", "Oklahoma City", "Oklahoma City Thunder", "Thunder", "14-2"),
        _nba("SAS", "San Antonio", "San Antonio Spurs", "Spurs", "9-7"),
        _nba("DEN", "Denver", "Denver Nuggets", "Nuggets", "11-6"),
        _nba("MIN", "Minnesota", "Minnesota Timberwolves", "Timberwolves", "10-6"),
        _nba("LAL", "Los Angeles L", "Los Angeles Lakers", "Lakers", "9-7"),
        _nba("PHX", "Phoenix", "Phoenix Suns", "Suns", "10-7"),
        _nba("LAC", "Los Angeles C", "Los Angeles Clippers", "Clippers", "11-5"),
        _nba("UTA", "Utah", "Utah Jazz", "Jazz", "4-12"),
        _nba("SAC", "Sacramento", "Sacramento Kings", "Kings", "5-11"),
        _nba("GSW", "Golden State", "Golden State Warriors", "Warriors", "10-6"),
        _nba("HOU", "Houston", "Houston Rockets", "Rockets", "11-5"),
        _nba("DAL", "Dallas", "Dallas Mavericks", "Mavericks", "9-8"),
        _nhl("FLA", "fla", "Florida", "Florida Panthers", "Panthers", "13-7-2"),
        _nhl("NYR", "nyr", "New York R", "New York Rangers", "Rangers", "11-9-3"),
        _nhl("MTL", "mon", "Montreal", "Montreal Canadiens", "Canadiens", "10-10-2"),
        _nhl("BOS", "bos", "Boston", "Boston Bruins", "Bruins", "12-8-2"),
        _nhl("TOR", "tor", "Toronto", "Toronto Maple Leafs", "Maple Leafs", "11-9-2"),
        _nhl("TB", "tb", "Tampa Bay", "Tampa Bay Lightning", "Lightning", "13-8-1"),
        _nhl("NJ", "njd", "New Jersey", "New Jersey Devils", "Devils", "12-9-1"),
        _nhl("WSH", "wsh", "Washington", "Washington Capitals", "Capitals", "12-8-3"),
        _nhl("UTA", "utah", "Utah", "Utah Mammoth", "Mammoth", "13-7-2", "Utah"),
        _nhl("CHI", "chi", "Chicago", "Chicago Blackhawks", "Blackhawks", "8-12-2"),
        _nhl("EDM", "edm", "Edmonton", "Edmonton Oilers", "Oilers", "12-9-2"),
        _nhl("CGY", "cal", "Calgary", "Calgary Flames", "Flames", "10-11-2"),
        _nhl("COL", "col", "Colorado", "Colorado Avalanche", "Avalanche", "10-10-3"),
        _nhl("LA", "lak", "Los Angeles", "Los Angeles Kings", "Kings", "14-6-2"),
        _nhl("SJ", "sj", "San Jose", "San Jose Sharks", "Sharks", "9-11-3"),
        _nhl("SEA", "sea", "Seattle", "Seattle Kraken", "Kraken", "11-9-2"),
        _cbb("SYR", "syr", "Syracuse", "Orange", "4-1"),
        _cbb("UNC", "unc", "North Carolina", "Tar Heels", "5-0"),
        _cbb("DUKE", "duke", "Duke", "Blue Devils", "5-0"),
        _cbb("MICH", "mich", "Michigan", "Wolverines", "4-1"),
        _cbb("ARIZ", "arz", "Arizona", "Wildcats", "4-1"),
        _cbb("FLA", "fla", "Florida", "Gators", "5-0"),
        _cbb("USC", "usc", "USC", "Trojans", "3-2"),
        _cbb("WIS", "wisc", "Wisconsin", "Badgers", "4-1"),
        _cbb("TXAM", "txam", "Texas A&M", "Aggies", "2-3"),
        _cbb("PUR", "pur", "Purdue", "Boilermakers", "5-0"),
        _cbb("PSU", "psu", "Penn State", "Nittany Lions", "3-2"),
        _cbb("UCLA", "ucla", "UCLA", "Bruins", "4-1"),
    ]
}
# fmt: on


# --------------------------------------------------------------------------- book specs


def ladder(best: str, step: str, sizes: Sequence[Decimal | str | int]) -> list[Level]:
    """Contiguous levels from ``best`` outward, ``step`` apart, best first."""
    start, delta = dec(best), dec(step)
    levels = [(start + delta * i, dec(s)) for i, s in enumerate(sizes) if dec(s) > 0]
    return [(p, s) for p, s in levels if ZERO < p < ONE]


def default_sizes(base: Sequence[int], scale: Decimal, *label: object) -> list[Decimal]:
    """A plausible depth profile (thin at the touch, thicker behind it) with stable noise."""
    return [jitter(Decimal(b) * scale, *label, i) for i, b in enumerate(base)]


PM_PROFILE = (1850, 2600, 3400, 4100, 2900, 5200)
KALSHI_PROFILE = (900, 1500, 2200, 3100, 1800)


@dataclass(frozen=True)
class PmQuote:
    """Polymarket top of book for outcome[0]'s token (the other token mirrors it)."""

    bid: str
    ask: str
    tick: str = "0.01"
    bids: tuple[Level, ...] = ()  # explicit levels, best first (else a default ladder)
    asks: tuple[Level, ...] = ()
    scale: Decimal = ONE


@dataclass(frozen=True)
class KQuote:
    """Kalshi top of book for one market in YES terms: yes bid, and yes ask = 1 - best no bid."""

    bid: str
    ask: str
    yes: tuple[Level, ...] = ()  # explicit yes bids, best first
    no: tuple[Level, ...] = ()  # explicit no bids, best first
    scale: Decimal = ONE


def pmq(bid: str, ask: str, **kw: Any) -> PmQuote:
    for side in ("bids", "asks"):
        if side in kw:
            kw[side] = tuple((dec(p), dec(s)) for p, s in kw[side])
    return PmQuote(bid, ask, **kw)


def kq(bid: str, ask: str, **kw: Any) -> KQuote:
    for side in ("yes", "no"):
        if side in kw:
            kw[side] = tuple((dec(p), dec(s)) for p, s in kw[side])
    return KQuote(bid, ask, **kw)


@dataclass(frozen=True)
class Extra:
    """A Polymarket spread or total market inside a game event (never a moneyline)."""

    kind: str  # "spreads" | "totals"
    line: str  # spread of the favourite ("-4.5") or the total ("224.5")
    favourite: str = ""  # "away" | "home" for spreads
    quote: PmQuote = field(default_factory=lambda: pmq("0.49", "0.51"))


@dataclass(frozen=True)
class Game:
    """One game of the slate and how each venue lists and prices it."""

    key: str
    league: str
    away: str
    home: str
    start: datetime
    pm: PmQuote | None
    k_away: KQuote | None
    k_home: KQuote | None
    extras: tuple[Extra, ...] = ()
    role: str = ""

    @property
    def away_team(self) -> Team:
        return TEAMS[(self.league, self.away)]

    @property
    def home_team(self) -> Team:
        return TEAMS[(self.league, self.home)]

    @property
    def et_date(self) -> datetime:
        """The US-Eastern calendar date both venues put in slugs and tickers."""
        return (self.start + ET_OFFSET).replace(hour=0, minute=0, second=0)

    @property
    def on_polymarket(self) -> bool:
        return self.pm is not None

    @property
    def on_kalshi(self) -> bool:
        return self.k_away is not None

    @property
    def slug(self) -> str:
        lg = LEAGUES[self.league]
        codes = f"{self.away_team.pm_code}-{self.home_team.pm_code}"
        return f"{lg.key}-{codes}-{self.et_date:%Y-%m-%d}"

    @property
    def kalshi_event(self) -> str:
        stamp = self.et_date.strftime("%y%b%d").upper()
        codes = self.away_team.kalshi_code + self.home_team.kalshi_code
        return f"{LEAGUES[self.league].kalshi_series}-{stamp}{codes}"

    def kalshi_ticker(self, side: str) -> str:
        team = self.away_team if side == "away" else self.home_team
        return f"{self.kalshi_event}-{team.kalshi_code}"


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    """A start time in UTC on November ``day`` 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def spread(fav: str, line: str, bid: str = "0.49", ask: str = "0.51") -> Extra:
    return Extra("spreads", line, fav, pmq(bid, ask, scale=Decimal("0.4")))


def total(line: str, bid: str = "0.48", ask: str = "0.50") -> Extra:
    return Extra("totals", line, "", pmq(bid, ask, scale=Decimal("0.35")))


# The slate. PM quotes are for the away team's token; Kalshi quotes are per team market in YES
# terms. Every number here is checked by verify_design() below, so edit freely and rerun.
# fmt: off
GAMES: tuple[Game, ...] = (
    Game("C0", "cbb", "SYR", "UNC", at(22, 0, day=24),
         pmq("0.19", "0.20"), kq("0.26", "0.29"), kq("0.70", "0.72"),
         role="started at 22:00Z, in play at capture: its stale Polymarket price shows an edge"),
    Game("C4", "cbb", "TXAM", "PUR", at(23, 30, day=24),
         pmq("0.043", "0.046", tick="0.001"), kq("0.04", "0.06"), kq("0.94", "0.96"),
         role="lopsided; Polymarket tick 0.001"),
    Game("N2", "nba", "MIA", "ORL", at(0),
         pmq("0.43", "0.44", asks=[("0.44", 2400), ("0.45", 3100), ("0.46", 3900),
                                   ("0.47", 2600), ("0.48", 4400)]),
         kq("0.46", "0.50"),
         kq("0.49", "0.51", no=[("0.49", 85), ("0.46", 1200), ("0.45", 2500), ("0.44", 3000),
                                ("0.43", 2200)]),
         role="opportunity, shallow: 85 contracts on Kalshi"),
    Game("N4", "nba", "MIL", "CLE", at(0),
         pmq("0.29", "0.30"), kq("0.30", "0.33"), kq("0.67", "0.69"),
         role="fee-eaten gap: raw 0.99 at 0.30/0.69"),
    Game("H1", "nhl", "FLA", "NYR", at(0),
         pmq("0.54", "0.55"), kq("0.54", "0.56"), kq("0.44", "0.46"),
         role="decoy side: Panthers and Rangers"),
    Game("H2", "nhl", "MTL", "BOS", at(0),
         pmq("0.41", "0.42"), kq("0.40", "0.43"), kq("0.57", "0.60"),
         extras=(spread("home", "-1.5", "0.35", "0.37"), total("6.5")),
         role="puck line and total markets (must not pair with moneylines)"),
    Game("H3", "nhl", "TOR", "TB", at(0),
         pmq("0.44", "0.45"), kq("0.41", "0.45"), kq("0.58", "0.60"),
         role="fee-eaten gap via Kalshi NO: raw 0.98"),
    Game("H4", "nhl", "NJ", "WSH", at(0),
         pmq("0.52", "0.53", bids=[("0.52", 1300), ("0.51", 2000), ("0.50", 2600),
                                   ("0.49", 3100), ("0.48", 2200)]),
         kq("0.45", "0.47", no=[("0.53", 1100), ("0.52", 1600), ("0.51", 2400),
                                ("0.50", 2900), ("0.49", 1700)]),
         kq("0.50", "0.53"),
         role="opportunity: Kalshi Devils YES + Polymarket Capitals"),
    Game("C1", "cbb", "DUKE", "MICH", at(0),
         pmq("0.66", "0.67", bids=[("0.66", 600), ("0.65", 900), ("0.64", 1400),
                                   ("0.63", 1000), ("0.62", 800)]),
         kq("0.58", "0.64"),
         kq("0.40", "0.43", yes=[("0.40", 450), ("0.39", 700), ("0.38", 1200),
                                 ("0.37", 900), ("0.36", 600)]),
         extras=(spread("away", "-3.5", "0.50", "0.52"),),
         role="opportunity: Polymarket Michigan + Kalshi Michigan NO"),
    Game("N1", "nba", "BOS", "NYK", at(0, 30),
         pmq("0.41", "0.42"), kq("0.38", "0.43"), kq("0.57", "0.59"),
         extras=(spread("home", "-4.5"), total("224.5")),
         role="stream: Polymarket reprices first, Kalshi follows"),
    Game("N3", "nba", "PHI", "TOR", at(0, 30),
         pmq("0.39", "0.40", asks=[("0.40", 3), ("0.46", 1500), ("0.47", 2800),
                                   ("0.48", 3300), ("0.50", 4000)]),
         kq("0.42", "0.47"), kq("0.53", "0.55"),
         role="tiny top level (3 shares) below Polymarket's 5-share minimum"),
    Game("C2", "cbb", "ARIZ", "FLA", at(0, 30),
         pmq("0.27", "0.28"), kq("0.26", "0.29"), kq("0.71", "0.73"),
         role="decoy side: Florida Gators"),
    Game("N5", "nba", "OKC", "SAS", at(1),
         pmq("0.69", "0.70"), kq("0.68", "0.71"), kq("0.29", "0.34"),
         extras=(spread("away", "-6.5"), total("229.5")),
         role="stream: Kalshi reprices first, Polymarket follows"),
    Game("N6", "nba", "DEN", "MIN", at(1),
         pmq("0.46", "0.47", asks=[("0.47", 3000), ("0.48", 5200), ("0.49", 6000),
                                   ("0.50", 4500), ("0.51", 3800)]),
         kq("0.49", "0.52"),
         kq("0.46", "0.48", no=[("0.52", 4000), ("0.51", 6000), ("0.50", 7500),
                                ("0.49", 3000), ("0.48", 2000)]),
         role="opportunity, deep"),
    Game("C3", "cbb", "USC", "WIS", at(1),
         pmq("0.29", "0.30", asks=[("0.30", 420), ("0.31", 380), ("0.32", 650),
                                   ("0.34", 1200), ("0.36", 2000)]),
         kq("0.31", "0.40"),
         kq("0.58", "0.60", no=[("0.40", 300), ("0.39", 450), ("0.38", 700),
                                ("0.36", 1500), ("0.35", 2200)]),
         role="opportunity, large edge"),
    Game("N10", "nba", "HOU", "DAL", at(1, 30),
         pmq("0.48", "0.49"), kq("0.49", "0.52"), kq("0.47", "0.49"),
         role="fee-eaten gap: raw 0.98 at 0.49/0.49"),
    Game("H5", "nhl", "UTA", "CHI", at(1, 30),
         pmq("0.59", "0.60"), kq("0.59", "0.61"), kq("0.39", "0.41"),
         role="decoy side: Utah Mammoth (Kalshi code UTA, like the Jazz)"),
    Game("N7", "nba", "LAL", "PHX", at(2),
         pmq("0.38", "0.39"), kq("0.37", "0.40"), kq("0.60", "0.63"),
         extras=(spread("home", "-3.5"),),
         role="decoy side: Lakers"),
    Game("N8", "nba", "LAC", "UTA", at(2),
         pmq("0.63", "0.64"), kq("0.63", "0.65"), kq("0.35", "0.37"),
         role="decoy side: Clippers and Jazz"),
    Game("H6", "nhl", "EDM", "CGY", at(2),
         pmq("0.55", "0.56"), kq("0.55", "0.57"), kq("0.43", "0.45"),
         role="back-to-back, game 1 of 2"),
    Game("N9", "nba", "SAC", "GSW", at(3),
         pmq("0.30", "0.31"), kq("0.29", "0.33"), kq("0.66", "0.68"),
         extras=(total("231.5"),),
         role="Kalshi stream loses continuity; decoy side: Sacramento Kings"),
    Game("H8", "nhl", "SJ", "SEA", at(3),
         None, kq("0.39", "0.41"), kq("0.59", "0.61"),
         role="Kalshi only"),
    Game("H7", "nhl", "COL", "LA", at(3, 30),
         pmq("0.37", "0.38"), kq("0.37", "0.39"), kq("0.61", "0.63"),
         role="decoy side: Los Angeles Kings"),
    Game("C5", "cbb", "PSU", "UCLA", at(4),
         pmq("0.31", "0.33"), None, None,
         role="Polymarket only"),
    Game("H9", "nhl", "EDM", "CGY", at(2, day=26),
         pmq("0.39", "0.40"), kq("0.39", "0.41"), kq("0.59", "0.61"),
         role="back-to-back, game 2 of 2 (Nov 25 ET)"),
)
# fmt: on
GAME_BY_KEY = {g.key: g for g in GAMES}


# --------------------------------------------------------------------------- order books


@dataclass
class PmBook:
    """One token's book: price → size for bids and asks."""

    bids: dict[Decimal, Decimal]
    asks: dict[Decimal, Decimal]

    def copy(self) -> PmBook:
        return PmBook(dict(self.bids), dict(self.asks))

    def mirrored(self) -> PmBook:
        """The other token's book: a bid at p on one token is an ask at 1 - p on the other."""
        return PmBook(
            {ONE - p: s for p, s in self.asks.items()}, {ONE - p: s for p, s in self.bids.items()}
        )

    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    def ask_levels(self) -> list[Level]:
        return sorted(self.asks.items())


@dataclass
class KBook:
    """One Kalshi market's book: bids only, for YES and for NO (price → count)."""

    yes: dict[Decimal, Decimal]
    no: dict[Decimal, Decimal]

    def copy(self) -> KBook:
        return KBook(dict(self.yes), dict(self.no))

    def asks(self, side: str) -> list[Level]:
        """Asks for buying ``side``: a NO bid at q is a YES ask at 1 - q, and vice versa."""
        other = self.no if side == "yes" else self.yes
        return sorted((ONE - p, s) for p, s in other.items())

    def best(self, side: str) -> Decimal | None:
        book = self.yes if side == "yes" else self.no
        return max(book) if book else None


def _merge(levels: Iterable[Level]) -> dict[Decimal, Decimal]:
    out: dict[Decimal, Decimal] = {}
    for price, size in levels:
        out[price] = out.get(price, ZERO) + size
    return out


def far_levels(low: bool, scale: Decimal, *label: object) -> list[Level]:
    """The resting orders at the extremes that every real book carries (0.01/0.02, 0.98/0.99)."""
    prices = ("0.01", "0.02") if low else ("0.99", "0.98")
    bases = (5200, 640)
    return [
        (dec(p), jitter(Decimal(b) * scale, *label, p)) for p, b in zip(prices, bases, strict=True)
    ]


def pm_book(q: PmQuote, scale: Decimal, *label: object) -> PmBook:
    """Outcome[0]'s book from a quote: explicit levels where given, a default ladder elsewhere."""
    tick = dec(q.tick)
    size_scale = scale * q.scale
    bids = list(q.bids) or ladder(
        q.bid, str(-tick), default_sizes(PM_PROFILE, size_scale, *label, "b")
    )
    asks = list(q.asks) or ladder(
        q.ask, str(tick), default_sizes(PM_PROFILE, size_scale, *label, "a")
    )
    bids += far_levels(True, size_scale, *label, "fb")
    asks += far_levels(False, size_scale, *label, "fa")
    return PmBook(_merge(bids), _merge(asks))


def k_book(q: KQuote, scale: Decimal, *label: object) -> KBook:
    """A Kalshi market's book from its YES quote (best NO bid = 1 - yes ask)."""
    yes = list(q.yes) or ladder(
        q.bid, "-0.01", default_sizes(KALSHI_PROFILE, scale * q.scale, *label, "y")
    )
    no_best = str(ONE - dec(q.ask))
    no = list(q.no) or ladder(
        no_best, "-0.01", default_sizes(KALSHI_PROFILE, scale * q.scale, *label, "n")
    )
    yes = [(p, s.quantize(ONE)) for p, s in yes] + far_levels(True, scale * 2, *label, "fy")
    no = [(p, s.quantize(ONE)) for p, s in no] + far_levels(True, scale * 2, *label, "fn")
    return KBook(_merge(yes), _merge(no))


# --------------------------------------------------------------------------- venue objects


@dataclass
class PmMarket:
    """A Polymarket market of the slate with its truth book (for outcome[0]'s token)."""

    game: Game
    kind: str  # moneyline | spreads | totals
    slug: str
    question: str
    outcomes: tuple[str, str]
    tokens: tuple[str, str]
    condition_id: str
    tick: Decimal
    line: Decimal | None
    group_title: str | None
    book: PmBook
    last_trade: Decimal

    @property
    def fee_rate(self) -> Decimal:
        return LEAGUES[self.game.league].pm_fee_rate

    def token_book(self, index: int) -> PmBook:
        return self.book if index == 0 else self.book.mirrored()


@dataclass
class KMarket:
    """A Kalshi market of the slate (one per team) with its truth book and stream sid."""

    game: Game
    side: str  # away | home
    ticker: str
    market_id: str
    book: KBook
    sid: int

    @property
    def team(self) -> Team:
        return self.game.away_team if self.side == "away" else self.game.home_team


def _line_slug(value: Decimal) -> str:
    return pm_text(abs(value)).replace(".", "pt")


def build_pm_markets(game: Game) -> list[PmMarket]:
    """The moneyline and any spread/total markets of one game, books included."""
    assert game.pm is not None
    away, home = game.away_team.pm_label, game.home_team.pm_label
    title = f"{away} vs. {home}"
    markets = [_pm_market(game, "moneyline", game.slug, title, (away, home), game.pm)]
    return markets + [_extra_market(game, extra, title) for extra in game.extras]


def _extra_market(game: Game, extra: Extra, title: str) -> PmMarket:
    """A spread (favourite first, as in the recorded sample) or an over/under market."""
    line = dec(extra.line)
    text = pm_text(line)
    if extra.kind == "spreads":
        fav, dog = game.away_team, game.home_team
        if extra.favourite == "home":
            fav, dog = dog, fav
        slug = f"{game.slug}-spread-{extra.favourite}-{_line_slug(line)}"
        question = f"Spread: {fav.pm_label} ({text})"
        outcomes = (fav.pm_label, dog.pm_label)
        return _pm_market(game, "spreads", slug, question, outcomes, extra.quote, line, text)
    slug = f"{game.slug}-total-{_line_slug(line)}"
    question = f"{title}: O/U {text}"
    return _pm_market(game, "totals", slug, question, ("Over", "Under"), extra.quote, line, text)


def _pm_market(
    game: Game,
    kind: str,
    slug: str,
    question: str,
    outcomes: tuple[str, str],
    quote: PmQuote,
    line: Decimal | None = None,
    line_text: str = "",
) -> PmMarket:
    mid = (dec(quote.bid) + dec(quote.ask)) / 2
    group = {"spreads": f"Spread {line_text}", "totals": f"O/U {line_text}"}.get(kind)
    return PmMarket(
        game=game,
        kind=kind,
        slug=slug,
        question=question,
        outcomes=outcomes,
        tokens=(token_id(slug, outcomes[0]), token_id(slug, outcomes[1])),
        condition_id=hex32("condition", slug),
        tick=dec(quote.tick),
        line=line,
        group_title=group,
        book=pm_book(quote, LEAGUES[game.league].depth, game.key, kind),
        last_trade=mid.quantize(dec(quote.tick), rounding=ROUND_HALF_UP),
    )


def build_k_markets(game: Game, sid: int) -> list[KMarket]:
    """Kalshi's two markets of one game (YES = that team wins)."""
    assert game.k_away is not None and game.k_home is not None
    scale = LEAGUES[game.league].depth
    out = []
    for side, quote in (("away", game.k_away), ("home", game.k_home)):
        ticker = game.kalshi_ticker(side)
        out.append(
            KMarket(
                game,
                side,
                ticker,
                uuid_for("market", ticker),
                k_book(quote, scale, game.key, side),
                sid,
            )
        )
    return out


@dataclass
class Slate:
    """All venue objects of the evening, addressable by token id and ticker."""

    pm_markets: list[PmMarket]
    k_markets: list[KMarket]

    def __post_init__(self) -> None:
        self.by_token = {t: (m, i) for m in self.pm_markets for i, t in enumerate(m.tokens)}
        self.by_ticker = {m.ticker: m for m in self.k_markets}

    def moneyline(self, game: Game) -> PmMarket | None:
        for m in self.pm_markets:
            if m.game is game and m.kind == "moneyline":
                return m
        return None

    def pm(self, game_key: str, kind: str = "moneyline") -> PmMarket:
        return next(m for m in self.pm_markets if m.game.key == game_key and m.kind == kind)

    def kalshi(self, game_key: str, side: str) -> KMarket:
        return next(m for m in self.k_markets if m.game.key == game_key and m.side == side)


def build_slate() -> Slate:
    pm_markets: list[PmMarket] = []
    k_markets: list[KMarket] = []
    sid = 0
    for game in GAMES:
        if game.on_polymarket:
            pm_markets.extend(build_pm_markets(game))
        if game.on_kalshi:
            sid += 1
            k_markets.extend(build_k_markets(game, sid))
    return Slate(pm_markets, k_markets)


# --------------------------------------------------------------------------- fees and depth


def pm_unit_fee(price: Decimal, rate: Decimal, exponent: int = 1) -> Decimal:
    """Polymarket's taker fee per share (venue-notes 00, CLOB V2): paid in pUSD on top.

    fee = C × rate × (p(1-p))^e; a buy of C shares delivers all C shares.
    """
    return rate * (price * (ONE - price)) ** exponent


def pm_cost(asks: Sequence[Level], held: Decimal, rate: Decimal) -> tuple[Decimal, Decimal] | None:
    """Dollars paid (fees included) and shares bought to hold ``held`` shares (None if thin)."""
    dollars = bought = ZERO
    for price, size in asks:
        take = min(size, held - bought)
        dollars += take * (price + pm_unit_fee(price, rate))
        bought += take
        if bought >= held:
            return dollars, bought
    return None


def kalshi_cost(asks: Sequence[Level], count: Decimal, multiplier: Decimal) -> Decimal | None:
    """Dollars for a taker buy of ``count`` contracts: each fill's fee up to $0.0001, the order's
    total up to the cent (venue-notes 00, 2.8)."""
    dollars = fee = ZERO
    left = count
    for price, size in asks:
        take = min(size, left)
        dollars += take * price
        fee += ceil_to(KALSHI_TAKER * multiplier * take * price * (ONE - price), Decimal("0.0001"))
        left -= take
        if left <= 0:
            return dollars + ceil_cent(fee)
    return None


@dataclass(frozen=True)
class PairResult:
    """How much one cross-venue pair (PM buy + Kalshi buy of the complement) makes."""

    raw_top: Decimal  # best PM ask + best Kalshi ask, before fees
    net_top: Decimal  # 1 - both effective top-level costs (Kalshi fee unrounded), per contract
    size: Decimal  # contracts (= shares held on PM) at the most profitable size
    profit: Decimal  # at that size, Kalshi fee rounded up to the cent
    pm_bought: Decimal
    pm_avg: Decimal
    k_avg: Decimal

    @property
    def is_opportunity(self) -> bool:
        return self.profit > 0


def evaluate_pair(
    pm_asks: Sequence[Level], k_asks: Sequence[Level], rate: Decimal, multiplier: Decimal
) -> PairResult | None:
    """Walk both books and find the size where adding contracts stops adding profit."""
    if not pm_asks or not k_asks:
        return None
    p0, q0 = pm_asks[0][0], k_asks[0][0]
    net_top = ONE - p0 - pm_unit_fee(p0, rate) - q0 - KALSHI_TAKER * multiplier * q0 * (ONE - q0)
    best = (ZERO, ZERO, ZERO, ZERO, ZERO)
    for size in _breakpoints(pm_asks, k_asks, rate, multiplier):
        pm = pm_cost(pm_asks, size, rate)
        k = kalshi_cost(k_asks, size, multiplier)
        if pm is None or k is None:
            break
        profit = size - pm[0] - k
        if profit > best[1]:
            best = (size, profit, pm[1], pm[0], k)
    size, profit, bought, pm_dollars, k_dollars = best
    return PairResult(
        p0 + q0,
        net_top,
        size,
        profit,
        bought,
        pm_dollars / bought if bought else ZERO,
        k_dollars / size if size else ZERO,
    )


def _breakpoints(
    pm_asks: Sequence[Level], k_asks: Sequence[Level], rate: Decimal, multiplier: Decimal
) -> Iterator[Decimal]:
    """Sizes at which either book moves to its next level, from the minimum order size up.

    Stops once both marginal costs together reach $1: past that point every contract loses.
    """
    edges: set[Decimal] = {PM_MIN_ORDER}
    held = ZERO
    for _, size in pm_asks:
        held += size
        edges.add(held)
    count = ZERO
    for _, size in k_asks:
        count += size
        edges.add(count)
    for size in sorted(e for e in edges if e >= PM_MIN_ORDER):
        yield size
        if _marginal(pm_asks, k_asks, size, rate, multiplier) >= ONE:
            return


def _marginal(
    pm_asks: Sequence[Level],
    k_asks: Sequence[Level],
    size: Decimal,
    rate: Decimal,
    multiplier: Decimal,
) -> Decimal:
    """Cost of the next contract just beyond ``size`` on both venues."""
    held, p = ZERO, None
    for price, level in pm_asks:
        held += level
        if held > size:
            p = price
            break
    count, q = ZERO, None
    for price, level in k_asks:
        count += level
        if count > size:
            q = price
            break
    if p is None or q is None:
        return ONE * 2
    return p + pm_unit_fee(p, rate) + q + KALSHI_TAKER * multiplier * q * (ONE - q)


# --------------------------------------------------------------------------- reference scanner


@dataclass(frozen=True)
class PairKey:
    """One complementary pair: buy a Polymarket outcome and the Kalshi contract against it."""

    game: str
    pm_outcome: str
    kalshi_ticker: str
    kalshi_side: str

    def label(self) -> str:
        return (
            f"{self.game}: PM {self.pm_outcome} + {self.kalshi_ticker} {self.kalshi_side.upper()}"
        )


def game_pairs(slate: Slate, game: Game) -> list[tuple[PairKey, str, int, str]]:
    """(key, PM token, outcome index, Kalshi ticker) for the four pairs of a matched game.

    Buying team X on Polymarket pairs with the other team's YES or X's NO on Kalshi.
    """
    ml = slate.moneyline(game)
    if ml is None or not game.on_kalshi:
        return []
    out = []
    for index, side in enumerate(("away", "home")):
        other = "home" if side == "away" else "away"
        for ticker, k_side in (
            (game.kalshi_ticker(other), "yes"),
            (game.kalshi_ticker(side), "no"),
        ):
            key = PairKey(game.key, ml.outcomes[index], ticker, k_side)
            out.append((key, ml.tokens[index], index, ticker))
    return out


@dataclass
class View:
    """Books as a consumer of the recorded payloads sees them."""

    pm: dict[str, PmBook]  # by token id
    kalshi: dict[str, KBook]  # by ticker
    broken: set[str] = field(default_factory=set)  # tickers waiting for a snapshot

    def copy(self) -> View:
        return View(
            {k: v.copy() for k, v in self.pm.items()},
            {k: v.copy() for k, v in self.kalshi.items()},
            set(self.broken),
        )


def scan_game(
    slate: Slate, view: View, game: Game, now: datetime, honour_gaps: bool = True
) -> dict[PairKey, PairResult]:
    """Profitable pairs of one game under a correct scanner's rules (or a naive one's)."""
    if game.start <= now:
        return {}
    found = {}
    lg = LEAGUES[game.league]
    for key, token, _, ticker in game_pairs(slate, game):
        tickers = {game.kalshi_ticker("away"), game.kalshi_ticker("home")}
        if honour_gaps and tickers & view.broken:
            continue
        pm_asks = view.pm[token].ask_levels()
        k_asks = view.kalshi[ticker].asks(key.kalshi_side)
        result = evaluate_pair(pm_asks, k_asks, lg.pm_fee_rate, Decimal(1))
        if result is not None and result.is_opportunity:
            found[key] = result
    return found


def pair_result(slate: Slate, view: View, key: PairKey) -> PairResult:
    game = GAME_BY_KEY[key.game]
    ml = slate.moneyline(game)
    assert ml is not None
    token = ml.tokens[ml.outcomes.index(key.pm_outcome)]
    result = evaluate_pair(
        view.pm[token].ask_levels(),
        view.kalshi[key.kalshi_ticker].asks(key.kalshi_side),
        LEAGUES[game.league].pm_fee_rate,
        Decimal(1),
    )
    assert result is not None
    return result


# --------------------------------------------------------------------------- REST payloads


def gamma_time(moment: datetime) -> str:
    """``gameStartTime`` is "YYYY-MM-DD HH:MM:SS+00", not ISO with a T (notes 1.2)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def et_clock(moment: datetime) -> str:
    local = moment + ET_OFFSET
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'AM' if local.hour < 12 else 'PM'}"


def pm_description(game: Game) -> str:
    away, home = game.away_team.pm_label, game.home_team.pm_label
    local = game.start + ET_OFFSET
    return (
        f"In the upcoming {LEAGUES[game.league].name} game, scheduled for "
        f"{local:%B} {local.day} at {et_clock(game.start)} ET:\n"
        f'If {away} wins, the market will resolve to "{away}".\n'
        f'If {home} wins, the market will resolve to "{home}".\n'
        "If the game is postponed, this market will remain open until the game has been "
        "completed.\n"
        "If the game is canceled entirely, with no make-up game, this market will resolve 50-50."
    )


def s3(path: str) -> str:
    return f"https://polymarket-upload.s3.us-east-2.amazonaws.com/{path}"


def outcome_prices(m: PmMarket) -> str:
    """Gamma's indicative prices: each token's mid, as a JSON-encoded string array."""
    bid, ask = m.book.best_bid() or ZERO, m.book.best_ask() or ONE
    first = ((bid + ask) / 2).quantize(Decimal("0.0001")).normalize()
    return json.dumps([pm_text(first), pm_text(ONE - first)])


def gamma_market(m: PmMarket) -> Json:
    """One Gamma market object, keys in the order of the recorded NFL sample."""
    game, lg = m.game, LEAGUES[m.game.league]
    created = game.start - timedelta(days=6, hours=pick(0, 5, m.slug))
    liquidity = (
        Decimal(pick(20_000, 350_000, m.slug, "liq")) + Decimal(pick(0, 9999, m.slug)) / 10000
    )
    volume = Decimal(pick(800, 90_000, m.slug, "vol")) + Decimal(pick(0, 999_999, m.slug)) / 10**6
    bid, ask = m.book.best_bid() or ZERO, m.book.best_ask() or ONE
    pos = int.from_bytes(_digest("position", m.slug), "big") >> 8
    obj: Json = {
        "id": str(pick(4_400_000, 4_499_999, m.slug)),
        "question": m.question,
        "conditionId": m.condition_id,
        "slug": m.slug,
        "resolutionSource": lg.resolution,
        "endDate": iso(game.start),
        "liquidity": pm_text(liquidity),
        "startDate": iso(created + timedelta(seconds=13)),
        "image": s3(f"{lg.key}.png"),
        "icon": s3(f"{lg.key}.png"),
        "outcomes": json.dumps(list(m.outcomes)),
        "outcomePrices": outcome_prices(m),
        "volume": pm_text(volume),
        "active": True,
        "closed": False,
        "marketMakerAddress": "",
        "createdAt": iso_micro(created, m.slug, "created"),
        "updatedAt": iso_micro(CAPTURED_AT - timedelta(seconds=pick(30, 400, m.slug)), m.slug),
        "new": False,
        "featured": False,
        "archived": False,
        "resolvedBy": "0x65070BE91477460D8A7AeEb94ef92fe056C2f2A7",
        "restricted": True,
    }
    if m.group_title:
        obj["groupItemTitle"] = m.group_title
    obj |= {
        "groupItemThreshold": {"moneyline": "0", "spreads": "1", "totals": "2"}[m.kind],
        "questionID": hex32("question", m.slug),
        "enableOrderBook": True,
        "orderPriceMinTickSize": float(m.tick),
        "orderMinSize": int(PM_MIN_ORDER),
        "volumeNum": float(volume),
        "liquidityNum": float(liquidity),
        "endDateIso": f"{game.start:%Y-%m-%d}",
        "startDateIso": f"{created:%Y-%m-%d}",
        "hasReviewedDates": True,
        "volume24hr": float(volume * Decimal("0.41")),
        "volume1wk": float(volume),
        "volume1mo": float(volume),
        "volume1yr": float(volume),
        "gameStartTime": gamma_time(game.start),
        "secondsDelay": lg.pm_seconds_delay,
        "clobTokenIds": json.dumps(list(m.tokens)),
        "positionIds": [str(pos), str(pos + 1)],
        "comboStatus": "enabled",
        "umaBond": "250",
        "umaReward": "0.8",
        "volumeClob": float(volume),
        "liquidityClob": float(liquidity),
        "makerBaseFee": 1000,
        "takerBaseFee": 1000,
        "customLiveness": 900,
        "acceptingOrders": True,
        "negRisk": False,
        "ready": False,
        "funded": False,
        "acceptingOrdersTimestamp": iso(created + timedelta(seconds=13)),
        "cyom": False,
        "competitive": round(0.9 + pick(0, 999, m.slug, "comp") / 10_000, 4),
        "pagerDutyNotificationEnabled": False,
        "approved": True,
        "rewardsMinSize": 50,
        "rewardsMaxSpread": 4.5,
        "spread": float(ask - bid),
        "oneDayPriceChange": float(Decimal(pick(-3, 3, m.slug, "1d")) / 100),
        "lastTradePrice": float(m.last_trade),
        "bestBid": float(bid),
        "bestAsk": float(ask),
        "automaticallyActive": True,
        "clearBookOnStart": True,
        "manualActivation": False,
        "negRiskOther": False,
        "sportsMarketType": m.kind,
    }
    if m.line is not None:
        obj["line"] = float(m.line)
    obj |= {
        "umaResolutionStatuses": "[]",
        "pendingDeployment": False,
        "deploying": False,
        "deployingTimestamp": iso_micro(created, m.slug, "deploy"),
        "rfqEnabled": False,
        "holdingRewardsEnabled": False,
        "feesEnabled": True,
        "requiresTranslation": False,
        "feeType": "sports_fees_v3",
        "feeSchedule": {
            "exponent": 1,
            "rate": float(lg.pm_fee_rate),
            "takerOnly": True,
            "rebateRate": 0.15,
        },
        "version": "v1",
    }
    return obj


def gamma_team(team: Team, ordering: str) -> Json:
    lg = LEAGUES[team.league]
    return {
        "id": pick(100_100, 109_999, team.league, team.kalshi_code),
        "name": team.full_name,
        "league": lg.key,
        "record": team.record,
        "logo": s3(f"{lg.name}+Team+Logos/{team.pm_code.upper()}.png"),
        "abbreviation": team.pm_code,
        "alias": team.pm_label,
        "createdAt": iso_micro(datetime(2024, 9, 11, 21, 12, 30, tzinfo=UTC), team.full_name),
        "updatedAt": iso_micro(datetime(2026, 11, 20, 4, 33, 6, tzinfo=UTC), team.full_name, "u"),
        "providerId": pick(1, 400, team.full_name),
        "color": "#" + _digest("color", team.full_name).hex()[:6].upper(),
        "ordering": ordering,
    }


def gamma_tags(lg: League) -> list[Json]:
    return [
        {
            "id": "1",
            "label": "Sports",
            "slug": "sports",
            "forceShow": False,
            "publishedAt": "2023-10-24 22:37:50.296+00",
            "updatedBy": 15,
            "createdAt": "2023-10-24T22:37:50.31Z",
            "updatedAt": "2026-04-17T20:47:16.461062Z",
            "forceHide": True,
            "requiresTranslation": False,
        },
        {
            "id": lg.pm_tag_id,
            "label": lg.pm_tag_label,
            "slug": lg.key,
            "forceShow": False,
            "createdAt": iso_micro(datetime(2023, 11, 2, 23, 11, 18, tzinfo=UTC), lg.key),
            "updatedAt": iso_micro(datetime(2026, 4, 17, 20, 50, 50, tzinfo=UTC), lg.key),
            "requiresTranslation": False,
        },
        {
            "id": "100639",
            "label": "Games",
            "slug": "games",
            "forceShow": False,
            "createdAt": "2024-09-23T22:41:37.670714Z",
            "updatedAt": "2026-03-09T22:28:03.358133Z",
            "requiresTranslation": False,
        },
    ]


def gamma_event(game: Game, markets: list[PmMarket]) -> Json:
    """One Gamma game event with nested markets, as GET /events/keyset lists it."""
    lg = LEAGUES[game.league]
    created = game.start - timedelta(days=6, hours=pick(0, 5, game.slug))
    liquidity = sum((Decimal(pick(20_000, 350_000, m.slug, "liq")) for m in markets), ZERO)
    volume = (
        Decimal(pick(5_000, 180_000, game.slug, "vol")) + Decimal(pick(0, 999, game.slug)) / 1000
    )
    title = f"{game.away_team.pm_label} vs. {game.home_team.pm_label}"
    started = game.start <= CAPTURED_AT
    obj: Json = {
        "id": str(pick(930_000, 989_999, game.slug)),
        "ticker": game.slug,
        "slug": game.slug,
        "title": title,
        "description": pm_description(game),
        "resolutionSource": lg.resolution,
        "startDate": iso(created + timedelta(seconds=13)),
        "creationDate": iso(game.start),
        "endDate": iso(game.start),
        "image": s3(f"{lg.key}.png"),
        "icon": s3(f"{lg.key}.png"),
        "active": True,
        "closed": False,
        "archived": False,
        "new": False,
        "featured": False,
        "restricted": True,
        "liquidity": float(liquidity),
        "volume": float(volume),
        "openInterest": float(volume * Decimal("0.87")),
        "createdAt": iso_micro(created, game.slug, "c"),
        "updatedAt": iso_micro(CAPTURED_AT - timedelta(seconds=pick(5, 300, game.slug)), game.slug),
        "competitive": round(0.95 + pick(0, 499, game.slug) / 10_000, 4),
        "volume24hr": float(volume * Decimal("0.45")),
        "volume1wk": float(volume),
        "volume1mo": float(volume),
        "volume1yr": float(volume),
        "enableOrderBook": True,
        "liquidityClob": float(liquidity),
        "negRisk": False,
        "commentCount": pick(0, 12, game.slug, "comments"),
        "markets": [gamma_market(m) for m in markets],
        "series": [
            {
                "id": lg.pm_series_id,
                "ticker": lg.pm_series_slug,
                "slug": lg.pm_series_slug,
                "title": lg.pm_series_title,
                "seriesType": "single",
                "recurrence": "daily",
                "image": "",
                "icon": "",
                "active": True,
                "closed": False,
                "archived": False,
                "restricted": True,
                "createdAt": iso_micro(datetime(2026, 9, 8, 19, 57, 42, tzinfo=UTC), lg.key),
                "updatedAt": iso_micro(CAPTURED_AT - timedelta(minutes=3), lg.key, "series"),
                "volume24hr": 612_233.41,
                "volume": 4_338_120.77,
                "liquidity": 18_204_551.2,
                "commentCount": 31,
                "requiresTranslation": False,
            }
        ],
        "tags": gamma_tags(lg),
        "cyom": False,
        "showAllOutcomes": True,
        "showMarketImages": False,
        "enableNegRisk": False,
        "automaticallyActive": True,
        "eventDate": f"{game.et_date:%Y-%m-%d}",
        "startTime": iso(game.start),
        "seriesSlug": lg.pm_series_slug,
        "period": "2H" if started else "NS",
    }
    if started:
        obj |= {"live": True, "ended": False, "score": "33-41"}
    obj |= {
        "negRiskAugmented": False,
        "pendingDeployment": False,
        "deploying": False,
        "gameId": pick(20_000, 29_999, game.slug),
        "usId": game.slug,
        "requiresTranslation": False,
        "eventMetadata": {"context_requires_regen": False},
        "teams": [gamma_team(game.away_team, "away"), gamma_team(game.home_team, "home")],
        "sport": {
            "id": lg.pm_sport_id,
            "sport": lg.key,
            "name": lg.name,
            "image": s3(f"{lg.key}.png"),
            "resolution": lg.resolution,
            "ordering": "away",
            "tags": f"1,{lg.pm_tag_id},100639",
            "primaryTagId": int(lg.pm_tag_id),
            "series": str(10_100 + lg.pm_sport_id),
            "createdAt": iso_micro(datetime(2025, 11, 5, 19, 27, 45, tzinfo=UTC), lg.key),
        },
        "version": "v1",
    }
    return obj


def book_hash(body: Json) -> str:
    """SHA-1 of the compact book JSON in the server's key order with an empty hash (notes 1.3)."""
    keys = (
        "market",
        "asset_id",
        "timestamp",
        "hash",
        "bids",
        "asks",
        "min_order_size",
        "tick_size",
        "neg_risk",
        "last_trade_price",
    )
    payload = {k: ("" if k == "hash" else body[k]) for k in keys}
    return hashlib.sha1(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


def wire_levels(book: PmBook) -> tuple[list[Json], list[Json]]:
    """Bids and asks in wire order, worst price first (the best is the last element)."""
    bids = [{"price": pm_text(p), "size": pm_text(s)} for p, s in sorted(book.bids.items())]
    asks = [
        {"price": pm_text(p), "size": pm_text(s)}
        for p, s in sorted(book.asks.items(), reverse=True)
    ]
    return bids, asks


def clob_book(m: PmMarket, index: int, tick: Decimal, timestamp_ms: int) -> Json:
    """GET /book for one token, keys in the order of the recorded sample."""
    bids, asks = wire_levels(m.token_book(index))
    last = m.last_trade if index == 0 else ONE - m.last_trade
    body: Json = {
        "market": m.condition_id,
        "asset_id": m.tokens[index],
        "timestamp": str(timestamp_ms),
        "hash": "",
        "bids": bids,
        "asks": asks,
        "min_order_size": pm_text(PM_MIN_ORDER),
        "tick_size": pm_text(tick),
        "neg_risk": False,
        "last_trade_price": f"{last:.3f}",
    }
    body["hash"] = book_hash(body)
    return body


def kalshi_series(lg: League) -> Json:
    """GET /series/{ticker} "series" body: carries the fee type and multiplier."""
    return {
        "additional_prohibitions": [
            "Players, coaches, staff and officials of the teams or league in the Underlying.",
            "Paid employees, owners and household members of the above.",
            "Anyone holding material non-public information about the Underlying.",
        ],
        "category": "Sports",
        "contract_terms_url": f"https://assets.kalshi.com/contract_terms/{lg.kalshi_series}.pdf",
        "contract_url": "https://assets.kalshi.com/regulatory/product-certifications/"
        f"{lg.kalshi_series}.pdf",
        "exchange_index": 0,
        "fee_multiplier": 1,
        "fee_type": lg.kalshi_fee_type,
        "frequency": "custom",
        "last_updated_ts": iso_micro(datetime(2026, 11, 20, 0, 29, 24, tzinfo=UTC), lg.key),
        "product_metadata": {"scope": "Game"},
        "settlement_sources": [{"name": "the Governing League", "url": lg.resolution}],
        "tags": [lg.kalshi_tag],
        "ticker": lg.kalshi_series,
        "title": lg.kalshi_series_title,
    }


def k_top(book: KBook) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """yes bid, yes ask, and their sizes, from a book of bids."""
    yes_bid = book.best("yes") or ZERO
    no_bid = book.best("no") or ZERO
    return (yes_bid, ONE - no_bid, book.yes.get(yes_bid, ZERO), book.no.get(no_bid, ZERO))


def kalshi_market(km: KMarket) -> Json:
    """One market object in the current format (only *_dollars and *_fp fields)."""
    game, lg, team = km.game, LEAGUES[km.game.league], km.team
    title = f"{game.away_team.kalshi_city} at {game.home_team.kalshi_city}"
    yes_bid, yes_ask, bid_size, ask_size = k_top(km.book)
    created = game.start - timedelta(days=5, hours=pick(0, 9, km.ticker))
    expected_end = game.start + timedelta(hours=3)
    close = game.start + timedelta(days=14)
    last = yes_bid + CENT * pick(0, int((yes_ask - yes_bid) / CENT), km.ticker, "last")
    volume = Decimal(pick(40_000, 2_400_000, km.ticker)) + Decimal(pick(0, 99, km.ticker)) / 100
    local = game.start + ET_OFFSET
    return {
        "can_close_early": True,
        "close_time": iso(close),
        "created_time": iso_micro(created, km.ticker),
        "custom_strike": {lg.strike_key: uuid_for("team", team.league, team.kalshi_code)},
        "early_close_condition": "This market will close and expire after a winner is declared.",
        "event_ticker": game.kalshi_event,
        "exchange_index": 0,
        "expected_expiration_time": iso(expected_end),
        "expiration_time": iso(close),
        "expiration_value": "",
        "fractional_trading_enabled": True,
        "last_price_dollars": k_price(last),
        "latest_expiration_time": iso(close),
        "liquidity_dollars": "0.0000",
        "market_type": "binary",
        "no_ask_dollars": k_price(ONE - yes_bid),
        "no_bid_dollars": k_price(ONE - yes_ask),
        "no_sub_title": team.kalshi_label,
        "notional_value_dollars": "1.0000",
        "occurrence_datetime": iso(expected_end),
        "open_interest_fp": k_count(volume * Decimal("0.53")),
        "open_time": iso(created + timedelta(minutes=5)),
        "previous_price_dollars": k_price(last - CENT * pick(-1, 1, km.ticker, "prev")),
        "previous_yes_ask_dollars": k_price(yes_ask),
        "previous_yes_bid_dollars": k_price(yes_bid),
        "price_level_structure": "linear_cent",
        "price_ranges": [{"end": "1.0000", "start": "0.0000", "step": "0.0100"}],
        "result": "",
        "rules_primary": (
            f"If {team.kalshi_city} wins the {title} {lg.sport_words} originally scheduled "
            f"for {local:%b} {local.day}, {local.year}, then the market resolves to Yes."
        ),
        "rules_secondary": "",
        "settlement_timer_seconds": 60,
        "status": "active",
        "strike_type": "structured",
        "ticker": km.ticker,
        "title": f"{title} Winner?",
        "updated_time": iso_micro(
            CAPTURED_AT - timedelta(seconds=pick(1, 90, km.ticker)), km.ticker
        ),
        "volume_24h_fp": k_count(volume * Decimal("0.38")),
        "volume_fp": k_count(volume),
        "yes_ask_dollars": k_price(yes_ask),
        "yes_ask_size_fp": k_count(ask_size),
        "yes_bid_dollars": k_price(yes_bid),
        "yes_bid_size_fp": k_count(bid_size),
        "yes_sub_title": team.kalshi_label,
    }


def kalshi_event(game: Game, markets: list[KMarket]) -> Json:
    """GET /events?with_nested_markets=true: one event object with its markets nested."""
    lg = LEAGUES[game.league]
    away, home = game.away_team, game.home_team
    return {
        "available_on_brokers": True,
        "category": "Sports",
        "collateral_return_type": "MECNET",
        "event_ticker": game.kalshi_event,
        "last_updated_ts": iso_micro(
            CAPTURED_AT - timedelta(minutes=pick(2, 50, game.key)), game.kalshi_event
        ),
        "markets": [kalshi_market(m) for m in markets],
        "mutually_exclusive": True,
        "product_metadata": {"competition": lg.kalshi_competition, "competition_scope": "Game"},
        "series_ticker": lg.kalshi_series,
        "settlement_sources": [{"name": "the Governing League", "url": lg.resolution}],
        "strike_period": "",
        "sub_title": f"{away.kalshi_code} at {home.kalshi_code} ({game.et_date:%b} "
        f"{game.et_date.day})",
        "title": f"{away.kalshi_city} at {home.kalshi_city}",
    }


def kalshi_orderbook(book: KBook) -> Json:
    """GET /markets/{ticker}/orderbook: bids only, ascending, best last (notes 2.3)."""
    return {
        "orderbook_fp": {
            "no_dollars": [[k_price(p), k_count(s)] for p, s in sorted(book.no.items())],
            "yes_dollars": [[k_price(p), k_count(s)] for p, s in sorted(book.yes.items())],
        }
    }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Result:
    """How one game ended: one fact that both venues' settlement payloads are built from."""

    game: Game
    away_score: int
    home_score: int
    ended_at: datetime  # the final whistle

    @property
    def away_won(self) -> bool:
        return self.away_score > self.home_score

    @property
    def margin(self) -> int:
        """Away score minus home score."""
        return self.away_score - self.home_score


#: (losing score range, winning margin range, game length in minutes, extra minutes) by league.
_SCORING = {
    "nba": ((96, 118), (1, 17), 140, 25),
    "nhl": ((0, 3), (1, 3), 150, 30),
    "cbb": ((58, 76), (1, 15), 125, 20),
}


def game_result(game: Game) -> Result:
    """A plausible final score: the favourite (by the venues' prices) usually wins."""
    if game.pm is not None:
        away_chance = (dec(game.pm.bid) + dec(game.pm.ask)) / 2
    else:
        assert game.k_away is not None
        away_chance = (dec(game.k_away.bid) + dec(game.k_away.ask)) / 2
    away_won = Decimal(pick(0, 999, "result", game.key)) < away_chance * 1000
    (low, high), (least, most), minutes, extra = _SCORING[game.league]
    loser = pick(low, high, "loser", game.key)
    winner = loser + pick(least, most, "margin", game.key)
    away, home = (winner, loser) if away_won else (loser, winner)
    ended = game.start + timedelta(minutes=minutes + pick(0, extra, "length", game.key))
    return Result(game, away, home, ended)


RESULTS = {game.key: game_result(game) for game in GAMES}


def pm_winner(m: PmMarket, result: Result) -> int:
    """The index of the outcome that won ``m``: moneyline team, spread cover, over/under."""
    if m.kind == "moneyline":
        return 0 if result.away_won else 1
    assert m.line is not None
    if m.kind == "spreads":  # outcomes are (favourite, underdog); the line is the favourite's
        extra = next(e for e in m.game.extras if e.kind == "spreads" and dec(e.line) == m.line)
        favourite_margin = result.margin if extra.favourite == "away" else -result.margin
        return 0 if favourite_margin + m.line > 0 else 1
    return 0 if result.away_score + result.home_score > m.line else 1


def pm_resolution_times(m: PmMarket, result: Result) -> tuple[datetime, datetime]:
    """(UMA resolution, Gamma close): the proposal settles some minutes after the final
    whistle, and Gamma marks the market closed a while after that."""
    uma = result.ended_at + timedelta(minutes=pick(12, 25, "uma", m.slug))
    return uma, uma + timedelta(minutes=pick(20, 50, "closed", m.slug), seconds=pick(0, 59, m.slug))


def gamma_resolved_market(m: PmMarket, result: Result) -> Json:
    """The Gamma market object after resolution (GET /markets?slug=...): closed, final
    ``outcomePrices``, UMA status resolved, no order book left."""
    winner = pm_winner(m, result)
    uma, closed = pm_resolution_times(m, result)
    obj = gamma_market(m)
    for key in ("bestBid", "bestAsk", "spread"):
        del obj[key]
    prices = ["1" if index == winner else "0" for index in range(2)]
    obj |= {
        "outcomePrices": json.dumps(prices),
        "liquidity": "0",
        "closed": True,
        "updatedAt": iso_micro(closed + timedelta(seconds=4), m.slug, "resolved"),
        "closedTime": gamma_time(closed),
        "liquidityNum": 0,
        "liquidityClob": 0,
        "acceptingOrders": False,
        "lastTradePrice": 0.999 if winner == 0 else 0.001,
        "umaEndDate": iso(uma),
        "umaResolutionStatus": "resolved",
        "umaResolutionStatuses": json.dumps(["proposed", "resolved"]),
        "automaticallyResolved": True,
    }
    return obj


def kalshi_settlement_ts(km: KMarket, result: Result) -> datetime:
    """Kalshi determines the result minutes after the game and settles once its timer ran."""
    return result.ended_at + timedelta(minutes=pick(4, 14, "settle", km.ticker), seconds=37)


def kalshi_settled_market(km: KMarket, result: Result) -> Json:
    """The market object after settlement (GET /markets/{ticker}): status finalized, result,
    settlement value, no book left."""
    won = result.away_won == (km.side == "away")
    settled = kalshi_settlement_ts(km, result)
    obj = kalshi_market(km)
    obj |= {
        "close_time": iso(result.ended_at),
        "expiration_time": iso(settled),
        "expiration_value": km.team.kalshi_label if won else "",
        "last_price_dollars": k_price(Decimal("0.99") if won else CENT),
        "no_ask_dollars": k_price(ZERO),
        "no_bid_dollars": k_price(ZERO),
        "result": "yes" if won else "no",
        "settlement_ts": iso(settled),
        "settlement_value_dollars": k_price(ONE if won else ZERO),
        "status": "finalized",
        "updated_time": iso_micro(settled + timedelta(seconds=2), km.ticker, "settled"),
        "yes_ask_dollars": k_price(ZERO),
        "yes_ask_size_fp": k_count(ZERO),
        "yes_bid_dollars": k_price(ZERO),
        "yes_bid_size_fp": k_count(ZERO),
    }
    return dict(sorted(obj.items()))


def settlement_payloads(slate: Slate) -> tuple[list[Json], list[Json]]:
    """resolved.json (every Polymarket market) and settled.json (every Kalshi market)."""
    resolved = [gamma_resolved_market(m, RESULTS[m.game.key]) for m in slate.pm_markets]
    settled = [
        kalshi_settled_market(km, RESULTS[km.game.key])
        for km in sorted(slate.k_markets, key=lambda km: km.ticker)
    ]
    return resolved, settled


# --------------------------------------------------------------------------- streams


@dataclass
class Recorder:
    """Builds both venues' stream lines while keeping the true books and Kalshi's sequences."""

    slate: Slate
    pm_lines: list[tuple[int, Json]] = field(default_factory=list)
    k_lines: list[tuple[int, Json]] = field(default_factory=list)
    seq: dict[int, int] = field(default_factory=dict)
    ticks: dict[str, Decimal] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)
    trade_seq: int = 0

    TRADE_SID = 90
    TICKER_SID = 91

    def stamp(self, seconds: float) -> int:
        """A unique epoch-ms stamp ``seconds`` after capture, so the merged order is unambiguous."""
        ts = T0_MS + round(seconds * 1000)
        while ts in self.used:
            ts += 1
        self.used.add(ts)
        return ts

    # Polymarket ----------------------------------------------------------------------------

    def pm_reprice(self, m: PmMarket, target: PmBook, seconds: float, step: float = 0.04) -> None:
        """Move outcome[0]'s book to ``target`` one level at a time, removals first.

        Each change is one price_change frame carrying both tokens (the mirror level), as the
        market channel sends them; removing before adding keeps the book from ever crossing.
        """
        for i, (side, price, size) in enumerate(_pm_diff(m.book, target)):
            book = m.book.bids if side == "BUY" else m.book.asks
            if size > 0:
                book[price] = size
            else:
                book.pop(price, None)
            self._pm_price_change(m, side, price, size, seconds + i * step)

    def pm_set(self, m: PmMarket, side: str, price: Decimal, size: Decimal, seconds: float) -> None:
        """One level of outcome[0]'s book set to an absolute size (0 removes it)."""
        target = m.book.copy()
        levels = target.bids if side == "BUY" else target.asks
        if size > 0:
            levels[price] = size
        else:
            levels.pop(price, None)
        self.pm_reprice(m, target, seconds)

    def _pm_price_change(
        self, m: PmMarket, side: str, price: Decimal, size: Decimal, seconds: float
    ) -> None:
        ts = self.stamp(seconds)
        stamp = str(ts - pick(15, 60, m.slug, ts))
        other = "SELL" if side == "BUY" else "BUY"
        changes = []
        for index, (s, p) in enumerate(((side, price), (other, ONE - price))):
            body = clob_book(m, index, self.tick(m), int(stamp))
            book = m.token_book(index)
            changes.append(
                {
                    "asset_id": m.tokens[index],
                    "price": pm_text(p),
                    "size": pm_text(size),
                    "side": s,
                    "hash": body["hash"],
                    "best_bid": pm_text(book.best_bid() or ZERO),
                    "best_ask": pm_text(book.best_ask() or ONE),
                }
            )
        self.pm_lines.append(
            (
                ts,
                {
                    "market": m.condition_id,
                    "price_changes": changes,
                    "timestamp": stamp,
                    "event_type": "price_change",
                },
            )
        )

    def pm_trade(
        self, m: PmMarket, index: int, size: Decimal, seconds: float, as_book: bool = False
    ) -> None:
        """A taker buys ``size`` of token ``index`` at its best ask; the book then shrinks."""
        book = m.token_book(index)
        price = book.best_ask()
        assert price is not None and book.asks[price] > size
        ts = self.stamp(seconds)
        stamp = str(ts - pick(15, 60, m.slug, ts))
        self.pm_lines.append(
            (
                ts,
                {
                    "event_type": "last_trade_price",
                    "asset_id": m.tokens[index],
                    "market": m.condition_id,
                    "price": pm_text(price),
                    "size": pm_text(size),
                    "fee_rate_bps": "0",
                    "side": "BUY",
                    "timestamp": stamp,
                    "transaction_hash": hex32("tx", m.slug, ts),
                },
            )
        )
        m.last_trade = price if index == 0 else ONE - price
        # Outcome[0]'s view: buying token 1's ask at p consumed outcome[0]'s bid at 1 - p.
        side, level = ("SELL", price) if index == 0 else ("BUY", ONE - price)
        levels = m.book.asks if side == "SELL" else m.book.bids
        left = levels[level] - size
        if as_book:
            levels[level] = left
            for i in range(2):
                self.pm_book_message(m, i, seconds + 0.05 + i * 0.01)
        else:
            self.pm_set(m, side, level, left, seconds + 0.05)

    def pm_book_message(self, m: PmMarket, index: int, seconds: float) -> None:
        """A full ``book`` snapshot for one token, as sent after trades that change the book."""
        ts = self.stamp(seconds)
        stamp = ts - pick(15, 60, m.slug, ts)
        body = clob_book(m, index, self.tick(m), stamp)
        self.pm_lines.append(
            (
                ts,
                {
                    "event_type": "book",
                    "asset_id": body["asset_id"],
                    "market": body["market"],
                    "bids": body["bids"],
                    "asks": body["asks"],
                    "timestamp": body["timestamp"],
                    "hash": body["hash"],
                    "tick_size": body["tick_size"],
                    "last_trade_price": body["last_trade_price"],
                },
            )
        )

    def pm_tick_change(self, m: PmMarket, new_tick: str, seconds: float) -> None:
        """Both tokens move to a finer tick, as happens near the extremes."""
        old = self.tick(m)
        self.ticks[m.slug] = dec(new_tick)
        for index in range(2):
            ts = self.stamp(seconds + index * 0.002)
            self.pm_lines.append(
                (
                    ts,
                    {
                        "event_type": "tick_size_change",
                        "asset_id": m.tokens[index],
                        "market": m.condition_id,
                        "old_tick_size": pm_text(old),
                        "new_tick_size": new_tick,
                        "timestamp": str(ts - 20),
                    },
                )
            )

    def tick(self, m: PmMarket) -> Decimal:
        return self.ticks.get(m.slug, m.tick)

    # Kalshi --------------------------------------------------------------------------------

    def k_snapshot(self, km: KMarket, seconds: float) -> None:
        ts = self.stamp(seconds)
        self.k_lines.append(
            (
                ts,
                {
                    "type": "orderbook_snapshot",
                    "sid": km.sid,
                    "seq": self._next(km.sid),
                    "msg": {
                        "market_ticker": km.ticker,
                        "market_id": km.market_id,
                        "yes_dollars_fp": [
                            [k_price(p), k_count(s)] for p, s in sorted(km.book.yes.items())
                        ],
                        "no_dollars_fp": [
                            [k_price(p), k_count(s)] for p, s in sorted(km.book.no.items())
                        ],
                    },
                },
            )
        )

    def k_reprice(
        self,
        moves: Sequence[tuple[KMarket, KBook]],
        seconds: float,
        step: float = 0.03,
        emit: bool = True,
    ) -> None:
        """Deltas that move one or more markets' books to new targets, all decreases first.

        Repricing a game's two markets together, shrinking both before growing either, means no
        intermediate state offers a cheaper complete set than the start or the end. With
        ``emit`` False the deltas still consume sequence numbers but are not recorded: the
        recorder missed them, which is what a sequence gap looks like on the wire.
        """
        changes = [
            (delta > 0, km, side, price, delta)
            for km, target in moves
            for side, price, delta in _k_diff(km.book, target)
        ]
        changes.sort(key=lambda c: c[0])
        for i, (_, km, side, price, delta) in enumerate(changes):
            self.k_delta(km, side, price, delta, seconds + i * step, emit=emit)

    def k_delta(
        self,
        km: KMarket,
        side: str,
        price: Decimal,
        delta: Decimal,
        seconds: float,
        emit: bool = True,
    ) -> None:
        book = km.book.yes if side == "yes" else km.book.no
        new = book.get(price, ZERO) + delta
        assert new >= 0, (km.ticker, side, price, delta)
        if new > 0:
            book[price] = new
        else:
            book.pop(price, None)
        seq = self._next(km.sid)
        if not emit:
            return
        ts = self.stamp(seconds)
        sent = ts - pick(20, 80, km.ticker, ts)
        self.k_lines.append(
            (
                ts,
                {
                    "type": "orderbook_delta",
                    "sid": km.sid,
                    "seq": seq,
                    "msg": {
                        "market_ticker": km.ticker,
                        "market_id": km.market_id,
                        "price_dollars": k_price(price),
                        "delta_fp": k_count(delta),
                        "side": side,
                        "ts": iso(datetime.fromtimestamp(sent / 1000, UTC)),
                        "ts_ms": sent,
                    },
                },
            )
        )

    def k_trade(self, km: KMarket, taker: str, count: Decimal, seconds: float) -> None:
        """A taker buys ``taker`` (yes/no) at the best ask, consuming the opposite bid."""
        resting = "no" if taker == "yes" else "yes"
        bid = km.book.best(resting)
        assert bid is not None
        self.k_delta(km, resting, bid, -count, seconds)
        ts = self.stamp(seconds + 0.01)
        sent = ts - pick(20, 80, km.ticker, ts)
        yes_price = ONE - bid if taker == "yes" else bid
        self.trade_seq += 1
        self.k_lines.append(
            (
                ts,
                {
                    "type": "trade",
                    "sid": self.TRADE_SID,
                    "seq": self.trade_seq,
                    "msg": {
                        "trade_id": uuid_for("trade", km.ticker, ts),
                        "market_ticker": km.ticker,
                        "yes_price_dollars": k_price(yes_price),
                        "no_price_dollars": k_price(ONE - yes_price),
                        "count_fp": k_count(count),
                        "taker_side": taker,
                        "taker_outcome_side": taker,
                        "taker_book_side": "bid" if taker == "yes" else "ask",
                        "is_block_trade": False,
                        "ts": sent // 1000,
                        "ts_ms": sent,
                    },
                },
            )
        )
        self.k_ticker(km, yes_price, count, seconds + 0.02)

    def k_ticker(self, km: KMarket, last: Decimal, last_size: Decimal, seconds: float) -> None:
        ts = self.stamp(seconds)
        sent = ts - pick(20, 80, km.ticker, ts)
        yes_bid, yes_ask, bid_size, ask_size = k_top(km.book)
        volume = Decimal(pick(40_000, 2_400_000, km.ticker)) + last_size
        self.k_lines.append(
            (
                ts,
                {
                    "type": "ticker",
                    "sid": self.TICKER_SID,
                    "msg": {
                        "market_id": km.market_id,
                        "market_ticker": km.ticker,
                        "price_dollars": k_price(last),
                        "yes_bid_dollars": k_price(yes_bid),
                        "yes_ask_dollars": k_price(yes_ask),
                        "volume_fp": k_count(volume),
                        "open_interest_fp": k_count(volume * Decimal("0.53")),
                        "dollar_volume": int(volume * last),
                        "dollar_open_interest": int(volume * last / 2),
                        "yes_bid_size_fp": k_count(bid_size),
                        "yes_ask_size_fp": k_count(ask_size),
                        "last_trade_size_fp": k_count(last_size),
                        "ts": sent // 1000,
                        "ts_ms": sent,
                        "time": iso(datetime.fromtimestamp(sent / 1000, UTC)),
                    },
                },
            )
        )

    def _next(self, sid: int) -> int:
        self.seq[sid] = self.seq.get(sid, 0) + 1
        return self.seq[sid]


def _pm_diff(old: PmBook, new: PmBook) -> list[tuple[str, Decimal, Decimal]]:
    """(side, price, new size) changes from ``old`` to ``new``: shrinking ones first."""
    changes = []
    for side, a, b in (("BUY", old.bids, new.bids), ("SELL", old.asks, new.asks)):
        for price in sorted(set(a) | set(b)):
            if a.get(price, ZERO) != b.get(price, ZERO):
                changes.append(
                    (side, price, b.get(price, ZERO), b.get(price, ZERO) - a.get(price, ZERO))
                )
    changes.sort(key=lambda c: (c[3] > 0, c[0], c[1]))
    return [(side, price, size) for side, price, size, _ in changes]


def _k_diff(old: KBook, new: KBook) -> list[tuple[str, Decimal, Decimal]]:
    """(side, price, delta) changes from ``old`` to ``new``: decreases first."""
    changes = []
    for side, a, b in (("yes", old.yes, new.yes), ("no", old.no, new.no)):
        for price in sorted(set(a) | set(b)):
            delta = b.get(price, ZERO) - a.get(price, ZERO)
            if delta:
                changes.append((side, price, delta))
    changes.sort(key=lambda c: (c[2] > 0, c[0], c[1]))
    return changes


def repriced_pm(m: PmMarket, bid: str, ask: str, version: str) -> PmBook:
    """The market's outcome[0] book moved to a new quote, keeping its far levels."""
    quote = PmQuote(bid, ask, tick=pm_text(m.tick))
    book = pm_book(quote, LEAGUES[m.game.league].depth, m.game.key, m.kind, version)
    for levels, old in ((book.bids, m.book.bids), (book.asks, m.book.asks)):
        for p in (dec("0.01"), dec("0.02"), dec("0.98"), dec("0.99")):
            if p in old and p in levels:
                levels[p] = old[p]
    return book


def repriced_k(km: KMarket, bid: str, ask: str, version: str) -> KBook:
    """The Kalshi market's book moved to a new YES quote, keeping its far levels."""
    book = k_book(KQuote(bid, ask), LEAGUES[km.game.league].depth, km.game.key, km.side, version)
    for side in ("yes", "no"):
        old, new = getattr(km.book, side), getattr(book, side)
        for p in (dec("0.01"), dec("0.02")):
            if p in old:
                new[p] = old[p]
    return book


def t(seconds: float) -> float:
    """A scripted time with a stable sub-second offset, so stamps do not all end in 000."""
    return seconds + pick(1, 480, "t", seconds) / 1000


@dataclass(frozen=True)
class Moment:
    """A labelled instant of the stream, for the docs and EXPECTED.json."""

    name: str
    seconds: float


def script_stream(rec: Recorder) -> dict[str, Moment]:
    """The recorded six minutes after capture: noise, two transient edges, one sequence gap."""
    s = rec.slate
    for km in s.k_markets:  # subscribing sends a snapshot of every market, sid by sid
        rec.k_snapshot(km, 0.2 + 0.015 * s.k_markets.index(km))
    _noise(rec)
    _in_play(rec)
    moments = {}
    moments |= _transient_pm_first(rec)
    moments |= _transient_kalshi_first(rec)
    moments |= _continuity_loss(rec)
    return moments


def _noise(rec: Recorder) -> None:
    """Ordinary activity on books that hold no opportunity: resizes, trades, a full book."""
    s = rec.slate
    n7, n8, h2, h5 = s.pm("N7"), s.pm("N8"), s.pm("H2"), s.pm("H5")
    rec.pm_set(n7, "BUY", dec("0.37"), jitter(Decimal(2300), "n7", 1), t(12.0))
    rec.k_delta(s.kalshi("H1", "away"), "yes", dec("0.52"), dec(150), t(18.0))
    rec.k_trade(s.kalshi("H2", "home"), "yes", dec(40), t(25.0))
    rec.pm_set(h5, "SELL", dec("0.62"), jitter(Decimal(1400), "h5", 1), t(31.0))
    rec.pm_set(s.pm("C2"), "BUY", dec("0.26"), jitter(Decimal(900), "c2", 1), t(44.0))
    rec.k_delta(s.kalshi("N8", "away"), "yes", dec("0.62"), dec(300), t(52.0))
    rec.pm_trade(n8, 0, dec(210), t(70.0))
    rec.pm_set(s.pm("N1", "totals"), "SELL", dec("0.51"), jitter(Decimal(800), "tot", 1), t(85.0))
    rec.k_trade(s.kalshi("H6", "away"), "no", dec(65), t(100.0))
    rec.pm_trade(n7, 1, dec(150), t(130.0), as_book=True)
    rec.k_delta(s.kalshi("H7", "home"), "no", dec("0.36"), dec(-120), t(140.0))
    rec.pm_set(h2, "BUY", dec("0.39"), jitter(Decimal(1500), "h2", 1), t(205.0))
    rec.k_delta(s.kalshi("H9", "home"), "yes", dec("0.58"), dec(220), t(230.0))
    rec.pm_set(s.pm("H6"), "SELL", dec("0.58"), jitter(Decimal(1700), "h6", 1), t(260.0))
    rec.k_trade(s.kalshi("C2", "home"), "yes", dec(30), t(300.0))
    rec.pm_set(s.pm("C4"), "SELL", dec("0.046"), jitter(Decimal(300), "c4", 1), t(340.0))
    rec.k_delta(s.kalshi("H8", "away"), "no", dec("0.58"), dec(400), t(350.0))
    rec.k_trade(s.kalshi("H8", "home"), "yes", dec(25), t(352.0))


def _in_play(rec: Recorder) -> None:
    """The started college game runs away: Kalshi moves, then Polymarket and its tick size."""
    s = rec.slate
    syr, unc = s.kalshi("C0", "away"), s.kalshi("C0", "home")
    rec.k_reprice(
        [
            (unc, repriced_k(unc, "0.80", "0.82", "v2")),
            (syr, repriced_k(syr, "0.17", "0.20", "v2")),
        ],
        t(200.0),
    )
    pm = s.pm("C0")
    rec.pm_reprice(pm, repriced_pm(pm, "0.15", "0.17", "v2"), t(215.0))
    rec.k_reprice(
        [
            (unc, repriced_k(unc, "0.95", "0.97", "v3")),
            (syr, repriced_k(syr, "0.03", "0.05", "v3")),
        ],
        t(312.0),
    )
    rec.pm_reprice(pm, repriced_pm(pm, "0.03", "0.04", "v3"), t(318.0))
    rec.pm_tick_change(pm, "0.001", t(321.0))
    rec.pm_set(pm, "SELL", dec("0.037"), jitter(Decimal(260), "c0tick"), t(322.0))


def _transient_pm_first(rec: Recorder) -> dict[str, Moment]:
    """Celtics at Knicks: Polymarket marks the Celtics down, Kalshi catches up 90 s later."""
    s = rec.slate
    pm, bos, nyk = s.pm("N1"), s.kalshi("N1", "away"), s.kalshi("N1", "home")
    rec.pm_reprice(pm, repriced_pm(pm, "0.35", "0.36", "v2"), t(60.0))
    rec.k_reprice(
        [
            (nyk, repriced_k(nyk, "0.62", "0.64", "v2")),
            (bos, repriced_k(bos, "0.35", "0.38", "v2")),
        ],
        t(150.0),
    )
    return {
        "S1_pm_move": Moment("Polymarket reprices Celtics 0.41/0.42 -> 0.35/0.36", t(60.0)),
        "S1_kalshi_move": Moment("Kalshi reprices Knicks 0.57/0.59 -> 0.62/0.64", t(150.0)),
    }


def _transient_kalshi_first(rec: Recorder) -> dict[str, Moment]:
    """Thunder at Spurs: Kalshi marks the Thunder down, Polymarket follows 80 s later."""
    s = rec.slate
    pm, okc = s.pm("N5"), s.kalshi("N5", "away")
    rec.k_reprice([(okc, repriced_k(okc, "0.62", "0.64", "v2"))], t(170.0))
    rec.pm_reprice(pm, repriced_pm(pm, "0.63", "0.64", "v2"), t(250.0))
    return {
        "S2_kalshi_move": Moment("Kalshi reprices Thunder 0.68/0.71 -> 0.62/0.64", t(170.0)),
        "S2_pm_move": Moment("Polymarket reprices Thunder 0.69/0.70 -> 0.63/0.64", t(250.0)),
    }


def _continuity_loss(rec: Recorder) -> dict[str, Moment]:
    """Kings at Warriors: Kalshi deltas go missing while both venues react to news.

    The recorder misses the deltas that move Kalshi (a seq gap on the game's sid); Polymarket's
    move arrives intact. Applied to the stale Kalshi book it shows an edge that does not exist:
    the fresh snapshots 30 s later show Kalshi had moved too.
    """
    s = rec.slate
    pm, sac, gsw = s.pm("N9"), s.kalshi("N9", "away"), s.kalshi("N9", "home")
    rec.k_delta(gsw, "yes", dec("0.65"), dec(120), t(20.0))
    rec.k_delta(sac, "no", dec("0.66"), dec(200), t(45.0))
    rec.k_delta(gsw, "no", dec("0.31"), dec(-100), t(80.0))
    rec.k_reprice(
        [
            (gsw, repriced_k(gsw, "0.69", "0.70", "v2")),
            (sac, repriced_k(sac, "0.27", "0.31", "v2")),
        ],
        t(278.0),
        step=0.01,
        emit=False,
    )
    rec.k_delta(sac, "yes", dec("0.25"), dec(-100), t(280.0))
    rec.pm_reprice(pm, repriced_pm(pm, "0.27", "0.28", "v2"), t(283.0))
    rec.k_delta(gsw, "no", dec("0.28"), dec(300), t(290.0))
    rec.k_snapshot(gsw, t(310.0))
    rec.k_snapshot(sac, t(310.05))
    rec.k_delta(gsw, "yes", dec("0.68"), dec(150), t(330.0))
    return {
        "gap": Moment("first Kalshi delta after the gap arrives (seq jumps)", t(280.0)),
        "restored": Moment("fresh snapshots of both Kings-Warriors markets", t(310.05)),
    }


# --------------------------------------------------------------------------- consumer replay


def initial_view(slate: Slate, books: list[Json], orderbooks: dict[str, Json]) -> View:
    """Books as a consumer builds them from books.json and orderbooks.json."""
    pm = {}
    for body in books:
        pm[body["asset_id"]] = PmBook(
            {dec(x["price"]): dec(x["size"]) for x in body["bids"]},
            {dec(x["price"]): dec(x["size"]) for x in body["asks"]},
        )
    kalshi = {}
    for ticker, body in orderbooks.items():
        fp = body["orderbook_fp"]
        kalshi[ticker] = KBook(
            {dec(p): dec(s) for p, s in fp["yes_dollars"]},
            {dec(p): dec(s) for p, s in fp["no_dollars"]},
        )
    return View(pm, kalshi)


@dataclass
class Consumer:
    """Applies recorded messages the way a correct client does, tracking Kalshi sequences."""

    view: View
    honour_seq: bool = True
    last_seq: dict[int, int] = field(default_factory=dict)
    sid_tickers: dict[int, set[str]] = field(default_factory=dict)

    def apply(self, venue: str, msg: Json) -> set[str]:
        """Apply one message; returns the token ids / tickers whose books it touched."""
        if venue == "polymarket":
            return self._pm(msg)
        return self._kalshi(msg)

    def _pm(self, msg: Json) -> set[str]:
        kind = msg["event_type"]
        if kind == "price_change":
            for change in msg["price_changes"]:
                book = self.view.pm[change["asset_id"]]
                levels = book.bids if change["side"] == "BUY" else book.asks
                price, size = dec(change["price"]), dec(change["size"])
                if size > 0:
                    levels[price] = size
                else:
                    levels.pop(price, None)
            return {c["asset_id"] for c in msg["price_changes"]}
        if kind == "book":
            self.view.pm[msg["asset_id"]] = PmBook(
                {dec(x["price"]): dec(x["size"]) for x in msg["bids"]},
                {dec(x["price"]): dec(x["size"]) for x in msg["asks"]},
            )
            return {msg["asset_id"]}
        return set()

    def _kalshi(self, msg: Json) -> set[str]:
        kind = msg["type"]
        if kind not in {"orderbook_snapshot", "orderbook_delta"}:
            return set()
        sid, seq, body = msg["sid"], msg["seq"], msg["msg"]
        ticker = body["market_ticker"]
        self.sid_tickers.setdefault(sid, set()).add(ticker)
        expected = self.last_seq.get(sid, seq - 1) + 1
        self.last_seq[sid] = seq
        if seq != expected and self.honour_seq:  # a gap: every book on the sid is now unknown
            self.view.broken |= self.sid_tickers[sid]
        if kind == "orderbook_snapshot":
            self.view.kalshi[ticker] = KBook(
                {dec(p): dec(s) for p, s in body["yes_dollars_fp"]},
                {dec(p): dec(s) for p, s in body["no_dollars_fp"]},
            )
            self.view.broken.discard(ticker)
            return {ticker}
        book = self.view.kalshi[ticker]
        levels = book.yes if body["side"] == "yes" else book.no
        price = dec(body["price_dollars"])
        size = levels.get(price, ZERO) + dec(body["delta_fp"])
        if size > 0:
            levels[price] = size
        else:
            levels.pop(price, None)
        return {ticker}


def merged(
    pm_lines: list[tuple[int, Json]], k_lines: list[tuple[int, Json]]
) -> list[tuple[int, str, Json]]:
    lines = [(ts, "polymarket", m) for ts, m in pm_lines] + [(ts, "kalshi", m) for ts, m in k_lines]
    return sorted(lines, key=lambda x: x[0])


# --------------------------------------------------------------------------- design checks

STATIC = (
    PairKey("N6", "Nuggets", "KXNBAGAME-26NOV24DENMIN-MIN", "yes"),
    PairKey("N2", "Heat", "KXNBAGAME-26NOV24MIAORL-ORL", "yes"),
    PairKey("C3", "USC", "KXNCAAMBGAME-26NOV24USCWIS-WIS", "yes"),
    PairKey("C1", "Michigan", "KXNCAAMBGAME-26NOV24DUKEMICH-MICH", "no"),
    PairKey("H4", "Capitals", "KXNHLGAME-26NOV24NJWSH-NJ", "yes"),
)
STREAM_S1 = PairKey("N1", "Celtics", "KXNBAGAME-26NOV24BOSNYK-NYK", "yes")
STREAM_S2 = PairKey("N5", "Spurs", "KXNBAGAME-26NOV24OKCSAS-OKC", "yes")
STREAM_FAKE = PairKey("N9", "Kings", "KXNBAGAME-26NOV24SACGSW-GSW", "yes")
#: Raw prices below $1 whose taker fees turn the edge negative.
FEE_EATEN = (
    PairKey("N10", "Rockets", "KXNBAGAME-26NOV24HOUDAL-DAL", "yes"),
    PairKey("N4", "Bucks", "KXNBAGAME-26NOV24MILCLE-CLE", "yes"),
    PairKey("H3", "Lightning", "KXNHLGAME-26NOV24TORTB-TB", "no"),
)
#: Positive at the top level only for 3 shares, below Polymarket's 5-share minimum.
BELOW_MIN = PairKey("N3", "76ers", "KXNBAGAME-26NOV24PHITOR-TOR", "yes")


@dataclass(frozen=True)
class Decoy:
    """A pairing a careless scanner makes and a correct one must not."""

    kind: str
    pm_slug: str
    pm_outcome: str
    kalshi_ticker: str
    kalshi_side: str
    reason: str


# fmt: off
#: (kind, Polymarket game, market suffix, outcome, Kalshi game, Kalshi team side, Kalshi side, why)
_DECOYS = (
    ("cross_league_name", "N9", "", "Kings", "H7", "home", "no",
     "NBA Sacramento Kings on Polymarket vs NHL Los Angeles Kings ('LA Kings') on Kalshi"),
    ("cross_league_name", "H1", "", "Rangers", "N1", "home", "no",
     "NHL New York Rangers vs the NBA Knicks, whose Kalshi label is just 'New York'"),
    ("cross_league_name", "H1", "", "Panthers", "C2", "home", "no",
     "NHL Florida Panthers vs the Florida Gators (college), both 'FLA' on Kalshi"),
    ("cross_league_name", "N7", "", "Lakers", "N8", "away", "no",
     "Los Angeles Lakers vs the Clippers ('Los Angeles C') on Kalshi"),
    ("cross_league_name", "N8", "", "Jazz", "H5", "away", "no",
     "NBA Utah Jazz vs the NHL Utah Mammoth: both are 'UTA' in Kalshi tickers"),
    ("cross_date", "H6", "", "Flames", "H9", "away", "yes",
     "Oilers at Flames on Nov 24 (02:00Z Nov 25) vs the Nov 25 rematch's Kalshi market"),
    ("cross_date", "H9", "", "Oilers", "H6", "home", "yes",
     "Oilers at Flames on Nov 25 vs the Nov 24 game's Kalshi market"),
    ("market_type", "N1", "-spread-home-4pt5", "Knicks", "N1", "home", "no",
     "a spread outcome (Knicks -4.5) is not the Knicks moneyline"),
    ("market_type", "N5", "-spread-away-6pt5", "Thunder", "N5", "away", "no",
     "a spread outcome (Thunder -6.5) is not the Thunder moneyline"),
    ("market_type", "H2", "-spread-home-1pt5", "Bruins", "H2", "home", "no",
     "a puck line (Bruins -1.5) is not the Bruins moneyline"),
    ("market_type", "C1", "-spread-away-3pt5", "Duke", "C1", "away", "no",
     "a spread outcome (Duke -3.5) is not the Duke moneyline"),
    ("started", "C0", "", "Syracuse", "C0", "home", "yes",
     "tipped off at 22:00Z, an hour before capture; Polymarket's in-play price lags"),
)
# fmt: on


def decoys() -> list[Decoy]:
    """Pairings that look like arbitrage to a careless scanner (checked: raw < $1, net > 0)."""
    g = GAME_BY_KEY
    return [
        Decoy(kind, g[pm].slug + suffix, outcome, g[kg].kalshi_ticker(team), side, why)
        for kind, pm, suffix, outcome, kg, team, side, why in _DECOYS
    ]


def other_traps() -> list[Decoy]:
    """Pairs that are the right contracts but still no opportunity, and one-venue games."""
    g = GAME_BY_KEY

    def of(key: PairKey, kind: str, reason: str) -> Decoy:
        return Decoy(
            kind, g[key.game].slug, key.pm_outcome, key.kalshi_ticker, key.kalshi_side, reason
        )

    return [
        *(
            of(k, "fee_eaten", "prices sum below $1 but both venues' taker fees exceed the gap")
            for k in FEE_EATEN
        ),
        of(
            BELOW_MIN,
            "below_min_size",
            "positive only for the 3-share top level; at "
            "Polymarket's 5-share minimum the next level makes it negative",
        ),
        of(
            STREAM_FAKE,
            "continuity_loss",
            "shows an edge only on a stale Kalshi book between "
            "the sequence gap and the fresh snapshots",
        ),
        Decoy("one_venue", g["C5"].slug, "", "", "", "listed on Polymarket only"),
        Decoy("one_venue", "", "", g["H8"].kalshi_event, "", "listed on Kalshi only"),
    ]


def naive_result(slate: Slate, view: View, d: Decoy) -> PairResult:
    """What a scanner that believed the decoy pairing would compute for it."""
    m = next(x for x in slate.pm_markets if x.slug == d.pm_slug)
    token = m.tokens[m.outcomes.index(d.pm_outcome)]
    result = evaluate_pair(
        view.pm[token].ask_levels(),
        view.kalshi[d.kalshi_ticker].asks(d.kalshi_side),
        m.fee_rate,
        Decimal(1),
    )
    assert result is not None
    return result


@dataclass
class Timeline:
    """What the reference scanner saw while the streams played."""

    windows: dict[PairKey, list[tuple[int, int | None]]] = field(default_factory=dict)
    naive_fake: list[int] = field(default_factory=list)
    gap_ts: int | None = None
    restored_ts: int | None = None


def verify_design(slate: Slate, view0: View, lines: list[tuple[int, str, Json]]) -> Timeline:
    """Fail loudly unless the data holds exactly the documented opportunities and traps."""
    now = CAPTURED_AT
    found = _scan_all(slate, view0, now)
    assert set(found) == set(STATIC), f"static set differs: {sorted(k.label() for k in found)}"
    _check_traps(slate, view0)
    return _replay(slate, view0, lines, found)


def _scan_all(
    slate: Slate, view: View, now: datetime, honour_gaps: bool = True
) -> dict[PairKey, PairResult]:
    found: dict[PairKey, PairResult] = {}
    for game in GAMES:
        found |= scan_game(slate, view, game, now, honour_gaps)
    return found


def _check_traps(slate: Slate, view: View) -> None:
    """Every trap must look tempting to a careless scanner and be empty for a correct one."""
    for d in decoys():
        r = naive_result(slate, view, d)
        assert r.raw_top < 1 and r.is_opportunity, (d, r)
    for key in FEE_EATEN:
        r = pair_result(slate, view, key)
        assert r.raw_top < 1 and r.net_top < 0 and not r.is_opportunity, (key, r)
    tiny = pair_result(slate, view, BELOW_MIN)
    assert tiny.net_top > 0 and not tiny.is_opportunity, tiny
    for game in GAMES:
        _check_book_sanity(slate, view, game)


def _check_book_sanity(slate: Slate, view: View, game: Game) -> None:
    """No crossed book anywhere, and no single-venue complete set below $1 before fees."""
    for m in (x for x in slate.pm_markets if x.game is game):
        for token in m.tokens:
            b = view.pm[token]
            assert (b.best_bid() or ZERO) < (b.best_ask() or ONE), (m.slug, token)
    if game.on_kalshi:
        a = view.kalshi[game.kalshi_ticker("away")]
        h = view.kalshi[game.kalshi_ticker("home")]
        for b in (a, h):
            assert (b.best("yes") or ZERO) + (b.best("no") or ZERO) < ONE, game.key
        yes_sum = a.asks("yes")[0][0] + h.asks("yes")[0][0]
        no_sum = a.asks("no")[0][0] + h.asks("no")[0][0]
        assert yes_sum >= Decimal("0.98") and no_sum >= ONE, (game.key, yes_sum, no_sum)


def _replay(
    slate: Slate, view0: View, lines: list[tuple[int, str, Json]], found: dict[PairKey, PairResult]
) -> Timeline:
    consumer = Consumer(view0.copy())
    naive = Consumer(view0.copy(), honour_seq=False)
    tl = Timeline({k: [(T0_MS, None)] for k in found})
    current = set(found)
    token_game = {t: m.game for m in slate.pm_markets for t in m.tokens}
    ticker_game = {k.ticker: k.game for k in slate.k_markets}
    per_game = {g.key: {k for k in found if k.game == g.key} for g in GAMES}
    for ts, venue, msg in lines:
        now = CAPTURED_AT + timedelta(milliseconds=ts - T0_MS)
        touched = consumer.apply(venue, msg)
        naive.apply(venue, msg)
        if consumer.view.broken and tl.gap_ts is None:
            tl.gap_ts = ts
        games = {token_game.get(x) or ticker_game[x] for x in touched}
        for game in games:
            _check_book_sanity(slate, consumer.view, game)
            now_found = set(scan_game(slate, consumer.view, game, now))
            for key in now_found - per_game[game.key]:
                tl.windows.setdefault(key, []).append((ts, None))
            for key in per_game[game.key] - now_found:
                start, _ = tl.windows[key][-1]
                tl.windows[key][-1] = (start, ts)
            per_game[game.key] = now_found
            fake = scan_game(slate, naive.view, game, now, honour_gaps=False)
            if game.key == "N9" and fake:
                assert set(fake) == {STREAM_FAKE}, fake
                tl.naive_fake.append(ts)
        if tl.gap_ts and not consumer.view.broken and tl.restored_ts is None:
            tl.restored_ts = ts
        current = set().union(*per_game.values())
    assert current == set(STATIC), "the stream must end with exactly the static opportunities"
    _check_windows(tl)
    return tl


def _check_windows(tl: Timeline) -> None:
    for key in STATIC:
        assert tl.windows[key] == [(T0_MS, None)], (key, tl.windows[key])
    for key in (STREAM_S1, STREAM_S2):
        assert len(tl.windows.get(key, [])) == 1, (key, tl.windows.get(key))
        start, end = tl.windows[key][0]
        assert start > T0_MS and end is not None, key
    assert set(tl.windows) == set(STATIC) | {STREAM_S1, STREAM_S2}, sorted(
        k.label() for k in tl.windows
    )
    assert tl.gap_ts and tl.restored_ts and tl.naive_fake, tl
    assert all(tl.gap_ts <= ts < tl.restored_ts for ts in tl.naive_fake), tl


# --------------------------------------------------------------------------- output


def game_row(game: Game) -> Json:
    row: Json = {
        "key": game.key,
        "league": LEAGUES[game.league].canonical,
        "game_date": f"{game.et_date:%Y-%m-%d}",
        "start_time": iso(game.start),
        "away": game.away_team.full_name,
        "home": game.home_team.full_name,
        "polymarket_slug": game.slug if game.on_polymarket else None,
        "polymarket_outcomes": (
            {"away": game.away_team.pm_label, "home": game.home_team.pm_label}
            if game.on_polymarket
            else None
        ),
        "kalshi_event": game.kalshi_event if game.on_kalshi else None,
        "kalshi_markets": (
            {"away": game.kalshi_ticker("away"), "home": game.kalshi_ticker("home")}
            if game.on_kalshi
            else None
        ),
        "role": game.role,
    }
    return row


def expected_json(slate: Slate, tl: Timeline) -> Json:
    def opp(key: PairKey, kind: str) -> Json:
        game = GAME_BY_KEY[key.game]
        row: Json = {
            "league": LEAGUES[game.league].canonical,
            "game_date": f"{game.et_date:%Y-%m-%d}",
            "polymarket_slug": game.slug,
            "polymarket_outcome": key.pm_outcome,
            "kalshi_ticker": key.kalshi_ticker,
            "kalshi_side": key.kalshi_side,
            "kind": kind,
        }
        if kind == "stream":
            start, end = tl.windows[key][0]
            row["from_ts"], row["until_ts"] = start, end
        return row

    return {
        "captured_at": iso(CAPTURED_AT),
        "opportunities": [opp(k, "static") for k in STATIC]
        + [opp(k, "stream") for k in (STREAM_S1, STREAM_S2)],
        "decoys": [
            {
                "kind": d.kind,
                "polymarket_slug": d.pm_slug,
                "polymarket_outcome": d.pm_outcome,
                "kalshi_ticker": d.kalshi_ticker,
                "kalshi_side": d.kalshi_side,
                "reason": d.reason,
            }
            for d in decoys() + other_traps()
        ],
        "continuity": {
            "kalshi_sid": slate.kalshi("N9", "home").sid,
            "kalshi_tickers": [slate.kalshi("N9", side).ticker for side in ("away", "home")],
            "lost_ts": tl.gap_ts,
            "restored_ts": tl.restored_ts,
            "fake_pair": {
                "polymarket_slug": GAME_BY_KEY["N9"].slug,
                "polymarket_outcome": STREAM_FAKE.pm_outcome,
                "kalshi_ticker": STREAM_FAKE.kalshi_ticker,
                "kalshi_side": STREAM_FAKE.kalshi_side,
            },
        },
        "games": [game_row(g) for g in GAMES],
        "notes": (
            "static opportunities hold at captured_at and after the whole stream; stream ones hold "
            "from from_ts (inclusive) until until_ts (exclusive), epoch ms. A correct scanner "
            "reports exactly these (game, Polymarket outcome, Kalshi ticker, side) pairs, skips "
            "every decoy pairing, reports nothing for the Kalshi-continuity game between lost_ts "
            "and restored_ts, and applies a start cut-off (the started game shows an edge). "
            "See docs/sample-data.md."
        ),
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def write_jsonl(path: Path, lines: Iterable[tuple[int, Json]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(
        json.dumps({"ts": ts, "msg": msg}, separators=(",", ":"), ensure_ascii=False) + "\n"
        for ts, msg in lines
    )
    path.write_text(text)


def rest_payloads(slate: Slate) -> tuple[list[Json], list[Json], list[Json], list[Json], Json]:
    """events, books, Kalshi series, Kalshi events and orderbooks at capture time."""
    events, books = [], []
    for game in GAMES:
        markets = [m for m in slate.pm_markets if m.game is game]
        if not markets:
            continue
        events.append(gamma_event(game, markets))
        for m in markets:
            for index in range(2):
                fetched = T0_MS - 2400 + 9 * len(books)
                books.append(clob_book(m, index, m.tick, fetched))
    series = [kalshi_series(LEAGUES[key]) for key in ("nba", "nhl", "cbb")]
    k_events = []
    for game in sorted((g for g in GAMES if g.on_kalshi), key=lambda g: g.kalshi_event):
        k_events.append(kalshi_event(game, [m for m in slate.k_markets if m.game is game]))
    orderbooks = {
        m.ticker: kalshi_orderbook(m.book) for m in sorted(slate.k_markets, key=lambda m: m.ticker)
    }
    return events, books, series, k_events, orderbooks


def generate(out: Path, report: bool = False) -> None:
    slate = build_slate()
    events, books, series, k_events, orderbooks = rest_payloads(slate)
    view0 = initial_view(slate, books, orderbooks)
    rec = Recorder(slate)
    moments = script_stream(rec)
    rec.pm_lines.sort(key=lambda x: x[0])
    rec.k_lines.sort(key=lambda x: x[0])
    lines = merged(rec.pm_lines, rec.k_lines)
    tl = verify_design(slate, view0, lines)
    write_json(
        out / "manifest.json",
        {
            "description": "arbkit sample: an evening of NBA, NHL and men's college basketball "
            "games on Polymarket and Kalshi (synthetic prices, real formats). "
            "See docs/sample-data.md.",
            "captured_at": iso(CAPTURED_AT),
            "source": "synthetic, generated by tools/make_sample.py",
        },
    )
    write_json(out / "polymarket" / "events.json", events)
    write_json(out / "polymarket" / "books.json", books)
    write_jsonl(out / "polymarket" / "stream.jsonl", rec.pm_lines)
    write_json(out / "kalshi" / "series.json", series)
    write_json(out / "kalshi" / "events.json", k_events)
    write_json(out / "kalshi" / "orderbooks.json", orderbooks)
    write_jsonl(out / "kalshi" / "stream.jsonl", rec.k_lines)
    resolved, settled = settlement_payloads(slate)
    write_json(out / "polymarket" / "resolved.json", resolved)
    write_json(out / "kalshi" / "settled.json", settled)
    write_json(out / "EXPECTED.json", expected_json(slate, tl))
    if report:
        print_report(slate, view0, tl, moments)


# --------------------------------------------------------------------------- report


def _clock(ts: int) -> str:
    moment = datetime.fromtimestamp(ts / 1000, UTC)
    return moment.strftime("%H:%M:%S.") + f"{ts % 1000:03d}Z (+{(ts - T0_MS) / 1000:.3f} s)"


def print_report(slate: Slate, view: View, tl: Timeline, moments: dict[str, Moment]) -> None:
    """Markdown for docs/sample-data.md, recomputed from the data itself."""
    emit: Callable[[str], None] = print
    emit("## Games\n")
    emit("| key | league | start (UTC) | game | Polymarket slug | Kalshi event | role |")
    emit("|---|---|---|---|---|---|---|")
    for g in GAMES:
        emit(
            f"| {g.key} | {LEAGUES[g.league].canonical} | {g.start:%m-%d %H:%M} | "
            f"{g.away_team.full_name} at {g.home_team.full_name} | "
            f"{'`' + g.slug + '`' if g.on_polymarket else '—'} | "
            f"{'`' + g.kalshi_event + '`' if g.on_kalshi else '—'} | {g.role} |"
        )
    emit("\n## Results\n")
    emit("| key | final score (away-home) | final whistle (UTC) | winner |")
    emit("|---|---|---|---|")
    for g in GAMES:
        r = RESULTS[g.key]
        winner = g.away_team if r.away_won else g.home_team
        emit(
            f"| {g.key} | {r.away_score}-{r.home_score} | {r.ended_at:%m-%d %H:%M} | "
            f"{winner.full_name} |"
        )
    emit("\n## Opportunities at capture\n")
    emit(
        "| game | PM leg | Kalshi leg | raw | net/contract (top) | max size | profit | "
        "PM avg | Kalshi avg incl. fee |"
    )
    emit("|---|---|---|---|---|---|---|---|---|")
    for key in STATIC:
        _emit_pair(emit, slate, view, key)
    emit("\n## Traps at capture (naive pairing)\n")
    for d in decoys():
        r = naive_result(slate, view, d)
        emit(
            f"- {d.kind}: PM {d.pm_slug} {d.pm_outcome} + {d.kalshi_ticker} "
            f"{d.kalshi_side.upper()}: raw {r.raw_top}, naive net {r.net_top:.4f}, "
            f"naive profit {r.profit:.2f}"
        )
    for key in (*FEE_EATEN, BELOW_MIN, STREAM_FAKE):
        r = pair_result(slate, view, key)
        emit(
            f"- {key.label()}: raw {r.raw_top}, net/contract at top {r.net_top:.5f}, "
            f"best profit at >= 5 contracts {r.profit:.4f}"
        )
    emit("\n## Stream timeline\n")
    for name, m in moments.items():
        emit(f"- {_clock(T0_MS + round(m.seconds * 1000))}: {m.name} [{name}]")
    for key, spans in tl.windows.items():
        for start, end in spans:
            if start != T0_MS:
                emit(f"- {key.label()}: from {_clock(start)} until {_clock(end or 0)}")
    emit(
        f"- continuity lost {_clock(tl.gap_ts or 0)}, restored {_clock(tl.restored_ts or 0)}; "
        f"naive scanner sees the fake edge from {_clock(tl.naive_fake[0])}"
    )


def _emit_pair(emit: Callable[[str], None], slate: Slate, view: View, key: PairKey) -> None:
    r = pair_result(slate, view, key)
    game = GAME_BY_KEY[key.game]
    emit(
        f"| {key.game} {game.away_team.nickname} at {game.home_team.nickname} | "
        f"{key.pm_outcome} | {key.kalshi_ticker} {key.kalshi_side.upper()} | {r.raw_top} | "
        f"{r.net_top:.5f} | {r.size:.2f} | {r.profit:.2f} | {r.pm_avg:.4f} "
        f"({r.pm_bought:.2f} bought) | {r.k_avg:.4f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="directory to write (default: src/arbkit/data/sample)",
    )
    parser.add_argument(
        "--report", action="store_true", help="print the Markdown tables behind docs/sample-data.md"
    )
    args = parser.parse_args(argv)
    generate(args.out, report=args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
