"""Child process of the SIGKILL test: run one live entry against the fakes until killed.

Usage: ``live_child.py SPEC.json`` (the spec from ``live_helpers.spec``); the test process
serves the fakes and kills this process while an order is in flight.
"""

from __future__ import annotations

import asyncio
import json
import sys

from live_helpers import build_rig, entry_plan


async def main(path: str) -> None:
    with open(path) as handle:
        spec = json.load(handle)
    rig = build_rig(
        spec,
        run_id="child",
        venue_timeout=60.0,
        order_timeout=60.0,
        pm_first=spec.get("pm_first", False),
    )
    try:
        rig.executor.submit(entry_plan(spec["pm_token"]))
        await rig.executor.drain()
    finally:
        await rig.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
