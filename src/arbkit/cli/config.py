"""``arbkit config path|show``: where the config file is and what it says (credentials masked)."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import click

from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def register(cli: click.Group) -> None:
    @cli.group(name="config")
    def config_group() -> None:
        """Show the configuration."""

    @config_group.command(name="path")
    @click.pass_obj
    def path_command(state: AppState) -> None:
        """Print the config file's path."""
        from arbkit.config import config_path

        click.echo(str(state.config_file or config_path()))

    @config_group.command(name="show")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def show_command(state: AppState, json_: bool) -> None:
        """Print the config with every credential masked."""
        from arbkit.registry import get_venues

        names = {
            name: cls.credential_names for name, cls in get_venues(state.plugin_manager).items()
        }
        masked = state.config.masked(names)
        if json_:
            echo_json({"path": str(state.config.path), "config": masked})
            return
        click.echo(f"# {state.config.path}{'' if state.config.data else ' (empty or missing)'}")
        _print_toml(masked, [])


def _print_toml(node: Mapping[str, Any], prefix: list[str]) -> None:
    """Print ``node`` as TOML that tomllib reads back to the same data (masking aside)."""
    for line in toml_lines(node, prefix):
        click.echo(line)


def toml_lines(node: Mapping[str, Any], prefix: list[str], *, header: bool = True) -> list[str]:
    """Scalars and inline arrays first, then sub-tables, then arrays of tables."""
    lines: list[str] = []
    tables = {k: v for k, v in node.items() if isinstance(v, Mapping)}
    arrays = {k: v for k, v in node.items() if _is_table_array(v)}
    scalars = {k: v for k, v in node.items() if k not in tables and k not in arrays}
    if header and prefix and (scalars or not (tables or arrays)):
        lines.append(f"[{_dotted(prefix)}]")
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for key, value in tables.items():
        lines += toml_lines(value, [*prefix, key])
    for key, items in arrays.items():
        for item in items:
            lines.append(f"[[{_dotted([*prefix, key])}]]")
            lines += toml_lines(item, [*prefix, key], header=False)
    return lines


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, Mapping) for i in value)


def _dotted(keys: list[str]) -> str:
    return ".".join(_key(k) for k in keys)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _value(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")
