"""MAAF descriptor parsing and mapping (`moisson.mapping.maaf`), on hand-made descriptors."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest
from tests.conftest import SHARED_FIXTURES

from moisson.domain.drafts import Checksum, SpatialCoverage, TemporalCoverage
from moisson.domain.enums import ChecksumType, Frequency
from moisson.domain.exceptions import InvalidItem
from moisson.mapping import maaf as maaf_mapping
from moisson.mapping.licenses import License, LicenseTable
from moisson.mapping.maaf import (
    CERTIFICATE_NOTE,
    checksum_urls,
    dataset_from_maaf,
    descriptor_id,
    parse_descriptor,
    xsd_problems,
)

NOW = datetime(2024, 6, 1, 12, 0)
LICENSES = LicenseTable([License(id="fr-lo", title="Licence Ouverte / Open Licence")])
SHA = "fdd1a15a7a93a463b493d0179c795dd907aa638fc6fcb5ac9c5274b4800e3de2"
LOG = logging.getLogger("tests.maaf.mapping")

DEFAULTS = {
    "author": "<author>Bureau</author>",
    "author_email": "<author_email/>",
    "extras": "<extras><key>Quartier</key><value>SIAL</value></extras>",
    "frequency": "<frequency>annuelle</frequency>",
    "groups": "<groups/>",
    "id": "<id>MINAGRI-TEST</id>",
    "license_id": "<license_id>fr-lo</license_id>",
    "maintainer": "<maintainer/>",
    "maintainer_email": "<maintainer_email/>",
    "notes": "<notes>Des notes.</notes>",
    "organization": "<organization>Ministère</organization>",
    "private": "<private>0</private>",
    "resources": (
        "<resources><description>Données</description><format>CSV</format><name>Brutes</name>"
        "<url>https://example.org/d/MINAGRI-TEST_2014-01-01.csv</url>"
        "<last_modified>2014-01-01T00:00:00</last_modified></resources>"
    ),
    "state": "<state>active</state>",
    "supplier": "<supplier>Ministère</supplier>",
    "tags": "<tags>alpha,beta gamma</tags>",
    "temporal_coverage_from": "<temporal_coverage_from/>",
    "temporal_coverage_to": "<temporal_coverage_to/>",
    "territorial_coverage": (
        "<territorial_coverage><territorial_coverage_code>country/fr</territorial_coverage_code>"
        "<territorial_coverage_granularity>france</territorial_coverage_granularity>"
        "</territorial_coverage>"
    ),
    "title": "<title>Un titre</title>",
}


def descriptor(**elements: str) -> str:
    """A descriptor in maaf.xsd's element order; a keyword replaces (or, empty, removes) one."""
    body = "".join({**DEFAULTS, **elements}.values())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<ETALAB><metadata>{body}</metadata></ETALAB>'


def resource(url: str, fmt: str = "csv", name: str = "r", extra: str = "") -> str:
    return (
        f"<resources><description>d</description><format>{fmt}</format><name>{name}</name>"
        f"<url>{url}</url>{extra}</resources>"
    )


def mapped(text: str, checksums: dict[str, str] | None = None, licenses=LICENSES):
    return dataset_from_maaf(
        parse_descriptor(text), licenses=licenses, checksums=checksums or {}, now=NOW, log=LOG
    )


def invalid(text: str, licenses=LICENSES) -> str:
    with pytest.raises(InvalidItem) as caught:
        mapped(text, licenses=licenses)
    return caught.value.message


