"""Opportunities: seen against taken, why the rest were refused, how long each lived, edges
and match confidence, from ``opportunity_changes``, ``opportunities``, ``decisions`` and the
entry ``trades`` of one book's runs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

from arbkit.money import format_decimal
from arbkit.report.scope import Book, Window, of_book, placeholders
from arbkit.report.stats import Bin, Summary, edge_bins, value_bins
from arbkit.store import Store

#: opportunity lifetimes in seconds, in bins a person reads at a glance
LIFETIME_EDGES = (
    ("< 1 s", Decimal(0)),
    ("1–10 s", Decimal(1)),
    ("10–60 s", Decimal(10)),
    ("1–10 min", Decimal(60)),
    ("10–60 min", Decimal(600)),
    ("1–6 h", Decimal(3600)),
    ("≥ 6 h", Decimal(21600)),
)
#: match confidence: the matcher's default threshold is 0.9, so the bins are fine above it
CONFIDENCE_EDGES = (
    ("< 0.90", Decimal(0)),
    ("0.90–0.92", Decimal("0.90")),
    ("0.92–0.94", Decimal("0.92")),
    ("0.94–0.96", Decimal("0.94")),
    ("0.96–0.98", Decimal("0.96")),
    ("0.98–0.99", Decimal("0.98")),
    ("0.99–1", Decimal("0.99")),
    ("1", Decimal(1)),
)
NOT_JUDGED = "not judged"  #: seen, but the risk gate never gave a verdict on it


@frozen
class Lifetime:
    """One appearance of an opportunity: appeared → vanished on the engine's clock."""

    key: str
    game_id: str
    appeared_at: datetime
    vanished_at: datetime | None  #: None: still there when its run ended
    reason: str = ""
    seconds: Decimal | None = None  #: how long it lived; None while it is still there


def _closed(life: Lifetime, at: datetime, reason: str) -> Lifetime:
    span = at - life.appeared_at
    seconds = Decimal(span.days * 86400 + span.seconds) + Decimal(span.microseconds) / 10**6
    return Lifetime(life.key, life.game_id, life.appeared_at, at, reason, seconds)


@frozen
class OpportunityFigures:
    seen: int  #: distinct opportunities (keys) that appeared in the window
    taken: int  #: of those, entered (an entry trade)
    not_taken_by_reason: dict[str, int]  #: each one not taken, by its last refusal
    refusals_by_reason: dict[str, int]  #: every refusal the gate stored
    lifetimes: list[Lifetime]
    lifetime: Summary  #: seconds, of the appearances that vanished
    lifetime_bins: list[Bin]
    still_open: int  #: appearances still there when their run ended
    vanished_by_reason: dict[str, int]
    best_edges: dict[str, Decimal]  #: by key: the best net edge per contract it showed
    edge: Summary
    edge_bins: list[Bin]
    confidences: dict[str, Decimal]  #: by key: its match confidence
    confidence: Summary
    confidence_bins: list[Bin]

    def to_json(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "taken": self.taken,
            "not_taken": self.seen - self.taken,
            "not_taken_by_reason": dict(self.not_taken_by_reason),
            "refusals_by_reason": dict(self.refusals_by_reason),
            "lifetime_seconds": self.lifetime.to_json(),
            "lifetime_bins": [b.to_json() for b in self.lifetime_bins],
            "still_open_at_end": self.still_open,
            "vanished_by_reason": dict(self.vanished_by_reason),
            "net_edge": self.edge.to_json(),
            "net_edge_bins": [b.to_json() for b in self.edge_bins],
            "confidence": self.confidence.to_json(),
            "confidence_bins": [b.to_json() for b in self.confidence_bins],
            "lifetimes": [
                {
                    "key": life.key,
                    "game": life.game_id,
                    "appeared_at": life.appeared_at.isoformat(),
                    "vanished_at": None
                    if life.vanished_at is None
                    else life.vanished_at.isoformat(),
                    "seconds": None if life.seconds is None else format_decimal(life.seconds),
                    "reason": life.reason,
                }
                for life in self.lifetimes
            ],
        }


