"""arbkit's core schema as ordered migrations (``m001_...``): add new ones, never edit old ones."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("arbkit")


@migrations()
def m001_initial(db: Database) -> None:
    db["events"].create(
        {
            "venue": str,
            "event_id": str,
            "title": str,
            "league": str,
            "start_time": str,
            "game_date": str,
            "home": str,
            "away": str,
            "seen_at": str,
        },
        pk=("venue", "event_id"),
    )
    db["markets"].create(
        {
            "venue": str,
            "market_id": str,
            "event_id": str,
            "title": str,
            "market_type": str,
            "league": str,
            "start_time": str,
            "game_date": str,
            "home": str,
            "away": str,
            "line": str,
            "tick_size": str,
            "min_size": str,
            "contracts": str,  # JSON list of {contract_id, outcome, subject, negated}
            "active": int,
            "seen_at": str,
        },
        pk=("venue", "market_id"),
    )
    db["matches"].create(
        {
            "id": int,
            "game_id": str,
            "league": str,
            "game_date": str,
            "left_venue": str,
            "left_contract": str,
            "left_market": str,
            "right_venue": str,
            "right_contract": str,
            "right_market": str,
            "relation": str,
            "confidence": float,
            "reasons": str,  # JSON list
            "source": str,  # "matcher" or "override"
            "matched_at": str,
        },
        pk="id",
    )
    db["matches"].create_index(["left_contract", "right_contract"], unique=True)
    db["match_overrides"].create(
        {
            "left_contract": str,
            "right_contract": str,
            "decision": str,  # "confirm" or "reject"
            "relation": str,
            "note": str,
            "decided_at": str,
        },
        pk=("left_contract", "right_contract"),
    )
    db["book_snapshots"].create(
        {
            "id": int,
            "venue": str,
            "contract_id": str,
            "bids": str,  # JSON [[price, size], ...] best first, decimals as strings
            "asks": str,
            "sequence": int,
            "continuous": int,
            "observed_at": str,
        },
        pk="id",
    )
    db["book_snapshots"].create_index(["contract_id", "observed_at"])
    db["opportunities"].create(
        {
            "id": int,
            "key": str,
            "strategy": str,
            "game_id": str,
            "title": str,
            "league": str,
            "start_time": str,
            "legs": str,  # JSON list of legs, decimals as strings
            "cost": str,
            "payout": str,
            "gross_edge": str,
            "net_edge": str,
            "size": str,
            "expected_profit": str,
            "confidence": float,
            "reasons": str,
            "detected_at": str,
            "run_id": str,
        },
        pk="id",
    )
    db["opportunities"].create_index(["key"])
    db["orders"].create(
        {
            "client_order_id": str,
            "venue": str,
            "order_id": str,
            "contract_id": str,
            "side": str,
            "price": str,
            "size": str,
            "filled": str,
            "status": str,
            "average_price": str,
            "fee": str,
            "mode": str,  # "paper" or "live"
            "opportunity_id": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="client_order_id",
    )
    db["fills"].create(
        {
            "venue": str,
            "fill_id": str,
            "order_id": str,
            "client_order_id": str,
            "contract_id": str,
            "side": str,
            "price": str,
            "size": str,
            "fee": str,
            "fee_shares": str,
            "is_taker": int,
            "mode": str,
            "filled_at": str,
        },
        pk=("venue", "fill_id"),
    )
    db["positions"].create(
        {
            "venue": str,
            "contract_id": str,
            "mode": str,
            "size": str,
            "cost": str,
            "realized_pnl": str,
            "opened_at": str,
            "closed_at": str,
        },
        pk=("venue", "contract_id", "mode"),
    )
    db["pnl"].create(
        {
            "id": int,
            "mode": str,
            "venue": str,
            "contract_id": str,
            "amount": str,
            "reason": str,
            "recorded_at": str,
        },
        pk="id",
    )


@migrations()
def m002_runs_and_changes(db: Database) -> None:
    """A marker row per run, every opportunity change (vanish times too), run ids on books."""
    db["runs"].create(
        {
            "run_id": str,
            "command": str,  # "scan", later "trade", "backtest", ...
            "source": str,  # "live", "sample" or the replay directory
            "options": str,  # JSON of the run's settings
            "started_at": str,  # wall clock
            "clock_started_at": str,  # the engine's clock (the recording's time in a replay)
            "ended_at": str,
            "status": str,  # running | completed | interrupted | terminated | failed
            "reason": str,
            "games": int,
            "changes": int,
        },
        pk="run_id",
    )
    db["opportunity_changes"].create(
        {
            "id": int,
            "run_id": str,
            "at": str,  # the engine's clock
            "kind": str,  # appeared | changed | vanished | suspended | restored | stopped
            "game_id": str,
            "key": str,  # the opportunity's key; NULL for game-level changes
            "strategy": str,
            "net_edge": str,
            "size": str,
            "expected_profit": str,
            "reason": str,
        },
        pk="id",
    )
    db["opportunity_changes"].create_index(["run_id", "key"])
    db["opportunities"].create_index(["run_id"])
    db["book_snapshots"].add_column("run_id", str)
    db["markets"].add_column("run_id", str)


@migrations()
def m003_trading(db: Database) -> None:
    """Trading: gate decisions, two-leg trades and their transitions, the order journal's
    links to trades, positions per game, settlements and the risk state."""
    db["decisions"].create(
        {
            "id": int,
            "run_id": str,
            "mode": str,
            "at": str,  # the engine's clock
            "key": str,
            "game_id": str,
            "strategy": str,
            "accepted": int,
            "reason": str,  # arbkit.trading.Reject value; NULL when accepted
            "detail": str,
            "size": str,
        },
        pk="id",
    )
    db["decisions"].create_index(["run_id", "reason"])
    db["trades"].create(
        {
            "trade_id": str,
            "run_id": str,
            "mode": str,
            "kind": str,  # entry | exit
            "game_id": str,
            "league": str,
            "strategy": str,
            "opportunity_key": str,
            "state": str,  # arbkit.trading.TradeState value
            "plan": str,  # JSON of the TradePlan, decimals as strings
            "size": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="trade_id",
    )
    db["trades"].create_index(["mode", "game_id"])
    db["trades"].create_index(["state"])
    db["trade_transitions"].create(
        {"id": int, "trade_id": str, "at": str, "state": str, "detail": str},
        pk="id",
    )
    db["trade_transitions"].create_index(["trade_id"])
    # The order journal: a row per order, written with its client order id BEFORE it is sent.
    db["orders"].add_column("trade_id", str)
    db["orders"].add_column("leg", int)
    db["orders"].add_column("time_in_force", str)
    db["orders"].add_column("run_id", str)
    db["orders"].create_index(["trade_id"])
    db["orders"].create_index(["venue", "status"])
    db["fills"].add_column("trade_id", str)
    db["fills"].add_column("leg", int)
    db["fills"].add_column("market_id", str)
    db["fills"].add_column("run_id", str)
    db["fills"].create_index(["trade_id"])
    db["game_positions"].create(
        {
            "mode": str,
            "game_id": str,
            "league": str,
            "strategy": str,
            "status": str,  # open | closed | settled
            "legs": str,  # JSON list of legs with their fills
            "cost": str,
            "proceeds": str,
            "fees": str,
            "realized_pnl": str,
            "unrealized_pnl": str,
            "exit_reason": str,
            "start_time": str,
            "opened_at": str,
            "closed_at": str,
            "run_id": str,
        },
        pk=("mode", "game_id"),
    )
    db["settlements"].create(
        {
            "venue": str,
            "market_id": str,
            "payouts": str,  # JSON {contract_id: payout}
            "void": int,
            "settled_at": str,
            "seen_at": str,
        },
        pk=("venue", "market_id"),
    )
    db["risk_events"].create(
        {
            "id": int,
            "mode": str,
            "at": str,
            "state": str,  # active | reducing | halted
            "reason": str,
            "source": str,  # "arbkit halt", "signal", "file", "daily loss limit", ...
        },
        pk="id",
    )


@migrations()
def m004_trading_books(db: Database) -> None:
    """Positions belong to a trading book (``live``, ``paper``, or one paper replay), so two
    paper replays of the same evening never overwrite each other's positions."""
    db["game_positions"].add_column("book", str)
    db.execute("UPDATE game_positions SET book = mode")
    db["game_positions"].transform(pk=("book", "game_id"))
    db["decisions"].add_column("book", str)
    db["risk_events"].add_column("book", str)


@migrations()
def m005_recordings(db: Database) -> None:
    """``arbkit record``: the venues' raw payloads, zlib-compressed in chunks of many messages.

    One row holds one flush of one venue's payloads of one kind (``stream`` or a replay file
    such as ``events``); ``first_ms``/``last_ms`` bound their receive times, so a time range,
    retention and the size cap read and delete whole chunks, never single messages.
    """
    db["recorded_chunks"].create(
        {
            "id": int,
            "venue": str,
            "kind": str,  # stream | events | markets | books | series | orderbooks | resolved ...
            "first_ms": int,
            "last_ms": int,
            "count": int,
            "raw_bytes": int,  # uncompressed size, for the compression ratio
            "size": int,  # stored (compressed) size: the size cap sums this, not the blobs
            "data": bytes,  # zlib of records: header (ms, key and payload lengths), key, JSON
        },
        pk="id",
    )
    db["recorded_chunks"].create_index(["first_ms"])
    db["recorded_chunks"].create_index(["last_ms"])
