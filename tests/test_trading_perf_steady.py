"""The once-a-second pass skips a position only when asking it again could change nothing.

``PositionBook.steady`` is true after ``quiet`` while the position's fills, books, markets and
last usable books are the same objects and no rule's answer is due to change with time
(``ExitManager.quiet_until``). The equivalence test plays random sequences of new books,
fills and clock jumps through two position books, one passed as ``Trader.tick`` does (skips)
and one marked and asked every time, and requires the same verdicts and marks throughout.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta

import pytest
from test_trading_exits import DOWN, GAME, UP, book
from test_trading_positions import MARKETS, PM, START, T0, K, entered, fill, plan

from arbkit.exits import ExitRule
from arbkit.models import OrderBook, Side
from arbkit.trading.exit_rules import BUILT_INS
from arbkit.trading.exits import NEVER, ExitManager, build_exit_rules
from arbkit.trading.model import PlanKind
from arbkit.trading.positions import PositionBook

ALL_RULES = {
    "take_profit": {"percent": "0.5"},
    "stop_loss": {"percent": "0.5"},
    "pre_start_cutoff": {"minutes": "5"},
}


def manager(config: Mapping = ALL_RULES, extra: tuple[ExitRule, ...] = ()) -> ExitManager:
    classes = {cls.name: cls for cls in BUILT_INS}
    return ExitManager([*build_exit_rules(classes, config), *extra])


def ask(positions: PositionBook, exits: ExitManager, books: dict, now) -> str | None:
    """``Trader._mark_and_exit`` without the executor: mark, ask, remember a quiet answer."""
    position = positions.get(GAME)
    assert position is not None
    positions.mark(position, books.get, MARKETS.get, now)
    held_books, held_markets = positions.marked_with(position)
    reason = exits.evaluate(position, held_books, held_markets, now)
    positions.quiet(position, None if reason else exits.quiet_until(position, now))
    return reason


def test_quiet_until_the_minimum_hold_ends_then_asked_again() -> None:
    positions, exits = entered(), manager({})
    position = positions.get(GAME)
    assert position is not None
    books = dict(UP)  # convergence would sell: only min_hold keeps it
    opened = position.opened_at
    assert ask(positions, exits, books, opened + timedelta(seconds=5)) is None
    assert exits.quiet_until(position, opened) == opened + timedelta(seconds=15)
    assert positions.steady(position, books.get, MARKETS.get, opened + timedelta(seconds=14))
    assert position.marked_at == opened + timedelta(seconds=14)
    assert not positions.steady(position, books.get, MARKETS.get, opened + timedelta(seconds=15))
    assert ask(positions, exits, books, opened + timedelta(seconds=15)).startswith("convergence")


def test_a_new_book_a_fill_or_a_settled_leg_ends_the_quiet() -> None:
    positions, exits = entered(), manager({})
    position = positions.get(GAME)
    assert position is not None
    now = T0 + timedelta(seconds=20)
    books = dict(DOWN)
    assert ask(positions, exits, books, now) is None
    assert exits.quiet_until(position, now) == NEVER  # only timeless and constant rules
    assert positions.steady(position, books.get, MARKETS.get, now + timedelta(seconds=1))
    books[PM] = book(PM, ("0.46", "10"))  # equal to the old one, but another object
    assert not positions.steady(position, books.get, MARKETS.get, now + timedelta(seconds=2))
    assert ask(positions, exits, books, now) is None
    assert positions.steady(position, books.get, MARKETS.get, now + timedelta(seconds=3))
    positions.apply(plan(PlanKind.EXIT), fill(PM, Side.SELL, "0.46", "2", "0", 24, "s1"))
    assert not positions.steady(position, books.get, MARKETS.get, now + timedelta(seconds=4))


def test_pre_start_cutoff_says_when_it_will_sell() -> None:
    positions, exits = entered(), manager({"pre_start_cutoff": {"minutes": "5"}})
    position = positions.get(GAME)
    assert position is not None
    now = T0 + timedelta(minutes=30)
    assert ask(positions, exits, dict(DOWN), now) is None
    assert exits.quiet_until(position, now) == START - timedelta(minutes=5)


class AskedEveryTime(ExitRule):
    """A third-party rule that may depend on the clock and says nothing about when."""

    name = "test-clock-rule"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.asked = 0

    def should_exit(self, position, books, markets, now) -> str | None:
        self.asked += 1
        return None


class ClockHold(ExitRule):
    """A third-party hold without ``next_change``: its answer may change at any moment."""

    name = "test-clock-hold"

    def holds(self, position, now) -> str | None:
        return None


@pytest.mark.parametrize("rule", [AskedEveryTime(), ClockHold()])
def test_a_rule_that_does_not_say_when_it_changes_is_asked_every_pass(rule) -> None:
    positions, exits = entered(), manager({}, (rule,))
    position = positions.get(GAME)
    assert position is not None
    now = T0 + timedelta(seconds=20)
    assert ask(positions, exits, dict(DOWN), now) is None
    assert exits.quiet_until(position, now) is None
    assert not positions.steady(position, DOWN.get, MARKETS.get, now + timedelta(seconds=1))


class FailsOnce(ExitRule):
    """A timeless rule that raises the first time it is asked, then exits."""

    name = "test-fails-once"
    timeless = True

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.asked = 0

    def should_exit(self, position, books, markets, now) -> str | None:
        self.asked += 1
        if self.asked == 1:
            raise RuntimeError("venue lookup failed")
        return "asked again"


def test_an_evaluation_where_a_rule_raised_is_not_quiet(caplog) -> None:
    positions, exits = entered(), manager({}, (rule := FailsOnce(),))
    position = positions.get(GAME)
    assert position is not None
    now = T0 + timedelta(seconds=20)
    books = dict(DOWN)
    assert ask(positions, exits, books, now) is None  # it raised: no exit
    assert "venue lookup failed" in caplog.text
    assert not positions.steady(position, books.get, MARKETS.get, now + timedelta(seconds=1))
    assert (
        ask(positions, exits, books, now + timedelta(seconds=1)) == "test-fails-once: asked again"
    )
    assert rule.asked == 2


def candidate_books(rng: random.Random) -> list[dict[str, OrderBook]]:
    """Books around the entry: some sell at a profit, some at a loss, one leg doubtful."""
    out = []
    for _ in range(6):
        pm = f"{rng.randint(40, 48) / 100:.2f}"
        k = f"{rng.randint(50, 56) / 100:.2f}"
        out.append({PM: book(PM, (pm, "10")), K: book(K, (k, "10"))})
    out.append({PM: book(PM, ("0.47", "10"), continuous=False), K: book(K, ("0.55", "10"))})
    out.append({K: book(K, ("0.55", "10"))})  # no Polymarket book at all
    return out


@pytest.mark.parametrize("seed", range(40))
def test_skipping_quiet_positions_changes_no_verdict_and_no_mark(seed: int) -> None:
    rng = random.Random(seed)
    config = {
        **ALL_RULES,
        "take_profit": {"percent": str(rng.choice([1, 3]))},
        "stop_loss": {"percent": str(rng.choice([2, 5]))},
    }
    skipping, every = (entered(), manager(config)), (entered(), manager(config))
    candidates = candidate_books(rng)
    books = dict(candidates[0])
    now = T0
    sold = skipped = 0
    verdicts = []
    for step in range(60):
        move = rng.random()
        if move < 0.3:
            books = dict(rng.choice(candidates))  # the very objects seen before, or others
        elif move < 0.4:
            contract = rng.choice([PM, K])
            price = f"{rng.randint(40, 60) / 100:.2f}"
            books[contract] = book(contract, (price, "10"))
        elif move < 0.45 and sold < 4:
            sold += 1
            for positions, _ in (skipping, every):
                positions.apply(
                    plan(PlanKind.EXIT),
                    fill(PM, Side.SELL, "0.45", "1", "0", 3600, f"s{sold}"),
                )
        now += timedelta(seconds=rng.choice([0, 1, 1, 2, 7, 60, 300]))
        a_positions, a_exits = skipping
        a = a_positions.get(GAME)
        assert a is not None
        if a_positions.steady(a, books.get, MARKETS.get, now):
            verdict_a, skipped = None, skipped + 1
        else:
            verdict_a = ask(a_positions, a_exits, books, now)
        verdict_b = ask(*every, books, now)
        b = every[0].get(GAME)
        assert b is not None
        assert verdict_a == verdict_b, (step, now - T0)
        assert (a.unrealized_pnl, a.marked_at) == (b.unrealized_pnl, b.marked_at)
        verdicts.append(verdict_b)
    assert skipped, "the sequence never left the position quiet"
