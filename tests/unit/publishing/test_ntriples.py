"""The catalog's text path: N-Triples written by hand say exactly what the pyoxigraph
triples say, and every syntax made from that text holds the same graph."""

from __future__ import annotations

import pyoxigraph
import pytest
from pyoxigraph import BlankNode, CanonicalizationAlgorithm, Literal, RdfFormat
from tests.unit.publishing.test_dcat_ap import BASE, full_draft

from moisson.domain.drafts import DataserviceDraft, DatasetDraft, HarvestMeta, ResourceDraft
from moisson.mapping.rdf.namespaces import XSD
from moisson.publishing import ntriples, syntaxes
from moisson.publishing.catalog import CatalogInfo, PageLinks, page_ntriples, page_triples
from moisson.publishing.construct import construct
from moisson.publishing.dcat_ap import (
    dataservice_ntriples,
    dataservice_triples,
    dataset_ntriples,
    dataset_triples,
)
from moisson.publishing.views import Agent, DataserviceView, DatasetView, ServedDataset


def canonical(data: bytes, fmt: RdfFormat) -> pyoxigraph.Dataset:
    graph = pyoxigraph.Dataset(pyoxigraph.parse(data, fmt))
    graph.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return graph


def nt_of(triples: list[pyoxigraph.Triple]) -> bytes:
    return syntaxes.serialize(triples, syntaxes.N_TRIPLES)


@pytest.mark.parametrize(
    "value", ["plain", 'quote " inside', "back\\slash", "line\nbreak\r", '\\"', "\t tab é ✓"]
)
def test_literals_parse_back_to_the_same_term(value: str) -> None:
    for datatype in (None, XSD.string, XSD.dateTime):
        line = f"<http://s.example/> <http://p.example/> {ntriples.literal(value, datatype)} .\n"
        (triple,) = pyoxigraph.parse(line.encode(), RdfFormat.N_TRIPLES)
        assert triple.object == Literal(value, datatype=datatype)


def test_an_iri_is_written_as_is_and_a_non_iri_is_refused_as_pyoxigraph_refuses_it() -> None:
    assert ntriples.iri("https://example.org/a?b=c#d") == "<https://example.org/a?b=c#d>"
    with pytest.raises(ValueError, match="Invalid IRI"):
        ntriples.iri("https://example.org/a b")


def test_blank_nodes_are_fresh_on_each_call() -> None:
    assert ntriples.blank() != ntriples.blank()
    assert ntriples.TERMS[BlankNode("x")] == "_:x"


def test_a_dataset_description_in_text_is_the_same_graph_as_its_triples() -> None:
    view = DatasetView(id="6566f8bb7a2f6c1e3f2b4a10", base_url=BASE, draft=full_draft())
    text = "".join(dataset_ntriples(view)).encode()
    assert canonical(text, RdfFormat.N_TRIPLES) == canonical(
        nt_of(dataset_triples(view)), RdfFormat.N_TRIPLES
    )


def test_a_malformed_harvested_uri_falls_back_to_the_local_iri_and_the_text_parses() -> None:
    # No forbidden character, yet not an IRI: written as text it would break the whole page.
    draft = DatasetDraft(title="URI cassée", harvest=HarvestMeta(uri="http://[bad"))
    view = DatasetView(id="6566f8bb7a2f6c1e3f2b4a11", base_url=BASE, draft=draft)
    text = "".join(dataset_ntriples(view)).encode()
    subjects = {str(t.subject) for t in pyoxigraph.parse(text, format=RdfFormat.N_TRIPLES)}
    assert f"<{view.local_iri}>" in subjects
    assert not any("[bad" in subject for subject in subjects)


def test_a_dataservice_description_in_text_is_the_same_graph_as_its_triples() -> None:
    draft = DataserviceDraft(
        title='API "vélo"',
        base_api_url="https://api.example.org/velo",
        license="odc-odbl",
        harvest=HarvestMeta(dct_identifier="api-velo"),
    )
    view = DataserviceView(
        id="b" * 24,
        base_url=BASE,
        draft=draft,
        served=(ServedDataset(iri="https://data.example.org/dataset/velo", identifier="v"),),
    )
    text = "".join(dataservice_ntriples(view)).encode()
    assert canonical(text, RdfFormat.N_TRIPLES) == canonical(
        nt_of(dataservice_triples(view)), RdfFormat.N_TRIPLES
    )


def _page() -> tuple[CatalogInfo, list[DatasetView], PageLinks]:
    info = CatalogInfo(
        iri=f"{BASE}/site/catalog",
        title="Catalogue",
        description="Tout",
        publisher=Agent(name="Moisson", iri="https://moisson.example.org/"),
    )
    views = [
        DatasetView(id="c" * 24, base_url=BASE, draft=full_draft()),
        DatasetView(
            id="d" * 24,
            base_url=BASE,
            draft=DatasetDraft(
                title="Deux",
                resources=(ResourceDraft(url="https://data.example.org/2.csv", title="2"),),
            ),
        ),
    ]
    links = PageLinks(base=f"{BASE}/site/catalog", params=(), page=2, page_size=2, total=5)
    return info, views, links


@pytest.mark.parametrize("syntax", sorted(set(syntaxes.EXTENSIONS.values()), key=str))
def test_every_syntax_streamed_from_the_text_holds_the_page_graph(
    syntax: syntaxes.Syntax,
) -> None:
    info, views, links = _page()
    expected = canonical(nt_of(list(page_triples(info, views, [], links))), RdfFormat.N_TRIPLES)
    data = b"".join(syntaxes.stream_ntriples(page_ntriples(info, views, [], links), syntax))
    graph = canonical(data, syntax.format)
    assert graph == expected


def test_the_text_reader_hands_pyoxigraph_every_byte_whatever_the_read_size() -> None:
    reader = syntaxes._TextReader(["ab", "", "cdé", "f"])
    parts = [reader.read(2) for _ in range(5)]
    assert b"".join(parts) == "abcdéf".encode()
    assert reader.read(-1) == b""


def test_construct_makes_the_model_model_construct_makes() -> None:
    for cls, values in (
        (DatasetDraft, {"title": "x", "schema_": None, "tags": ("a",)}),
        (ResourceDraft, {"url": "https://e.org/f", "title": "f"}),
        (HarvestMeta, {"uri": "https://e.org/d"}),
    ):
        made = construct(cls, **values)  # type: ignore[attr-defined]
        expected = cls.model_construct(**values)  # type: ignore[attr-defined]
        assert made == expected
        assert made.model_fields_set == expected.model_fields_set
        assert made.model_dump() == expected.model_dump()


def test_constructed_drafts_do_not_share_mutable_defaults() -> None:
    first, second = construct(DatasetDraft, title="a"), construct(DatasetDraft, title="b")
    first.extras["k"] = 1
    assert second.extras == {}
