"""``arbkit config path|show``: where the config file is and what it says (credentials masked)."""

from __future__ import annotations

import click

from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState
from arbkit.config import config_path
from arbkit.registry import get_venues


def register(cli: click.Group) -> None:
    @cli.group(name="config")
    def config_group() -> None:
        """Show the configuration."""

    @config_group.command(name="path")
    @click.pass_obj
    def path_command(state: AppState) -> None:
        """Print the config file's path."""
        click.echo(str(state.config_file or config_path()))

    @config_group.command(name="show")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def show_command(state: AppState, json_: bool) -> None:
        """Print the config with every credential masked."""
        names = {
            name: cls.credential_names for name, cls in get_venues(state.plugin_manager).items()
        }
        masked = state.config.masked(names)
        if json_:
            echo_json({"path": str(state.config.path), "config": masked})
            return
        click.echo(f"# {state.config.path}{'' if state.config.data else ' (empty or missing)'}")
        _print_toml(masked, [])


def _print_toml(node: dict, prefix: list[str]) -> None:
    scalars = {k: v for k, v in node.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in node.items() if isinstance(v, dict)}
    if prefix and scalars:
        click.echo(f"[{'.'.join(prefix)}]")
    for key, value in scalars.items():
        text = f'"{value}"' if isinstance(value, str) else str(value).lower()
        click.echo(f"{key} = {text}")
    for key, value in tables.items():
        _print_toml(value, [*prefix, key])
