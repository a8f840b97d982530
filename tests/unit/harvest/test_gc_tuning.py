"""`freeze_long_lived_objects`: long-lived objects leave the collector's passes, once."""

from __future__ import annotations

import gc

from moisson.harvest.gc_tuning import freeze_long_lived_objects


def test_the_first_call_freezes_what_is_alive_and_later_calls_do_nothing() -> None:
    freeze_long_lived_objects()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    alive_later = [[i] for i in range(1000)]
    freeze_long_lived_objects()
    assert gc.get_freeze_count() == frozen  # `alive_later` is left to the collector
    assert len(alive_later) == 1000
