"""The plugin host: load order, overrides, one collection per manager, tracing, typed hookspecs.

pluggy calls implementations last-registered-first; arbkit calls registration hooks in load
order (built-ins first) on purpose, so a plugin's same-id team data overrides the built-in.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils.migrations import Migrations

import arbkit
from arbkit import hookspecs
from arbkit.matching import builtin_leagues
from arbkit.plugins import DEFAULT_PLUGINS, ArbkitPluginManager, make_plugin_manager
from arbkit.registry import (
    get_exits,
    get_matcher_components,
    get_migrations,
    get_strategies,
    get_venues,
)

BUILTIN_HAWKS = next(t for lg in builtin_leagues() if lg.league == "NBA" for t in lg.teams)


def _nba_override() -> arbkit.LeagueData:
    """NBA data whose first team has the id of a built-in team, renamed, plus a new team."""
    return arbkit.LeagueData.from_dict(
        {
            "league": "NBA",
            "sport": "basketball",
            "teams": [
                {
                    "id": BUILTIN_HAWKS.id,
                    "name": "Atlanta Firebirds",
                    "aliases": ["Firebirds"],
                    "codes": {"standard": ["ATF"], "kalshi": ["ATF"]},
                },
                {"id": "nba-sea", "name": "Seattle SuperSonics", "codes": {"kalshi": ["SEA"]}},
            ],
        },
        source="league-plugin",
    )


class LeaguePlugin:
    def __init__(self, data: arbkit.LeagueData) -> None:
        self.data = data

    @arbkit.hookimpl
    def register_matchers(self, register: Any) -> None:
        register(self.data)


def _strategy(name: str) -> type[arbkit.Strategy]:
    return type(name, (arbkit.Strategy,), {"name": name, "evaluate": lambda self, game: []})


class StrategyPlugin:
    def __init__(self, *names: str) -> None:
        self.classes = [_strategy(name) for name in names]
        self.calls = 0

    @arbkit.hookimpl
    def register_strategies(self, register: Any) -> None:
        self.calls += 1
        for cls in self.classes:
            register(cls)


# -- order ----------------------------------------------------------------------------------


def test_a_plugins_same_id_team_data_overrides_the_builtin(pm: ArbkitPluginManager) -> None:
    plugin = LeaguePlugin(_nba_override())
    pm.register(plugin, name="league-plugin")
    items = get_matcher_components(pm)
    nba = [item for item in items if isinstance(item, arbkit.LeagueData) and item.league == "NBA"]
    assert nba[-1] is plugin.data and len(nba) == 2  # the built-in first, the plugin after
    book = arbkit.MatchingService.from_plugins(pm).book
    team = book.lookup("Firebirds", "NBA").team
    assert team is not None and team.id == BUILTIN_HAWKS.id and team.name == "Atlanta Firebirds"
    assert not book.lookup(BUILTIN_HAWKS.name, "NBA", fuzzy=False)  # the old name is gone
    assert book.by_code("SEA", "NBA", "kalshi") is not None  # a new team joins the league
    assert book.by_code("BOS", "NBA", "kalshi") is not None  # the other built-ins stay


def test_registration_follows_load_order_not_pluggys_lifo(pm: ArbkitPluginManager) -> None:
    pm.register(StrategyPlugin("first-plugin"), name="first")
    pm.register(StrategyPlugin("second-plugin"), name="second")
    names = list(get_strategies(pm))
    assert names == ["cross_venue", "complete_set", "first-plugin", "second-plugin"]
    # pluggy's own call order is the reverse: what arbkit must not rely on.
    raw = [impl.plugin_name for impl in reversed(pm.hook.register_strategies.get_hookimpls())]
    assert raw[0] == "second"


def test_entry_points_load_builtins_first_then_by_distribution_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in ("fake_zeta", "fake_alpha"):
        monkeypatch.setitem(sys.modules, module, types.ModuleType(module))
    dists = [
        _Dist("arbkit-zeta", {"zeta": "fake_zeta"}),
        _Dist("arbkit", {"polymarket": "arbkit_polymarket", "kalshi": "arbkit_kalshi"}),
        _Dist("arbkit-alpha", {"alpha": "fake_alpha"}),
    ]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: iter(dists))
    pm = make_plugin_manager()
    names = [name for name, _ in pm.list_name_plugin()]
    assert names == [*DEFAULT_PLUGINS, "polymarket", "kalshi", "alpha", "zeta"]
    assert [pm.is_builtin(n) for n in names[-4:]] == [True, True, False, False]


class _Dist(importlib.metadata.Distribution):
    def __init__(self, name: str, entry_points: Mapping[str, str]) -> None:
        lines = "".join(f"{ep} = {target}\n" for ep, target in entry_points.items())
        self._files = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
            "entry_points.txt": "[arbkit]\n" + lines,
        }

    def read_text(self, filename: str) -> str | None:
        return self._files.get(filename)

    def locate_file(self, path: Any) -> Path:
        raise NotImplementedError


# -- collected once per manager ----------------------------------------------------------------


def test_registrations_are_collected_once_per_manager(pm: ArbkitPluginManager) -> None:
    plugin = StrategyPlugin("counted")
    pm.register(plugin, name="counted")
    first = get_strategies(pm)
    assert get_strategies(pm) == first and plugin.calls == 1
    first["mutated"] = first["counted"]  # a caller's copy never leaks into the cache
    assert "mutated" not in get_strategies(pm)
    pm.register(StrategyPlugin("late"), name="late")  # a new plugin: collected again
    assert "late" in get_strategies(pm) and plugin.calls == 2
    other = make_plugin_manager(load_entrypoints=False)
    assert "counted" not in get_strategies(other)  # keyed on the manager
    pm.unregister(name="late")
    assert "late" not in get_strategies(pm)


def test_a_failed_collection_is_not_cached(pm: ArbkitPluginManager) -> None:
    pm.register(StrategyPlugin("twice"), name="one")
    pm.register(StrategyPlugin("twice"), name="two")
    for _ in range(2):
        with pytest.raises(arbkit.PluginError, match="'one' and 'two'"):
            get_strategies(pm)


# -- tracing ---------------------------------------------------------------------------------


def test_trace_shows_every_hook_and_the_plugin_called(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARBKIT_TRACE_PLUGINS", "1")
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(StrategyPlugin("traced"), name="tracer")
    pm.register(LeaguePlugin(_nba_override()), name="league-plugin")
    get_strategies(pm)
    get_venues(pm)
    get_matcher_components(pm)
    get_migrations(pm)
    get_exits(pm)
    pm.hook.opportunity_found(opportunity=object())
    err = capsys.readouterr().err.splitlines()
    assert "arbkit hook register_strategies(register) -> tracer" in err
    assert "arbkit hook register_strategies(register) -> arbkit.default_plugins.strategies" in err
    assert "arbkit hook register_matchers(register) -> league-plugin" in err
    for hook in ("register_venues", "register_migrations", "register_exits"):
        assert any(line.startswith(f"arbkit hook {hook}(register)") for line in err), hook


def test_no_trace_without_the_variable(
    pm: ArbkitPluginManager, capsys: pytest.CaptureFixture[str]
) -> None:
    get_strategies(pm)
    assert capsys.readouterr().err == ""


# -- the same checks for matchers and migrations as for venues ---------------------------------


class _Offers:
    """A plugin offering ``items`` through one registration hook."""

    def __init__(self, hook: str, *items: Any) -> None:
        def impl(register: Any) -> None:
            for item in items:
                register(item)

        impl.__name__ = hook
        setattr(self, hook, arbkit.hookimpl(impl))


class _Scorer:
    def __init__(self, name: str) -> None:
        self.name = name

    def score(self, candidate: Any) -> None:
        return None


@pytest.mark.parametrize(
    ("hook", "items", "message"),
    [
        ("register_matchers", ["not league data"], "'bad' registered 'not league data'"),
        ("register_matchers", [_Scorer], "'bad' registered .*not a LeagueData or a Scorer"),
        ("register_migrations", [object()], "'bad' registered .*not a Migrations set"),
        ("register_migrations", [Migrations("arbkit")], "'arbkit' is registered twice"),
    ],
    ids=["matcher-string", "scorer-class", "migrations-object", "core-set-name"],
)
def test_wrong_registrations_name_the_plugin(
    pm: ArbkitPluginManager, hook: str, items: list[Any], message: str
) -> None:
    pm.register(_Offers(hook, *items), name="bad")
    accessor = get_matcher_components if hook == "register_matchers" else get_migrations
    with pytest.raises(arbkit.PluginError, match=message):
        accessor(pm)


@pytest.mark.parametrize(
    ("hook", "make", "kind"),
    [
        ("register_matchers", lambda: _Scorer("same-scorer"), "scorer 'same-scorer'"),
        ("register_migrations", lambda: Migrations("arbkit-same"), "migration set 'arbkit-same'"),
        ("register_matchers", _nba_override, "league data for 'NBA'"),
    ],
    ids=["scorer", "migrations", "league-extended-by-two-plugins"],
)
def test_clashes_name_both_plugins(
    pm: ArbkitPluginManager, hook: str, make: Any, kind: str
) -> None:
    pm.register(_Offers(hook, make()), name="plugin-a")
    pm.register(_Offers(hook, make()), name="plugin-b")
    accessor = get_matcher_components if hook == "register_matchers" else get_migrations
    with pytest.raises(arbkit.PluginError, match=kind) as info:
        accessor(pm)
    assert "'plugin-a'" in str(info.value) and "'plugin-b'" in str(info.value)


def test_one_plugin_may_extend_a_league_twice_and_others_their_own(
    pm: ArbkitPluginManager,
) -> None:
    first, second = _nba_override(), _nba_override()
    pm.register(_Offers("register_matchers", first, second), name="plugin-a")
    pm.register(_Offers("register_matchers", _Scorer("b-scorer")), name="plugin-b")
    assert get_matcher_components(pm)[-3:][:2] == [first, second]


# -- typed hookspecs -------------------------------------------------------------------------

HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "arbkit_spec"))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_typed_and_documented(hook: str) -> None:
    spec = getattr(hookspecs, hook)
    signature = inspect.signature(spec)
    assert signature.return_annotation == "None", hook
    for name, param in signature.parameters.items():
        annotation = str(param.annotation)
        assert param.annotation is not inspect.Parameter.empty, f"{hook}({name}) has no type"
        assert "Any]" not in annotation and annotation != "Any", f"{hook}({name}): {annotation}"
    assert len((spec.__doc__ or "").strip()) > 40, f"{hook} needs a docstring"
