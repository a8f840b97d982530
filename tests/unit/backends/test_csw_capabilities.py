"""GetCapabilities reading and the request plans built from it (csw_capabilities, csw)."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import LOCAL_FIXTURES

from moisson.backends.csw import TYPE_QUERYABLES, RequestPlan, first_plan, next_plan
from moisson.backends.csw_capabilities import (
    CswCapabilities,
    capabilities_url,
    fetch_capabilities,
    parse_capabilities,
    unknown,
)
from moisson.mapping.xml import parse_xml

PYCSW = LOCAL_FIXTURES / "csw" / "pycsw-capabilities.xml"
SORT_REFUSED = (
    "InvalidParameterValue (locator: service): "
    "Invalid ogc:SortProperty/ogc:PropertyName: 'apiso:identifier'"
)
TYPE_REFUSED = (
    "InvalidParameterValue (locator: Constraint): Invalid Constraint: unknown queryable apiso:type"
)


@pytest.fixture(scope="module")
def pycsw() -> CswCapabilities:
    return parse_capabilities(parse_xml(PYCSW.read_bytes()))


class TestParse:
    def test_pycsw(self, pycsw: CswCapabilities) -> None:
        assert pycsw.known
        assert pycsw.max_record_default == 3
        assert pycsw.constraint_languages == {"CQL_TEXT", "FILTER"}
        assert pycsw.output_schemas is not None
        assert "http://www.isotc211.org/2005/gmd" in pycsw.output_schemas
        assert not pycsw.offers_schema("http://www.w3.org/ns/dcat#")
        assert pycsw.queryables is not None
        assert "apiso:Type" in pycsw.queryables
        assert "dc:identifier" in pycsw.queryables  # Dublin Core queryables too

    def test_queryables_in_the_servers_spelling(self, pycsw: CswCapabilities) -> None:
        assert pycsw.queryable("apiso:type") == "apiso:Type"
        assert pycsw.queryable("APISO:IDENTIFIER") == "apiso:Identifier"
        assert pycsw.queryable("apiso:NotAThing") is None

    def test_queryables_listed_without_prefix(self) -> None:
        # GeoNetwork lists its ISO queryables without the apiso: prefix.
        capabilities = CswCapabilities(queryables=("Title", "Type", "Identifier"))
        assert capabilities.queryable("apiso:type") == "apiso:Type"
        assert capabilities.queryable("apiso:Identifier") == "apiso:Identifier"
        assert capabilities.queryable("apiso:Modified") is None

    def test_unknown_capabilities_allow_everything(self) -> None:
        capabilities = unknown("HTTP 404")
        assert not capabilities.known
        assert capabilities.queryable("apiso:type") == "apiso:type"
        assert capabilities.offers_schema("anything")
        assert capabilities.filters

    def test_no_operations_metadata(self) -> None:
        root = parse_xml(b'<csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>')
        assert parse_capabilities(root) == CswCapabilities()

    def test_ows_1_1(self) -> None:
        root = parse_xml(
            b'<csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
            b'xmlns:ows="http://www.opengis.net/ows/1.1"><ows:OperationsMetadata>'
            b'<ows:Operation name="GetRecords"><ows:Parameter name="outputSchema">'
            b"<ows:AllowedValues><ows:Value>http://www.w3.org/ns/dcat#</ows:Value>"
            b"</ows:AllowedValues></ows:Parameter></ows:Operation></ows:OperationsMetadata>"
            b"</csw:Capabilities>"
        )
        capabilities = parse_capabilities(root)
        assert capabilities.output_schemas == {"http://www.w3.org/ns/dcat#"}
        assert capabilities.queryables is None


class TestFetch:
    def fetch(self, response: httpx.Response) -> CswCapabilities:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return response

        with httpx.Client(transport=httpx.MockTransport(answer)) as client:
            capabilities = fetch_capabilities(client, "https://csw.example.test/csw?lang=fr")
        assert [r.method for r in seen] == ["GET"]
        assert seen[0].url.params["request"] == "GetCapabilities"
        assert seen[0].url.params["lang"] == "fr"  # the source URL's own parameters stay
        return capabilities

    def test_capabilities(self) -> None:
        assert self.fetch(httpx.Response(200, content=PYCSW.read_bytes())).known

    def test_exception_report_leaves_them_unknown(self) -> None:
        report = (LOCAL_FIXTURES / "csw" / "exception-report.xml").read_bytes()
        capabilities = self.fetch(httpx.Response(400, content=report))
        assert capabilities.problem is not None
        assert "ExceptionReport" in capabilities.problem

    def test_html_leaves_them_unknown(self) -> None:
        capabilities = self.fetch(httpx.Response(200, text="<html><body>hi</p></html>"))
        assert capabilities.problem is not None

    @pytest.mark.parametrize("status", [429, 500, 503])
    def test_server_errors_fail(self, status: int) -> None:
        with pytest.raises(httpx.HTTPStatusError):
            self.fetch(httpx.Response(status, text="down"))

    def test_url(self) -> None:
        url = capabilities_url("https://csw.example.test/csw")
        assert url.params["service"] == "CSW"
        assert url.params["version"] == "2.0.2"


class TestPlans:
    def test_from_pycsw_capabilities(self, pycsw: CswCapabilities) -> None:
        assert first_plan(pycsw) == RequestPlan("apiso:Type", "apiso:Identifier")

    def test_without_capabilities_udatas_request(self) -> None:
        assert first_plan(unknown("x")) == RequestPlan(TYPE_QUERYABLES[0], "apiso:identifier")

    def test_unadvertised_queryables_are_not_used(self) -> None:
        capabilities = CswCapabilities(queryables=("dc:title",))
        assert first_plan(capabilities) == RequestPlan(None, None)

    def test_no_filter_language(self) -> None:
        capabilities = CswCapabilities(
            queryables=("apiso:Type", "apiso:Identifier"),
            constraint_languages=frozenset({"CQL_TEXT"}),
        )
        assert first_plan(capabilities) == RequestPlan(None, "apiso:Identifier")

    def test_fallback_order_without_capabilities(self) -> None:
        capabilities = unknown("x")
        plan = first_plan(capabilities)
        plan = next_plan(plan, SORT_REFUSED, capabilities)
        assert plan == RequestPlan("apiso:type", None)
        assert plan is not None
        plan = next_plan(plan, TYPE_REFUSED, capabilities)
        assert plan == RequestPlan("apiso:Type", None)
        assert plan is not None
        plan = next_plan(plan, TYPE_REFUSED, capabilities)
        assert plan == RequestPlan(None, None)
        assert plan is not None
        assert next_plan(plan, TYPE_REFUSED, capabilities) is None

    def test_with_capabilities_the_spelling_is_not_guessed(self, pycsw: CswCapabilities) -> None:
        plan = next_plan(first_plan(pycsw), "Invalid Constraint: queryable", pycsw)
        assert plan == RequestPlan(None, "apiso:Identifier")

    def test_other_refusals_end_the_attempts(self, pycsw: CswCapabilities) -> None:
        assert next_plan(first_plan(pycsw), "NoApplicableCode: database down", pycsw) is None
        assert next_plan(RequestPlan("apiso:Type", None), SORT_REFUSED, pycsw) is None

    def test_describe(self) -> None:
        assert RequestPlan().describe() == "type filter on apiso:type, sorted on apiso:identifier"
        assert RequestPlan(None, None).describe() == "no filter, unsorted"
