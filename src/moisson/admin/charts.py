"""A small server-rendered SVG chart of items per status over a source's last jobs.

No JavaScript library: the chart is markup, built from the job summaries the services
present, so it shows in any browser and in screenshots. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

#: Stacking order (bottom to top) and colour of each item status.
STATUS_COLOURS: dict[str, str] = {
    "done": "#2f7d32",
    "failed": "#c62828",
    "skipped": "#8d8d8d",
    "archived": "#795548",
    "started": "#1565c0",
    "pending": "#90caf9",
}

WIDTH = 640
HEIGHT = 180
MARGIN_LEFT = 36
MARGIN_BOTTOM = 22
MARGIN_TOP = 8
LEGEND_WIDTH = 90


def _day(value: str | None) -> str:
    """`2026-03-04T10:00:00+00:00` -> `03-04`."""
    return value[5:10] if value and len(value) >= 10 else "?"


def items_chart(jobs: Sequence[Mapping[str, Any]]) -> Markup | None:
    """Stacked bars of `items_by_status`, one bar per job, oldest on the left; None without
    jobs. `jobs` are presented job summaries (`presenters.present_job`)."""
    if not jobs:
        return None
    plot_width = WIDTH - MARGIN_LEFT - LEGEND_WIDTH
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    counts = [dict(job.get("items_by_status") or {}) for job in jobs]
    peak = max([sum(int(c.get(s) or 0) for s in STATUS_COLOURS) for c in counts] + [1])
    slot = plot_width / len(jobs)
    bar = max(2.0, min(32.0, slot * 0.7))
    base_y = MARGIN_TOP + plot_height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Items per status over the last {len(jobs)} jobs">',
        f'<line x1="{MARGIN_LEFT}" y1="{base_y}" x2="{MARGIN_LEFT + plot_width}" '
        f'y2="{base_y}" stroke="#999"/>',
        f'<text x="{MARGIN_LEFT - 4}" y="{MARGIN_TOP + 10}" text-anchor="end" '
        f'font-size="10">{peak}</text>',
        f'<text x="{MARGIN_LEFT - 4}" y="{base_y}" text-anchor="end" font-size="10">0</text>',
    ]
    for index, (job, by_status) in enumerate(zip(jobs, counts, strict=True)):
        x = MARGIN_LEFT + index * slot + (slot - bar) / 2
        summary = ", ".join(
            f"{status} {int(by_status.get(status) or 0)}"
            for status in STATUS_COLOURS
            if by_status.get(status)
        )
        title = f"{job.get('created') or ''} {job.get('status') or ''}: {summary or 'no items'}"
        parts.append(f'<g class="bar" data-job="{escape(str(job.get("id") or ""))}">')
        parts.append(f"<title>{escape(title)}</title>")
        y = float(base_y)
        for status, colour in STATUS_COLOURS.items():
            count = int(by_status.get(status) or 0)
            if not count:
                continue
            height = plot_height * count / peak
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}" data-status="{status}" data-count="{count}"/>'
            )
        parts.append("</g>")
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
            f'font-size="9">{escape(_day(job.get("created")))}</text>'
        )
    legend_x = WIDTH - LEGEND_WIDTH + 10
    for row, (status, colour) in enumerate(STATUS_COLOURS.items()):
        y_row = MARGIN_TOP + row * 16
        parts.append(
            f'<rect x="{legend_x}" y="{y_row}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{y_row + 9}" font-size="10">{status}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built above from escaped text and numbers)


#: MQA rating bands, best first, and their colours.
BAND_COLOURS: dict[str, str] = {
    "excellent": "#2f7d32",
    "good": "#7cb342",
    "sufficient": "#f9a825",
    "bad": "#c62828",
}
BAR_HEIGHT = 22


def bands_chart(bands: Mapping[str, int]) -> Markup | None:
    """Horizontal bars: how many datasets of a source fall in each MQA rating band."""
    total = sum(bands.get(band, 0) for band in BAND_COLOURS)
    if not total:
        return None
    label_width, bar_width = 90, WIDTH - 90 - 60
    rows = []
    for index, (band, colour) in enumerate(BAND_COLOURS.items()):
        count = bands.get(band, 0)
        y = index * (BAR_HEIGHT + 6)
        width = round(bar_width * count / total)
        rows.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(band)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"><title>{escape(band)}: {count}</title></rect>'
            f'<text x="{label_width + width + 6}" y="{y + 15}" font-size="12">{count}</text>'
        )
    height = len(BAND_COLOURS) * (BAR_HEIGHT + 6)
    return Markup(  # noqa: S704 (every text above is escaped or a number)
        f'<svg class="chart" role="img" aria-label="Datasets per MQA rating band" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">{"".join(rows)}</svg>'
    )
