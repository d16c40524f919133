"""The Redis keys and streams of a scan over the bus, their length bounds, and the commit script.

One stream of game assignments is shared by every orchestrator and worker; everything else
belongs to one run (``arbkit:run:<id>:…``), so several scans can share one Redis and one set of
workers. docs/scaling.md draws the whole layout; the bounds here keep every stream short enough
that nothing unread is ever trimmed (the orchestrator keeps at most ``IN_FLIGHT`` messages
unprocessed, each game stream keeps more than that plus a snapshot interval).
"""

from __future__ import annotations

from attrs import frozen

from arbkit.bus.wire import key

#: game assignments: one entry per game of a run, pending in the group while a worker runs it
ASSIGN = key("assign")
GROUP = "workers"
ASSIGN_MAXLEN = 100_000
#: a game stream keeps at most about this many entries (MAXLEN ~); a worker also trims it
#: to its last snapshot, so it holds only what a take-over may need
GAME_MAXLEN = 8_000
#: the changes stream keeps about this many commit entries
CHANGES_MAXLEN = 100_000
#: the orchestrator stops publishing while this many messages are unprocessed
IN_FLIGHT = 4_000
#: a worker snapshots a game's state after this many of its messages
SNAPSHOT_EVERY = 1_000
#: the largest snapshot interval a game stream's length leaves room for
SNAPSHOT_EVERY_MAX = GAME_MAXLEN - IN_FLIGHT - 500
#: a run's keys vanish this long after its orchestrator stops refreshing them
ALIVE_SECONDS = 15


@frozen
class RunKeys:
    """Every key of one run."""

    run_id: str

    def _key(self, *parts: str) -> str:
        return key("run", self.run_id, *parts)

    @property
    def meta(self) -> str:
        """The run's strategies and settings (JSON), written before its first assignment."""
        return self._key("meta")

    @property
    def alive(self) -> str:
        """Refreshed by the orchestrator; when it expires, workers drop the run's games."""
        return self._key("alive")

    @property
    def changes(self) -> str:
        """Workers' commits: the changes of each batch and how far each game got."""
        return self._key("changes")

    @property
    def progress(self) -> str:
        """Hash: game → ``"<last entry id> <messages done>"``, the committed position."""
        return self._key("progress")

    @property
    def snapshots(self) -> str:
        """Hash: game → its shard's state at a committed position (JSON)."""
        return self._key("snap")

    def game(self, game_id: str) -> str:
        """The game's messages: its assignment, book updates, control messages, in order."""
        return self._key("game", game_id)

    def game_pattern(self) -> str:
        return self._key("game", "*")


#: One worker batch, committed atomically: every game's position must still be the one this
#: worker last wrote (a compare-and-set: a reclaimed game's old owner cannot write twice), then
#: positions, snapshots, acks of finished games and one changes entry are written together.
#: KEYS: progress, snapshots, changes, assign, then the n games' streams. ARGV: group, changes
#: maxlen, n, then n × (game, expected position, new position, snapshot or "", assignment id to
#: ack or ""), then the changes entry's v, kind, body. A snapshot trims its game's stream to the
#: snapshot's entry. Returns the games whose position was not the expected one.
COMMIT_SCRIPT = """
local n = tonumber(ARGV[3])
local conflicts = {}
for i = 0, n - 1 do
  local b = 4 + i * 5
  local current = redis.call('HGET', KEYS[1], ARGV[b])
  if current == false then current = '' end
  if current ~= ARGV[b + 1] then table.insert(conflicts, ARGV[b]) end
end
if #conflicts > 0 then return conflicts end
for i = 0, n - 1 do
  local b = 4 + i * 5
  redis.call('HSET', KEYS[1], ARGV[b], ARGV[b + 2])
  if ARGV[b + 3] ~= '' then
    redis.call('HSET', KEYS[2], ARGV[b], ARGV[b + 3])
    local at = string.match(ARGV[b + 2], '^(%S+)')
    redis.call('XTRIM', KEYS[5 + i], 'MINID', at)
  end
  if ARGV[b + 4] ~= '' then
    redis.call('XACK', KEYS[4], ARGV[1], ARGV[b + 4])
    redis.call('HDEL', KEYS[2], ARGV[b])
  end
end
local c = 4 + n * 5
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*',
  'v', ARGV[c], 'kind', ARGV[c + 1], 'body', ARGV[c + 2])
return conflicts
"""
