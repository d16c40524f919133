"""The kill switch: a file beside the database whose existence halts new entries at once.

A file works across processes with no IPC: ``arbkit halt`` (another terminal, a cron job, a
person with ``touch``) writes it and a running ``arbkit trade`` sees it on its next gate check;
SIGUSR1 writes it from inside. The gate asks :meth:`KillSwitch.tripped` on every evaluation, so
the check is one ``stat``; the file is read only when it exists. Exits, hedges and cancels never
consult it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

FILE_NAME = "arbkit.halt"


class KillSwitch:
    """The halt file at ``path``: its text is the reason."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._path = str(self.path)  # os.stat on a str skips Path's own conversion

    @staticmethod
    def default_path(db_path: Path) -> Path:
        """``<directory of the database>/arbkit.halt``."""
        return Path(db_path).expanduser().parent / FILE_NAME

    def tripped(self) -> str | None:
        """The halt reason if the file exists (``"halted"`` if it is empty), else None."""
        try:
            os.stat(self._path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            # Cannot tell (permissions, a broken mount): a switch we cannot read is tripped.
            return f"kill switch unreadable: {exc}"
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError:
            return None  # cleared between the stat and the read
        except OSError as exc:
            return f"kill switch unreadable: {exc}"
        return text.splitlines()[0] if text else "halted"

    def trip(self, reason: str) -> None:
        """Write the halt file (atomically: a reader never sees it half-written)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text((reason.strip() or "halted") + "\n", encoding="utf-8")
        os.replace(temporary, self.path)

    def clear(self) -> bool:
        """Remove the halt file; returns whether there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def install_signal_handler(self, loop: asyncio.AbstractEventLoop) -> None:
        """SIGUSR1 trips the switch (``kill -USR1 <pid>`` halts a running trader's entries)."""
        loop.add_signal_handler(signal.SIGUSR1, self.trip, "SIGUSR1")


#: ``default_path(db_path)``: the halt file of a database (also ``KillSwitch.default_path``).
default_path = KillSwitch.default_path
