"""Benchmark the risk gate + sizing per opportunity (issue 13: p99 under 100 µs).

Plays the shipped sample evening through the scanner (real parsers, fee models, matcher and
strategies, minimum edge 0) and keeps every opportunity the strategies report, with a copy of
its game's books at that moment. Each is then sent through ``RiskGate.evaluate`` (checks,
settlement rules, sizing, plan), as the trader does on every update, and timed one by one. The
gate watches a kill-switch file as ``arbkit trade``'s does (one ``stat`` an evaluation).
``--limits`` picks the configuration:

* ``default``: the default limits, where most are refused early, as in a real run;
* ``sized``: the default money limits and paper bankroll ($1,000 a venue), with the checks that
  refuse before sizing (confidence, entry price, edge, book age, start) opened, so every one is
  sized as a default run would size it: Kelly binds on the thin edges (the slowest path);
* ``loose``: no money limit that binds ($100,000 a venue): sizes run to the books' depth.

    python bench/bench_risk.py [--rounds 20] [--limits sized|loose|default]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from arbkit.engine.build import EngineSettings, build_engine
from arbkit.models import Opportunity
from arbkit.plugins import make_plugin_manager
from arbkit.registry import get_venues
from arbkit.strategy import GameState
from arbkit.trading.killswitch import KillSwitch
from arbkit.trading.model import Mode, RiskLimits
from arbkit.trading.risk import RiskGate
from arbkit.trading.setup import DEFAULT_PAPER_BANKROLL

Sample = tuple[Opportunity, GameState, datetime]


async def collect() -> tuple[list[Sample], dict]:
    """Every opportunity of the sample evening, each with its game's books at that moment."""
    pm = make_plugin_manager()
    engine = build_engine(pm, EngineSettings(sample=True, lookahead_hours=0, min_edge=Decimal(0)))
    scanner = engine.scanner
    await scanner.prepare()
    samples: list[Sample] = []

    def keep(changes) -> None:
        for change in changes:
            shard = scanner.shards.get(change.game_id)
            if change.opportunity is None or shard is None:
                continue  # vanished, or the game stopped at its start cut-off
            state = shard.state
            snapshot = GameState(
                match=state.match,
                contracts=state.contracts,
                markets=dict(state.markets),
                books=dict(state.books),
                suspect=set(state.suspect),
                now=state.now,
            )
            samples.append((change.opportunity, snapshot, engine.clock.now()))

    keep(scanner.evaluate_all())
    async for event in engine.session.events(scanner.markets_by_venue()):
        keep(scanner.apply(event))
    await engine.session.aclose()
    return samples, get_venues(pm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the opportunities")
    parser.add_argument("--limits", choices=["sized", "loose", "default"], default="sized")
    args = parser.parse_args()
    samples, venues = asyncio.run(collect())
    opened = {
        "min_confidence": 0.0,
        "max_entry_price": Decimal("0.99"),
        "min_edge": Decimal(0),
        "max_book_age": None,
        "start_cutoff": timedelta(0),
    }
    bankroll = {name: DEFAULT_PAPER_BANKROLL for name in venues}
    if args.limits == "loose":
        limits = RiskLimits(
            **opened,
            max_per_game=Decimal(10**6),
            max_per_league=Decimal(10**7),
            max_per_venue=Decimal(10**7),
            max_total=Decimal(10**8),
            max_open_positions=10**6,
            void_probability=Decimal(0),
            leg_miss_probability=Decimal(0),
        )
        bankroll = {name: Decimal(100_000) for name in venues}
    elif args.limits == "sized":
        limits = RiskLimits(**opened)
    else:
        limits = RiskLimits()
    wall: list[float] = []
    cpu: list[float] = []
    outcomes: Counter[str] = Counter()
    # One gate for the run, as the trader keeps one: the first round is each opportunity's
    # first sighting (its settlement check is made then and cached on its game, as in a run),
    # the later rounds are its re-evaluations. Nothing is committed, so every round decides
    # the same way.
    opportunity, game, now = samples[0]
    RiskGate(limits, venues=venues, bankroll=bankroll, mode=Mode.PAPER).evaluate(
        opportunity, game, now, trade_id="warm-up"
    )  # the process's first call (lazy imports, caches), not timed
    game.cache.clear()  # its settlement check is made again at its timed first sighting
    home = tempfile.TemporaryDirectory()
    switch = KillSwitch(KillSwitch.default_path(Path(home.name) / "arbkit.db"))
    gate = RiskGate(limits, venues=venues, bankroll=bankroll, mode=Mode.PAPER, kill_switch=switch)
    for round_ in range(args.rounds):
        for index, (opportunity, game, now) in enumerate(samples):
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            decision, _ = gate.evaluate(opportunity, game, now, trade_id=f"t{index}")
            cpu.append((time.thread_time_ns() - start_cpu) / 1000)
            wall.append((time.perf_counter_ns() - start) / 1000)
            if round_ == 0:
                outcomes[decision.reason.value if decision.reason else "accepted"] += 1
    home.cleanup()
    print(f"{len(samples)} opportunities from the sample evening x {args.rounds} rounds")
    print(f"limits: {args.limits}; decisions: {dict(outcomes)}")
    # Wall time includes the scheduler's preemptions on a busy machine; thread CPU time is
    # what the gate itself costs.
    for name, timings in (("wall", wall), ("cpu", cpu)):
        per_opportunity = [
            statistics.median(timings[i :: len(samples)]) for i in range(len(samples))
        ]
        ordered = sorted(timings)
        p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)]
        print(
            f"gate + sizing per opportunity ({name}): p50 {statistics.median(ordered):.1f} µs, "
            f"p99 {p99:.1f} µs, max {ordered[-1]:.1f} µs; slowest opportunity's median "
            f"{max(per_opportunity):.1f} µs"
        )


if __name__ == "__main__":
    main()
