"""``arbkit positions``, ``arbkit orders`` and ``arbkit pnl``: what a trading book holds and made.

They read the database only (what ``arbkit trade`` and ``arbkit backtest`` stored), so they
work while a trade runs and after it ended, and refuse a missing one (a mistyped ``--db`` is
not created empty). Each shows the newest book, a session's or a
backtest's (``backtest:<source>#N``), unless ``--book`` names another (``arbkit positions
--books`` lists them, as ``arbkit report --books`` does); ``--json`` prints exact decimals as
strings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState

if TYPE_CHECKING:
    from arbkit.report.scope import Book


def _book_option(command: Any) -> Any:
    return click.option(
        "--book",
        help="Which trading book, a session's or a backtest's (default: the newest; see "
        "`arbkit positions --books`).",
    )(command)


def _resolve_book(state: AppState, book: str | None) -> Book:
    """``book``, or the newest book: of ``arbkit trade`` or ``arbkit backtest`` alike, chosen
    as ``arbkit report`` chooses it (one list of books, report/scope.py)."""
    from arbkit.report.scope import choose_book

    return choose_book(state.existing_store(), book)


def parse_since(
    text: str | None, now: datetime | None = None, *, option: str = "--since"
) -> datetime | None:
    """``2026-11-24``, an ISO time, or an age such as ``12h`` / ``7d`` / ``30m`` before ``now``.

    Bad input is a usage error naming ``option``, an age reaching before year 1 included
    (``99999999d``: ``datetime`` raises OverflowError, which would be a traceback)."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text)
    if match:
        amount, unit = int(match[1]), match[2]
        try:
            span = timedelta(**{_UNITS[unit]: amount})
            return (now or datetime.now(UTC)) - span
        except OverflowError:
            raise click.BadParameter(
                f"{text!r} reaches beyond the calendar", param_hint=option
            ) from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a date/time (2026-11-24T20:00) nor an age (12h, 7d)",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(cli: click.Group) -> None:
    @cli.command(name="positions")
    @_book_option
    @click.option("--open", "open_only", is_flag=True, help="Only open positions.")
    @click.option("--books", "list_books", is_flag=True, help="List the trading books instead.")
    @click.option("--json", "json_", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    def positions_command(
        state: AppState, book: str | None, open_only: bool, list_books: bool, json_: bool
    ) -> None:
        """Positions per game, with their legs, fills and P&L.

        \b
        Examples:
          arbkit trade --sample && arbkit positions
          arbkit positions --open --json
          arbkit positions --book backtest:sample#1
        """
        from arbkit.trading.positions import position_json
        from arbkit.trading.tradestore import stored_positions

        if list_books:
            rows = _books(state)
            if json_:
                echo_json(rows)
            else:
                columns = ["book", "mode", "command", "source", "runs", "last_status"]
                click.echo(render_table(rows, columns))
            return
        chosen = _resolve_book(state, book).book_id
        positions = stored_positions(state.store, chosen)
        if open_only:
            positions = [p for p in positions if p.is_open]
        if json_:
            echo_json({"book": chosen, "positions": [position_json(p) for p in positions]})
            return
        rows = [
            {
                "game": p.game_id,
                "status": p.status.value,
                "legs": " + ".join(
                    f"{leg.venue}:{leg.outcome} {leg.bought}" for leg in p.legs.values()
                ),
                "cost": p.cost,
                "fees": p.fees,
                "proceeds": p.proceeds,
                "unrealized": p.unrealized_pnl,
                "exit": p.exit_reason,
            }
            for p in positions
        ]
        click.echo(f"book {chosen}")
        click.echo(
            render_table(
                rows,
                ["game", "status", "legs", "cost", "fees", "proceeds", "unrealized", "exit"],
            )
        )

    @cli.command(name="orders")
    @_book_option
    @click.option("--trade", "trade_id", help="Only this trade's orders.")
    @click.option("--json", "json_", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    def orders_command(
        state: AppState, book: str | None, trade_id: str | None, json_: bool
    ) -> None:
        """The order journal: every order with its client order id, state and fills.

        \b
        Examples:
          arbkit orders
          arbkit orders --book paper:sample#1 --json
        """
        from arbkit.report.scope import of_book

        picked = _resolve_book(state, book)
        chosen = picked.book_id
        in_book, book_args = of_book("o.trade_id", picked)  # exact, not LIKE: `_` is a wildcard
        rows = list(
            state.store.db.query(
                "select o.*, t.state as trade_state from orders o "
                f"left join trades t on t.trade_id = o.trade_id where {in_book} "
                "and (? is null or o.trade_id = ?) order by o.created_at, o.client_order_id",
                [*book_args, trade_id, trade_id],
            )
        )
        if json_:
            echo_json({"book": chosen, "orders": rows})
            return
        columns = ["client_order_id", "venue", "side", "size", "price", "filled", "status"]
        click.echo(f"book {chosen}")
        click.echo(render_table(rows, [*columns, "trade_state"]))

    @cli.command(name="pnl")
    @_book_option
    @click.option("--since", help="Only positions opened since (2026-11-24, 12h, 7d).")
    @click.option("--json", "json_", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    def pnl_command(state: AppState, book: str | None, since: str | None, json_: bool) -> None:
        """Realized and unrealized P&L, fees, breakdowns and the three seed checks.

        \b
        Examples:
          arbkit pnl
          arbkit pnl --since 12h --json
        """
        from arbkit.trading.pnl import summarize
        from arbkit.trading.tradestore import broken_games, stored_positions

        start = parse_since(since)
        chosen = _resolve_book(state, book).book_id
        positions = stored_positions(state.store, chosen)
        broken = broken_games(state.store, chosen)
        report = summarize(positions, since=start, broken=broken).to_json()
        if json_:
            echo_json({"book": chosen, **report})
            return
        click.echo(f"book {chosen}")
        click.echo(
            f"realized {report['realized']}  unrealized {report['unrealized']}  "
            f"fees {report['fees']}"
        )
        for group in ("league", "venue", "strategy", "day"):
            rows = report.get(f"by_{group}") or {}
            if rows:
                click.echo(f"\nby {group}")
                click.echo(
                    render_table(
                        [{group: k, **v} for k, v in rows.items()],
                        [group, "realized", "unrealized", "fees"],
                    )
                )
        checks = report["checks"]
        click.echo(
            f"\nchecks: exits within 15 s of entry {checks['exits_within_min_hold']}, "
            f"entries above the max entry price {checks['entries_above_max_price']}, "
            f"one-legged {checks['one_legged']}"
        )


def _books(state: AppState) -> list[dict[str, Any]]:
    """Every trading book, newest first: paper and live sessions and backtests."""
    from arbkit.report.scope import books

    listed = []
    for book in books(state.existing_store()):
        last = state.store.db.execute(
            "select source, status from runs where run_id = ?", [book.run_ids[-1]]
        ).fetchone()
        listed.append(
            {
                "book": book.book_id,
                "mode": book.mode,
                "command": "+".join(book.commands),
                "source": last[0],
                "runs": len(book.run_ids),
                "last_status": last[1],
            }
        )
    return listed
