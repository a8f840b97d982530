"""Field-by-field agreement of csw-iso-19139 with udata on the recorded catalogs.

The expected values are udata's (its test assertions and the values computed from its
XSLT output, docs/udata-backends.md §8.2): each dataset is paired with udata's by remote id, as
udata's matching would pair them, then compared field by field. Where Moisson differs on
purpose, the difference is listed in `DELIBERATE` and in the README ("CSW", differences
with udata); the test fails when a field drifts from udata without being listed there, or
when a listed difference disappears.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from tests.conftest import SHARED_FIXTURES
from tests.integration.backends.csw_replay import CswReplay, csw_context

from moisson.backends.csw_iso19139 import CswIso19139Backend
from moisson.domain.drafts import DatasetDraft
from moisson.mapping.licenses import License, LicenseTable

CSW = SHARED_FIXTURES / "csw"
GEOIDE = "http://catalogue.geo-ide.developpement-durable.gouv.fr/fr-120066022-orphan-residentifier"
CARTIGNY = f"{GEOIDE}-140d31c6-643d-42a9-85df-2737a118e144"
FLESSELLES = f"{GEOIDE}-6cf6120b-678c-41f1-aaa5-dccbb8efdafd"
DESCARTES = "http://descartes-dev.cete-mediterranee.i2/242416db-3527-42f5-b452-7e3a8db6f1fb"
LONGUEAU = f"{GEOIDE}-8c59d4e1-0f15-4683-87df-766b5c2ce556"
COMBLES = f"{GEOIDE}-c46794fd-005d-499a-9a9b-0627761d31a4"
NAOURS = f"{GEOIDE}-cf8a3094-17b8-4929-b303-980d96563395"
ARTICLE_13_1_D = (
    "L124-4-I-1 du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.d)"
)
LICENCE_OUVERTE_1 = "Licence Ouverte 1.0 http://www.data.gouv.fr/Licence-Ouverte-Open-Licence."
RPG_URLS = {
    "https://data.geopf.fr/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities": 24,
    "https://data.geopf.fr/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities": 18,
    "https://data.geopf.fr/wms-r/wms?service=wms&version=1.3.0&request=GetCapabilities": 5,
    "https://data.geopf.fr/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetCapabilities": 23,
}


@dataclass(frozen=True)
class Field:
    """One field of one dataset: what udata has, and how to read ours."""

    dataset: str
    name: str
    expected: Any
    read: Callable[[DatasetDraft], Any]


def contacts(d: DatasetDraft) -> list[Any]:
    return list(d.contact_points or ())


def rights(d: DatasetDraft) -> list[str]:
    return list(d.extras.get("dcat", {}).get("rights", []))


def dcat_extra(key: str) -> Callable[[DatasetDraft], Any]:
    return lambda d: d.extras.get("dcat", {}).get(key)


def resource(n: int, attribute: str) -> Callable[[DatasetDraft], Any]:
    return lambda d: str(getattr(d.resources[n], attribute))


def bbox(west: float, east: float, south: float, north: float) -> list[list[list[float]]]:
    return [[[west, north], [east, north], [east, south], [west, south], [west, north]]]


def dataset_fields() -> list[Field]:
    fields = [
        # Cartigny, the one asserted field by field (docs/udata-backends.md §8.2).
        Field(
            CARTIGNY, "title", "Plan local d'urbanisme de la commune de Cartigny", lambda d: d.title
        ),
        Field(
            CARTIGNY,
            "description",
            "Le présent standard de données COVADIS concerne les documents de plans locaux "
            "d'urbanisme (PLU) et les plans d'occupation des sols (POS qui valent PLU).",
            lambda d: d.description,
        ),
        Field(
            CARTIGNY,
            "tags",
            {
                "amenagement-urbanisme-zonages-planification",
                "cartigny",
                "document-durbanisme",
                "donnees-ouvertes",
                "plu",
                "usage-des-sols",
                "inspire",
            },
            lambda d: set(d.tags),
        ),
        Field(CARTIGNY, "issued", datetime(2017, 10, 7), lambda d: d.harvest.issued_at),
        Field(CARTIGNY, "created", datetime(2013, 3, 8), lambda d: d.harvest.created_at),
        Field(
            CARTIGNY,
            "spatial",
            {
                "type": "MultiPolygon",
                "coordinates": [bbox(3.28133559, 1.31279111, 49.38547516, 50.48188019)],
            },
            lambda d: d.spatial.geom if d.spatial else None,
        ),
        Field(
            CARTIGNY,
            "contact_points[0].name",
            "DDTM 80 (Direction Départementale des Territoires et de la Mer de la Somme)",
            lambda d: contacts(d)[0].name,
        ),
        Field(
            CARTIGNY,
            "contact_points[0].email",
            "ddtm-sap-bsig@somme.gouv.fr",
            lambda d: contacts(d)[0].email,
        ),
        Field(CARTIGNY, "license", None, lambda d: d.license),
        Field(CARTIGNY, "rights count", 6, lambda d: len(rights(d))),
        Field(CARTIGNY, "rights has 13.1.d", True, lambda d: ARTICLE_13_1_D in rights(d)),
        Field(CARTIGNY, "rights[3]", LICENCE_OUVERTE_1, lambda d: rights(d)[3]),
        Field(CARTIGNY, "extras.dcat.license", None, dcat_extra("license")),
        Field(CARTIGNY, "extras.dcat.accessRights", None, dcat_extra("accessRights")),
        Field(CARTIGNY, "access_type", "restricted", lambda d: d.access_type),
        Field(
            CARTIGNY,
            "access_type_reason_category",
            "confidentiality_of_commercial_or_industrial_information",
            lambda d: d.access_type_reason_category,
        ),
        Field(CARTIGNY, "resources count", 1, lambda d: len(d.resources)),
        Field(
            CARTIGNY,
            "resources[0].title",
            "Téléchargement direct du lot et des documents associés",
            resource(0, "title"),
        ),
        Field(
            CARTIGNY,
            "resources[0].url",
            "http://atom.geo-ide.developpement-durable.gouv.fr/atomArchive/GetResource?"
            "id=fr-120066022-ldd-cab63273-b3ae-4e8a-ae1c-6192e45faa94&datasetAggregate=true",
            resource(0, "url"),
        ),
        Field(CARTIGNY, "resources[0].type", "main", resource(0, "type")),
        Field(CARTIGNY, "resources[0].format", "mapinfo tab", resource(0, "format")),
        Field(
            CARTIGNY,
            "resources[0].extras.dcat.rights",
            True,
            lambda d: d.resources[0].extras["dcat"]["rights"] == rights(d),
        ),
        Field(
            CARTIGNY,
            "remote_url",
            (True, True),
            lambda d: (
                (d.harvest.remote_url or "").startswith(
                    "https://ogc.geo-ide.developpement-durable.gouv.fr/csw/all-dataset?"
                    "REQUEST=GetRecordById"
                ),
                (d.harvest.remote_url or "").endswith(
                    "&ID=fr-120066022-ldd-56fce164-04b2-41ae-be87-9f256f39dd44"
                ),
            ),
        ),
    ]
    # The other five GeoNetwork datasets: title and no resource (docs/udata-backends.md §8.2,
    # computed).
    for key, commune in (
        (FLESSELLES, "Flesselles"),
        (LONGUEAU, "Longueau"),
        (NAOURS, "Naours"),
        (COMBLES, "Combles"),
    ):
        fields.append(
            Field(
                key,
                "title",
                f"Plan local d'urbanisme de la commune de {commune}",
                lambda d: d.title,
            )
        )
        fields.append(Field(key, "resources count", 0, lambda d: len(d.resources)))
    fields += [
        Field(
            DESCARTES,
            "title",
            "Table contenant les générateurs surfaciques liés aux servitudes de la catégorie "
            "JS1 en Pas-de-Calais",
            lambda d: d.title,
        ),
        Field(DESCARTES, "resources count", 0, lambda d: len(d.resources)),
        Field(
            DESCARTES,
            "contact_points roles",
            ["rightsHolder", "rightsHolder"],
            lambda d: [str(c.role) for c in contacts(d)],
        ),
        Field(DESCARTES, "modified", datetime(2021, 11, 19), lambda d: d.harvest.modified_at),
    ]
    return fields


def combles_fields() -> list[Field]:
    """geoide-iso19139-single-dataset.xml, with udata's test licence lov1
    (docs/udata-backends.md §8.2)."""
    return [
        Field(
            COMBLES, "title", "Plan local d'urbanisme de la commune de Combles", lambda d: d.title
        ),
        Field(COMBLES, "license", "lov1", lambda d: d.license),
        Field(COMBLES, "rights count", 6, lambda d: len(rights(d))),
        Field(
            COMBLES,
            "rights has no-restriction",
            True,
            lambda d: "Pas de restriction d'accès public selon INSPIRE" in rights(d),
        ),
        Field(COMBLES, "rights has LO 1.0", True, lambda d: LICENCE_OUVERTE_1 in rights(d)),
        Field(COMBLES, "extras.dcat.license", None, dcat_extra("license")),
        Field(COMBLES, "extras.dcat.accessRights", None, dcat_extra("accessRights")),
        Field(COMBLES, "access_type", "open", lambda d: d.access_type or "open"),
        Field(
            COMBLES, "access_type_reason_category", None, lambda d: d.access_type_reason_category
        ),
        Field(COMBLES, "inspire tag", True, lambda d: "inspire" in d.tags),
        Field(COMBLES, "resources count", 6, lambda d: len(d.resources)),
        Field(
            COMBLES,
            "resources (format, type)",
            [("mapinfo tab", "main")] * 2 + [("wms", "api"), ("wfs", "api")] * 2,
            lambda d: [(r.format, str(r.type)) for r in d.resources],
        ),
        Field(
            COMBLES,
            "resources extras.dcat.rights",
            True,
            lambda d: all(r.extras["dcat"]["rights"] == rights(d) for r in d.resources),
        ),
        Field(COMBLES, "created", datetime(2003, 6, 2), lambda d: d.harvest.created_at),
        Field(COMBLES, "issued", datetime(2017, 10, 7), lambda d: d.harvest.issued_at),
    ]


def rpg_fields() -> list[Field]:
    """geoplateforme-iso19139-IGNF_RPG.xml, a series (docs/udata-backends.md §8.2)."""
    return [
        Field("IGNF_RPG", "title", "RPG", lambda d: d.title),
        Field("IGNF_RPG", "resources count", 70, lambda d: len(d.resources)),
        Field(
            "IGNF_RPG",
            "resources formats",
            {"wfs": 24, "wms": 23, "wmts": 23},
            lambda d: dict(Counter(r.format for r in d.resources)),
        ),
        Field("IGNF_RPG", "resources types", {"api"}, lambda d: {str(r.type) for r in d.resources}),
        Field(
            "IGNF_RPG",
            "resources urls",
            RPG_URLS,
            lambda d: dict(Counter(r.url for r in d.resources)),
        ),
        Field("IGNF_RPG", "frequency", "annual", lambda d: str(d.frequency)),
        Field(
            "IGNF_RPG",
            "temporal",
            (date(2007, 1, 1), date(2025, 1, 1)),
            lambda d: (
                (d.temporal_coverage.start, d.temporal_coverage.end)
                if d.temporal_coverage
                else None
            ),
        ),
        Field(
            "IGNF_RPG",
            "tags hvd/geospatiales/inspire",
            True,
            lambda d: {"hvd", "geospatiales", "inspire"} <= set(d.tags),
        ),
        Field("IGNF_RPG", "tags count", 25, lambda d: len(d.tags)),
        Field(
            "IGNF_RPG",
            "contact_points",
            [
                (
                    "Institut national de l'information géographique et forestière (IGN-F)",
                    "contact.geoservices@ign.fr",
                    None,
                    "contact",
                )
            ],
            lambda d: [(c.name, c.email, c.contact_form, str(c.role)) for c in contacts(d)],
        ),
        Field(
            "IGNF_RPG",
            "spatial",
            ("MultiPolygon", True),
            lambda d: (
                (d.spatial.geom["type"], len(d.spatial.geom["coordinates"]) > 1)
                if d.spatial and d.spatial.geom
                else None
            ),
        ),
        Field(
            "IGNF_RPG",
            "extras.dcat.accessRights",
            [
                "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"
            ],
            dcat_extra("accessRights"),
        ),
        Field(
            "IGNF_RPG",
            "extras.dcat.license",
            ["https://www.etalab.gouv.fr/wp-content/uploads/2018/11/open-licence.pdf"],
            dcat_extra("license"),
        ),
        Field(
            "IGNF_RPG",
            "remote_url",
            "https://data.geopf.fr/telechargement/resource/RPG",
            lambda d: d.harvest.remote_url,
        ),
    ]


DELIBERATE: dict[tuple[str, str], str] = {
    (DESCARTES, "contact_points roles"): (
        "the record names the same owner twice (name and email identical): udata's get-or-"
        "create makes that one contact point, listed twice; Moisson lists it once"
    ),
}
"""(dataset, field) -> why Moisson differs from udata there (also in the README)."""


def harvest(pages: dict[int, Any], licenses: LicenseTable | None = None) -> dict[str, DatasetDraft]:
    backend = CswIso19139Backend()
    ctx = csw_context(CswIso19139Backend.info, CswReplay(pages), licenses=licenses)
    records = [r for r in backend.gather(ctx) if not r.failure]
    return {str(r.remote_id): backend.map(r, ctx) for r in records}


@pytest.fixture(scope="module")
def harvested() -> dict[str, dict[str, DatasetDraft]]:
    lov1 = License(
        id="lov1",
        title="Licence Ouverte / Open Licence version 1.0",
        url="http://www.data.gouv.fr/Licence-Ouverte-Open-Licence",
    )
    with_lov1 = LicenseTable([*LicenseTable.load().licenses, lov1])
    return {
        "geonetwork": harvest({n: CSW / f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)}),
        "combles": harvest({1: CSW / "geoide-iso19139-single-dataset.xml"}, with_lov1),
        "rpg": harvest({1: CSW / "geoplateforme-iso19139-IGNF_RPG.xml"}),
    }


def compare(drafts: dict[str, DatasetDraft], fields: list[Field]) -> list[tuple[Field, Any]]:
    """The fields that differ, with our value (a dataset udata has and we lack differs in
    every field)."""
    differing = []
    for field in fields:
        draft = drafts.get(field.dataset)
        try:
            ours = field.read(draft) if draft is not None else "<no dataset with this remote id>"
        except (IndexError, KeyError, AttributeError, TypeError) as exc:
            ours = f"<unreadable: {exc!r}>"
        if ours != field.expected:
            differing.append((field, ours))
    return differing


def test_remote_ids_pair_every_dataset_with_udata(
    harvested: dict[str, dict[str, DatasetDraft]],
) -> None:
    assert set(harvested["geonetwork"]) == {
        CARTIGNY,
        FLESSELLES,
        DESCARTES,
        LONGUEAU,
        COMBLES,
        NAOURS,
    }
    assert set(harvested["combles"]) == {COMBLES}
    assert set(harvested["rpg"]) == {"IGNF_RPG"}


def test_agreement_with_udata_field_by_field(
    harvested: dict[str, dict[str, DatasetDraft]],
) -> None:
    groups = [
        (harvested["geonetwork"], dataset_fields()),
        (harvested["combles"], combles_fields()),
        (harvested["rpg"], rpg_fields()),
    ]
    compared = sum(len(fields) for _, fields in groups)
    differing = [d for drafts, fields in groups for d in compare(drafts, fields)]
    agreement = 1 - len(differing) / compared
    assert compared >= 60
    assert agreement >= 0.98, [(f.dataset, f.name, f.expected, ours) for f, ours in differing]
    assert {(f.dataset, f.name) for f, _ in differing} == set(DELIBERATE)
