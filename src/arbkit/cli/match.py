"""``arbkit match``: compare team names, pair markets across venues, review and override matches.

Everything goes through the one :class:`~arbkit.matching.MatchingService`; this module only
loads markets (live, sample, replay or raw venue files), prints, and stores decisions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState
from arbkit.errors import ArbkitError, ConfigError
from arbkit.matching import (
    DEFAULT_MIN_CONFIDENCE,
    MatchingService,
    MatchReport,
    load_overrides,
    save_matches,
    save_override,
    stored_matches,
)
from arbkit.matching.compare import compare_teams
from arbkit.models import Market, Relation
from arbkit.venue import DiscoveryQuery


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
        "--polymarket",
        "poly_file",
        type=click.Path(path_type=Path),
        help="Gamma events/markets (JSON or JSONL).",
    )
    @click.option(
        "--kalshi",
        "kalshi_file",
        type=click.Path(path_type=Path),
        help="Kalshi markets/events (JSON or JSONL).",
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
        poly_file: Path | None,
        kalshi_file: Path | None,
        leagues: tuple[str, ...],
        min_confidence: float,
        save: bool,
        json_: bool,
    ) -> None:
        """Pair markets across venues: which Polymarket outcome is which Kalshi side."""
        with _one_line_errors():
            sources = sum(bool(x) for x in (sample, replay_dir, poly_file or kalshi_file))
            if sources > 1:
                raise ConfigError("use one of --sample, --replay, or --polymarket/--kalshi")
            service = MatchingService.from_plugins(
                state.plugin_manager, overrides=state.store, min_confidence=min_confidence
            )
            wanted = _check_leagues(service, leagues)
            markets = _load_markets(state, sample, replay_dir, poly_file, kalshi_file, wanted)
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
    @click.argument("polymarket_token")
    @click.argument("kalshi_contract")
    @click.option(
        "--relation",
        type=click.Choice(["same", "opposite"]),
        required=True,
        help="same: the token pays when the Kalshi YES does; opposite: when its NO does.",
    )
    @click.option("--note", help="Why (kept with the decision).")
    @click.pass_obj
    def confirm_command(
        state: AppState,
        polymarket_token: str,
        kalshi_contract: str,
        relation: str,
        note: str | None,
    ) -> None:
        """Force a pair from now on (KALSHI_CONTRACT: a ticker, or its :yes / :no contract)."""
        with _one_line_errors():
            saved = save_override(
                state.store.db,
                polymarket_token,
                kalshi_contract,
                "confirm",
                Relation(relation),
                note,
            )
        click.echo(f"Confirmed: {saved.left} {saved.relation} {saved.right}")

    @match_group.command(name="reject")
    @click.argument("polymarket_token")
    @click.argument("kalshi_contract")
    @click.option("--note", help="Why (kept with the decision).")
    @click.pass_obj
    def reject_command(
        state: AppState, polymarket_token: str, kalshi_contract: str, note: str | None
    ) -> None:
        """Forbid a pair: from now on the matcher never links them."""
        with _one_line_errors():
            saved = save_override(
                state.store.db, polymarket_token, kalshi_contract, "reject", note=note
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


def _load_markets(
    state: AppState,
    sample: bool,
    replay_dir: Path | None,
    poly_file: Path | None,
    kalshi_file: Path | None,
    leagues: set[str],
) -> list[Market]:
    from arbkit.recordings import load_recordings, sample_dir
    from arbkit.registry import get_venue

    pm = state.plugin_manager
    if sample or replay_dir:
        directory = sample_dir() if sample else replay_dir
        assert directory is not None
        recordings = load_recordings(pm, Path(directory))
        return [market for rec in recordings.values() for market in rec.markets]
    if poly_file or kalshi_file:
        if not (poly_file and kalshi_file):
            raise ConfigError("give both --polymarket FILE and --kalshi FILE")
        markets: list[Market] = []
        for venue, path in (("polymarket", poly_file), ("kalshi", kalshi_file)):
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
    query = DiscoveryQuery(leagues=frozenset(leagues))
    venues = [state.venue("polymarket"), state.venue("kalshi")]
    try:
        found = await asyncio.gather(*(venue.discover(query) for venue in venues))
    finally:
        for venue in venues:
            await venue.aclose()
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


def _match_rows(report: MatchReport) -> list[dict[str, Any]]:
    rows = []
    for match in report.matches:
        for link in match.links:
            rows.append(
                {
                    "polymarket": {
                        "market": link.left.market_id,
                        "outcome": link.left.outcome,
                        "token_id": link.left.contract_id,
                    },
                    "kalshi": {"ticker": link.right.market_id},
                    "relation": link.relation.value,
                    "confidence": link.confidence,
                    "league": match.league,
                    "game_date": match.game_date.isoformat() if match.game_date else None,
                    "reasons": list(link.reasons),
                }
            )
    return sorted(rows, key=_row_key)


def _miss_rows(report: MatchReport) -> list[dict[str, Any]]:
    rows = [
        {
            "polymarket": {
                "market": miss.left_market,
                "outcome": miss.left_outcome,
                "token_id": miss.left_contract,
            },
            "kalshi": {"ticker": miss.right_market},
            "confidence": miss.confidence,
            "league": miss.league,
            "game_date": miss.game_date.isoformat() if miss.game_date else None,
            "reasons": list(miss.reasons),
        }
        for miss in report.near_misses
    ]
    return sorted(rows, key=_row_key)


def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["game_date"] or "",
        row["league"] or "",
        row["polymarket"]["market"] or "",
        row["polymarket"]["outcome"] or "",
        row["kalshi"]["ticker"] or "",
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
                    "polymarket": link.left.outcome,
                    "kalshi": f"{link.right.market_id} {side}",
                    "relation": link.relation.value,
                    "conf": f"{link.confidence:.2f}",
                    "reasons": link.reasons[-1] if link.reasons else "",
                }
            )
    click.echo(
        render_table(rows, ["game", "start", "polymarket", "kalshi", "relation", "conf", "reasons"])
    )
    for miss in report.near_misses:
        click.echo(
            f"near-miss: {miss.left_market} / {miss.right_market}: {'; '.join(miss.reasons)}"
        )
