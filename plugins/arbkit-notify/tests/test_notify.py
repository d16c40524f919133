"""arbkit-notify is found through its entry point, its hooks run, and its command works.

These tests go through arbkit's real plugin manager with real entry points, so they prove the
installed package is wired up, not just that the module's functions work.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import arbkit_notify
import pytest
from click.testing import CliRunner

import arbkit
from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager, plugin_info
from arbkit.registry import get_exits
from arbkit.trading.exits import ExitManager, build_exit_rules
from arbkit.trading.model import GamePosition, LegPosition, Mode

NOW = datetime(2026, 1, 8, 23, 0, tzinfo=UTC)


@pytest.fixture
def pm() -> Any:
    return make_plugin_manager()  # real entry points, as `arbkit` itself starts


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _opportunity() -> arbkit.Opportunity:
    def leg(venue: str, contract_id: str, price: str) -> arbkit.Leg:
        return arbkit.Leg(
            venue=venue,
            market_id="m",
            contract_id=contract_id,
            outcome=contract_id,
            side=arbkit.Side.BUY,
            price=Decimal(price),
            size=Decimal(10),
            fee=Decimal(0),
            worst_price=Decimal(price),
        )

    return arbkit.Opportunity(
        strategy="complement",
        game_id="NBA:2026-01-08:MIA@CHI",
        title="Heat at Bulls",
        league="NBA",
        start_time=NOW,
        legs=(leg("polymarket", "tok-1", "0.41"), leg("kalshi", "KX:no", "0.55")),
        cost=Decimal("9.60"),
        payout=Decimal(10),
        gross_edge=Decimal("0.04"),
        net_edge=Decimal("0.04"),
        size=Decimal(10),
        expected_profit=Decimal("0.40"),
        confidence=0.97,
    )


def test_found_through_the_entry_point(pm: Any) -> None:
    rows = {row["name"]: row for row in plugin_info(pm)}
    assert rows["notify"]["distribution"] == "arbkit-notify"
    assert rows["notify"]["version"] == arbkit_notify.__version__
    assert rows["notify"]["builtin"] is False
    assert rows["notify"]["hooks"] == [
        "opportunity_found",
        "order_filled",
        "position_closed",
        "register_commands",
        "register_exits",
    ]
    assert pm.get_plugin("notify") is arbkit_notify


def test_plugins_command_lists_it(pm: Any) -> None:
    result = CliRunner().invoke(make_cli(pm), ["plugins", "--json"], obj=AppState(pm=pm))
    assert result.exit_code == 0, result.output
    assert "notify" in [row["name"] for row in json.loads(result.stdout)]


def test_blocked_by_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBKIT_BLOCK_PLUGINS", "notify")
    assert make_plugin_manager().get_plugin("notify") is None


def test_opportunity_found_appends_a_json_line(pm: Any, notify_file: Path) -> None:
    opportunity = _opportunity()
    pm.hook.opportunity_found(opportunity=opportunity)
    pm.hook.opportunity_found(opportunity=opportunity)
    first, second = _lines(notify_file)
    assert first["event"] == "opportunity_found"
    assert first["key"] == opportunity.key
    assert first["net_edge"] == "0.04"  # exact decimal strings, never floats
    assert first["expected_profit"] == "0.4"
    assert [leg["venue"] for leg in first["legs"]] == ["polymarket", "kalshi"]
    assert first["legs"][0] == {
        "venue": "polymarket",
        "contract_id": "tok-1",
        "outcome": "tok-1",
        "side": "buy",
        "price": "0.41",
        "size": "10",
    }
    assert second["key"] == first["key"]


def test_without_a_file_it_logs(pm: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="arbkit_notify"):
        pm.hook.opportunity_found(opportunity=_opportunity())
    (record,) = caplog.records
    assert json.loads(record.getMessage())["game_id"] == "NBA:2026-01-08:MIA@CHI"


def test_order_filled_and_position_closed(pm: Any, notify_file: Path) -> None:
    order = arbkit.Order(
        venue="kalshi",
        order_id="o-1",
        client_order_id="cid-1",
        contract_id="KX:no",
        side=arbkit.Side.BUY,
        price="0.55",
        size="10",
        filled="10",
        status=arbkit.OrderStatus.FILLED,
    )
    fill = arbkit.Fill(
        venue="kalshi",
        fill_id="f-1",
        order_id="o-1",
        contract_id="KX:no",
        side=arbkit.Side.BUY,
        price="0.55",
        size="10",
        fee="0.02",
    )
    pm.hook.order_filled(order=order, fill=fill)
    position = arbkit.GamePosition(
        game_id="NBA:2026-01-08:MIA@CHI",
        league="NBA",
        strategy="cross_venue",
        mode=arbkit.Mode.PAPER,
        opened_at=datetime(2026, 1, 8, 23, tzinfo=UTC),
        legs={"KX:no": arbkit.LegPosition("kalshi", "KX", "KX:no", "not Chicago")},
        status=arbkit.PositionStatus.SETTLED,
        exit_reason="settled",
    )
    pm.hook.position_closed(position=position, pnl=Decimal("-0.25"))
    filled, closed = _lines(notify_file)
    assert (filled["event"], filled["client_order_id"], filled["fee"]) == (
        "order_filled",
        "cid-1",
        "0.02",
    )
    assert filled["order_status"] == "filled"
    assert (closed["event"], closed["game_id"], closed["venues"], closed["pnl"]) == (
        "position_closed",
        "NBA:2026-01-08:MIA@CHI",
        ["kalshi"],
        "-0.25",
    )
    assert (closed["status"], closed["exit_reason"]) == ("settled", "settled")


def _book(bid: str, *, continuous: bool = True) -> arbkit.OrderBook:
    return arbkit.OrderBook(
        venue="kalshi",
        contract_id="KX:no",
        bids=((Decimal(bid), Decimal(5)),),
        continuous=continuous,
    )


def _position(held: str = "10") -> GamePosition:
    """Both legs of one arbitrage, opened a minute before NOW (past min_hold's 15 s)."""
    legs = {
        contract_id: LegPosition(
            venue=venue,
            market_id=contract_id.split(":")[0],
            contract_id=contract_id,
            outcome=contract_id,
            size=Decimal(held),
            bought=Decimal(10),
            cost=Decimal(cost),
        )
        for venue, contract_id, cost in (("polymarket", "tok-a", "4.1"), ("kalshi", "KX:no", "5.5"))
    }
    return GamePosition(
        game_id="NBA:2026-01-08:LAL@BOS",
        league="NBA",
        strategy="cross_venue",
        mode=Mode.PAPER,
        opened_at=NOW - timedelta(minutes=1),
        legs=legs,
    )


def test_exit_rule_is_registered_and_decides(pm: Any) -> None:
    """Enabled by its table, the rule is asked by the exit manager ``arbkit trade`` builds."""
    config = {"notify-price-target": {"target": "0.9"}, "convergence": {"enabled": False}}
    manager = ExitManager(build_exit_rules(get_exits(pm), config))
    held = _position()
    assert manager.evaluate(held, {"KX:no": _book("0.85")}, {}, NOW) is None
    assert manager.evaluate(held, {"KX:no": _book("0.91")}, {}, NOW) == (
        "notify-price-target: kalshi KX:no best bid 0.91 reached target 0.9"
    )
    # A book whose stream continuity is in doubt is never acted on.
    assert manager.evaluate(held, {"KX:no": _book("0.99", continuous=False)}, {}, NOW) is None
    assert manager.evaluate(held, {}, {}, NOW) is None
    rule = get_exits(pm)["notify-price-target"]({"target": "0.9"})
    assert rule.should_exit(_position(held="0"), {"KX:no": _book("0.99")}, {}, NOW) is None


@pytest.mark.parametrize("bad", ["high", "0", "1.5", True])
def test_a_bad_target_is_one_config_error(pm: Any, bad: Any) -> None:
    with pytest.raises(arbkit.ConfigError, match=r"\[exits.notify-price-target\] target"):
        build_exit_rules(get_exits(pm), {"notify-price-target": {"target": bad}})


def test_notify_test_command(pm: Any, notify_file: Path) -> None:
    cli = make_cli(pm)
    result = CliRunner().invoke(cli, ["notify-test", "--message", "ping"], obj=AppState(pm=pm))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote a test notification to {notify_file}\n"
    (line,) = _lines(notify_file)
    assert (line["event"], line["message"]) == ("test", "ping")


def test_notify_test_command_without_a_file(pm: Any) -> None:
    result = CliRunner().invoke(make_cli(pm), ["notify-test"], obj=AppState(pm=pm))
    assert result.exit_code == 0, result.output
    assert "set ARBKIT_NOTIFY_FILE" in result.stdout
