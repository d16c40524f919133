"""A live-trading rig for tests: the two fake venues on loopback, venues with credentials
pointed at them, a journal on a file, books and markets matching the fakes' books.

The game: Kalshi market ``KX`` (YES = team A) and Polymarket token ``B`` (team B) of the
fake's first game. Kalshi asks YES at 0.40 (10 contracts: thin) and bids 0.38; Polymarket asks
0.52/0.53 (120 contracts) and its fake fills every order at its limit (``fill_ratio`` 1).
Everything here is plain data so that a child process (tests/scripts/live_child.py) can build
the same rig from a JSON spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from arbkit_kalshi.venue import KalshiVenue
from arbkit_polymarket.venue import PolymarketVenue
from attrs import define, field

from arbkit.clock import WallClock
from arbkit.models import Market, OrderBook, Side
from arbkit.secrets import Secret
from arbkit.store.db import open_store
from arbkit.testing import fake_polymarket as fp
from arbkit.trading.journal import TradeJournal
from arbkit.trading.live import LiveExecutor
from arbkit.trading.model import LegPlan, Mode, PlanKind, TradeFill, TradePlan, TradeState
from arbkit.venue import VenueSettings

KX_EVENT = "KXNBAGAME-26DEC03AAABBB"
KX = f"{KX_EVENT}-AAA"
KX_YES = f"{KX}:yes"
CREATE = "/trade-api/v2/portfolio/events/orders"
#: The well-known first Hardhat/Anvil development key: public, never funded.
PM_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
T0 = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def kalshi_market_object() -> dict[str, Any]:
    """The fields of a Kalshi market object the fake and the order path read."""
    return {
        "ticker": KX,
        "event_ticker": KX_EVENT,
        "status": "active",
        "yes_sub_title": "A",
        "no_sub_title": "A",
        "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
    }


def stock_kalshi(fake: Any) -> None:
    """The Kalshi game: YES asks 0.40 × 10 (NO bids 0.60), YES bids 0.38 × 50."""
    fake.add_event(
        {
            "event_ticker": KX_EVENT,
            "series_ticker": "KXNBAGAME",
            "title": "A at B",
            "markets": [kalshi_market_object()],
        }
    )
    fake.set_book(KX, yes=[("0.38", "50")], no=[("0.60", "10")])


def pm_token(server: Any) -> str:
    return server.tokens()[1]


def markets(pm_token_id: str) -> dict[str, Market]:
    kalshi = Market(
        venue="kalshi",
        market_id=KX,
        event_id=KX_EVENT,
        title="A at B",
        tick_size=D("0.01"),
        min_size=D("0.01"),
        size_increment=D("0.01"),
    )
    poly = Market(
        venue="polymarket",
        market_id="pm-game",
        event_id="pm-game",
        title="A vs. B",
        tick_size=D("0.01"),
        min_size=D("5"),
        size_increment=D("0.01"),
    )
    # keyed by contract id, as the trader's lookup is (and by market id, for the tests)
    by_contract = {KX_YES: kalshi, f"{KX}:no": kalshi, pm_token_id: poly}
    return {**by_contract, KX: kalshi, "pm-game": poly}


def books(pm_token_id: str) -> dict[str, OrderBook]:
    """What the engine's books show: the same levels as the fakes hold."""
    return {
        KX_YES: OrderBook(
            venue="kalshi",
            contract_id=KX_YES,
            bids=((D("0.38"), D("50")),),
            asks=((D("0.40"), D("10")),),
        ),
        pm_token_id: OrderBook(
            venue="polymarket",
            contract_id=pm_token_id,
            bids=((D("0.48"), D("50")), (D("0.47"), D("100"))),
            asks=((D("0.52"), D("80")), (D("0.53"), D("40"))),
        ),
    }


def entry_plan(
    pm_token_id: str, trade_id: str = "T1", size: str = "10", pm_limit: str = "0.55"
) -> TradePlan:
    legs = (
        LegPlan(
            venue="kalshi",
            market_id=KX,
            contract_id=KX_YES,
            outcome="A",
            side=Side.BUY,
            size=D(size),
            limit_price=D("0.40"),
            expected_price=D("0.40"),
        ),
        LegPlan(
            venue="polymarket",
            market_id="pm-game",
            contract_id=pm_token_id,
            outcome="B",
            side=Side.BUY,
            size=D(size),
            limit_price=D(pm_limit),
            expected_price=D("0.52"),
        ),
    )
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.ENTRY,
        mode=Mode.LIVE,
        game_id="NBA:2026-12-03:A@B",
        league="NBA",
        strategy="cross_venue",
        opportunity_key=f"cross_venue|{KX_YES}|{pm_token_id}",
        legs=legs,
        size=D(size),
        decided_at=T0,
    )


