"""``arbkit report`` on what ``arbkit trade`` and ``arbkit backtest`` stored: the report agrees
with the commands' own final JSON, every format renders, and every bad input is one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import one_line_error, run_main
from trade_helpers import SAMPLE, jumped_bids, rows, run_trade, thin_books

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A database with one ``arbkit trade --sample`` session, and that command's JSON."""
    db = tmp_path_factory.mktemp("sample") / "arbkit.db"
    return db, json.loads(run_trade(db, "--sample"))


def report(db: Path, *args: str) -> str:
    pm = make_plugin_manager()
    from click.testing import CliRunner

    result = CliRunner().invoke(
        make_cli(pm), ["--db", str(db), "report", *args], obj=AppState(pm=pm)
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_report_agrees_with_the_trade_command(sample) -> None:
    db, traded = sample
    data = json.loads(report(db, "--json"))
    assert data["opportunities"]["seen"] == traded["opportunities"]["seen"]
    assert data["opportunities"]["taken"] == traded["opportunities"]["taken"]
    assert data["opportunities"]["refusals_by_reason"] == traded["rejections"]
    for figure in ("realized", "unrealized", "fees"):
        assert D(data["pnl"][figure]) == D(traded["pnl"][figure])
    assert data["pnl"]["checks"] == traded["checks"]
    fills = sum(len(leg["fills"]) for p in traded["positions"] for leg in p["legs"])
    assert data["execution"]["total"]["fills"] == fills


def test_the_report_agrees_with_arbkit_pnl(sample) -> None:
    db, _ = sample
    data = json.loads(report(db, "--format", "json"))
    pnl = json.loads(report_pnl(db))
    for table in ("by_league", "by_venue", "by_strategy", "by_day"):
        assert data["pnl"][table] == pnl[table]


def report_pnl(db: Path) -> str:
    pm = make_plugin_manager()
    from click.testing import CliRunner

    result = CliRunner().invoke(
        make_cli(pm), ["--db", str(db), "pnl", "--json"], obj=AppState(pm=pm)
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_lifetimes_come_from_the_stored_changes(sample) -> None:
    db, _ = sample
    data = json.loads(report(db, "--json"))["opportunities"]
    stored = rows(
        db, "select key, kind, at from opportunity_changes where key is not null order by id"
    )
    appeared = {r["key"]: r["at"] for r in stored if r["kind"] == "appeared"}
    vanished = {r["key"]: r["at"] for r in stored if r["kind"] == "vanished"}
    assert {
        life["key"]: (life["appeared_at"], life["vanished_at"]) for life in data["lifetimes"]
    } == {key: (_iso(appeared[key]), _iso(vanished.get(key))) for key in appeared}
    assert data["lifetime_seconds"]["count"] == len(vanished)


def _iso(text: str | None) -> str | None:
    from datetime import datetime

    return None if text is None else datetime.fromisoformat(text).isoformat()


def test_json_is_the_same_bytes_every_time(sample) -> None:
    db, _ = sample
    assert report(db, "--json") == report(db, "--json")


def test_text_report_has_every_section_and_its_charts(sample, tmp_path: Path) -> None:
    db, traded = sample
    out = tmp_path / "report.txt"
    assert report(db, "--out", str(out)) == ""
    text = out.read_text()
    seen, taken = traded["opportunities"]["seen"], traded["opportunities"]["taken"]
    assert f"{seen} seen, {taken} taken" in text
    for heading in (
        "Opportunities",
        "Opportunity lifetime",
        "Fills and slippage",
        "P&L",
        "Exits and seed checks",
        "Cumulative realized P&L",
        "Match confidence",
    ):
        assert heading in text
    assert "█" in text and "\x1b[" not in text  # text charts, no colour codes in a file
    for reason, count in traded["rejections"].items():
        assert any(
            reason in line and line.rstrip().endswith(str(count)) for line in text.splitlines()
        ), reason


def test_markdown_report_is_tables(sample) -> None:
    db, _ = sample
    text = report(db, "--format", "markdown")
    assert text.startswith("# arbkit report: book paper:sample#1")
    assert "| reason | count | share |" in text and "| --- | ---: | ---: |" in text
    assert "## P&L" in text and "```text" in text


def test_html_report_is_one_page_with_every_chart(sample, tmp_path: Path, monkeypatch) -> None:
    db, _ = sample
    monkeypatch.chdir(tmp_path)
    report(db, "--format", "html")  # no --out: arbkit-report.html here
    page = (tmp_path / "arbkit-report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    for chart in ("chart-pnl", "chart-edge", "chart-lifetime", "chart-confidence"):
        assert f'id="{chart}"' in page
    assert "Plotly.newPlot" in page and page.count("<script") >= 6
    again = tmp_path / "again.html"
    report(db, "--format", "html", "--out", str(again))
    assert again.read_text() == page  # fixed chart ids: the same bytes
    assert report(db, "--format", "html", "--out", "-") == page


def test_a_backtest_book_is_reported_like_a_paper_session(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    pm = make_plugin_manager()
    from click.testing import CliRunner

    result = CliRunner().invoke(
        make_cli(pm), ["--db", str(db), "backtest", "--sample", "--json"], obj=AppState(pm=pm)
    )
    assert result.exit_code == 0, result.output
    tested = json.loads(result.stdout)
    books = json.loads(report(db, "--books", "--json"))
    assert [b["commands"] for b in books] == [["backtest"]]
    data = json.loads(report(db, "--book", books[0]["book"], "--json"))
    assert D(data["pnl"]["realized"]) == D(tested["pnl"]["realized"])
    assert data["opportunities"]["refusals_by_reason"] == tested["rejections"]


def test_exits_and_the_early_exit_check(tmp_path: Path) -> None:
    """The jump at 23:00:05 sells DUKE@MICH about 12 s after entry once min_hold is off."""
    config = Path(os.environ["ARBKIT_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[exits.min_hold]\nenabled = false\n")
    db = tmp_path / "arbkit.db"
    traded = json.loads(run_trade(db, "--replay", str(jumped_bids(tmp_path))))
    data = json.loads(report(db, "--json"))["pnl"]
    assert data["checks"]["exits_within_min_hold"] == traded["checks"]["exits_within_min_hold"]
    assert data["checks"]["exits_within_min_hold"] == 1
    reasons: dict[str, int] = {}
    for position in traded["positions"]:
        if position["status"] != "open":
            rule = position["exit_reason"].split(":")[0]  # "convergence: selling now makes …"
            reasons[rule] = reasons.get(rule, 0) + 1
    assert {k: v["positions"] for k, v in data["exits_by_reason"].items()} == reasons
    assert set(reasons) == {"convergence", "settled"}
    full = {p["game"]: p["exit_reason"] for p in traded["positions"] if p["status"] != "open"}
    assert {c["game"]: c["reason"] for c in data["closed"]} == full


def test_slippage_is_each_fill_against_its_plans_quote(tmp_path: Path) -> None:
    """Thin books after the decision make the paper fills walk deeper than the quote."""
    db = tmp_path / "arbkit.db"
    run_trade(db, "--replay", str(thin_books(tmp_path)), "--latency", "1")
    expected = D(0)
    for fill in rows(db, "select f.*, t.plan from fills f join trades t using (trade_id)"):
        quoted = D(json.loads(fill["plan"])["legs"][fill["leg"]]["expected_price"])
        sign = 1 if fill["side"] == "buy" else -1
        expected += sign * (D(fill["price"]) - quoted) * D(fill["size"])
    assert expected > 0, "the thinned books should cost something"
    data = json.loads(report(db, "--json"))["execution"]
    assert D(data["total"]["slippage"]) == expected


def test_a_fill_at_its_book_walk_has_no_slippage_not_a_rounding_residue(tmp_path: Path) -> None:
    """The early exit sells the Michigan token over two levels (20.5 @ 0.49, 25.3 @ 0.48): its
    quote is the walk's average, 22.189 / 45.8, a repeating decimal stored to 28 digits. The
    exit filled exactly that walk, so its slippage is 0, and no figure carries the quote's
    rounding residue (1e-27) as if it were money."""
    config = Path(os.environ["ARBKIT_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[exits.min_hold]\nenabled = false\n")
    db = tmp_path / "arbkit.db"
    run_trade(db, "--replay", str(jumped_bids(tmp_path)))
    execution = json.loads(report(db, "--json"))["execution"]
    sales = [f for f in execution["fills"] if f["kind"] == "exit" and f["venue"] == "polymarket"]
    assert sorted((f["size"], f["price"]) for f in sales) == [("20.5", "0.49"), ("25.3", "0.48")]
    walk = sum(D(f["size"]) * D(f["price"]) for f in sales) / sum(D(f["size"]) for f in sales)
    assert all(D(f["quoted"]) == walk for f in sales)  # the quote is the walk's average
    assert execution["by_kind"]["exit"]["slippage"] == "0"
    assert execution["by_kind"]["exit"]["slippage_per_contract"] == "0"
    assert execution["total"]["slippage"] == "0"
    for fill in execution["fills"]:  # each fill's own figure is kept to 1e-12 dollars
        assert -D(fill["slippage"]).as_tuple().exponent <= 12


def test_a_book_takes_only_its_own_trades_whatever_its_name(tmp_path: Path) -> None:
    """Books are named after their source. ``paper:a_b#1`` must not take ``paper:AXB#1``'s
    fills: as an SQL ``LIKE`` pattern, ``_`` matches any character and case is ignored."""
    db = tmp_path / "arbkit.db"
    for name in ("AXB", "a_b"):
        shutil.copytree(SAMPLE, tmp_path / name)
        traded = json.loads(run_trade(db, "--replay", str(tmp_path / name)))
    book = f"paper:{tmp_path / 'a_b'}#1"  # a replay's book is named after its path
    data = json.loads(report(db, "--json", "--book", book))
    own = [f for f in rows(db, "select * from fills") if f["trade_id"].startswith(book + "/")]
    assert len(own) == 4 and data["execution"]["total"]["fills"] == len(own)
    assert D(data["execution"]["total"]["fees"]) == D(traded["pnl"]["fees"])  # entries only
    assert data["opportunities"]["taken"] == traded["opportunities"]["taken"]


def test_a_book_name_with_brackets_is_printed_as_it_is(tmp_path: Path) -> None:
    """A book is named after its replay folder; rich would read ``[bold]`` in it as markup and
    fail on ``[/b]``. The text report prints the name as it is."""
    replay = tmp_path / "[bold]a[" / "b]"
    shutil.copytree(SAMPLE, replay)
    db = tmp_path / "arbkit.db"
    run_trade(db, "--replay", str(replay))
    out = tmp_path / "report.txt"
    report(db, "--out", str(out))
    title = "".join(out.read_text().split("\n\n")[0].split())  # wrapped at 100 columns
    expected = f"arbkit report: book paper:{replay}#1 (trade on {replay})"
    assert title.startswith("".join(expected.split()))


def test_the_cli_starts_without_the_report_or_plotly() -> None:
    code = (
        "import sys; from arbkit.cli import make_cli; from arbkit.plugins import "
        "make_plugin_manager; make_cli(make_plugin_manager()); "
        "print(sorted(m for m in sys.modules if m.startswith(('plotly', 'arbkit.report'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- bad input: one line -------------------------------------------------------------------------


@pytest.fixture
def invoke(capsys):
    return lambda args: run_main(capsys, args)


def test_missing_database(invoke, tmp_path: Path) -> None:
    result = invoke(["--db", str(tmp_path / "none.db"), "report"])
    one_line_error(result, "no database at")
    assert not (tmp_path / "none.db").exists()


def test_database_without_a_book(invoke, tmp_path: Path) -> None:
    from arbkit.store import open_store

    open_store(tmp_path / "empty.db").close()
    result = invoke(["report", "--db", str(tmp_path / "empty.db")])
    one_line_error(result, "no trading book in this database yet")


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["--date", "2026-02-30"], "'2026-02-30' is not a day such as 2026-11-24", 2),
        (["--date", "yesterday-ish"], "is not a day", 2),
        (["--since", "soon"], "is neither a date/time", 2),
        (["--date", "2026-11-24", "--since", "1h"], "give --date or --since, not both", 2),
        (["--format", "pdf"], "'pdf' is not one of", 2),
        (["--tz", "Mars/Base"], "'Mars/Base' is not a time zone such as America/New_York", 2),
        (["--book", "nope"], "no trading book 'nope' (books: paper:sample#1)", 1),
        (["--date", "2026-11-20"], "nothing to report for book paper:sample#1, 2026-11-20", 1),
        (["--out", "/no/such/dir/r.txt"], "cannot write /no/such/dir/r.txt", 1),
        (["--date", "9999-12-31"], "nothing to report for book paper:sample#1, 9999-12-31", 1),
        (["--since", "99999999d"], "'99999999d' reaches beyond the calendar", 2),
    ],
)
def test_bad_input_is_one_line(invoke, sample, args, message, status) -> None:
    db, _ = sample
    one_line_error(invoke(["--db", str(db), "report", *args]), message, status)


@pytest.mark.parametrize(
    ("damage", "tables"),
    [
        ("update fills set price = 'abc' where rowid = 1", "fills, trades"),
        ("update fills set filled_at = null where rowid = 1", "fills, trades"),
        ("update opportunity_changes set at = 'yesterday' where id = 1", "opportunity_changes"),
        ("update opportunity_changes set net_edge = 'x' where id = 1", "opportunity_changes"),
        ("update game_positions set opened_at = 'zz'", "game_positions"),
    ],
)
def test_a_value_edited_by_hand_is_one_line_naming_its_tables(
    invoke, sample, tmp_path: Path, damage: str, tables: str
) -> None:
    import sqlite3

    db, _ = sample
    copy = tmp_path / "edited.db"
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    source.backup(target)
    with target:
        target.execute(damage)
    source.close()
    target.close()
    one_line_error(invoke(["--db", str(copy), "report", "--json"]), f"a row of {tables}")


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_out_never_overwrites_a_database(invoke, sample, tmp_path: Path, fmt: str) -> None:
    """``--out`` naming the database (a slip of the keyboard) would truncate the book."""
    db, _ = sample
    before = db.read_bytes()
    result = invoke(["--db", str(db), "report", "--format", fmt, "--out", str(db)])
    one_line_error(result, "is a database: write the report to another file")
    assert db.read_bytes() == before
    assert rows(db, "select count(*) as n from fills") == [{"n": 4}]
