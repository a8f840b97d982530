"""The server-rendered SVG chart of items per status."""

from __future__ import annotations

import re

from moisson.admin.charts import items_chart


def job(created: str, **counts: int) -> dict[str, object]:
    return {"id": created, "created": created, "status": "done", "items_by_status": counts}


class TestItemsChart:
    def test_no_jobs_no_chart(self) -> None:
        assert items_chart([]) is None

    def test_one_stacked_bar_per_job_with_heights_in_proportion(self) -> None:
        svg = str(
            items_chart(
                [
                    job("2026-03-01T03:00:00+00:00", done=10),
                    job("2026-03-02T03:00:00+00:00", done=4, failed=1),
                ]
            )
        )
        assert svg.count('<g class="bar"') == 2
        heights = {
            (status, int(count)): float(height)
            for height, status, count in re.findall(
                r'height="([\d.]+)" fill="#\w+" data-status="(\w+)" data-count="(\d+)"', svg
            )
        }
        assert heights[("done", 10)] == 2.5 * heights[("done", 4)]
        assert heights[("failed", 1)] * 4 == heights[("done", 4)]
        assert ">03-01<" in svg
        assert ">03-02<" in svg

    def test_text_is_escaped(self) -> None:
        svg = str(
            items_chart(
                [{"id": '"><script>', "created": "<b>", "status": "<i>", "items_by_status": {}}]
            )
        )
        assert "<script>" not in svg
        assert "<b>" not in svg
        assert "<i>" not in svg
        assert "no items" in svg
