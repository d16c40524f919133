"""``arbkit match`` end to end: raw venue files through the real parsers, overrides in the DB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbkit.plugins import ArbkitPluginManager, make_plugin_manager

HERE_SAMPLES = Path(__file__).parent / "data" / "matching" / "venue"


def _kalshi_market(base: dict, code: str, label: str) -> dict:
    market = dict(base)
    market.update(
        ticker=f"KXNFLGAME-26SEP17DETBUF-{code}",
        event_ticker="KXNFLGAME-26SEP17DETBUF",
        title=f"{label} wins",
        yes_sub_title=label,
        no_sub_title=label,
    )
    return market


@pytest.fixture
def files(tmp_path: Path, venues_pm: ArbkitPluginManager) -> tuple[Path, Path, ArbkitPluginManager]:
    """The real Gamma NFL event (DET at BUF) and Kalshi markets for that game, as JSONL."""
    poly = json.loads((HERE_SAMPLES / "polymarket_gamma_event_nfl_game.json").read_text())
    base = json.loads((HERE_SAMPLES / "kalshi_market_nfl_game.json").read_text())
    base = base.get("market", base)
    kalshi = [_kalshi_market(base, "DET", "Detroit"), _kalshi_market(base, "BUF", "Buffalo")]
    poly_path, kalshi_path = tmp_path / "poly.json", tmp_path / "kalshi.jsonl"
    poly_path.write_text(json.dumps(poly))
    kalshi_path.write_text("\n".join(json.dumps(m) for m in kalshi))
    return poly_path, kalshi_path, venues_pm


@pytest.fixture
def venues_pm(monkeypatch: pytest.MonkeyPatch) -> ArbkitPluginManager:
    """The built-in venue plugins (their parsers read the raw files)."""
    monkeypatch.setenv("ARBKIT_LOAD_PLUGINS", "polymarket,kalshi,replay")
    return make_plugin_manager()


def _markets(invoke, files, *extra: str) -> dict:
    result = invoke(
        [
            "match",
            "markets",
            "--polymarket",
            str(files[0]),
            "--kalshi",
            str(files[1]),
            "--json",
            *extra,
        ],
        plugin_manager=files[2],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_team_line_and_json(invoke) -> None:
    result = invoke(["match", "team", "Celtics", "Boston Celtics"])
    assert (
        result.output.strip()
        == "Team match: 'Celtics' vs 'Boston Celtics' -> True (confidence: 0.97, league: NBA)"
    )
    data = json.loads(invoke(["match", "team", "Lakers", "Los Angeles Dodgers", "--json"]).output)
    assert data["match"] is False and data["team"] is None and data["reasons"]
    assert set(data) == {"a", "b", "match", "confidence", "league", "team", "reasons"}
    data = json.loads(
        invoke(["match", "team", "Kings", "LA Kings", "--league", "nhl", "--json"]).output
    )
    assert data["match"] is True and data["team"] == "Los Angeles Kings" and data["league"] == "NHL"
    data = json.loads(
        invoke(["match", "team", "Kings", "Sacramento Kings", "--league", "nhl", "--json"]).output
    )
    assert data["match"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["match", "team", "a", "b", "--league", "curling"],
        ["match", "markets", "--polymarket", "/no/such/file", "--kalshi", "/no/such/file"],
        ["match", "markets", "--replay", "/no/such/dir"],
    ],
)
def test_bad_input_is_one_line_error(invoke, args: list[str]) -> None:
    result = invoke(args)
    assert result.exit_code != 0
    assert result.output.startswith("Error:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_json_file_is_one_line_error(invoke, files, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = invoke(["match", "markets", "--polymarket", str(bad), "--kalshi", str(files[1])])
    assert result.exit_code != 0 and result.output.startswith("Error:")


def test_markets_from_raw_files_pairs_sides(invoke, files) -> None:
    data = _markets(invoke, files)
    pairs = {(m["polymarket"]["outcome"], m["kalshi"]["ticker"]): m for m in data["matches"]}
    assert {k: m["relation"] for k, m in pairs.items()} == {
        ("Lions", "KXNFLGAME-26SEP17DETBUF-DET"): "same",
        ("Lions", "KXNFLGAME-26SEP17DETBUF-BUF"): "opposite",
        ("Bills", "KXNFLGAME-26SEP17DETBUF-BUF"): "same",
        ("Bills", "KXNFLGAME-26SEP17DETBUF-DET"): "opposite",
    }
    one = pairs[("Lions", "KXNFLGAME-26SEP17DETBUF-DET")]
    assert set(one) == {
        "venues",
        "polymarket",
        "kalshi",
        "relation",
        "confidence",
        "league",
        "game_date",
        "reasons",
    }
    assert one["polymarket"]["market"] == "nfl-det-buf-2026-09-18"  # the slug's UTC date
    assert one["game_date"] == "2026-09-17" and one["league"] == "NFL"
    assert one["polymarket"]["token_id"] and one["reasons"]
    assert one["venues"] == ["polymarket", "kalshi"]  # each side keyed by its own venue
    assert one["kalshi"]["contract"] == "KXNFLGAME-26SEP17DETBUF-DET:yes"
    assert one["polymarket"]["contract"] == one["polymarket"]["token_id"]
    assert all(
        m["polymarket"]["market"] == "nfl-det-buf-2026-09-18" for m in data["matches"]
    )  # no spread


def test_overrides_persist_and_beat_the_algorithm(invoke, files) -> None:
    first = _markets(invoke, files)
    lions = next(m for m in first["matches"] if m["kalshi"]["ticker"].endswith("-DET"))
    token, ticker = lions["polymarket"]["token_id"], lions["kalshi"]["ticker"]

    result = invoke(["match", "reject", token, ticker, "--note", "test"])
    assert result.exit_code == 0, result.output
    second = _markets(invoke, files)
    assert not any(
        m["polymarket"]["token_id"] == token and m["kalshi"]["ticker"] == ticker
        for m in second["matches"]
    )
    assert any("override: rejected" in " ".join(m["reasons"]) for m in second["near_misses"])

    # confirming against the NO contract is stored flipped: token = DET NO means opposite of DET YES
    result = invoke(["match", "confirm", token, f"{ticker}:no", "--relation", "same"])
    assert result.exit_code == 0 and "opposite" in result.output
    third = _markets(invoke, files)
    forced = next(
        m
        for m in third["matches"]
        if m["polymarket"]["token_id"] == token and m["kalshi"]["ticker"] == ticker
    )
    assert forced["relation"] == "opposite" and forced["confidence"] == 1.0

    listed = json.loads(invoke(["match", "list", "--json"]).output)
    assert any(o["decision"] == "confirm" for o in listed["overrides"])
    row = next(
        r
        for r in listed["matches"]
        if r["left_contract"] == token and r["right_contract"] == f"{ticker}:yes"
    )
    assert row["source"] == "override" and row["relation"] == "opposite"
    assert invoke(["match", "list"]).exit_code == 0


def test_confirm_needs_a_relation(invoke) -> None:
    result = invoke(["match", "confirm", "tok", "KXNFLGAME-26SEP17DETBUF-DET"])
    assert result.exit_code != 0


def test_sample_lists_every_game_with_correct_sides_and_no_decoy(invoke, venues_pm) -> None:
    from arbkit.recordings import sample_dir

    expected = json.loads((sample_dir() / "EXPECTED.json").read_text())
    result = invoke(
        ["match", "markets", "--sample", "--json", "--no-save"], plugin_manager=venues_pm
    )
    assert result.exit_code == 0, result.output
    got = {
        (m["polymarket"]["market"], m["polymarket"]["outcome"], m["kalshi"]["ticker"]): m[
            "relation"
        ]
        for m in json.loads(result.stdout)["matches"]
    }
    games = [g for g in expected["games"] if g.get("polymarket_slug") and g.get("kalshi_markets")]
    assert games
    for game in games:
        for side, other in (("away", "home"), ("home", "away")):
            outcome = game["polymarket_outcomes"][side]
            slug = game["polymarket_slug"]
            assert got[(slug, outcome, game["kalshi_markets"][side])] == "same"
            assert got[(slug, outcome, game["kalshi_markets"][other])] == "opposite"
    matching_decoys = [
        d for d in expected["decoys"] if d["kind"] in ("cross_league_name", "cross_date")
    ]
    assert matching_decoys
    for decoy in matching_decoys:
        assert (
            decoy["polymarket_slug"],
            decoy["polymarket_outcome"],
            decoy["kalshi_ticker"],
        ) not in got


def test_markets_option_names_each_venue_file(invoke, files) -> None:
    poly, kalshi, pm = files
    short = _markets(invoke, files, "--no-save")
    result = invoke(
        ["match", "markets", "--markets", f"polymarket={poly}", "--markets", f"kalshi={kalshi}",
         "--json", "--no-save"],
        plugin_manager=pm,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == short and short["matches"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--markets", "kalshi"], "expected VENUE=FILE"),
        (["--markets", "kalshi=a", "--markets", "kalshi=b"], "names kalshi twice"),
        (["--markets", "kalshi=a"], "two venues or more"),
        (["--kalshi", "a", "--markets", "kalshi=b", "--polymarket", "c"], "both given"),
        (["--sample", "--markets", "kalshi=a", "--markets", "polymarket=b"], "use one of"),
    ],
)
def test_bad_market_files_are_one_line_errors(invoke, args, message) -> None:
    result = invoke(["match", "markets", *args])
    assert result.exit_code == 1 and result.output.startswith("Error:"), result.output
    assert message in result.output and "Traceback" not in result.output
