"""The plugin path, layer by layer: runtime plugins, validation, entry points, listing, docs.

Every hook in :mod:`arbkit.hookspecs` has a ``test_hook_<name>`` here (enforced by
``test_every_hook_has_a_test``) and a ``## name(args)`` heading in docs/plugins.md.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import logging
import re
import sys
import types
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from sqlite_utils.migrations import Migrations

import arbkit
from arbkit import hookspecs
from arbkit.plugins import DEFAULT_PLUGINS, ArbkitPluginManager, make_plugin_manager, plugin_info
from arbkit.registry import (
    get_exits,
    get_matcher_components,
    get_migrations,
    get_strategies,
    get_venue,
    get_venues,
)
from arbkit.store import open_store
from arbkit.trading.exits import ExitManager, build_exit_rules
from arbkit.trading.model import GamePosition, LegPosition, Mode

ROOT = Path(__file__).resolve().parents[1]
HOOK_NAMES = sorted(
    name for name, value in vars(hookspecs).items() if hasattr(value, "arbkit_spec")
)


# -- a throw-away plugin ----------------------------------------------------------------------


class ToyVenue(arbkit.Venue):
    name = "toyvenue"
    title = "Toy Venue"
    leagues = ("NBA",)
    credential_names = ("api_key",)


class ToyStrategy(arbkit.Strategy):
    name = "toy-strategy"

    def evaluate(self, game: arbkit.GameState) -> list[arbkit.Opportunity]:
        return []


class ToyExit(arbkit.ExitRule):
    name = "toy-exit"

    def should_exit(
        self,
        position: GamePosition,
        books: Mapping[str, arbkit.OrderBook],
        markets: Mapping[str, arbkit.Market],
        now: datetime,
    ) -> str | None:
        return "always" if any(leg.size for leg in position.legs.values()) else None


class ToyScorer:
    name = "toy-scorer"

    def score(self, candidate: Any) -> None:
        return None


TOY_LEAGUE = arbkit.LeagueData.from_dict(
    {"league": "TOYL", "sport": "toyball", "teams": [{"id": "toyl-red", "name": "Red Rockets"}]},
    source="test_plugins",
)


class ToyPlugin:
    """Implements every registration hook; records the event hooks it receives."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.scorer = ToyScorer()
        self.migrations = Migrations("arbkit-toy")

        @self.migrations()
        def m001_toy(db: Any) -> None:
            db["toy_notes"].create({"id": int, "note": str}, pk="id")

    @arbkit.hookimpl
    def register_venues(self, register: Any) -> None:
        register(ToyVenue)

    @arbkit.hookimpl
    def register_strategies(self, register: Any) -> None:
        register(ToyStrategy)

    @arbkit.hookimpl
    def register_exits(self, register: Any) -> None:
        register(ToyExit)

    @arbkit.hookimpl
    def register_matchers(self, register: Any) -> None:
        register(TOY_LEAGUE)
        register(self.scorer)

    @arbkit.hookimpl
    def register_migrations(self, register: Any) -> None:
        register(self.migrations)

    @arbkit.hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command(name="toy-hello")
        @click.argument("who")
        def toy_hello(who: str) -> None:
            """Say hello from the toy plugin."""
            click.echo(f"hello {who} from toy")

    @arbkit.hookimpl
    def opportunity_found(self, opportunity: arbkit.Opportunity) -> None:
        self.events.append(("opportunity_found", {"opportunity": opportunity}))

    @arbkit.hookimpl
    def order_filled(self, order: arbkit.Order, fill: arbkit.Fill) -> None:
        self.events.append(("order_filled", {"order": order, "fill": fill}))

    @arbkit.hookimpl
    def position_closed(self, position: arbkit.Position, pnl: Decimal) -> None:
        self.events.append(("position_closed", {"position": position, "pnl": pnl}))


@pytest.fixture
def toy(pm: ArbkitPluginManager) -> ToyPlugin:
    plugin = ToyPlugin()
    pm.register(plugin, name="toy")
    pm.check_pending()
    return plugin


