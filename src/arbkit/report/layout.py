"""The report's content as sections of lines, tables and charts, in reading order.

Every format renders these same sections (rich in the terminal, Markdown tables, HTML with
plotly charts), so a figure is worded and ordered once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from arbkit.report.execution import FillTotals
from arbkit.report.gather import Report
from arbkit.report.outcome import Point
from arbkit.report.stats import Bin, Summary
from arbkit.report.textcharts import dollars, edge, money, seconds, share
from arbkit.trading.pnl import MAX_ENTRY_PRICE, MIN_HOLD, Breakdown


@frozen
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  #: right-aligned columns


@frozen
class Chart:
    """``bars``: ``labels``/``counts``; ``line``: ``times``/``values`` (a cumulative series)."""

    chart_id: str
    title: str
    kind: str  # "bars" | "line"
    x_title: str
    y_title: str
    labels: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    times: tuple[datetime, ...] = ()
    values: tuple[Decimal, ...] = ()
    hover: tuple[str, ...] = ()


@frozen
class Section:
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = field(factory=tuple)


def title_of(report: Report) -> str:
    book = report.book
    return (
        f"arbkit report: book {book.book_id} ({', '.join(book.commands)} on "
        f"{', '.join(book.sources)}), {report.window.label}"
    )


def headline(report: Report) -> str:
    """The figures a person looks for first, on one line."""
    pnl = report.outcome.pnl
    o = report.opportunities
    failed = sum(pnl.checks.values())
    return (
        f"realized {dollars(pnl.realized)} after {dollars(pnl.fees)} fees · "
        f"unrealized {dollars(pnl.unrealized)} · {o.seen} opportunities, {o.taken} taken · "
        f"seed checks {'pass' if not failed else f'FAIL ({failed})'}"
    )


def sections(report: Report) -> list[Section]:
    return [
        _opportunities(report),
        _lifetimes(report),
        _edges(report),
        _execution(report),
        _pnl(report),
        _exits(report),
    ]


def _counts_table(title: str, head: str, counts: dict[str, int], total: int) -> Table:
    rows = tuple((name, str(n), share(n, total)) for name, n in counts.items())
    return Table(title, (head, "count", "share"), rows, (False, True, True))


def _bars(chart_id: str, title: str, x_title: str, bins: Sequence[Bin]) -> Chart:
    return Chart(
        chart_id,
        title,
        "bars",
        x_title,
        "count",
        labels=tuple(b.label for b in bins),
        counts=tuple(b.count for b in bins),
    )


def _summary_line(name: str, summary: Summary, fmt: Callable[[Decimal | None], str]) -> str:
    if not summary.count:
        return f"{name}: none"
    return (
        f"{name} ({summary.count}): median {fmt(summary.median)}, p90 {fmt(summary.p90)}, "
        f"min {fmt(summary.minimum)}, max {fmt(summary.maximum)}"
    )


def _opportunities(report: Report) -> Section:
    o = report.opportunities
    lines = (
        f"{o.seen} seen, {o.taken} taken ({share(o.taken, o.seen)}), {o.seen - o.taken} not taken",
    )
    tables = (
        _counts_table(
            "Not taken, by the last reason the risk gate gave",
            "reason",
            o.not_taken_by_reason,
            o.seen - o.taken,
        ),
    )
    refusals = Chart(
        "chart-refusals",
        "Every refusal, by reason",
        "bars",
        "reason",
        "refusals",
        labels=tuple(o.refusals_by_reason),
        counts=tuple(o.refusals_by_reason.values()),
    )
    return Section("Opportunities", lines, tables, (refusals,))


def _lifetimes(report: Report) -> Section:
    o = report.opportunities
    lines = (
        _summary_line("Lifetime", o.lifetime, seconds),
        f"{o.still_open} still there when their run ended",
    )
    vanished = _counts_table(
        "Why they vanished", "reason", o.vanished_by_reason, sum(o.vanished_by_reason.values())
    )
    chart = _bars("chart-lifetime", "Opportunity lifetime", "lifetime", o.lifetime_bins)
    return Section(
        "Opportunity lifetime (appeared → vanished, engine clock)", lines, (vanished,), (chart,)
    )


def _edges(report: Report) -> Section:
    o = report.opportunities
    lines = (
        _summary_line("Best net edge after fees", o.edge, edge),
        _summary_line("Match confidence", o.confidence, edge),
    )
    charts = (
        _bars(
            "chart-edge",
            "Best net edge per contract",
            "dollars",
            o.edge_bins,
        ),
        _bars("chart-confidence", "Match confidence", "confidence", o.confidence_bins),
    )
    return Section("Edges and match confidence", lines, (), charts)


def _execution(report: Report) -> Section:
    e = report.execution
    t = e.total
    lines = (
        f"{t.fills} fills, {t.contracts.normalize():f} contracts, notional {dollars(t.notional)}, "
        f"fees {dollars(t.fees)}",
        f"slippage against the quoted price {dollars(t.slippage)} "
        f"({edge(t.slippage_per_contract)} per contract; positive = worse than quoted)",
    )
    states = tuple((name, str(n)) for name, n in e.trades_by_state.items())
    tables = (
        _fills_table("Fills by venue", "venue", e.by_venue),
        _fills_table("Fills by trade kind", "kind", e.by_kind),
        Table("Trades by outcome", ("trade", "count"), states, (False, True)),
    )
    return Section("Fills and slippage", lines, tables)


def _fills_table(title: str, head: str, totals: dict[str, FillTotals]) -> Table:
    columns = (head, "fills", "contracts", "notional", "fees", "slippage", "per contract")
    rows = tuple(
        (
            name,
            str(v.fills),
            f"{v.contracts.normalize():f}",
            money(v.notional),
            money(v.fees),
            money(v.slippage),
            edge(v.slippage_per_contract),
        )
        for name, v in totals.items()
    )
    return Table(title, columns, rows, (False, *[True] * 6))


def _breakdown(title: str, head: str, rows: dict[str, Breakdown]) -> Table:
    body = tuple(
        (
            name,
            str(row.positions),
            money(row.realized),
            "" if row.unrealized is None else money(row.unrealized),
            money(row.fees),
        )
        for name, row in rows.items()
    )
    columns = (head, "positions", "realized", "unrealized", "fees")
    return Table(title, columns, body, (False, True, True, True, True))


def _pnl(report: Report) -> Section:
    out = report.outcome
    pnl = out.pnl
    lines = (
        f"realized {dollars(pnl.realized)} (after fees), unrealized {dollars(pnl.unrealized)}, "
        f"fees paid {dollars(pnl.fees)}; {out.closed_positions} closed, "
        f"{out.open_positions} open",
    )
    tables = (
        _breakdown("By league", "league", pnl.by_league),
        _breakdown("By venue (legs)", "venue", pnl.by_venue),
        _breakdown("By strategy", "strategy", pnl.by_strategy),
    )
    # the line starts at zero at the first entry, so one close still draws a rise or a fall
    start = (out.first_entry,) if out.first_entry is not None and out.cumulative else ()
    chart = Chart(
        "chart-pnl",
        "Cumulative realized P&L",
        "line",
        "closed at (engine clock)",
        "dollars",
        times=(*start, *(p.at for p in out.cumulative)),
        values=(*(Decimal(0) for _ in start), *(p.cumulative for p in out.cumulative)),
        hover=(*("first entry" for _ in start), *_hover(out.cumulative)),
    )
    return Section("P&L", lines, tables, (chart,))


def _hover(points: Sequence[Point]) -> list[str]:
    return [f"{p.game_id}: {money(p.realized)}, total {money(p.cumulative)}" for p in points]


def _exits(report: Report) -> Section:
    out = report.outcome
    rows = tuple(
        (reason, str(row.positions), money(row.realized), money(row.fees))
        for reason, row in out.exits_by_reason.items()
    )
    exits = Table(
        "Exits by reason",
        ("reason", "positions", "realized", "fees"),
        rows,
        (False, True, True, True),
    )
    checks = out.pnl.checks
    hold = int(MIN_HOLD.total_seconds())
    seed = (
        (f"exits within {hold} s of entry", str(checks.get("exits_within_min_hold", 0))),
        (f"entries above {MAX_ENTRY_PRICE}", str(checks.get("entries_above_max_price", 0))),
        ("one-legged positions", str(checks.get("one_legged", 0))),
    )
    verdict = "all pass" if not any(int(n) for _, n in seed) else "FAILED: see the counts"
    table = Table("Seed checks (each should be 0)", ("check", "count"), seed, (False, True))
    return Section("Exits and seed checks", (f"seed checks: {verdict}",), (exits, table))
