"""``arbkit halt`` / ``arbkit resume`` and the kill switch file, SIGUSR1 included."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
from pathlib import Path

from arbkit.trading.killswitch import KillSwitch


def rows(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT state, reason, source FROM risk_events ORDER BY id").fetchall()


def migrated(invoke, db: Path) -> Path:
    """A database a trader could use: halt and resume refuse a missing one."""
    assert invoke(["--db", str(db), "db", "migrate"]).exit_code == 0
    return db


def test_halt_writes_the_file_beside_the_database_and_a_risk_event(invoke, tmp_path) -> None:
    db = migrated(invoke, tmp_path / "data" / "arbkit.db")
    result = invoke(["--db", str(db), "halt", "--reason", "game 3 looks wrong"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith("halted: game 3 looks wrong")
    halt_file = tmp_path / "data" / "arbkit.halt"
    assert halt_file.read_text().strip() == "game 3 looks wrong"
    assert KillSwitch(KillSwitch.default_path(db)).tripped() == "game 3 looks wrong"
    assert rows(db) == [("halted", "game 3 looks wrong", "arbkit halt")]


def test_resume_removes_the_file_and_records_it(invoke, tmp_path) -> None:
    db = migrated(invoke, tmp_path / "arbkit.db")
    invoke(["--db", str(db), "halt"])
    result = invoke(["--db", str(db), "resume"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1 and result.output.startswith("resumed: removed")
    assert not (tmp_path / "arbkit.halt").exists()
    assert [state for state, _, _ in rows(db)] == ["halted", "active"]
    again = invoke(["--db", str(db), "resume"])
    assert "nothing was halted" in again.output


def test_json_output_is_one_object_per_command(invoke, tmp_path) -> None:
    db = migrated(invoke, tmp_path / "arbkit.db")
    halted = invoke(["--db", str(db), "halt", "--reason", "stop", "--json"])
    assert len(halted.output.splitlines()) == 1
    body = json.loads(halted.output)
    assert body["state"] == "halted" and body["reason"] == "stop"
    assert body["file"] == str(tmp_path / "arbkit.halt")
    resumed = json.loads(invoke(["--db", str(db), "resume", "--json"]).output)
    assert resumed["state"] == "active" and resumed["was_halted"] is True


def test_the_switch_reads_nothing_until_the_file_exists(tmp_path) -> None:
    switch = KillSwitch(tmp_path / "arbkit.halt")
    assert switch.tripped() is None
    (tmp_path / "arbkit.halt").write_text("")
    assert switch.tripped() == "halted"  # an empty file (`touch`) halts too
    assert switch.clear() and switch.tripped() is None and not switch.clear()


def test_sigusr1_trips_the_switch(tmp_path) -> None:
    switch = KillSwitch(tmp_path / "arbkit.halt")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        switch.install_signal_handler(loop)
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(100):
                if switch.tripped():
                    break
                await asyncio.sleep(0.01)
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    asyncio.run(main())
    assert switch.tripped() == "SIGUSR1"
