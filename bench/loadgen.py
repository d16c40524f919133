"""Generate a large replay directory with planted crossing windows and their answer key.

The load for ``bench/bench_e2e.py``: N games over NBA, NHL, NFL and college football, spread over
several dates, listed on both venues in their real REST formats (Gamma events, CLOB books, Kalshi
series/events/orderbooks) with both venues' streams (Polymarket ``book`` and ``price_change`` with
absolute sizes, Kalshi ``orderbook_snapshot`` and ``orderbook_delta`` with consecutive ``seq`` per
``sid``). The REST writers are tools/make_sample.py's, so the payloads are the sample's, field for
field; only the slate and the stream script are new here.

Pricing: every book is quoted 3 cents either side of a fair price, so every complementary pair
(cross-venue or complete set) costs at least $1.06 before fees, and stream noise changes sizes and
deep levels only, never a best price. The only opportunities are the planted windows: one venue's
books of a game jump 10 cents for a few messages (a cross-venue pair at $0.96 before fees, at
least $0.013 a contract after both venues' fees), then jump back. ``answer_key.json`` lists each
window: its game, the contracts of the profitable pairs and the ``ts`` range it is open,
``[open_ts, close_ts)``.

    python bench/loadgen.py --games 500 --messages 100000 --out DIR [--seed N] [--windows W]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LEAGUE_DATA = REPO / "src" / "arbkit" / "matching" / "data" / "leagues"
CAPTURED_AT = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
T0_MS = int(CAPTURED_AT.timestamp() * 1000) + 1000
STEP_MS = 3  # between consecutive stream messages (both venues merged)
SHIFT = Decimal("0.10")  # a planted window moves one venue's prices this much
HALF_SPREAD = Decimal("0.03")
CENT = Decimal("0.01")
ONE = Decimal(1)
Json = dict[str, Any]


def load_make_sample() -> ModuleType:
    """tools/make_sample.py as a module (tools/ is not a package), for its payload writers."""
    path = REPO / "tools" / "make_sample.py"
    spec = importlib.util.spec_from_file_location("arbkit_make_sample", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


MS = load_make_sample()


# --------------------------------------------------------------------------- leagues and teams

#: league key → (league data file, how Kalshi labels a team, how Polymarket labels it)
LEAGUE_FILES = {"nba": "nba", "nhl": "nhl", "nfl": "nfl", "cfb": "ncaaf"}
#: Polymarket lists a spread and a total beside each moneyline (never paired with Kalshi here;
#: quoted 0.49 / 0.51, a complete set costs $1.02 before fees)
EXTRAS = {
    "nba": (MS.spread("home", "-4.5"), MS.total("224.5")),
    "nhl": (MS.spread("home", "-1.5"), MS.total("6.5")),
    "nfl": (MS.spread("home", "-3.5"), MS.total("44.5")),
    "cfb": (MS.spread("home", "-7.5"), MS.total("52.5")),
}
#: (league, Kalshi code) → the league data's standard code, which arbkit's game ids use
STANDARD: dict[tuple[str, str], str] = {}


def _register_leagues() -> None:
    """Add NFL and college football to make_sample's leagues (it ships NBA, NHL and CBB)."""
    nba = MS.LEAGUES["nba"]
    MS.LEAGUES.setdefault(
        "nfl",
        replace(
            nba,
            key="nfl",
            name="NFL",
            canonical="NFL",
            kalshi_series="KXNFLGAME",
            kalshi_series_title="Professional Football Game",
            kalshi_competition="Pro Football",
            kalshi_tag="Football",
            kalshi_fee_type="quadratic_with_maker_fees",
            sport_words="professional football game",
            strike_key="football_team",
            resolution="https://www.nfl.com/",
            pm_sport_id=10,
            pm_tag_id="450",
            pm_tag_label="NFL",
            pm_series_id="12185",
            pm_series_slug="nfl-2026",
            pm_series_title="NFL 2026",
        ),
    )
    MS.LEAGUES.setdefault(
        "cfb",
        replace(
            nba,
            key="cfb",
            name="CFB",
            canonical="NCAAF",
            kalshi_series="KXNCAAFGAME",
            kalshi_series_title="College Football Game",
            kalshi_competition="College Football",
            kalshi_tag="Football",
            kalshi_fee_type="quadratic_with_maker_fees",
            sport_words="college football game",
            strike_key="football_team",
            resolution="https://www.ncaa.com/",
            pm_sport_id=15,
            pm_tag_id="100351",
            pm_tag_label="CFB",
            pm_series_id="12310",
            pm_series_slug="cfb-2026",
            pm_series_title="CFB 2026",
            depth=Decimal("0.5"),
        ),
    )


