"""``arbkit scan`` in live mode, no account: both fake venues on loopback serve the sample slate.

The same games, books and fees as ``--sample``, but discovered over HTTP (Gamma keyset pages,
Kalshi cursor pages and series), books fetched over REST, through the venues' live clients. The
scan must find exactly what the replay finds; the wall clock is pinned to the sample's capture
time because the slate is in the past.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sample_fakes import CAPTURED, SAMPLE, live_venues, serving_the_sample, urls_config

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.clock import ReplayClock
from arbkit.plugins import make_plugin_manager


@pytest.fixture
def venues(rsa_key):
    with serving_the_sample(rsa_key) as pair:
        yield pair


def test_live_scan_without_an_account_finds_what_the_replay_finds(venues, tmp_path, monkeypatch):
    polymarket, kalshi = venues
    config = tmp_path / "config.toml"
    config.write_text(urls_config(polymarket, kalshi))
    monkeypatch.setattr("arbkit.engine.session.WallClock", lambda: ReplayClock(CAPTURED))
    pm = make_plugin_manager()

    def scan(*args: str) -> dict:
        result = CliRunner().invoke(
            make_cli(pm),
            ["--config", str(config), "--db", str(tmp_path / "db.sqlite"), "scan", "--json", *args],
            obj=AppState(pm=pm),
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    live = scan("--venues", "polymarket,kalshi")
    replay = scan("--sample")

    def legs(payload: dict) -> list:
        return sorted(
            (
                o["strategy"],
                tuple(sorted(leg["contract"] for leg in o["legs"])),
                o["expected_profit"],
            )
            for o in payload["opportunities"]
        )

    assert live["games_matched"] == replay["games_matched"] > 0
    assert legs(live) == legs(replay) != []
    # discovery really went over HTTP: pages were walked on both venues
    assert any(r.path == "/events/keyset" for r in polymarket.requests)
    assert sum(r.path.endswith("/events") for r in kalshi.requests) > 1


async def test_live_watch_streams_polymarket_and_polls_kalshi(venues):
    """Polymarket books arrive over its websocket; Kalshi (no API key) is polled over REST."""
    import asyncio
    from datetime import timedelta

    from arbkit.engine import Engine, LiveSession
    from arbkit.matching import MatchingService
    from arbkit.scan.orchestrator import ScanOptions
    from arbkit.scan.shard import ChangeKind
    from arbkit.scan.strategies import CrossVenue

    polymarket, kalshi = venues
    pm, ks = live_venues(polymarket, kalshi)
    session = LiveSession(
        [pm, ks], poll_interval=0.2, clock=ReplayClock(CAPTURED - timedelta(minutes=30))
    )
    engine = Engine(
        session=session,
        matcher=MatchingService.from_plugins(make_plugin_manager()),
        strategies=[CrossVenue()],
        options=ScanOptions(lookahead=None),
    )
    await engine.start()
    expected = json.loads(SAMPLE.joinpath("EXPECTED.json").read_text())
    stream_opp = next(e for e in expected["opportunities"] if e["kind"] == "stream")
    target = stream_opp["kalshi_ticker"].split("-")[1]  # e.g. 26NOV24BOSNYK
    recorded = [
        json.loads(line)
        for line in SAMPLE.joinpath("polymarket", "stream.jsonl").read_text().splitlines()
    ]
    upto = [row["msg"] for row in recorded if row["ts"] <= stream_opp["from_ts"]]
    static = next(e for e in expected["opportunities"] if e["kind"] == "static")

    async def drive() -> None:
        await asyncio.sleep(0.5)  # let the feed subscribe and receive its snapshots
        for message in upto:  # the recorded repricing, now sent live over the websocket
            polymarket.broadcast(message)
        await asyncio.sleep(0.5)
        kalshi.set_book(static["kalshi_ticker"], [], [])  # the Kalshi side of a static edge is gone

    seen: list[tuple[ChangeKind, str]] = []
    driver = asyncio.create_task(drive())
    try:
        async with asyncio.timeout(20):
            async for change in engine.watch():
                seen.append((change.kind, change.game_id))
                appeared = any(k is ChangeKind.APPEARED and target[7:10] in g for k, g in seen)
                vanished = any(k is ChangeKind.VANISHED for k, _ in seen)
                if appeared and vanished:
                    break
    finally:
        driver.cancel()
        await session.aclose()
    assert any(k is ChangeKind.APPEARED and target[7:10] in g for k, g in seen), seen
    assert any(k is ChangeKind.VANISHED for k, _ in seen), seen
    assert any(s.get("assets_ids") for s in polymarket.subscriptions)  # it really streamed
