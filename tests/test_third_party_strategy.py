"""docs/plugins.md's complete third-party strategy and exit rule, run exactly as printed.

The doc's code block is the plugin: it is exec'd as a module, registered on a plugin manager
like an installed plugin, and driven through ``arbkit scan --sample``. Its figures are then
recomputed from the legs and checked against what the built-in ``cross_venue`` strategy prices
for the same legs.
"""

from __future__ import annotations

import ast
import json
import re
import types
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import arbkit
from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager
from arbkit.registry import get_exits, get_strategies
from arbkit.trading.exits import ExitManager, build_exit_rules
from arbkit.trading.model import GamePosition, LegPosition, Mode

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
MARKER = "<!-- tests/test_third_party_strategy.py runs the next python block -->"
STRATEGY = "example-opposite-links"
EXIT = "example-before-start"
#: JSON shows edges to 6 places; anything within half a unit of that is the same figure.
EDGE_TOLERANCE = Decimal("0.0000005")


def doc_code() -> str:
    found = re.search(re.escape(MARKER) + r"\n```python\n(.*?)\n```", DOC.read_text(), re.S)
    assert found, f"{DOC.name}: no python block after {MARKER!r}"
    return found.group(1)


def load_example() -> types.ModuleType:
    module = types.ModuleType("arbkit_example")
    exec(compile(doc_code(), str(DOC), "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def example() -> types.ModuleType:
    return load_example()


@pytest.fixture
def pm(example):
    manager = make_plugin_manager(block=["notify"])
    manager.register(example, name="example")
    manager.check_pending()  # misspelt hooks would fail here, as at start-up
    return manager


@pytest.fixture
def scan(pm, tmp_path, monkeypatch):
    monkeypatch.setenv("ARBKIT_USER_PATH", str(tmp_path))
    monkeypatch.setenv("ARBKIT_DB", str(tmp_path / "scan.db"))

    def run(*args: str) -> dict:
        command = ["scan", "--sample", "--json", *args]
        result = CliRunner().invoke(make_cli(pm), command, obj=AppState(pm=pm))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def test_the_example_uses_only_the_public_api() -> None:
    tree = ast.parse(doc_code())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported == {"__future__", "arbkit", "collections.abc", "datetime", "typing"}
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "arbkit"
    }
    assert used - set(arbkit.__all__) == set()
    assert {"Strategy", "GameState", "price_pair", "ExitRule", "hookimpl"} <= used


def test_it_registers_after_the_built_ins(pm) -> None:
    strategies = get_strategies(pm)
    assert list(strategies)[-1] == STRATEGY  # load order: built-ins, entry points, then this
    assert strategies[STRATEGY].description
    assert get_exits(pm)[EXIT].name == EXIT


def _figures(opportunity: dict) -> tuple:
    """What must agree between two strategies pricing the same legs."""
    legs = tuple(sorted(json.dumps(leg, sort_keys=True) for leg in opportunity["legs"]))
    keys = ("cost", "payout", "size", "net_edge", "gross_edge", "expected_profit")
    return (opportunity["game"]["id"], legs, *(opportunity[k] for k in keys))


def test_scan_reports_its_opportunities_with_correct_figures(scan) -> None:
    found = scan("--strategy", STRATEGY)["opportunities"]
    assert found, "the sample evening has opposite-linked pairs with an edge"
    for opportunity in found:
        assert opportunity["strategy"] == STRATEGY
        assert "is the opposite of" in opportunity["reasons"][0]
        legs = opportunity["legs"]
        assert len({leg["venue"] for leg in legs}) == 2
        size = Decimal(opportunity["size"])
        assert all(Decimal(leg["size"]) == size for leg in legs)  # equal contracts per leg
        cost = sum(Decimal(leg["notional"]) + Decimal(leg["fee"]) for leg in legs)
        assert Decimal(opportunity["cost"]) == cost
        assert Decimal(opportunity["payout"]) == size  # one contract of each pair pays $1
        profit = size - cost
        assert profit > 0
        assert Decimal(opportunity["expected_profit"]) == profit
        assert abs(Decimal(opportunity["net_edge"]) - profit / size) <= EDGE_TOLERANCE
        gross = 1 - sum(Decimal(leg["notional"]) / size for leg in legs)
        assert abs(Decimal(opportunity["gross_edge"]) - gross) <= EDGE_TOLERANCE


def test_its_figures_are_the_built_in_pricing(scan) -> None:
    """Every pair it finds is one cross_venue prices too, to the same figures."""
    ours = {_figures(o) for o in scan("--strategy", STRATEGY)["opportunities"]}
    built_in = {_figures(o) for o in scan("--strategy", "cross_venue")["opportunities"]}
    assert ours and ours <= built_in


def test_it_honours_the_users_settings(scan) -> None:
    everything = scan("--strategy", STRATEGY)["opportunities"]
    edges = sorted(Decimal(o["net_edge"]) for o in everything)
    floor = edges[len(edges) // 2]  # keeps the better half
    kept = scan("--strategy", STRATEGY, "--min-edge", str(floor))["opportunities"]
    assert kept and len(kept) < len(everything)
    assert all(Decimal(o["net_edge"]) >= floor for o in kept)


START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def game_position(*, start_time: datetime | None = START, held: str = "10") -> GamePosition:
    """Both legs of one arbitrage, opened an hour before the start, as the trader holds them."""

    def leg(venue: str, contract_id: str, price: str) -> LegPosition:
        size = Decimal(held)
        return LegPosition(
            venue=venue,
            market_id=contract_id.split(":")[0],
            contract_id=contract_id,
            outcome=contract_id,
            size=size,
            bought=Decimal(10),
            cost=Decimal(price) * 10,
        )

    return GamePosition(
        game_id="NCAAF:2026-11-24:USC@WIS",
        league="NCAAF",
        strategy=STRATEGY,
        mode=Mode.PAPER,
        opened_at=START - timedelta(hours=1),
        start_time=start_time,
        legs={
            c: leg(v, c, p)
            for v, c, p in (("polymarket", "tok-usc", "0.41"), ("kalshi", "K:yes", "0.55"))
        },
    )


def manager(pm, **options: object) -> ExitManager:
    """The exit manager ``arbkit trade`` builds with ``[exits.example-before-start]`` set."""
    return ExitManager(build_exit_rules(get_exits(pm), {EXIT: options}))


def test_the_exit_rule_closes_shortly_before_the_start(pm) -> None:
    exits = manager(pm, seconds=600)
    early, late = START - timedelta(minutes=11), START - timedelta(minutes=9)
    # No books: the price rules (convergence) cannot judge, this one needs none.
    assert exits.evaluate(game_position(), {}, {}, early) is None
    reason = exits.evaluate(game_position(), {}, {}, late)
    assert reason == f"{EXIT}: the game starts at 2026-11-25T01:00:00+00:00, in under 600 s"


def test_the_exit_rule_keeps_what_it_cannot_judge(example, pm) -> None:
    assert example.BeforeStart().lead == timedelta(seconds=300)
    exits = manager(pm)
    assert exits.evaluate(game_position(start_time=None), {}, {}, START) is None  # no start
    assert exits.evaluate(game_position(held="0"), {}, {}, START) is None  # nothing held
    rule = example.BeforeStart()  # asked directly too: an empty position is no exit
    assert rule.should_exit(game_position(held="0"), {}, {}, START) is None


@pytest.mark.parametrize("bad", ["soon", -1, True, float("nan")])
def test_a_bad_exit_option_is_one_config_error(example, bad) -> None:
    with pytest.raises(arbkit.ConfigError, match=r"\[exits.example-before-start\] seconds"):
        example.BeforeStart({"seconds": bad})
