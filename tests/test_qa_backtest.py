"""Bugs found in ``arbkit backtest`` by the record/report QA pass (helper G), fixed: an age
beyond the calendar is a usage error, and a --recording never creates a mistyped --db."""

from __future__ import annotations

from pathlib import Path

import pytest
from backtest_helpers import arbkit
from cli_helpers import one_line_error, run_main


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("qa") / "arbkit.db"
    arbkit(db, "-q", "record", "--sample", "--json")
    return db


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_an_age_beyond_the_calendar_is_a_usage_error(capsys, recorded, option) -> None:
    result = run_main(
        capsys, ["--db", str(recorded), "backtest", "--recording", option, "99999999d"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert option in result.output


def test_a_missing_database_is_not_created(capsys, tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    one_line_error(run_main(capsys, ["--db", str(db), "backtest", "--recording"]), "no database")
    assert not db.exists()