class TestParse:
    def test_reads_the_identifier(self) -> None:
        assert descriptor_id(parse_descriptor(descriptor())) == "MINAGRI-TEST"
        assert descriptor_id(parse_descriptor(descriptor(id="<id> </id>"))) is None
        assert descriptor_id(parse_descriptor("<ETALAB/>")) is None

    def test_bytes_follow_their_declaration_and_text_is_taken_as_is(self) -> None:
        text = descriptor(title="<title>Forêt</title>").replace("UTF-8", "UTF-16")

        from_bytes = parse_descriptor(text.encode("utf-16"))
        from_text = parse_descriptor(text)

        assert from_bytes.findtext("metadata/title") == "Forêt"
        assert from_text.findtext("metadata/title") == "Forêt"

    def test_malformed_xml_fails_with_the_parser_reason(self) -> None:
        with pytest.raises(InvalidItem, match=r"^The descriptor cannot be read: Invalid XML: .+"):
            parse_descriptor("<ETALAB><metadata></ETALAB>")

    def test_an_empty_document_fails(self) -> None:
        with pytest.raises(InvalidItem, match="Document is empty"):
            parse_descriptor(b"")

    @pytest.mark.parametrize(
        "doctype",
        [
            "<!DOCTYPE ETALAB>",
            '<!DOCTYPE ETALAB SYSTEM "http://127.0.0.1:9/maaf.dtd">',
            '<!DOCTYPE ETALAB [<!ENTITY x "y">]>',
        ],
    )
    def test_any_doctype_is_refused(self, doctype: str) -> None:
        with pytest.raises(InvalidItem, match=r"declar(es a DTD|ing entities are refused)"):
            parse_descriptor(f"{doctype}<ETALAB/>")

    def test_entities_are_never_expanded(self, tmp_path) -> None:
        secret = tmp_path / "secret"
        secret.write_text("TOPSECRET")
        text = f'<!DOCTYPE ETALAB [<!ENTITY s SYSTEM "{secret.as_uri()}">]><ETALAB>&s;</ETALAB>'

        with pytest.raises(InvalidItem) as caught:
            parse_descriptor(text)

        assert "TOPSECRET" not in str(caught.value)


class TestXsd:
    def test_a_descriptor_following_the_schema_has_no_problem(self) -> None:
        ministry = "Ministère de l’Agriculture, de l’Agroalimentaire et de la Forêt"
        text = descriptor(
            organization=f"<organization>{ministry}</organization>",
            supplier=f"<supplier>{ministry}</supplier>",
            temporal_coverage_from="<temporal_coverage_from>2013-01-01T00:00:00</temporal_coverage_from>",
            temporal_coverage_to="<temporal_coverage_to>2013-12-31T00:00:00</temporal_coverage_to>",
        ).replace("</metadata>", "</metadata><digest>abc</digest>")

        assert xsd_problems(parse_descriptor(text)) == []

    def test_problems_name_their_line_and_element(self) -> None:
        problems = xsd_problems(parse_descriptor(descriptor()))

        assert any("temporal_coverage_from" in p and p.startswith("line 2:") for p in problems)
        assert any("digest" in p for p in problems)

    def test_problems_are_capped(self, monkeypatch: pytest.MonkeyPatch) -> None:
        root = parse_descriptor(descriptor())
        everything = xsd_problems(root)
        monkeypatch.setattr(maaf_mapping, "MAX_XSD_PROBLEMS", 2)

        capped = xsd_problems(root)

        assert len(everything) > 3
        assert capped == [*everything[:2], f"... and {len(everything) - 2} more"]


class TestRequiredFields:
    def test_a_missing_title_fails(self) -> None:
        assert invalid(descriptor(title="")) == (
            "Validation error:\n- [metadata.title] required key not provided"
        )

    def test_an_empty_title_and_id_fail_together(self) -> None:
        assert invalid(descriptor(title="<title>  </title>", id="<id/>")) == (
            "Validation error:\n"
            "- [metadata.id] expected a non-empty string\n"
            "- [metadata.title] expected a non-empty string"
        )

    def test_no_metadata_fails(self) -> None:
        assert invalid("<ETALAB/>") == "Validation error:\n- [metadata] required key not provided"

    def test_another_root_fails(self) -> None:
        assert invalid("<CKAN><metadata/></CKAN>") == (
            "Validation error:\n- [CKAN] root element should be ETALAB"
        )


