"""Option types and callbacks every command shares: finite numbers, bounded decimals, paths.

Each turns a bad value into click's one-line usage error (exit 2) instead of a traceback or a
silently odd run (``nan``, ``1e400``, a negative size cap, an over-long path).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click


def decimal_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a decimal number") from None
    if not result.is_finite():
        raise click.BadParameter(f"{value!r} is not a finite number")
    return result


def decimal_at_least(
    low: Decimal, *, inclusive: bool, why: str
) -> Callable[[click.Context, click.Parameter, str | None], Decimal | None]:
    """A ``decimal_option`` callback refusing values below ``low`` (or at it, if not inclusive)."""
    bound = f"{low} or more" if inclusive else f"more than {low}"

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
        result = decimal_option(ctx, param, value)
        if result is not None and (result < low if inclusive else result <= low):
            raise click.BadParameter(f"{value!r} must be {bound}")
        return result

    check.__doc__ = why
    return check


#: A threshold below zero would admit losing trades: reject it instead of scanning.
non_negative_decimal = decimal_at_least(Decimal(0), inclusive=True, why="a minimum edge ≥ 0")
#: A size cap of zero or less can never be filled, so it is a mistake, not a filter.
positive_decimal = decimal_at_least(Decimal(0), inclusive=False, why="a size cap > 0")


def venue_list(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--venues ,`` names no venue: an error, not a silent scan of nothing."""
    if value is not None and not any(name.strip() for name in value.split(",")):
        raise click.BadParameter(f"{value!r} names no venue")
    return value


class FiniteFloat(click.ParamType):
    """A float in [low, high]; unlike click.FloatRange it rejects nan and inf (``1e400``)."""

    name = "float"

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        self.low = low
        self.high = high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            self.fail(f"{value!r} is not in the range {self._range()}", param, ctx)
        return number

    def _range(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{low}<=x<={high}"


class ReplayDir(click.Path):
    """A directory path whose OS errors (name too long, permission) are one-line usage errors."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            os.stat(value)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.fail(f"cannot use {short_path(str(value))}: {reason}", param, ctx)
        return super().convert(value, param, ctx)


def short_path(text: str, limit: int = 60) -> str:
    """Keep an over-long path from flooding the one-line error."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def source_options(verb: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--sample``, ``--replay DIR``, ``--venues``, ``--league``, ``--strategy``: what a
    command runs on, spelled the same on every command that runs the engine (``verb`` starts
    the help of the first two: "Scan", "Paper-trade")."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option(
                "--sample",
                is_flag=True,
                help=f"{verb} the offline sample evening shipped with arbkit.",
            ),
            click.option(
                "--replay",
                "replay_dir",
                type=ReplayDir(),
                help=f"{verb} a recorded replay directory (docs/replay-format.md).",
            ),
            click.option(
                "--venues",
                "venue_list",
                callback=venue_list,
                help="Comma list of venues (default: all live venues).",
            ),
            click.option(
                "--league",
                "leagues",
                multiple=True,
                help="Only this league (repeatable), e.g. nba.",
            ),
            click.option(
                "--strategy",
                "strategy_names",
                multiple=True,
                help="Only this strategy (repeatable).",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def bus_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--bus redis://HOST:PORT/DB``: only Redis URLs (the scale-out bus is Redis)."""
    if value is None:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise click.BadParameter(f"{short_path(value)} is not a redis:// URL")
    return value


def bus_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--bus URL``: run over Redis-backed workers (docs/scaling.md); without it, one process."""
    return click.option(
        "--bus",
        "bus",
        metavar="URL",
        envvar="ARBKIT_BUS",
        callback=bus_url,
        help="Scale out over Redis, e.g. redis://127.0.0.1:6379/0 (env ARBKIT_BUS).",
    )(command)


def speed_option(
    default: float = 0.0, *, help: str = "Replay speed (0: as fast as possible, 1: recorded)."
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--speed X``: how fast a recording plays (the replay's own clock either way)."""
    return click.option(
        "--speed", type=FiniteFloat(low=0), default=default, show_default=True, help=help
    )


def live_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--live`` and ``--yes``: real money only when asked, and confirmed."""
    command = click.option("--yes", is_flag=True, help="Confirm live trading without a prompt.")(
        command
    )
    return click.option("--live", is_flag=True, help="Trade real money (needs credentials).")(
        command
    )
