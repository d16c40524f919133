"""``arbkit match``: compare team names, pair markets across venues, review and override matches.

Everything goes through the one :class:`~arbkit.matching.MatchingService`; this module only
loads markets (live, sample, replay or raw venue files), prints, and stores decisions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState
from arbkit.errors import ArbkitError, ConfigError
from arbkit.matching.scoring import DEFAULT_MIN_CONFIDENCE
from arbkit.models import Market, Relation

if TYPE_CHECKING:  # the service, the store and asyncio are imported by the commands that use them
    from arbkit.matching import MatchingService, MatchReport


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Bad input becomes ``Error: ...`` and exit status 1, never a traceback."""
    try:
        yield
    except ArbkitError as exc:
        raise click.ClickException(str(exc)) from exc


def register(cli: click.Group) -> None:
    @cli.group(name="match")
    def match_group() -> None:
        """Match teams and markets across venues; review and override matches."""

    @match_group.command(name="team")
    @click.argument("a")
    @click.argument("b")
    @click.option("--league", help="Only this league (e.g. nba); default: any single league.")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def team_command(state: AppState, a: str, b: str, league: str | None, json_: bool) -> None:
        """Say whether two names are the same team."""
        from arbkit.matching import MatchingService
        from arbkit.matching.compare import compare_teams

        with _one_line_errors():
            service = MatchingService.from_plugins(state.plugin_manager)
            _check_leagues(service, (league,) if league else ())
            result = compare_teams(service.book, a, b, league)
        if json_:
            echo_json(result.as_dict())
            return
        click.echo(
            f"Team match: {a!r} vs {b!r} -> {result.match} "
            f"(confidence: {result.confidence:.2f}, league: {result.league or '-'})"
        )

    @match_group.command(name="markets")
    @click.option("--sample", is_flag=True, help="Use the sample data set shipped with arbkit.")
    @click.option(
        "--replay", "replay_dir", type=click.Path(path_type=Path), help="A replay directory."
    )
    @click.option(
        "--markets",
        "market_files",
        multiple=True,
        metavar="VENUE=FILE",
        help="A venue's raw market/event objects (JSON or JSONL); repeat for each venue.",
    )
    @click.option(
        "--polymarket",
        "poly_file",
        type=click.Path(path_type=Path),
        help="Short for --markets polymarket=FILE (Gamma events/markets).",
    )
    @click.option(
        "--kalshi",
        "kalshi_file",
        type=click.Path(path_type=Path),
        help="Short for --markets kalshi=FILE (Kalshi markets/events).",
    )
    @click.option("--league", "leagues", multiple=True, help="Only this league (repeatable).")
    @click.option(
        "--min-confidence",
        type=click.FloatRange(0, 1),
        default=DEFAULT_MIN_CONFIDENCE,
        show_default=True,
        help="Links under this are near-misses.",
    )
    @click.option(
        "--save/--no-save", default=True, show_default=True, help="Store matches in the DB."
    )
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def markets_command(
        state: AppState,
        sample: bool,
        replay_dir: Path | None,
        market_files: tuple[str, ...],
        poly_file: Path | None,
        kalshi_file: Path | None,
        leagues: tuple[str, ...],
        min_confidence: float,
        save: bool,
        json_: bool,
    ) -> None:
        """Pair markets across venues: which contract on one venue pays with which on another."""
        from arbkit.matching import MatchingService, save_matches

        with _one_line_errors():
            files = _market_files(market_files, poly_file, kalshi_file)
            sources = sum(bool(x) for x in (sample, replay_dir, files))
            if sources > 1:
                raise ConfigError("use one of --sample, --replay, or --markets VENUE=FILE")
            service = MatchingService.from_plugins(
                state.plugin_manager, overrides=state.store, min_confidence=min_confidence
            )
            wanted = _check_leagues(service, leagues)
            markets = _load_markets(state, sample, replay_dir, files, wanted)
            if wanted:
                markets = [m for m in markets if (m.league or "").upper() in wanted]
            report = service.match(markets)
            if save:
                save_matches(state.store.db, report.matches)
        matches, misses = _match_rows(report), _miss_rows(report)
        if json_:
            echo_json({"matches": matches, "near_misses": misses})
            return
        _print_matches(report)
        click.echo(
            f"{len(report.matches)} games, {len(matches)} links, {len(misses)} near-misses",
            err=True,
        )

    @match_group.command(name="confirm")
    @click.argument("left_contract")
    @click.argument("right_contract")
    @click.option(
        "--relation",
        type=click.Choice(["same", "opposite"]),
        required=True,
        help="same: LEFT pays when RIGHT's YES does; opposite: when its NO does.",
    )
    @click.option("--note", help="Why (kept with the decision).")
    @click.pass_obj
    def confirm_command(
        state: AppState,
        left_contract: str,
        right_contract: str,
        relation: str,
        note: str | None,
    ) -> None:
        """Force a pair from now on, as `match markets` shows it: LEFT_CONTRACT on one venue
        (a Polymarket token id, say), RIGHT_CONTRACT on the other (a Kalshi ticker, or its
        :yes / :no contract)."""
        from arbkit.matching import save_override

        with _one_line_errors():
            saved = save_override(
                state.store.db,
                left_contract,
                right_contract,
                "confirm",
                Relation(relation),
                note,
            )
        click.echo(f"Confirmed: {saved.left} {saved.relation} {saved.right}")

    @match_group.command(name="reject")
    @click.argument("left_contract")
    @click.argument("right_contract")
    @click.option("--note", help="Why (kept with the decision).")
    @click.pass_obj
    def reject_command(
        state: AppState, left_contract: str, right_contract: str, note: str | None
    ) -> None:
        """Forbid a pair: from now on the matcher never links them."""
        from arbkit.matching import save_override

        with _one_line_errors():
            saved = save_override(
                state.store.db, left_contract, right_contract, "reject", note=note
            )
            state.store.db.execute(
                "delete from matches where left_contract = ? and right_contract = ?",
                [saved.left, saved.right],
            )
        click.echo(f"Rejected: {saved.left} / {saved.right}")

    @match_group.command(name="list")
    @click.option("--league", help="Only this league.")
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def list_command(state: AppState, league: str | None, json_: bool) -> None:
        """Stored matches with confidence and reasons, and the overrides."""
        from arbkit.matching import load_overrides, stored_matches

        with _one_line_errors():
            rows = stored_matches(state.store.db, league)
            overrides = load_overrides(state.store.db)
        if json_:
            echo_json(
                {
                    "matches": rows,
                    "overrides": [
                        {
                            "left": o.left,
                            "right": o.right,
                            "decision": o.decision,
                            "relation": o.relation,
                            "note": o.note,
                        }
                        for o in overrides.by_pair.values()
                    ],
                }
            )
            return
        for row in rows:
            row["reasons"] = "; ".join(row["reasons"])
            row["confidence"] = f"{row['confidence']:.2f}"
        click.echo(
            render_table(
                rows,
                [
                    "game_id",
                    "left_contract",
                    "right_contract",
                    "relation",
                    "confidence",
                    "source",
                    "reasons",
                ],
            )
        )
        for o in overrides.by_pair.values():
            click.echo(
                " ".join(
                    str(x)
                    for x in ("override:", o.decision, o.left, o.relation, o.right, o.note)
                    if x
                )
            )
        click.echo(f"{len(rows)} stored matches, {len(overrides)} overrides", err=True)


