"""Fuzzing the core readers: every generated or mutated input ends in its model or an ArbkitError.

Issue 10 item 11, core part: the replay reader (stream lines and JSON files mutated from the
shipped sample), the stream frame decoder, the config loader (TOML text, and wrong values for
the real keys) and the options of ``arbkit scan`` (their types and callbacks, then real one-shot
``--sample`` runs). Never another exception, never a recorded book priced outside (0, 1).

CI runs a fixed, derandomized budget (the ``ci`` profile in the root conftest.py); run longer with
``HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_core.py`` (docs/errors.md, "Fuzz tests").
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import os
import shutil
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import click
import pytest
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

from arbkit import ArbkitError, ConfigError
from arbkit import config as config_module
from arbkit.cli import make_cli
from arbkit.cli.config import toml_lines
from arbkit.cli.options import FiniteFloat
from arbkit.cli.state import AppState
from arbkit.config import Config
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import (
    MAX_TS_MS,
    load_recordings,
    read_json_file,
    read_stream_file,
    recorded_now,
    sample_dir,
)
from arbkit.registry import get_venues
from arbkit.streaming import _decode
from arbkit.venue import VenueSettings

PM = make_plugin_manager()  # one for all examples: building it costs more than an example
VENUES = get_venues(PM)
SAMPLE = sample_dir()
VENUE_FILES = sorted(  # what arbkit reads of a replay: the venues' files and the manifest
    str(path.relative_to(SAMPLE))
    for path in (*SAMPLE.glob("*/*"), SAMPLE / "manifest.json")
    if path.suffix in (".json", ".jsonl")
)
STREAMS = {
    venue: (SAMPLE / venue / "stream.jsonl").read_bytes() for venue in ("kalshi", "polymarket")
}

#: Any JSON value, including the NaN and Infinity Python's json reads and writes.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
#: Text that looks like numbers, timestamps, prices, near misses of them, and plain noise.
number_text = st.one_of(
    st.sampled_from(
        [
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e400",
            "-1e400",
            "-0",
            "0",
            "1_0",
            " 5 ",
            "0x10",
            "",
            ",",
            "1e-400",
        ]
    ),
    st.floats().map(repr),
    st.decimals(allow_nan=True).map(str),
    st.integers().map(str),
    st.text(max_size=10),
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder the examples overwrite (hypothesis re-runs a test body, not its fixtures)."""
    yield tmp_path_factory.mktemp("fuzz")


def one_line(exc: BaseException) -> None:
    assert "\n" not in str(exc), str(exc)


# -- the replay reader -----------------------------------------------------------------------


@st.composite
def mutated_line(draw: st.DrawFn, line: bytes) -> bytes:
    """A recorded stream line with one change a disk, a recorder or a person could make."""
    body = line.rstrip(b"\n")
    kind = draw(st.sampled_from(["keep", "cut", "byte", "insert", "ts", "msg", "row", "deep"]))
    if kind == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    elif kind == "byte":
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    elif kind == "insert":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=6)) + body[at:]
    elif kind in ("ts", "msg"):
        row = json.loads(body)
        row[kind] = draw(json_values | st.integers(min_value=-(2**70), max_value=2**70))
        body = json.dumps(row).encode()
    elif kind == "row":
        body = json.dumps(draw(json_values)).encode()
    elif kind == "deep":
        depth = draw(st.integers(500, 3000))
        body = b'{"ts": 1, "msg": ' + b"[" * depth + b"]" * depth + b"}"
    return body + b"\n"


@st.composite
def stream_files(draw: st.DrawFn) -> bytes:
    lines = STREAMS[draw(st.sampled_from(sorted(STREAMS)))].splitlines(keepends=True)
    picked = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=6))
    text = b"".join(draw(mutated_line(line)) for line in picked)
    return text[:-1] if draw(st.booleans()) else text  # a recorder stopped before the newline