def _team(league: str, entry: Json) -> Any:
    """One make_sample Team from a team record of the league data (the matcher's own file)."""
    k_code, pm_code = entry["codes"]["kalshi"][0], entry["codes"]["polymarket"][0]
    name, nick = entry["name"], entry["nickname"]
    if league == "cfb":
        school = entry.get("school", name)
        return MS.Team(league, name, nick, k_code, school, school, pm_code, school, "8-4")
    if league == "nhl":
        return MS.Team(league, name, nick, k_code, entry["city"], f"{k_code} {nick}", pm_code,
                       nick, "10-8-2")  # fmt: skip
    return MS.Team(league, name, nick, k_code, entry["city"], entry["city"], pm_code, nick, "9-8")


def league_teams(league: str) -> list[Any]:
    """The league's teams with both venues' codes; shared cities are left out (ambiguous labels)."""
    data = json.loads((LEAGUE_DATA / f"{LEAGUE_FILES[league]}.json").read_text("utf-8"))
    entries = [
        t for t in data["teams"] if t["codes"].get("kalshi") and t["codes"].get("polymarket")
    ]
    cities = [t["city"] for t in entries]
    if league != "cfb":
        entries = [t for t in entries if cities.count(t["city"]) == 1]
    teams = [_team(league, t) for t in entries]
    for team, entry in zip(teams, entries, strict=True):
        MS.TEAMS[(league, team.kalshi_code)] = team
        STANDARD[(league, team.kalshi_code)] = entry["codes"]["standard"][0]
    return teams


# --------------------------------------------------------------------------- the slate


def plan_games(n_games: int, rng: random.Random) -> list[Any]:
    """``n_games`` games round-robin over the leagues; a team plays at most once a date."""
    _register_leagues()
    leagues = list(LEAGUE_FILES)
    rosters = {lg: league_teams(lg) for lg in leagues}
    pending: dict[str, list[tuple[Any, Any]]] = {lg: [] for lg in leagues}
    day: dict[str, int] = dict.fromkeys(leagues, 0)
    games = []
    for index in range(n_games):
        lg = leagues[index % len(leagues)]
        if not pending[lg]:
            day[lg] += 1
            teams = rosters[lg][:]
            rng.shuffle(teams)
            pending[lg] = [(teams[i], teams[i + 1]) for i in range(0, len(teams) - 1, 2)]
        away, home = pending[lg].pop()
        slot = len(pending[lg]) % 4
        start = CAPTURED_AT.replace(hour=0) + timedelta(days=day[lg], hours=23, minutes=30 * slot)
        fair = Decimal(rng.randint(25, 75)) / 100
        games.append(make_game(f"G{index}", lg, away, home, start, fair))
    return games


def make_game(key: str, league: str, away: Any, home: Any, start: datetime, fair: Decimal) -> Any:
    """A make_sample Game quoted HALF_SPREAD either side of ``fair`` (the away team's chance)."""
    return MS.Game(
        key,
        league,
        away.kalshi_code,
        home.kalshi_code,
        start,
        MS.PmQuote(str(fair - HALF_SPREAD), str(fair + HALF_SPREAD)),
        MS.KQuote(str(fair - HALF_SPREAD), str(fair + HALF_SPREAD)),
        MS.KQuote(str(ONE - fair - HALF_SPREAD), str(ONE - fair + HALF_SPREAD)),
        extras=EXTRAS[league],
    )


def game_id(game: Any) -> str:
    """arbkit's game id: ``LEAGUE:ET-date:AWAY@HOME`` with the teams' standard codes."""
    lg = MS.LEAGUES[game.league].canonical
    away, home = STANDARD[(game.league, game.away)], STANDARD[(game.league, game.home)]
    return f"{lg}:{game.et_date:%Y-%m-%d}:{away}@{home}"


# --------------------------------------------------------------------------- stream state


@dataclass
class PmState:
    """A Polymarket market and each token's current book (they need not mirror mid-window)."""

    market: Any
    books: list[Any]
    universe: list[list[tuple[str, Decimal]]]  # per token: (side, price) of its initial levels


@dataclass
class KState:
    market: Any
    universe: list[tuple[str, Decimal]]