def _check_leagues(service: MatchingService, leagues: tuple[str | None, ...]) -> set[str]:
    known = set(service.book.leagues)
    wanted = {league.upper() for league in leagues if league}
    unknown = sorted(wanted - known)
    if unknown:
        raise ConfigError(
            f"unknown league {unknown[0].lower()!r} (known: {', '.join(sorted(known)).lower()})"
        )
    return wanted


def _market_files(
    pairs: tuple[str, ...], poly_file: Path | None, kalshi_file: Path | None
) -> dict[str, Path]:
    """``--markets VENUE=FILE`` (and its two short forms) as venue → file."""
    files: dict[str, Path] = {}
    for pair in pairs:
        venue, sep, path = pair.partition("=")
        if not sep or not venue.strip() or not path.strip():
            raise ConfigError(f"--markets {pair!r}: expected VENUE=FILE")
        if venue.strip() in files:
            raise ConfigError(f"--markets names {venue.strip()} twice")
        files[venue.strip()] = Path(path.strip())
    for venue, path in (("polymarket", poly_file), ("kalshi", kalshi_file)):
        if path is not None:
            if venue in files:
                raise ConfigError(f"--{venue} and --markets {venue}=... both given")
            files[venue] = path
    if len(files) == 1:
        raise ConfigError("matching needs markets from two venues or more: repeat --markets")
    return files


