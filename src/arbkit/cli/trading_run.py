"""One trading run's pipeline, assembled in one place for ``arbkit trade`` and ``arbkit backtest``.

Both commands turn their options into the same :class:`~arbkit.engine.EngineSettings` and
:class:`~arbkit.trading.setup.TradeSettings`, attach the same sinks (plugin hooks, the store)
and the same trader, and end with the same report. A backtest and a paper replay of the same
data therefore cannot drift apart: there is no second copy of the assembly to forget.

    engine (build_engine) ─▶ HookSink, StoreSink ─▶ Trader (build_trader) ─▶ final_report

What differs stays with each command: the book a run trades in, live confirmation, signals
and the status line (``trade``); the book id, message counting and sweeps (``backtest``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import define

from arbkit.trading.model import Mode, RiskLimits

if TYPE_CHECKING:
    from arbkit.engine import Engine, EngineSettings, StoreSink
    from arbkit.engine.build import VenueFactory
    from arbkit.store import Store
    from arbkit.trading.killswitch import KillSwitch
    from arbkit.trading.setup import TradeSettings
    from arbkit.trading.trader import Trader


def engine_settings(opts: Mapping[str, Any], *, speed: float = 0.0) -> EngineSettings:
    """The engine a trading command runs, from the shared source options (``source_options``).

    The engine reports every opportunity (minimum edge 0): the risk gate applies the user's
    minimum edge, and says so when it refuses. Recorded settlements are played.
    """
    from arbkit.engine import EngineSettings

    return EngineSettings(
        sample=bool(opts["sample"]),
        replay_dir=opts["replay_dir"],
        venues=tuple(opts["venue_list"].split(",")) if opts["venue_list"] else (),
        leagues=tuple(opts["leagues"]),
        strategies=tuple(opts["strategy_names"]),
        min_edge=Decimal(0),
        speed=speed,
        settlements=True,
    )


def trade_settings(
    opts: Mapping[str, Any],
    *,
    mode: Mode,
    limits: RiskLimits,
    exits: Mapping[str, Any],
) -> TradeSettings:
    """How to trade: the limits, the paper latency (``--latency``) and the ``[exits]`` rules.

    The exit tables are copied into plain dicts, so the settings can be sent to a worker
    process (a backtest sweep) and compared.
    """
    from arbkit.trading.setup import TradeSettings

    return TradeSettings(
        mode=mode,
        limits=limits,
        latency=timedelta(seconds=opts["latency"]),
        exits=plain_exits(exits),
    )


def plain_exits(exits: Mapping[str, Any]) -> dict[str, Any]:
    """``[exits.<name>]`` tables as plain dicts (anything that is not a table is kept as it is,
    for :func:`~arbkit.trading.exits.build_exit_rules` to refuse with its own message)."""
    return {
        str(name): dict(table) if isinstance(table, Mapping) else table
        for name, table in exits.items()
    }


@define
class TradingPipeline:
    """An engine with its hook and store sinks, and (once :meth:`arm` is called) its trader."""

    engine: Engine
    store_sink: StoreSink
    store: Store
    book_id: str
    trader: Trader | None = None

    @classmethod
    def open(
        cls,
        pm: pluggy.PluginManager,
        store: Store,
        settings: EngineSettings,
        *,
        command: str,
        book_id: str,
        options: Mapping[str, Any],
        venue_factory: VenueFactory | None = None,
        progress: Callable[[str], None] | None = None,
        source: str | None = None,
    ) -> TradingPipeline:
        """Build the engine and attach the sinks every trading run has; ``options`` (with the
        book) are stored in the run's ``runs`` row, labelled ``source`` (default: the
        settings' own, ``sample`` or the replay directory)."""
        from arbkit.engine import HookSink, StoreSink, build_engine

        engine = build_engine(
            pm, settings, venue_factory=venue_factory, overrides=store.db, progress=progress
        )
        store_sink = StoreSink(
            store,
            command=command,
            source=source or settings.source,
            options={"book": book_id, **options},
        )
        engine.attach(HookSink(pm))
        engine.attach(store_sink)
        return cls(engine=engine, store_sink=store_sink, store=store, book_id=book_id)

    def arm(
        self,
        pm: pluggy.PluginManager,
        settings: TradeSettings,
        *,
        kill_switch: KillSwitch | None = None,
    ) -> Trader:
        """Attach the trader (risk gate → executor → positions → exits → settlement)."""
        from arbkit.trading.setup import build_trader

        self.trader = build_trader(
            pm,
            self.engine,
            self.store,
            settings,
            run_id=self.store_sink.run_id,
            book_id=self.book_id,
            kill_switch=kill_switch,
        )
        return self.trader

    def report(self) -> dict[str, Any]:
        """Settle what the data settled, then the run's result as ``arbkit trade --json``."""
        from arbkit.cli.tradeview import final_report

        assert self.trader is not None, "arm() builds the trader first"
        self.trader.settle_up()
        return final_report(self.trader)
