"""Real-shaped games for the risk gate, sizing and settlement tests.

Markets and contracts are built the way the venue parsers build them (Polymarket token ids and
two-team or Yes/No outcomes, Kalshi ``<ticker>:yes``/``:no`` with the NO negated), links the
way the matcher relates a Polymarket token to a Kalshi YES, and the venues' real fee models
and venue classes (settlement rules, FOK sizes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arbkit_kalshi.fees import KalshiFees
from arbkit_kalshi.venue import KalshiVenue
from arbkit_polymarket.fees import PolymarketFees
from arbkit_polymarket.venue import PolymarketVenue

from arbkit.models import (
    Contract,
    ContractLink,
    GameIdentity,
    Leg,
    Level,
    Market,
    MatchResult,
    Opportunity,
    OrderBook,
    Relation,
    Side,
)
from arbkit.strategy import GameState
from arbkit.venue import Venue

D = Decimal
NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
START = NOW + timedelta(hours=1)
HALF = D("0.5")


#: the venues' own classes: their settlement_payout and valid_size rules
VENUES: dict[str, type[Venue]] = {"polymarket": PolymarketVenue, "kalshi": KalshiVenue}

PM_FEES = PolymarketFees(rate=D("0.03"))
K_FEES = KalshiFees()


def pm_market(
    slug: str,
    outcomes: Sequence[str],
    ids: Sequence[str],
    *,
    league: str,
    identity: GameIdentity | None = None,
    min_size: str = "5",
) -> Market:
    contracts = tuple(
        Contract(
            venue="polymarket",
            contract_id=token,
            market_id=slug,
            outcome=label,
            subject=label,
            complement_id=ids[1 - i],
        )
        for i, (label, token) in enumerate(zip(outcomes, ids, strict=True))
    )
    return Market(
        venue="polymarket",
        market_id=slug,
        event_id=slug,
        title=" vs. ".join(outcomes),
        league=league,
        start_time=START,
        contracts=contracts,
        fees=PM_FEES,
        min_size=D(min_size),
        size_increment=D("0.01"),
        identity=identity,
    )


def kalshi_market(ticker: str, subject: str, *, league: str, draw: bool = False) -> Market:
    yes, no = f"{ticker}:yes", f"{ticker}:no"
    return Market(
        venue="kalshi",
        market_id=ticker,
        event_id=ticker.rsplit("-", 1)[0],
        title=f"{subject} wins" if not draw else "Tie",
        league=league,
        contracts=(
            Contract(
                venue="kalshi",
                contract_id=yes,
                market_id=ticker,
                outcome=subject,
                subject=subject,
                complement_id=no,
            ),
            Contract(
                venue="kalshi",
                contract_id=no,
                market_id=ticker,
                outcome=f"not {subject}",
                subject=subject,
                negated=True,
                complement_id=yes,
            ),
        ),
        fees=K_FEES,
        min_size=D("0.01"),
        size_increment=D("0.01"),
        identity=GameIdentity(league=league, yes_is_draw=draw),
    )


def link(
    left: Contract, right: Contract, relation: Relation, confidence: float = 0.99
) -> ContractLink:
    return ContractLink(left=left, right=right, relation=relation, confidence=confidence)


def contract(market: Market, outcome: str) -> Contract:
    return next(c for c in market.contracts if c.outcome == outcome)


def nba_game(confidence: float = 0.99) -> MatchResult:
    """Heat at Magic: Polymarket tokens Heat/Magic, Kalshi markets on MIA and ORL. No ties."""
    pm = pm_market(
        "nba-mia-orl-2026-11-24",
        ["Heat", "Magic"],
        ["807069080001178249556543148", "234533161788254723937654516"],
        league="NBA",
    )
    mia = kalshi_market("KXNBAGAME-26NOV24MIAORL-MIA", "Miami", league="NBA")
    orl = kalshi_market("KXNBAGAME-26NOV24MIAORL-ORL", "Orlando", league="NBA")
    heat, magic = contract(pm, "Heat"), contract(pm, "Magic")
    mia_yes, orl_yes = contract(mia, "Miami"), contract(orl, "Orlando")
    return MatchResult(
        game_id="NBA:2026-11-24:MIA@ORL",
        league="NBA",
        game_date=NOW.date(),
        start_time=START,
        title="Heat at Magic",
        markets=(pm, mia, orl),
        links=(
            link(heat, mia_yes, Relation.SAME, confidence),
            link(magic, mia_yes, Relation.OPPOSITE, confidence),
            link(heat, orl_yes, Relation.OPPOSITE, confidence),
            link(magic, orl_yes, Relation.SAME, confidence),
        ),
        confidence=confidence,
        can_end_level=False,
    )


def nfl_game() -> MatchResult:
    """Lions at Packers: a game that can end in a tie (Polymarket resolves it 50-50)."""
    pm = pm_market(
        "nfl-det-gb-2026-11-26",
        ["Lions", "Packers"],
        ["111222333444555666777888999", "999888777666555444333222111"],
        league="NFL",
    )
    det = kalshi_market("KXNFLGAME-26NOV26DETGB-DET", "Detroit", league="NFL")
    gb = kalshi_market("KXNFLGAME-26NOV26DETGB-GB", "Green Bay", league="NFL")
    lions, packers = contract(pm, "Lions"), contract(pm, "Packers")
    det_yes, gb_yes = contract(det, "Detroit"), contract(gb, "Green Bay")
    return MatchResult(
        game_id="NFL:2026-11-26:DET@GB",
        league="NFL",
        game_date=NOW.date(),
        start_time=START,
        title="Lions at Packers",
        markets=(pm, det, gb),
        links=(
            link(lions, det_yes, Relation.SAME),
            link(packers, det_yes, Relation.OPPOSITE),
            link(lions, gb_yes, Relation.OPPOSITE),
            link(packers, gb_yes, Relation.SAME),
        ),
        confidence=0.99,
        can_end_level=True,
    )


def soccer_game() -> MatchResult:
    """Arsenal v Chelsea, three ways: Polymarket Yes/No per outcome, Kalshi ARS / CHE / TIE."""
    markets = []
    links = []
    kalshi = {}
    for code, subject in (("ARS", "Arsenal"), ("CHE", "Chelsea"), ("TIE", "Tie")):
        draw = code == "TIE"
        slug_suffix = "draw" if draw else code.lower()
        pm = pm_market(
            f"epl-ars-che-2026-11-28-{slug_suffix}",
            ["Yes", "No"],
            [f"{code}1000000000000000001", f"{code}2000000000000000002"],
            league="EPL",
            identity=GameIdentity(
                league="EPL",
                yes=None if draw else code.lower(),
                yes_is_draw=draw,
            ),
        )
        k = kalshi_market(f"KXEPLGAME-26NOV28ARSCHE-{code}", subject, league="EPL", draw=draw)
        kalshi[code] = k
        markets += [pm, k]
        links += [
            link(contract(pm, "Yes"), contract(k, subject), Relation.SAME),
            link(contract(pm, "No"), contract(k, subject), Relation.OPPOSITE),
        ]
    return MatchResult(
        game_id="EPL:2026-11-28:CHE@ARS",
        league="EPL",
        game_date=NOW.date(),
        start_time=START,
        title="Arsenal v Chelsea",
        markets=tuple(markets),
        links=tuple(links),
        confidence=0.99,
        can_end_level=True,
    )


def book(
    venue: str, contract_id: str, asks: Sequence[tuple[str, str]], at: datetime = NOW
) -> OrderBook:
    levels: tuple[Level, ...] = tuple((D(p), D(s)) for p, s in asks)
    return OrderBook(venue=venue, contract_id=contract_id, asks=levels, timestamp=at)


def state(match: MatchResult, asks: dict[str, Sequence[tuple[str, str]]]) -> GameState:
    """The game with a book per contract id in ``asks`` (asks only: the gate buys)."""
    game = GameState.for_match(match)
    for contract_id, levels in asks.items():
        game.books[contract_id] = book(game.contracts[contract_id].venue, contract_id, levels)
    game.now = NOW
    return game


def by_outcome(match: MatchResult, venue: str, outcome: str) -> Contract:
    return next(
        c for m in match.markets if m.venue == venue for c in m.contracts if c.outcome == outcome
    )


def pair(match: MatchResult, *contracts: Contract, strategy: str = "cross_venue") -> Opportunity:
    """An opportunity buying 100 of each contract at 0.45 (settlement tests read only the legs)."""
    legs = tuple(
        Leg(
            venue=c.venue,
            market_id=c.market_id,
            contract_id=c.contract_id,
            outcome=c.outcome,
            side=Side.BUY,
            price=D("0.45"),
            size=D(100),
            fee=D(0),
            worst_price=D("0.45"),
            notional=D(45),
        )
        for c in contracts
    )
    return Opportunity(
        strategy=strategy,
        game_id=match.game_id,
        title=match.title,
        league=match.league,
        start_time=match.start_time,
        legs=legs,
        cost=D(90),
        payout=D(100),
        gross_edge=D("0.1"),
        net_edge=D("0.1"),
        size=D(100),
        expected_profit=D(10),
        confidence=match.confidence,
    )