class TestFrequencyAndLicence:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("annuelle", Frequency.ANNUAL),
            ("Temps Réel", Frequency.CONTINUOUS),
            (" bimensuelle ", Frequency.SEMIMONTHLY),
            ("aucune", Frequency.UNKNOWN),
        ],
    )
    def test_french_frequencies(self, value: str, expected: Frequency) -> None:
        assert mapped(descriptor(frequency=f"<frequency>{value}</frequency>")).frequency is expected

    def test_an_unknown_frequency_fails(self) -> None:
        message = invalid(descriptor(frequency="<frequency>parfois</frequency>"))

        assert message.startswith("Validation error:\n- [metadata.frequency] value must be one")
        assert message.endswith(": parfois")

    def test_no_frequency_keeps_the_existing_one_with_a_warning(self, caplog) -> None:
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            draft = mapped(descriptor(frequency="<frequency/>"))

        assert draft.frequency is None
        assert "No frequency" in caplog.text

    def test_the_licence_is_fr_lo_from_the_table(self) -> None:
        assert mapped(descriptor(license_id="<license_id>FR-LO</license_id>")).license == "fr-lo"

    def test_another_licence_fails(self) -> None:
        assert invalid(descriptor(license_id="<license_id>odbl</license_id>")) == (
            "Validation error:\n"
            "- [metadata.license_id] not a valid value (MAAF descriptors must use fr-lo): odbl"
        )

    def test_fr_lo_missing_from_the_licence_table_fails(self) -> None:
        table = LicenseTable([License(id="odbl", title="ODbL")])

        assert invalid(descriptor(), licenses=table) == (
            "Validation error:\n- [metadata.license_id] not in the licence table: fr-lo"
        )

    def test_no_licence_is_unspecified_with_a_warning(self, caplog) -> None:
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            draft = mapped(descriptor(license_id=""))

        assert draft.license is None
        assert "No license_id" in caplog.text


class TestTextFields:
    def test_tags_are_split_on_commas_and_normalised(self) -> None:
        tags = "<tags>Produits phytosanitaires, EPHY,ab,,Forêt d'État</tags>"

        assert mapped(descriptor(tags=tags)).tags == (
            "ephy",
            "foret-detat",
            "produits-phytosanitaires",
        )

    def test_notes_whitespace_is_collapsed_and_html_becomes_markdown(self) -> None:
        plain = mapped(descriptor(notes="<notes>  a\n\n  b\tc </notes>"))
        rich = mapped(
            descriptor(notes="<notes>&lt;p&gt;Un &lt;b&gt;gras&lt;/b&gt;&lt;/p&gt;</notes>")
        )

        assert plain.description == "a b c"
        assert rich.description == "Un **gras**"

    @pytest.mark.parametrize(
        ("value", "expected"), [("1", True), ("true", True), ("0", False), ("", False)]
    )
    def test_private(self, value: str, expected: bool) -> None:
        assert mapped(descriptor(private=f"<private>{value}</private>")).private is expected

    def test_a_private_flag_that_is_no_boolean_is_public_with_a_warning(self, caplog) -> None:
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            draft = mapped(descriptor(private="<private>oui</private>"))

        assert draft.private is False
        assert "not a boolean" in caplog.text

    def test_extras_hold_contacts_and_key_values(self, caplog) -> None:
        text = descriptor(
            author_email="<author_email>a@example.org</author_email>",
            maintainer="<maintainer>Jeanne</maintainer>",
            maintainer_email="<maintainer_email>j@example.org</maintainer_email>",
            extras=(
                "<extras><key>Quartier</key><value>SIAL</value></extras>"
                "<extras><key>ETL</key><value/></extras>"
                "<extras><value>orphan</value></extras>"
            ),
        )
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            extras = mapped(text).extras

        assert extras == {
            "author": "Bureau",
            "author_email": "a@example.org",
            "maintainer": "Jeanne",
            "maintainer_email": "j@example.org",
            "Quartier": "SIAL",
            "ETL": "",
        }
        assert "no key" in caplog.text


class TestTemporalCoverage:
    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            (
                "2013-12-31",
                "2014-01-15",
                TemporalCoverage(start=date(2013, 12, 31), end=date(2014, 1, 15)),
            ),
            ("2013", "2014", TemporalCoverage(start=date(2013, 1, 1), end=date(2014, 12, 31))),
            ("2013-02", "2024-02", TemporalCoverage(start=date(2013, 2, 1), end=date(2024, 2, 29))),
            (
                "2013-12",
                "2013-12",
                TemporalCoverage(start=date(2013, 12, 1), end=date(2013, 12, 31)),
            ),
            ("2013-05-02T10:00:00+02:00", "", TemporalCoverage(start=date(2013, 5, 2))),
        ],
    )
    def test_iso_dates_years_and_months(
        self, start: str, end: str, expected: TemporalCoverage
    ) -> None:
        text = descriptor(
            temporal_coverage_from=f"<temporal_coverage_from>{start}</temporal_coverage_from>",
            temporal_coverage_to=f"<temporal_coverage_to>{end}</temporal_coverage_to>",
        )

        assert mapped(text).temporal_coverage == expected

    @pytest.mark.parametrize(
        ("start", "end", "warning"),
        [
            ("", "2014", "temporal_coverage_from None is not an ISO 8601 date"),
            ("hier", "", "'hier' is not an ISO 8601 date"),
            ("2013-13", "", "'2013-13' is not an ISO 8601 date"),
            ("2015", "2014", "ends (2014-12-31) before it starts (2015-01-01)"),
        ],
    )
    def test_unusable_coverage_is_dropped_with_a_warning(
        self, caplog, start: str, end: str, warning: str
    ) -> None:
        text = descriptor(
            temporal_coverage_from=f"<temporal_coverage_from>{start}</temporal_coverage_from>",
            temporal_coverage_to=f"<temporal_coverage_to>{end}</temporal_coverage_to>",
        )
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            assert mapped(text).temporal_coverage is None
        assert warning in caplog.text

    def test_an_unreadable_end_keeps_the_start(self, caplog) -> None:
        text = descriptor(
            temporal_coverage_from="<temporal_coverage_from>2013</temporal_coverage_from>",
            temporal_coverage_to="<temporal_coverage_to>bientôt</temporal_coverage_to>",
        )
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            assert mapped(text).temporal_coverage == TemporalCoverage(start=date(2013, 1, 1))
        assert "'bientôt' is not an ISO 8601 date" in caplog.text


