"""QA: a replay told its markets again mid-stream (Engine.rematch → ReplaySession.resubscribe)
repeats no update: the same games twice, a game dropped then confirmed again, and a market the
recording never had."""

from __future__ import annotations

from collections import Counter
from typing import Any

from attrs import evolve
from test_engine_rematch import KalshiUpdates, Without, _sample, played_through

from arbkit.engine import Engine, RunEnd, RunStatus


async def _run(engine: Engine) -> None:
    await engine.start()
    async for _change in engine.watch():
        pass
    await engine.close(RunEnd(RunStatus.COMPLETED))


async def test_rematching_the_same_games_twice_repeats_no_update() -> None:
    plain, _owner, _ = await played_through()
    halfway = plain.every[len(plain.every) // 2][0]
    done: list[Any] = []

    def twice(engine: Engine, at: Any) -> None:
        if not done and at >= halfway:
            done.extend([engine.rematch(), engine.rematch()])

    late = KalshiUpdates(on_event=twice)
    await _run(_sample([late]))
    assert len(done) == 2 and not done[0].added and not done[1].added
    assert late.every == plain.every


async def test_a_game_dropped_then_confirmed_again_gets_each_update_once() -> None:
    plain, owner, _ = await played_through()
    busy, _ = Counter(owner[b.contract_id] for _, b in plain.updates).most_common(1)[0]
    theirs = [at for at, b in plain.updates if owner[b.contract_id] == busy]
    first, second = theirs[len(theirs) // 3], theirs[2 * len(theirs) // 3]
    steps: list[Any] = []

    def drop_then_add(engine: Engine, at: Any) -> None:
        if not steps and at >= first:
            real = engine.matcher
            steps.append((engine.rematch(Without(real, {busy})), at, real))
        elif len(steps) == 1 and at >= second:
            steps.append((engine.rematch(steps[0][2]), at, None))

    late = KalshiUpdates(on_event=drop_then_add)
    engine = _sample([late])
    await engine.start()
    async for _change in engine.watch():
        if len(steps) == 2 and busy not in engine.shards:
            await engine.start_games(steps[1][0].added)
    await engine.close(RunEnd(RunStatus.COMPLETED))

    [(_, dropped_at, _), (added, added_at, _)] = steps
    assert added.added == {busy}
    mine = [(at, b) for at, b in late.every if owner.get(b.contract_id) == busy]
    expected = [
        (at, b)
        for at, b in plain.every
        if owner[b.contract_id] == busy and (at < dropped_at or at > added_at)
    ]
    assert [u for u in mine if u[0] != dropped_at and u[0] != added_at] == [
        u for u in expected if u[0] != dropped_at and u[0] != added_at
    ]
    assert len(mine) == len(set(map(id, (b for _, b in mine))))  # no update handed twice
    others = [(at, b) for at, b in plain.every if owner[b.contract_id] != busy]
    assert [(at, b) for at, b in late.every if owner.get(b.contract_id) != busy] == others


async def test_a_market_the_recording_never_had_is_followed_without_harm() -> None:
    plain, _owner, _ = await played_through()
    halfway = plain.every[len(plain.every) // 2][0]
    told: list[bool] = []

    def unknown(engine: Engine, at: Any) -> None:
        if not told and at >= halfway:
            markets = engine.scanner.markets_by_venue()
            venue, group = next((v, g) for v, g in markets.items() if g)
            ghost = evolve(
                group[0],
                market_id="ghost-market",
                contracts=tuple(
                    evolve(c, contract_id="ghost-" + c.contract_id) for c in group[0].contracts
                ),
            )
            told.append(engine.session.resubscribe({**markets, venue: [*group, ghost]}))

    late = KalshiUpdates(on_event=unknown)
    await _run(_sample([late]))
    assert told == [True]
    assert late.every == plain.every


async def test_a_game_confirmed_mid_replay_repeats_no_other_games_update() -> None:
    """The new game's decoder is seeded with its own books only: seeded with every recorded
    book, Polymarket's decoder passed on every other token's changes a second time."""
    plain, owner, _ = await played_through()
    busy, _ = Counter(owner[b.contract_id] for _, b in plain.every).most_common(1)[0]
    halfway = plain.every[len(plain.every) // 2][0]
    done: list[Any] = []

    def add_it(engine: Engine, at: Any) -> None:
        if not done and at >= halfway:
            done.append(engine.rematch(real))

    late = KalshiUpdates(on_event=add_it)
    engine = _sample([late])
    real = engine.matcher
    engine.scanner.matcher = Without(real, {busy})
    await _run(engine)
    assert done[0].added == {busy}
    others = [(at, b) for at, b in plain.every if owner[b.contract_id] != busy]
    assert [(at, b) for at, b in late.every if owner[b.contract_id] != busy] == others
