"""Break rules of the CKAN offset paginator and the ordered bounded map."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from moisson.backends.ckan import CkanOffsetPaginator, PagingError, ordered_map


def page(count: int, *ids: str) -> dict[str, Any]:
    return {"count": count, "results": [{"id": i} for i in ids]}


class TestCkanOffsetPaginator:
    def test_walks_until_count(self) -> None:
        paginator = CkanOffsetPaginator(rows=2)
        assert paginator.params() == {"rows": 2, "start": 0}
        assert len(paginator.advance(page(3, "a", "b"))) == 2
        assert paginator.has_next
        assert paginator.params() == {"rows": 2, "start": 2}
        assert len(paginator.advance(page(3, "c"))) == 1
        assert not paginator.has_next

    def test_advances_by_what_was_returned(self) -> None:
        paginator = CkanOffsetPaginator(rows=1000)
        paginator.advance(page(500, *[str(n) for n in range(100)]))
        assert paginator.params()["start"] == 100
        assert paginator.has_next

    def test_empty_page_stops_even_if_count_says_more(self) -> None:
        paginator = CkanOffsetPaginator(rows=2)
        paginator.advance(page(10, "a", "b"))
        assert paginator.advance(page(10)) == []
        assert not paginator.has_next

    def test_count_is_reread(self) -> None:
        paginator = CkanOffsetPaginator(rows=2)
        paginator.advance(page(10, "a", "b"))
        paginator.advance(page(3, "c", "d"))  # datasets were deleted meanwhile
        assert not paginator.has_next

    def test_repeats_are_dropped(self) -> None:
        paginator = CkanOffsetPaginator(rows=2)
        paginator.advance(page(4, "a", "b"))
        fresh = paginator.advance(page(4, "b", "c"))
        assert fresh == [{"id": "c"}]
        assert paginator.params()["start"] == 4

    def test_a_page_of_repeats_means_start_is_ignored(self) -> None:
        paginator = CkanOffsetPaginator(rows=2)
        paginator.advance(page(4, "a", "b"))
        with pytest.raises(PagingError, match="does not page"):
            paginator.advance(page(4, "a", "b"))

    @pytest.mark.parametrize("result", [None, [], {"count": 1}, {"results": []}, {"count": "1"}])
    def test_malformed_result(self, result: Any) -> None:
        with pytest.raises(PagingError):
            CkanOffsetPaginator().advance(result)


class TestOrderedMap:
    def test_order_and_bound(self) -> None:
        running = 0
        peak = 0
        lock = threading.Lock()

        def work(n: int) -> int:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.005 * (n % 3))
            with lock:
                running -= 1
            return n * 10

        assert list(ordered_map(work, range(20), workers=3)) == [n * 10 for n in range(20)]
        assert peak <= 3

    def test_errors_propagate(self) -> None:
        def work(n: int) -> int:
            if n == 2:
                raise ValueError("boom")
            return n

        with pytest.raises(ValueError, match="boom"):
            list(ordered_map(work, range(5), workers=2))
