"""Keep the cyclic garbage collector off the objects that live as long as the process.

A harvest allocates a great many container objects (RDF graph indexes, drafts, row
dictionaries), so the collector runs often, and each of its full passes walked every object
of the process: the ~150,000 functions, classes, modules and SQLAlchemy/pydantic structures
built at import time, which never die. Measured with `bench/bench_pipeline.py`, that was
~30 % of a first harvest. `gc.freeze()` moves the objects alive at that moment to a permanent
generation the collector ignores; the thresholds are left as they are, so garbage cycles
(an httpx response and its stream hold each other, page bodies included) are collected as
promptly as before and memory stays where it was.

Done once per process, at its first harvest, after a full collection: what is alive then is
import-time state plus whatever else the process holds at that moment; should some of the
latter become cyclic garbage later, it is never reclaimed (a one-time, bounded cost).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_long_lived_objects() -> None:
    """Collect, then freeze every object the collector tracks (the first call only)."""
    global _frozen
    with _lock:
        if _frozen:
            return
        gc.collect()
        gc.freeze()
        _frozen = True
