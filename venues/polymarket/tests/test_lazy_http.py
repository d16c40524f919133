"""The venue module loads without httpx: a replay (``arbkit scan --sample``) never sends a
request, and httpx costs about a tenth of a second of its start-up."""

from __future__ import annotations

import subprocess
import sys

CHECK = "import sys, {module}; print('httpx' in sys.modules)"


def _loads_httpx(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_venue_and_its_parsers_loads_no_http_client() -> None:
    modules = "arbkit_polymarket.venue, arbkit_polymarket.errors, arbkit_polymarket.clob"
    assert _loads_httpx(CHECK.format(module=modules)) == "False"


def test_a_live_venue_loads_it_when_built() -> None:
    code = (
        "import sys; from arbkit_polymarket.venue import PolymarketVenue; "
        "PolymarketVenue(); print('httpx' in sys.modules)"
    )
    assert _loads_httpx(code) == "True"
