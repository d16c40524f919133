"""No credential value ever reaches logs, errors, ``--json`` output or the database."""

from __future__ import annotations

import logging
from pathlib import Path

import arbkit_polymarket
import attrs
import pytest
from click.testing import CliRunner

from arbkit import ArbkitError, OrderRequest, Side
from arbkit.cli import make_cli
from arbkit.plugins import make_plugin_manager
from arbkit.testing import Fault
from arbkit.testing import fake_polymarket as fp

TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
SECRETS = [TEST_KEY, TEST_KEY[2:], fp.API_KEY, fp.API_SECRET, fp.API_PASSPHRASE]


def assert_clean(text: str, where: str) -> None:
    for value in SECRETS:
        assert value not in text, f"a credential leaked into {where}"


def test_cli_json_logs_and_db_never_show_credentials(server, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[venues.polymarket]\n"
        f'private_key = "{TEST_KEY}"\n'
        f'api_key = "{fp.API_KEY}"\n'
        f'api_secret = "{fp.API_SECRET}"\n'
        f'api_passphrase = "{fp.API_PASSPHRASE}"\n'
        "[venues.polymarket.urls]\n"
        f'gamma = "{server.http_url}"\n'
        f'clob = "{server.http_url}"\n'
        f'ws = "{server.ws_url}"\n'
    )
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(arbkit_polymarket, name="polymarket")
    db = tmp_path / "arbkit.db"
    runner = CliRunner()
    args = ["--config", str(config), "--db", str(db), "-vv"]
    result = runner.invoke(make_cli(pm), [*args, "markets", "--venue", "polymarket", "--json"])
    assert result.exit_code == 0, result.output
    assert '"markets"' in result.output and "Lions" in result.output
    assert_clean(result.output, "--json output and logs")
    shown = runner.invoke(make_cli(pm), [*args, "config", "show"])
    assert_clean(shown.output, "config show")
    if db.exists():
        assert_clean(db.read_bytes().decode("latin-1"), "the database")


async def test_trading_errors_and_logs_never_show_credentials(
    server, make_venue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    venue = make_venue()
    errors: list[str] = [repr(venue.settings)]
    request = OrderRequest(
        venue="polymarket",
        contract_id=server.tokens()[0],
        side=Side.BUY,
        price="0.34",
        size="10",
        client_order_id="s-1",
    )
    # The venue echoes the owner (the API key) in its refusal: it must come out masked.
    server.reject_orders = f"the order owner {fp.API_KEY} has to be the owner of the API KEY"
    try:
        with pytest.raises(ArbkitError) as refused:
            await venue.place_order(request)
        errors += [str(refused.value), repr(refused.value), str(refused.value.body)]
        server.reject_orders = None
        server.inject(Fault(status=502, swallow=True, path="/order"))
        with pytest.raises(ArbkitError) as unknown:
            await venue.place_order(attrs.evolve(request, client_order_id="s-2"))
        errors += [str(unknown.value), str(unknown.value.__cause__)]
        reconciled = await venue.get_order(client_order_id="s-2")
        errors.append(repr(reconciled))
    finally:
        await venue.aclose()
    assert "****" in errors[1]
    assert_clean("\n".join(errors), "errors")
    assert_clean(caplog.text, "logs")