@dataclass
class Stream:
    """Both venues' stream lines, each with a unique stamp, and Kalshi's sequence per sid."""

    pm: list[tuple[int, Json]] = field(default_factory=list)
    kalshi: list[tuple[int, Json]] = field(default_factory=list)
    seq: dict[int, int] = field(default_factory=dict)
    count: int = 0

    def stamp(self) -> int:
        self.count += 1
        return T0_MS + self.count * STEP_MS

    def next_seq(self, sid: int) -> int:
        self.seq[sid] = self.seq.get(sid, 0) + 1
        return self.seq[sid]


def pm_book_msg(st: PmState, index: int, ts: int) -> Json:
    m = st.market
    bids, asks = MS.wire_levels(st.books[index])
    return {
        "event_type": "book",
        "asset_id": m.tokens[index],
        "market": m.condition_id,
        "bids": bids,
        "asks": asks,
        "timestamp": str(ts - 20),
        "hash": MS.hex32("book", m.tokens[index], ts)[2:42],
        "tick_size": MS.pm_text(m.tick),
        "last_trade_price": f"{m.last_trade:.3f}",
    }


def pm_price_change(st: PmState, side: str, price: Decimal, size: Decimal, ts: int) -> Json:
    """Outcome[0]'s level set to an absolute size, and the mirror level of token 1, one frame."""
    m = st.market
    other = "SELL" if side == "BUY" else "BUY"
    changes = []
    for index, (s, p) in enumerate(((side, price), (other, ONE - price))):
        levels = st.books[index].bids if s == "BUY" else st.books[index].asks
        if size > 0:
            levels[p] = size
        else:
            levels.pop(p, None)
        book = st.books[index]
        changes.append(
            {
                "asset_id": m.tokens[index],
                "price": MS.pm_text(p),
                "size": MS.pm_text(size),
                "side": s,
                "hash": MS.hex32("pc", m.tokens[index], ts)[2:42],
                "best_bid": MS.pm_text(book.best_bid()),
                "best_ask": MS.pm_text(book.best_ask()),
            }
        )
    return {
        "market": m.condition_id,
        "price_changes": changes,
        "timestamp": str(ts - 20),
        "event_type": "price_change",
    }


def k_levels(levels: dict[Decimal, Decimal]) -> list[list[str]]:
    return [[MS.k_price(p), MS.k_count(s)] for p, s in sorted(levels.items())]


def k_snapshot(stream: Stream, km: Any) -> Json:
    return {
        "type": "orderbook_snapshot",
        "sid": km.sid,
        "seq": stream.next_seq(km.sid),
        "msg": {
            "market_ticker": km.ticker,
            "market_id": km.market_id,
            "yes_dollars_fp": k_levels(km.book.yes),
            "no_dollars_fp": k_levels(km.book.no),
        },
    }


def k_delta(stream: Stream, km: Any, side: str, price: Decimal, delta: Decimal, ts: int) -> Json:
    levels = km.book.yes if side == "yes" else km.book.no
    new = levels.get(price, Decimal(0)) + delta
    if new > 0:
        levels[price] = new
    else:
        levels.pop(price, None)
    sent = ts - 30
    return {
        "type": "orderbook_delta",
        "sid": km.sid,
        "seq": stream.next_seq(km.sid),
        "msg": {
            "market_ticker": km.ticker,
            "market_id": km.market_id,
            "price_dollars": MS.k_price(price),
            "delta_fp": MS.k_count(delta),
            "side": side,
            "ts": MS.iso(datetime.fromtimestamp(sent / 1000, UTC)),
            "ts_ms": sent,
        },
    }


# --------------------------------------------------------------------------- noise


def _best_levels(book: Any) -> set[tuple[str, Decimal]]:
    return {("BUY", book.best_bid()), ("SELL", book.best_ask())}


def pm_noise(st: PmState, rng: random.Random, ts: int) -> Json:
    """A size change, removal or re-add of one level of outcome[0]; best prices never move."""
    book = st.books[0]
    side, price = rng.choice(st.universe[0])
    levels = book.bids if side == "BUY" else book.asks
    if price in levels and (side, price) not in _best_levels(book) and rng.random() < 0.2:
        size = Decimal(0)
    else:
        size = Decimal(rng.randint(50, 6000))
    return pm_price_change(st, side, price, size, ts)


