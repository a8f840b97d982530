"""The published DCAT catalog through the API: paths and syntaxes, Hydra paging that walks
the whole catalog, udata's placement of dataservices, filters, validators and 304s, errors;
and third-party readers (rdflib) accepting every syntax."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People, make_source

from moisson.publishing import syntaxes
from moisson.storage.models import Dataservice, Dataset, Organization, Resource

HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://moisson.test/api/1"
START = datetime(2026, 3, 1, tzinfo=UTC)
RDFLIB_FORMATS = {
    "json-ld": "json-ld",
    "xml": "xml",
    "turtle": "turtle",
    "nt": "nt",
    "n3": "n3",
    "trig": "trig",
}


def add_dataset(db: Session, n: int, **values: object) -> Dataset:
    values.setdefault("organization_id", None)
    dataset = Dataset(
        slug=f"jeu-{n}",
        title=f"Jeu {n}",
        description=f"Le jeu numéro {n}",
        tags=["test"],
        created_at=START + timedelta(minutes=n),
        last_modified=START + timedelta(minutes=n),
        harvest_dct_identifier=f"remote-{n}",
        resources=[Resource(url=f"https://data.example.test/{n}.csv", title=f"{n}.csv")],
        **values,
    )
    db.add(dataset)
    db.flush()
    return dataset


@pytest.fixture
def catalog(db: Session, people: People) -> dict[str, object]:
    """Seven public datasets (two of the organization), a private and an archived one, and
    three dataservices: one serving dataset 1, one serving dataset 6, one serving none."""
    source = make_source(db, "Rennes", organization_id=people.org.id)
    datasets = [
        add_dataset(
            db,
            n,
            harvest_source_id=source.id if n < 2 else None,
            organization_id=people.org.id if n < 2 else None,
        )
        for n in range(7)
    ]
    add_dataset(db, 7, private=True)
    add_dataset(db, 8, archived_at=START)
    services = []
    for name, served in (("a", [datasets[1].id]), ("b", [datasets[6].id]), ("c", [])):
        service = Dataservice(
            slug=f"api-{name}",
            title=f"API {name}",
            base_api_url=f"https://api.example.test/{name}",
            dataset_ids=served,
            harvest_dct_identifier=f"api-{name}",
        )
        db.add(service)
        services.append(service)
    db.flush()
    db.commit()
    return {"datasets": datasets, "services": services, "source": source, "org": people.org}


def parse(response: object, syntax: syntaxes.Syntax) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=response.content, format=RDFLIB_FORMATS[syntax.name])  # type: ignore[attr-defined]
    return graph


def walk(client: CheckedClient, url: str, fmt: str) -> list[rdflib.Graph]:
    """Follow `hydra:next` from `url` to the end; one graph per page."""
    graphs = []
    while url:
        response = client.get(url.removeprefix("http://moisson.test"))
        assert response.status_code == 200, response.text
        graph = rdflib.Graph().parse(data=response.content, format=fmt)
        graphs.append(graph)
        views = list(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
        assert len(views) == 1
        following = graph.value(views[0], HYDRA.next)
        url = str(following) if following is not None else ""
        assert len(graphs) < 20
    return graphs


@pytest.mark.parametrize(
    "syntax",
    sorted(set(syntaxes.EXTENSIONS.values()), key=lambda s: s.name),
    ids=lambda s: s.name,
)
def test_every_syntax_parses_with_rdflib_and_the_hydra_links_walk_the_catalog(
    client: CheckedClient, catalog: dict[str, object], syntax: syntaxes.Syntax
) -> None:
    graphs = walk(
        client, f"{BASE}/site/catalog.{syntax.extension}?page_size=3", RDFLIB_FORMATS[syntax.name]
    )
    assert len(graphs) == 3
    seen = [
        str(d)
        for g in graphs
        for d in g.subjects(RDF.type, DCAT.Dataset)
        if g.value(d, DCTERMS.title)
    ]
    expected = [f"{BASE}/datasets/{d.id}/" for d in catalog["datasets"]]  # type: ignore[attr-defined]
    assert sorted(seen) == sorted(expected)
    view = next(graphs[1].subjects(RDF.type, HYDRA.PartialCollectionView))
    assert int(graphs[1].value(view, HYDRA.totalItems)) == 7
    assert str(graphs[1].value(view, HYDRA.first)).endswith("page=1&page_size=3")
    assert str(graphs[1].value(view, HYDRA.last)).endswith("page=3&page_size=3")
    assert str(graphs[1].value(view, HYDRA.previous)).endswith("page=1&page_size=3")
    assert isinstance(graphs[1].value(view, HYDRA.next), rdflib.URIRef)


def test_dataservices_are_paged_as_udata_does(
    client: CheckedClient, catalog: dict[str, object]
) -> None:
    def services_on(page: int) -> set[str]:
        response = client.get(f"/api/1/site/catalog.ttl?page_size=3&page={page}")
        graph = rdflib.Graph().parse(data=response.content, format="turtle")
        return {
            str(graph.value(s, DCTERMS.identifier))
            for s in graph.subjects(RDF.type, DCAT.DataService)
        }

    # Page 1 holds datasets 0-2 (oldest first): service a serves 1; c serves none.
    assert services_on(1) == {"api-a", "api-c"}
    assert services_on(2) == set()
    assert services_on(3) == {"api-b"}


def test_json_ld_is_the_default_and_accept_negotiates(
    client: CheckedClient, catalog: dict[str, object]
) -> None:
    plain = client.get("/api/1/site/catalog")
    assert plain.headers["content-type"].startswith("application/ld+json")
    assert plain.headers["vary"] == "Accept"
    document = json.loads(plain.content)
    assert "@context" not in json.dumps(document)  # nothing to fetch to expand it
    graph = rdflib.Graph().parse(data=plain.content, format="json-ld")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) >= 7
    turtle = client.get("/api/1/site/catalog", headers={"Accept": "text/html, text/turtle;q=0.9"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    xml = client.get("/api/1/site/catalog.xml")
    assert xml.headers["content-type"].startswith("application/rdf+xml")


def test_filters_and_the_organization_catalog(
    client: CheckedClient, catalog: dict[str, object]
) -> None:
    org: Organization = catalog["org"]  # type: ignore[assignment]
    datasets: list[Dataset] = catalog["datasets"]  # type: ignore[assignment]

    def titles(url: str) -> set[str]:
        response = client.get(url)
        assert response.status_code == 200, response.text
        graph = rdflib.Graph().parse(data=response.content, format="nt")
        return {
            str(graph.value(d, DCTERMS.title))
            for d in graph.subjects(RDF.type, DCAT.Dataset)
            if graph.value(d, DCTERMS.title)
        }

    assert titles(f"/api/1/organizations/{org.slug}/catalog.nt") == {"Jeu 0", "Jeu 1"}
    assert titles(f"/api/1/organizations/{org.id}/catalog.nt?q=1") == {"Jeu 1"}
    assert titles(f"/api/1/site/catalog.nt?harvest_source={catalog['source'].id}") == {
        "Jeu 0",
        "Jeu 1",
    }  # type: ignore[attr-defined]
    assert titles("/api/1/site/catalog.nt?archived=true") == {"Jeu 8"}
    since = (START + timedelta(minutes=5)).isoformat()
    assert titles(f"/api/1/site/catalog.nt?modified_since={since.replace('+', '%2B')}") == {
        "Jeu 5",
        "Jeu 6",
    }
    assert titles(f"/api/1/site/catalog.nt?organization={org.slug}") == {"Jeu 0", "Jeu 1"}
    assert client.get("/api/1/organizations/nobody/catalog").status_code == 404
    one = titles(f"/api/1/datasets/{datasets[3].id}/rdf.nt")
    assert one == {"Jeu 3"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("modified_since=yesterday", "modified_since"),
        ("organization=nobody", "organization"),
        ("harvest_source=%20x%20", "harvest_source"),
        ("after=not-a-position", "after"),
        ("after=MjAyNi0wMy0wMXxub3QtYW4taWQ", "after"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    client: CheckedClient, catalog: dict[str, object], query: str, field: str
) -> None:
    response = client.get(f"/api/1/site/catalog.ttl?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def titles_of(graph: rdflib.Graph) -> list[str]:
    """The titles of a page's datasets, by their number (`Jeu 6` before `Jeu 20`)."""
    titles = [str(graph.value(d, DCTERMS.title)) for d in graph.subjects(RDF.type, DCAT.Dataset)]
    return sorted((t for t in titles if t != "None"), key=lambda t: int(t.split()[1]))


