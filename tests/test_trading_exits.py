"""Exit rules on whole two-leg positions: each built-in, the min_hold veto, the precedence,
the exit plan, config, and a third-party rule registered through ``register_exits``.

The position (from tests/test_trading_positions.py): 10 Polymarket USC at 0.408 on average
(cost 4.08, fees 0.12072) and 10 Kalshi "Wisconsin wins" NO at 0.55 (cost 5.50, fee 0.18),
opened at T0 + 1 s: 9.88072 paid in all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from test_trading_positions import MARKETS, PM, START, T0, K, entered

import arbkit
from arbkit.errors import ConfigError
from arbkit.exits import ExitRule
from arbkit.models import Market, OrderBook, Side
from arbkit.registry import get_exits
from arbkit.trading.exits import ExitManager, build_exit_rules, exit_plan
from arbkit.trading.model import GamePosition, Mode, PlanKind

GAME = "NCAAF:2026-11-24:USC@WIS"
AFTER_HOLD = T0 + timedelta(seconds=16)  # 15 s after the first fill


def position() -> GamePosition:
    found = entered().get(GAME)
    assert found is not None
    return found


def book(contract: str, *levels: tuple[str, str], continuous: bool = True) -> OrderBook:
    return OrderBook(
        venue=MARKETS[contract].venue,
        contract_id=contract,
        bids=tuple((D(p), D(s)) for p, s in levels),
        continuous=continuous,
    )


#: sell now: 4.70 − 10 × 0.05 × 0.47 × 0.53 (0.12455) + 5.50 − ceil¢(0.17325) (0.18)
#: = 9.89545 against 9.88072 paid: +0.01473
UP = {PM: book(PM, ("0.47", "10")), K: book(K, ("0.55", "10"))}
#: 4.60 − 0.1242 + 5.32 = 9.7958: −0.08492
DOWN = {PM: book(PM, ("0.46", "10")), K: book(K, ("0.55", "10"))}


def rules(config: Mapping[str, Any], pm: Any) -> ExitManager:
    return ExitManager(build_exit_rules(get_exits(pm), config))


def test_convergence_sells_once_the_legs_bring_more_than_they_cost(pm) -> None:
    manager = rules({}, pm)
    assert manager.evaluate(position(), UP, MARKETS, AFTER_HOLD) == (
        "convergence: selling now makes 0.01473 after fees"
    )
    assert manager.evaluate(position(), DOWN, MARKETS, AFTER_HOLD) is None
    strict = rules({"convergence": {"min_profit": "0.02"}}, pm)
    assert strict.evaluate(position(), UP, MARKETS, AFTER_HOLD) is None


def test_min_hold_vetoes_every_exit_in_the_first_15_seconds(pm) -> None:
    manager = rules({"pre_start_cutoff": {"minutes": 120}}, pm)  # would exit at once
    assert manager.evaluate(position(), UP, MARKETS, T0 + timedelta(seconds=15)) is None
    assert manager.evaluate(position(), UP, MARKETS, AFTER_HOLD) is not None
    longer = rules({"convergence": {}, "min_hold": {"seconds": 60}}, pm)
    assert longer.evaluate(position(), UP, MARKETS, AFTER_HOLD) is None
    assert longer.evaluate(position(), UP, MARKETS, T0 + timedelta(seconds=61)) is not None


def test_no_price_rule_judges_a_doubtful_or_thin_book(pm) -> None:
    manager = rules({"take_profit": {"dollars": "0"}}, pm)
    doubtful = {**UP, PM: book(PM, ("0.47", "10"), continuous=False)}
    thin = {**UP, PM: book(PM, ("0.47", "9"))}
    for books in (doubtful, thin, {K: UP[K]}):
        assert manager.evaluate(position(), books, MARKETS, AFTER_HOLD) is None
    assert manager.evaluate(position(), UP, {PM: MARKETS[PM]}, AFTER_HOLD) is None  # no fees


def test_take_profit_in_dollars_or_percent_of_cost(pm) -> None:
    no_convergence = {"convergence": {"enabled": False}}
    hit = rules({**no_convergence, "take_profit": {"dollars": "0.01"}}, pm)
    assert hit.evaluate(position(), UP, MARKETS, AFTER_HOLD) == (
        "take_profit: profit 0.01473 reached 0.01"
    )
    # 0.1 % of 9.58 is 0.00958, 1 % is 0.0958
    assert rules({**no_convergence, "take_profit": {"percent": "0.1"}}, pm).evaluate(
        position(), UP, MARKETS, AFTER_HOLD
    ) == ("take_profit: profit 0.01473 reached 0.00958")
    miss = rules({**no_convergence, "take_profit": {"percent": 1}}, pm)
    assert miss.evaluate(position(), UP, MARKETS, AFTER_HOLD) is None


def test_stop_loss(pm) -> None:
    assert rules({"stop_loss": {"dollars": "0.05"}}, pm).evaluate(
        position(), DOWN, MARKETS, AFTER_HOLD
    ) == ("stop_loss: loss 0.08492 reached 0.05")
    assert (
        rules({"stop_loss": {"dollars": "0.1"}}, pm).evaluate(position(), DOWN, MARKETS, AFTER_HOLD)
        is None
    )


def test_pre_start_cutoff(pm) -> None:
    manager = rules({"pre_start_cutoff": {"minutes": 5}}, pm)
    early, late = START - timedelta(minutes=6), START - timedelta(minutes=4)
    assert manager.evaluate(position(), DOWN, MARKETS, early) is None
    assert manager.evaluate(position(), DOWN, MARKETS, late) == (
        "pre_start_cutoff: the game starts at 2026-11-25T01:00:00+00:00"
    )
    unknown = position()
    unknown.start_time = None
    assert manager.evaluate(unknown, DOWN, MARKETS, late) is None


def test_hold_to_settlement_never_exits_and_exclusive_vetoes_the_rest(pm) -> None:
    classes = get_exits(pm)
    alone = ExitManager([classes["hold_to_settlement"]()])
    assert alone.evaluate(position(), UP, MARKETS, START) is None
    exclusive = rules({"hold_to_settlement": {"exclusive": True}}, pm)
    assert exclusive.evaluate(position(), UP, MARKETS, AFTER_HOLD) is None


def test_a_closed_or_empty_position_is_never_evaluated(pm) -> None:
    manager = rules({"pre_start_cutoff": {"minutes": 600}}, pm)
    held = position()
    for leg in held.legs.values():
        leg.size = D(0)
    assert manager.evaluate(held, UP, MARKETS, AFTER_HOLD) is None


def test_the_default_rules_and_config(pm) -> None:
    classes = get_exits(pm)
    assert [r.name for r in build_exit_rules(classes, {})] == [
        "min_hold",
        "convergence",
        "hold_to_settlement",
    ]
    built = build_exit_rules(
        classes, {"take_profit": {"dollars": 1}, "convergence": {"enabled": False}}
    )
    assert [r.name for r in built] == ["min_hold", "take_profit", "hold_to_settlement"]
    (hold,) = build_exit_rules(classes, {"min_hold": {"seconds": 30}})[:1]
    assert hold.holds(position(), T0 + timedelta(seconds=30)) is not None
    assert hold.holds(position(), T0 + timedelta(seconds=31)) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"take_proft": {"dollars": 1}}, r"unknown exit rule \(did you mean 'take_profit'\?\)"),
        ({"take_profit": {}}, r"\[exits.take_profit\] needs dollars or percent"),
        ({"stop_loss": {"dollars": "-1"}}, r"\[exits.stop_loss\] dollars must be a number"),
        ({"convergence": {"min_profit": "lots"}}, r"\[exits.convergence\] min_profit"),
        ({"min_hold": {"seconds": True}}, r"\[exits.min_hold\] seconds"),
        ({"min_hold": 15}, r"\[exits.min_hold\] must be a table"),
        ({"min_hold": {"enabled": "no"}}, r"enabled must be true or false"),
        ({"hold_to_settlement": {"exclusive": 1}}, r"exclusive must be true or false"),
    ],
)
def test_a_bad_exit_config_is_one_config_error(pm, config, message) -> None:
    with pytest.raises(ConfigError, match=message):
        build_exit_rules(get_exits(pm), config)


def test_the_exit_plan_sells_every_held_leg_to_the_worst_bid_that_fills_it() -> None:
    books = {PM: book(PM, ("0.47", "6"), ("0.46", "10")), K: book(K, ("0.55", "10"))}
    plan = exit_plan(
        position(),
        books.get,
        MARKETS.get,
        trade_id="x1",
        mode=Mode.PAPER,
        now=AFTER_HOLD,
        reason="convergence: x",
    )
    assert plan is not None
    assert (plan.kind, plan.game_id, plan.reason, plan.size) == (
        PlanKind.EXIT,
        GAME,
        "convergence: x",
        D(10),
    )
    pm_leg, k_leg = plan.legs
    assert (pm_leg.side, pm_leg.size, pm_leg.limit_price) == (Side.SELL, D(10), D("0.46"))
    assert pm_leg.expected_price == D("0.466")  # (6 × 0.47 + 4 × 0.46) / 10
    assert pm_leg.expected_fee == D("0.07473") + D("0.04968")  # per level, 5 decimals
    assert (k_leg.contract_id, k_leg.limit_price, k_leg.expected_fee) == (K, D("0.55"), D("0.18"))
    assert plan.expected_profit == D("4.66") - D("0.12441") + D("5.50") - D("0.18") - D("9.58")


def test_no_exit_plan_on_a_book_it_cannot_trust() -> None:
    def plan_with(books: dict[str, OrderBook], markets: dict[str, Market] = MARKETS) -> Any:
        return exit_plan(
            position(),
            books.get,
            markets.get,
            trade_id="x",
            mode=Mode.PAPER,
            now=AFTER_HOLD,
            reason="r",
        )

    assert plan_with({PM: UP[PM], K: book(K)}) is None  # no bids
    assert plan_with({PM: UP[PM]}) is None  # no book
    assert plan_with({**UP, K: book(K, ("0.6", "10"), continuous=False)}) is None
    assert plan_with(UP, {PM: MARKETS[PM]}) is None  # no market, so no fee model
    thin = plan_with({**UP, K: book(K, ("0.6", "4"))})
    assert thin is not None and thin.legs[1].size == D(10)  # what is not absorbed stays held
    assert thin.legs[1].limit_price == D("0.6")


class PairBidSum(arbkit.ExitRule):
    """A third party's rule that needs both legs: sell when the best bids sum to ``target``."""

    name = "test-pair-bid-sum"

    def should_exit(
        self,
        position: GamePosition,
        books: Mapping[str, OrderBook],
        markets: Mapping[str, Market],
        now: datetime,
    ) -> str | None:
        bids = [books[cid].best_bid for cid in position.legs if cid in books]
        if len(bids) < 2 or any(bid is None for bid in bids):
            return None
        total = sum(bid[0] for bid in bids if bid is not None)
        target = D(str(self.options.get("target", "1")))
        return f"best bids sum to {total}" if total >= target else None


