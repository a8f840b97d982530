"""ISO 19139 -> dataset on the recorded Géo-IDE and Géoplateforme records
(docs/udata-backends.md §8.2)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from lxml import etree
from tests.conftest import SHARED_FIXTURES

from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ContactRole, Frequency, ResourceType
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping.iso19139 import dataset_from_iso, file_identifier
from moisson.mapping.licenses import License, LicenseTable
from moisson.mapping.xml import parse_xml

CSW = "{http://www.opengis.net/cat/csw/2.0.2}"
NOW = datetime(2026, 2, 1)
GEOIDE = "http://catalogue.geo-ide.developpement-durable.gouv.fr/"
CARTIGNY_ID = GEOIDE + "fr-120066022-orphan-residentifier-140d31c6-643d-42a9-85df-2737a118e144"
ARTICLE_13_1_D = (
    "L124-4-I-1 du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.d)"
)
LICENCE_OUVERTE_1 = "Licence Ouverte 1.0 http://www.data.gouv.fr/Licence-Ouverte-Open-Licence."


def records(name: str) -> list[etree._Element]:
    root = parse_xml((SHARED_FIXTURES / "csw" / name).read_bytes())
    results = root.find(f"{CSW}SearchResults")
    assert results is not None
    return list(results)


@pytest.fixture(scope="module")
def licenses() -> LicenseTable:
    """data.gouv.fr's table plus lov1, as udata's test creates it."""
    lov1 = License(
        id="lov1",
        title="Licence Ouverte / Open Licence version 1.0",
        url="http://www.data.gouv.fr/Licence-Ouverte-Open-Licence",
    )
    return LicenseTable([*LicenseTable.load().licenses, lov1])


def map_file(name: str, licenses: LicenseTable, **kwargs: object) -> list[DatasetDraft]:
    return [
        dataset_from_iso(r, licenses=licenses, now=NOW, **kwargs)  # type: ignore[arg-type]
        for r in records(name)
    ]


@pytest.fixture(scope="module")
def geonetwork(licenses: LicenseTable) -> dict[str, DatasetDraft]:
    drafts = [d for n in (1, 3, 5) for d in map_file(f"geonetwork-iso19139-page-{n}.xml", licenses)]
    return {d.harvest.dct_identifier or "": d for d in drafts}


class TestGeonetworkPages:
    def test_six_datasets(self, geonetwork: dict[str, DatasetDraft]) -> None:
        assert len(geonetwork) == 6

    def test_file_identifiers(self) -> None:
        pages = [f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)]
        ids = [file_identifier(r) for page in pages for r in records(page)]
        assert ids == [
            "fr-120066022-ldd-56fce164-04b2-41ae-be87-9f256f39dd44",
            "fr-120066022-ldd-777b1c6b-36a7-4650-befa-e4be638cd694",
            "fr-120066022-jdd-585c9cd3-d542-407a-b6a5-885f062b0024",
            "fr-120066022-ldd-05ba3a8c-ee8a-4dd5-a86a-15b6d6cd1bc8",
            "fr-120066022-ldd-3f4cc8c8-5c3e-4a0e-8b56-0a569a7e12f6",
            "fr-120066022-ldd-1d31b525-5f0e-4fd2-8ab4-cad099333b5c",
        ]

    def test_cartigny(self, geonetwork: dict[str, DatasetDraft]) -> None:
        dataset = geonetwork[CARTIGNY_ID]
        assert dataset.title == "Plan local d'urbanisme de la commune de Cartigny"
        assert dataset.description == (
            "Le présent standard de données COVADIS concerne les documents de plans locaux "
            "d'urbanisme (PLU) et les plans d'occupation des sols (POS qui valent PLU)."
        )
        assert set(dataset.tags) == {
            "amenagement-urbanisme-zonages-planification",
            "cartigny",
            "document-durbanisme",
            "donnees-ouvertes",
            "plu",
            "usage-des-sols",
            "inspire",
        }
        assert dataset.harvest.issued_at == datetime(2017, 10, 7)
        assert dataset.harvest.created_at == datetime(2013, 3, 8)
        assert dataset.harvest.modified_at is None
        assert dataset.spatial is not None
        assert dataset.spatial.geom == {
            "type": "MultiPolygon",
            "coordinates": [
                [
                    [
                        [3.28133559, 50.48188019],
                        [1.31279111, 50.48188019],
                        [1.31279111, 49.38547516],
                        [3.28133559, 49.38547516],
                        [3.28133559, 50.48188019],
                    ]
                ]
            ],
        }
        assert dataset.contact_points is not None
        contact = dataset.contact_points[0]
        assert contact.name == (
            "DDTM 80 (Direction Départementale des Territoires et de la Mer de la Somme)"
        )
        assert contact.email == "ddtm-sap-bsig@somme.gouv.fr"
        assert contact.role == ContactRole.CONTACT

    def test_cartigny_rights_make_it_restricted_without_licence(
        self, geonetwork: dict[str, DatasetDraft]
    ) -> None:
        dataset = geonetwork[CARTIGNY_ID]
        rights = dataset.extras["dcat"]["rights"]
        assert len(rights) == 6
        assert ARTICLE_13_1_D in rights
        assert LICENCE_OUVERTE_1 in rights
        assert rights[0].startswith("En application du code de l'urbanisme")
        assert "license" not in dataset.extras["dcat"]
        assert "accessRights" not in dataset.extras["dcat"]
        assert dataset.access_type == "restricted"
        assert (
            dataset.access_type_reason_category
            == "confidentiality_of_commercial_or_industrial_information"
        )
        # The rights name lov1, but a dataset that is not open has no licence.
        assert dataset.license is None

    def test_cartigny_single_resource(self, geonetwork: dict[str, DatasetDraft]) -> None:
        dataset = geonetwork[CARTIGNY_ID]
        assert len(dataset.resources) == 1
        resource = dataset.resources[0]
        assert resource.title == "Téléchargement direct du lot et des documents associés"
        assert resource.url == (
            "http://atom.geo-ide.developpement-durable.gouv.fr/atomArchive/GetResource?"
            "id=fr-120066022-ldd-cab63273-b3ae-4e8a-ae1c-6192e45faa94&datasetAggregate=true"
        )
        assert resource.type == ResourceType.MAIN
        assert resource.format == "mapinfo tab"
        assert resource.extras["dcat"]["rights"] == dataset.extras["dcat"]["rights"]

    def test_cartigny_remote_url_is_the_first_landing_page(
        self, geonetwork: dict[str, DatasetDraft]
    ) -> None:
        remote_url = geonetwork[CARTIGNY_ID].harvest.remote_url or ""
        assert remote_url.startswith(
            "https://ogc.geo-ide.developpement-durable.gouv.fr/csw/all-dataset?REQUEST=GetRecordById"
        )
        assert remote_url.endswith("&ID=fr-120066022-ldd-56fce164-04b2-41ae-be87-9f256f39dd44")

    def test_other_datasets(self, geonetwork: dict[str, DatasetDraft]) -> None:
        titles = {
            key.rsplit("-", 5)[-5:][0] if key.startswith(GEOIDE) else key: d.title
            for key, d in geonetwork.items()
        }
        assert len(titles) == 6
        expected_ids = {
            GEOIDE + "fr-120066022-orphan-residentifier-6cf6120b-678c-41f1-aaa5-dccbb8efdafd",
            "http://descartes-dev.cete-mediterranee.i2/242416db-3527-42f5-b452-7e3a8db6f1fb",
            GEOIDE + "fr-120066022-orphan-residentifier-8c59d4e1-0f15-4683-87df-766b5c2ce556",
            GEOIDE + "fr-120066022-orphan-residentifier-c46794fd-005d-499a-9a9b-0627761d31a4",
            GEOIDE + "fr-120066022-orphan-residentifier-cf8a3094-17b8-4929-b303-980d96563395",
        }
        assert set(geonetwork) == expected_ids | {CARTIGNY_ID}
        for key in expected_ids:
            assert geonetwork[key].resources == ()

    def test_descartes_rights_holder_and_revision(
        self, geonetwork: dict[str, DatasetDraft]
    ) -> None:
        dataset = geonetwork[
            "http://descartes-dev.cete-mediterranee.i2/242416db-3527-42f5-b452-7e3a8db6f1fb"
        ]
        assert dataset.title == (
            "Table contenant les générateurs surfaciques liés aux servitudes de la catégorie "
            "JS1 en Pas-de-Calais"
        )
        assert dataset.contact_points is not None
        assert {c.role for c in dataset.contact_points} == {ContactRole.RIGHTS_HOLDER}
        assert dataset.harvest.modified_at == datetime(2021, 11, 19)

    def test_lineage_goes_to_provenance(self, geonetwork: dict[str, DatasetDraft]) -> None:
        provenance = geonetwork[CARTIGNY_ID].extras["dcat"]["provenance"]
        assert provenance[0].startswith("Les limites d'une zone sont représentées")


@pytest.fixture(scope="module")
def combles(licenses: LicenseTable) -> DatasetDraft:
    (dataset,) = map_file("geoide-iso19139-single-dataset.xml", licenses)
    return dataset


@pytest.fixture(scope="module")
def rpg(licenses: LicenseTable) -> DatasetDraft:
    (dataset,) = map_file("geoplateforme-iso19139-IGNF_RPG.xml", licenses)
    return dataset


class TestGeoideSingleDataset:
    def test_identity_and_dates(self, combles: DatasetDraft) -> None:
        assert combles.title == "Plan local d'urbanisme de la commune de Combles"
        assert combles.harvest.dct_identifier == (
            GEOIDE + "fr-120066022-orphan-residentifier-c46794fd-005d-499a-9a9b-0627761d31a4"
        )
        assert combles.harvest.created_at == datetime(2003, 6, 2)
        assert combles.harvest.issued_at == datetime(2017, 10, 7)

    def test_licence_from_the_url_in_the_rights(self, combles: DatasetDraft) -> None:
        assert combles.license == "lov1"
        rights = combles.extras["dcat"]["rights"]
        assert len(rights) == 6
        assert "Pas de restriction d'accès public selon INSPIRE" in rights
        assert LICENCE_OUVERTE_1 in rights
        assert "license" not in combles.extras["dcat"]
        assert "accessRights" not in combles.extras["dcat"]
        assert combles.access_type is None  # open, the default
        assert combles.access_type_reason_category is None
        assert "inspire" in combles.tags

    def test_resources(self, combles: DatasetDraft) -> None:
        assert len(combles.resources) == 6
        kinds = [(r.format, r.type) for r in combles.resources]
        assert kinds == [
            ("mapinfo tab", ResourceType.MAIN),
            ("mapinfo tab", ResourceType.MAIN),
            ("wms", ResourceType.API),
            ("wfs", ResourceType.API),
            ("wms", ResourceType.API),
            ("wfs", ResourceType.API),
        ]
        for resource in combles.resources:
            assert resource.extras["dcat"]["rights"] == combles.extras["dcat"]["rights"]


class TestGeoplateformeRpg:
    def test_series_is_one_dataset(self, rpg: DatasetDraft) -> None:
        assert rpg.title == "RPG"
        assert rpg.harvest.dct_identifier == "IGNF_RPG"

    def test_seventy_ogc_resources_told_apart_by_title(self, rpg: DatasetDraft) -> None:
        assert len(rpg.resources) == 70
        assert Counter(r.format for r in rpg.resources) == {"wfs": 24, "wms": 23, "wmts": 23}
        assert {r.type for r in rpg.resources} == {ResourceType.API}
        assert Counter(r.url for r in rpg.resources) == {
            "https://data.geopf.fr/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities": 24,
            "https://data.geopf.fr/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities": 18,
            "https://data.geopf.fr/wms-r/wms?service=wms&version=1.3.0&request=GetCapabilities": 5,
            "https://data.geopf.fr/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetCapabilities": 23,
        }
        first = rpg.resources[0]
        assert (first.title, first.description) == (
            "LANDUSE.AGRICULTURE.LATEST",
            "RPG Dernière édition",
        )

    def test_frequency_temporal_and_spatial(self, rpg: DatasetDraft) -> None:
        assert rpg.frequency == Frequency.ANNUAL
        assert rpg.temporal_coverage is not None
        assert rpg.temporal_coverage.start == date(2007, 1, 1)
        assert rpg.temporal_coverage.end == date(2025, 1, 1)
        assert rpg.spatial is not None
        assert rpg.spatial.geom is not None
        assert rpg.spatial.geom["type"] == "MultiPolygon"
        assert len(rpg.spatial.geom["coordinates"]) == 6  # metropole and five overseas boxes

    def test_tags(self, rpg: DatasetDraft) -> None:
        assert len(rpg.tags) == 25
        assert {"hvd", "geospatiales", "inspire"} <= set(rpg.tags)
        # Anchored keywords are bare theme IRIs: no tag of their own.
        assert "land-cover" not in rpg.tags
        assert "national" not in rpg.tags

    def test_contact_and_constraints(self, rpg: DatasetDraft) -> None:
        assert rpg.contact_points is not None
        assert [(c.name, c.email, c.role) for c in rpg.contact_points] == [
            (
                "Institut national de l'information géographique et forestière (IGN-F)",
                "contact.geoservices@ign.fr",
                ContactRole.CONTACT,
            )
        ]
        assert rpg.extras["dcat"]["accessRights"] == [
            "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"
        ]
        assert rpg.extras["dcat"]["license"] == [
            "https://www.etalab.gouv.fr/wp-content/uploads/2018/11/open-licence.pdf"
        ]
        assert rpg.access_type is None

    def test_remote_url_is_the_landing_page(self, rpg: DatasetDraft) -> None:
        assert rpg.harvest.remote_url == "https://data.geopf.fr/telechargement/resource/RPG"


MINIMAL = """
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
    xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gmx="http://www.isotc211.org/2005/gmx"
    xmlns:xlink="http://www.w3.org/1999/xlink">
  <gmd:fileIdentifier><gco:CharacterString>id-1</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeListValue="eng">eng</gmd:LanguageCode></gmd:language>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode codeListValue="{level}"/></gmd:hierarchyLevel>
  <gmd:locale><gmd:PT_Locale id="FR">
    <gmd:languageCode><gmd:LanguageCode codeListValue="fre"/></gmd:languageCode>
  </gmd:PT_Locale></gmd:locale>
  <gmd:identificationInfo><gmd:MD_DataIdentification>
    <gmd:citation><gmd:CI_Citation>
      <gmd:title>
        <gco:CharacterString>Dataset 1</gco:CharacterString>
        <gmd:PT_FreeText><gmd:textGroup>
          <gmd:LocalisedCharacterString locale="#FR">Jeu 1</gmd:LocalisedCharacterString>
        </gmd:textGroup></gmd:PT_FreeText>
      </gmd:title>
      <gmd:date><gmd:CI_Date>
        <gmd:date><gco:DateTime>2099-01-01T00:00:00Z</gco:DateTime></gmd:date>
        <gmd:dateType><gmd:CI_DateTypeCode codeListValue="revision"/></gmd:dateType>
      </gmd:CI_Date></gmd:date>
      <gmd:identifier><gmd:MD_Identifier><gmd:code>
        <gco:CharacterString>dataset-1</gco:CharacterString>
      </gmd:code></gmd:MD_Identifier></gmd:identifier>
    </gmd:CI_Citation></gmd:citation>
    <gmd:pointOfContact><gmd:CI_ResponsibleParty>
      <gmd:individualName><gco:CharacterString>Jane Doe</gco:CharacterString></gmd:individualName>
      <gmd:organisationName><gco:CharacterString>ACME</gco:CharacterString></gmd:organisationName>
      <gmd:role><gmd:CI_RoleCode codeListValue="author"/></gmd:role>
    </gmd:CI_ResponsibleParty></gmd:pointOfContact>
    <gmd:pointOfContact><gmd:CI_ResponsibleParty>
      <gmd:organisationName>
        <gco:CharacterString>No mail</gco:CharacterString>
      </gmd:organisationName>
      <gmd:role><gmd:CI_RoleCode codeListValue="pointOfContact"/></gmd:role>
    </gmd:CI_ResponsibleParty></gmd:pointOfContact>
    <gmd:resourceMaintenance><gmd:MD_MaintenanceInformation>
      <gmd:maintenanceAndUpdateFrequency>
        <gmd:MD_MaintenanceFrequencyCode codeListValue="{frequency}"/>
      </gmd:maintenanceAndUpdateFrequency>
    </gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>
    <gmd:resourceConstraints><gmd:MD_LegalConstraints>
      <gmd:accessConstraints>
        <gmd:MD_RestrictionCode codeListValue="otherRestrictions"/>
      </gmd:accessConstraints>
      <gmd:otherConstraints>
        <gmx:Anchor xlink:href="{access}">IPR</gmx:Anchor>
      </gmd:otherConstraints>
    </gmd:MD_LegalConstraints></gmd:resourceConstraints>
    <gmd:extent><gmd:EX_Extent><gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent>
      <gml:TimeInstant xmlns:gml="http://www.opengis.net/gml"><gml:timePosition>2020-05-04</gml:timePosition></gml:TimeInstant>
    </gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement></gmd:EX_Extent></gmd:extent>
  </gmd:MD_DataIdentification></gmd:identificationInfo>
  <gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions>
    <gmd:onLine><gmd:CI_OnlineResource>
      <gmd:linkage><gmd:URL>https://example.org/files/data.csv</gmd:URL></gmd:linkage>
      <gmd:function><gmd:CI_OnLineFunctionCode codeListValue="download"/></gmd:function>
    </gmd:CI_OnlineResource></gmd:onLine>
    <gmd:onLine><gmd:CI_OnlineResource>
      <gmd:linkage><gmd:URL>https://example.org/about</gmd:URL></gmd:linkage>
      <gmd:function><gmd:CI_OnLineFunctionCode codeListValue="information"/></gmd:function>
    </gmd:CI_OnlineResource></gmd:onLine>
  </gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>
