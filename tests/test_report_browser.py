"""Issue 14's acceptance: ``arbkit report --format html`` on the sample session renders its
charts in a real headless Chromium, with no network, no console error and no blank chart.

The page is loaded from a ``file://`` URL with every network request blocked, so an external
script or font would fail the test. Each chart is checked twice: plotly drew SVG marks with
a size inside it, and a screenshot of its area holds the trace's own colour (a blank or
half-drawn chart has none). The full-page screenshot is kept as docs/report-screenshot.png
when ``ARBKIT_SAVE_SCREENSHOT`` names a file.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import attrs
import pytest
from report_helpers import CHROMIUM, Page, chromium, connect, png_pixels, png_size
from trade_helpers import run_trade

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

#: the trace colours the HTML renderer gives bars and the P&L line (arbkit.report.html)
BAR = (0x4C, 0x78, 0xA8)
LINE = (0x2A, 0x9D, 0x5C)
CHARTS = {
    "chart-refusals": BAR,
    "chart-lifetime": BAR,
    "chart-edge": BAR,
    "chart-confidence": BAR,
    "chart-pnl": LINE,
}

MARKS = """
[...document.querySelectorAll('div.chart')].map(box => {
  const plot = box.querySelector('.js-plotly-plot');
  const marks = plot ? [...plot.querySelectorAll('.cartesianlayer .trace path')] : [];
  const drawn = marks.filter(m => { const r = m.getBoundingClientRect();
                                    return r.width > 0 && r.height > 0; });
  const r = box.getBoundingClientRect();
  return {id: box.dataset.chart, plotly: !!(plot && plot._fullLayout), marks: marks.length,
          drawn: drawn.length, x: r.left + window.scrollX, y: r.top + window.scrollY,
          width: r.width, height: r.height};
})
"""


@attrs.frozen
class Rendered:
    charts: list[dict[str, Any]]  #: MARKS for each chart
    errors: list[str]  #: console errors, exceptions, failed loads
    crops: dict[str, bytes]  #: PNG of each chart's area (and "title", a control)
    shot: bytes  #: the whole page
    annotations: dict[str, list[str]]  #: each chart's annotation texts


def _html_report(db: Path, page: Path, *args: str) -> Path:
    pm = make_plugin_manager()
    result = make_cli(pm).main(
        ["--db", str(db), "report", "--format", "html", "--out", str(page), *args],
        obj=AppState(pm=pm),
        standalone_mode=False,
    )
    assert result is None and page.exists()
    return page


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """The sample session's report (all of it, and 2026-11-25: P&L only) in one Chromium."""
    where = tmp_path_factory.mktemp("browser")
    db = where / "arbkit.db"
    run_trade(db, "--sample")
    pages = {
        "all": _html_report(db, where / "all.html"),
        "quiet": _html_report(db, where / "quiet.html", "--date", "2026-11-25"),
    }
    return asyncio.run(_render_all(pages, where / "profile"))


async def _render_all(pages: dict[str, Path], profile: Path) -> dict[str, Rendered]:
    with chromium(profile) as url:
        async with await connect(url) as socket:
            return {name: await _render(socket, path) for name, path in pages.items()}


async def _render(socket: Any, page_file: Path) -> Rendered:
    page = await Page.open(socket)
    for domain in ("Page", "Runtime", "Log", "Network"):
        await page.send(f"{domain}.enable")
    # Only the page itself may load: anything from the network is blocked.
    await page.send("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*"])
    await page.send(
        "Emulation.setDeviceMetricsOverride",
        width=1200,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    await page.send("Page.navigate", url=page_file.as_uri())
    await page.wait_for("Page.loadEventFired", timeout=60)
    # plotly draws asynchronously: wait until every chart has its marks or its annotation
    await page.evaluate(
        "new Promise(ok => { const t = Date.now(); (function poll() {"
        " const boxes = [...document.querySelectorAll('div.chart')];"
        " const done = boxes.every(b => b.querySelector("
        "   '.cartesianlayer .trace path, .annotation-text'));"
        " if (done || Date.now() - t > 20000) ok(done);"
        " else setTimeout(poll, 50); })(); })"
    )
    charts = await page.evaluate(MARKS)
    annotations = await page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('div.chart')].map(b =>"
        " [b.dataset.chart, [...b.querySelectorAll('.annotation-text')].map(a => a.textContent)]))"
    )
    crops = {}
    for chart in charts:
        clip = {k: chart[k] for k in ("x", "y", "width", "height")}
        crops[chart["id"]] = await page.screenshot(clip, scale=0.5)
    # a control: the title's area holds no chart colour, so the check can fail
    title = await page.evaluate(
        "(() => { const r = document.querySelector('h1').getBoundingClientRect();"
        " return {x: r.left, y: r.top + window.scrollY, width: r.width,"
        " height: r.height}; })()"
    )
    crops["title"] = await page.screenshot(title, scale=0.5)
    shot = await page.screenshot()
    failed = [str(e["params"]) for e in page.events if e["method"] == "Network.loadingFailed"]
    return Rendered(charts, page.errors() + failed, crops, shot, annotations)


def _shade(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> float:
    """How much of ``colour`` over white ``pixel`` is (0 white .. 1 the colour itself), or 0
    when it is not a blend of the two (another colour): anti-aliased edges still count."""
    shares = [(255 - p) / (255 - c) for p, c in zip(pixel, colour, strict=True)]
    return sum(shares) / 3 if max(shares) - min(shares) <= 0.15 else 0.0


def _share(png: bytes, colour: tuple[int, int, int]) -> float:
    """The share of the pixels that are strong shades of ``colour`` (half or more)."""
    _, _, pixels = png_pixels(png)
    return sum(1 for p in pixels if _shade(p, colour) >= 0.5) / len(pixels)


def _has_colour(png: bytes, colour: tuple[int, int, int], share: float) -> bool:
    return _share(png, colour) >= share


def test_html_report_charts_render_in_headless_chromium(rendered) -> None:
    result = rendered["all"]
    assert result.errors == []
    assert sorted(c["id"] for c in result.charts) == sorted(CHARTS)
    for chart in result.charts:
        assert chart["plotly"], chart
        assert chart["drawn"] > 0, chart
        assert chart["width"] > 300 and chart["height"] > 200, chart
        # bars: a few pixels of a thin bar already count; the line is thinner still
        assert _has_colour(result.crops[chart["id"]], CHARTS[chart["id"]], 0.002), chart["id"]
        assert result.annotations[chart["id"]] == []
    assert not _has_colour(result.crops["title"], BAR, 0.002)
    assert not _has_colour(result.crops["title"], LINE, 0.002)
    width, height = png_size(result.shot)
    assert width == 1200 and height > 900
    keep = os.environ.get("ARBKIT_SAVE_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(result.shot)


def test_a_day_without_opportunities_says_so_in_each_empty_chart(rendered) -> None:
    """2026-11-25 only settled the evening's positions: the P&L line is drawn, and each
    opportunity chart is an empty plot that says why, with no error."""
    result = rendered["quiet"]
    assert result.errors == []
    by_id = {c["id"]: c for c in result.charts}
    assert by_id["chart-pnl"]["drawn"] > 0
    assert _has_colour(result.crops["chart-pnl"], LINE, 0.002)
    for chart_id in ("chart-refusals", "chart-lifetime", "chart-edge", "chart-confidence"):
        assert by_id[chart_id]["plotly"] and by_id[chart_id]["drawn"] == 0
        assert result.annotations[chart_id] == ["nothing in this window"]
        assert not _has_colour(result.crops[chart_id], BAR, 0.002)
