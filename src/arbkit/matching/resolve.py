"""Step 1 of matching: read one market into a resolved game view (league, teams, date, claims).

Every field is cross-checked: the league from ``Market.league`` against the identifier's league,
the teams from the identifier's codes (looked up in that venue's code table of the league data)
against the venue's home/away names, the YES team's code against the contract's label. The
identifier is the venue-neutral :attr:`Market.identity` the venue's parser filled; a market
without one is read from its Kalshi ticker or Polymarket slug shape. Any disagreement rejects the
market with a reason instead of guessing; the matcher never pairs what this step could not pin.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from attrs import define, frozen

from arbkit.matching.identifiers import (
    DRAW_CODES,
    KalshiTicker,
    PolymarketSlug,
    eastern_date,
    parse_kalshi_ticker,
    parse_polymarket_slug,
)
from arbkit.matching.normalize import normalize
from arbkit.matching.teambook import TeamBook, TeamHit
from arbkit.matching.teams import LeagueData, Team
from arbkit.models import Contract, GameIdentity, Market, MarketType

_TITLE_PREFIX = re.compile(r"^(game \d+|cfp|[a-z ]+ final|[a-z ]+ semifinal)\s*:\s*", re.I)
_TITLE_SUFFIX = re.compile(r"\s*(winner\??|\?)$", re.I)
_YES_NO = {"yes": False, "no": True}
_DRAW_LABELS = frozenset({"tie", "draw"})


@frozen
class Claim:
    """What one contract pays on: ``team`` wins (None = a draw), or not if ``negated``."""

    team: Team | None
    negated: bool
    confidence: float
    how: str


@define
class View:
    """One market, resolved."""

    market: Market
    league: LeagueData
    away: Team
    home: Team
    game_date: date | None
    start: datetime | None
    kind: MarketType
    confidence: float
    reasons: list[str]
    claims: dict[str, Claim]
    #: no start time and the date may be a UTC date (a Polymarket slug's), not the ET date
    utc_date: bool = False

    @property
    def team_ids(self) -> frozenset[str]:
        return frozenset((self.away.id, self.home.id))


class Rejected(Exception):
    """A market the matcher will not use, and why."""


def resolve_market(book: TeamBook, market: Market) -> View:
    """Resolve ``market`` or raise :class:`Rejected` with the reason.

    A market whose venue plugin filled :attr:`Market.identity` is read from it (any venue); one
    without it (hand-built, older plugins) falls back to reading Kalshi tickers / Polymarket slugs.
    """
    if market.identity is not None:
        return _resolve_identity(book, market, market.identity)
    # The two formats cannot be mistaken for each other (a ticker has no ISO date, a slug no
    # "26JAN08"), so the identifier's shape decides, not the venue's name.
    kalshi = parse_kalshi_ticker(market.market_id)
    slug = parse_polymarket_slug(market.market_id) if kalshi is None else None
    league_code, id_kind = _league_from_ids(book, kalshi, slug)
    named = market.league.upper() if market.league else None
    if named and league_code and named != league_code:
        raise Rejected(f"league {named} but its identifier says {league_code}")
    if named and league_code is None:
        unknown = kalshi.series if kalshi else slug.prefix if slug else None
        if unknown:
            raise Rejected(
                f"identifier {market.market_id} names {unknown!r}, which is no {named} "
                "series or prefix (another league?)"
            )
    data = book.league(named or league_code)
    if data is None:
        raise Rejected(f"unknown league {named or league_code or '(none)'}")
    kind = market.market_type
    if id_kind is not None and id_kind != kind and MarketType.MONEYLINE in (id_kind, kind):
        raise Rejected(f"market type {kind.value} but its identifier says {id_kind.value}")
    reasons: list[str] = []
    away, home, confidence = _teams(book, data, market, kalshi, slug, reasons)
    start = market.start_time or (kalshi.start_time if kalshi else None)
    utc_date = False
    if start is not None:
        game_date = eastern_date(start)
    else:
        game_date = market.game_date or (kalshi.game_date if kalshi else None)
        game_date = game_date or (slug.slug_date if slug else None)
        # Kalshi ticker dates are ET; a date before the slug's is the event's local date.
        utc_date = kalshi is None and not (slug and game_date and game_date < slug.slug_date)
    view = View(
        market=market,
        league=data,
        away=away,
        home=home,
        game_date=game_date,
        start=start,
        kind=kind,
        confidence=confidence,
        reasons=reasons,
        claims={},
        utc_date=utc_date,
    )
    if kind == MarketType.MONEYLINE:
        code = kalshi.suffix if kalshi else None
        token_code = slug.suffix.upper() if slug is not None and slug.suffix else None
        view.claims = _claims(book, view, code, token_code)
    return view


def _resolve_identity(book: TeamBook, market: Market, ident: GameIdentity) -> View:
    """A market read from its venue-neutral identity, cross-checked against its names."""
    named = market.league.upper() if market.league else None
    league_code = ident.league.upper() if ident.league else None
    if named and league_code and named != league_code:
        raise Rejected(f"league {named} but its identifier says {league_code}")
    data = book.league(named or league_code)
    if data is None:
        raise Rejected(f"unknown league {named or league_code or '(none)'}")
    kind = market.market_type
    id_kind = ident.market_type
    if id_kind is not None and id_kind != kind and MarketType.MONEYLINE in (id_kind, kind):
        raise Rejected(f"market type {kind.value} but its identifier says {id_kind.value}")
    from_ids: list[tuple[Team, Team]] = []
    id_text = ""
    if ident.away and ident.home:
        id_text = f"identifier codes {ident.away}@{ident.home}"
        away = book.by_code(ident.away, data.league, market.venue)
        home = book.by_code(ident.home, data.league, market.venue)
        if away is not None and home is not None and away is not home:
            from_ids = [(away, home)]
    reasons: list[str] = []
    away_team, home_team, confidence = _teams_checked(
        book, data, market, from_ids, id_text, reasons
    )
    start = market.start_time or ident.start_time
    utc_date = False
    if start is not None:
        game_date = eastern_date(start)
    else:
        game_date = market.game_date or ident.game_date
        utc_date = ident.utc_date and not (
            ident.game_date and game_date and game_date < ident.game_date
        )
    view = View(
        market=market,
        league=data,
        away=away_team,
        home=home_team,
        game_date=game_date,
        start=start,
        kind=kind,
        confidence=confidence,
        reasons=reasons,
        claims={},
        utc_date=utc_date,
    )
    if kind == MarketType.MONEYLINE:
        code = "DRAW" if ident.yes_is_draw else ident.yes.upper() if ident.yes else None
        view.claims = _claims(book, view, code, code)
    return view


def _league_from_ids(
    book: TeamBook, kalshi: KalshiTicker | None, slug: PolymarketSlug | None
) -> tuple[str | None, MarketType | None]:
    if kalshi is not None:
        league, is_game = book.league_for_series(kalshi.series)
        if league is not None:
            if is_game:
                return league, MarketType.MONEYLINE
            series = kalshi.series
            kind = (
                MarketType.SPREAD
                if "SPREAD" in series
                else MarketType.TOTAL
                if "TOTAL" in series
                else MarketType.OTHER
            )
            return league, kind
    if slug is not None:
        league = book.league_for_prefix(slug.prefix)
        if league is not None:
            return league, slug.market_type
    return None, None


def _teams(
    book: TeamBook,
    data: LeagueData,
    market: Market,
    kalshi: KalshiTicker | None,
    slug: PolymarketSlug | None,
    reasons: list[str],
) -> tuple[Team, Team, float]:
    from_ids, id_text = _legacy_id_teams(book, data, market, kalshi, slug)
    return _teams_checked(book, data, market, from_ids, id_text, reasons)


def _legacy_id_teams(
    book: TeamBook,
    data: LeagueData,
    market: Market,
    kalshi: KalshiTicker | None,
    slug: PolymarketSlug | None,
) -> tuple[list[tuple[Team, Team]], str]:
    league = data.league
    from_ids: list[tuple[Team, Team]] = []
    id_text = ""
    if kalshi is not None and book.league_for_series(kalshi.series)[0] == league:
        from_ids = book.split_codes(kalshi.teams, league, market.venue)
        id_text = f"ticker codes {kalshi.teams}"
    elif (
        slug is not None and book.league_for_prefix(slug.prefix) == league and len(slug.codes) == 2
    ):
        first = book.by_code(slug.codes[0], league, market.venue)
        second = book.by_code(slug.codes[1], league, market.venue)
        if first is not None and second is not None and first is not second:
            from_ids = [(first, second)]
        id_text = f"slug codes {'/'.join(slug.codes)}"
    if data.home_first:
        from_ids = [(b, a) for a, b in from_ids]
    return from_ids, id_text


def _teams_checked(
    book: TeamBook,
    data: LeagueData,
    market: Market,
    from_ids: list[tuple[Team, Team]],
    id_text: str,
    reasons: list[str],
) -> tuple[Team, Team, float]:
    """Teams from names, cross-checked against the identifiers' teams (either alone will do)."""
    league = data.league
    away_name, home_name = market.away, market.home
    if not (away_name and home_name):
        away_name, home_name = _from_title(market.title, data.home_first)
    named: tuple[TeamHit, TeamHit] | None = None
    if away_name and home_name:
        named = (book.lookup(away_name, league), book.lookup(home_name, league))
        if not (named[0] and named[1]):
            failed = named[0] if not named[0] else named[1]
            if not from_ids:
                raise Rejected(f"team not resolved: {failed.how}")
            reasons.append(f"names not used: {failed.how}")
            named = None
        elif named[0].team is named[1].team:
            raise Rejected(f"both teams resolve to {named[0].team.name}")  # type: ignore[union-attr]
    if named is not None:
        a, b = named[0].team, named[1].team
        assert a is not None and b is not None
        if from_ids:
            agreeing = [pair for pair in from_ids if {pair[0].id, pair[1].id} == {a.id, b.id}]
            if not agreeing:
                ids = " / ".join(f"{x.name}-{y.name}" for x, y in from_ids)
                raise Rejected(
                    f"{id_text} ({ids}) disagree with names {away_name!r} at {home_name!r}"
                )
            if agreeing[0][0] is not a:
                reasons.append(f"{market.venue}: {id_text} order differs from its home/away fields")
                return a, b, 0.9
            reasons.append(f"{market.venue}: {id_text} agree with {away_name!r} at {home_name!r}")
            return a, b, 1.0
        confidence = min(named[0].confidence, named[1].confidence, 0.95)
        reasons.append(f"{market.venue}: teams from names only ({named[0].how}; {named[1].how})")
        return a, b, confidence
    if len(from_ids) == 1:
        reasons.append(f"{market.venue}: teams from {id_text} only")
        return from_ids[0][0], from_ids[0][1], 0.95
    if from_ids:
        raise Rejected(f"{id_text} split several ways")
    raise Rejected(f"teams not found ({id_text or 'no identifier'}, no home/away names)")


