"""QA: ``[bus]`` seconds that Redis or the OS cannot take are refused up front, in one line.

A lease of 0.0001 s became ``PX 0`` (Redis: invalid expire time), 1e300 s an integer Redis
refuses, and 1e15 s a timeout the OS cannot sleep on: each was a traceback after the lease
was taken (a 1e15 s lease then outlived the crash, holding the account for ever)."""

from __future__ import annotations

import pytest

from arbkit.bus.settings import BusSettings
from arbkit.errors import ConfigError


@pytest.mark.parametrize(
    ("environ", "table", "said"),
    [
        ({"ARBKIT_LEASE_SECONDS": "0.0001"}, {}, "ARBKIT_LEASE_SECONDS='0.0001'"),
        ({"ARBKIT_LEASE_SECONDS": "1e15"}, {}, "ARBKIT_LEASE_SECONDS='1e15'"),
        ({}, {"lease_seconds": 1e300}, "[bus] lease_seconds = 1e+300"),
        ({"ARBKIT_MATCHER_TIMEOUT": "1e15"}, {}, "ARBKIT_MATCHER_TIMEOUT='1e15'"),
        ({}, {"matcher_timeout": 10**20}, "[bus] matcher_timeout = 100000000000000000000"),
    ],
)
def test_seconds_out_of_range_are_one_line(
    environ: dict[str, str], table: dict[str, object], said: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        BusSettings.read(environ, table)
    message = str(caught.value)
    assert message.startswith(said) and "seconds" in message and "\n" not in message


def test_the_edges_of_the_range_are_kept() -> None:
    settings = BusSettings.read({"ARBKIT_LEASE_SECONDS": "0.1"}, {"matcher_timeout": 86_400})
    assert settings.lease_seconds == 0.1 and settings.matcher_timeout == 86_400.0
    assert BusSettings.read({"ARBKIT_LEASE_SECONDS": " 2 "}, {}).lease_seconds == 2.0