class TestSpatialCoverage:
    @staticmethod
    def coverage(code: str, granularity: str) -> str:
        return descriptor(
            territorial_coverage=(
                f"<territorial_coverage><territorial_coverage_code>{code}"
                "</territorial_coverage_code><territorial_coverage_granularity>"
                f"{granularity}</territorial_coverage_granularity></territorial_coverage>"
            )
        )

    @pytest.mark.parametrize(
        ("code", "granularity", "expected"),
        [
            ("Country/FR", "France", SpatialCoverage(zones=("country/fr",), granularity="country")),
            (
                "country/monde",
                "pays",
                SpatialCoverage(zones=("country-group/world",), granularity="country"),
            ),
            (
                "country/fr",
                "Commune",
                SpatialCoverage(zones=("country/fr",), granularity="fr/town"),
            ),
            ("", "commune", SpatialCoverage(granularity="fr/town")),
            ("country/fr", "", SpatialCoverage(zones=("country/fr",))),
        ],
    )
    def test_known_codes_and_granularities(
        self, code: str, granularity: str, expected: SpatialCoverage
    ) -> None:
        draft = mapped(self.coverage(code, granularity))

        assert draft.spatial == expected
        assert "territorial_coverage_code" not in draft.extras

    def test_unknown_values_are_kept_in_extras(self, caplog) -> None:
        code = "CommuneOfFrance/44109, Country/FR,country/fr"
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            draft = mapped(self.coverage(code, "iris"))

        assert draft.spatial == SpatialCoverage(zones=("country/fr",))
        assert draft.extras["territorial_coverage_code"] == code
        assert draft.extras["territorial_coverage_granularity"] == "iris"
        assert "CommuneOfFrance/44109" in caplog.text

    def test_nothing_known_gives_no_spatial(self) -> None:
        draft = mapped(self.coverage("DepartmentOfFrance/44", "department"))

        assert draft.spatial is None
        assert draft.extras["territorial_coverage_code"] == "DepartmentOfFrance/44"

    def test_no_territorial_coverage(self) -> None:
        assert mapped(descriptor(territorial_coverage="")).spatial is None


