"""``arbkit halt`` and ``arbkit resume``: the kill switch, from any terminal.

``halt`` writes the halt file beside the database (a running ``arbkit trade`` stops new entries
on its next gate check; exits, hedges and cancels go on) and records a ``risk_events`` row;
``resume`` removes the file and records a row too. Both refuse a database that does not exist:
no trader can be using it, so it is a mistyped ``--db`` (nothing is created).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from arbkit.cli.output import to_jsonable
from arbkit.cli.state import AppState
from arbkit.trading.killswitch import KillSwitch
from arbkit.trading.model import RiskState

#: halt and resume act on the traders of an existing database: a missing one is a typo
_NO_TRADER = (
    "no trader uses it; give the --db of the running `arbkit trade` "
    "(`arbkit db migrate` creates it, to halt before the first trade)"
)


def _switch(state: AppState) -> KillSwitch:
    """The kill switch beside the database, which must exist (nothing is created for a typo)."""
    state.existing_store(hint=_NO_TRADER)
    return KillSwitch(KillSwitch.default_path(state.db_file))


def _record(state: AppState, risk: RiskState, reason: str, source: str, at: datetime) -> None:
    # mode is NULL: the halt file stops every trader on this database, paper and live alike.
    state.store.db["risk_events"].insert(
        {
            "mode": None,
            "at": at.isoformat(),
            "state": risk.value,
            "reason": reason,
            "source": source,
        }
    )


def register(cli: click.Group) -> None:
    @cli.command(name="halt")
    @click.option("--reason", default="halted by arbkit halt", help="Why (stored and shown).")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def halt_command(state: AppState, reason: str, json_: bool) -> None:
        """Stop new entries now (exits, hedges and cancels still run).

        The database must exist (that of the running trade): a missing one is refused.

        \b
        Examples:
          arbkit halt --reason "game 3 looks wrong"
          arbkit --db data/arbkit.db halt --json
        """
        switch = _switch(state)
        at = datetime.now(UTC)
        reason = reason.strip() or "halted by arbkit halt"
        switch.trip(reason)
        _record(state, RiskState.HALTED, reason, "arbkit halt", at)
        if json_:
            click.echo(
                echo_line({"state": "halted", "reason": reason, "file": str(switch.path), "at": at})
            )
            return
        click.echo(f"halted: {reason} (kill switch {switch.path}; `arbkit resume` to undo)")

    @cli.command(name="resume")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def resume_command(state: AppState, json_: bool) -> None:
        """Allow new entries again: remove the kill switch file.

        \b
        Examples:
          arbkit resume
          arbkit --db data/arbkit.db resume --json
        """
        switch = _switch(state)
        at = datetime.now(UTC)
        was = switch.tripped()
        removed = switch.clear()
        reason = f"resumed (was: {was})" if removed else "resumed (the kill switch was not set)"
        _record(state, RiskState.ACTIVE, reason, "arbkit resume", at)
        if json_:
            click.echo(
                echo_line(
                    {"state": "active", "was_halted": removed, "file": str(switch.path), "at": at}
                )
            )
            return
        if removed:
            click.echo(f"resumed: removed {switch.path} (was: {was})")
        else:
            click.echo(f"resumed: no kill switch at {switch.path}, nothing was halted by it")


def echo_line(value: object) -> str:
    """One line of JSON (decimals as strings, times ISO 8601)."""
    return json.dumps(to_jsonable(value))
