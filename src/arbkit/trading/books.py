"""Which trading book a run trades in, so that a restart resumes and a new replay starts fresh.

A book is the set of positions and trades one account holds. Live trading has one book per
database (``live``): the venues' accounts are one, whatever the process. Paper trading on live
data has one too (``paper``). A paper replay is a simulation of its own: each run gets a fresh
book, except that a run which did not complete (killed, interrupted, failed) is resumed by the
next run on the same data — its positions are restored, its games are not entered again.
"""

from __future__ import annotations

from attrs import field, frozen

from arbkit.store import Store
from arbkit.trading.model import Mode
from arbkit.trading.tradestore import trade_runs


@frozen
class BookChoice:
    book_id: str
    resumed_from: str | None = None  #: the run whose book is resumed
    notes: list[str] = field(factory=list)


def choose_book(store: Store, mode: Mode, source: str) -> BookChoice:
    """The book for a run of ``mode`` on ``source`` (``live``, ``sample`` or a directory)."""
    if mode is Mode.LIVE:
        return BookChoice("live")
    if source == "live":
        return BookChoice("paper")
    for run in trade_runs(store):
        if run["source"] != source or run["mode"] != mode.value or not run["book"]:
            continue
        if run["status"] == "completed":
            break
        note = f"resuming paper book {run['book']} left {run['status']} by run {run['run_id']}"
        return BookChoice(str(run["book"]), resumed_from=str(run["run_id"]), notes=[note])
    count = sum(1 for run in trade_runs(store) if run["source"] == source)
    return BookChoice(f"paper:{source}#{count + 1}")
