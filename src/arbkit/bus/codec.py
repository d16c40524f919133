"""Domain values across the bus: attrs models, decimals, times and plugins' fee models as JSON.

A game's match carries its markets, and each market its venue's fee model, a frozen attrs class
from a venue plugin. So the codec writes any attrs value as its class path and fields, and reads
back only classes from arbkit or from the installed venue plugins' packages: a message can name
a class, but never one outside that allow-list (this is not pickle). Decimals travel as strings,
so prices, sizes and fee rates cross exactly. ``raw`` payloads (the venue's JSON a market was
parsed from) stay behind: nothing past the parser reads them.

Book updates are the hot path and get their own compact form (:func:`book_to_wire`).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from arbkit.bus.wire import BusError
from arbkit.models import OrderBook

#: fields never sent: the raw venue payload a value was parsed from
_LEFT_BEHIND = frozenset({"raw"})


class Codec:
    """Turns domain values into JSON-ready data and back.

    Args:
        packages: top-level packages whose attrs classes and enums may be rebuilt, besides
            ``arbkit`` (the venue plugins', see :func:`plugin_packages`).
    """

    def __init__(self, packages: Iterable[str] = ()) -> None:
        self.packages = frozenset({"arbkit", *packages})
        self._classes: dict[str, type] = {}

    def dump(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            if isinstance(value, enum.Enum):
                return {"$": "e", "c": _path(type(value)), "v": value.value}
            return value
        if isinstance(value, Decimal):
            return {"$": "d", "v": str(value)}
        if isinstance(value, datetime):
            return {"$": "t", "v": value.isoformat()}
        if isinstance(value, date):
            return {"$": "D", "v": value.isoformat()}
        if isinstance(value, enum.Enum):
            return {"$": "e", "c": _path(type(value)), "v": value.value}
        if attrs.has(type(value)):
            fields = {
                f.alias or f.name: self.dump(getattr(value, f.name))
                for f in attrs.fields(type(value))
                if f.init and f.name not in _LEFT_BEHIND
            }
            return {"$": "a", "c": _path(type(value)), "f": fields}
        if isinstance(value, tuple):
            return {"$": "T", "v": [self.dump(item) for item in value]}
        if isinstance(value, (set, frozenset)):
            return {"$": "s", "v": [self.dump(item) for item in value]}
        if isinstance(value, list):
            return [self.dump(item) for item in value]
        if isinstance(value, Mapping):
            return {"$": "m", "v": [[self.dump(k), self.dump(v)] for k, v in value.items()]}
        raise BusError(f"cannot send a {type(value).__name__} over the bus")

    def load(self, data: Any) -> Any:
        if isinstance(data, list):
            return [self.load(item) for item in data]
        if not isinstance(data, dict):
            return data
        tag = data.get("$")
        try:
            if tag == "d":
                return Decimal(data["v"])
            if tag == "t":
                return datetime.fromisoformat(data["v"])
            if tag == "D":
                return date.fromisoformat(data["v"])
            if tag == "T":
                return tuple(self.load(item) for item in data["v"])
            if tag == "s":
                return frozenset(self.load(item) for item in data["v"])
            if tag == "m":
                return {self.load(k): self.load(v) for k, v in data["v"]}
            if tag == "e":
                return self._class(data["c"], enum.Enum)(data["v"])
            if tag == "a":
                cls = self._class(data["c"], None)
                return cls(**{name: self.load(v) for name, v in data["f"].items()})
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise BusError(f"unreadable value on the bus ({tag!r}): {exc}") from None
        raise BusError(f"unknown value tag on the bus: {tag!r}")

    def _class(self, path: str, base: type | None) -> type:
        cls = self._classes.get(path)
        if cls is None:
            module_name, _, qualname = path.partition(":")
            if module_name.split(".")[0] not in self.packages:
                raise BusError(f"the bus named {path!r}, outside arbkit and its venue plugins")
            try:
                found: Any = importlib.import_module(module_name)
                for part in qualname.split("."):
                    found = getattr(found, part)
            except (ImportError, AttributeError):
                raise BusError(f"the bus named {path!r}, which is not installed here") from None
            if not isinstance(found, type) or not (
                attrs.has(found) if base is None else issubclass(found, base)
            ):
                raise BusError(f"the bus named {path!r}, which is not a domain value")
            cls = self._classes[path] = found
        return cls


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def plugin_packages(pm: Any) -> set[str]:
    """The top-level packages of every registered venue plugin (their fee models' homes)."""
    from arbkit.registry import get_venues

    return {cls.__module__.split(".")[0] for cls in get_venues(pm).values()}


# -- the hot path: one order book --------------------------------------------------------------


def book_to_wire(book: OrderBook) -> dict[str, Any]:
    """An order book in a few short fields; levels as ``[price, size]`` strings."""
    return {
        "v": book.venue,
        "c": book.contract_id,
        "b": [[str(p), str(s)] for p, s in book.bids],
        "a": [[str(p), str(s)] for p, s in book.asks],
        "t": book.timestamp.isoformat() if book.timestamp is not None else None,
        "q": book.sequence,
        "k": book.continuous,
    }


def book_from_wire(data: Mapping[str, Any]) -> OrderBook:
    try:
        return OrderBook(
            venue=data["v"],
            contract_id=data["c"],
            bids=tuple((Decimal(p), Decimal(s)) for p, s in data["b"]),
            asks=tuple((Decimal(p), Decimal(s)) for p, s in data["a"]),
            timestamp=datetime.fromisoformat(data["t"]) if data["t"] is not None else None,
            sequence=data["q"],
            continuous=data["k"],
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BusError(f"unreadable order book on the bus: {exc}") from None
