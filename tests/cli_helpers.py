"""Running the console script as a user does, and checking its one-line errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from arbkit.cli import main


@dataclass
class Outcome:
    exit_code: int
    output: str  #: stdout and stderr together


def run_main(capsys: pytest.CaptureFixture[str], args: Sequence[str]) -> Outcome:
    """``arbkit.cli.main`` (ArbkitError → one ``Error:`` line, exit 1), its status and output."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
        raise SystemExit(0)
    captured = capsys.readouterr()
    return Outcome(int(exited.value.code or 0), captured.out + captured.err)


def one_line_error(result: Outcome, message: str, exit_code: int = 1) -> None:
    """Exactly one ``Error:`` line containing ``message``, the given status, no traceback."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert message in errors[0]