def _from_title(title: str, home_first: bool) -> tuple[str | None, str | None]:
    text = _TITLE_SUFFIX.sub("", _TITLE_PREFIX.sub("", title.strip()))
    for separator, first_is_away in (
        (" at ", True),
        (" @ ", True),
        (" vs. ", not home_first),
        (" vs ", not home_first),
    ):
        if separator in text:
            left, _, right = text.partition(separator)
            return (left.strip(), right.strip()) if first_is_away else (right.strip(), left.strip())
    return None, None


def _claims(
    book: TeamBook, view: View, code: str | None, token_code: str | None
) -> dict[str, Claim]:
    """Every contract's claim. ``code``: the YES team's code for team-labelled contracts (a
    Kalshi suffix); ``token_code``: what "Yes"/"No"-labelled tokens are about (a slug suffix)."""
    claims: dict[str, Claim] = {}
    for contract in view.market.contracts:
        claims[contract.contract_id] = _claim(book, view, contract, code, token_code)
    positive = [c.team.id if c.team else "draw" for c in claims.values() if not c.negated]
    if len(positive) != len(set(positive)):
        raise Rejected("two outcomes of one market name the same team")
    return claims


def _claim(
    book: TeamBook,
    view: View,
    contract: Contract,
    code: str | None,
    token_code: str | None,
) -> Claim:
    league = view.league.league
    game = {view.away.id: view.away, view.home.id: view.home}
    label = contract.subject or contract.outcome
    key = normalize(label)
    negated = contract.negated
    if key in _YES_NO and token_code:
        code, negated = token_code, _YES_NO[key] != contract.negated
        label = ""
    by_code: Team | None = None
    draw_by_code = code is not None and code in DRAW_CODES
    if code and not draw_by_code:
        by_code = book.by_code(code, league, view.market.venue)
        if by_code is None and not code.isalpha():
            raise Rejected(f"ticker suffix {code} is no team code (a line?): YES team unconfirmed")
    if key in _DRAW_LABELS or draw_by_code:
        if not view.league.has_draw:
            raise Rejected(f"a draw outcome in {league}, which has no draws")
        label_draw = key in _DRAW_LABELS
        if (label_draw and code and not draw_by_code) or (
            draw_by_code and label and not label_draw
        ):
            raise Rejected(f"outcome {label!r} and code {code} disagree about a draw")
        return Claim(None, negated, 1.0, "the draw")
    hit = book.lookup(label, league) if label else None
    if hit is not None and not hit:
        if by_code is None:
            raise Rejected(f"outcome not resolved: {hit.how}")
        hit = None
    if hit is not None and by_code is not None and hit.team is not by_code:
        raise Rejected(f"outcome {label!r} is {hit.team.name} but code {code} is {by_code.name}")  # type: ignore[union-attr]
    team = by_code or (hit.team if hit else None)
    if team is None:
        raise Rejected(f"outcome {label!r} names no team")
    if team.id not in game:
        raise Rejected(f"outcome {label!r} ({team.name}) is not a team of this game")
    if by_code is not None and hit is not None:
        return Claim(team, negated, 1.0, f"{label!r} and code {code} are {team.name}")
    if by_code is not None:
        return Claim(team, negated, 1.0, f"code {code} is {team.name}")
    assert hit is not None
    return Claim(team, negated, hit.confidence, hit.how)
