"""The DCAT-AP serializer, read back by Moisson's own DCAT mapping: every field survives,
in every syntax; and the shapes DCAT-AP asks for are there."""

from __future__ import annotations

from datetime import date, datetime

import pyoxigraph
import pytest
from pyoxigraph import Literal, NamedNode

from moisson.domain.drafts import (
    Checksum,
    ContactPointDraft,
    DataserviceDraft,
    DatasetDraft,
    HarvestMeta,
    ResourceDraft,
    ResourceHarvestMeta,
    SchemaRef,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import ChecksumType, ContactRole, Frequency, ResourceType
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf import iter_dataset_nodes, parse_graph
from moisson.mapping.rdf.dataservices import dataservice_from_rdf, iter_dataservice_nodes
from moisson.mapping.rdf.datasets import dataset_from_rdf
from moisson.mapping.rdf.namespaces import DCAT, DCT, EUFORMAT, GSP, IANAFORMAT, LOCN, RDF
from moisson.mapping.rdf.options import RdfOptions
from moisson.publishing import syntaxes
from moisson.publishing.dcat_ap import dataservice_triples, dataset_triples, geometry_wkt
from moisson.publishing.views import DataserviceView, DatasetView, ServedDataset

BASE = "https://moisson.example.org/api/1"
NOW = datetime(2030, 1, 1)
LICENSES = LicenseTable.load()

POLYGON = [[[1.5, 43.0], [2.5, 43.0], [2.5, 44.25], [1.5, 44.25], [1.5, 43.0]]]


def full_draft() -> DatasetDraft:
    return DatasetDraft(
        title="Réseau cyclable",
        description="Les pistes **cyclables** de la métropole.",
        acronym="RC",
        tags=("hvd", "mobilite", "velo"),
        license="odc-odbl",
        frequency=Frequency.MONTHLY,
        temporal_coverage=TemporalCoverage(start=date(2020, 1, 1), end=date(2024, 12, 31)),
        spatial=SpatialCoverage(geom={"type": "MultiPolygon", "coordinates": [POLYGON]}),
        contact_points=(
            ContactPointDraft(name="SIG", email="sig@example.org", role=ContactRole.CONTACT),
            ContactPointDraft(
                name="Agence", contact_form="https://agence.example.org/contact",
                role=ContactRole.CREATOR,
            ),
            ContactPointDraft(name="Métropole", role=ContactRole.PUBLISHER),
            ContactPointDraft(name="Géo", email="geo@example.org", role=ContactRole.CUSTODIAN),
        ),
        schema=SchemaRef(name="Aménagements cyclables", url="https://schema.example.org/velo.json"),
        resources=(
            ResourceDraft(
                url="https://data.example.org/velo.csv", title="velo.csv",
                description="Export CSV", format="csv", mime="text/csv", filesize=12345,
                checksum=Checksum(type=ChecksumType.SHA256, value="ab" * 32),
                extras={"dcat": {"license": ["https://opendatacommons.org/licenses/odbl/"]}},
                harvest=ResourceHarvestMeta(
                    uri="https://data.example.org/distribution/1",
                    issued_at=datetime(2021, 5, 1, 10, 0), modified_at=datetime(2022, 6, 1),
                    dct_identifier="dist-1",
                ),
            ),
            ResourceDraft(
                url="https://data.example.org/wfs", title="Flux WFS", format="esri rest",
                mime="application/vnd.ogc.wfs_xml; charset=utf-8", type=ResourceType.API,
            ),
        ),
        extras={
            "dcat": {
                "license": ["https://opendatacommons.org/licenses/odbl/"],
                "rights": ["Mention de la source obligatoire"],
                "accessRights": ["Aucune restriction d'accès public"],
                "provenance": ["Levés terrain 2020"],
                "spatial_resolution": "12.5 m",
            }
        },
        harvest=HarvestMeta(
            uri="https://data.example.org/dataset/velo",
            dct_identifier="velo-2024",
            remote_url="https://data.example.org/datasets/velo",
            created_at=datetime(2019, 3, 1), issued_at=datetime(2020, 2, 1, 8, 30),
            modified_at=datetime(2024, 11, 5, 12, 0), doi="10.1234/velo.2024",
        ),
    )  # fmt: skip


def options() -> RdfOptions:
    return RdfOptions(licenses=LICENSES, now=NOW)


def read_back(data: bytes, syntax: syntaxes.Syntax) -> list[DatasetDraft]:
    graph = parse_graph(data, syntax.name)
    return [dataset_from_rdf(graph, node, options()) for node in iter_dataset_nodes(graph)]


def comparable(draft: DatasetDraft) -> dict[str, object]:
    """What the round trip keeps: everything but the resources' ordering-free fields."""
    return draft.model_dump(exclude={"access_type_reason_category"})


@pytest.mark.parametrize("syntax", sorted(set(syntaxes.EXTENSIONS.values()), key=str))
def test_every_field_survives_a_round_trip_through_the_dcat_reader(
    syntax: syntaxes.Syntax,
) -> None:
    draft = full_draft()
    view = DatasetView(id="6566f8bb7a2f6c1e3f2b4a10", base_url=BASE, draft=draft)
    data = syntaxes.serialize(dataset_triples(view), syntax)
    (again,) = read_back(data, syntax)
    assert comparable(again) == comparable(draft)


def test_a_dataset_without_remote_uri_gets_a_local_iri_and_its_id_as_identifier() -> None:
    draft = DatasetDraft(title="Sans URI", harvest=HarvestMeta(uri="relative-3"))
    view = DatasetView(id="6566f8bb7a2f6c1e3f2b4a11", base_url=BASE, draft=draft)
    triples = dataset_triples(view)
    subject = NamedNode(f"{BASE}/datasets/6566f8bb7a2f6c1e3f2b4a11/")
    assert pyoxigraph.Triple(subject, RDF.type, DCAT.Dataset) in triples
    assert pyoxigraph.Triple(subject, DCT.identifier, Literal(view.id)) in triples


def test_formats_and_media_types_are_vocabulary_iris_when_known() -> None:
    triples = dataset_triples(DatasetView(id="a" * 24, base_url=BASE, draft=full_draft()))
    objects = {(t.predicate, t.object) for t in triples}
    assert (DCT.format, EUFORMAT.CSV) in objects
    assert (DCAT.mediaType, IANAFORMAT["text/csv"]) in objects
    geometries = {t.object.datatype for t in triples if t.predicate == LOCN.geometry}
    assert geometries == {GSP.geoJSONLiteral, GSP.wktLiteral}
    assert any(t.predicate == DCAT.bbox for t in triples)


def test_wkt_of_polygons() -> None:
    assert geometry_wkt({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]}) == (
        "POLYGON ((0.0 0.0, 1.0 0.0, 0.0 1.0, 0.0 0.0))"
    )
    assert geometry_wkt({"type": "Point", "coordinates": [0, 0]}) is None


def test_a_dataservice_round_trips_with_its_served_datasets() -> None:
    draft = DataserviceDraft(
        title="API vélo",
        description="L'API des pistes",
        base_api_url="https://api.example.org/velo",
        machine_documentation_url="https://api.example.org/velo/openapi.json",
        license="odc-odbl",
        tags=("api", "velo"),
        contact_points=(ContactPointDraft(name="Support", email="api@example.org"),),
        harvest=HarvestMeta(dct_identifier="api-velo", remote_url="https://api.example.org/"),
    )
    view = DataserviceView(
        id="b" * 24,
        base_url=BASE,
        draft=draft,
        served=(
            ServedDataset(iri="https://data.example.org/dataset/velo", identifier="velo-2024"),
        ),
    )
    data = syntaxes.serialize(dataservice_triples(view), syntaxes.TURTLE)
    graph = parse_graph(data, "turtle")
    (node,) = list(iter_dataservice_nodes(graph))
    again = dataservice_from_rdf(graph, node, options())
    assert again.served_datasets == ("velo-2024",)
    expected = draft.model_copy(
        update={
            "served_datasets": ("velo-2024",),
            "harvest": draft.harvest.model_copy(update={"uri": view.local_iri}),
        }
    )
    assert again == expected