</gmd:MD_Metadata>
"""


def minimal(level: str = "dataset", frequency: str = "continual") -> etree._Element:
    access = (
        "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
        "INSPIRE_Directive_Article13_1e"
    )
    return parse_xml(MINIMAL.format(level=level, frequency=frequency, access=access))


class TestMinimalRecord:
    def test_remote_url_prefix(self, licenses: LicenseTable) -> None:
        for prefix in ("http://catalog.example.com", "http://catalog.example.com/"):
            dataset = dataset_from_iso(
                minimal(), licenses=licenses, now=NOW, remote_url_prefix=prefix
            )
            assert dataset.harvest.remote_url == "http://catalog.example.com/id-1"
        assert dataset.harvest.dct_identifier == "dataset-1"

    def test_without_prefix_there_is_no_landing_page(self, licenses: LicenseTable) -> None:
        dataset = dataset_from_iso(minimal(), licenses=licenses, now=NOW)
        assert dataset.harvest.remote_url is None
        assert dataset.harvest.uri is None

    def test_preferred_language_translation(self, licenses: LicenseTable) -> None:
        assert dataset_from_iso(minimal(), licenses=licenses, now=NOW, lang="fr").title == "Jeu 1"
        assert (
            dataset_from_iso(minimal(), licenses=licenses, now=NOW, lang="en").title == "Dataset 1"
        )

    def test_future_revision_is_dropped(self, licenses: LicenseTable) -> None:
        assert dataset_from_iso(minimal(), licenses=licenses, now=NOW).harvest.modified_at is None
        later = dataset_from_iso(minimal(), licenses=licenses, now=datetime(2100, 1, 1))
        assert later.harvest.modified_at == datetime(2099, 1, 1)

    def test_contacts_roles_and_names(self, licenses: LicenseTable) -> None:
        dataset = dataset_from_iso(minimal(), licenses=licenses, now=NOW)
        # The point of contact without email nor form is dropped, as udata does.
        assert dataset.contact_points is not None
        assert [(c.name, c.role) for c in dataset.contact_points] == [
            ("Jane Doe (ACME)", ContactRole.CREATOR)
        ]

    @pytest.mark.parametrize(
        ("code", "frequency"),
        [
            ("continual", Frequency.SEVERAL_TIMES_A_DAY),
            ("fortnightly", Frequency.BIWEEKLY),
            ("biannually", Frequency.SEMIANNUAL),
            ("asNeeded", Frequency.PUNCTUAL),
            ("notPlanned", Frequency.NOT_PLANNED),
            ("whenever", None),
        ],
    )
    def test_frequency(self, licenses: LicenseTable, code: str, frequency: Frequency) -> None:
        dataset = dataset_from_iso(minimal(frequency=code), licenses=licenses, now=NOW)
        assert dataset.frequency == frequency

    def test_inspire_access_right_by_uri(self, licenses: LicenseTable) -> None:
        dataset = dataset_from_iso(minimal(), licenses=licenses, now=NOW)
        assert dataset.access_type == "restricted"
        assert dataset.access_type_reason_category == "intellectual_property_rights"
        assert dataset.extras["dcat"]["accessRights"] == [
            "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
            "INSPIRE_Directive_Article13_1e"
        ]

    def test_time_instant_and_resources(self, licenses: LicenseTable) -> None:
        dataset = dataset_from_iso(minimal(), licenses=licenses, now=NOW)
        assert dataset.temporal_coverage is not None
        assert dataset.temporal_coverage.start == dataset.temporal_coverage.end == date(2020, 5, 4)
        assert [(r.title, r.type) for r in dataset.resources] == [
            ("data.csv", ResourceType.MAIN),
            ("Ressource sans nom", ResourceType.DOCUMENTATION),
        ]

    def test_service_records_are_skipped(self, licenses: LicenseTable) -> None:
        with pytest.raises(SkipItem, match="hierarchyLevel service"):
            dataset_from_iso(minimal(level="service"), licenses=licenses, now=NOW)

    def test_missing_title_is_skipped(self, licenses: LicenseTable) -> None:
        record = minimal()
        for title in record.iter("{http://www.isotc211.org/2005/gmd}title"):
            title.getparent().remove(title)  # type: ignore[union-attr]
        with pytest.raises(SkipItem, match="missing title"):
            dataset_from_iso(record, licenses=licenses, now=NOW)

    def test_not_iso_metadata_is_invalid(self, licenses: LicenseTable) -> None:
        with pytest.raises(InvalidItem, match="Not an ISO 19139 metadata record"):
            dataset_from_iso(parse_xml(b"<Record/>"), licenses=licenses, now=NOW)
