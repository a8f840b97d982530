"""CSW request building, exception reports and the nextRecord break rules."""

from __future__ import annotations

import pytest
from tests.conftest import LOCAL_FIXTURES

from moisson.backends.csw import (
    CSW,
    OGC,
    CswPage,
    CswPaginator,
    RequestPlan,
    body_digest,
    build_get_records,
    exception_message,
)
from moisson.mapping.xml import parse_xml


def page(start: int, records: int, next_record: int | None, matched: int | None = 10) -> CswPage:
    return CswPage(
        start=start,
        records=tuple(parse_xml(b"<r/>") for _ in range(records)),
        matched=matched,
        returned=records,
        next_record=next_record,
    )


class TestBuildGetRecords:
    def test_request_body(self) -> None:
        body = build_get_records(
            output_schema="http://www.isotc211.org/2005/gmd", start_position=26, max_records=25
        )
        root = parse_xml(body)
        assert root.tag == f"{{{CSW}}}GetRecords"
        assert root.get("startPosition") == "26"
        assert root.get("maxRecords") == "25"
        assert root.get("outputSchema") == "http://www.isotc211.org/2005/gmd"
        assert root.get("resultType") == "results"
        query = root.find(f"{{{CSW}}}Query")
        assert query is not None
        assert query.get("typeNames") == "gmd:MD_Metadata"
        assert query.findtext(f"{{{CSW}}}ElementSetName") == "full"
        literals = [e.text for e in root.iter(f"{{{OGC}}}Literal")]
        assert literals == ["dataset", "nonGeographicDataset", "series", "service"]
        names = [e.text for e in root.iter(f"{{{OGC}}}PropertyName")]
        assert names == ["apiso:type"] * 4 + ["apiso:identifier"]
        assert root.findtext(f".//{{{OGC}}}SortOrder") == "ASC"

    def test_other_queryable_spelling(self) -> None:
        root = parse_xml(
            build_get_records(
                output_schema="x", start_position=1, plan=RequestPlan(type_queryable="apiso:Type")
            )
        )
        names = {e.text for e in root.iter(f"{{{OGC}}}PropertyName")}
        assert "apiso:Type" in names
        assert "apiso:type" not in names


class TestCswPaginator:
    def test_follows_next_record(self) -> None:
        paginator = CswPaginator()
        paginator.advance(page(1, 2, 3))
        assert paginator.has_next
        assert paginator.start == 3

    def test_follows_next_record_on_a_short_page(self) -> None:
        paginator = CswPaginator()
        paginator.advance(page(1, 1, 2))
        assert (paginator.has_next, paginator.start) == (True, 2)

    @pytest.mark.parametrize(
        ("records", "next_record", "matched", "reason"),
        [
            (2, 0, 10, None),
            (2, 11, 10, "beyond the 10 records matched"),
            (0, 7, 10, "no record"),
            (2, 3, 10, "goes back"),
            (2, 5, 10, "does not advance"),
            (2, None, 10, "no nextRecord"),
        ],
    )
    def test_break_rules(
        self, records: int, next_record: int | None, matched: int, reason: str | None
    ) -> None:
        paginator = CswPaginator(start=5)
        paginator.advance(page(5, records, next_record, matched))
        assert not paginator.has_next
        if reason is None:
            assert paginator.stop_reason is None
        else:
            assert reason in (paginator.stop_reason or "")

    def test_unknown_matched_does_not_stop(self) -> None:
        paginator = CswPaginator()
        paginator.advance(page(1, 2, 3, matched=None))
        assert paginator.has_next


class TestExceptionMessage:
    def test_code_locator_and_text(self) -> None:
        root = parse_xml((LOCAL_FIXTURES / "csw" / "exception-report-apiso-type.xml").read_bytes())
        assert exception_message(root) == (
            "InvalidParameterValue (locator: Constraint): "
            "Invalid Constraint: unknown queryable apiso:type"
        )

    def test_falls_back_to_the_whole_text(self) -> None:
        root = parse_xml(b"<ExceptionReport>  something   broke </ExceptionReport>")
        assert exception_message(root) == "something broke"


class TestBodyDigest:
    def test_the_search_status_timestamp_is_left_out(self) -> None:
        page = (
            '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
            '<csw:SearchStatus timestamp="{}"/><csw:SearchResults numberOfRecordsMatched="1"'
            ' numberOfRecordsReturned="1" nextRecord="0"><r/></csw:SearchResults>'
            "</csw:GetRecordsResponse>"
        )
        first = page.format("2026-12-03T10:00:00Z").encode()
        later = page.format("2026-12-03T11:30:00.123456Z").encode()
        assert body_digest(first) == body_digest(later)
        assert body_digest(first) != body_digest(first.replace(b"<r/>", b"<r>x</r>"))
