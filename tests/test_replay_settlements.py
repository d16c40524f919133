"""Recorded settlements in a replay: when they play, on which clock, and what the sample holds.

``polymarket/resolved.json`` and ``kalshi/settled.json`` become ``MarketSettled`` events on the
replay's merged timeline at each settlement's own time (docs/replay-format.md).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from arbkit.engine.session import open_replay
from arbkit.models import Settlement
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import sample_dir
from arbkit.streaming import MarketSettled

SAMPLE = sample_dir()
#: The first line of the sample's kalshi/stream.jsonl is an orderbook_snapshot at this time.
FIRST_KALSHI_MS = 1795561200200


def copy_sample(tmp_path: Path) -> Path:
    directory = tmp_path / "replay"
    shutil.copytree(SAMPLE, directory)
    return directory


def sample_json(relative: str) -> Any:
    return json.loads((SAMPLE / relative).read_text())


def write(directory: Path, relative: str, data: Any) -> None:
    (directory / relative).write_text(json.dumps(data))


async def play(directory: Path, *, with_settlements: bool = True) -> list[tuple[Any, datetime]]:
    """Every event of the replay with the replay clock's time when it was yielded."""
    session = open_replay(make_plugin_manager(), directory)
    session.play_settlements = with_settlements  # type: ignore[attr-defined]
    markets: Mapping[str, Sequence[Any]] = {v.name: v.recording.markets for v in session.venues}
    played = []
    async for event in session.events(markets):
        played.append((event, session.clock.now()))
    await session.aclose()
    return played


def settlements(played: list[tuple[Any, datetime]]) -> list[tuple[Settlement, datetime]]:
    return [(e.settlement, now) for e, now in played if isinstance(e, MarketSettled)]


def at_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def at_ms(ms: int) -> str:
    return at_datetime(ms).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- the timeline


async def test_the_sample_plays_every_settlement_in_time_order_on_the_recorded_clock() -> None:
    played = await play(SAMPLE)
    settled = settlements(played)
    resolved, kalshi = sample_json("polymarket/resolved.json"), sample_json("kalshi/settled.json")
    assert len(settled) == len(resolved) + len(kalshi)
    times = [s.settled_at for s, _ in settled]
    assert all(t is not None for t in times)
    assert times == sorted(times)  # type: ignore[type-var]
    assert all(now == s.settled_at for s, now in settled)  # the clock moved to each one
    last_stream = max(
        json.loads(line)["ts"]
        for path in SAMPLE.glob("*/stream.jsonl")
        for line in path.read_text().splitlines()
    )
    first_settlement = next(i for i, (e, _) in enumerate(played) if isinstance(e, MarketSettled))
    assert first_settlement > 0
    assert played[first_settlement - 1][1].timestamp() * 1000 <= last_stream


async def test_a_settlement_plays_after_stream_messages_of_the_same_millisecond(
    tmp_path: Path,
) -> None:
    directory = copy_sample(tmp_path)
    market = sample_json("kalshi/settled.json")[0]
    market["settlement_ts"] = at_ms(FIRST_KALSHI_MS)
    write(directory, "kalshi/settled.json", [market])
    write(directory, "polymarket/resolved.json", [])
    played = await play(directory)
    index = next(i for i, (e, _) in enumerate(played) if isinstance(e, MarketSettled))
    at_that_ms = [i for i, (_, now) in enumerate(played) if now == at_datetime(FIRST_KALSHI_MS)]
    assert len(at_that_ms) > 1  # the snapshot's book updates, and the settlement
    assert index == at_that_ms[-1]


async def test_settlements_play_for_venues_without_a_stream(tmp_path: Path) -> None:
    directory = copy_sample(tmp_path)
    for venue in ("polymarket", "kalshi"):
        (directory / venue / "stream.jsonl").unlink()
    played = await play(directory)
    assert played and all(isinstance(e, MarketSettled) for e, _ in played)
    venues = {s.venue for s, _ in settlements(played)}
    assert venues == {"polymarket", "kalshi"}
    times = [now for _, now in played]
    assert times == sorted(times)


async def test_a_settlement_without_a_time_plays_last_and_leaves_the_clock(
    tmp_path: Path,
) -> None:
    directory = copy_sample(tmp_path)
    resolved = sample_json("polymarket/resolved.json")[:2]
    for key in ("closedTime", "umaEndDate"):
        del resolved[0][key]
    write(directory, "polymarket/resolved.json", resolved)
    write(directory, "kalshi/settled.json", [])
    played = await play(directory)
    *_, (before, before_now), (last, last_now) = played
    assert isinstance(last, MarketSettled) and last.settlement.settled_at is None
    assert last.settlement.market_id == resolved[0]["slug"]
    assert isinstance(before, MarketSettled) and before.settlement.settled_at == before_now
    assert last_now == before_now


# --------------------------------------------------------------------------- the sample


def expected_games() -> list[dict[str, Any]]:
    return sample_json("EXPECTED.json")["games"]


async def test_the_sample_settles_every_recorded_market_and_token() -> None:
    session = open_replay(make_plugin_manager(), SAMPLE)
    for venue in session.venues:
        paid = {s.market_id: s for s in venue.recording.settlements}
        assert set(paid) == {m.market_id for m in venue.recording.markets}, venue.name
        for market in venue.recording.markets:
            payouts = paid[market.market_id].payouts
            assert set(payouts) == {c.contract_id for c in market.contracts}
            assert sum(payouts.values()) == 1 and set(payouts.values()) <= {Decimal(0), Decimal(1)}
            assert not paid[market.market_id].void
    await session.aclose()


async def test_both_venues_agree_on_who_won_each_game() -> None:
    session = open_replay(make_plugin_manager(), SAMPLE)
    by_venue = {v.name: v.recording for v in session.venues}
    pm_paid = {s.market_id: s.payouts for s in by_venue["polymarket"].settlements}
    k_paid = {s.market_id: s.payouts for s in by_venue["kalshi"].settlements}
    pm_markets = {m.market_id: m for m in by_venue["polymarket"].markets}
    captured = datetime(2026, 11, 24, 23, tzinfo=UTC)
    both = 0
    for game in expected_games():
        winners: dict[str, set[str]] = {}
        if game["polymarket_slug"]:
            market = pm_markets[game["polymarket_slug"]]
            won = [c.outcome for c in market.contracts if pm_paid[market.market_id][c.contract_id]]
            sides = {side for side, label in game["polymarket_outcomes"].items() if label in won}
            winners["polymarket"] = sides
        if game["kalshi_event"]:
            sides = {
                side
                for side, ticker in game["kalshi_markets"].items()
                if k_paid[ticker][f"{ticker}:yes"] == 1
            }
            winners["kalshi"] = sides
        assert all(len(sides) == 1 for sides in winners.values()), game["key"]
        if len(winners) == 2:
            both += 1
            assert winners["polymarket"] == winners["kalshi"], game["key"]
    assert both == sum(1 for g in expected_games() if g["polymarket_slug"] and g["kalshi_event"])
    for recording in by_venue.values():
        for settlement in recording.settlements:
            assert settlement.settled_at is not None and settlement.settled_at > captured
    await session.aclose()


async def test_a_scan_replay_ends_with_its_stream_without_the_settlements(tmp_path: Path) -> None:
    played = await play(SAMPLE, with_settlements=False)
    assert played and not settlements(played)
    last_stream_ms = max(
        json.loads(line)["ts"]
        for name in ("polymarket", "kalshi")
        for line in (SAMPLE / name / "stream.jsonl").read_text().splitlines()
        if line.strip()
    )
    assert max(now for _, now in played) <= at_datetime(last_stream_ms)
