"""``arbkit worker``: run the shards of games assigned over the bus.

A worker takes game assignments from the shared stream in the ``workers`` consumer group and
keeps each one pending while the game runs; the pending entry is the worker's claim. It reads
its games' streams, feeds each message to that game's real
:class:`~arbkit.scan.shard.GameShard` and commits a batch at a time with one script
(:data:`arbkit.bus.streams.COMMIT_SCRIPT`): the changes, each game's new position, now and then
a snapshot of the game's state, and the acks of games that ended, all or nothing, and only if
no other worker moved the game meanwhile. Its heartbeat re-claims its own entries (so they
never look idle) and takes over entries idle longer than ``reclaim_after``: those of a worker
that died. A taken-over game is rebuilt from its last snapshot and replayed, silently, up to
its committed position, so its changes are reported exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import define, field

from arbkit.bus import streams
from arbkit.bus.codec import Codec, book_from_wire, book_to_wire, plugin_packages
from arbkit.bus.wire import BusError, decode, encode
from arbkit.scan.shard import Change, GameShard
from arbkit.strategy import Strategy

if TYPE_CHECKING:
    import redis.asyncio

log = logging.getLogger(__name__)

#: assignments taken per read: a few, so that workers started together share a run's games
ADOPT_AT_ONCE = 4


@define
class GameTask:
    """One game this worker runs: its shard and how far it is, in memory and committed."""

    entry_id: str  #: the assignment entry this worker holds pending
    run_id: str
    game_id: str
    shard: GameShard | None = None
    last_id: str = "0-0"  #: the last game-stream entry applied
    count: int = 0  #: messages applied
    committed: str = ""  #: the position as last committed ("" before the first commit)
    snapshot_at: int = 0  #: ``count`` at the last snapshot
    done: bool = False  #: stopped or released: acked with the next commit
    error: str = ""  #: why the game could not run (reported to the orchestrator, then acked)
    changes: list[Change] = field(factory=list)  #: applied, not yet committed

    @property
    def position(self) -> str:
        return f"{self.last_id} {self.count}"


@define
class RunContext:
    """What a worker needs to know about one run: its keys and strategy instances."""

    keys: streams.RunKeys
    strategies: list[Strategy]


class Worker:
    """Consumes game assignments and runs their shards until stopped.

    Args:
        client: the bus.
        pm: the plugin manager: strategies and the venue plugins' fee models.
        name: the consumer name; a worker restarted with its old name resumes its games.
        reclaim_after: take over a game whose claim has been idle this many seconds.
        snapshot_every: save a game's state after this many of its messages (a take-over
            replays at most that many).
        batch: at most about this many messages per read, over all its games (a round stays
            short, so the heartbeat keeps the claims fresh).
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        pm: Any,
        *,
        name: str,
        reclaim_after: float = 5.0,
        batch: int = 2_000,
        block_ms: int = 50,
        snapshot_every: int = streams.SNAPSHOT_EVERY,
    ) -> None:
        self.client = client
        self.pm = pm
        self.name = name
        self.reclaim_after = reclaim_after
        self.batch = batch
        self.block_ms = block_ms
        if not 1 <= snapshot_every <= streams.SNAPSHOT_EVERY_MAX:
            raise BusError(f"snapshot every {snapshot_every}: 1 to {streams.SNAPSHOT_EVERY_MAX}")
        self.snapshot_every = snapshot_every
        self.codec = Codec(plugin_packages(pm))
        self.games: dict[str, GameTask] = {}  #: by game stream key
        self.runs: dict[str, RunContext] = {}
        self.messages = 0  #: applied since start (for ``--json`` stats and the bench)
        self.taken_over = 0  #: games taken over from workers that went silent
        self._commit = client.register_script(streams.COMMIT_SCRIPT)
        self._next_beat = 0.0

    @property
    def beat_seconds(self) -> float:
        return max(0.05, self.reclaim_after / 3)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; a lost bus is retried every half second."""
        import redis.exceptions

        ready = False
        while not stop.is_set():
            try:
                if not ready:
                    await self._ensure_group()
                    ready = True
                await self.step()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                log.warning("worker %s: bus unreachable (%s); retrying", self.name, exc)
                ready = False
                await _sleep_or_stop(stop, 0.5)
            except redis.exceptions.ResponseError as exc:
                if not str(exc).startswith(("NOGROUP", "UNBLOCKED")):
                    raise BusError(f"the bus refused a command: {exc}") from None
                log.warning("worker %s: the bus lost its data (restart?); starting over", self.name)
                self.games.clear()
                self.runs.clear()
                ready = False

    async def step(self) -> None:
        """One round: heartbeat when due, new assignments, then one read of the game streams."""
        if time.monotonic() >= self._next_beat:
            await self.heartbeat()
            self._next_beat = time.monotonic() + self.beat_seconds
        block = None if self.games else int(self.beat_seconds * 1000)
        reply = await self.client.xreadgroup(
            streams.GROUP, self.name, {streams.ASSIGN: ">"}, count=ADOPT_AT_ONCE, block=block
        )
        adopted = False
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                await self._adopt(_text(entry_id), fields)
                adopted = True
        if self.games:  # just adopted: back for more at once, so workers share a run's games
            await self.process(block=not adopted)

    async def _ensure_group(self) -> None:
        import redis.exceptions

        try:
            await self.client.xgroup_create(streams.ASSIGN, streams.GROUP, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # -- claims ---------------------------------------------------------------------------------

    async def heartbeat(self) -> None:
        """Refresh this worker's claims, resume any not in memory, take over idle ones, and
        drop games of runs whose orchestrator is gone."""
        mine = await self.client.xpending_range(
            streams.ASSIGN, streams.GROUP, "-", "+", 10_000, consumername=self.name
        )
        ids = [_text(item["message_id"]) for item in mine]
        if ids:
            claimed = await self.client.xclaim(streams.ASSIGN, streams.GROUP, self.name, 0, ids)
            held = {task.entry_id for task in self.games.values()}
            for entry_id, fields in claimed:
                if fields and _text(entry_id) not in held:
                    await self._adopt(_text(entry_id), fields)
        reply = await self.client.xautoclaim(
            streams.ASSIGN,
            streams.GROUP,
            self.name,
            int(self.reclaim_after * 1000),
            "0-0",
            count=100,
        )
        for entry_id, fields in reply[1]:
            if fields:
                log.warning("worker %s: taking over assignment %s", self.name, _text(entry_id))
                await self._adopt(_text(entry_id), fields)
                self.taken_over += 1
        for run_id, context in list(self.runs.items()):
            if not await self.client.exists(context.keys.alive):
                await self._drop_run(run_id)

    async def hand_back(self) -> None:
        """Stopping: mark every claim of this worker idle at once (those in memory and any
        delivered to a read that was cut short), so the others take them over now."""
        mine = await self.client.xpending_range(
            streams.ASSIGN, streams.GROUP, "-", "+", 10_000, consumername=self.name
        )
        ids = [_text(item["message_id"]) for item in mine]
        if ids:
            idle = int(self.reclaim_after * 1000) * 10
            await self.client.xclaim(
                streams.ASSIGN, streams.GROUP, self.name, 0, ids, idle=idle, justid=True
            )
        self.games.clear()

    async def _drop_run(self, run_id: str) -> None:
        gone = [k for k, task in self.games.items() if task.run_id == run_id]
        ids = [self.games.pop(k).entry_id for k in gone]
        if ids:
            await self.client.xack(streams.ASSIGN, streams.GROUP, *ids)
        context = self.runs.pop(run_id, None)
        if context is not None:  # its orchestrator died: nobody else removes the run's keys
            keys = context.keys
            doomed = [keys.meta, keys.changes, keys.progress, keys.snapshots]
            doomed += [k async for k in self.client.scan_iter(match=keys.game_pattern())]
            await self.client.delete(*doomed)
        log.info("worker %s: run %s is over; dropped %d games", self.name, run_id, len(ids))

    async def _context(self, run_id: str) -> RunContext | None:
        context = self.runs.get(run_id)
        if context is None:
            keys = streams.RunKeys(run_id)
            meta = await self.client.get(keys.meta)
            if meta is None:
                return None
            context = RunContext(keys, self._strategies(json.loads(meta)))
            self.runs[run_id] = context
        return context

    def _strategies(self, meta: Mapping[str, Any]) -> list[Strategy]:
        from arbkit.registry import get_strategies

        registered = get_strategies(self.pm)
        found = []
        for name, settings in meta["strategies"]:
            if name not in registered:
                raise BusError(f"strategy {name!r} is not installed on worker {self.name}")
            found.append(registered[name](self.codec.load(settings)))
        return found

    async def _adopt(self, entry_id: str, fields: Mapping[Any, Any]) -> None:
        """Start (or take over) the game of one assignment entry."""
        _kind, body = decode(fields)
        context = await self._context(body["run"])
        if context is None:  # the run is over
            await self.client.xack(streams.ASSIGN, streams.GROUP, entry_id)
            return
        stream = context.keys.game(body["game"])
        task = GameTask(entry_id, body["run"], body["game"])
        self.games[stream] = task
        try:
            await self._restore(task, context)
        except BusError as exc:  # cannot be rebuilt: say so to the orchestrator, end the game
            log.error("worker %s: %s", self.name, exc)
            task.error, task.done = str(exc), True
            await self._commit_games([stream])

    async def _restore(self, task: GameTask, context: RunContext) -> None:
        """Rebuild a game from its snapshot, then replay what was committed after it, silently."""
        keys = context.keys
        snapshot = await self.client.hget(keys.snapshots, task.game_id)
        position = await self.client.hget(keys.progress, task.game_id)
        if snapshot is not None:
            data = json.loads(snapshot)
            task.shard = self._shard_from(data, context)
            task.last_id, task.count = data["id"], data["n"]
            task.snapshot_at = task.count
        if position is None:
            return
        task.committed = _text(position)
        target_id, target = task.committed.split()
        while task.last_id != target_id:
            entries = await self.client.xrange(
                keys.game(task.game_id), f"({task.last_id}", target_id, count=100
            )
            if not entries:
                raise BusError(f"game {task.game_id}: its stream no longer holds {target_id}")
            for entry_id, fields in entries:
                self._apply_entry(task, context, _text(entry_id), fields)
        if task.count != int(target):
            raise BusError(f"game {task.game_id}: replayed {task.count} messages, not {target}")
        task.changes.clear()  # committed before: already reported

    # -- messages -------------------------------------------------------------------------------

    async def process(self, *, block: bool = True) -> None:
        """Read every game stream once (blocking briefly), apply, commit."""
        reply = await self.client.xread(
            {key: task.last_id for key, task in self.games.items()},
            count=max(1, self.batch // len(self.games)),
            block=self.block_ms if block else None,
        )
        touched: list[str] = []
        for stream, entries in reply or []:
            key = _text(stream)
            task = self.games.get(key)
            if task is None:
                continue
            context = self.runs[task.run_id]
            for entry_id, fields in entries:
                if task.done:
                    break
                try:
                    self._apply_entry(task, context, _text(entry_id), fields)
                except BusError as exc:  # a message this worker cannot run: say so, end the game
                    log.error("worker %s: %s", self.name, exc)
                    task.error, task.done = str(exc), True
            touched.append(key)
        if touched:
            await self._commit_games(touched)

    def _apply_entry(self, task: GameTask, context: RunContext, entry_id: str, fields: Any) -> None:
        """One stream entry: a batch of the game's messages, applied in order."""
        kind, body = decode(fields)
        if kind != "batch":
            raise BusError(f"game {task.game_id}: unknown entry {kind!r}")
        task.last_id = entry_id
        for message_kind, message in body["m"]:
            if task.done:
                break
            task.count += 1
            self.messages += 1
            self._apply(task, context, message_kind, message)

    def _apply(self, task: GameTask, context: RunContext, kind: str, body: Any) -> None:
        at = _time(body.get("at"))
        shard = task.shard
        if kind == "start":
            shard = task.shard = GameShard(self.codec.load(body["match"]), context.strategies)
            for data in body["books"]:
                shard.set_book(book_from_wire(data))
            shard.state.suspect.update(body["suspect"])
            task.changes += shard.evaluate(at)
            return
        if shard is None:
            raise BusError(f"game {task.game_id}: message {kind!r} before its start")
        if kind == "book":
            task.changes += shard.on_book(book_from_wire(body["b"]), at)
        elif kind == "set":
            shard.set_book(book_from_wire(body["b"]))
        elif kind == "lost":
            task.changes += shard.on_continuity_lost(body["ids"], at, body["reason"])
        elif kind == "restored":
            task.changes += shard.on_continuity_restored(body["ids"], at)
        elif kind == "fees":
            fees = self.codec.load(body["fees"])
            task.changes += shard.on_fees_changed(body["venue"], body["ids"], fees, at)
        elif kind == "rematch":
            task.changes += shard.rematch(self.codec.load(body["match"]), at)
        elif kind == "eval":
            task.changes += shard.evaluate(at)
        elif kind == "stop":
            task.changes += shard.stop(at, body["reason"])
            task.done = True
        elif kind == "release":
            task.done = True
        else:
            raise BusError(f"game {task.game_id}: unknown message {kind!r}")

    async def _commit_games(self, keys: Sequence[str]) -> None:
        """Commit the touched games per run; a game another worker moved is dropped here."""
        by_run: dict[str, list[str]] = {}
        for key in keys:
            by_run.setdefault(self.games[key].run_id, []).append(key)
        for run_id, run_keys in by_run.items():
            pending = list(run_keys)
            while pending:
                conflicts = await self._commit_run(self.runs[run_id], pending)
                if not conflicts:
                    break
                for key in [k for k in pending if self.games[k].game_id in conflicts]:
                    log.warning("worker %s: %s moved on elsewhere", self.name, key)
                    del self.games[key]  # the heartbeat resumes it if it is still ours
                pending = [k for k in pending if k in self.games]

    async def _commit_run(self, context: RunContext, keys: Sequence[str]) -> set[str]:
        args: list[Any] = [streams.GROUP, streams.CHANGES_MAXLEN, len(keys)]
        games = []
        for key in keys:
            task = self.games[key]
            snapshot = ""
            if not task.done and task.count - task.snapshot_at >= self.snapshot_every:
                snapshot = json.dumps(self._snapshot(task))
            ack = task.entry_id if task.done else ""
            args += [task.game_id, task.committed, task.position, snapshot, ack]
            changes = [self.codec.dump(c) for c in task.changes]
            games.append([task.game_id, task.count, changes, task.error])
        entry = encode("commit", {"worker": self.name, "games": games})
        args += [entry["v"], entry["kind"], entry["body"]]
        ckeys = [context.keys.progress, context.keys.snapshots, context.keys.changes]
        ckeys += [streams.ASSIGN, *keys]
        conflicts = await self._commit(keys=ckeys, args=args)
        lost = {_text(game) for game in conflicts or []}
        if lost:
            return lost
        for key in keys:
            task = self.games[key]
            task.committed = task.position
            task.changes = []
            if task.count - task.snapshot_at >= self.snapshot_every:
                task.snapshot_at = task.count
            if task.done:
                del self.games[key]
        return set()

    # -- snapshots ------------------------------------------------------------------------------

    def _snapshot(self, task: GameTask) -> dict[str, Any]:
        assert task.shard is not None
        state = task.shard.state
        return {
            "id": task.last_id,
            "n": task.count,
            "match": self.codec.dump(state.match),
            "markets": self.codec.dump(state.markets),
            "books": [book_to_wire(b) for b in state.books.values()],
            "suspect": sorted(state.suspect),
            "current": self.codec.dump(task.shard.current),
        }

    def _shard_from(self, data: Mapping[str, Any], context: RunContext) -> GameShard:
        shard = GameShard(self.codec.load(data["match"]), context.strategies)
        shard.state.markets = self.codec.load(data["markets"])
        for book in data["books"]:
            shard.state.books[book["c"]] = book_from_wire(book)
        shard.state.suspect = set(data["suspect"])
        shard.current = self.codec.load(data["current"])
        return shard


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
