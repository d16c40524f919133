"""Command groups whose subcommands arrive with later work (and with plugins)."""

from __future__ import annotations

import click

GROUPS = {
    "report": "P&L and activity reports from the database.",
    "record": "Record venue data into a replay directory.",
    "backtest": "Run strategies over recorded data.",
    "tui": "The live terminal UI.",
}


def register(cli: click.Group) -> None:
    for name, help_text in GROUPS.items():
        cli.add_command(click.Group(name=name, help=help_text))
