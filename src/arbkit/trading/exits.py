"""Exit evaluation: the enabled exit rules asked about a position, and the plan that sells it.

Precedence (docs/trading.md): a position that is not open or holds nothing is never
evaluated; then any rule's ``holds`` keeps it (``min_hold`` in its first 15 s,
``hold_to_settlement`` with ``exclusive = true``); otherwise the first rule, in load order,
whose ``should_exit`` gives a reason closes it, and the reason is ``"<rule>: <why>"``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from arbkit.errors import ConfigError
from arbkit.exits import ExitRule
from arbkit.models import Market, OrderBook, Side
from arbkit.trading.executor import BookLookup
from arbkit.trading.model import (
    ZERO,
    GamePosition,
    LegPlan,
    Mode,
    PlanKind,
    PositionStatus,
    TradePlan,
)
from arbkit.trading.positions import (
    Inputs,
    MarketLookup,
    end_sharing,
    held_cost,
    inputs_of,
    same_inputs,
    sell_into_bids,
    share_close_value,
    usable,
)

log = logging.getLogger(__name__)

#: The rules on when the config's ``[exits]`` names none: take the arbitrage's profit early
#: if the books allow, otherwise let the venues pay it; never sell in the first 15 s.
DEFAULT_RULES = ("min_hold", "convergence", "hold_to_settlement")
_OPEN = PositionStatus.OPEN  # compared by identity: an enum attribute lookup is slow on 3.11


class ExitManager:
    """Asks every enabled rule about one position (see the module docstring for the order)."""

    def __init__(self, rules: Sequence[ExitRule]) -> None:
        self.rules = tuple(rules)
        # Only rules that override a round take part in it (the base answers None).
        self._holders = tuple(r for r in self.rules if type(r).holds is not ExitRule.holds)
        self._exiters = tuple(
            r for r in self.rules if type(r).should_exit is not ExitRule.should_exit
        )
        #: the exiters asked even when nothing a timeless rule looks at has changed
        self._timed = tuple(r for r in self._exiters if not r.timeless)
        #: the rules whose answer may change with time alone, with their ``next_change`` (see
        #: quiet_until); one without it means there is never a quiet time
        timing = tuple(dict.fromkeys((*self._holders, *self._timed)))
        self._timing = tuple((rule, getattr(rule, "next_change", None)) for rule in timing)
        self._always = any(next_change is None for _, next_change in self._timing)
        #: the position whose last evaluation had a rule raise: no quiet time for it (the
        #: rule may answer next time)
        self._failed: GamePosition | None = None
        #: id(position) -> (position, its inputs when every timeless exiter said no exit)
        self._quiet: dict[int, tuple[GamePosition, Inputs]] = {}

    def evaluate(
        self,
        position: GamePosition,
        books: Mapping[str, OrderBook],
        markets: Mapping[str, Market],
        now: datetime,
    ) -> str | None:
        """The exit reason for ``position`` now, or None to keep it.

        A rule that raises is logged and taken as a hold (round 1) or no exit (round 2): a
        broken plugin can keep a position, never sell one. Timeless rules
        (:attr:`ExitRule.timeless`) that said no exit are not asked again while the legs,
        their figures and their books and markets are the same objects: they would say the
        same.
        """
        self._failed = None
        if position.status is not _OPEN:
            return None
        for leg in position.legs.values():
            if leg.size:
                break
        else:
            return None  # nothing held
        for rule in self._holders:
            try:
                if rule.holds(position, now):
                    return None
            except Exception:
                log.exception("exit rule %s failed deciding a hold: holding", rule.name)
                self._failed = position
                return None
        quiet = self._quiet.get(id(position))
        if (
            quiet is not None
            and quiet[0] is position
            and same_inputs(quiet[1], position, books, markets)
        ):
            rules = self._timed
        else:
            rules, quiet = self._exiters, None
        if not rules:
            return None
        # The price rules (convergence, take_profit, stop_loss) all ask what closing now
        # would make: one answer for them all.
        sharing = share_close_value(position, books, markets)
        failed = False
        try:
            for rule in rules:
                try:
                    reason = rule.should_exit(position, books, markets, now)
                except Exception:
                    log.exception("exit rule %s failed: it does not exit", rule.name)
                    failed = True
                    continue
                if reason:
                    return f"{rule.name}: {reason}"
        finally:
            inputs = end_sharing(sharing)  # what the shared close value looked at, if asked
        if failed:
            self._failed = position
        if quiet is None and not failed and len(rules) > len(self._timed):
            if len(self._quiet) >= _QUIET_MAX:
                self._quiet.clear()
            if inputs is None:
                inputs = inputs_of(position, books, markets)
            self._quiet[id(position)] = (position, inputs)
        return None

    def quiet_until(self, position: GamePosition, now: datetime) -> datetime | None:
        """Until when every rule gives ``position`` the answer it gave at ``now``, if its legs,
        books and markets stay the same objects (None: any time after ``now`` it may not).

        Timeless rules answer the same while those do; a rule whose answer changes with time
        says when with ``next_change(position, now)`` (``None``: never); any other rule
        (``holds`` or a non-timeless ``should_exit`` without ``next_change``) may change its
        answer at any moment, and then there is no quiet time at all; nor is there after an
        evaluation in which a rule raised (it may answer the next time).
        """
        if self._always or self._failed is position:
            self._failed = None
            return None
        until = NEVER
        for rule, next_change in self._timing:
            try:
                moment = next_change(position, now)
            except Exception:
                log.exception("exit rule %s failed saying when it changes", rule.name)
                return None
            if moment is not None and moment < until:
                if moment <= now:
                    return None
                until = moment
        return until


_QUIET_MAX = 100_000
#: no rule's answer changes by time alone
NEVER = datetime.max.replace(tzinfo=UTC)


def exit_plan(
    position: GamePosition,
    books: BookLookup,
    markets: MarketLookup,
    *,
    trade_id: str,
    mode: Mode,
    now: datetime,
    reason: str,
) -> TradePlan | None:
    """A plan that SELLs every held leg of ``position`` into the current bids.

    Each leg's limit is the lowest bid that fills it (the lowest bid there is when the bids
    are thinner than the leg: what they do not absorb stays held). None when a held leg has
    no usable book (none, continuity in doubt, no bids) or no market: no sale on a guess.
    """
    legs: list[LegPlan] = []
    net = basis = ZERO
    for contract_id, leg in position.legs.items():
        if not leg.size:
            continue
        book, market = books(contract_id), markets(contract_id)
        if market is None or book is None or not usable(book):
            return None
        sale = sell_into_bids(book, leg.size, market.fees)
        if sale.worst_price is None:
            return None
        legs.append(
            LegPlan(
                venue=leg.venue,
                market_id=leg.market_id,
                contract_id=contract_id,
                outcome=leg.outcome,
                side=Side.SELL,
                size=leg.size,
                limit_price=sale.worst_price,
                expected_price=sale.gross / sale.size,
                expected_fee=sale.fee,
            )
        )
        net += sale.net
        whole = sale.size == leg.size
        basis += held_cost(leg) if whole else held_cost(leg) * sale.size / leg.size
    if not legs:
        return None
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.EXIT,
        mode=mode,
        game_id=position.game_id,
        league=position.league,
        strategy=position.strategy,
        opportunity_key=f"exit|{position.game_id}",
        legs=tuple(legs),
        size=max(leg.size for leg in legs),
        decided_at=now,
        start_time=position.start_time,
        expected_profit=net - basis,
        reason=reason,
    )


def build_exit_rules(
    classes: Mapping[str, type[ExitRule]], config: Mapping[str, Any]
) -> list[ExitRule]:
    """The enabled rules, built with their options, in ``classes``' (load) order.

    ``config`` is the ``[exits]`` table: ``[exits.<name>]`` enables a rule with its options;
    ``enabled = false`` in it turns one off. :data:`DEFAULT_RULES` are on unless turned off.

    Raises:
        ConfigError: an unknown rule name, a section that is not a table, a bad ``enabled``
            or a bad option (the rule's own check).
    """
    for name, options in config.items():
        if name not in classes:
            close = difflib.get_close_matches(name, list(classes), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(classes) or "none"
            raise ConfigError(f"[exits.{name}]: unknown exit rule{hint}; known: {known}")
        if not isinstance(options, Mapping):
            raise ConfigError(f"[exits.{name}] must be a table, got {options!r}")
        if not isinstance(options.get("enabled", True), bool):
            raise ConfigError(f"[exits.{name}] enabled must be true or false")
    rules: list[ExitRule] = []
    for name, cls in classes.items():
        options = dict(config.get(name, {}))
        enabled = options.pop("enabled", name in config or name in DEFAULT_RULES)
        if enabled:
            rules.append(cls(options))
    return rules
