"""A real pycsw 2.6.2 serving written and recorded ISO 19139 records on loopback.

The server's `maxrecords` cap (4) is below the page size Moisson asks for (25): every
page is short and paging must follow `nextRecord`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import SHARED_FIXTURES
from tests.csw_server.harness import PycswMissing, PycswServer
from tests.csw_server.records import iso_record, recorded_records

MAX_RECORDS = 4
CSW_FIXTURES = SHARED_FIXTURES / "csw"


def pycsw_records() -> list[tuple[str, bytes]]:
    recorded = recorded_records(
        *(CSW_FIXTURES / f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)),
        CSW_FIXTURES / "geoplateforme-iso19139-IGNF_RPG.xml",  # hierarchyLevel series
    )
    written = [
        iso_record("w-series", level="series", code="series-1", code_space="https://id.test/"),
        iso_record("w-service", level="service", code="service-1"),
        iso_record("w-no-citation-id"),
        iso_record("w-shared-a", code="shared-id", title="First sharing"),
        iso_record("w-shared-b", code="shared-id", title="Second sharing"),
        # Its landing page (the dataset's remote URL) has a host name no URL may have.
        iso_record("w-bad-landing-page", landing_page="http://bad_host.example.test/page"),
        iso_record("w-feature-catalogue", level="featureCatalogue", code="fc-1"),
    ]
    return [*recorded, *((f"written-{n}.xml", xml) for n, xml in enumerate(written))]


@pytest.fixture(scope="session")
def pycsw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PycswServer]:
    try:
        server = PycswServer(
            pycsw_records(),
            workdir=tmp_path_factory.mktemp("pycsw"),
            max_records=MAX_RECORDS,
        )
        with server:
            yield server
    except PycswMissing as exc:
        pytest.fail(str(exc), pytrace=False)
