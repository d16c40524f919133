"""arbkit-notify: an example third-party arbkit plugin.

It turns arbkit's event hooks into notifications: one JSON object per event, appended as a line to
the file named by ``$ARBKIT_NOTIFY_FILE`` (easy to ``tail -f`` or to feed into anything else), or
logged when that variable is unset. It also offers a toy exit rule and an ``arbkit notify-test``
command, so it exercises every kind of hook a plugin can implement.

It imports only ``arbkit`` itself (the public API), as every plugin should.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import arbkit

__version__ = "0.1.0"

#: The environment variable naming the JSON-lines file notifications are appended to.
FILE_ENV = "ARBKIT_NOTIFY_FILE"

log = logging.getLogger("arbkit_notify")


def notify(event: str, **fields: Any) -> Path | None:
    """Deliver one notification; returns the file written, or None when it was logged.

    Hooks run on arbkit's scanning loop, so this does one small append and nothing slower. A
    notifier that talks to a network service should hand records to a thread or queue instead.
    """
    record = {"event": event, "sent_at": datetime.now(UTC), **fields}
    line = json.dumps(_jsonable(record), sort_keys=True)
    target = os.environ.get(FILE_ENV)
    if not target:
        log.info("%s", line)
        return None
    path = Path(target).expanduser()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    return path


def _jsonable(value: Any) -> Any:
    """Decimals as exact strings (never floats), datetimes as ISO 8601, enums as their value."""
    if isinstance(value, Decimal):
        return arbkit.format_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value  # str enums (Side, ...) are str too: keep their plain value
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


# -- event hooks ----------------------------------------------------------------------------


@arbkit.hookimpl
def opportunity_found(opportunity: arbkit.Opportunity) -> None:
    legs = [
        {
            "venue": leg.venue,
            "contract_id": leg.contract_id,
            "outcome": leg.outcome,
            "side": str(leg.side),
            "price": leg.price,
            "size": leg.size,
        }
        for leg in opportunity.legs
    ]
    notify(
        "opportunity_found",
        key=opportunity.key,
        strategy=opportunity.strategy,
        game_id=opportunity.game_id,
        title=opportunity.title,
        net_edge=opportunity.net_edge,
        size=opportunity.size,
        expected_profit=opportunity.expected_profit,
        confidence=opportunity.confidence,
        legs=legs,
    )


@arbkit.hookimpl
def order_filled(order: arbkit.Order, fill: arbkit.Fill) -> None:
    notify(
        "order_filled",
        venue=fill.venue,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        contract_id=fill.contract_id,
        side=str(fill.side),
        price=fill.price,
        size=fill.size,
        fee=fill.fee,
        order_status=str(order.status),
    )


@arbkit.hookimpl
def position_closed(position: arbkit.GamePosition, pnl: Decimal) -> None:
    notify(
        "position_closed",
        game_id=position.game_id,
        status=str(position.status),
        exit_reason=position.exit_reason,
        venues=sorted({leg.venue for leg in position.legs.values()}),
        pnl=pnl,
    )


# -- a toy exit rule ------------------------------------------------------------------------


class PriceTargetExit(arbkit.ExitRule):
    """Close a position once the best bid of one of its held legs reaches ``target`` (default
    0.95): that side is then all but certain, and selling both legs takes the profit now.

    Options come from the config's ``[exits.notify-price-target]`` table. The id is prefixed
    with the plugin's name because exit ids must be unique across every installed plugin.
    """

    name = "notify-price-target"
    description = "Close when a held leg's best bid reaches a target price (example plugin)."
    timeless = True  # its answer depends on the legs' books alone

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        value = self.options.get("target", "0.95")
        try:
            target = arbkit.to_decimal(value)
        except (arbkit.ArbkitError, TypeError, ValueError):
            target = None
        if target is None or not 0 < target <= 1:
            raise arbkit.ConfigError(
                f"[exits.{self.name}] target must be a price above 0 and at most 1, got {value!r}"
            )
        self.target = target

    def should_exit(
        self,
        position: Any,  # the game's whole position (every leg, by contract id)
        books: Mapping[str, arbkit.OrderBook],
        markets: Mapping[str, arbkit.Market],
        now: datetime,
    ) -> str | None:
        for contract_id, leg in position.legs.items():
            book = books.get(contract_id)
            if not leg.size or book is None or not book.continuous or book.best_bid is None:
                continue  # nothing held there, or no bid we can trust
            bid = book.best_bid[0]
            if bid >= self.target:
                return (
                    f"{leg.venue} {contract_id} best bid {arbkit.format_decimal(bid)} reached "
                    f"target {arbkit.format_decimal(self.target)}"
                )
        return None


@arbkit.hookimpl
def register_exits(register: Callable[[type[arbkit.ExitRule]], None]) -> None:
    register(PriceTargetExit)


# -- a subcommand ---------------------------------------------------------------------------


@arbkit.hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command(name="notify-test")
    @click.option("--message", default="hello from arbkit-notify", help="Text to send.")
    def notify_test(message: str) -> None:
        """Send a test notification (to $ARBKIT_NOTIFY_FILE, else the log)."""
        path = notify("test", message=message)
        if path is None:
            click.echo(f"logged a test notification; set {FILE_ENV} to write a file instead")
        else:
            click.echo(f"wrote a test notification to {path}")
