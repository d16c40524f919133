"""The ``arbkit`` command line: core commands from ``cli/*.py`` plus plugin commands.

``make_cli(pm)`` assembles the group for one plugin manager, so tests build their own CLI with
their own plugins and no module reloads. ``main()`` turns any :class:`~arbkit.ArbkitError` into a
one-line message and exit status 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import pluggy

from arbkit import __version__
from arbkit.cli import config as config_cmd
from arbkit.cli import db as db_cmd
from arbkit.cli import markets as markets_cmd
from arbkit.cli import plugins as plugins_cmd
from arbkit.cli import venues as venues_cmd
from arbkit.cli.state import AppState
from arbkit.errors import ArbkitError
from arbkit.plugins import make_plugin_manager
from arbkit.secrets import RedactingFilter

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

#: Modules that add core commands: each has ``register(cli)``.
COMMAND_MODULES = [
    plugins_cmd,
    venues_cmd,
    config_cmd,
    db_cmd,
    markets_cmd,
]


def _optional_modules() -> list[object]:
    """Command modules filled by later work; imported if present so the CLI never breaks."""
    import importlib

    found: list[object] = []
    for name in (
        "match",
        "scan",
        "trade",
        "risk",
        "portfolio",
        "record",
        "backtest",
        "report",
        "tui",
        "worker",
        "serve",
    ):
        try:
            found.append(importlib.import_module(f"arbkit.cli.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"arbkit.cli.{name}":
                raise
    return found


def make_cli(pm: pluggy.PluginManager) -> click.Group:
    """Build the ``arbkit`` click group for ``pm``.

    ``--db`` and ``--config`` are plain paths, not ``dir_okay=False``: the store and the config
    loader check them and raise a one-line StoreError / ConfigError, where click's own check
    would print a multi-line usage error.
    """

    @click.group(context_settings=CONTEXT_SETTINGS)
    @click.version_option(__version__, "--version", prog_name="arbkit")
    @click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path),
        envvar="ARBKIT_DB",
        help="SQLite database (default: arbkit.db in the user directory; env ARBKIT_DB).",
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path),
        envvar="ARBKIT_CONFIG",
        help="Config file (default: config.toml in the user directory; env ARBKIT_CONFIG).",
    )
    @click.option("--sandbox", is_flag=True, help="Use each venue's demo/sandbox environment.")
    @click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
    @click.option("-q", "--quiet", is_flag=True, help="Only errors.")
    @click.pass_context
    def cli(
        ctx: click.Context,
        db_path: Path | None,
        config_file: Path | None,
        sandbox: bool,
        verbose: int,
        quiet: bool,
    ) -> None:
        """arbkit: find and trade price differences between prediction-market venues.

        Start with `arbkit scan --sample`: an offline evening of games on Polymarket and Kalshi.
        """
        _configure_logging(verbose, quiet)
        state = ctx.ensure_object(AppState)
        state.pm = state.pm or pm
        state.db_path = db_path or state.db_path
        state.config_file = config_file or state.config_file
        state.sandbox = sandbox or state.sandbox
        state.quiet = quiet or state.quiet

    for module in [*COMMAND_MODULES, *_optional_modules()]:
        module.register(cli)  # type: ignore[attr-defined]
    pm.hook.register_commands(cli=cli)
    return cli


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        pm = make_plugin_manager()
        cli = make_cli(pm)
        cli.main(args=argv, prog_name="arbkit", obj=AppState(pm=pm), standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ArbkitError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
