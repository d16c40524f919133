"""What a report covers: one trading book (its runs) and one time window on the engine's clock.

A book is named in ``runs.options`` by ``arbkit trade`` and ``arbkit backtest`` alike, so a
backtest's book is reported exactly like a paper session's. Times are the engine's clock (the
recording's time in a replay), so ``--date 2026-11-24`` means that evening even a week later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from attrs import field, frozen

from arbkit.errors import ConfigError
from arbkit.store import Store


@frozen
class Window:
    """[start, end); either side None means unbounded. ``zone`` is the time zone whose days
    the report counts in (``--tz``): a US evening is one day in New York, two in UTC."""

    start: datetime | None = None
    end: datetime | None = None
    label: str = "all time"
    zone: tzinfo = UTC

    @classmethod
    def day(cls, day: date, zone: tzinfo = UTC) -> Window:
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        try:
            end: datetime | None = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        except OverflowError:  # 9999-12-31: the calendar's last day runs to its end
            end = None
        label = day.isoformat() if zone is UTC else f"{day.isoformat()} ({zone})"
        return cls(start, end, label, zone)

    @classmethod
    def since(cls, start: datetime, zone: tzinfo = UTC) -> Window:
        return cls(start, None, f"since {start.isoformat()}", zone)

    def day_of(self, moment: datetime) -> date:
        """The day ``moment`` counts for, in the window's zone."""
        return moment.astimezone(self.zone).date()

    def __contains__(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "time_zone": str(self.zone),
        }


def parse_zone(text: str | None) -> tzinfo:
    """An IANA time zone name (``America/New_York``), ``UTC`` when None; ConfigError otherwise."""
    if text is None or text.strip().upper() in ("UTC", "Z"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{text!r} is not a time zone such as America/New_York") from None


def parse_day(text: str, zone: tzinfo = UTC) -> date:
    """``2026-11-24`` (or ``today`` / ``yesterday`` in ``zone``); ConfigError otherwise."""
    word = text.strip().lower()
    today = datetime.now(zone).date()
    if word in ("today", "yesterday"):
        return today if word == "today" else today - timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise ConfigError(f"{text!r} is not a day such as 2026-11-24") from None


@frozen
class Book:
    """A trading book and the runs that traded in it (oldest first)."""

    book_id: str
    mode: str
    commands: tuple[str, ...]
    sources: tuple[str, ...]
    run_ids: tuple[str, ...] = field(factory=tuple)
    last_started_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "book": self.book_id,
            "mode": self.mode,
            "commands": list(self.commands),
            "sources": list(self.sources),
            "runs": list(self.run_ids),
        }


def books(store: Store) -> list[Book]:
    """Every book named by a run, newest first (by its latest run's wall-clock start)."""
    if not store.db["runs"].exists():
        return []
    found: dict[str, dict[str, Any]] = {}
    rows = store.db.query("select * from runs order by started_at, run_id")
    for row in rows:
        options = _options(row.get("options"))
        name = options.get("book")
        if not name:
            continue
        entry = found.setdefault(
            str(name), {"mode": str(options.get("mode", "paper")), "runs": [], "c": [], "s": []}
        )
        entry["runs"].append(row["run_id"])
        _add(entry["c"], row.get("command") or "?")
        _add(entry["s"], row.get("source") or "?")
        entry["last"] = row.get("started_at") or ""
    listed = [
        Book(name, e["mode"], tuple(e["c"]), tuple(e["s"]), tuple(e["runs"]), e["last"])
        for name, e in found.items()
    ]
    return sorted(listed, key=lambda b: (b.last_started_at, b.book_id), reverse=True)


def choose_book(store: Store, name: str | None) -> Book:
    """The book called ``name``, or the newest; a one-line ConfigError when there is none."""
    known = books(store)
    if not known:
        raise ConfigError(
            "no trading book in this database yet: run `arbkit trade --sample` "
            "or `arbkit backtest --sample` first"
        )
    if name is None:
        return known[0]
    for book in known:
        if book.book_id == name:
            return book
    names = ", ".join(b.book_id for b in known)
    raise ConfigError(f"no trading book {name!r} (books: {names})")


def _options(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def placeholders(values: Iterable[object]) -> str:
    """``?, ?, ?`` for an SQL ``IN (...)`` over ``values``."""
    return ", ".join("?" for _ in values)


def of_book(column: str, book: Book) -> tuple[str, list[object]]:
    """An SQL condition (and its arguments) for ids ``BOOK/...`` in ``column``: an exact prefix
    as a range (``/`` sorts just before ``0``), which an index serves. Not ``LIKE``: its ``_``
    and ``%`` are wildcards and it ignores case (``paper:a_b#1`` took ``paper:AXB#1``'s)."""
    return f"{column} >= ? and {column} < ?", [book.book_id + "/", book.book_id + "0"]


def span(store: Store, book: Book) -> tuple[str | None, str | None]:
    """The first and last engine-clock times the book's runs stored a change or a fill."""
    times: list[str] = []
    marks = placeholders(book.run_ids)
    in_book, book_args = of_book("trade_id", book)
    for sql, args in (
        (
            f"select min(at), max(at) from opportunity_changes where run_id in ({marks})",
            list(book.run_ids),
        ),
        (f"select min(filled_at), max(filled_at) from fills where {in_book}", book_args),
    ):
        row = store.db.execute(sql, args).fetchone()
        times += [t for t in row if t]
    if not times:
        return None, None
    moments = sorted(datetime.fromisoformat(t) for t in times)
    return moments[0].isoformat(), moments[-1].isoformat()
