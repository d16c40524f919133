"""Discovery on the Gamma API: league tag ids from ``/sports``, game events by keyset pages.

Gamma's offset lists were sunset on 2026-05-01; ``/events/keyset`` pages on ``after_cursor`` (a
parameter named ``cursor`` is silently ignored and returns page 1 forever, so a repeating cursor
is treated as a venue bug and stops with :class:`arbkit.BadResponse`). Answers are cached for a
TTL because a scan rediscovers every few minutes and the catalogue changes slowly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import define, field

from arbkit import BadResponse
from arbkit_polymarket.parse import LEAGUE_CODES, VENUE

if TYPE_CHECKING:  # httpx loads with the first live venue
    from arbkit import VenueHttp

log = logging.getLogger(__name__)

SPORTS_TAG = "1"
#: The "Games" tag: single games, as opposed to futures such as "NFL Champion".
GAMES_TAG = "100639"


def _tag_ids(event: Mapping[str, Any]) -> set[str]:
    return {str(t.get("id")) for t in event.get("tags") or () if isinstance(t, Mapping)}


@define
class GammaClient:
    """Gamma reads with a TTL cache.

    Args:
        http: the Gamma HTTP client (its buckets: ``gamma``, ``events``).
        page_limit: events per page (Gamma allows up to 500).
        ttl: seconds an answer stays cached.
        max_pages: a backstop against endless pagination.
    """

    http: VenueHttp
    page_limit: int = 500
    ttl: float = 300.0
    max_pages: int = 200
    clock: Callable[[], float] = time.monotonic
    _cache: dict[Any, tuple[float, Any]] = field(factory=dict)

    def _cached(self, key: Any) -> Any:
        hit = self._cache.get(key)
        if hit and hit[0] > self.clock():
            return hit[1]
        return None

    def _store(self, key: Any, value: Any) -> Any:
        self._cache[key] = (self.clock() + self.ttl, value)
        return value

    async def sports(self) -> list[Mapping[str, Any]]:
        """The ``/sports`` list (league code, tag ids, title ordering)."""
        cached = self._cached("sports")
        if cached is not None:
            return cached
        body = await self.http.request("GET", "/sports", endpoint="gamma")
        if not isinstance(body, list):
            raise BadResponse("/sports: expected a list", venue=VENUE)
        return self._store("sports", body)

    async def league_tags(self) -> dict[str, str]:
        """Canonical league code → Gamma tag id, for the leagues arbkit knows."""
        tags: dict[str, str] = {}
        for sport in await self.sports():
            league = LEAGUE_CODES.get(str(sport.get("sport", "")).lower())
            if not league or league in tags:
                continue
            primary = sport.get("primaryTagId")
            listed = [t.strip() for t in str(sport.get("tags") or "").split(",") if t.strip()]
            candidates = [t for t in listed if t not in (SPORTS_TAG, GAMES_TAG)]
            tag = str(primary) if primary else (candidates[0] if candidates else None)
            if tag:
                tags[league] = tag
        return tags

    async def tag(self, tag_id: str) -> Mapping[str, Any]:
        """``GET /tags/{id}``: raises :class:`arbkit.NotFound` when Gamma has no such tag.

        List endpoints answer an unknown ``tag_id`` with an empty list, so this is how a
        league whose tag is gone is told apart from a league with no games today.
        """
        key = ("tag", tag_id)
        cached = self._cached(key)
        if cached is not None:
            return cached
        body = await self.http.request("GET", f"/tags/{tag_id}", endpoint="gamma")
        if not isinstance(body, Mapping):
            raise BadResponse(f"/tags/{tag_id}: expected an object", venue=VENUE)
        return self._store(key, body)

    async def game_events(self, tag_id: str, *, include_closed: bool = False) -> list[Any]:
        """Every game event (with nested markets) under a league tag."""
        key = ("events", tag_id, include_closed)
        cached = self._cached(key)
        if cached is not None:
            return cached
        params: dict[str, Any] = {"tag_id": tag_id, "limit": self.page_limit}
        if not include_closed:
            params.update(active="true", closed="false")
        events = await self.paginate("/events/keyset", "events", params, endpoint="events")
        # Filter on the Games tag client-side: whether repeated tag_id means AND is unconfirmed.
        games = [e for e in events if not e.get("tags") or GAMES_TAG in _tag_ids(e)]
        return self._store(key, games)

    async def paginate(
        self, path: str, key: str, params: Mapping[str, Any], *, endpoint: str = "gamma"
    ) -> list[Any]:
        """All items of a keyset-paginated list, re-sending the same filters on every page."""
        items: list[Any] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(self.max_pages):
            page_params = dict(params)
            if cursor:
                page_params["after_cursor"] = cursor
            body = await self.http.request("GET", path, endpoint=endpoint, params=page_params)
            if not isinstance(body, Mapping) or not isinstance(body.get(key), list):
                raise BadResponse(f"{path}: expected {{{key!r}: [...]}}", venue=VENUE)
            items.extend(body[key])
            cursor = body.get("next_cursor") or None
            if cursor is None:
                return items
            if cursor in seen:
                raise BadResponse(f"{path}: next_cursor {cursor!r} repeated", venue=VENUE)
            seen.add(cursor)
        raise BadResponse(f"{path}: more than {self.max_pages} pages", venue=VENUE)
