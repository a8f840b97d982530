"""The SEMIC DCAT-AP 3.0.1 examples (tests/fixtures/dcat_ap_examples), parsed with pyoxigraph."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
from pyoxigraph import NamedNode
from tests.conftest import LOCAL_FIXTURES

from moisson.mapping.rdf.graph import Term

EXAMPLES = LOCAL_FIXTURES / "dcat_ap_examples"
#: Not valid Turtle (prefixed names containing '/'), as the release ships them.
UNPARSABLE = {
    "example-bee-population-dataset-series-api.ttl",
    "example-bee-population-dataset-series-combined.ttl",
}
BASE = "https://data.gov.gr/"


def example_paths() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("example-*") if p.suffix in (".ttl", ".jsonld"))


def parsable_examples() -> list[Path]:
    return [p for p in example_paths() if p.name not in UNPARSABLE]


def example_triples(path: Path) -> list[tuple[Term, NamedNode, Term]]:
    """The example's triples; a JSON-LD example gets the shipped context in place of its
    context URL (never downloaded)."""
    data = path.read_bytes()
    fmt = pyoxigraph.RdfFormat.TURTLE
    if path.suffix == ".jsonld":
        document = json.loads(data)
        document["@context"] = json.loads((EXAMPLES / "context.jsonld").read_text())["@context"]
        data = json.dumps(document).encode()
        fmt = pyoxigraph.RdfFormat.JSON_LD
    return [(q.subject, q.predicate, q.object) for q in pyoxigraph.parse(data, fmt, base_iri=BASE)]
