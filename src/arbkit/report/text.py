"""The report in the terminal: rich tables, and charts drawn with characters.

Every string from the data (a book named after its replay folder, a game, an exit reason) is
escaped: rich would read ``[bold]`` in it as markup, and ``[/b]`` as an error."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from arbkit.report.gather import Report
from arbkit.report.layout import Chart, Section, Table, headline, sections, title_of
from arbkit.report.textcharts import bar_rows, money, sparkline


def chart_lines(chart: Chart) -> list[str]:
    """A bar chart as bar rows; the cumulative P&L as a sparkline with its ends."""
    if chart.kind == "bars":
        rows = trimmed(list(zip(chart.labels, chart.counts, strict=True)))
        return bar_rows(rows) if rows else ["(none in this window)"]
    if not chart.values:
        return ["(nothing closed in this window)"]
    first, last = chart.times[0], chart.times[-1]
    return [
        f"{sparkline(chart.values)}  {money(chart.values[0])} → {money(chart.values[-1])}",
        f"{first:%Y-%m-%d %H:%M}Z → {last:%Y-%m-%d %H:%M}Z, low {money(min(chart.values))}, "
        f"high {money(max(chart.values))}",
    ]


def trimmed(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Without the empty bins at either end (the full set stays in the JSON and the HTML)."""
    used = [i for i, (_, count) in enumerate(rows) if count]
    return rows[used[0] : used[-1] + 1] if used else []


def _table(table: Table) -> RichTable:
    out = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i, column in enumerate(table.columns):
        right = i < len(table.numeric) and table.numeric[i]
        out.add_column(escape(column), justify="right" if right else "left")
    for row in table.rows:
        out.add_row(*(escape(cell) for cell in row))
    return out


def _section(console: Console, section: Section) -> None:
    console.rule(f"[bold]{escape(section.title)}", align="left")
    for line in section.lines:
        console.print(line, highlight=False, markup=False)
    for table in section.tables:
        if table.rows:
            console.print(f"\n[italic]{escape(table.title)}[/italic]", highlight=False)
            console.print(_table(table))
    for chart in section.charts:
        console.print(f"\n[bold]{escape(chart.title)}[/bold]", highlight=False)
        for line in chart_lines(chart):
            console.print(line, highlight=False, markup=False)
    console.print()


def render_text(report: Report, console: Console) -> None:
    console.print(f"[bold]{escape(title_of(report))}[/bold]", highlight=False)
    console.print(headline(report) + "\n", highlight=False, markup=False)
    for section in sections(report):
        _section(console, section)
