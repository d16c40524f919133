"""``arbkit backtest --recording`` (issue 14's acceptance): record a replayed session, backtest
the recording, and get exactly the backtest of the source; a range is what ``arbkit record
export`` of that range gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backtest_helpers import arbkit, backtest_runs
from cli_helpers import one_line_error, run_main
from trade_helpers import jumped_bids

from arbkit.store import open_store


@pytest.fixture(scope="module")
def jumped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return jumped_bids(tmp_path_factory.mktemp("jumped"))


@pytest.mark.parametrize("data", ["sample", "jumped"])
def test_a_recorded_session_backtests_like_its_source(
    data: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source = ["--sample"] if data == "sample" else ["--replay", str(request.getfixturevalue(data))]
    db = tmp_path / "arbkit.db"
    arbkit(db, "-q", "record", *source, "--json")
    recorded = arbkit(db, "backtest", "--recording", "--json")
    direct = arbkit(tmp_path / "direct.db", "backtest", *source, "--json")
    assert recorded == direct
    assert json.loads(recorded)["positions"]
    (run,) = backtest_runs(db)
    assert run["source"] == "recording:start..end"
    assert run["options"]["book"] == "backtest:recording:start..end#1"


def test_a_range_backtests_like_its_export(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    arbkit(db, "-q", "record", "--sample", "--json")
    window = ["--since", "2026-11-24T23:00:03Z", "--until", "2026-11-24T23:04Z"]
    out = tmp_path / "export"
    arbkit(db, "record", "export", *window, str(out))
    exported = arbkit(tmp_path / "e.db", "backtest", "--replay", str(out), "--json")
    ranged = arbkit(db, "backtest", "--recording", *window, "--json")
    assert ranged == exported
    whole = arbkit(tmp_path / "w.db", "backtest", "--sample", "--json")
    assert json.loads(ranged) != json.loads(whole), "the range starts after the first entries"


def test_a_league_of_a_recording_is_its_league_only(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    arbkit(db, "-q", "record", "--sample", "--json")
    nba = json.loads(arbkit(db, "backtest", "--recording", "--league", "NBA", "--json"))
    direct = json.loads(
        arbkit(tmp_path / "d.db", "backtest", "--sample", "--league", "nba", "--json")
    )
    # The export holds the NBA's settlements only, so its clock stops at the last of those.
    assert nba["as_of"] <= direct.pop("as_of")
    assert {k: v for k, v in nba.items() if k != "as_of"} == direct
    assert nba["opportunities"]["seen"] > 0
    assert all(p["league"] == "NBA" for p in nba["positions"])
    (run,) = backtest_runs(db)
    assert run["source"] == "recording:start..end:nba"


@pytest.fixture
def unrecorded(tmp_path: Path) -> Path:
    """A database that exists (migrated) but holds no recording."""
    db = tmp_path / "arbkit.db"
    open_store(db).close()
    return db


def test_nothing_recorded_is_one_error_line(capsys, unrecorded: Path) -> None:
    result = run_main(capsys, ["--db", str(unrecorded), "backtest", "--recording"])
    one_line_error(result, "nothing was recorded")


def test_a_bad_time_is_a_usage_error(capsys, unrecorded: Path) -> None:
    args = ["--db", str(unrecorded), "backtest", "--recording", "--since", "yesterdayish"]
    result = run_main(capsys, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--since" in result.output and "yesterdayish" in result.output
