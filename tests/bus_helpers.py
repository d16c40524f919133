"""Real processes for the ``--bus`` tests: ``arbkit worker`` and ``arbkit scan`` subprocesses.

Workers are subprocesses so that a test can SIGKILL one mid-stream; the scans are too, so a
``--bus`` run and a single-process run go through the same command line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def loadgen() -> ModuleType:
    """bench/loadgen.py: a replay with planted crossing windows and their answer key."""
    spec = importlib.util.spec_from_file_location("bench_loadgen", ROOT / "bench" / "loadgen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def arbkit(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "arbkit", "-q", "--db", str(db), *args]


class WorkerProcess:
    """One ``arbkit worker`` subprocess, started and waited for until it listens."""

    def __init__(
        self,
        url: str,
        name: str,
        db: Path,
        *,
        reclaim_after: float = 1.0,
        snapshot_every: int | None = None,
    ) -> None:
        command = arbkit(db, "worker", "--bus", url, "--name", name, "--json")
        command += ["--reclaim-after", str(reclaim_after)]
        if snapshot_every is not None:
            command += ["--snapshot-every", str(snapshot_every)]
        self.name = name
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert json.loads(first)["started"], first

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> str:
        """SIGTERM; the worker's last JSON line."""
        if self.process.poll() is None:
            self.process.terminate()
        out, err = self.process.communicate(timeout=20)
        return out + err


class MatcherProcess:
    """``arbkit serve matcher``: the one matcher every ``--bus`` scan asks."""

    def __init__(self, url: str, db: Path) -> None:
        command = arbkit(db, "serve", "matcher", "--bus", url)
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        out, err = self.process.communicate(timeout=20)
        return out + err


def scan(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = arbkit(db, "scan", *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def start_scan(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        arbkit(db, "scan", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def by_game(lines: Sequence[str]) -> dict[str, list[dict]]:
    """Changes grouped by game, each game's in the order reported (games interleave freely)."""
    games: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        record = json.loads(line)
        games[record["game"]].append(record)
    return dict(games)


def wait_until(predicate, timeout: float = 20.0, what: str = "condition") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
