"""The risk gate: each refusal with its reason, in the documented order; plans; money held."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import attrs
import pytest
from risk_helpers import NOW, START, VENUES, by_outcome, nba_game, state

from arbkit.models import Side
from arbkit.scan.strategies import CrossVenue
from arbkit.trading import risk as risk_module
from arbkit.trading.killswitch import KillSwitch
from arbkit.trading.model import Mode, PlanKind, Reject, RiskLimits, RiskState
from arbkit.trading.risk import RiskGate

D = Decimal
CASH = {"polymarket": D(1000), "kalshi": D(1000)}


def ceil(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(ROUND_CEILING) * D(step)


def setup(confidence: float = 0.99):
    """Heat at Magic: Heat 0.44 on Polymarket + Orlando YES 0.51 on Kalshi, 5,000 deep."""
    match = nba_game(confidence)
    heat = by_outcome(match, "polymarket", "Heat")
    orlando = by_outcome(match, "kalshi", "Orlando")
    game = state(
        match, {heat.contract_id: [("0.44", "5000")], orlando.contract_id: [("0.51", "5000")]}
    )
    opportunity = next(o for o in CrossVenue().evaluate(game) if heat.contract_id in o.key)
    return match, game, opportunity


def gate(limits: RiskLimits | None = None, **kwargs) -> RiskGate:
    return RiskGate(
        limits or RiskLimits(),
        venues=VENUES,
        bankroll=kwargs.pop("bankroll", CASH),
        mode=Mode.PAPER,
        **kwargs,
    )


def test_an_accepted_opportunity_becomes_a_plan_priced_as_the_venues_charge() -> None:
    _, game, opportunity = setup()
    decision, plan = gate().evaluate(opportunity, game, NOW, trade_id="t-1")
    assert decision.accepted and decision.reason is None and plan is not None
    assert plan.trade_id == "t-1" and plan.kind is PlanKind.ENTRY and plan.mode is Mode.PAPER
    assert plan.game_id == opportunity.game_id and plan.league == "NBA"
    assert plan.start_time == START and plan.decided_at == NOW and plan.confidence == 0.99
    assert [leg.contract_id for leg in plan.legs] == [leg.contract_id for leg in opportunity.legs]
    size = plan.size
    assert decision.size == size and all(leg.size == size for leg in plan.legs)
    pm, kalshi = plan.legs
    assert pm.side is Side.BUY and pm.limit_price == D("0.44") and kalshi.limit_price == D("0.51")
    assert pm.expected_price == D("0.44") and kalshi.expected_price == D("0.51")
    assert pm.expected_fee == ceil(size * D("0.03") * D("0.44") * D("0.56"), "0.00001")
    assert kalshi.expected_fee == ceil(D("0.07") * size * D("0.51") * D("0.49"), "0.01")
    cost = size * D("0.95") + pm.expected_fee + kalshi.expected_fee
    assert plan.expected_cost == cost and plan.expected_profit == size - cost
    # $200 per game (the default limit) binds before Kelly's ~$240
    assert cost <= D(200) and "exposure game" in decision.detail


def refused(
    limits: RiskLimits | None = None, *, prepare=None, now=NOW, opportunity=None, game=None
):
    _, default_game, default_opportunity = setup()
    g = gate(limits)
    game = game or default_game
    opportunity = opportunity or default_opportunity
    if prepare is not None:
        prepare(g, game)
    decision, plan = g.evaluate(opportunity, game, now, trade_id="t")
    assert not decision.accepted and plan is None
    return decision


def hold_the_game(g: RiskGate, game) -> None:
    _, _, opportunity = setup()
    _, plan = g.evaluate(opportunity, game, NOW, trade_id="first")
    g.committed(plan)


def with_book(contract: str, **changes):
    def prepare(g: RiskGate, game) -> None:
        cid = next(c for c in game.books if game.contracts[c].venue == contract)
        game.books[cid] = attrs.evolve(game.books[cid], **changes)

    return prepare


@pytest.mark.parametrize(
    ("limits", "prepare", "reason"),
    [
        (None, lambda g, game: g.halt("by hand", NOW), Reject.HALTED),
        (None, lambda g, game: g.reduce("drift"), Reject.REDUCING),
        (None, lambda g, game: g.block_venue("kalshi", "unknown write"), Reject.VENUE_BLOCKED),
        (None, hold_the_game, Reject.ALREADY_HELD),
        (RiskLimits(min_confidence=0.995), None, Reject.LOW_CONFIDENCE),
        (RiskLimits(max_entry_price=D("0.5")), None, Reject.PRICE_ABOVE_MAX),
        (RiskLimits(min_edge=D("0.05")), None, Reject.EDGE_BELOW_MIN),
        (None, with_book("kalshi", continuous=False), Reject.DOUBTFUL_BOOK),
        (None, lambda g, game: game.suspect.add(next(iter(game.books))), Reject.DOUBTFUL_BOOK),
        (None, with_book("kalshi", timestamp=NOW - timedelta(seconds=31)), Reject.DOUBTFUL_BOOK),
        (None, with_book("polymarket", timestamp=None), Reject.DOUBTFUL_BOOK),
        (RiskLimits(start_cutoff=timedelta(hours=2)), None, Reject.STARTS_SOON),
        (RiskLimits(min_persist=timedelta(seconds=5)), None, Reject.NOT_PERSISTED),
        (RiskLimits(max_open_positions=0), None, Reject.MAX_POSITIONS),
        (RiskLimits(max_per_game=D(0)), None, Reject.EXPOSURE_GAME),
        (RiskLimits(max_per_league=D(0)), None, Reject.EXPOSURE_LEAGUE),
        (RiskLimits(max_total=D(0)), None, Reject.EXPOSURE_TOTAL),
        (RiskLimits(max_per_venue=D(0)), None, Reject.EXPOSURE_VENUE),
    ],
)
def test_each_check_refuses_with_its_reason(limits, prepare, reason) -> None:
    assert refused(limits, prepare=prepare).reason is reason


def test_no_cash_and_too_small() -> None:
    _, game, opportunity = setup()
    broke = gate(bankroll={"polymarket": D(1000), "kalshi": D(0)})
    assert broke.evaluate(opportunity, game, NOW, trade_id="t")[0].reason is Reject.NO_CASH
    poor = gate(bankroll={"polymarket": D(10), "kalshi": D(10)})
    assert poor.evaluate(opportunity, game, NOW, trade_id="t")[0].reason is Reject.TOO_SMALL


def test_checks_run_in_order_the_first_failure_is_reported() -> None:
    # Halted, low confidence, stale book and too close to the start all at once: HALTED.
    limits = RiskLimits(min_confidence=0.999, start_cutoff=timedelta(hours=5))
    decision = refused(limits, prepare=lambda g, game: g.halt("stop", NOW))
    assert decision.reason is Reject.HALTED and decision.detail == "stop"
    decision = refused(limits)
    assert decision.reason is Reject.LOW_CONFIDENCE


def test_unknown_start_is_refused() -> None:
    _, game, opportunity = setup()
    opportunity = attrs.evolve(opportunity, start_time=None)
    game.match = attrs.evolve(game.match, start_time=None)
    decision = refused(game=game, opportunity=opportunity)
    assert decision.reason is Reject.STARTS_SOON and "unknown" in decision.detail


def test_a_pair_that_does_not_pay_in_every_outcome_is_refused() -> None:
    _, game, opportunity = setup()
    miami = by_outcome(game.match, "kalshi", "Miami")
    orlando_leg = opportunity.legs[1]
    game.books[miami.contract_id] = game.books[orlando_leg.contract_id]
    bad = attrs.evolve(
        opportunity,
        legs=(
            opportunity.legs[0],
            attrs.evolve(orlando_leg, contract_id=miami.contract_id, market_id=miami.market_id),
        ),
    )
    decision = refused(game=game, opportunity=bad)
    assert decision.reason is Reject.SETTLEMENT_MISMATCH and "pays less than $1" in decision.detail


def test_persistence_counts_from_first_sight_and_restarts_when_it_vanishes() -> None:
    _, game, opportunity = setup()
    g = gate(RiskLimits(min_persist=timedelta(seconds=5)))
    assert g.evaluate(opportunity, game, NOW, trade_id="a")[0].reason is Reject.NOT_PERSISTED
    later = NOW + timedelta(seconds=5)
    assert g.evaluate(opportunity, game, later, trade_id="b")[0].accepted
    g.vanished(opportunity.key)
    assert g.evaluate(opportunity, game, later, trade_id="c")[0].reason is Reject.NOT_PERSISTED


def test_the_settlement_check_is_computed_once_per_game(monkeypatch) -> None:
    calls = []
    real = risk_module.check_settlement

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(risk_module, "check_settlement", counting)
    _, game, opportunity = setup()
    g = gate()
    for n in range(3):
        g.evaluate(opportunity, game, NOW, trade_id=str(n))
    assert len(calls) == 1


def test_cash_and_exposure_follow_commit_fills_and_release() -> None:
    _, game, opportunity = setup()
    g = gate()
    _, plan = g.evaluate(opportunity, game, NOW, trade_id="t")
    pm_cost = plan.legs[0].expected_price * plan.size + plan.legs[0].expected_fee
    k_cost = plan.legs[1].expected_price * plan.size + plan.legs[1].expected_fee
    g.committed(plan)
    assert g.cash("polymarket") == D(1000) - pm_cost and g.cash("kalshi") == D(1000) - k_cost
    assert g.evaluate(opportunity, game, NOW, trade_id="u")[0].reason is Reject.ALREADY_HELD
    # leg 1 filled a cent cheaper than expected: the cent stays held until the game is released
    g.filled("polymarket", pm_cost - D("0.01"), game_id=plan.game_id)
    assert g.cash("polymarket") == D(1000) - pm_cost
    g.filled("kalshi", k_cost, game_id=plan.game_id)
    assert g.cash("kalshi") == D(1000) - k_cost
    # settled: $1 per pair comes back on the venue whose leg won (Orlando YES on Kalshi)
    g.released(plan.game_id, {"kalshi": plan.size})
    assert g.cash("kalshi") == D(1000) - k_cost + plan.size
    assert g.cash("polymarket") == D(1000) - pm_cost + D("0.01")
    assert g.evaluate(opportunity, game, NOW, trade_id="v")[0].accepted


def test_a_missed_entry_released_with_nothing_back_frees_its_hold() -> None:
    _, game, opportunity = setup()
    g = gate()
    _, plan = g.evaluate(opportunity, game, NOW, trade_id="t")
    g.committed(plan)
    g.released(plan.game_id, {})
    assert g.cash("polymarket") == D(1000) and g.cash("kalshi") == D(1000)


def test_release_without_reported_fills_counts_the_hold_as_spent() -> None:
    _, game, opportunity = setup()
    g = gate()
    _, plan = g.evaluate(opportunity, game, NOW, trade_id="t")
    k_cost = plan.legs[1].expected_price * plan.size + plan.legs[1].expected_fee
    g.committed(plan)
    g.released(plan.game_id, {"kalshi": plan.size})
    assert g.cash("kalshi") == D(1000) - k_cost + plan.size


def test_the_daily_loss_limit_halts_by_itself_until_resumed() -> None:
    _, game, opportunity = setup()
    g = gate(RiskLimits(daily_loss_limit=D(100)))
    g.realized(D(-60), NOW)
    g.realized(D(30), NOW)
    assert g.state is RiskState.ACTIVE
    g.realized(D(-70), NOW)  # -100 on the day
    assert g.state is RiskState.HALTED
    assert g.events[-1][1] == "halted" and "daily loss limit" in g.events[-1][2]
    tomorrow = NOW + timedelta(days=1)
    assert g.evaluate(opportunity, game, tomorrow, trade_id="t")[0].reason is Reject.HALTED
    g.resume(tomorrow)
    assert g.state is RiskState.ACTIVE
    assert g.daily_pnl(tomorrow) == 0 and g.daily_pnl(NOW) == D(-100)


def test_losses_count_per_utc_day() -> None:
    g = gate(RiskLimits(daily_loss_limit=D(100)))
    late = NOW.replace(hour=23, minute=59)
    g.realized(D(-60), late)
    g.realized(D(-60), late + timedelta(minutes=2))  # the next UTC day
    assert g.state is RiskState.ACTIVE


def test_the_kill_switch_stops_entries_on_the_next_evaluation(tmp_path: Path) -> None:
    _, game, opportunity = setup()
    switch = KillSwitch(tmp_path / "arbkit.halt")
    g = gate(kill_switch=switch)
    assert g.evaluate(opportunity, game, NOW, trade_id="a")[0].accepted
    switch.trip("operator says stop")
    decision, plan = g.evaluate(opportunity, game, NOW, trade_id="b")
    assert decision.reason is Reject.HALTED and plan is None
    assert "operator says stop" in decision.detail
    assert g.state is RiskState.HALTED
    assert (NOW, "halted", "kill switch: operator says stop") in g.events
    g.resume(NOW)
    assert not switch.path.exists()
    assert g.evaluate(opportunity, game, NOW, trade_id="c")[0].accepted


def test_blocked_venues_unblock() -> None:
    _, game, opportunity = setup()
    g = gate()
    g.block_venue("kalshi", "position drift")
    assert g.evaluate(opportunity, game, NOW, trade_id="a")[0].reason is Reject.VENUE_BLOCKED
    g.unblock_venue("kalshi")
    assert g.evaluate(opportunity, game, NOW, trade_id="b")[0].accepted
    kinds = [kind for _, kind, _ in g.events]
    assert kinds == ["venue_blocked", "venue_unblocked"]


def test_named_pauses_refuse_entries_until_each_is_lifted_by_its_own_key() -> None:
    _, game, opportunity = setup()
    g = gate()
    g.pause("matcher", "matching service unavailable: timeout")
    g.pause("operator", "operator pause")
    assert g.state is RiskState.REDUCING
    decision, plan = g.evaluate(opportunity, game, NOW, trade_id="a")
    assert decision.reason is Reject.REDUCING and plan is None
    assert "timeout" in decision.detail and "operator pause" in decision.detail
    g.unpause("matcher")
    assert g.state is RiskState.REDUCING  # the other pause still holds
    assert g.evaluate(opportunity, game, NOW, trade_id="b")[0].reason is Reject.REDUCING
    g.resume(NOW)  # a resume lifts halts, not someone else's pause
    assert g.pauses == {"operator": "operator pause"}
    g.unpause("operator")
    g.unpause("operator")  # not held: nothing
    assert g.state is RiskState.ACTIVE and g.pauses == {}
    assert g.evaluate(opportunity, game, NOW, trade_id="c")[0].accepted
    lifted = [why for _, _, why in g.events if why.startswith("pause lifted")]
    assert lifted == ["pause lifted: matcher", "pause lifted: operator"]


def test_lifting_a_pause_leaves_a_halt_the_kill_switch_and_the_daily_loss_limit(
    tmp_path: Path,
) -> None:
    _, game, opportunity = setup()
    switch = KillSwitch(tmp_path / "arbkit.halt")
    g = gate(RiskLimits(daily_loss_limit=D(100)), kill_switch=switch)
    g.pause("matcher", "down")
    g.realized(D(-100), NOW)  # the daily loss limit halts
    assert g.state is RiskState.HALTED
    g.unpause("matcher")
    assert g.state is RiskState.HALTED
    assert g.evaluate(opportunity, game, NOW, trade_id="a")[0].reason is Reject.HALTED
    g.resume(NOW)
    g.pause("matcher", "down")
    switch.trip("operator says stop")
    g.unpause("matcher")
    assert g.evaluate(opportunity, game, NOW, trade_id="b")[0].reason is Reject.HALTED
    g.resume(NOW)
    g.halt("lease lost", NOW)
    g.pause("matcher", "down")
    g.unpause("matcher")
    assert g.state is RiskState.HALTED  # only resume() lifts a halt
    g.resume(NOW)
    assert g.evaluate(opportunity, game, NOW, trade_id="c")[0].accepted


def test_pausing_again_under_the_same_key_records_one_event() -> None:
    g = gate()
    for _ in range(3):
        g.pause("matcher", "down")
    g.pause("matcher", "down again")
    assert [why for _, state, why in g.events if state == "reducing"] == ["down", "down again"]
    assert g.pauses == {"matcher": "down again"}