class Broken(arbkit.ExitRule):
    name = "test-broken"

    def holds(self, position: GamePosition, now: datetime) -> str | None:
        if self.options.get("in_holds"):
            raise RuntimeError("boom in holds")
        return None

    def should_exit(self, *args: Any) -> str | None:
        raise RuntimeError("boom")


class ThirdParty:
    @arbkit.hookimpl
    def register_exits(self, register: Callable[[type[arbkit.ExitRule]], None]) -> None:
        register(Broken)
        register(PairBidSum)


def test_a_third_party_rule_registered_through_the_hook_sees_both_legs(pm) -> None:
    pm.register(ThirdParty(), name="third-party")
    classes = get_exits(pm)
    assert list(classes)[-2:] == ["test-broken", "test-pair-bid-sum"]
    config = {"convergence": {"enabled": False}, "test-pair-bid-sum": {"target": "1.02"}}
    manager = ExitManager(build_exit_rules(classes, config))
    assert manager.evaluate(position(), UP, MARKETS, AFTER_HOLD) == (
        "test-pair-bid-sum: best bids sum to 1.02"
    )
    assert manager.evaluate(position(), DOWN, MARKETS, AFTER_HOLD) is None
    assert manager.evaluate(position(), UP, MARKETS, T0 + timedelta(seconds=2)) is None  # held


