"""Key material never reaches logs, errors, ``--json`` output or the database."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid

import pytest
from arbkit_kalshi.auth import KalshiSigner
from arbkit_kalshi.venue import KalshiVenue

from arbkit import (
    ArbkitError,
    ConfigError,
    DiscoveryQuery,
    OrderRequest,
    Secret,
    Side,
    TimeInForce,
)
from arbkit.cli import main

from .conftest import NBA_SAS, make_settings


def key_fragments(pem: str, key_id: str) -> list[str]:
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return [key_id, *body, "".join(body)[:40]]


def assert_clean(text: str, pem: str, key_id: str) -> None:
    for fragment in key_fragments(pem, key_id):
        assert fragment not in text


async def test_logs_and_errors_hold_no_key_material(fake, pem, key_id, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    venue = KalshiVenue(make_settings(fake, pem, key_id, timeout=0.3, max_retries=0))
    try:
        await venue.discover(DiscoveryQuery(leagues=frozenset({"NBA"})))
        fake.order_delay = 1.0
        await venue.place_order(
            OrderRequest(
                venue="kalshi",
                contract_id=f"{NBA_SAS}:yes",
                side=Side.BUY,
                price="0.71",
                size="1",
                client_order_id=str(uuid.uuid4()),
                time_in_force=TimeInForce.IOC,
            )
        )
        fake.order_delay = 0
        for fault in ({"status": 401}, {"status": 500}, {"malformed": True}):
            fake.inject(**fault)
            with pytest.raises(ArbkitError) as caught:
                await venue.balance()
            errors.append(f"{caught.value} {caught.value!r} {getattr(caught.value, 'body', '')}")
    finally:
        await venue.aclose()
    assert len(errors) == 3
    assert_clean(caplog.text + "\n".join(errors), pem, key_id)
    assert repr(Secret(pem)) == "Secret('****')"


def test_bad_key_config_errors_do_not_quote_the_key(pem: str, key_id: str) -> None:
    broken = pem.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\nAAAA", 1)
    with pytest.raises(ConfigError) as caught:
        KalshiSigner(Secret(key_id), Secret(broken))
    assert_clean(str(caught.value), pem, key_id)
    with pytest.raises(ConfigError) as caught:
        KalshiSigner(Secret(key_id), Secret("/no/such/key.pem"))
    assert "/no/such" not in str(caught.value)


def test_cli_json_and_database_hold_no_key_material(
    fake, pem, key_id, tmp_path, monkeypatch, capsys
) -> None:
    db = tmp_path / "arbkit.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[venues.kalshi]\nbase_url = "{fake.base_url}"\n')
    monkeypatch.setenv("ARBKIT_DB", str(db))
    monkeypatch.setenv("ARBKIT_CONFIG", str(config))
    monkeypatch.setenv("ARBKIT_KALSHI_API_KEY_ID", key_id)
    monkeypatch.setenv("ARBKIT_KALSHI_PRIVATE_KEY", pem)
    main(["-vv", "markets", "--venue", "kalshi", "--league", "nba", "--json"])
    out, err = capsys.readouterr()
    rows = json.loads(out)["markets"]
    assert len(rows) == 8 and {r["league"] for r in rows} == {"NBA"}
    assert any("kalshi-access-signature" in r.headers for r in fake.requests)  # it did sign
    main(["db", "migrate"])  # creates and migrates the store
    dump = "\n".join(sqlite3.connect(db).iterdump()) if db.exists() else ""
    assert_clean(out + err + capsys.readouterr().out + dump, pem, key_id)
