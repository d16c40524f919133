"""The dashboard's engine sink: keeps what the screens need and builds snapshots of it.

It runs on the engine's thread like every sink, so it only does cheap bookkeeping per change
and per stream event; a :class:`~arbkit.tui.model.Snapshot` is built at most a few times a
second (when something changed) by the runner, never per message. Highlight and fade windows are
measured on the engine's clock, so a replay looks the same on every run.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import define

from arbkit.engine.sinks import RunEnd, Sink
from arbkit.matching.overrides import CONFIRM, Overrides, yes_contract
from arbkit.models import ContractLink, MatchResult, Opportunity
from arbkit.scan.shard import Change, ChangeKind
from arbkit.streaming import ContinuityLost, ContinuityRestored, StreamEvent
from arbkit.trading.model import GamePosition, TradeState
from arbkit.trading.positions import realized_pnl
from arbkit.tui.model import (
    LegRow,
    LinkRow,
    LogEntry,
    MatchRow,
    OpportunityRow,
    OrderRow,
    PositionRow,
    RowState,
    Snapshot,
    VenueStatus,
)

if TYPE_CHECKING:
    from arbkit.bus.state import BusState
    from arbkit.engine.core import Engine
    from arbkit.matching.report import NearMiss
    from arbkit.trading.trader import Trader

#: trade states a person should look at (a one-legged trade, an unwind in progress)
ATTENTION = frozenset({TradeState.BROKEN, TradeState.UNWINDING, TradeState.LEG1_PARTIAL})
#: how many log lines and P&L points are kept
LOG_LINES = 500
PNL_POINTS = 240


@define
class _Tracked:
    opportunity: Opportunity
    appeared: datetime | None
    changed: datetime | None = None
    vanished: datetime | None = None


class LogCapture(logging.Handler):
    """Warnings and errors from any thread, stamped with the engine's clock, for the Log screen
    (a TUI owns the terminal: nothing may be printed to stderr while it runs)."""

    def __init__(self, clock: Callable[[], datetime | None]) -> None:
        super().__init__(level=logging.WARNING)
        self.clock = clock
        self.entries: deque[LogEntry] = deque(maxlen=LOG_LINES)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:  # a bad format string must not break the dashboard
            message = str(record.msg)
        self.add(record.levelname, record.name, message)

    def add(self, level: str, source: str, message: str) -> None:
        self.entries.append(LogEntry(at=self.clock(), level=level, source=source, message=message))


class DashboardSink(Sink):
    """Opportunities with their highlight state, venue continuity, the P&L curve, the log.

    Args:
        trader: the trader whose positions, trades and risk state are shown.
        source: ``sample``, ``live`` or the replay directory (the header shows it).
        highlight: how long (engine clock) a new or changed row stays highlighted; a vanished
            row fades for twice that long, then goes.
        pnl_step: one cumulative-P&L point per this much engine time.
        log: where warnings and the engine's notable changes go.
        bus: with ``--bus``, the lease's and the matcher's state now (the header shows it).
    """

    def __init__(
        self,
        trader: Trader,
        *,
        source: str,
        highlight: timedelta,
        pnl_step: timedelta = timedelta(minutes=1),
        log: LogCapture,
        bus: Callable[[], BusState] | None = None,
    ) -> None:
        self.trader = trader
        self.bus = bus
        self.source = source
        self.highlight = highlight
        self.pnl_step = pnl_step
        self.log = log
        self.engine: Engine | None = None
        self.dirty = True
        self.version = 0
        self.phase = "starting"
        self.note = ""
        self.checkpoint: Callable[[datetime], None] | None = None  #: the runner's pause point
        self._tracked: dict[str, _Tracked] = {}
        self._suspect: dict[str, set[str]] = {}  #: venue -> contracts whose continuity is lost
        self._pnl: deque[Decimal] = deque(maxlen=PNL_POINTS)
        self._next_point: datetime | None = None
        self._matches: tuple[MatchRow, ...] = ()
        self._check_streams = False  #: a rematch may have added games the stream lacks
        self._risk_seen = 0  #: the last risk_events row logged
        self._risk_note = ""  #: why the gate last halted or reduced
        self._trades: dict[str, tuple[str, str]] = {}  #: trade id -> (state, last detail)

    # -- the engine sink ---------------------------------------------------------------------

    def started(self, engine: Engine) -> None:
        self.engine = engine
        latest = self.trader.journal.db.execute("SELECT max(id) FROM risk_events").fetchone()
        self._risk_seen = latest[0] or 0  # earlier runs' events are not this run's
        self.phase = "running"
        self.refresh_matches()
        self._next_point = engine.now()
        self.dirty = True

    @property
    def wants_events(self) -> bool:
        return True

    def event(self, event: StreamEvent, at: datetime) -> None:
        if isinstance(event, ContinuityLost):
            self._suspect.setdefault(event.venue, set()).update(event.contract_ids)
            self.log.add("WARNING", event.venue, f"continuity lost: {event.reason}")
            self.dirty = True
        elif isinstance(event, ContinuityRestored):
            self._suspect.get(event.venue, set()).difference_update(event.contract_ids)
            self.dirty = True
        if self._next_point is not None and at >= self._next_point:
            self._pnl_point(at)
        if self.checkpoint is not None:
            self.checkpoint(at)

    def change(self, change: Change) -> None:
        self.dirty = True
        opportunity = change.opportunity
        if opportunity is None:
            if change.kind in (ChangeKind.SUSPENDED, ChangeKind.STOPPED, ChangeKind.RESTORED):
                self.log.add("INFO", "engine", f"{change.game_id} {change.kind}: {change.reason}")
            return
        key = opportunity.key
        tracked = self._tracked.get(key)
        if change.kind is ChangeKind.APPEARED:
            if tracked is None or tracked.vanished is not None:
                self._tracked[key] = _Tracked(opportunity, appeared=change.at)
            else:
                tracked.opportunity = opportunity
        elif change.kind is ChangeKind.CHANGED and tracked is not None:
            tracked.opportunity = opportunity
            tracked.changed = change.at
        elif change.kind is ChangeKind.VANISHED and tracked is not None:
            tracked.opportunity = opportunity
            tracked.vanished = change.at

    def finished(self, engine: Engine, end: RunEnd) -> None:
        self.phase = "ended" if end.status.value != "failed" else "failed"
        self.note = f"{end.status.value}: {end.reason}" if end.reason else end.status.value
        self.dirty = True

    # -- matches -------------------------------------------------------------------------------

    def refresh_matches(self) -> None:
        """The matched games and the near-misses the engine's last match found (at the start
        and after every confirm or reject)."""
        engine = self.engine
        if engine is None:
            return
        overrides = getattr(engine.matcher, "overrides", None) or Overrides()
        rows = [_match_row(result, overrides) for result in engine.matches]
        rows += [_near_row(miss, overrides) for miss in engine.near_misses]
        self._matches = tuple(sorted(rows, key=lambda r: (r.near_miss, r.league or "", r.game)))
        self._check_streams = True
        self.dirty = True

    def _unstreamed(self) -> frozenset[str]:
        """Watched games the stream does not update (confirmed during a replay), looked at only
        after a rematch, for as long as there are any."""
        if not self._check_streams or self.engine is None:
            return frozenset()
        found = frozenset(self.engine.unstreamed())
        self._check_streams = bool(found)
        return found

    # -- snapshots ------------------------------------------------------------------------------

    def snapshot(self, *, paused: bool = False) -> Snapshot:
        """A frozen copy of everything the screens show (called on the engine's thread)."""
        self.version += 1
        self.dirty = False
        engine = self.engine
        trader = self.trader
        now = engine.now() if engine is not None else None
        rows = self._opportunity_rows(now)
        books = {}
        if engine is not None:
            for row in rows:
                for leg in row.opportunity.legs:
                    book = engine.book(leg.contract_id)
                    if book is not None:
                        books[leg.contract_id] = book
        realized, unrealized = trader.pnl_now()
        self._collect_risk_events()
        return Snapshot(
            version=self.version,
            as_of=now,
            mode=trader.mode.value,
            source=self.source,
            phase="paused" if paused and self.phase == "running" else self.phase,
            risk=trader.gate.state.value,
            risk_reason=self._risk_reason(),
            venues=self._venues(),
            opportunities=rows,
            books=books,
            matches=self._matches,
            unstreamed=self._unstreamed(),
            positions=tuple(_position_row(p) for p in trader.positions.all()),
            realized=realized,
            unrealized=unrealized,
            pnl_series=tuple(self._pnl),
            orders=self._orders(),
            log=tuple(self.log.entries),
            seen=len(trader.seen),
            taken=trader.taken,
            rejected=dict(trader.rejections),
            note=self.note,
            bus=None if self.bus is None else self.bus(),
        )

    def _opportunity_rows(self, now: datetime | None) -> tuple[OpportunityRow, ...]:
        fade = self.highlight * 2
        rows: list[OpportunityRow] = []
        for key, tracked in list(self._tracked.items()):
            if tracked.vanished is not None:
                if now is not None and now - tracked.vanished > fade:
                    del self._tracked[key]
                    continue
                state, since = RowState.VANISHED, tracked.vanished
            elif tracked.changed is not None and _within(now, tracked.changed, self.highlight):
                state, since = RowState.CHANGED, tracked.changed
            elif _within(now, tracked.appeared, self.highlight):
                state, since = RowState.NEW, tracked.appeared
            else:
                state, since = RowState.STEADY, tracked.appeared
            rows.append(OpportunityRow(opportunity=tracked.opportunity, state=state, since=since))
        return tuple(rows)

    def _venues(self) -> tuple[VenueStatus, ...]:
        engine = self.engine
        if engine is None:
            return ()
        out = []
        for name in sorted(engine.venues):
            failure = engine.failures.get(name)
            suspect = self._suspect.get(name, set())
            heard = self.trader.heard.get(name)
            if failure:
                detail = failure
            elif suspect:
                detail = f"{len(suspect)} book(s) in doubt"
            elif heard is not None and engine.now() - heard > timedelta(seconds=60):
                detail = f"quiet {_age(engine.now() - heard)}"
            else:
                detail = "ok"
            out.append(
                VenueStatus(
                    name=name, connected=failure is None, detail=detail, continuity=not suspect
                )
            )
        return tuple(out)

    def _risk_reason(self) -> str:
        gate = self.trader.gate
        switch = gate.kill_switch.tripped() if gate.kill_switch is not None else None
        if switch:
            return f"kill switch: {switch}"
        if gate.state.value == "active":
            return ""
        # the gate's events not stored yet (a lease lost between two trader passes) are newer
        now = gate.state.value
        pending = [why for _at, state, why in gate.events if state == now]
        return pending[-1] if pending else self._risk_note

    def _collect_risk_events(self) -> None:
        """Risk events stored since the last snapshot (the trader stores and clears the gate's
        own; ``arbkit halt`` in another terminal writes one too) go to the log."""
        db = self.trader.journal.db
        rows = db.execute(
            "SELECT id, state, reason, source FROM risk_events WHERE id > ? ORDER BY id",
            [self._risk_seen],
        ).fetchall()
        for row_id, state, reason, source in rows:
            level = "INFO" if state in ("active", "venue_unblocked") else "WARNING"
            self.log.add(level, "risk", f"{state}: {reason} ({source})")
            if state in ("halted", "reducing"):
                self._risk_note = reason
            self._risk_seen = row_id

    def _orders(self) -> tuple[OrderRow, ...]:
        trader = self.trader
        prefix = trader.book_id + "/"
        rows: list[OrderRow] = []
        journal = trader.journal
        in_flight = trader.trades_in_flight()
        for plan, stored in journal.trades():
            if not plan.trade_id.startswith(prefix):
                continue
            steps = in_flight.get(plan.trade_id)
            if steps:  # a paper trade in flight: its states are stored when it ends
                state = steps[-1][0]
                detail = next((d for _s, _at, d in reversed(steps) if d), plan.reason)
                known = (state.value, detail)
            else:
                state = stored
                known = self._trades.get(plan.trade_id)
                if known is None or known[0] != state.value:
                    stored_steps = journal.transitions(plan.trade_id)
                    detail = next((d for _s, d in reversed(stored_steps) if d), plan.reason)
                    known = self._trades[plan.trade_id] = (state.value, detail)
            legs = "\n".join(
                f"{leg.side.value} {_num(leg.size)} {leg.outcome} ({leg.venue[:4]}) "
                f"≤{_num(leg.limit_price)}"
                for leg in plan.legs
            )
            rows.append(
                OrderRow(
                    trade_id=plan.trade_id,
                    kind=plan.kind.value,
                    game=plan.game_id,
                    state=state.value,
                    legs=legs,
                    decided_at=plan.decided_at,
                    detail=known[1],
                    attention=state in ATTENTION,
                )
            )
        return tuple(rows)

    def _pnl_point(self, at: datetime) -> None:
        realized, unrealized = self.trader.pnl_now()
        self._pnl.append(realized + unrealized)
        assert self._next_point is not None
        while self._next_point <= at:
            self._next_point += self.pnl_step
        self.dirty = True


def _within(now: datetime | None, moment: datetime | None, window: timedelta) -> bool:
    return now is not None and moment is not None and now - moment < window


def _age(delta: timedelta) -> str:
    """``45s``, ``12m05s``, ``30h39m``: how long a venue has been quiet."""
    seconds = int(delta.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _num(value: Decimal) -> str:
    from arbkit.money import format_decimal

    return format_decimal(value)


def _link_row(link: ContractLink) -> LinkRow:
    return LinkRow(
        left_venue=link.left.venue,
        left_contract=link.left.contract_id,
        left_outcome=link.left.outcome,
        right_venue=link.right.venue,
        right_contract=link.right.contract_id,
        right_outcome=link.right.outcome,
        relation=link.relation.value,
        confidence=link.confidence,
        reasons=tuple(link.reasons),
    )


def _decision(overrides: Overrides, links: tuple[LinkRow, ...]) -> str:
    found = []
    for link in links:
        override = overrides.get(link.left_contract, yes_contract(link.right_contract)[0])
        if override is not None:
            found.append("confirmed" if override.decision == CONFIRM else "rejected")
    return found[0] if found and len(set(found)) == 1 else ("mixed" if found else "")


def _match_row(result: MatchResult, overrides: Overrides) -> MatchRow:
    links = tuple(_link_row(link) for link in result.links)
    when = result.start_time or result.game_date
    return MatchRow(
        key=result.game_id,
        game=result.title or result.game_id,
        league=result.league,
        when="" if when is None else when.isoformat()[:16].replace("T", " "),
        confidence=result.confidence,
        near_miss=False,
        links=links,
        reasons=tuple(result.reasons),
        decision=_decision(overrides, links),
    )


def _near_row(miss: NearMiss, overrides: Overrides) -> MatchRow:
    links: tuple[LinkRow, ...] = ()
    if miss.left_contract and miss.right_contract:
        links = (
            LinkRow(
                left_venue=miss.left_venue or "",
                left_contract=miss.left_contract,
                left_outcome=miss.left_outcome or "",
                right_venue=miss.right_venue or "",
                right_contract=miss.right_contract,
                right_outcome="",
                relation=None,
                confidence=miss.confidence,
                reasons=tuple(miss.reasons),
            ),
        )
    game = f"{miss.left_market or '?'} ~ {miss.right_market or '?'}"
    left = miss.left_contract or miss.left_market
    right = miss.right_contract or miss.right_market
    return MatchRow(
        key=f"near:{left}:{right}",
        game=game,
        league=miss.league,
        when="" if miss.game_date is None else miss.game_date.isoformat(),
        confidence=miss.confidence,
        near_miss=True,
        links=links,
        reasons=tuple(miss.reasons),
        decision=_decision(overrides, links),
    )


def _position_row(position: GamePosition) -> PositionRow:
    return PositionRow(
        game=position.game_id,
        league=position.league,
        status=position.status.value,
        legs=tuple(
            LegRow(
                venue=leg.venue,
                outcome=leg.outcome,
                bought=leg.bought,
                held=leg.size,
                avg_price=leg.avg_price,
                fees=leg.fees,
            )
            for leg in position.legs.values()
        ),
        cost=position.cost,
        fees=position.fees,
        realized=realized_pnl(position),
        unrealized=position.unrealized_pnl if position.is_open else Decimal(0),
        marked_at=position.marked_at,
        exit_reason=position.exit_reason or "",
        closed_at=position.closed_at,
    )