def test_a_rule_that_raises_keeps_the_position(pm, caplog) -> None:
    pm.register(ThirdParty(), name="third-party")
    classes = get_exits(pm)
    with caplog.at_level(logging.ERROR, logger="arbkit.trading.exits"):
        config = {"convergence": {"enabled": False}, "test-broken": {}, "test-pair-bid-sum": {}}
        manager = ExitManager(build_exit_rules(classes, config))
        assert manager.evaluate(position(), UP, MARKETS, AFTER_HOLD) == (
            "test-pair-bid-sum: best bids sum to 1.02"
        )  # the broken rule (asked first) is skipped, the next one still decides
        holding = ExitManager(build_exit_rules(classes, {"test-broken": {"in_holds": True}}))
        assert holding.evaluate(position(), UP, MARKETS, AFTER_HOLD) is None
    assert "exit rule test-broken failed" in caplog.text


def test_the_base_rule_neither_holds_nor_exits() -> None:
    rule = ExitRule({"a": 1})
    assert rule.options == {"a": 1} and rule.holds(position(), T0) is None
    assert rule.should_exit(position(), UP, MARKETS, START) is None


# -- what the manager does not ask again ---------------------------------------------------


class Counting(ExitRule):
    """Counts its questions; exits when ``exit`` is set."""

    name = "test-counting"
    asked = 0

    def should_exit(self, position: GamePosition, books, markets, now) -> str | None:
        type(self).asked += 1
        return "asked to" if self.options.get("exit") else None