@given(content=stream_files())
def test_fuzz_stream_file(scratch: Path, content: bytes) -> None:
    path = scratch / "stream.jsonl"
    path.write_bytes(content)
    try:
        stream = read_stream_file(path)
    except ConfigError as exc:
        one_line(exc)
        assert str(exc).startswith(f"{path}")
        return
    assert len(stream) <= content.count(b"\n") + 1
    for ts, msg in stream:
        assert type(ts) is int and 0 <= ts <= MAX_TS_MS
        assert isinstance(msg, dict)
    assert [ts for ts, _ in stream] == sorted(ts for ts, _ in stream)


@cache
def _parsed(name: str) -> tuple[Any, tuple[tuple[Any, ...], ...]]:
    """A sample JSON file and the path to every node in it."""
    data = json.loads((SAMPLE / name).read_text())
    found: list[tuple[Any, ...]] = []

    def walk(node: Any, where: tuple[Any, ...]) -> None:
        found.append(where)
        if isinstance(node, dict | list):
            for key, child in node.items() if isinstance(node, dict) else enumerate(node):
                walk(child, (*where, key))

    walk(data, ())
    return data, tuple(found)


@st.composite
def mutated_json(draw: st.DrawFn, name: str) -> bytes:
    """A sample JSON file with one node replaced, dropped or re-typed, or its bytes damaged."""
    data, paths = _parsed(name)
    if draw(st.integers(0, 4)) == 0:  # a byte-level change: mostly not JSON any more
        raw = (SAMPLE / name).read_bytes()
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + draw(st.binary(max_size=4)) + raw[at + draw(st.integers(0, 4)) :]
    data = copy.deepcopy(data)
    where = draw(st.sampled_from(paths))
    if not where:
        return json.dumps(draw(json_values)).encode()
    parent = data
    for key in where[:-1]:
        parent = parent[key]
    key = where[-1]
    how = draw(st.sampled_from(["replace", "drop", "retype"]))
    if how == "drop":
        del parent[key]
    elif how == "retype":
        old = parent[key]
        parent[key] = draw(st.sampled_from([str(old), [old], {"v": old}, None]))
    else:
        parent[key] = draw(json_values)
    return json.dumps(data).encode()


@st.composite
def replay_changes(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(VENUE_FILES))
    if name.endswith(".jsonl"):
        return name, draw(stream_files())
    return name, draw(mutated_json(name))


def _sound(book: Any) -> bool:
    levels = (*book.bids, *book.asks)
    return all(0 < price < 1 and size > 0 for price, size in levels)


