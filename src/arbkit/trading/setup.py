"""Assembling a trader for an engine: the one place that picks paper or live.

Every front end that trades (``arbkit trade``, later ``backtest`` and the TUI) builds its
trader here, so the executor is chosen in exactly one place: a paper trader is handed the
paper executor, which holds no venue client, no credential and no signer, and so cannot place
a real order whatever else goes wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import field, frozen

from arbkit.errors import ConfigError
from arbkit.models import Market, Side, TimeInForce
from arbkit.registry import get_exits, get_venues
from arbkit.store import Store
from arbkit.trading.executor import BookLookup, ExecutionListener, Executor
from arbkit.trading.exits import ExitManager, build_exit_rules
from arbkit.trading.journal import TradeJournal
from arbkit.trading.killswitch import KillSwitch
from arbkit.trading.model import Mode, RiskLimits
from arbkit.trading.risk import RiskGate
from arbkit.trading.trader import MarketLookup, Trader
from arbkit.trading.tradestore import TradeStore
from arbkit.venue import Venue

if TYPE_CHECKING:
    from arbkit.engine.core import Engine
    from arbkit.trading.paper import SizeRule

#: paper cash per venue when the user gives no bankroll (dollars)
DEFAULT_PAPER_BANKROLL = Decimal(1000)


@frozen(kw_only=True)
class TradeSettings:
    """How to trade: the mode, the limits, the paper fill model and the exit rules."""

    mode: Mode = Mode.PAPER
    limits: RiskLimits = field(factory=RiskLimits)
    latency: timedelta = timedelta(milliseconds=250)  #: paper: decision → fill
    hedge_slippage: Decimal = Decimal("0.02")  #: a missed second leg is retried this much worse
    exits: Mapping[str, Mapping[str, Any]] = field(factory=dict)  #: ``[exits.<name>]`` config


def bankroll_for(settings: TradeSettings, venues: list[str]) -> dict[str, Decimal]:
    """Cash per venue: the user's figure, else (paper only) the default paper bankroll."""
    cash = dict(settings.limits.bankroll)
    for venue in venues:
        if venue not in cash:
            if settings.mode is Mode.LIVE:
                raise ConfigError(f"live trading needs the cash on {venue}: none was read")
            cash[venue] = DEFAULT_PAPER_BANKROLL
    return cash


def venue_size_rule(venue_classes: Mapping[str, type[Venue]]) -> SizeRule:
    """Each market's own venue's order-size rule (Polymarket FOK amounts have their own
    precision); the venue-neutral rule for a venue no plugin registers."""

    def rule(
        market: Market, side: Side, price: Decimal, size: Decimal, tif: TimeInForce
    ) -> Decimal:
        cls = venue_classes.get(market.venue, Venue)
        return cls.valid_size(market, side, price, size, tif)

    return rule


def build_trader(
    pm: pluggy.PluginManager,
    engine: Engine,
    store: Store,
    settings: TradeSettings,
    *,
    run_id: str,
    book_id: str,
    kill_switch: KillSwitch | None = None,
) -> Trader:
    """The trader for ``engine``, attached to it as a sink."""
    venue_classes = get_venues(pm)
    gate = RiskGate(
        settings.limits,
        venues=venue_classes,
        bankroll=bankroll_for(settings, engine.venues),
        mode=settings.mode,
        kill_switch=kill_switch,
    )
    if settings.mode is Mode.PAPER:
        # WAL with synchronous=NORMAL: a commit survives the process being killed (what paper
        # needs), only an OS crash or power cut can lose the last ones; no fsync per trade.
        store.db.execute("PRAGMA synchronous=NORMAL")
    journal = TradeJournal(store, run_id=run_id, mode=settings.mode)
    exits = ExitManager(build_exit_rules(get_exits(pm), settings.exits))

    def executor(listener: ExecutionListener, books: BookLookup, markets: MarketLookup) -> Executor:
        if settings.mode is Mode.PAPER:
            from arbkit.trading.paper import PaperExecutor

            return PaperExecutor(
                listener,
                books,
                markets,
                latency=settings.latency,
                hedge_slippage=settings.hedge_slippage,
                size_rule=venue_size_rule(venue_classes),
            )
        from arbkit.trading.live import LiveExecutor

        return LiveExecutor(
            listener,
            {venue.name: venue for venue in engine.session.venues},
            journal,
            books,
            markets,
            clock=engine.clock,
            hedge_slippage=settings.hedge_slippage,
        )

    trader = Trader(
        gate=gate,
        executor=executor,
        exits=exits,
        journal=journal,
        records=TradeStore(store, run_id=run_id, book_id=book_id),
        mode=settings.mode,
        book_id=book_id,
        hooks=pm.hook,
    )
    engine.attach(trader)
    return trader
