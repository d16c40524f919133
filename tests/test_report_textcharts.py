"""The terminal's character charts and display formats (arbkit.report.textcharts)."""

from __future__ import annotations

from decimal import Decimal as D

from arbkit.report.stats import Summary, edge_bins, nearest_rank, value_bins
from arbkit.report.textcharts import bar_rows, dollars, money, seconds, sparkline


def test_sparkline_runs_from_lowest_to_highest_and_keeps_its_width() -> None:
    assert sparkline([D(0), D(1), D(2), D(7)]) == "▁▂▃█"
    assert sparkline([D(5), D(5)]) == "▅▅"  # flat: the middle block, not a fall or a rise
    long = sparkline([D(i) for i in range(1000)], width=60)
    assert len(long) == 60 and long[0] == "▁" and long[-1] == "█"
    assert sparkline([]) == ""


def test_bar_rows_scale_to_the_largest_and_show_a_sliver_for_small_counts() -> None:
    rows = bar_rows([("a", 10), ("bb", 5), ("c", 0), ("d", 1)], width=10)
    assert rows == [
        " a │██████████ 10",
        "bb │█████      5",
        " c │           0",
        " d │█          1",
    ]
    assert bar_rows([("x", 1), ("y", 100)], width=10)[0] == "x │▏          1"


def test_display_formats() -> None:
    assert money(D("17.92364")) == "17.92" and money(D("-112.225")) == "-112.22"
    assert money(D(1234567)) == "1,234,567.00"
    assert [seconds(D(s)) for s in ("0.4", "12.5", "79.512", "4897")] == [
        "400 ms",
        "12.5 s",
        "1 min 19 s",
        "1 h 21 min",
    ]


def test_nearest_rank_quantiles_are_observed_values() -> None:
    ordered = [D(1), D(2), D(3), D(4), D(10)]
    assert nearest_rank(ordered, D("0.5")) == D(3)
    assert nearest_rank(ordered, D("0.9")) == D(10)
    summary = Summary.of([D(10), D(1), D(4), D(2), D(3)])
    assert (summary.minimum, summary.median, summary.maximum, summary.mean) == (
        D(1),
        D(3),
        D(10),
        D(4),
    )
    assert Summary.of([]).count == 0


def test_value_bins_pick_a_round_width_and_hold_every_value() -> None:
    values = [D("0.0086"), D("0.0089"), D("0.0159"), D("0.0202"), D("0.0212"), D("0.0526")]
    bins = value_bins(values)
    assert len(bins) <= 12 and sum(b.count for b in bins) == len(values)
    widths = {b.high - b.low for b in bins if b.high is not None and b.low is not None}
    assert widths == {D("0.005")}  # 0.001 and 0.0025 would need more than 12 bins
    assert bins[0].low == D("0.005") and bins[-1].high == D("0.055")
    assert value_bins([D("0.97")] * 3)[0].count == 3


def test_edge_bins_are_half_open_and_the_last_unbounded() -> None:
    bins = edge_bins(
        [D(0), D(1), D("9.99"), D(10), D(1000)], [("<1", D(0)), ("1-10", D(1)), (">=10", D(10))]
    )
    assert [(b.label, b.count) for b in bins] == [("<1", 1), ("1-10", 2), (">=10", 2)]
    assert bins[-1].high is None


def test_dollars_put_the_sign_first_and_never_show_minus_zero() -> None:
    assert dollars(D("-5.98436")) == "-$5.98"  # not "$-5.98"
    assert dollars(D("1234.5")) == "$1,234.50"
    assert money(D("-0.001")) == "0.00" and dollars(D("-0.004")) == "$0.00"  # not "-0.00"
    assert money(D("-0.005")) == "0.00"  # half to even: a cent's half is not a loss shown
    assert money(D("-0.015")) == "-0.02"
    assert dollars(None) == ""
