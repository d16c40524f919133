"""Every hook arbkit calls: the plugin author's contract.

Registration hooks receive a ``register`` callback (as in llm) and are called once per plugin
manager, the first time arbkit needs that kind of thing. Event hooks are called for every event,
with keyword arguments; their return values are ignored. New parameters are only ever added,
never renamed or removed, so a plugin written today keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from arbkit.models import Fill, Opportunity, Order, Position

hookspec = pluggy.HookspecMarker("arbkit")
hookimpl = pluggy.HookimplMarker("arbkit")


@hookspec
def register_venues(register: Callable[[type[Any]], None]) -> None:
    """Offer :class:`arbkit.Venue` subclasses.

    Call ``register(cls)`` once per venue class. ``cls.name`` must be unique across all plugins:
    a clash raises :class:`arbkit.PluginError`, because venue ids are stored in the database.
    """


@hookspec
def register_matchers(register: Callable[[Any], None]) -> None:
    """Offer matching knowledge or scorers to the one :class:`arbkit.MatchingService`.

    ``register`` accepts a :class:`arbkit.matching.LeagueData` (a league's team knowledge base)
    or a :class:`arbkit.matching.Scorer` (an extra scorer whose verdict can only *lower*
    confidence or veto a pair; deterministic identity checks always run first).
    """


@hookspec
def register_strategies(register: Callable[[type[Any]], None]) -> None:
    """Offer :class:`arbkit.Strategy` subclasses; ``cls.name`` must be unique.

    A strategy is evaluated on every book update of a matched game and returns the
    :class:`arbkit.Opportunity` objects it sees.
    """


@hookspec
def register_exits(register: Callable[[type[Any]], None]) -> None:
    """Offer :class:`arbkit.ExitRule` subclasses; ``cls.name`` must be unique.

    Exit rules look at an open position and its books and say whether to close it.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``arbkit`` click group, e.g. with ``@cli.command()``."""


@hookspec
def register_migrations(register: Callable[[Any], None]) -> None:
    """Offer a :class:`sqlite_utils.migrations.Migrations` set for plugin-owned tables.

    Each set has its own name, so it is applied beside arbkit's core set.
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
def position_closed(position: Position, pnl: Any) -> None:
    """Called when a position is fully closed; ``pnl`` is its realised P&L as a Decimal."""
