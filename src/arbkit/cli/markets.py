"""``arbkit markets --venue NAME``: what a venue lists, parsed into the domain model."""

from __future__ import annotations

import click

from arbkit.cli.output import echo_json, render_table
from arbkit.cli.state import AppState
from arbkit.models import MarketType


def register(cli: click.Group) -> None:
    @cli.command(name="markets")
    @click.option("--venue", "venue_name", required=True, help="Venue id (see `arbkit venues`).")
    @click.option("--league", "leagues", multiple=True, help="League code, e.g. nba (repeatable).")
    @click.option(
        "--type",
        "market_type",
        type=click.Choice([t.value for t in MarketType], case_sensitive=False),
        help="Only this market type.",
    )
    @click.option("--json", "json_", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def markets_command(
        state: AppState,
        venue_name: str,
        leagues: tuple[str, ...],
        market_type: str | None,
        json_: bool,
    ) -> None:
        """List a venue's game markets."""
        import asyncio

        from arbkit.venue import DiscoveryQuery

        venue = state.venue(venue_name)
        query = DiscoveryQuery(leagues=frozenset(league.upper() for league in leagues))

        async def run() -> list:
            try:
                return await venue.discover(query)
            finally:
                await venue.aclose()

        markets = asyncio.run(run())
        if market_type:
            markets = [m for m in markets if m.market_type == market_type.lower()]
        rows = [
            {
                "venue": m.venue,
                "market": m.market_id,
                "event": m.event_id,
                "league": m.league,
                "type": m.market_type,
                "start": m.start_time,
                "title": m.title,
                "contracts": [
                    {"id": c.contract_id, "outcome": c.outcome, "negated": c.negated}
                    for c in m.contracts
                ],
            }
            for m in markets
        ]
        if json_:
            echo_json({"markets": rows})
            return
        for row in rows:
            row["outcomes"] = " / ".join(c["outcome"] for c in row["contracts"])
        click.echo(render_table(rows, ["league", "start", "type", "market", "outcomes"]))
        click.echo(f"{len(rows)} markets", err=True)
