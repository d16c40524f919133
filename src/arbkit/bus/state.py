"""What a trading process's ``--bus`` looks like right now, as a frozen value for displays.

The dashboard's header draws it (on the UI thread, from a snapshot built on the engine's
thread), so it is plain data: no client, no lock. :meth:`arbkit.bus.trading.BusTrading.state`
builds it.
"""

from __future__ import annotations

import enum

from attrs import frozen


class LeaseState(enum.StrEnum):
    """Where this process stands with its account's trading lease."""

    NONE = "none"  #: not taken yet
    WAITING = "waiting"  #: another executor holds it; entries wait for it
    HELD = "held"  #: ours: this process may trade
    EXPIRING = "expiring"  #: ours, but not renewed in time: the next journal write is refused
    LOST = "lost"  #: taken over, expired or gone with Redis: entries are halted for this run


@frozen(kw_only=True)
class BusState:
    url: str  #: without its password
    account: str  #: the lease's name, ``<ARBKIT_ACCOUNT>:<book>``
    lease: LeaseState
    token: int | None = None  #: the fencing token while held
    detail: str = ""  #: why the lease was lost, or who holds it while waiting
    matcher_down: str | None = None  #: why the matching service is not answering (breaker open)

    @property
    def alarm(self) -> bool:
        """Something a trader must see at once: the lease not ours, or no matching service."""
        return self.lease is not LeaseState.HELD or self.matcher_down is not None
