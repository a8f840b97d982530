"""pyrudof's results on the SEMIC examples equal the reference engine's (pySHACL), per
shapes set and for the whole set with the vocabulary background; injected defects are found."""

from __future__ import annotations

import functools
from collections import Counter

import pytest
import rdflib
from pyoxigraph import Literal, NamedNode
from pyshacl import validate
from tests.unit.quality.examples import (
    UNPARSABLE,
    example_paths,
    example_triples,
    parsable_examples,
)

from moisson.mapping.rdf.namespaces import DCAT, DCT
from moisson.quality.shapes import ALL_SETS, ShapesSet, shapes_text
from moisson.quality.validation import VIOLATION, Validator, batch_data

SH_RESULT = rdflib.URIRef("http://www.w3.org/ns/shacl#result")
SH_FOCUS = rdflib.URIRef("http://www.w3.org/ns/shacl#focusNode")
SH_SEVERITY = rdflib.URIRef("http://www.w3.org/ns/shacl#resultSeverity")
CASES = [(s,) for s in ShapesSet] + [ALL_SETS]


@functools.cache
def reference_shapes(sets: tuple[ShapesSet, ...]) -> rdflib.Graph:
    return rdflib.Graph().parse(data=shapes_text(sets), format="turtle")


def reference_counts(data: str, sets: tuple[ShapesSet, ...], own: set[str]) -> Counter[str]:
    """Top-level results by severity, as pySHACL reports them, on the record's own nodes
    (`own`, as `batch_data` names them). Nested `sh:detail` results are not counted: they
    explain a top-level one. Results on background nodes (an EU term has no `skos:prefLabel`
    in the record) are not the record's fault, and Moisson does not give them to it."""
    graph = rdflib.Graph().parse(data=data, format="nt")
    _, report, _ = validate(graph, shacl_graph=reference_shapes(sets), inference="none")
    return Counter(
        str(report.value(result, SH_SEVERITY)).rsplit("#", 1)[-1]
        for result in report.objects(None, SH_RESULT)
        if _name(report.value(result, SH_FOCUS)) in own
    )


def _name(node: object) -> str:
    return f"_:{node}" if isinstance(node, rdflib.BNode) else str(node)


def test_28_of_the_30_examples_parse() -> None:
    assert len(example_paths()) == 30
    for path in example_paths():
        if path.name in UNPARSABLE:
            with pytest.raises(SyntaxError):
                example_triples(path)
        else:
            assert example_triples(path)
    assert len(parsable_examples()) == 28


@pytest.mark.parametrize("sets", CASES, ids=["+".join(s.value for s in c) for c in CASES])
def test_counts_equal_the_reference_engine(sets: tuple[ShapesSet, ...]) -> None:
    validator = Validator(sets)
    background = sets == ALL_SETS
    records = [example_triples(p) for p in parsable_examples()]
    total = 0
    for path, triples in zip(parsable_examples(), records, strict=True):
        data, owners = batch_data([triples], background=background)
        expected = reference_counts(data, sets, set(owners))
        validator.background = background
        found = Counter(f.severity for f in validator.validate(triples))
        assert found == expected, path.name
        total += sum(found.values())
    assert total > 0


def test_a_batch_gives_each_record_what_it_gives_alone() -> None:
    records = [example_triples(p) for p in parsable_examples()]
    validator = Validator(batch_size=10)
    together = validator.validate_records(records)
    assert validator.calls == 3
    alone = [validator.validate(r) for r in records]
    assert [sorted(map(repr, f)) for f in together] == [sorted(map(repr, f)) for f in alone]


DATASET = NamedNode("https://example.org/dataset/1")
DISTRIBUTION = NamedNode("https://example.org/dataset/1/csv")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_DATE = NamedNode("http://www.w3.org/2001/XMLSchema#date")


def good_record() -> list[tuple[NamedNode, NamedNode, NamedNode | Literal]]:
    return [
        (DATASET, RDF_TYPE, DCAT.Dataset),
        (DATASET, DCT.title, Literal("Bees", language="en")),
        (DATASET, DCT.description, Literal("Bee counts", language="en")),
        (DATASET, DCT.issued, Literal("2024-01-02", datatype=XSD_DATE)),
        (DATASET, DCAT.distribution, DISTRIBUTION),
        (DISTRIBUTION, RDF_TYPE, DCAT.Distribution),
        (DISTRIBUTION, DCAT.accessURL, NamedNode("https://example.org/bees.csv")),
        (
            DISTRIBUTION,
            DCT["format"],
            NamedNode("http://publications.europa.eu/resource/authority/file-type/CSV"),
        ),
    ]


def violations(triples: list[tuple[NamedNode, NamedNode, NamedNode | Literal]]) -> set[str]:
    return {
        f"{f.focus} {f.path} {f.component}"
        for f in Validator().validate(triples)
        if f.severity == VIOLATION
    }


def test_a_complete_record_has_no_violation() -> None:
    assert violations(good_record()) == set()


def test_missing_description_is_found() -> None:
    record = [t for t in good_record() if t[1] != DCT.description]
    assert violations(record) == {f"{DATASET.value} {DCT.description.value} MinCount"}


def test_distribution_without_access_url_is_found() -> None:
    record = [t for t in good_record() if t[1] != DCAT.accessURL]
    assert violations(record) == {f"{DISTRIBUTION.value} {DCAT.accessURL.value} MinCount"}


def test_date_as_plain_string_is_found() -> None:
    """Unchecked without the sh:shape fix (SEMICeu/DCAT-AP#229)."""
    record = [t for t in good_record() if t[1] != DCT.issued]
    record.append((DATASET, DCT.issued, Literal("2 January 2024")))
    assert violations(record) == {f"{DATASET.value} {DCT.issued.value} Node"}


def test_eu_vocabulary_terms_pass_with_the_background_and_fail_without() -> None:
    record = good_record()
    language = NamedNode("http://publications.europa.eu/resource/authority/language/ENG")
    record.append((DATASET, DCT.language, language))
    found_without = {
        f.path for f in Validator(background=False).validate(record) if f.severity == VIOLATION
    }
    assert DCT["format"].value in found_without
    assert DCT.language.value in found_without
    assert violations(record) == set()
    unknown = NamedNode("https://example.org/languages/english")
    record[-1] = (DATASET, DCT.language, unknown)
    assert f"{DATASET.value} {DCT.language.value} Class" in violations(record)
