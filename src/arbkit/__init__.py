"""arbkit: find and trade price differences between prediction-market venues.

The names below are arbkit's public API: the only names plugins (the built-in venues included)
may import. Everything else may change without notice.

Each name is imported from its module on first use (PEP 562 ``__getattr__``), so ``import
arbkit`` and ``arbkit --version`` do not pay for httpx, sqlite-utils, rapidfuzz or asyncio;
``from arbkit import X`` and ``arbkit.X`` work as if every name were imported here. The
``TYPE_CHECKING`` block says the same to type checkers, and a test keeps it equal to ``_EXPORTS``.
"""

import importlib
import typing

__version__ = "0.1.0"

if typing.TYPE_CHECKING:
    from arbkit.clock import (
        Clock,
        ReplayClock,
        WallClock,
        from_epoch_ms,
        parse_optional_timestamp,
        parse_timestamp,
    )
    from arbkit.config import seconds_option
    from arbkit.engine import (
        Engine,
        EngineSettings,
        RunStatus,
        Sink,
        build_engine,
    )
    from arbkit.errors import (
        ArbkitError,
        AuthenticationError,
        BadRequest,
        BadResponse,
        ConfigError,
        DuplicateOrderId,
        InsufficientFunds,
        InvalidOrder,
        MarketClosed,
        NetworkError,
        NotFound,
        NotSupported,
        OperationFailed,
        OrderRejected,
        OrderStateUnknown,
        OutcomeUnknown,
        PermissionDenied,
        PluginError,
        RateLimited,
        RequestTimeout,
        StoreError,
        VenueError,
        VenueUnavailable,
    )
    from arbkit.exits import ExitRule
    from arbkit.fees import (
        FeeModel,
        NoFees,
    )
    from arbkit.hookspecs import hookimpl
    from arbkit.matching import (
        Candidate,
        LeagueData,
        MatchingService,
        Scorer,
        Verdict,
    )
    from arbkit.matching.teams import lists_home_first
    from arbkit.models import (
        Contract,
        ContractLink,
        Event,
        Fill,
        GameIdentity,
        Leg,
        Level,
        Market,
        MarketType,
        MatchResult,
        Opportunity,
        Order,
        OrderBook,
        OrderRequest,
        OrderStatus,
        Position,
        Quote,
        Relation,
        Settlement,
        Side,
        SubjectResult,
        TimeInForce,
    )
    from arbkit.money import (
        format_decimal,
        round_down,
        round_up,
        to_decimal,
    )
    from arbkit.net import (
        ErrorMapper,
        TokenBucket,
        VenueHttp,
        default_error_mapper,
        response_message,
    )
    from arbkit.paths import user_dir
    from arbkit.recordings import (
        load_recordings,
        read_json_file,
        read_manifest,
        read_stream_file,
        recorded_now,
        sample_dir,
    )
    from arbkit.registry import get_venues as get_venue_classes
    from arbkit.safejson import loads as json_loads
    from arbkit.scan.pricing import price_pair
    from arbkit.scan.walk import (
        LegFill,
        buy_through,
        marginal_cost,
        marginal_fee,
        profitable_depth,
    )
    from arbkit.secrets import (
        Secret,
        redact,
    )
    from arbkit.strategy import (
        GameState,
        Strategy,
        StrategySettings,
    )
    from arbkit.streaming import (
        Backoff,
        BookUpdate,
        ContinuityLost,
        ContinuityRestored,
        FeesChanged,
        MarketSettled,
        StreamDecoder,
        StreamEvent,
        TradePrint,
        WebSocketFeed,
    )
    from arbkit.trading.model import (
        Decision,
        GamePosition,
        LegPlan,
        LegPosition,
        Mode,
        PlanKind,
        PositionStatus,
        Reject,
        RiskLimits,
        RiskState,
        TradeFill,
        TradePlan,
        TradeState,
    )
    from arbkit.venue import (
        DiscoveryQuery,
        Recording,
        Venue,
        VenueSettings,
    )

