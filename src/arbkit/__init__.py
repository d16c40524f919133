"""arbkit: find and trade price differences between prediction-market venues.

The names below are arbkit's public API: the only names plugins (the built-in venues included)
may import. Everything else may change without notice.
"""

from arbkit.clock import (
    Clock,
    ReplayClock,
    WallClock,
    from_epoch_ms,
    parse_optional_timestamp,
    parse_timestamp,
)
from arbkit.config import seconds_option
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
from arbkit.fees import FeeModel, NoFees
from arbkit.hookspecs import hookimpl
from arbkit.matching import Candidate, LeagueData, MatchingService, Scorer, Verdict
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
    Side,
    TimeInForce,
)
from arbkit.money import format_decimal, round_down, round_up, to_decimal
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
from arbkit.scan.walk import LegFill, buy_through, marginal_cost, marginal_fee, profitable_depth
from arbkit.secrets import Secret, redact
from arbkit.strategy import GameState, Strategy, StrategySettings
from arbkit.streaming import (
    Backoff,
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    FeesChanged,
    StreamDecoder,
    StreamEvent,
    TradePrint,
    WebSocketFeed,
)
from arbkit.venue import DiscoveryQuery, Recording, Venue, VenueSettings

__version__ = "0.1.0"

#: Public names of :mod:`arbkit.engine`, imported on first use: the engine pulls in the store and
#: the scan pipeline, which a plugin that only prices books should not pay for at import.
_ENGINE_NAMES: frozenset[str] = frozenset(
    {"Engine", "EngineSettings", "RunStatus", "Sink", "build_engine"}
)


def __getattr__(name: str) -> object:
    if name in _ENGINE_NAMES:
        import arbkit.engine

        value = getattr(arbkit.engine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'arbkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ENGINE_NAMES)


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
    "GameState",
    "InsufficientFunds",
    "InvalidOrder",
    "LeagueData",
    "Leg",
    "LegFill",
    "Level",
    "Market",
    "MarketClosed",
    "MarketType",
    "MatchResult",
    "MatchingService",
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
    "PluginError",
    "Position",
    "Quote",
    "RateLimited",
    "Recording",
    "Relation",
    "ReplayClock",
    "RequestTimeout",
    "RunStatus",
    "Scorer",
    "Secret",
    "Side",
    "Sink",
    "StoreError",
    "Strategy",
    "StrategySettings",
    "StreamDecoder",
    "StreamEvent",
    "TimeInForce",
    "TokenBucket",
    "TradePrint",
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
