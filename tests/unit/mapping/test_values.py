"""The shared value coercions, and the differences between formats they keep as keywords."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from moisson.mapping import maaf
from moisson.mapping.ckan import is_web_url, parse_period_bound
from moisson.mapping.iso19139.reading import is_url, parse_iso_datetime
from moisson.mapping.rdf.temporal import temporal_from_literal
from moisson.mapping.rdf.urls import is_valid_url
from moisson.mapping.values import WEB_SCHEMES, is_link, iso_instant, naive, period_span


class TestInstants:
    def test_an_offset_becomes_naive_utc_and_a_naive_value_is_taken_as_utc(self) -> None:
        assert iso_instant("2024-03-01T10:00:00+02:00") == datetime(2024, 3, 1, 8)
        assert iso_instant("2024-03-01T10:00:00Z") == datetime(2024, 3, 1, 10)
        assert iso_instant("2024-03-01") == datetime(2024, 3, 1)
        assert naive(datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=-5)))) == datetime(
            2024, 1, 1, 5
        )

    @pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-06", ""])
    def test_what_is_not_an_iso_instant_is_none(self, text: str) -> None:
        assert iso_instant(text) is None


class TestPeriodSpans:
    def test_a_year_and_a_month_stand_for_their_first_and_last_days(self) -> None:
        assert period_span("2016") == (date(2016, 1, 1), date(2016, 12, 31))
        assert period_span("2016-02") == (date(2016, 2, 1), date(2016, 2, 29))

    def test_a_one_digit_month_only_where_the_format_writes_one(self) -> None:
        assert period_span("2016-2") is None
        assert period_span("2016-2", one_digit_month=True) == (date(2016, 2, 1), date(2016, 2, 29))

    @pytest.mark.parametrize("text", ["2016-13", "2016-00", "0000", "16", "2016-02-03", "x"])
    def test_no_span_for_what_names_no_year_or_month(self, text: str) -> None:
        assert period_span(text, one_digit_month=True) is None


class TestEachFormatKeepsItsRule:
    def test_ckan_and_rdf_read_a_one_digit_month(self) -> None:
        assert parse_period_bound("2017-6", end=True) == date(2017, 6, 30)
        coverage = temporal_from_literal("2017-6")
        assert coverage is not None
        assert (coverage.start, coverage.end) == (date(2017, 6, 1), date(2017, 6, 30))

    def test_maaf_reads_two_digit_months_only_as_maaf_xsd_says(self) -> None:
        assert maaf._period_bound("2017-06", first=False) == date(2017, 6, 30)
        assert maaf._period_bound("2017-6", first=False) is None

    def test_maaf_reads_the_day_of_a_zoned_time_in_utc(self) -> None:
        assert maaf._period_bound("2017-06-01T23:30:00-02:00", first=True) == date(2017, 6, 2)

    def test_iso_reads_a_year_or_a_month_alone_as_its_first_day(self) -> None:
        assert parse_iso_datetime("2017") == datetime(2017, 1, 1)
        assert parse_iso_datetime("2017-06") == datetime(2017, 6, 1)
        assert parse_iso_datetime("2017-06-01T10:00:00+02:00") == datetime(2017, 6, 1, 8)
        assert iso_instant("2017-06") is None  # what the other formats do with a month


def test_utc_is_utc() -> None:
    assert naive(datetime(2024, 1, 1, tzinfo=UTC)) == datetime(2024, 1, 1)


class TestLinks:
    @pytest.mark.parametrize(
        "value",
        ["https://data.example.org/a.csv", "HTTP://data.example.org/", "ftp://ftp.example.org/x"],
    )
    def test_a_link_names_a_scheme_and_a_host(self, value: str) -> None:
        assert is_link(value)

    @pytest.mark.parametrize(
        "value",
        [None, "", "data.example.org/a.csv", "mailto:a@example.org", "http://[::1/", "https:///x"],
    )
    def test_what_is_not_a_link(self, value: str | None) -> None:
        assert not is_link(value)

    def test_ckan_and_maaf_links_are_web_pages_and_a_maaf_url_may_hold_a_space(self) -> None:
        assert is_link("ftp://ftp.example.org/x", schemes=WEB_SCHEMES) is False
        assert is_web_url("ftp://ftp.example.org/x") is False
        assert is_web_url("https://example.org/a b.csv") is False
        assert maaf._is_absolute_http_url("https://example.org/a b.csv") is True
        assert is_url("ftp://ftp.example.org/x") is True

    def test_rdf_publishes_public_hosts_only(self) -> None:
        assert is_valid_url("https://data.example.org/x")
        assert not is_valid_url("http://192.168.1.2/x")
        assert is_valid_url("http://192.168.1.2/x", allow_private=True)
        assert not is_valid_url("https://intranet/x")
