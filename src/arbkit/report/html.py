"""The report as one self-contained HTML page: the same sections, with plotly charts.

plotly.js is inlined once in the page's head, so the file opens with no network at all (a mail
attachment, an air-gapped box); each chart is a ``<div>`` with a fixed id, so the same data
gives the same bytes. plotly is imported here only: the CLI's start-up never pays for it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from arbkit.report.gather import Report
from arbkit.report.layout import Chart, Table, headline, sections, title_of

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
p.caption { font-style: italic; margin: 0.8rem 0 0.2rem; }
th, td { padding: 0.2rem 0.8rem; border-bottom: 1px solid #eee; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { height: 340px; margin-bottom: 1rem; min-width: 0; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
p.lead { font-size: 1.05rem; font-weight: 600; background: #f3f6fa; padding: 0.6rem 0.8rem; }
"""
BAR = "#4c78a8"  #: bar charts' colour (the browser test looks for it in each chart)
LINE = "#2a9d5c"  #: the cumulative P&L line's
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _table(table: Table) -> str:
    def cls(i: int) -> str:
        return ' class="n"' if i < len(table.numeric) and table.numeric[i] else ""

    head = "".join(f"<th{cls(i)}>{escape(c)}</th>" for i, c in enumerate(table.columns))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    caption = f'<p class="caption">{escape(table.title)}</p>'
    return f"{caption}<table><tr>{head}</tr>{body}</table>"


def figure(chart: Chart) -> Any:
    """The plotly figure of one chart (floats for drawing only: the figures stay exact)."""
    import plotly.graph_objects as go

    if chart.kind == "bars":
        trace = go.Bar(x=list(chart.labels), y=list(chart.counts), marker_color=BAR)
    else:
        trace = go.Scatter(
            x=[t.isoformat() for t in chart.times],
            y=[float(v) for v in chart.values],
            mode="lines+markers",
            line={"shape": "hv", "width": 3, "color": LINE},
            marker={"size": 8, "color": LINE},
            fill="tozeroy",
            fillcolor="rgba(42, 157, 92, 0.15)",
            hovertext=list(chart.hover),
        )
    fig = go.Figure(trace)
    fig.update_layout(
        title_text=chart.title,
        xaxis_title=chart.x_title,
        yaxis_title=chart.y_title,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        height=340,
    )
    if chart.kind == "bars":
        fig.update_xaxes(type="category")
    if not (any(chart.counts) or chart.values):
        fig.add_annotation(text="nothing in this window", showarrow=False)
    return fig


def _chart(chart: Chart) -> str:
    import plotly.io as pio

    div = pio.to_html(
        figure(chart),
        full_html=False,
        include_plotlyjs=False,
        div_id=chart.chart_id,
        config=PLOT_CONFIG,
    )
    return f'<div class="chart" data-chart="{escape(chart.chart_id)}">{div}</div>'


def render_html(report: Report) -> str:
    from plotly.offline import get_plotlyjs

    title = escape(title_of(report))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{STYLE}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        f"</head><body><h1>{title}</h1>",
        f'<p class="lead">{escape(headline(report))}</p>',
    ]
    for section in sections(report):
        parts.append(f"<section><h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(line)}</p>" for line in section.lines]
        parts += [_table(table) for table in section.tables if table.rows]
        charts = [_chart(chart) for chart in section.charts]
        grid = ' class="pair"' if len(charts) > 1 else ""
        parts.append(f"<div{grid}>{''.join(charts)}</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
