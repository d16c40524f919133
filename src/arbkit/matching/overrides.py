"""Manual decisions and stored matches in the SQLite store (``match_overrides`` / ``matches``).

A user's ``arbkit match confirm`` / ``reject`` beats the algorithm from then on: the service
reads these overrides on every run. Pairs are keyed by (Polymarket token id, Kalshi YES
contract ``"<TICKER>:yes"``); a decision given against the NO contract is stored flipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from arbkit.errors import ConfigError
from arbkit.models import MatchResult, Relation

if TYPE_CHECKING:  # only annotations: the store's owner imports sqlite-utils, start-up does not
    from sqlite_utils import Database

CONFIRM = "confirm"
REJECT = "reject"


def yes_contract(right: str) -> tuple[str, bool]:
    """``("<TICKER>:yes", flipped)`` for a ticker, a YES or a NO contract id."""
    base, _, side = right.rpartition(":")
    if side.lower() == "yes" and base:
        return f"{base}:yes", False
    if side.lower() == "no" and base:
        return f"{base}:yes", True
    return f"{right}:yes", False


@frozen(kw_only=True)
class Override:
    left: str
    right: str
    decision: str  #: ``"confirm"`` or ``"reject"``
    relation: Relation | None = None
    note: str | None = None


@frozen
class Overrides:
    """Every stored decision, keyed by ``(left contract, right YES contract)``."""

    by_pair: Mapping[tuple[str, str], Override] = field(factory=dict)

    @classmethod
    def of(cls, items: Iterable[Override]) -> Overrides:
        return cls({(o.left, o.right): o for o in items})

    def get(self, left: str, right: str) -> Override | None:
        return self.by_pair.get((left, right))

    @property
    def confirmed(self) -> list[Override]:
        return [o for o in self.by_pair.values() if o.decision == CONFIRM]

    def __len__(self) -> int:
        return len(self.by_pair)


def load_overrides(db: Database) -> Overrides:
    """Read ``match_overrides`` (empty if the table is absent)."""
    if "match_overrides" not in db.table_names():
        return Overrides()
    items = []
    for row in db["match_overrides"].rows:
        relation = row.get("relation")
        items.append(
            Override(
                left=row["left_contract"],
                right=row["right_contract"],
                decision=row["decision"],
                relation=Relation(relation) if relation else None,
                note=row.get("note"),
            )
        )
    return Overrides.of(items)


def save_override(
    db: Database,
    left: str,
    right: str,
    decision: str,
    relation: Relation | None = None,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> Override:
    """Store (or replace) a decision. ``right`` may be a ticker, a YES or a NO contract id.

    Raises:
        ConfigError: an unknown decision, or a confirm without a relation.
    """
    if decision not in (CONFIRM, REJECT):
        raise ConfigError(f"decision must be confirm or reject, not {decision!r}")
    right, flipped = yes_contract(right)
    if decision == CONFIRM:
        if relation is None:
            raise ConfigError("a confirmed pair needs a relation (same or opposite)")
        if flipped:
            relation = Relation.OPPOSITE if relation == Relation.SAME else Relation.SAME
    override = Override(left=left, right=right, decision=decision, relation=relation, note=note)
    db["match_overrides"].upsert(
        {
            "left_contract": left,
            "right_contract": right,
            "decision": decision,
            "relation": relation.value if relation else None,
            "note": note,
            "decided_at": (now or datetime.now(UTC)).isoformat(),
        },
        pk=("left_contract", "right_contract"),
    )
    return override


def save_matches(
    db: Database, matches: Iterable[MatchResult], *, now: datetime | None = None
) -> int:
    """Store every link of ``matches`` in ``matches`` (one row per contract pair, latest wins)."""
    stamp = (now or datetime.now(UTC)).isoformat()
    rows: list[dict[str, Any]] = []
    for match in matches:
        for link in match.links:
            rows.append(
                {
                    "game_id": match.game_id,
                    "league": match.league,
                    "game_date": match.game_date.isoformat() if match.game_date else None,
                    "left_venue": link.left.venue,
                    "left_contract": link.left.contract_id,
                    "left_market": link.left.market_id,
                    "right_venue": link.right.venue,
                    "right_contract": link.right.contract_id,
                    "right_market": link.right.market_id,
                    "relation": link.relation.value,
                    "confidence": link.confidence,
                    "reasons": json.dumps(list(link.reasons)),
                    "source": "override"
                    if any(r.startswith("override:") for r in link.reasons)
                    else "matcher",
                    "matched_at": stamp,
                }
            )
    if rows:
        db["matches"].insert_all(rows, replace=True)
    return len(rows)


def stored_matches(db: Database, league: str | None = None) -> list[dict[str, Any]]:
    """Stored matches, newest game first, with reasons decoded."""
    if "matches" not in db.table_names():
        return []
    where, args = ("league = ?", [league.upper()]) if league else (None, None)
    rows = []
    for row in db["matches"].rows_where(
        where, args, order_by="game_date desc, game_id, left_contract"
    ):
        row = dict(row)
        row["reasons"] = json.loads(row.get("reasons") or "[]")
        rows.append(row)
    return rows
