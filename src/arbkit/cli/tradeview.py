"""What ``arbkit trade`` shows: a live status line while it runs, a report when it ends.

The status is drawn with rich on stderr (stdout stays clean for ``--json``) and names the mode
in capitals on every redraw — PAPER or LIVE, LIVE in red — so the two cannot be confused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from arbkit.engine.sinks import Sink
from arbkit.money import format_decimal
from arbkit.trading.model import Mode
from arbkit.trading.pnl import summarize
from arbkit.trading.positions import position_json

if TYPE_CHECKING:
    from rich.live import Live

    from arbkit.trading.trader import Trader


def final_report(trader: Trader) -> dict[str, Any]:
    """The run's result in the shape ``arbkit trade --json`` prints (every decimal a string)."""
    positions = trader.positions.all()
    summary = summarize(
        positions,
        max_entry_price=trader.gate.limits.max_entry_price,
        broken=trader.broken_games,
    ).to_json()
    return {
        "mode": trader.mode.value,
        "as_of": trader.now().isoformat(),
        "positions": [position_json(p) for p in positions],
        "rejections": dict(sorted(trader.rejections.items())),
        "pnl": {key: summary[key] for key in ("realized", "unrealized", "fees")},
        "checks": summary["checks"],
        "opportunities": {"seen": len(trader.seen), "taken": trader.taken},
        "risk": trader.gate.state.value,
    }


def print_report(report: Mapping[str, Any]) -> None:
    """The report as tables for a person (rich, on stdout)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    mode = str(report["mode"]).upper()
    table = Table(
        title=f"{mode} positions as of {report['as_of']}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("game", "status", "legs", "cost", "fees", "realized", "marked", "exit"):
        table.add_column(
            column,
            justify="right" if column in _NUMERIC else "left",
            overflow="fold",  # a narrow terminal folds a figure, never cuts it to "1.70…"
        )
    for position in report["positions"]:
        legs = "\n".join(
            f"{leg['venue']} {leg.get('outcome') or leg['contract']} {leg['size']} "
            f"@ {leg['avg_price']}"
            for leg in position["legs"]
        )
        table.add_row(
            position["game"],
            position["status"],
            legs,
            position["cost"],
            position["fees"],
            position["realized_pnl"],
            position["unrealized_pnl"],
            position["exit_reason"] or "",
        )
    console.print(table)
    pnl = report["pnl"]
    console.print(
        f"P&L realized {pnl['realized']}  unrealized {pnl['unrealized']}  fees {pnl['fees']}"
    )
    seen = report["opportunities"]
    rejected = ", ".join(f"{k} {v}" for k, v in report["rejections"].items()) or "none"
    console.print(f"opportunities seen {seen['seen']}, taken {seen['taken']}; rejected: {rejected}")
    checks = report["checks"]
    console.print(
        "checks: exits within min hold {exits_within_min_hold}, entries above max price "
        "{entries_above_max_price}, one-legged {one_legged}".format(**checks)
    )


_NUMERIC = {"cost", "fees", "realized", "marked"}


class StatusLine(Sink):
    """A rich live status on stderr, redrawn at most a few times a second of wall time."""

    def __init__(
        self,
        trader: Trader,
        *,
        source: str,
        enabled: bool,
        bus: Callable[[], str] | None = None,
    ) -> None:
        self.trader = trader
        self.source = source
        self.enabled = enabled
        self.bus = bus  #: ``--bus``: the trading lease and the matcher, in a few words
        self._live: Live | None = None
        self._drawn = 0.0

    def __enter__(self) -> StatusLine:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self.render(), console=Console(stderr=True), auto_refresh=False)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            self._live.stop()

    def change(self, change: Any) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if now - self._drawn >= 0.25:
            self._drawn = now
            self._live.update(self.render(), refresh=True)

    def render(self) -> Any:
        from rich.text import Text

        status = self.trader.status()
        live = self.trader.mode is Mode.LIVE
        text = Text()
        text.append(
            f" {str(status['mode']).upper()} ",
            style="bold white on red" if live else "bold black on green",
        )
        text.append(f" {self.source}  risk {str(status['risk']).upper()}  ")
        if self.bus is not None:
            said = self.bus()
            alarm = any(word in said for word in ("LOST", "EXPIRING", "UNAVAILABLE"))
            text.append(f"{said}  ", style="bold red" if alarm else "")
        text.append(f"seen {status['seen']}  taken {status['taken']}  ")
        rejected: Mapping[str, int] = status["rejected"]  # type: ignore[assignment]
        if rejected:
            text.append("rejected " + " ".join(f"{k}:{v}" for k, v in sorted(rejected.items())))
        pnl = self.trader.pnl_now()
        text.append(
            f"  open {status['open_positions']}  P&L {format_decimal(pnl[0])} realized, "
            f"{format_decimal(pnl[1])} marked"
        )
        return text
