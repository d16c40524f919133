"""``arbkit report``: the daily report of a trading book, from the database only.

It reads what ``arbkit trade`` and ``arbkit backtest`` stored, so it works during a session and
long after. The figures are gathered once (:mod:`arbkit.report`) and rendered as text, Markdown,
JSON or one self-contained HTML page; plotly is imported only for ``--format html``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState
from arbkit.errors import ConfigError

if TYPE_CHECKING:
    from arbkit.report.gather import Report
    from arbkit.report.scope import Window

FORMATS = ("text", "markdown", "json", "html")
DEFAULT_HTML = Path("arbkit-report.html")


def register(cli: click.Group) -> None:
    @cli.command(name="report")
    @click.option("--date", "day", metavar="DAY", help="One day of the engine's clock (see --tz).")
    @click.option("--since", metavar="T", help="From a date/time (2026-11-24T22:00) or age (12h).")
    @click.option(
        "--tz",
        metavar="ZONE",
        help="Count days in this time zone, e.g. America/New_York (default: UTC).",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="text: tables and text charts; html: one self-contained page with charts.",
    )
    @click.option("--json", "json_", is_flag=True, help="Same as --format json.")
    @click.option(
        "--out",
        type=click.Path(path_type=Path, dir_okay=False),
        help=f"Write to this file, - for stdout (html default: {DEFAULT_HTML}).",
    )
    @click.option(
        "--book", metavar="BOOK", help="Which trading book (default: the newest; see --books)."
    )
    @click.option("--books", "list_books", is_flag=True, help="List the trading books instead.")
    @click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path),
        help="Read this database (same as `arbkit --db PATH report`).",
    )
    @click.pass_obj
    def report_command(state: AppState, **opts: Any) -> None:
        """The daily report: opportunities, fills, P&L, exits and the seed checks.

        Opportunities seen against taken and why the rest were refused, how long they lived,
        fills and slippage against the quoted price, P&L by league, venue and strategy, fees,
        match confidence, exits by reason, and the seed checks (exits within 15 s of entry,
        entries above 0.85, one-legged positions). Times are the engine's clock, so a replay
        is reported on the evening it recorded.

        \b
        Examples:
          arbkit trade --sample && arbkit report
          arbkit report --date 2026-11-24 --format markdown --out day.md
          arbkit report --date 2026-11-24 --tz America/New_York
          arbkit report --format html --out report.html
          arbkit report --since 12h --json
          arbkit report --books
        """
        _run(state, **opts)


def _run(
    state: AppState,
    *,
    day: str | None,
    since: str | None,
    tz: str | None,
    fmt: str,
    json_: bool,
    out: Path | None,
    book: str | None,
    list_books: bool,
    db_path: Path | None,
) -> None:
    from arbkit.report.gather import build_report
    from arbkit.report.scope import books, choose_book, span

    if day is not None and since is not None:
        raise click.UsageError("give --date or --since, not both")
    window = _window(day, since, tz)
    state.db_path = db_path or state.db_path
    store = state.existing_store()
    if list_books:
        _print_books([b.to_json() for b in books(store)], json_ or fmt == "json")
        return
    chosen = choose_book(store, book)
    report = build_report(store, chosen, window)
    if report.empty:
        first, last = span(store, chosen)
        held = f"its data runs from {first} to {last}" if first else "it holds nothing yet"
        raise ConfigError(
            f"nothing to report for book {chosen.book_id}, {window.label} (engine clock; {held})"
        )
    _emit(report, "json" if json_ else fmt, out)


def _window(day: str | None, since: str | None, tz: str | None) -> Window:
    from arbkit.cli.portfolio import parse_since
    from arbkit.report.scope import Window, parse_day, parse_zone

    try:
        zone = parse_zone(tz)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    if day is not None:
        try:
            return Window.day(parse_day(day, zone), zone)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--date") from None
    try:
        start = parse_since(since)
    except OverflowError:  # an age reaching before year 1
        raise click.BadParameter(
            f"{since!r} reaches beyond the calendar", param_hint="--since"
        ) from None
    if start is not None and since is not None and _naive(since):
        start = start.replace(tzinfo=zone)  # a time without an offset is read in --tz
    return Window(zone=zone) if start is None else Window.since(start, zone)


def _naive(text: str) -> bool:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.strip()).tzinfo is None
    except ValueError:
        return False  # an age such as 12h


def _emit(report: Report, fmt: str, out: Path | None) -> None:
    """Render ``report`` as ``fmt`` into ``out`` (``-`` or None: stdout; html: a file)."""
    if out is not None and str(out) == "-":
        out = None
        if fmt == "html":
            from arbkit.report.html import render_html

            sys.stdout.write(render_html(report))
            return
    if fmt == "json":
        import json

        from arbkit.cli.output import to_jsonable

        _write(json.dumps(to_jsonable(report.to_json()), indent=2) + "\n", out)
    elif fmt == "markdown":
        from arbkit.report.markdown import render_markdown

        _write(render_markdown(report), out)
    elif fmt == "html":
        from arbkit.report.html import render_html

        target = out or DEFAULT_HTML
        _write(render_html(report), target)
        size = target.stat().st_size / 1e6
        click.echo(f"wrote {target} ({size:.1f} MB): open it in any browser, offline", err=True)
    else:
        _text(report, out)


def _text(report: Report, out: Path | None) -> None:
    from rich.console import Console

    from arbkit.report.text import render_text

    if out is None:
        render_text(report, Console(highlight=False))
        return
    with _opened(out) as handle:
        render_text(report, Console(file=handle, width=100, color_system=None))


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    with _opened(out) as handle:
        handle.write(text)


def _opened(out: Path) -> Any:
    _refuse_a_database(out)
    try:
        return out.open("w", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None


def _refuse_a_database(out: Path) -> None:
    """A report never overwrites a database (``--out arbkit.db`` would destroy the book)."""
    try:
        with out.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return  # not there (or unreadable): opening it for writing says why
    if head == b"SQLite format 3\x00" or out.name.endswith(("-wal", "-shm", "-journal")):
        raise ConfigError(f"{out} is a database: write the report to another file")


def _print_books(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no trading book in this database yet: run `arbkit trade --sample`")
        return
    table = [
        {
            **row,
            "commands": ", ".join(row["commands"]),
            "sources": ", ".join(row["sources"]),
            "runs": len(row["runs"]),
        }
        for row in rows
    ]
    click.echo(render_table(table, ["book", "mode", "commands", "sources", "runs"]))
