"""``arbkit plugins``: which plugins are installed and which hooks each implements."""

from __future__ import annotations

from typing import Any

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState
from arbkit.plugins import plugin_info


def register(cli: click.Group) -> None:
    @cli.command(name="plugins")
    @click.option("--all", "all_", is_flag=True, help="Include arbkit's core default plugins.")
    @click.option("--hook", "hooks", multiple=True, help="Only plugins implementing this hook.")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def plugins_command(state: AppState, all_: bool, hooks: tuple[str, ...], json_: bool) -> None:
        """List installed plugins (built-in venues included) with their hooks."""
        rows = plugin_info(state.plugin_manager, include_defaults=all_)
        if hooks:
            rows = [row for row in rows if set(hooks) & set(row["hooks"])]
        failed = _failed_rows(state.plugin_manager) if not hooks else []
        if json_:
            echo_json(rows + failed)
            return
        table = [
            {**row, "hooks": ", ".join(row["hooks"]), "builtin": "yes" if row["builtin"] else ""}
            for row in rows
        ]
        click.echo(render_table(table, ["name", "version", "builtin", "hooks"]))
        for row in failed:
            click.echo(f"{row['name']}: {row['error']} (skipped)")


def _failed_rows(pm: object) -> list[dict[str, Any]]:
    """Plugins skipped at load time, so a broken install is visible rather than silent."""
    failed: dict[str, str] = getattr(pm, "failed", {})
    return [{"name": name, "error": failed[name], "loaded": False} for name in sorted(failed)]