def _opportunity() -> arbkit.Opportunity:
    leg = arbkit.Leg(
        venue="toyvenue",
        market_id="m1",
        contract_id="c1",
        outcome="Lakers",
        side=arbkit.Side.BUY,
        price=Decimal("0.40"),
        size=Decimal("10"),
        fee=Decimal("0"),
        worst_price=Decimal("0.41"),
    )
    return arbkit.Opportunity(
        strategy="toy-strategy",
        game_id="NBA:2026-01-08:LAL@BOS",
        title="Lakers at Celtics",
        league="NBA",
        start_time=None,
        legs=(leg,),
        cost=Decimal("4"),
        payout=Decimal("10"),
        gross_edge=Decimal("0.6"),
        net_edge=Decimal("0.6"),
        size=Decimal("10"),
        expected_profit=Decimal("6"),
        confidence=1.0,
    )


# -- one test per hook ------------------------------------------------------------------------


def test_hook_register_venues(pm: ArbkitPluginManager, toy: ToyPlugin, invoke: Any) -> None:
    assert get_venues(pm)["toyvenue"] is ToyVenue
    assert get_venue(pm, "toyvenue") is ToyVenue
    result = invoke(["venues", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["toyvenue"]["title"] == "Toy Venue"
    assert rows["toyvenue"]["leagues"] == ["NBA"]
    assert rows["toyvenue"]["credentials"] == ["api_key"]


def test_hook_register_strategies(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    assert get_strategies(pm)["toy-strategy"] is ToyStrategy


def test_hook_register_exits(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    """The registered rule is enabled by its table and asked by the trader's exit manager."""
    manager = ExitManager(build_exit_rules(get_exits(pm), {"toy-exit": {}}))
    assert [rule.name for rule in manager.rules][-1] == "toy-exit"
    opened = datetime(2026, 1, 8, 23, 0, tzinfo=UTC)
    leg = LegPosition(
        venue="toyvenue", market_id="m1", contract_id="c1", outcome="Lakers", size=Decimal(3)
    )
    position = GamePosition(
        game_id="NBA:2026-01-08:LAL@BOS",
        league="NBA",
        strategy="toy-strategy",
        mode=Mode.PAPER,
        opened_at=opened,
        legs={"c1": leg},
    )
    later = opened + timedelta(minutes=1)  # after min_hold's 15 s
    assert manager.evaluate(position, {}, {}, later) == "toy-exit: always"
    assert manager.evaluate(position, {}, {}, opened) is None  # min_hold still vetoes
    leg.size = Decimal(0)
    assert manager.evaluate(position, {}, {}, later) is None  # nothing held: never asked


def test_hook_register_matchers(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    items = get_matcher_components(pm)
    assert items[-2:] == [TOY_LEAGUE, toy.scorer]  # after every built-in component
    service = arbkit.MatchingService.from_plugins(pm)
    assert service.book.lookup("Red Rockets", "TOYL").team == TOY_LEAGUE.teams[0]
    assert toy.scorer in service.scorers


def test_hook_register_migrations(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    sets = get_migrations(pm)
    assert toy.migrations in sets
    store = open_store(":memory:", extra=sets)
    assert "toy_notes" in store.db.table_names()
    assert "markets" in store.db.table_names()  # the core set applied too


def test_hook_register_tui(pm: ArbkitPluginManager) -> None:
    from arbkit.tui import TuiColumn, TuiScreen
    from arbkit.tui.plugins import tui_extensions
    from arbkit.tui.screens.base import DashboardScreen

    column = TuiColumn(label="bp", value=lambda o: int(o.net_edge * 10000))
    screen = TuiScreen(name="mine", title="Mine", key="9", factory=DashboardScreen)

    class Plugin:
        @arbkit.hookimpl
        def register_tui(self, register: Any) -> None:
            register(screen)
            register(column)

    pm.register(Plugin(), name="tui-plugin")
    found = tui_extensions(pm)
    assert found.screens == (screen,) and found.columns == (column,)


def test_hook_register_commands(toy: ToyPlugin, invoke: Any) -> None:
    result = invoke(["toy-hello", "world"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello world from toy\n"
    assert "toy-hello" in invoke(["--help"]).stdout


def test_hook_opportunity_found(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    opportunity = _opportunity()
    pm.hook.opportunity_found(opportunity=opportunity)
    assert toy.events == [("opportunity_found", {"opportunity": opportunity})]


def test_hook_order_filled(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    order = arbkit.Order(
        venue="toyvenue",
        order_id="o1",
        client_order_id="c-1",
        contract_id="c1",
        side=arbkit.Side.BUY,
        price="0.4",
        size="10",
    )
    fill = arbkit.Fill(
        venue="toyvenue",
        fill_id="f1",
        order_id="o1",
        contract_id="c1",
        side=arbkit.Side.BUY,
        price="0.4",
        size="10",
    )
    pm.hook.order_filled(order=order, fill=fill)
    assert toy.events == [("order_filled", {"order": order, "fill": fill})]


def test_hook_position_closed(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    position = arbkit.Position(venue="toyvenue", contract_id="c1")
    pm.hook.position_closed(position=position, pnl=Decimal("1.25"))
    assert toy.events == [("position_closed", {"position": position, "pnl": Decimal("1.25")})]


# -- validation -------------------------------------------------------------------------------


def test_misspelt_hook_raises_plugin_error_naming_the_plugin(pm: ArbkitPluginManager) -> None:
    class Typo:
        @arbkit.hookimpl
        def register_venue(self, register: Any) -> None:  # missing "s"
            pass

    pm.register(Typo(), name="typo-plugin")
    with pytest.raises(arbkit.PluginError, match="typo-plugin") as info:
        pm.check_pending()
    assert "register_venue" in str(info.value)


def test_impl_with_an_argument_the_spec_lacks_is_refused(pm: ArbkitPluginManager) -> None:
    class WrongArgs:
        @arbkit.hookimpl
        def opportunity_found(self, opportunity: Any, extra: Any) -> None:
            pass

    with pytest.raises(Exception, match="extra"):
        pm.register(WrongArgs(), name="wrong-args")


def test_two_venues_with_one_name_raise(pm: ArbkitPluginManager) -> None:
    class Clash(arbkit.Venue):
        name = "toyvenue"

    class First:
        @arbkit.hookimpl
        def register_venues(self, register: Any) -> None:
            register(ToyVenue)

    class Second:
        @arbkit.hookimpl
        def register_venues(self, register: Any) -> None:
            register(Clash)

    pm.register(First(), name="first")
    pm.register(Second(), name="second")
    with pytest.raises(arbkit.PluginError, match="toyvenue") as info:
        get_venues(pm)
    assert "first" in str(info.value) and "second" in str(info.value)


@pytest.mark.parametrize(
    ("offered", "message"),
    [(object, "not a Venue"), (type("Nameless", (arbkit.Venue,), {}), "has no name")],
)
def test_registering_something_wrong_raises(
    pm: ArbkitPluginManager, offered: type, message: str
) -> None:
    class Bad:
        @arbkit.hookimpl
        def register_venues(self, register: Any) -> None:
            register(offered)

    pm.register(Bad(), name="bad")
    with pytest.raises(arbkit.PluginError, match=message):
        get_venues(pm)


def test_unknown_venue_lists_the_known_ones(pm: ArbkitPluginManager, toy: ToyPlugin) -> None:
    with pytest.raises(arbkit.ConfigError, match="toyvenue"):
        get_venue(pm, "nope")


# -- entry-point discovery with fake distributions -------------------------------------------


class FakeDistribution(importlib.metadata.Distribution):
    """A distribution that exists only in memory (pytest's own trick for entry-point tests)."""

    def __init__(self, name: str, version: str, entry_points: Mapping[str, str]) -> None:
        self._files = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
            "entry_points.txt": "[arbkit]\n"
            + "".join(f"{ep} = {target}\n" for ep, target in entry_points.items()),
        }

    def read_text(self, filename: str) -> str | None:
        return self._files.get(filename)

    def locate_file(self, path: Any) -> Path:
        raise NotImplementedError


def _plugin_module(name: str, venue_name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    venue = type(f"{name}Venue", (arbkit.Venue,), {"name": venue_name, "__module__": name})

    @arbkit.hookimpl
    def register_venues(register: Any) -> None:
        register(venue)

    module.register_venues = register_venues  # type: ignore[attr-defined]
    return module


@pytest.fixture
def fake_dists(monkeypatch: pytest.MonkeyPatch) -> list[FakeDistribution]:
    """Two installed third-party plugins, ``alpha`` and ``beta``, and nothing else."""
    for mod, venue in (("fake_arbkit_alpha", "alpha"), ("fake_arbkit_beta", "beta")):
        monkeypatch.setitem(sys.modules, mod, _plugin_module(mod, venue))
    dists = [
        FakeDistribution("arbkit-alpha", "1.2.3", {"alpha": "fake_arbkit_alpha"}),
        FakeDistribution("arbkit-beta", "0.4", {"beta": "fake_arbkit_beta"}),
    ]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: iter(dists))
    return dists


def _names(pm: ArbkitPluginManager) -> set[str]:
    return {row["name"] for row in plugin_info(pm)}


def test_entry_points_load(fake_dists: list[FakeDistribution]) -> None:
    pm = make_plugin_manager()
    assert _names(pm) == {"alpha", "beta"}
    assert set(get_venues(pm)) >= {"alpha", "beta"}
    rows = {row["name"]: row for row in plugin_info(pm)}
    assert rows["alpha"] == {
        "name": "alpha",
        "hooks": ["register_venues"],
        "version": "1.2.3",
        "distribution": "arbkit-alpha",
        "builtin": False,
    }


def test_load_plugins_env_narrows(
    fake_dists: list[FakeDistribution], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBKIT_LOAD_PLUGINS", "beta, nosuch")
    assert _names(make_plugin_manager()) == {"beta"}


def test_load_plugins_empty_disables(
    fake_dists: list[FakeDistribution], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBKIT_LOAD_PLUGINS", "")
    pm = make_plugin_manager()
    assert _names(pm) == set()
    # The default plugins are essential: ARBKIT_LOAD_PLUGINS does not apply to them.
    assert all(pm.get_plugin(name) is not None for name in DEFAULT_PLUGINS)


def test_block_plugins_env_and_argument(
    fake_dists: list[FakeDistribution], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBKIT_BLOCK_PLUGINS", "alpha")
    assert _names(make_plugin_manager()) == {"beta"}
    assert _names(make_plugin_manager(block=["beta"])) == set()


def test_plugins_command_json(fake_dists: list[FakeDistribution], invoke: Any) -> None:
    pm = make_plugin_manager()
    result = invoke(["plugins", "--json"], plugin_manager=pm)
    assert result.exit_code == 0, result.output
    assert [row["name"] for row in json.loads(result.stdout)] == ["alpha", "beta"]
    hooked = invoke(["plugins", "--json", "--hook", "register_exits"], plugin_manager=pm)
    assert json.loads(hooked.stdout) == []


def test_plugin_that_fails_to_import(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_dists: list[FakeDistribution],
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "fake_arbkit_broken.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_arbkit_broken", raising=False)
    fake_dists.append(FakeDistribution("arbkit-broken", "9", {"broken": "fake_arbkit_broken"}))
    with caplog.at_level(logging.WARNING, logger="arbkit.plugins"):
        pm = make_plugin_manager()
    # Skipped, and the other plugins still load.
    assert _names(pm) == {"alpha", "beta"}
    message = pm.failed["broken"]
    assert "arbkit-broken" in message and "RuntimeError: boom at import" in message
    assert "\n" not in message
    assert any("'broken'" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)


def test_entry_point_with_misspelt_hook(
    monkeypatch: pytest.MonkeyPatch, fake_dists: list[FakeDistribution]
) -> None:
    module = types.ModuleType("fake_arbkit_typo")

    @arbkit.hookimpl
    def register_strategy(register: Any) -> None:
        pass

    module.register_strategy = register_strategy  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_arbkit_typo", module)
    fake_dists.append(FakeDistribution("arbkit-typo", "1", {"typo": "fake_arbkit_typo"}))
    with pytest.raises(arbkit.PluginError, match="'typo'.*register_strategy"):
        make_plugin_manager()


def test_broken_plugin_is_one_line_cli_error(
    monkeypatch: pytest.MonkeyPatch,
    fake_dists: list[FakeDistribution],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_dists.append(FakeDistribution("arbkit-gone", "1", {"gone": "fake_arbkit_not_there"}))
    from arbkit.cli import main

    main(["plugins"])  # exits 0: returns without SystemExit
    captured = capsys.readouterr()
    assert "alpha" in captured.out and "beta" in captured.out
    line = next(line for line in captured.out.splitlines() if line.startswith("gone:"))
    assert "arbkit-gone" in line and "ModuleNotFoundError" in line and "(skipped)" in line
    assert "Traceback" not in captured.err + captured.out


def test_failed_plugin_in_plugins_json(fake_dists: list[FakeDistribution], invoke: Any) -> None:
    fake_dists.append(FakeDistribution("arbkit-gone", "1", {"gone": "fake_arbkit_not_there"}))
    result = invoke(["plugins", "--json"], plugin_manager=make_plugin_manager())
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"alpha", "beta", "gone"}
    assert rows["gone"]["loaded"] is False and "fake_arbkit_not_there" in rows["gone"]["error"]


# -- an exception in an event hook is logged, never fatal -------------------------------------


class _Raiser:
    """A plugin whose every event hook raises."""

    @arbkit.hookimpl
    def opportunity_found(self, opportunity: Any) -> None:
        raise ValueError("webhook down\nsecond line")

    @arbkit.hookimpl
    def order_filled(self, order: Any, fill: Any) -> None:
        raise RuntimeError("order boom")

    @arbkit.hookimpl
    def position_closed(self, position: Any, pnl: Any) -> None:
        raise KeyError("pos")


class _Listener:
    """A well-behaved plugin that records what it heard."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    @arbkit.hookimpl
    def opportunity_found(self, opportunity: Any) -> None:
        self.heard.append("opportunity_found")

    @arbkit.hookimpl
    def order_filled(self, order: Any, fill: Any) -> None:
        self.heard.append("order_filled")

    @arbkit.hookimpl
    def position_closed(self, position: Any, pnl: Any) -> None:
        self.heard.append("position_closed")


@pytest.mark.parametrize("order", ["raiser-first", "raiser-last"])
def test_event_hook_exception_is_logged_and_others_still_run(
    order: str, pm: ArbkitPluginManager, caplog: pytest.LogCaptureFixture
) -> None:
    listener = _Listener()
    pairs = [(_Raiser(), "raiser"), (listener, "listener")]
    for plugin, name in pairs if order == "raiser-first" else reversed(pairs):
        pm.register(plugin, name=name)
    with caplog.at_level(logging.WARNING, logger="arbkit.plugins"):
        pm.hook.opportunity_found(opportunity=object())
        pm.hook.order_filled(order=object(), fill=object())
        pm.hook.position_closed(position=object(), pnl=Decimal("1"))
    assert listener.heard == ["opportunity_found", "order_filled", "position_closed"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert "plugin 'raiser' raised in opportunity_found: ValueError: webhook down" in messages[0]
    assert all("\n" not in m for m in messages)
    assert "order_filled" in messages[1] and "position_closed" in messages[2]


def test_non_event_hook_errors_still_propagate(pm: ArbkitPluginManager) -> None:
    class BadVenues:
        @arbkit.hookimpl
        def register_venues(self, register: Any) -> None:
            raise RuntimeError("registration bug")

    pm.register(BadVenues(), name="bad")
    with pytest.raises(RuntimeError, match="registration bug"):
        get_venues(pm)


# -- the real built-in plugins ----------------------------------------------------------------


def test_builtin_plugins_listed_with_hooks_and_version(invoke: Any) -> None:
    pm = make_plugin_manager()
    result = invoke(["plugins", "--json"], plugin_manager=pm)
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for name in ("polymarket", "kalshi", "replay"):
        assert rows[name]["builtin"] is True
        assert rows[name]["distribution"] == "arbkit"
        assert rows[name]["version"] == arbkit.__version__
        assert "register_venues" in rows[name]["hooks"], rows[name]
    assert set(get_venues(pm)) >= {"polymarket", "kalshi", "replay"}


# -- meta-tests: every hook tested and documented ---------------------------------------------


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_test(hook: str) -> None:
    assert f"test_hook_{hook}" in globals(), f"add test_hook_{hook} to tests/test_plugins.py"


def _documented_headings() -> Iterator[str]:
    text = (ROOT / "docs" / "plugins.md").read_text()
    return (m.group(1) for m in re.finditer(r"^## (\w+\(.*\))\s*$", text, re.MULTILINE))


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented(hook: str) -> None:
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    heading = f"{hook}({params})"
    assert heading in set(_documented_headings()), f"docs/plugins.md needs '## {heading}'"


def test_hook_names_found() -> None:
    # Guards the meta-tests above against silently parametrizing over nothing.
    assert {"register_venues", "opportunity_found", "register_commands"} <= set(HOOK_NAMES)
