"""Commands that read a database (or act on a trade's) refuse a missing one: no empty file."""

from __future__ import annotations

import pytest
from cli_helpers import one_line_error, run_main

READERS = [
    ["positions"],
    ["positions", "--books"],
    ["orders"],
    ["pnl", "--json"],
    ["halt", "--reason", "stop"],
    ["resume"],
]


@pytest.mark.parametrize("args", READERS, ids=lambda args: " ".join(args))
def test_a_mistyped_db_is_refused_and_not_created(capsys, tmp_path, args) -> None:
    db = tmp_path / "arbkit.db"
    typo = tmp_path / "arbkti.db"
    run_main(capsys, ["--db", str(db), "db", "migrate"])  # the real database exists
    result = run_main(capsys, ["--db", str(typo), *args])
    one_line_error(result, f"no database at {typo}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arbkit.db"]  # no db, no halt file


@pytest.mark.parametrize("args", READERS, ids=lambda args: " ".join(args))
def test_the_env_default_is_refused_too(capsys, tmp_path, monkeypatch, args) -> None:
    typo = tmp_path / "nowhere" / "arbkit.db"
    monkeypatch.setenv("ARBKIT_DB", str(typo))
    one_line_error(run_main(capsys, list(args)), f"no database at {typo}")
    assert not typo.parent.exists()


def test_halt_names_the_way_to_halt_before_the_first_trade(capsys, tmp_path) -> None:
    typo = tmp_path / "arbkti.db"
    result = run_main(capsys, ["--db", str(typo), "halt"])
    assert "arbkit db migrate" in result.output and "no trader" in result.output


def test_an_existing_database_is_read(capsys, tmp_path) -> None:
    db = tmp_path / "arbkit.db"
    run_main(capsys, ["--db", str(db), "db", "migrate"])
    assert run_main(capsys, ["--db", str(db), "positions", "--books"]).exit_code == 0
    assert run_main(capsys, ["--db", str(db), "halt"]).exit_code == 0
    assert (tmp_path / "arbkit.halt").exists()
