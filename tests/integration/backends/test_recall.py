"""Recall over every recorded catalog: each field family a record carries is kept.

Both sides are computed from the recordings (`recall.py`): a source detector over the raw
payload of every record, a check over its draft. The README shows the same table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.backends.recall import (
    BACKENDS,
    FAMILIES,
    Sample,
    Tally,
    all_samples,
    report_table,
    tally,
)

README = Path(__file__).resolve().parents[3] / "README.md"

#: Families a backend still does not keep for every record that carries them, and why. The
#: test fails as soon as one is fully kept, so that this list only shrinks.
KNOWN_GAPS = {
    ("dcat", "spatial"): "a place IRI without geometry (GeoNames, INSEE): udata resolves some "
    "through its GeoZones table, which Moisson has not got",
    ("dcat", "frequency"): "a term outside every frequency vocabulary (`ThisTermDoesNotExist`)",
    ("dcat", "contact points"): "a publisher given as a bare IRI, with no name nor e-mail",
    ("csw-iso-19139", "resource format"): "these GeoNetwork records declare one distribution "
    "format (MapInfo TAB, ESRI Shapefile) that the ISO 19139 mapping gives to none of their "
    "online resources",
}


@pytest.fixture(scope="module")
def samples() -> Iterator[list[Sample]]:
    logging.disable(logging.WARNING)
    try:
        yield all_samples()
    finally:
        logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def result(samples: list[Sample]) -> Tally:
    return tally(samples)


def test_every_backend_has_recorded_records(result: Tally) -> None:
    assert all(result.records.get(backend, 0) > 0 for backend in BACKENDS), result.records


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_kept_wherever_carried(
    result: Tally, samples: list[Sample], backend: str, family: str
) -> None:
    carried = result.carried.get((backend, family), 0)
    kept = result.kept.get((backend, family), 0)
    if (backend, family) in KNOWN_GAPS:
        assert kept < carried, f"{backend}/{family} is now fully kept: remove it from KNOWN_GAPS"
        return
    lost = [s.label for s in samples if s.backend == backend and family in s.carried - s.kept]
    assert not lost, f"{family} carried but not kept by {backend}: {lost}"


def test_ckan_conventions_are_detected(samples: list[Sample]) -> None:
    """The recordings exercise the CKAN families the source detector knows: a detector
    that found nothing would make the recall above trivially true."""
    dkan = next(s for s in samples if s.backend == "dkan")
    assert {"frequency", "spatial", "contact points", "resource size"} <= dkan.carried


def test_readme_shows_this_table(result: Tally) -> None:
    text = README.read_text("utf-8")
    match = re.search(r"<!-- recall:start -->\n(.*?)<!-- recall:end -->", text, re.S)
    assert match, "README has no recall table between <!-- recall:start/end --> markers"
    assert match[1] == report_table(result), (
        "README recall table is stale: run `python -m tests.integration.backends.recall` "
        "and paste its output between the recall markers"
    )
