"""The README's quality table is the one computed from the recorded catalogs."""

from __future__ import annotations

from pathlib import Path

from tests.quality_table import quality_table

README = Path(__file__).resolve().parents[3] / "README.md"
START, END = "<!-- quality-table:start -->\n", "<!-- quality-table:end -->"


def test_the_readme_quality_table_is_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index(START) + len(START) : text.index(END)]
    assert table == quality_table(), (
        "README quality table is stale: run `python -m tests.quality_table` "
        "and paste its output between the quality-table markers"
    )
