"""The cyclic garbage collector's pace during harvests.

A harvest allocates a great many short-lived container objects (RDF graph indexes, drafts,
row dictionaries) while a page's graph, tens of thousands of objects, stays alive. With
CPython's default generation-0 threshold (700 allocations) the collector runs so often, and
its older-generation passes walk that live graph so many times, that it took ~30 % of a
first harvest (measured with `bench/bench_pipeline.py`). Reference counting frees almost all
of this memory anyway; the collector is only needed for cycles, which can wait longer.
"""

from __future__ import annotations

import gc

#: Generation-0 threshold while harvesting (CPython's default is 700).
HARVEST_GC_THRESHOLD = 20_000


def relax_gc_for_harvests() -> None:
    """Raise the generation-0 threshold to `HARVEST_GC_THRESHOLD` for the whole process
    (idempotent; a threshold already set higher, by the operator for instance, is kept)."""
    first, second, third = gc.get_threshold()
    if 0 < first < HARVEST_GC_THRESHOLD:
        gc.set_threshold(HARVEST_GC_THRESHOLD, second, third)