class CountingTimeless(Counting):
    name = "test-counting-timeless"
    timeless = True
    asked = 0


def counting(**options: Any) -> tuple[ExitManager, type[Counting], type[Counting]]:
    Counting.asked = CountingTimeless.asked = 0
    timed, timeless = Counting(options), CountingTimeless(options)
    return ExitManager([timeless, timed]), Counting, CountingTimeless


def test_a_timeless_rule_is_asked_again_only_when_a_book_or_a_leg_changes() -> None:
    manager, timed, timeless = counting()
    held = position()
    for _ in range(3):
        assert manager.evaluate(held, dict(UP), dict(MARKETS), AFTER_HOLD) is None
    assert (timeless.asked, timed.asked) == (1, 3)  # new mappings, the same books inside
    assert manager.evaluate(held, {**UP, K: book(K, ("0.55", "10"))}, MARKETS, AFTER_HOLD) is None
    assert timeless.asked == 2  # a new (even if equal) book: asked again
    held.legs[PM].fees += D("0.01")  # a leg's figures changed
    assert manager.evaluate(held, UP, MARKETS, AFTER_HOLD) is None
    assert manager.evaluate(held, UP, MARKETS, AFTER_HOLD) is None
    assert timeless.asked == 3  # after the change once, then remembered again
    assert manager.evaluate(position(), UP, MARKETS, AFTER_HOLD) is None  # another position
    assert timeless.asked == 4


def test_a_timeless_rule_that_exits_is_asked_every_time() -> None:
    manager, _, timeless = counting(exit=True)
    held = position()
    for _ in range(2):
        assert manager.evaluate(held, UP, MARKETS, AFTER_HOLD) == "test-counting-timeless: asked to"
    assert timeless.asked == 2


def test_the_price_rules_share_one_close_value_per_evaluation(pm, monkeypatch) -> None:
    from arbkit.trading import positions

    computed: list[object] = []
    real = positions._close_value

    def counted(inputs: Any) -> Any:
        computed.append(inputs)
        return real(inputs)

    monkeypatch.setattr(positions, "_close_value", counted)
    config = {"take_profit": {"dollars": "5"}, "stop_loss": {"dollars": "5"}}
    manager = rules(config, pm)
    fresh = {cid: book(cid, *((str(p), str(s)) for p, s in b.bids)) for cid, b in DOWN.items()}
    assert manager.evaluate(position(), fresh, MARKETS, AFTER_HOLD) is None
    assert len(computed) == 1  # stop_loss, take_profit and convergence: one computation
    shared = positions.close_value(position(), fresh, MARKETS)
    assert shared is not None and str(shared.total) == "-0.08492"  # the file's DOWN figure


def test_a_shared_close_value_is_only_for_those_very_mappings() -> None:
    from arbkit.trading import positions

    held, current = position(), dict(UP)
    sharing = positions.share_close_value(held, current, MARKETS)
    try:
        up = positions.close_value(held, current, MARKETS)
        down = positions.close_value(held, dict(DOWN), MARKETS)  # other mappings: their own
    finally:
        positions.end_sharing(sharing)
    assert up is not None and down is not None
    assert (str(up.total), str(down.total)) == ("0.01473", "-0.08492")  # the file's figures
    current[PM] = DOWN[PM]  # the same dict object, changed once the sharing is over
    after = positions.close_value(held, current, MARKETS)
    assert after is not None and str(after.total) == "-0.08492"
