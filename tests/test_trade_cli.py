"""``arbkit trade`` and the commands that read what it stored: positions, orders, pnl.

The figures themselves are recomputed independently in test_trade_sample.py; here: that each
command shows the same book consistently, in text and JSON, and refuses bad input in one line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import click
import pytest
from cli_helpers import one_line_error, run_main
from click.testing import CliRunner

from arbkit.cli import make_cli
from arbkit.cli.portfolio import parse_since
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager


@pytest.fixture
def invoke() -> Any:
    """The CLI with the installed plugins (the venues and the replay player)."""
    pm = make_plugin_manager()

    def run(args: list[str]) -> Any:
        return CliRunner().invoke(make_cli(pm), args, obj=AppState(pm=pm))

    return run


@pytest.fixture
def traded(invoke: Any) -> dict[str, Any]:
    result = invoke(["trade", "--sample", "--json", "--no-status"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_positions_json_is_the_trade_reports_positions(invoke: Any, traded: dict) -> None:
    shown = json.loads(invoke(["positions", "--json"]).stdout)
    assert shown["book"].startswith("paper:sample#")
    assert shown["positions"] == traded["positions"]
    assert traded["positions"], "the sample evening takes at least one trade"


def test_positions_open_only_filters_by_status(invoke: Any, traded: dict) -> None:
    shown = json.loads(invoke(["positions", "--open", "--json"]).stdout)
    assert all(p["status"] == "open" for p in shown["positions"])
    expected = [p["game"] for p in traded["positions"] if p["status"] == "open"]
    assert [p["game"] for p in shown["positions"]] == expected


def test_orders_list_every_fill_of_the_book_with_its_client_order_id(
    invoke: Any, traded: dict
) -> None:
    rows = json.loads(invoke(["orders", "--json"]).stdout)["orders"]
    fills = [f for p in traded["positions"] for leg in p["legs"] for f in leg["fills"]]
    assert rows and len(rows) <= len(fills)
    assert all(row["client_order_id"].startswith(row["trade_id"] + "-") for row in rows)
    assert {row["trade_state"] for row in rows} <= {"hedged", "flat", "broken"}


def test_pnl_totals_and_checks_match_the_trade_report(invoke: Any, traded: dict) -> None:
    report = json.loads(invoke(["pnl", "--json"]).stdout)
    assert report["checks"] == traded["checks"]
    for key in ("realized", "unrealized", "fees"):
        assert Decimal(report[key]) == Decimal(traded["pnl"][key])
    realized = sum(Decimal(p["realized_pnl"]) for p in traded["positions"])
    assert Decimal(report["realized"]) == realized
    text = invoke(["pnl"]).stdout
    assert "exits within 15 s of entry 0" in text
    assert f"realized {report['realized']}" in text


def test_each_trade_run_on_the_sample_is_a_book_of_its_own(invoke: Any, traded: dict) -> None:
    again = json.loads(invoke(["trade", "--sample", "--json", "--no-status"]).stdout)
    assert again == traded  # a completed run is not resumed: a fresh book, the same evening
    books = json.loads(invoke(["positions", "--books", "--json"]).stdout)
    assert [b["book"] for b in books] == ["paper:sample#2", "paper:sample#1"]
    first = json.loads(invoke(["positions", "--book", "paper:sample#1", "--json"]).stdout)
    assert first["positions"] == traded["positions"]


def test_reading_commands_without_a_book_say_how_to_make_one(capsys: Any) -> None:
    for command in (["positions"], ["orders"], ["pnl"]):
        one_line_error(run_main(capsys, command), "run `arbkit trade --sample`")


def test_trade_refuses_live_on_recorded_data(capsys: Any) -> None:
    result = run_main(capsys, ["trade", "--live", "--sample"])
    assert result.exit_code == 2
    assert "not with --sample" in result.output


def test_bad_bankroll_and_since_are_one_line_usage_errors(capsys: Any) -> None:
    result = run_main(capsys, ["trade", "--sample", "--bankroll", "kalshi"])
    assert result.exit_code == 2 and "VENUE=DOLLARS" in result.output
    result = run_main(capsys, ["pnl", "--since", "yesterday"])
    assert result.exit_code == 2 and "neither a date" in result.output


def test_since_reads_dates_times_and_ages() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2026-11-24", now) == datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_since(None, now) is None
    with pytest.raises(click.BadParameter):
        parse_since("soon", now)


def test_an_unknown_book_is_an_error_naming_the_books(traded: dict, capsys: Any) -> None:
    one_line_error(run_main(capsys, ["positions", "--book", "nope"]), "books: paper:sample#1")


def test_trade_limits_come_from_the_config_and_bad_ones_are_one_line_errors(
    invoke: Any, capsys: Any, isolated_user_dir: Any
) -> None:
    config = isolated_user_dir / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[trade]\nmin_edge = 0.5\n")
    report = json.loads(invoke(["trade", "--sample", "--json", "--no-status"]).stdout)
    assert report["positions"] == []  # no opportunity of the sample has half a dollar of edge
    assert set(report["rejections"]) == {"edge_below_min"}
    config.write_text('[trade]\nmax_total = "lots"\n')
    one_line_error(run_main(capsys, ["trade", "--sample"]), "[trade] max_total: 'lots'")
    config.write_text("[trade]\nmin_confidence = 2\n")
    one_line_error(run_main(capsys, ["trade", "--sample"]), "between 0 and 1")


def test_fills_and_closed_positions_reach_the_plugin_hooks() -> None:
    import arbkit

    class Listener:
        def __init__(self) -> None:
            self.fills: list[Any] = []
            self.closed: list[Any] = []

        @arbkit.hookimpl
        def order_filled(self, order: Any, fill: Any) -> None:
            self.fills.append((order.client_order_id, fill.price, fill.size, fill.fee))

        @arbkit.hookimpl
        def position_closed(self, position: Any, pnl: Decimal) -> None:
            self.closed.append((position.game_id, pnl))

    pm = make_plugin_manager()
    listener = Listener()
    pm.register(listener, name="listener")
    result = CliRunner().invoke(
        make_cli(pm), ["trade", "--sample", "--json", "--no-status"], obj=AppState(pm=pm)
    )
    report = json.loads(result.stdout)
    fills = [
        (Decimal(f["price"]), Decimal(f["size"]), Decimal(f["fee"]))
        for p in report["positions"]
        for leg in p["legs"]
        for f in leg["fills"]
    ]
    assert [(p, s, f) for _, p, s, f in listener.fills] == fills
    assert all(cid for cid, *_ in listener.fills)
    assert listener.closed == [
        (p["game"], Decimal(p["realized_pnl"]))
        for p in report["positions"]
        if p["status"] != "open"
    ]


def test_the_status_line_names_the_mode_in_capitals_live_in_red() -> None:
    from arbkit.cli.tradeview import StatusLine
    from arbkit.trading.model import Mode

    class Trader:
        def __init__(self, mode: Mode) -> None:
            self.mode = mode

        def status(self) -> dict[str, Any]:
            rejected = {"edge_below_min": 3}
            return {"mode": self.mode.value, "risk": "halted", "seen": 7, "taken": 2,
                    "rejected": rejected, "open_positions": 1, "positions": 2}  # fmt: skip

        def pnl_now(self) -> tuple[Decimal, Decimal]:
            return Decimal("17.92364"), Decimal("-0.5")

    for mode, style in ((Mode.PAPER, "on green"), (Mode.LIVE, "on red")):
        text = StatusLine(Trader(mode), source="sample", enabled=False).render()  # type: ignore[arg-type]
        assert text.plain.startswith(f" {mode.value.upper()} ")
        assert style in str(text.spans[0].style)
        assert "risk HALTED" in text.plain and "edge_below_min:3" in text.plain
        assert "P&L 17.92364 realized, -0.5 marked" in text.plain
