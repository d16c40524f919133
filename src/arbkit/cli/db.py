"""``arbkit db path|status|migrate``: the SQLite store."""

from __future__ import annotations

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState


def register(cli: click.Group) -> None:
    @cli.group(name="db")
    def db_group() -> None:
        """Inspect the SQLite database."""

    @db_group.command(name="path")
    @click.pass_obj
    def path_command(state: AppState) -> None:
        """Print the database path."""
        from arbkit.store import default_db_path

        click.echo(str(state.db_path or default_db_path()))

    @db_group.command(name="status")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def status_command(state: AppState, json_: bool) -> None:
        """Migrations applied (and pending) plus row counts per table.

        A database that does not exist is refused, not created (a mistyped --db).
        """
        store = state.existing_store("`arbkit db migrate` creates it")
        tables = store.table_counts()
        migrations = store.status()
        if json_:
            echo_json({"path": str(store.path), "migrations": migrations, "tables": tables})
            return
        click.echo(f"database: {store.path}")
        click.echo(render_table(migrations, ["set", "name", "applied_at"]))
        click.echo()
        click.echo(
            render_table([{"table": k, "rows": v} for k, v in tables.items()], ["table", "rows"])
        )

    @db_group.command(name="migrate")
    @click.pass_obj
    def migrate_command(state: AppState) -> None:
        """Apply pending migrations (opening the database does this too)."""
        click.echo(f"database up to date: {state.store.path}")
