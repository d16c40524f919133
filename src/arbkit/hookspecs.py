"""Every hook arbkit calls: the plugin author's contract.

Registration hooks receive a ``register`` callback (as in llm) and are called once per plugin
manager, the first time arbkit needs that kind of thing, one plugin at a time in load order:
arbkit's built-ins first, then third-party plugins (docs/plugins.md, "How plugins are loaded").
Event hooks are called for every event, in the same order, with keyword arguments; their return
values are ignored. New parameters are only ever added, never renamed or removed, so a plugin
written today keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click
    from sqlite_utils.migrations import Migrations

    from arbkit.exits import ExitRule
    from arbkit.matching import LeagueData, Scorer
    from arbkit.models import Fill, Opportunity, Order
    from arbkit.strategy import Strategy
    from arbkit.trading.model import GamePosition
    from arbkit.tui.plugins import TuiColumn, TuiScreen
    from arbkit.venue import Venue

hookspec = pluggy.HookspecMarker("arbkit")
hookimpl = pluggy.HookimplMarker("arbkit")


@hookspec
def register_venues(register: Callable[[type[Venue]], None]) -> None:
    """Offer :class:`arbkit.Venue` subclasses.

    Call ``register(cls)`` once per venue class. ``cls.name`` must be unique across all plugins:
    a clash raises :class:`arbkit.PluginError` naming both plugins, because venue ids are
    stored in the database.
    """


@hookspec
def register_matchers(register: Callable[[LeagueData | Scorer], None]) -> None:
    """Offer matching knowledge or scorers to the one :class:`arbkit.MatchingService`.

    ``register`` accepts a :class:`arbkit.LeagueData` (a league's team knowledge base) or a
    :class:`arbkit.Scorer` instance (an extra scorer whose verdict can only *lower* confidence
    or veto a pair; deterministic identity checks always run first). LeagueData of a league
    arbkit ships is applied after the built-in one: a team with a built-in team's id replaces
    it, new teams are added. Only one plugin besides arbkit may extend a league, and scorer
    names are unique; anything else raises :class:`arbkit.PluginError`.
    """


@hookspec
def register_strategies(register: Callable[[type[Strategy]], None]) -> None:
    """Offer :class:`arbkit.Strategy` subclasses; ``cls.name`` must be unique.

    A strategy is evaluated on every book update of a matched game and returns the
    :class:`arbkit.Opportunity` objects it sees (pricing helpers: :func:`arbkit.price_pair`,
    :func:`arbkit.buy_through`, :func:`arbkit.profitable_depth`).
    """


@hookspec
def register_exits(register: Callable[[type[ExitRule]], None]) -> None:
    """Offer :class:`arbkit.ExitRule` subclasses; ``cls.name`` must be unique.

    A rule is built with its options (the config's ``[exits.<name>]`` table) and sees a whole
    game's position, every leg of it: ``holds(position, now)`` may veto every exit (a reason
    keeps the position), ``should_exit(position, books, markets, now)`` gives a reason to sell
    every held leg now, or None. Holds are asked first; then the first enabled rule in load
    order (built-ins first) with a reason closes the position. A rule that raises is logged
    and counts as a hold / no exit. ``min_hold``, ``convergence`` and ``hold_to_settlement``
    are on unless the config turns them off; any other rule is on when its table exists.
    Call mode: all implementations, in load order.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``arbkit`` click group, e.g. with ``@cli.command()``.

    Called each time the command line is built, after the core commands.
    """


@hookspec
def register_migrations(register: Callable[[Migrations], None]) -> None:
    """Offer a :class:`sqlite_utils.migrations.Migrations` set for plugin-owned tables.

    Each set has its own name (not ``"arbkit"``, the core set's), so it is applied beside
    arbkit's core set; two plugins registering one name raise :class:`arbkit.PluginError`.
    """


@hookspec
def register_tui(register: Callable[[TuiScreen | TuiColumn], None]) -> None:
    """Add a screen or a column to ``arbkit tui``.

    ``register`` accepts a :class:`arbkit.tui.TuiScreen` (a name, a title, a key and a
    factory returning a :class:`arbkit.tui.DashboardScreen`, whose ``show(snapshot)`` is called
    with every refresh) or a :class:`arbkit.tui.TuiColumn` (a label and a function of an
    :class:`arbkit.Opportunity`, shown as a column of the Opportunities table). Called once per
    app, when it starts; a name or key that clashes raises :class:`arbkit.PluginError`.
    """


@hookspec
def opportunity_found(opportunity: Opportunity) -> None:
    """Called for every opportunity a strategy reports (new or changed).

    Keep it fast: it runs on the scanning loop. Notifiers should hand work to a thread or queue.
    """


@hookspec
def order_filled(order: Order, fill: Fill) -> None:
    """Called for every fill of an order arbkit placed (paper or live)."""


@hookspec
def position_closed(position: GamePosition, pnl: Decimal) -> None:
    """Called when a game's position is closed (sold back) or settled by the venues;
    ``position`` holds every leg and fill, ``pnl`` is its realised P&L (fees included)."""