def k_noise(stream: Stream, ks: KState, rng: random.Random, ts: int) -> Json:
    """A delta on one level: grows or shrinks it; deep levels may go and come back."""
    km = ks.market
    side, price = rng.choice(ks.universe)
    levels = km.book.yes if side == "yes" else km.book.no
    size = levels.get(price, Decimal(0))
    best = max(levels) if levels else None
    if size == 0:
        delta = Decimal(rng.randint(50, 3000))
    elif price != best and rng.random() < 0.2:
        delta = -size
    else:
        delta = Decimal(rng.randint(-int(size) // 2, 3000)) or ONE
    return k_delta(stream, km, side, price, delta, ts)


# --------------------------------------------------------------------------- planted windows


@dataclass
class Window:
    game: Any
    venue: str
    pairs: list[list[str]]
    open_ts: int = 0
    close_ts: int = 0


def shifted_pm(st: PmState, index: int, up: bool) -> Any:
    """Token ``index``'s book moved SHIFT up or down, whole ladder (deep far levels kept)."""
    sign = SHIFT if up else -SHIFT
    book = st.books[index]
    move = {p: p + sign for p in list(book.bids) + list(book.asks) if CENT * 5 < p < CENT * 95}
    return MS.PmBook(
        {move.get(p, p): s for p, s in book.bids.items()},
        {move.get(p, p): s for p, s in book.asks.items()},
    )


def shifted_k(km: Any, up: bool) -> Any:
    """A Kalshi market's YES price moved SHIFT up (NO bids down) or down, far levels kept."""
    sign = SHIFT if up else -SHIFT

    def move(levels: dict[Decimal, Decimal], d: Decimal) -> dict[Decimal, Decimal]:
        return {(p + d if CENT * 5 < p < CENT * 95 else p): s for p, s in levels.items()}

    return MS.KBook(move(km.book.yes, sign), move(km.book.no, -sign))


def pm_window_pairs(game: Any, pm: PmState, ks: list[KState]) -> list[list[str]]:
    """Cheap PM away token + Kalshi 'away does not win' (and + 'home wins' where no tie)."""
    token = pm.market.tokens[0]
    pairs = [[token, f"{ks[0].market.ticker}:no"]]
    if game.league != "nfl":
        pairs.append([token, f"{ks[1].market.ticker}:yes"])
    return pairs


def open_pm_window(stream: Stream, st: PmState, w: Window) -> None:
    """Home token up first, then away token down: no intermediate complete set on Polymarket."""
    saved = [st.books[0], st.books[1]]
    st.saved = saved  # type: ignore[attr-defined]
    st.books[1] = shifted_pm(st, 1, up=True)
    ts = stream.stamp()
    stream.pm.append((ts, pm_book_msg(st, 1, ts)))
    st.books[0] = shifted_pm(st, 0, up=False)
    w.open_ts = stream.stamp()
    stream.pm.append((w.open_ts, pm_book_msg(st, 0, w.open_ts)))


def close_pm_window(stream: Stream, st: PmState, w: Window) -> None:
    st.books[0], st.books[1] = st.saved  # type: ignore[attr-defined]
    w.close_ts = stream.stamp()
    stream.pm.append((w.close_ts, pm_book_msg(st, 0, w.close_ts)))
    ts = stream.stamp()
    stream.pm.append((ts, pm_book_msg(st, 1, ts)))


def open_k_window(stream: Stream, ks: KState, w: Window) -> None:
    """The away market's YES jumps up: its NO is cheap against Polymarket's away token."""
    km = ks.market
    ks.saved = km.book  # type: ignore[attr-defined]
    km.book = shifted_k(km, up=True)
    w.open_ts = stream.stamp()
    stream.kalshi.append((w.open_ts, k_snapshot(stream, km)))


def close_k_window(stream: Stream, ks: KState, w: Window) -> None:
    km = ks.market
    km.book = ks.saved  # type: ignore[attr-defined]
    w.close_ts = stream.stamp()
    stream.kalshi.append((w.close_ts, k_snapshot(stream, km)))


# --------------------------------------------------------------------------- the script


@dataclass
class Load:
    games: list[Any]
    pm: list[PmState]  # each game's moneyline
    kalshi: list[list[KState]]
    extras: list[list[PmState]]  # each game's spread and total


def build_load(n_games: int, rng: random.Random) -> Load:
    games = plan_games(n_games, rng)
    pm_states, k_states, extras = [], [], []
    for sid, game in enumerate(games, start=1):
        markets = [pm_state(m) for m in MS.build_pm_markets(game)]
        pm_states.append(markets[0])
        extras.append(markets[1:])
        kms = MS.build_k_markets(game, sid)
        k_states.append(
            [
                KState(km, [("yes", p) for p in km.book.yes] + [("no", p) for p in km.book.no])
                for km in kms
            ]  # fmt: skip
        )
    return Load(games, pm_states, k_states, extras)


def pm_state(market: Any) -> PmState:
    books = [market.token_book(0), market.token_book(1)]
    universe = [[("BUY", p) for p in b.bids] + [("SELL", p) for p in b.asks] for b in books]
    return PmState(market, books, universe)


def script(
    load: Load, n_messages: int, n_windows: int, rng: random.Random
) -> tuple[Stream, list[Window]]:  # noqa: E501
    """Kalshi's opening snapshots, then noise with windows spread evenly through it."""
    stream = Stream()
    for ks_pair in load.kalshi:
        for ks in ks_pair:
            ts = stream.stamp()
            stream.kalshi.append((ts, k_snapshot(stream, ks.market)))
    n = len(load.games)
    budget = n_messages - stream.count - 4 * n_windows
    if budget < n_windows * 8:
        raise SystemExit("loadgen: too few messages for the games and windows asked for")
    every = budget // max(n_windows, 1)
    windows: list[Window] = []
    pending: list[tuple[int, Window, int]] = []  # (close after this many noise msgs, window, gi)
    noise_done = 0
    while stream.count < n_messages:
        started = len(windows)
        room = n_messages - stream.count
        if (
            started < n_windows
            and not pending
            and room > 20
            and noise_done >= started * every + every // 2
        ):
            gi = (started * 7919) % n
            w = _open_window(stream, load, gi, started)
            windows.append(w)
            pending.append((noise_done + rng.randint(3, 6), w, gi))
            continue
        if pending and (noise_done >= pending[0][0] or room <= 2):
            _, w, gi = pending.pop()
            _close_window(stream, load, gi, w)
            continue
        busy = {gi for _, _, gi in pending}
        _noise(stream, load, rng, busy)
        noise_done += 1
    assert stream.count == n_messages and not pending, (stream.count, pending)
    return stream, windows


def _open_window(stream: Stream, load: Load, gi: int, number: int) -> Window:
    game = load.games[gi]
    if number % 2 == 0:
        w = Window(game, "polymarket", pm_window_pairs(game, load.pm[gi], load.kalshi[gi]))
        open_pm_window(stream, load.pm[gi], w)
    else:
        token = load.pm[gi].market.tokens[0]
        w = Window(game, "kalshi", [[token, f"{load.kalshi[gi][0].market.ticker}:no"]])
        open_k_window(stream, load.kalshi[gi][0], w)
    return w


def _close_window(stream: Stream, load: Load, gi: int, w: Window) -> None:
    if w.venue == "polymarket":
        close_pm_window(stream, load.pm[gi], w)
    else:
        close_k_window(stream, load.kalshi[gi][0], w)


def _noise(stream: Stream, load: Load, rng: random.Random, busy: set[int]) -> None:
    gi = rng.randrange(len(load.games))
    while gi in busy:
        gi = rng.randrange(len(load.games))
    ts = stream.stamp()
    if rng.random() < 0.5:
        st = rng.choice([load.pm[gi], *load.extras[gi]])
        stream.pm.append((ts, pm_noise(st, rng, ts)))
    else:
        stream.kalshi.append((ts, k_noise(stream, rng.choice(load.kalshi[gi]), rng, ts)))


# --------------------------------------------------------------------------- writing


def write_lines(path: Path, lines: list[tuple[int, Json]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for ts, msg in lines:
            out.write(json.dumps({"ts": ts, "msg": msg}, separators=(",", ":")))
            out.write("\n")


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def rest_payloads(load: Load) -> Iterator[tuple[str, Any]]:
    """Each venue's REST files, built from the books as they stand at capture."""
    captured = int(CAPTURED_AT.timestamp() * 1000)
    markets = [
        [st.market] + [x.market for x in xs] for st, xs in zip(load.pm, load.extras, strict=True)
    ]
    yield "polymarket/events.json", [MS.gamma_event(ms[0].game, ms) for ms in markets]
    yield (
        "polymarket/books.json",
        [MS.clob_book(m, i, m.tick, captured - 500) for ms in markets for m in ms for i in (0, 1)],
    )
    leagues = sorted({g.league for g in load.games})
    yield "kalshi/series.json", [MS.kalshi_series(MS.LEAGUES[lg]) for lg in leagues]
    yield (
        "kalshi/events.json",
        [
            MS.kalshi_event(g, [ks.market for ks in pair])
            for g, pair in zip(load.games, load.kalshi, strict=True)
        ],
    )
    yield (
        "kalshi/orderbooks.json",
        {
            ks.market.ticker: MS.kalshi_orderbook(ks.market.book)
            for pair in load.kalshi
            for ks in pair
        },
    )


def answer_key(windows: list[Window], n_games: int, n_messages: int, seed: int) -> Json:
    return {
        "games": n_games,
        "messages": n_messages,
        "seed": seed,
        "windows": [
            {
                "game": game_id(w.game),
                "venue": w.venue,
                "pairs": w.pairs,
                "open_ts": w.open_ts,
                "close_ts": w.close_ts,
            }
            for w in windows
        ],
    }


def generate(
    out: Path, games: int, messages: int, seed: int = 1, windows: int | None = None
) -> Json:
    """Write the replay directory and its answer key; returns the key."""
    rng = random.Random(seed)
    n_windows = max(1, messages // 2000) if windows is None else windows
    load = build_load(games, rng)
    # The REST snapshot is taken before the stream script mutates the books.
    rest = list(rest_payloads(load))
    stream, planted = script(load, messages, n_windows, rng)
    for sub in ("polymarket", "kalshi"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for name, data in rest:
        write_json(out / name, data)
    write_lines(out / "polymarket" / "stream.jsonl", stream.pm)
    write_lines(out / "kalshi" / "stream.jsonl", stream.kalshi)
    manifest = {
        "description": f"bench load: {games} games, {messages} stream messages, seed {seed}",
        "captured_at": MS.iso(CAPTURED_AT),
        "source": "bench/loadgen.py",
    }
    write_json(out / "manifest.json", manifest)
    key = answer_key(planted, games, messages, seed)
    write_json(out / "answer_key.json", key)
    return key


# --------------------------------------------------------------------------- checking a scan


@dataclass
class Verdict:
    """How a scan's reported changes compare with the answer key."""

    windows: int
    caught: int  # windows whose every pair was reported while the window was open
    pairs: int
    pairs_caught: int
    false_positives: list[str]  # opportunities reported outside every window
    lines: int

    @property
    def exact(self) -> bool:
        return self.caught == self.windows and not self.false_positives


def epoch_ms(text: str) -> int:
    """The ``at`` of a scan line (ISO 8601, microseconds) as epoch milliseconds."""
    moment = datetime.fromisoformat(text)
    return int(moment.timestamp() * 1000 + 0.5)


def check(key: Json, lines: Iterator[str] | list[str]) -> Verdict:
    """Match ``scan --watch --json`` lines against the planted windows of ``key``."""
    windows = key["windows"]
    open_pairs: dict[tuple[str, frozenset[str]], list[tuple[int, int]]] = {}
    for w in windows:
        for pair in w["pairs"]:
            open_pairs.setdefault((w["game"], frozenset(pair)), []).append(
                (w["open_ts"], w["close_ts"])
            )
    seen: set[tuple[str, frozenset[str], int]] = set()
    false: list[str] = []
    count = 0
    for line in lines:
        if not line.strip():
            continue
        count += 1
        row = json.loads(line)
        if row.get("change") not in ("appeared", "changed"):
            continue
        contracts = frozenset(leg["contract"] for leg in row["opportunity"]["legs"])
        at = epoch_ms(row["at"])
        spans = open_pairs.get((row["game"], contracts), [])
        hit = next((lo for lo, hi in spans if lo <= at < hi), None)
        if hit is None:
            false.append(f"{row['at']} {row['change']} {row['game']} {sorted(contracts)}")
        else:
            seen.add((row["game"], contracts, hit))
    caught = sum(
        all((w["game"], frozenset(p), w["open_ts"]) in seen for p in w["pairs"]) for w in windows
    )
    n_pairs = sum(len(w["pairs"]) for w in windows)
    return Verdict(len(windows), caught, n_pairs, len(seen), false, count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--windows", type=int, default=None, help="default: messages / 2000")
    args = parser.parse_args(argv)
    key = generate(args.out, args.games, args.messages, args.seed, args.windows)
    print(
        f"{args.out}: {args.games} games, {args.messages} messages, {len(key['windows'])} windows"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
