"""`arbkit match markets` with a Kalshi market that has no title or sub-title (issue 11)."""

from __future__ import annotations

import json

from cli_helpers import run_main

from arbkit.recordings import sample_dir


def _sample_files(tmp_path, strip: bool):
    events = json.loads((sample_dir() / "kalshi" / "events.json").read_text())
    if strip:
        market = events[0]["markets"][0]
        for key in ("yes_sub_title", "no_sub_title", "title", "subtitle"):
            market.pop(key, None)
    kalshi = tmp_path / ("kalshi-stripped.json" if strip else "kalshi.json")
    kalshi.write_text(json.dumps(events))
    return sample_dir() / "polymarket" / "events.json", kalshi, events[0]["markets"][0]["ticker"]


def _links(capsys, polymarket, kalshi):
    result = run_main(
        capsys,
        ["match", "markets", "--polymarket", str(polymarket), "--kalshi", str(kalshi), "--json",
         "--no-save"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload, _ = json.JSONDecoder().raw_decode(result.output[result.output.index("{") :])
    return {(m["polymarket"]["token_id"], m["kalshi"]["ticker"]) for m in payload["matches"]}


def test_a_ticker_only_kalshi_market_never_stops_the_batch(tmp_path, capsys):
    polymarket, full, _ = _sample_files(tmp_path, strip=False)
    _, stripped, ticker = _sample_files(tmp_path, strip=True)
    before = _links(capsys, polymarket, full)
    after = _links(capsys, polymarket, stripped)
    assert len(before) > 10
    # every link not about the stripped market is still there, and that one is matched from its
    # ticker (or, if it could not be, only its own links are missing)
    assert {p for p in before if p[1] != ticker} <= after
    assert after <= before  # and nothing new, nothing inverted
    assert any(p[1] == ticker for p in after)