def exit_plan(entry: TradePlan, trade_id: str, limits: tuple[str, str]) -> TradePlan:
    legs = tuple(
        LegPlan(
            venue=leg.venue,
            market_id=leg.market_id,
            contract_id=leg.contract_id,
            outcome=leg.outcome,
            side=Side.SELL,
            size=leg.size,
            limit_price=D(limit),
            expected_price=D(limit),
        )
        for leg, limit in zip(entry.legs, limits, strict=True)
    )
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.EXIT,
        mode=Mode.LIVE,
        game_id=entry.game_id,
        league=entry.league,
        strategy=entry.strategy,
        opportunity_key=entry.opportunity_key,
        legs=legs,
        size=entry.size,
        decided_at=T0,
        reason="test exit",
    )


@define
class Recorder:
    """An ExecutionListener that remembers; ``crash_at`` raises :class:`Crash` once that state
    has been stored (a process dying right after the write, before the next action)."""

    states: list[tuple[str, TradeState, str]] = field(factory=list)
    fills: list[TradeFill] = field(factory=list)
    crash_at: TradeState | None = None

    def filled(self, plan: TradePlan, fill: TradeFill) -> None:
        self.fills.append(fill)

    def trade_state(
        self, plan: TradePlan, state: TradeState, detail: str, at: datetime | None = None
    ) -> None:
        self.states.append((plan.trade_id, state, detail))
        if state is self.crash_at:
            raise Crash(state)

    def of(self, trade_id: str) -> list[TradeState]:
        return [state for tid, state, _ in self.states if tid == trade_id]


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs (not an Exception on purpose)."""


def spec(kalshi: Any, poly: Any, pem: str, key_id: str, db: Path) -> dict[str, Any]:
    """Everything needed to rebuild the rig elsewhere (a child process)."""
    return {
        "kalshi_api": kalshi.base_url,
        "kalshi_ws": kalshi.websocket_url,
        "pm_url": poly.http_url,
        "pm_ws": poly.ws_url,
        "pem": pem,
        "key_id": key_id,
        "db": str(db),
        "pm_token": pm_token(poly),
    }


def build_venues(spec: Mapping[str, Any], *, timeout: float = 5.0) -> dict[str, Any]:
    kalshi = KalshiVenue(
        VenueSettings(
            base_urls={"api": spec["kalshi_api"], "ws": spec["kalshi_ws"]},
            timeout=timeout,
            credentials={
                "api_key_id": Secret(spec["key_id"]),
                "private_key": Secret(spec["pem"]),
            },
            options={"backoff_base": 0.01, "backoff_cap": 0.05},
        )
    )
    url = spec["pm_url"]
    poly = PolymarketVenue(
        VenueSettings(
            base_urls={"gamma": url, "clob": url, "data": url, "ws": spec["pm_ws"]},
            timeout=timeout,
            credentials={
                "private_key": Secret(PM_KEY),
                "api_key": Secret(fp.API_KEY),
                "api_secret": Secret(fp.API_SECRET),
                "api_passphrase": Secret(fp.API_PASSPHRASE),
            },
            options={"retry_backoff": 0.01},
        )
    )
    return {"kalshi": kalshi, "polymarket": poly}


@define
class Rig:
    """One process's view: venues, a journal on the shared file and an executor."""

    spec: dict[str, Any]
    venues: dict[str, Any]
    store: Any
    journal: TradeJournal
    executor: LiveExecutor
    listener: Recorder

    async def close(self) -> None:
        """Close the venues' connections; the journal stays readable (the process "lives on"
        for the test's checks; the database itself needs no clean shutdown)."""
        for venue in self.venues.values():
            await venue.aclose()


def build_rig(
    spec: dict[str, Any],
    *,
    run_id: str,
    listener: Recorder | None = None,
    venue_timeout: float = 5.0,
    pm_first: bool = False,
    **options: Any,
) -> Rig:
    """``pm_first``: the engine's Polymarket book shows 5 contracts only, so that leg goes
    first (the fake still fills it)."""
    venues = build_venues(spec, timeout=venue_timeout)
    store = open_store(spec["db"])
    journal = TradeJournal(store, run_id=run_id, mode=Mode.LIVE)
    listener = listener or Recorder()
    book_map, market_map = books(spec["pm_token"]), markets(spec["pm_token"])
    if pm_first:
        token = spec["pm_token"]
        book_map[token] = OrderBook(
            venue="polymarket", contract_id=token, asks=((D("0.52"), D("5")),)
        )
    options.setdefault("reconcile_backoff", (0.02, 0.2))
    options.setdefault("unknown_grace", 1.0)
    executor = LiveExecutor(
        listener,
        venues,
        journal,
        book_map.get,
        market_map.get,
        clock=WallClock(),
        **options,
    )
    return Rig(spec, venues, store, journal, executor, listener)


def dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data))