def _load_markets(
    state: AppState,
    sample: bool,
    replay_dir: Path | None,
    files: dict[str, Path],
    leagues: set[str],
) -> list[Market]:
    import asyncio

    from arbkit.recordings import load_recordings, sample_dir
    from arbkit.registry import get_venue

    pm = state.plugin_manager
    if sample or replay_dir:
        directory = sample_dir() if sample else replay_dir
        assert directory is not None
        recordings = load_recordings(pm, Path(directory))
        return [market for rec in recordings.values() for market in rec.markets]
    if files:
        markets: list[Market] = []
        for venue, path in files.items():
            objects = _read_objects(path)
            try:
                markets.extend(get_venue(pm, venue).parse_markets(objects))
            except ArbkitError:
                raise
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{path}: not {venue} market/event objects ({exc!r})") from exc
        return markets
    return asyncio.run(_discover(state, leagues))


async def _discover(state: AppState, leagues: set[str]) -> list[Market]:
    """Every live venue's markets (venues that play recordings are not live)."""
    import asyncio

    from arbkit.engine.session import close_venues, live_venue_names
    from arbkit.venue import DiscoveryQuery

    query = DiscoveryQuery(leagues=frozenset(leagues))
    names = sorted(live_venue_names(state.plugin_manager))
    venues = [state.venue(name) for name in names]
    try:
        found = await asyncio.gather(*(venue.discover(query) for venue in venues))
    finally:
        await close_venues(venues)
    return [market for markets in found for market in markets]


def _read_objects(path: Path) -> list[dict[str, Any]]:
    """A JSON array (or object with ``events``/``markets``), or JSONL, of raw venue objects."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise ConfigError(f"{path}: neither JSON nor JSONL ({exc})") from exc
    if isinstance(data, dict):
        data = data.get("events") or data.get("markets") or [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ConfigError(f"{path}: expected a list of JSON objects")
    return data


def _side(venue: str, market: str | None, outcome: str | None, contract: str | None) -> dict:
    """One venue's side of a link. ``token_id`` and ``ticker`` repeat ``contract`` and
    ``market`` under the names scripts used when only Polymarket and Kalshi were matched."""
    return {
        "venue": venue,
        "market": market,
        "outcome": outcome,
        "contract": contract,
        "token_id": contract,
        "ticker": market,
    }


def _match_rows(report: MatchReport) -> list[dict[str, Any]]:
    rows = []
    for match in report.matches:
        for link in match.links:
            left, right = link.left, link.right
            rows.append(
                {
                    "venues": [left.venue, right.venue],
                    left.venue: _side(left.venue, left.market_id, left.outcome, left.contract_id),
                    right.venue: _side(
                        right.venue, right.market_id, right.outcome, right.contract_id
                    ),
                    "relation": link.relation.value,
                    "confidence": link.confidence,
                    "league": match.league,
                    "game_date": match.game_date.isoformat() if match.game_date else None,
                    "reasons": list(link.reasons),
                }
            )
    return sorted(rows, key=_row_key)


def _miss_rows(report: MatchReport) -> list[dict[str, Any]]:
    rows = []
    for miss in report.near_misses:
        left, right = miss.left_venue or "left", miss.right_venue or "right"
        rows.append(
            {
                "venues": [left, right],
                left: _side(left, miss.left_market, miss.left_outcome, miss.left_contract),
                right: _side(right, miss.right_market, None, miss.right_contract),
                "confidence": miss.confidence,
                "league": miss.league,
                "game_date": miss.game_date.isoformat() if miss.game_date else None,
                "reasons": list(miss.reasons),
            }
        )
    return sorted(rows, key=_row_key)


def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
    left, right = (row[venue] for venue in row["venues"])
    return (
        row["game_date"] or "",
        row["league"] or "",
        *row["venues"],
        left["market"] or "",
        left["outcome"] or "",
        right["market"] or "",
    )


def _print_matches(report: MatchReport) -> None:
    rows = []
    for match in sorted(report.matches, key=lambda m: (str(m.game_date), m.game_id)):
        for link in match.links:
            side = "YES" if link.relation == Relation.SAME else "NO"
            rows.append(
                {
                    "game": match.game_id,
                    "start": match.start_time,
                    "contract": f"{link.left.venue} {link.left.outcome}",
                    "pays with": f"{link.right.venue} {link.right.market_id} {side}",
                    "relation": link.relation.value,
                    "conf": f"{link.confidence:.2f}",
                    "reasons": link.reasons[-1] if link.reasons else "",
                }
            )
    columns = ["game", "start", "contract", "pays with", "relation", "conf", "reasons"]
    click.echo(render_table(rows, columns))
    for miss in report.near_misses:
        click.echo(
            f"near-miss: {miss.left_market} / {miss.right_market}: {'; '.join(miss.reasons)}"
        )
