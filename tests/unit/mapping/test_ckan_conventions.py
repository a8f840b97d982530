"""CKAN extension conventions → DatasetDraft: one test per field family and convention.

The packages in `tests/fixtures/ckan/` are small variants written after the public
documentation and API answers of ckanext-dcat (extras and scheming profiles), DCAT-AP CH
(opendata.swiss, ckanext-fluent dictionaries), EnviDat (JSON persons) and a UK council
portal (OGL); see that folder's PROVENANCE.md.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.conftest import LOCAL_FIXTURES

from moisson.domain.drafts import ContactPointDraft, DatasetDraft
from moisson.domain.enums import ChecksumType, ContactRole, Frequency
from moisson.mapping.ckan import dataset_from_ckan
from moisson.mapping.licenses import LicenseTable

NOW = datetime(2025, 1, 1, tzinfo=UTC)
LICENSES = LicenseTable.load()


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LOCAL_FIXTURES / "ckan" / f"{name}.json").read_text())
    return data


def build(package: dict[str, Any], lang: str = "fr") -> DatasetDraft:
    return dataset_from_ckan(
        package, licenses=LICENSES, site_url="http://localhost:5000", now=NOW, lang=lang
    )


def contact(name: str | None, email: str | None, role: ContactRole) -> ContactPointDraft:
    return ContactPointDraft(name=name, email=email, role=role)


class TestDcatApExtras:
    """ckanext-dcat's `euro_dcat_ap` profiles: DCAT fields as extras."""

    @pytest.fixture
    def draft(self) -> DatasetDraft:
        return build(load("dcat_ap_extras"))

    def test_description(self, draft: DatasetDraft) -> None:
        assert draft.description == "Hourly measurements of the regional air quality network."

    def test_keywords_by_name_or_display_name(self, draft: DatasetDraft) -> None:
        assert draft.tags == ("air", "pollution")

    def test_licence(self, draft: DatasetDraft) -> None:
        assert draft.license == "odc-odbl"

    def test_frequency_eu_iri(self, draft: DatasetDraft) -> None:
        assert draft.frequency == Frequency.HOURLY

    def test_temporal(self, draft: DatasetDraft) -> None:
        assert draft.temporal_coverage is not None
        assert (draft.temporal_coverage.start, draft.temporal_coverage.end) == (
            date(2020, 1, 1),
            date(2023, 12, 31),
        )

    def test_spatial(self, draft: DatasetDraft) -> None:
        assert draft.spatial is not None
        assert draft.spatial.geom is not None
        assert draft.spatial.geom["coordinates"][0][0][0] == [2.0, 48.0]

    def test_contact_and_publisher(self, draft: DatasetDraft) -> None:
        assert draft.contact_points == (
            contact("Air quality desk", "air@example.org", ContactRole.CONTACT),
            contact(
                "Regional Environment Agency", "contact@agency.example.org", ContactRole.PUBLISHER
            ),
        )

    def test_issued_and_modified(self, draft: DatasetDraft) -> None:
        assert draft.harvest.issued_at == datetime(2023, 2, 15)
        assert draft.harvest.modified_at == datetime(2023, 11, 20, 9, 0)  # +01:00 → UTC
        assert draft.harvest.created_at == datetime(2023, 3, 1)  # metadata_created, as udata

    def test_raw_extras_kept_as_udata_keeps_them(self, draft: DatasetDraft) -> None:
        assert draft.extras["publisher_uri"] == "https://agency.example.org/"
        assert draft.extras["language"] == '["fr", "en"]'

    def test_resource(self, draft: DatasetDraft) -> None:
        (resource,) = draft.resources
        assert resource.format == "csv"  # from the EU file-type IRI
        assert resource.mime == "text/csv"  # from the IANA IRI
        assert resource.filesize == 123456
        assert resource.checksum is not None
        assert resource.checksum.type == ChecksumType.SHA256  # SPDX algorithm IRI
        assert resource.harvest.issued_at == datetime(2023, 2, 15)
        assert resource.harvest.modified_at == datetime(2023, 11, 20)


