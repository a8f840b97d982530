"""`relax_gc_for_harvests`: raises the generation-0 threshold, never lowers it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from moisson.harvest.gc_tuning import HARVEST_GC_THRESHOLD, relax_gc_for_harvests


@pytest.fixture(autouse=True)
def restore_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_the_default_threshold_is_raised_and_the_others_kept() -> None:
    gc.set_threshold(700, 10, 10)
    relax_gc_for_harvests()
    relax_gc_for_harvests()
    assert gc.get_threshold() == (HARVEST_GC_THRESHOLD, 10, 10)


@pytest.mark.parametrize("threshold", [HARVEST_GC_THRESHOLD * 5, 0])
def test_a_higher_or_disabling_threshold_is_kept(threshold: int) -> None:
    gc.set_threshold(threshold, 10, 10)
    relax_gc_for_harvests()
    assert gc.get_threshold() == (threshold, 10, 10)