@settings(max_examples=max(10, settings.default.max_examples // 3))  # each reads a whole replay
@given(change=replay_changes())
def test_fuzz_replay_directory(scratch: Path, change: tuple[str, bytes]) -> None:
    """A whole recording with one file damaged: its recordings or an ArbkitError."""
    name, content = change
    directory = scratch / "replay"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(SAMPLE, directory)
    (directory / name).write_bytes(content)
    try:
        recordings = load_recordings(PM, directory)
        recorded_now(directory, recordings)
    except ArbkitError as exc:
        one_line(exc)
        return
    for recording in recordings.values():
        assert all(_sound(book) for book in recording.books)
        assert all(isinstance(msg, dict) for _, msg in recording.stream)


@given(content=st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_fuzz_json_file(scratch: Path, content: bytes) -> None:
    path = scratch / "file.json"
    path.write_bytes(content)
    try:
        data = read_json_file(path, list)
    except ConfigError as exc:
        one_line(exc)
        return
    assert isinstance(data, list)


@st.composite
def frames(draw: st.DrawFn) -> str | bytes:
    """A websocket frame: a recorded message, damaged or not, or generated JSON, text or bytes."""
    line = draw(
        st.sampled_from(STREAMS["kalshi"].splitlines() + STREAMS["polymarket"].splitlines())
    )
    recorded = json.dumps(json.loads(line)["msg"]).encode()
    frame = draw(
        st.sampled_from([recorded, b"[" + recorded + b"]"])
        | mutated_line(recorded).map(bytes.strip)
        | json_values.map(json.dumps).map(str.encode)
        | st.binary(max_size=20)
    )
    return frame.decode(errors="replace") if draw(st.booleans()) else frame


@given(frame=frames())
def test_fuzz_stream_frame(frame: str | bytes) -> None:
    """Whatever a socket delivers, the feed gets a list of objects and keeps going."""
    messages = _decode(frame)
    assert isinstance(messages, list) and all(isinstance(m, dict) for m in messages)


# -- the config loader -----------------------------------------------------------------------

GOOD_CONFIG = """\
[venues.kalshi]
sandbox = true
proxy = "http://127.0.0.1:3128"
timeout = 10
cache_ttl = 30
base_url = "https://example.test/api"
api_key_id = "key-id"

[venues.kalshi.urls]
ws = "wss://example.test/ws"

[venues.polymarket]
timeout = 2.5
proxy = "socks5://user:pass@127.0.0.1:1080"

[scan]
min_edge = "0.005"
lookahead = 24
"""

toml_values = st.recursive(
    st.none().map(lambda _: "")  # TOML has no null
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "http://h:3128",
            "socks5h://h",
            "http://h:99999",
            "http://[::1",
            "not a proxy",
            "ftp://h",
            "false",
            "forever",
            "10",
        ]
    )
    | st.datetimes(timezones=st.just(datetime.UTC))
    | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
SETTING_KEYS = (
    "sandbox",
    "proxy",
    "timeout",
    "base_url",
    "urls",
    "cache_ttl",
    "api_key_id",
    "api_key",
)
SCAN_KEYS = config_module._SCAN_KEYS  # the keys the loader knows: fuzz exactly those


def _same(a: Any, b: Any) -> bool:
    """Equal, counting NaN equal to NaN (the TOML round trip keeps it)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _check_config(config: Config) -> None:
    """Every venue's settings from it: valid ones, or a ConfigError; ``show`` reads back."""
    for name, cls in sorted(VENUES.items()):
        try:
            settings_ = config.venue_settings(name, cls.credential_names)
            cls(settings_)
        except ConfigError as exc:
            one_line(exc)
            continue
        assert isinstance(settings_, VenueSettings)
        assert isinstance(settings_.sandbox, bool)
        assert math.isfinite(settings_.timeout) and settings_.timeout >= 0
        assert settings_.proxy is None or isinstance(settings_.proxy, str)
        assert all(isinstance(v, str) for v in settings_.base_urls.values())
    masked = config.masked({name: cls.credential_names for name, cls in VENUES.items()})
    shown = "\n".join(toml_lines(masked, []))
    assert _same(tomllib.loads(shown), masked), shown


@st.composite
def config_texts(draw: st.DrawFn) -> bytes:
    """The good config with a few bytes changed, or generated text."""
    if draw(st.booleans()):
        return draw(st.text(max_size=60)).encode(errors="surrogatepass")
    raw = GOOD_CONFIG.encode()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + draw(st.binary(max_size=3)) + raw[at + draw(st.integers(0, 3)) :]
    return raw


@given(content=config_texts())
def test_fuzz_config_text(scratch: Path, content: bytes) -> None:
    path = scratch / "config.toml"
    path.write_bytes(content)
    try:
        config = Config.load(path)
    except ConfigError as exc:
        one_line(exc)
        return
    _check_config(config)


@st.composite
def config_data(draw: st.DrawFn) -> dict[str, Any]:
    venues = {
        venue: draw(st.dictionaries(st.sampled_from(SETTING_KEYS), toml_values, max_size=4))
        for venue in draw(st.lists(st.sampled_from(["kalshi", "polymarket", "replay"]), max_size=2))
    }
    data: dict[str, Any] = {"venues": venues}
    if draw(st.booleans()):
        data["scan"] = draw(st.dictionaries(st.sampled_from(SCAN_KEYS), toml_values, max_size=3))
    if draw(st.integers(0, 5)) == 0:  # a section that is not a table at all
        data[draw(st.sampled_from(["venues", "scan"]))] = draw(toml_values)
    return data


ENV_NAMES = ("ARBKIT_KALSHI_TIMEOUT", "ARBKIT_KALSHI_PROXY", "ARBKIT_POLYMARKET_PROXY")


@given(
    data=config_data(),
    env=st.dictionaries(st.sampled_from(ENV_NAMES), number_text | toml_values.map(str), max_size=2),
)
def test_fuzz_config_values(data: dict[str, Any], env: dict[str, str]) -> None:
    """Wrong types and values for the real keys, in the file and in ``ARBKIT_*`` variables."""
    env = {k: v for k, v in env.items() if "\x00" not in v}  # the OS refuses NUL in variables
    with mock.patch.dict(os.environ, env):
        try:
            config = Config(data)
            _check_config(config)
        except ConfigError as exc:
            one_line(exc)


# -- scan's options --------------------------------------------------------------------------

SCAN = make_cli(PM).commands["scan"]
NUMERIC = ("--min-edge", "--min-confidence", "--max-size", "--lookahead", "--cutoff", "--speed",
           "--poll", "--rediscover")  # fmt: skip
LEAGUES = sorted({league for cls in VENUES.values() for league in cls.leagues})


def _param(option: str) -> click.Option:
    [param] = [p for p in SCAN.params if option in getattr(p, "opts", ())]
    assert isinstance(param, click.Option)
    return param


@given(option=st.sampled_from(NUMERIC), value=number_text)
def test_fuzz_numeric_options(option: str, value: str) -> None:
    """Each value parses to a finite number inside the option's bounds, or is a usage error."""
    try:
        ctx = SCAN.make_context("scan", [f"{option}={value}"])
    except click.UsageError as exc:
        assert exc.exit_code == 2
        one_line(exc)
        return
    param = _param(option)
    parsed = ctx.params[param.name]
    if isinstance(param.type, FiniteFloat):
        assert isinstance(parsed, float) and math.isfinite(parsed)
        assert param.type.low is None or parsed >= param.type.low
        assert param.type.high is None or parsed <= param.type.high
    else:
        assert isinstance(parsed, Decimal) and parsed.is_finite()
        assert parsed > 0 if option == "--max-size" else parsed >= 0


names = st.sampled_from(["kalshi", "polymarket", "replay", "", " ", ",", "KALSHI", "nope"])
venue_lists = st.lists(names, min_size=1, max_size=3).map(",".join) | st.text(max_size=8)
leagues = st.sampled_from([*LEAGUES, "NBA", "", "curling", " nba"]) | st.text(max_size=6)


#: Values most options accept, so that many runs get past parsing.
plausible = st.decimals(min_value=0, max_value=1, places=3).map(str)
good_venues = st.lists(st.sampled_from(["kalshi", "polymarket"]), min_size=1).map(",".join)


@st.composite
def scan_args(draw: st.DrawFn) -> list[str]:
    """Mostly plausible options (a real run), one in four values generated noise."""

    def pick(good: st.SearchStrategy[str], noise: st.SearchStrategy[str]) -> str:
        return draw(noise if draw(st.integers(0, 3)) == 0 else good)

    args = ["scan", "--sample", "--no-store"]
    for option in draw(st.lists(st.sampled_from(NUMERIC), unique=True, max_size=3)):
        args.append(f"{option}={pick(plausible, number_text)}")
    if draw(st.booleans()):
        args.append(f"--venues={pick(good_venues, venue_lists)}")
    for _ in range(draw(st.integers(0, 2))):
        args.append(f"--league={pick(st.sampled_from(LEAGUES), leagues)}")
    if draw(st.booleans()):
        args.append("--json")
    return args


@settings(max_examples=max(10, settings.default.max_examples // 3))  # each may scan the sample
@given(args=scan_args())
def test_fuzz_scan_invocations(args: list[str]) -> None:
    """Real one-shot ``scan --sample`` runs: exit 0, 1 (one ArbkitError line) or 2, no traceback."""
    args = [arg for arg in args if "\x00" not in arg]
    result = CliRunner().invoke(make_cli(PM), args, obj=AppState(pm=PM))
    assert "Traceback" not in result.output
    event(f"exit {result.exit_code}")
    if result.exit_code == 1:
        assert isinstance(result.exception, ArbkitError), repr(result.exception)
        one_line(result.exception)
        return
    assert result.exit_code in (0, 2), (result.exit_code, repr(result.exception), result.output)
    if result.exit_code == 0 and "--json" in args:
        json.loads(result.stdout)