#: Where each public name lives: ``{module: (attribute, ...)}``; :data:`_RENAMED` for the two
#: exported under another name than their module's.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "arbkit.clock": (
        "Clock",
        "from_epoch_ms",
        "parse_optional_timestamp",
        "parse_timestamp",
        "ReplayClock",
        "WallClock",
    ),
    "arbkit.config": ("seconds_option",),
    "arbkit.engine": (
        "build_engine",
        "Engine",
        "EngineSettings",
        "RunStatus",
        "Sink",
    ),
    "arbkit.errors": (
        "ArbkitError",
        "AuthenticationError",
        "BadRequest",
        "BadResponse",
        "ConfigError",
        "DuplicateOrderId",
        "InsufficientFunds",
        "InvalidOrder",
        "MarketClosed",
        "NetworkError",
        "NotFound",
        "NotSupported",
        "OperationFailed",
        "OrderRejected",
        "OrderStateUnknown",
        "OutcomeUnknown",
        "PermissionDenied",
        "PluginError",
        "RateLimited",
        "RequestTimeout",
        "StoreError",
        "VenueError",
        "VenueUnavailable",
    ),
    "arbkit.exits": ("ExitRule",),
    "arbkit.fees": (
        "FeeModel",
        "NoFees",
    ),
    "arbkit.hookspecs": ("hookimpl",),
    "arbkit.matching": (
        "Candidate",
        "LeagueData",
        "MatchingService",
        "Scorer",
        "Verdict",
    ),
    "arbkit.matching.teams": ("lists_home_first",),
    "arbkit.models": (
        "Contract",
        "ContractLink",
        "Event",
        "Fill",
        "GameIdentity",
        "Leg",
        "Level",
        "Market",
        "MarketType",
        "MatchResult",
        "Opportunity",
        "Order",
        "OrderBook",
        "OrderRequest",
        "OrderStatus",
        "Position",
        "Quote",
        "Relation",
        "Settlement",
        "Side",
        "SubjectResult",
        "TimeInForce",
    ),
    "arbkit.money": (
        "format_decimal",
        "round_down",
        "round_up",
        "to_decimal",
    ),
    "arbkit.net": (
        "default_error_mapper",
        "ErrorMapper",
        "response_message",
        "TokenBucket",
        "VenueHttp",
    ),
    "arbkit.paths": ("user_dir",),
    "arbkit.recordings": (
        "load_recordings",
        "read_json_file",
        "read_manifest",
        "read_stream_file",
        "recorded_now",
        "sample_dir",
    ),
    "arbkit.scan.pricing": ("price_pair",),
    "arbkit.scan.walk": (
        "buy_through",
        "LegFill",
        "marginal_cost",
        "marginal_fee",
        "profitable_depth",
    ),
    "arbkit.secrets": (
        "redact",
        "Secret",
    ),
    "arbkit.strategy": (
        "GameState",
        "Strategy",
        "StrategySettings",
    ),
    "arbkit.streaming": (
        "Backoff",
        "BookUpdate",
        "ContinuityLost",
        "ContinuityRestored",
        "FeesChanged",
        "MarketSettled",
        "StreamDecoder",
        "StreamEvent",
        "TradePrint",
        "WebSocketFeed",
    ),
    "arbkit.trading.model": (
        "Decision",
        "GamePosition",
        "LegPlan",
        "LegPosition",
        "Mode",
        "PlanKind",
        "PositionStatus",
        "Reject",
        "RiskLimits",
        "RiskState",
        "TradeFill",
        "TradePlan",
        "TradeState",
    ),
    "arbkit.venue": (
        "DiscoveryQuery",
        "Recording",
        "Venue",
        "VenueSettings",
    ),
}

_RENAMED: dict[str, tuple[str, str]] = {
    "get_venue_classes": ("arbkit.registry", "get_venues"),
    "json_loads": ("arbkit.safejson", "loads"),
}

#: name -> (module, attribute), built once from the two tables above.
_WHERE: dict[str, tuple[str, str]] = {
    **{name: (module, name) for module, names in _EXPORTS.items() for name in names},
    **_RENAMED,
}


def __getattr__(name: str) -> object:
    """Import a public name's module on first use and keep the value here for the next one."""
    where = _WHERE.get(name)
    if where is None:
        # ``arbkit.scan`` and friends: a submodule not imported yet is still reachable as an
        # attribute, as it was when this module imported everything eagerly.
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "ArbkitError",
    "AuthenticationError",
    "Backoff",
    "BadRequest",
    "BadResponse",
    "BookUpdate",
    "Candidate",
    "Clock",
    "ConfigError",
    "ContinuityLost",
    "ContinuityRestored",
    "Contract",
    "ContractLink",
    "Decision",
    "DiscoveryQuery",
    "DuplicateOrderId",
    "Engine",
    "EngineSettings",
    "ErrorMapper",
    "Event",
    "ExitRule",
    "FeeModel",
    "FeesChanged",
    "Fill",
    "GameIdentity",
    "GamePosition",
    "GameState",
    "InsufficientFunds",
    "InvalidOrder",
    "LeagueData",
    "Leg",
    "LegFill",
    "LegPlan",
    "LegPosition",
    "Level",
    "Market",
    "MarketClosed",
    "MarketSettled",
    "MarketType",
    "MatchResult",
    "MatchingService",
    "Mode",
    "NetworkError",
    "NoFees",
    "NotFound",
    "NotSupported",
    "OperationFailed",
    "Opportunity",
    "Order",
    "OrderBook",
    "OrderRejected",
    "OrderRequest",
    "OrderStateUnknown",
    "OrderStatus",
    "OutcomeUnknown",
    "PermissionDenied",
    "PlanKind",
    "PluginError",
    "Position",
    "PositionStatus",
    "Quote",
    "RateLimited",
    "Recording",
    "Reject",
    "Relation",
    "ReplayClock",
    "RequestTimeout",
    "RiskLimits",
    "RiskState",
    "RunStatus",
    "Scorer",
    "Secret",
    "Settlement",
    "Side",
    "Sink",
    "StoreError",
    "Strategy",
    "StrategySettings",
    "StreamDecoder",
    "StreamEvent",
    "SubjectResult",
    "TimeInForce",
    "TokenBucket",
    "TradeFill",
    "TradePlan",
    "TradePrint",
    "TradeState",
    "Venue",
    "VenueError",
    "VenueHttp",
    "VenueSettings",
    "VenueUnavailable",
    "Verdict",
    "WallClock",
    "WebSocketFeed",
    "build_engine",
    "buy_through",
    "default_error_mapper",
    "format_decimal",
    "from_epoch_ms",
    "get_venue_classes",
    "hookimpl",
    "json_loads",
    "lists_home_first",
    "load_recordings",
    "marginal_cost",
    "marginal_fee",
    "parse_optional_timestamp",
    "parse_timestamp",
    "price_pair",
    "profitable_depth",
    "read_json_file",
    "read_manifest",
    "read_stream_file",
    "recorded_now",
    "redact",
    "response_message",
    "round_down",
    "round_up",
    "sample_dir",
    "seconds_option",
    "to_decimal",
    "user_dir",
]