class TestResources:
    def test_a_data_file_gets_the_checksum_of_its_cle_file(self) -> None:
        data = "https://example.org/d/MINAGRI-TEST_2014-01-01"
        text = descriptor(resources=resource(f"{data}.csv") + resource(f"{data}.cle", "CLE"))

        draft = mapped(text, {f"{data}.cle": f"{SHA.upper()}  MINAGRI-TEST_2014-01-01.csv\n"})

        assert checksum_urls(parse_descriptor(text)) == (f"{data}.cle",)
        (only,) = draft.resources
        assert only.url == f"{data}.csv"
        assert only.checksum == Checksum(type=ChecksumType.SHA256, value=SHA)

    def test_several_files_pair_with_their_own_cle(self) -> None:
        a, b = "https://example.org/d/a_2014", "https://example.org/d/b_2014"
        rows = (
            resource(f"{a}.csv")
            + resource(f"{b}.csv")
            + resource(f"{b}.cle", "cle")
            + resource(f"{a}.cle", "cle")
        )
        text = descriptor(resources=rows)

        draft = mapped(text, {f"{a}.cle": "a" * 64, f"{b}.cle": "b" * 64})

        assert checksum_urls(parse_descriptor(text)) == (f"{a}.cle", f"{b}.cle")
        assert [(r.url, r.checksum.value if r.checksum else None) for r in draft.resources] == [
            (f"{a}.csv", "a" * 64),
            (f"{b}.csv", "b" * 64),
        ]

    def test_a_single_csv_and_cle_pair_whatever_their_names(self) -> None:
        rows = resource("https://example.org/data.csv") + resource(
            "https://example.org/signature.cle", "cle"
        )
        draft = mapped(descriptor(resources=rows), {"https://example.org/signature.cle": SHA})

        assert draft.resources[0].checksum == Checksum(type=ChecksumType.SHA256, value=SHA)

    def test_unpaired_cle_files_are_neither_fetched_nor_resources(self) -> None:
        rows = (
            resource("https://example.org/one.csv")
            + resource("https://example.org/two.csv")
            + resource("https://example.org/other.cle", "cle")
            + resource("relative/x.cle", "cle")
        )
        text = descriptor(resources=rows)

        draft = mapped(text)

        assert checksum_urls(parse_descriptor(text)) == ()
        assert [r.checksum for r in draft.resources] == [None, None]

    @pytest.mark.parametrize(
        ("served", "warning"),
        [
            (None, "could not be read"),
            ("not a digest", "does not hold a SHA-256"),
            ("", "does not hold"),
        ],
    )
    def test_a_missing_or_bad_cle_leaves_no_checksum(
        self, caplog, served: str | None, warning: str
    ) -> None:
        data = "https://example.org/x"
        text = descriptor(resources=resource(f"{data}.csv") + resource(f"{data}.cle", "cle"))
        checksums = {} if served is None else {f"{data}.cle": served}

        with caplog.at_level(logging.WARNING, logger=LOG.name):
            draft = mapped(text, checksums)

        assert draft.resources[0].checksum is None
        assert warning in caplog.text

    def test_resource_fields(self) -> None:
        rows = resource(
            "https://example.org/d/notice%20v2.PDF",
            "PDF",
            name="",
            extra="<last_modified>2014-01-01T10:00:00+01:00</last_modified>",
        ).replace("<description>d</description>", "<description>  Une\n notice </description>")

        (res,) = mapped(descriptor(resources=rows)).resources

        assert res.title == "notice v2.PDF"
        assert res.format == "pdf"
        assert res.description == f"Une notice\n\n{CERTIFICATE_NOTE}"
        assert res.last_modified == datetime(2014, 1, 1, 9, 0)
        assert res.filetype == "remote"

    def test_a_resource_without_description_gets_the_certificate_note(self) -> None:
        rows = resource("https://example.org/a.csv").replace("<description>d</description>", "")

        assert mapped(descriptor(resources=rows)).resources[0].description == CERTIFICATE_NOTE

    @pytest.mark.parametrize(
        ("value", "warning"),
        [("2999-01-01T00:00:00", "in the future"), ("26/11/2013", "is not a date")],
    )
    def test_unusable_modification_dates_are_dropped(
        self, caplog, value: str, warning: str
    ) -> None:
        rows = resource(
            "https://example.org/a.csv", extra=f"<last_modified>{value}</last_modified>"
        )
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            (res,) = mapped(descriptor(resources=rows)).resources

        assert res.last_modified is None
        assert warning in caplog.text

    @pytest.mark.parametrize("url", ["", "fichier.csv", "ftp://example.org/a.csv", "https://"])
    def test_resources_without_an_absolute_http_url_are_skipped(self, caplog, url: str) -> None:
        rows = resource(url) + resource("https://example.org/kept.csv")
        with caplog.at_level(logging.WARNING, logger=LOG.name):
            draft = mapped(descriptor(resources=rows))

        assert [r.url for r in draft.resources] == ["https://example.org/kept.csv"]
        assert "not an absolute http(s) URL" in caplog.text


def test_the_shared_descriptors_map_without_errors() -> None:
    tree = SHARED_FIXTURES / "maaf" / "tree"
    for path in sorted(tree.rglob("*.xml")):
        text = path.read_text().replace("{{BASE}}", "https://example.org")
        draft = mapped(text)
        assert draft.title.startswith("Les produits phytopharmaceutiques")
        assert draft.license == "fr-lo"
