"""The report as Markdown: the same sections, tables as pipe tables, charts as text blocks."""

from __future__ import annotations

from arbkit.report.gather import Report
from arbkit.report.layout import Table, headline, sections, title_of
from arbkit.report.text import chart_lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    align = [
        "---:" if i < len(table.numeric) and table.numeric[i] else "---"
        for i in range(len(table.columns))
    ]
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    lines.append("| " + " | ".join(align) + " |")
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows)
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    out = [f"# {title_of(report)}", "", f"**{_cell(headline(report))}**", ""]
    for section in sections(report):
        out += [f"## {section.title}", ""]
        out += [f"- {line}" for line in section.lines]
        out.append("")
        for table in section.tables:
            if table.rows:
                out += _table(table)
        for chart in section.charts:
            out += [f"**{chart.title}**", "", "```text", *chart_lines(chart), "```", ""]
    return "\n".join(out).rstrip() + "\n"