class TestDcatApScheming:
    """ckanext-dcat's `euro_dcat_ap_scheming`: top-level fields, lists of objects."""

    @pytest.fixture
    def draft(self) -> DatasetDraft:
        return build(load("dcat_ap_scheming"))

    def test_description_field(self, draft: DatasetDraft) -> None:
        assert draft.description == "Some notes about the data"

    def test_licence(self, draft: DatasetDraft) -> None:
        assert draft.license == "cc-zero"

    def test_frequency(self, draft: DatasetDraft) -> None:
        assert draft.frequency == Frequency.ANNUAL

    def test_several_periods_give_their_span(self, draft: DatasetDraft) -> None:
        assert draft.temporal_coverage is not None
        assert draft.temporal_coverage.start == date(2023, 7, 1)
        assert draft.temporal_coverage.end == date(2024, 6, 30)

    def test_spatial_coverage_bbox(self, draft: DatasetDraft) -> None:
        assert draft.spatial is not None
        assert draft.spatial.geom is not None
        assert draft.spatial.geom["type"] == "MultiPolygon"
        assert draft.spatial.geom["coordinates"][0][0][1] == [2.47, 48.81]

    def test_contact_creator_publisher(self, draft: DatasetDraft) -> None:
        assert draft.contact_points == (
            contact("Data team", "data@example.org", ContactRole.CONTACT),
            contact("Survey unit", "survey@example.org", ContactRole.CREATOR),
            contact("Example City", "city@example.org", ContactRole.PUBLISHER),
        )

    def test_dates(self, draft: DatasetDraft) -> None:
        assert draft.harvest.issued_at == datetime(2024, 1, 5)
        assert draft.harvest.modified_at == datetime(2024, 6, 30, 12, 0)

    def test_resource_checksum_with_named_algorithm(self, draft: DatasetDraft) -> None:
        (resource,) = draft.resources
        assert resource.checksum is not None
        assert resource.checksum.type == ChecksumType.MD5
        assert (resource.mime, resource.filesize) == ("text/csv", 1024)


class TestDcatApCh:
    """opendata.swiss-style: fluent dictionaries, `description`, `temporals`..."""

    @pytest.fixture
    def draft(self) -> DatasetDraft:
        return build(load("dcat_ap_ch"))

    def test_title_and_description_dictionaries(self, draft: DatasetDraft) -> None:
        assert draft.title == "Températures des lacs"
        assert draft.description == "Mesures des températures des lacs."

    def test_other_preferred_language(self) -> None:
        draft = build(load("dcat_ap_ch"), lang="de")
        assert (draft.title, draft.tags) == ("Seetemperaturen", ("see", "temperatur"))

    def test_keywords_dictionary(self, draft: DatasetDraft) -> None:
        assert draft.tags == ("lac", "temperature")

    def test_accrual_periodicity(self, draft: DatasetDraft) -> None:
        assert draft.frequency == Frequency.IRREGULAR

    def test_temporals(self, draft: DatasetDraft) -> None:
        assert draft.temporal_coverage is not None
        assert draft.temporal_coverage.start == date(2010, 1, 1)
        assert draft.temporal_coverage.end == date(2020, 12, 31)

    def test_contact_points_and_json_publisher(self, draft: DatasetDraft) -> None:
        assert draft.contact_points == (
            contact("Hydrologie", "hydro@example.admin.ch", ContactRole.CONTACT),
            contact("Office fédéral de l'environnement", None, ContactRole.PUBLISHER),
        )

    def test_dates(self, draft: DatasetDraft) -> None:
        assert draft.harvest.issued_at == datetime(2015, 3, 1)
        assert draft.harvest.modified_at == datetime(2021, 1, 15)

    def test_place_name_kept_for_people(self, draft: DatasetDraft) -> None:
        assert draft.spatial is None
        assert draft.extras["ckan:spatial"] == "Schweiz"

    def test_unknown_resource_licence_stays_visible(self, draft: DatasetDraft) -> None:
        assert draft.license is None
        assert draft.extras["ckan:resource_licenses"] == [
            "http://dcat-ap.ch/vocabulary/licenses/terms_by"
        ]

    def test_resource_dcat_names(self, draft: DatasetDraft) -> None:
        (resource,) = draft.resources
        assert resource.url == "https://data.example.admin.ch/lakes/temperatures.csv"
        assert (resource.title, resource.description) == ("Données CSV", "Toutes les stations")
        assert (resource.mime, resource.filesize) == ("text/csv", 20480)
        assert resource.harvest.modified_at == datetime(2021, 1, 15)

    def test_epoch_timestamps(self) -> None:
        package = load("dcat_ap_ch") | {
            "issued": 1425168000,
            "temporals": [{"start_date": 1262304000, "end_date": 1609372800}],
        }
        draft = build(package)
        assert draft.harvest.issued_at == datetime(2015, 3, 1)
        assert draft.temporal_coverage is not None
        assert draft.temporal_coverage.start == date(2010, 1, 1)
        assert draft.temporal_coverage.end == date(2020, 12, 31)

    def test_an_epoch_timestamp_past_year_9999_is_no_date(self) -> None:
        draft = build(load("dcat_ap_ch") | {"issued": 1e20})
        assert draft.harvest.issued_at is None