def gather_opportunities(store: Store, book: Book, window: Window) -> OpportunityFigures:
    lifetimes, edges = _lifetimes_and_edges(store, book, window)
    seen = set(edges)
    taken = _taken(store, book, window) & seen
    refusals, last_refusal = _refusals(store, book, window)
    not_taken = Counter(last_refusal.get(key, NOT_JUDGED) for key in seen - taken)
    confidences = {k: v for k, v in _confidences(store, book).items() if k in seen}
    durations = [life.seconds for life in lifetimes if life.seconds is not None]
    vanished = Counter(life.reason or "?" for life in lifetimes if life.vanished_at is not None)
    return OpportunityFigures(
        seen=len(seen),
        taken=len(taken),
        not_taken_by_reason=_by_count(not_taken),
        refusals_by_reason=_by_count(refusals),
        lifetimes=lifetimes,
        lifetime=Summary.of(durations),
        lifetime_bins=edge_bins(durations, LIFETIME_EDGES),
        still_open=sum(1 for life in lifetimes if life.vanished_at is None),
        vanished_by_reason=_by_count(vanished),
        best_edges=edges,
        edge=Summary.of(list(edges.values())),
        edge_bins=value_bins(list(edges.values())),
        confidences=confidences,
        confidence=Summary.of(list(confidences.values())),
        confidence_bins=edge_bins(list(confidences.values()), CONFIDENCE_EDGES),
    )


def _lifetimes_and_edges(
    store: Store, book: Book, window: Window
) -> tuple[list[Lifetime], dict[str, Decimal]]:
    """Each appearance that began in the window, and each key's best edge while it did."""
    rows = store.db.execute(
        "select run_id, at, kind, game_id, key, net_edge, reason from opportunity_changes "
        f"where key is not null and run_id in ({placeholders(book.run_ids)}) order by id",
        list(book.run_ids),
    ).fetchall()
    open_: dict[tuple[str, str], Lifetime] = {}
    done: list[Lifetime] = []
    best: dict[str, Decimal] = {}
    for run_id, at, kind, game_id, key, net_edge, reason in rows:
        moment = datetime.fromisoformat(at)
        slot = (run_id, key)
        if kind == "appeared":
            if slot in open_:  # appeared twice without a vanish: close the first at this one
                done.append(_closed(open_.pop(slot), moment, "appeared again"))
            if moment in window:
                open_[slot] = Lifetime(key, game_id, moment, None)
        elif kind == "vanished" and slot in open_:
            done.append(_closed(open_.pop(slot), moment, reason or ""))
        if slot in open_ and kind in ("appeared", "changed") and net_edge is not None:
            edge = Decimal(net_edge)
            best[key] = max(edge, best.get(key, edge))
    lifetimes = sorted([*done, *open_.values()], key=lambda life: (life.appeared_at, life.key))
    return lifetimes, best


def _taken(store: Store, book: Book, window: Window) -> set[str]:
    in_book, args = of_book("trade_id", book)
    rows = store.db.execute(
        f"select opportunity_key, created_at from trades where kind = 'entry' and {in_book}", args
    )
    return {key for key, at in rows if at and datetime.fromisoformat(at) in window}


def _refusals(store: Store, book: Book, window: Window) -> tuple[Counter[str], dict[str, str]]:
    """Refusals by reason, and each key's last refusal reason."""
    rows = store.db.execute(
        "select key, at, reason from decisions where book = ? and accepted = 0 order by id",
        [book.book_id],
    )
    counts: Counter[str] = Counter()
    last: dict[str, str] = {}
    for key, at, reason in rows:
        if at and datetime.fromisoformat(at) in window:
            counts[reason or "?"] += 1
            last[key] = reason or "?"
    return counts, last


def _confidences(store: Store, book: Book) -> dict[str, Decimal]:
    """Each key's match confidence as last reported (4 places: it is stored as a float)."""
    rows = store.db.execute(
        "select key, confidence from opportunities "
        f"where run_id in ({placeholders(book.run_ids)}) order by id",
        list(book.run_ids),
    )
    return {key: Decimal(f"{confidence:.4f}") for key, confidence in rows if confidence is not None}


def _by_count(counts: Counter[str]) -> dict[str, int]:
    """Largest first, then by name: the same order in every format."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
