"""``arbkit scan --sample``: the documented opportunities, no decoy, figures that recompute exactly.

The recomputation below reads the sample's *raw* venue files and applies the venues' published
fee formulas itself, so it checks the scanner's parsing, book walking and fee handling from the
outside rather than re-running arbkit's own code.
"""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, Decimal

import pytest
import sqlite_utils
from click.testing import CliRunner

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import sample_dir

D = Decimal
SAMPLE = sample_dir()


def ceil_to(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(ROUND_CEILING) * D(step)


@pytest.fixture(scope="module")
def raw() -> dict:
    """The sample's raw files, indexed the way a reader of the venue docs would."""
    pm_events = json.loads((SAMPLE / "polymarket" / "events.json").read_text())
    pm_books = json.loads((SAMPLE / "polymarket" / "books.json").read_text())
    k_events = json.loads((SAMPLE / "kalshi" / "events.json").read_text())
    k_books = json.loads((SAMPLE / "kalshi" / "orderbooks.json").read_text())
    series_path = SAMPLE / "kalshi" / "series.json"
    series = json.loads(series_path.read_text()) if series_path.exists() else []
    pm_fee = {}
    for event in pm_events:
        for market in event["markets"]:
            schedule = market.get("feeSchedule") or {}
            enabled = market.get("feesEnabled", True)
            for token in json.loads(market["clobTokenIds"]):
                pm_fee[token] = (
                    D(str(schedule.get("rate", 0))) if enabled else D(0),
                    int(schedule.get("exponent", 1)),
                )
    asks = {}
    for book in pm_books:
        asks[book["asset_id"]] = sorted((D(a["price"]), D(a["size"])) for a in book["asks"])
    series_fee = {
        s["ticker"]: (s.get("fee_type"), D(str(s.get("fee_multiplier", 1)))) for s in series
    }
    k_fee = {}
    for event in k_events:
        for market in event["markets"]:
            k_fee[market["ticker"]] = series_fee.get(event["series_ticker"], ("quadratic", D(1)))
    for ticker, body in k_books.items():
        book = body["orderbook_fp"]
        yes_bids = [(D(p), D(s)) for p, s in book.get("yes_dollars") or []]
        no_bids = [(D(p), D(s)) for p, s in book.get("no_dollars") or []]
        asks[f"{ticker}:yes"] = sorted((1 - p, s) for p, s in no_bids)
        asks[f"{ticker}:no"] = sorted((1 - p, s) for p, s in yes_bids)
    return {"asks": asks, "pm_fee": pm_fee, "k_fee": k_fee}


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("db") / "arbkit.db"
    pm = make_plugin_manager()
    result = CliRunner().invoke(
        make_cli(pm), ["--db", str(db), "scan", "--sample", "--json"], obj=AppState(pm=pm)
    )
    assert result.exit_code == 0, result.output
    return {"payload": json.loads(result.stdout), "db": db}


def walk(asks, size):
    """Fills buying ``size`` through ``asks`` best first."""
    fills, left = [], size
    for price, available in asks:
        take = min(left, available)
        if take > 0:
            fills.append((price, take))
            left -= take
    assert left == 0, "the leg's size is not available in the recorded book"
    return fills


def test_every_figure_recomputes_from_the_raw_books_and_fee_schedules(scan, raw):
    opportunities = scan["payload"]["opportunities"]
    assert opportunities
    for opp in opportunities:
        size = D(opp["size"])
        total_cost = D(0)
        for leg in opp["legs"]:
            fills = walk(raw["asks"][leg["contract"]], D(leg["size"]))
            notional = sum(p * n for p, n in fills)
            assert D(leg["notional"]) == notional
            if leg["venue"] == "polymarket":
                rate, exponent = raw["pm_fee"][leg["contract"]]
                fees = [ceil_to(n * rate * (p * (1 - p)) ** exponent, "0.00001") for p, n in fills]
                # CLOB V2: the buy fee is paid in pUSD on top; every share bought is held.
                assert D(leg["fee"]) == sum(fees)
            else:
                ticker = leg["contract"].rsplit(":", 1)[0]
                fee_type, multiplier = raw["k_fee"][ticker]
                # Each fill rounds up to $0.0001, then the order's total up to the cent.
                per_fill = [
                    ceil_to(D("0.07") * multiplier * n * p * (1 - p), "0.0001") for p, n in fills
                ]
                assert D(leg["fee"]) == ceil_to(sum(per_fill), "0.01")
            assert D(leg["size"]) == size
            assert "fee_in_shares" not in leg and "delivered" not in leg
            total_cost += notional + D(leg["fee"])
        assert D(opp["cost"]) == total_cost
        assert D(opp["payout"]) == size
        assert D(opp["expected_profit"]) == size - total_cost > 0
        assert D(opp["net_edge"]) == ((size - total_cost) / size).quantize(D("0.000001"))


def test_finds_exactly_the_documented_opportunities_and_no_decoy(scan):
    expected = json.loads((SAMPLE / "EXPECTED.json").read_text())
    static = {
        (e["polymarket_outcome"], e["kalshi_ticker"], e["kalshi_side"])
        for e in expected["opportunities"]
        if e["kind"] == "static"
    }
    found = set()
    for opp in scan["payload"]["opportunities"]:
        if opp["strategy"] != "cross_venue":
            continue
        pm_leg = next(leg for leg in opp["legs"] if leg["venue"] == "polymarket")
        k_leg = next(leg for leg in opp["legs"] if leg["venue"] == "kalshi")
        ticker, side = k_leg["contract"].rsplit(":", 1)
        found.add((pm_leg["outcome"], ticker, side))
    assert found == static


def test_every_opportunity_is_stored(scan):
    db = sqlite_utils.Database(scan["db"])
    stored = {row["key"] for row in db["opportunities"].rows}
    assert len(stored) == len(scan["payload"]["opportunities"]) > 0


def test_the_sample_runs_on_its_recorded_clock(scan):
    manifest = json.loads((SAMPLE / "manifest.json").read_text())
    assert scan["payload"]["as_of"].replace("+00:00", "Z") == manifest["captured_at"]


@pytest.fixture(scope="module")
def watch(tmp_path_factory) -> list[dict]:
    db = tmp_path_factory.mktemp("db") / "watch.db"
    pm = make_plugin_manager()
    result = CliRunner().invoke(
        make_cli(pm),
        ["--db", str(db), "scan", "--sample", "--watch", "--json"],
        obj=AppState(pm=pm),
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_watch_shows_stream_opportunities_appear_and_vanish_on_the_recorded_clock(watch):
    expected = json.loads((SAMPLE / "EXPECTED.json").read_text())
    for entry in (e for e in expected["opportunities"] if e["kind"] == "stream"):
        pairs = [
            change
            for change in watch
            if change["opportunity"]
            and any(
                leg["contract"].startswith(entry["kalshi_ticker"] + ":")
                for leg in change["opportunity"]["legs"]
            )
        ]
        kinds = [change["change"] for change in pairs]
        assert kinds[0] == "appeared" and kinds[-1] == "vanished", kinds
        assert _ms(pairs[0]["at"]) == entry["from_ts"]
        assert _ms(pairs[-1]["at"]) == entry["until_ts"]


def test_watch_reports_nothing_for_a_game_while_its_stream_lost_continuity(watch):
    game = "NBA:2026-11-24:SAC@GSW"
    changes = [c for c in watch if c["game"] == game]
    kinds = [c["change"] for c in changes]
    assert "suspended" in kinds and "restored" in kinds
    start, end = kinds.index("suspended"), kinds.index("restored")
    assert not [k for k in kinds[start:end] if k in ("appeared", "changed")]
    # The stale book during the gap showed an edge; after the fresh snapshot there is none.
    assert not [k for k in kinds if k in ("appeared", "changed")]


def test_watch_never_reports_a_decoy(watch):
    expected = json.loads((SAMPLE / "EXPECTED.json").read_text())
    decoy_pairs = {
        (d["polymarket_slug"], d["kalshi_ticker"]) for d in expected["decoys"] if d["kalshi_ticker"]
    }
    for change in watch:
        opportunity = change["opportunity"]
        if not opportunity or opportunity["strategy"] != "cross_venue":
            continue
        markets = {leg["market"] for leg in opportunity["legs"]}
        assert not any({slug, ticker} <= markets for slug, ticker in decoy_pairs)