class TestEnviDat:
    @pytest.fixture
    def draft(self) -> DatasetDraft:
        return build(load("envidat"))

    def test_json_persons(self, draft: DatasetDraft) -> None:
        assert draft.contact_points == (
            contact("Anna Muster", "anna.muster@example.ch", ContactRole.CONTACT),
            contact("Anna Muster", "anna.muster@example.ch", ContactRole.CREATOR),
            contact("Ben Beispiel", None, ContactRole.CREATOR),
        )

    def test_spdx_licence_id(self, draft: DatasetDraft) -> None:
        assert draft.license == "cc-by"

    def test_spatial_text(self, draft: DatasetDraft) -> None:
        assert draft.spatial is not None
        assert draft.spatial.geom is not None
        assert draft.spatial.geom["coordinates"][0][0][2] == [8.0, 47.0]

    def test_resource_size_object(self, draft: DatasetDraft) -> None:
        assert draft.resources[0].filesize == 12_000_000


class TestPlainCkanPortal:
    """A UK council portal: OGL licence, plain maintainer and author, a bad e-mail."""

    def test_licence(self) -> None:
        assert build(load("uk_ogl")).license == "uk-ogl"

    def test_maintainer_and_author(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            draft = build(load("uk_ogl"))
        assert draft.contact_points == (
            contact("Open data team", "opendata@city.example.gov.uk", ContactRole.CONTACT),
            contact("Finance department", None, ContactRole.CREATOR),
        )
        assert "Contact e-mail 'not an address' is not an e-mail address" in caplog.text

    def test_frequency_in_upper_case(self) -> None:
        assert build(load("uk_ogl")).frequency == Frequency.MONTHLY

    def test_bad_resource_values_drop_alone(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            (resource,) = build(load("uk_ogl")).resources
        assert (resource.filesize, resource.checksum, resource.harvest.issued_at) == (
            None,
            None,
            None,
        )
        assert resource.format == "csv"
        assert "unreadable size 'about two megabytes' dropped" in caplog.text
        assert "unusable hash 'not-a-digest' dropped" in caplog.text
        assert "unreadable created date 'sometime in 2020' dropped" in caplog.text


class TestUnmatchedLicence:
    def test_kept_in_extras_and_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        package = load("uk_ogl") | {
            "license_id": "city-licence-2",
            "license_title": "City Licence 2",
            "license_url": "https://city.example.gov.uk/licence",
        }
        with caplog.at_level(logging.WARNING):
            draft = build(package)
        assert draft.license is None
        assert draft.extras["ckan:license_id"] == "city-licence-2"
        assert draft.extras["ckan:license_title"] == "City Licence 2"
        assert draft.extras["ckan:license_url"] == "https://city.example.gov.uk/licence"
        assert "matches no known licence" in caplog.text

    def test_not_specified_is_not_an_unknown_licence(self) -> None:
        package = load("uk_ogl") | {"license_id": "notspecified", "license_title": None}
        package.pop("license_url")
        draft = build(package)
        assert draft.license == "notspecified"
        assert not any(key.startswith("ckan:license") for key in draft.extras)


class TestBadValuesDropAlone:
    def base(self) -> dict[str, Any]:
        return load("dcat_ap_scheming")

    def test_unreadable_period(self, caplog: pytest.LogCaptureFixture) -> None:
        package = self.base() | {"temporal_coverage": [{"start": "soon", "end": "2024-01-01"}]}
        with caplog.at_level(logging.WARNING):
            draft = build(package)
        assert draft.temporal_coverage is not None
        assert (draft.temporal_coverage.start, draft.temporal_coverage.end) == (
            None,
            date(2024, 1, 1),
        )
        assert "Unreadable temporal period" in caplog.text

    def test_unknown_frequency(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            draft = build(self.base() | {"frequency": "every blue moon"})
        assert draft.frequency is None
        assert draft.extras["ckan:frequency"] == "every blue moon"
        assert "Unknown frequency 'every blue moon'" in caplog.text

    def test_future_modified(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            draft = build(self.base() | {"modified": "2099-01-01"})
        assert draft.harvest.modified_at is None
        assert "in the future" in caplog.text

    def test_contact_without_email_is_skipped(self, caplog: pytest.LogCaptureFixture) -> None:
        package = self.base() | {"contact": [{"name": "Nobody to write to"}], "creator": "x"}
        with caplog.at_level(logging.WARNING):
            draft = build(package)
        assert draft.contact_points is not None
        assert [c.role for c in draft.contact_points] == [
            ContactRole.CREATOR,
            ContactRole.PUBLISHER,
        ]
        assert 'Contact point "Nobody to write to" skipped' in caplog.text

    def test_garbage_shapes_do_not_fail_the_dataset(self) -> None:
        package = self.base() | {
            "contact": 42,
            "publisher": "[not json",
            "temporal_coverage": "2020 to 2021",
            "spatial_coverage": [{"bbox": "nowhere"}],
            "keywords": {"fr": 7},
        }
        draft = build(package)
        assert draft.title == "An example CKAN dataset"
        assert draft.spatial is None
        assert draft.temporal_coverage is None


def test_no_contact_at_all_keeps_the_local_ones() -> None:
    draft = build(load("minimal"))
    assert draft.contact_points is None
