from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.factories import SourceFactory

from moisson.errors import InvalidInput
from moisson.services.scheduling import (
    clear_schedule,
    next_run_after,
    parse_cron,
    render_interval,
    render_schedule,
    set_schedule,
)
from moisson.storage.models import HarvestSource

NOW = datetime(2026, 11, 28, 17, 30, tzinfo=UTC)


def make_source(**kwargs: object) -> HarvestSource:
    return SourceFactory.build(name="Src", **kwargs)


class TestParseCron:
    def test_normalises_whitespace(self) -> None:
        assert parse_cron("  0   3 * * 1 ") == "0 3 * * 1"

    @pytest.mark.parametrize("bad", ["0 0 * *", "0 0 * * * *", "a b c d e", "61 0 * * *", ""])
    def test_refuses_malformed_expressions(self, bad: str) -> None:
        with pytest.raises(InvalidInput) as error:
            parse_cron(bad)
        assert error.value.errors == {"schedule": error.value.message}
        assert repr(bad) in error.value.message or "fields" in error.value.message

    def test_refuses_non_strings(self) -> None:
        with pytest.raises(InvalidInput, match="cron expression string"):
            parse_cron({"minute": 0})


class TestNextRun:
    def test_cron_is_evaluated_in_utc(self) -> None:
        assert next_run_after("0 3 * * 1", None, NOW) == datetime(2026, 11, 30, 3, tzinfo=UTC)

    def test_interval_counts_from_now(self) -> None:
        assert next_run_after(None, 3600, NOW) == datetime(2026, 11, 28, 18, 30, tzinfo=UTC)

    def test_unscheduled_never_runs(self) -> None:
        assert next_run_after(None, None, NOW) is None


class TestRender:
    @pytest.mark.parametrize(
        ("seconds", "text"),
        [
            (86400, "every day"),
            (7200, "every 2 hours"),
            (60, "every minute"),
            (90, "every 90 seconds"),
        ],
    )
    def test_intervals(self, seconds: int, text: str) -> None:
        assert render_interval(seconds) == text

    def test_cron_is_shown_as_is(self) -> None:
        source = make_source()
        set_schedule(source, cron="5 4 * * *", now=NOW)
        assert render_schedule(source) == "5 4 * * *"
        assert source.next_run_at == datetime(2026, 11, 29, 4, 5, tzinfo=UTC)


class TestSetAndClear:
    def test_interval_replaces_cron(self) -> None:
        source = make_source()
        set_schedule(source, cron="0 0 * * *", now=NOW)
        set_schedule(source, interval=7200, now=NOW)
        assert (source.schedule_cron, source.schedule_interval) == (None, 7200)
        assert render_schedule(source) == "every 2 hours"

    def test_exactly_one_kind_of_schedule(self) -> None:
        with pytest.raises(InvalidInput):
            set_schedule(make_source(), now=NOW)
        with pytest.raises(InvalidInput):
            set_schedule(make_source(), cron="0 0 * * *", interval=3600, now=NOW)

    def test_too_short_interval_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="at least 60 seconds"):
            set_schedule(make_source(), interval=5, now=NOW)

    def test_clearing_an_unscheduled_source_says_so(self) -> None:
        with pytest.raises(InvalidInput, match="Harvesting on source Src is not scheduled"):
            clear_schedule(make_source())

    def test_clear(self) -> None:
        source = make_source()
        set_schedule(source, cron="0 0 * * *", now=NOW)
        clear_schedule(source)
        assert render_schedule(source) is None
        assert source.next_run_at is None
