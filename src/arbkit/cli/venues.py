"""``arbkit venues``: the venues plugins offer."""

from __future__ import annotations

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState


def register(cli: click.Group) -> None:
    @cli.group(name="venues", invoke_without_command=True)
    @click.option("--json", "json_", is_flag=True, help="Output JSON (when listing).")
    @click.pass_context
    def venues_group(ctx: click.Context, json_: bool) -> None:
        """Venues offered by plugins (default: list them)."""
        if ctx.invoked_subcommand is None:
            ctx.invoke(list_venues, json_=json_)

    @venues_group.command(name="list")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def list_venues(state: AppState, json_: bool = False) -> None:
        """List every venue with the plugin module that provides it."""
        from arbkit.registry import get_venues

        rows = [
            {
                "name": name,
                "title": cls.title,
                "module": cls.__module__.split(".")[0],
                "leagues": list(cls.leagues),
                "credentials": list(cls.credential_names),
            }
            for name, cls in sorted(get_venues(state.plugin_manager).items())
        ]
        if json_:
            echo_json(rows)
        else:
            click.echo(render_table(rows, ["name", "title", "module", "leagues"]))