def next_link(graph: rdflib.Graph) -> str:
    view = next(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
    following = graph.value(view, HYDRA.next)
    return str(following) if following is not None else ""


def test_walking_the_next_links_reads_each_dataset_once_while_others_come_and_go(
    client: CheckedClient, db: Session, catalog: dict[str, object]
) -> None:
    """An aggregator is on page 2 when a dataset of page 1 is deleted and new ones are
    harvested: an offset would now skip the dataset that slid onto page 1; the position in
    `hydra:next` does not, and the new datasets come at the end."""
    datasets: list[Dataset] = catalog["datasets"]  # type: ignore[assignment]
    url = f"{BASE}/site/catalog.nt?page_size=3"
    pages: list[list[str]] = []
    while url:
        response = client.get(url.removeprefix("http://moisson.test"))
        assert response.status_code == 200, response.text
        graph = rdflib.Graph().parse(data=response.content, format="nt")
        pages.append(titles_of(graph))
        url = next_link(graph)
        if response.headers.get("link"):
            assert response.headers["link"] == f'<{url}>; rel="next"'
        else:
            assert url == ""
        if len(pages) == 1:
            datasets[0].deleted_at = START
            add_dataset(db, 20)
            add_dataset(db, 21)
            db.commit()
        assert len(pages) < 10
    read = [title for page in pages for title in page]
    assert read == [f"Jeu {n}" for n in (0, 1, 2, 3, 4, 5, 6, 20, 21)]


def test_the_last_page_has_no_next_link_and_a_page_counted_from_the_start_still_works(
    client: CheckedClient, catalog: dict[str, object]
) -> None:
    last = client.get("/api/1/site/catalog.nt?page=3&page_size=3")
    graph = rdflib.Graph().parse(data=last.content, format="nt")
    assert titles_of(graph) == ["Jeu 6"]
    assert next_link(graph) == ""
    assert "link" not in last.headers
    second = rdflib.Graph().parse(
        data=client.get("/api/1/site/catalog.nt?page=2&page_size=3").content, format="nt"
    )
    assert titles_of(second) == ["Jeu 3", "Jeu 4", "Jeu 5"]
    assert "after=" in next_link(second)


def test_unknown_things_are_404(client: CheckedClient, catalog: dict[str, object]) -> None:
    datasets: list[Dataset] = catalog["datasets"]  # type: ignore[assignment]
    assert client.get("/api/1/site/catalog.csv").status_code == 404
    assert client.get("/api/1/site/catalog.ttl?page=4&page_size=3").status_code == 404
    assert client.get("/api/1/site/catalog.ttl?q=nothing-matches").status_code == 200
    assert client.get("/api/1/datasets/000000000000000000000000/rdf").status_code == 404
    assert client.get(f"/api/1/datasets/{datasets[0].id}/rdf.exe").status_code == 404


def test_private_datasets_are_never_published(
    client: CheckedClient, db: Session, catalog: dict[str, object]
) -> None:
    private = db.query(Dataset).filter(Dataset.private.is_(True)).one()
    assert client.get(f"/api/1/datasets/{private.id}/rdf").status_code == 404
    body = client.get("/api/1/site/catalog.nt?page_size=1000").text
    assert private.id not in body


def test_validators_and_conditional_requests(
    client: CheckedClient, db: Session, catalog: dict[str, object]
) -> None:
    first = client.get("/api/1/site/catalog.ttl?page_size=3")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert (
        client.get(
            "/api/1/site/catalog.ttl?page_size=3", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    assert (
        client.get(
            "/api/1/site/catalog.ttl?page_size=3", headers={"If-Modified-Since": modified}
        ).status_code
        == 304
    )
    other_syntax = client.get("/api/1/site/catalog.nt?page_size=3", headers={"If-None-Match": etag})
    assert other_syntax.status_code == 200

    datasets: list[Dataset] = catalog["datasets"]  # type: ignore[assignment]
    datasets[0].title = "Jeu zéro"
    datasets[0].last_modified = START + timedelta(days=1)
    db.commit()
    changed = client.get("/api/1/site/catalog.ttl?page_size=3", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Jeu zéro" in changed.text


def test_a_dataservice_description_links_its_datasets(
    client: CheckedClient, catalog: dict[str, object]
) -> None:
    services: list[Dataservice] = catalog["services"]  # type: ignore[assignment]
    datasets: list[Dataset] = catalog["datasets"]  # type: ignore[assignment]
    response = client.get(f"/api/1/dataservices/{services[0].id}/rdf.ttl")
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    service = rdflib.URIRef(f"{BASE}/dataservices/{services[0].id}/")
    served = graph.value(service, DCAT.servesDataset)
    assert str(served) == f"{BASE}/datasets/{datasets[1].id}/"
    assert str(graph.value(served, DCTERMS.identifier)) == "remote-1"
    assert str(graph.value(service, DCAT.endpointURL)) == "https://api.example.test/a"
