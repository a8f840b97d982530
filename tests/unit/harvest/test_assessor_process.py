"""The assessment child process: the same outcomes as in the harvesting process, in order,
and a child that dies is noticed rather than waited for."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pyoxigraph import Literal, NamedNode

from moisson.harvest.assessor_process import AssessorProcess
from moisson.mapping.rdf.namespaces import DCAT, DCT, RDF
from moisson.mapping.rdf.records import serialize_record
from moisson.quality.assessor import Outcome, RecordAssessor
from moisson.quality.mqa import default_points


def record(index: int, *, described: bool = True) -> str:
    dataset = NamedNode(f"https://remote.test/dataset/{index}")
    distribution = NamedNode(f"https://remote.test/dataset/{index}/csv")
    triples: list[tuple[Any, Any, Any]] = [
        (dataset, RDF.type, DCAT.Dataset),
        (dataset, DCT.title, Literal(f"Dataset {index}", language="en")),
        (dataset, DCAT.distribution, distribution),
        (distribution, RDF.type, DCAT.Distribution),
        (distribution, DCAT.accessURL, NamedNode(f"https://remote.test/files/{index}.csv")),
    ]
    if described:
        triples.append((dataset, DCT.description, Literal("About bees", language="en")))
    return serialize_record(dataset, triples)


def comparable(outcomes: list[Outcome | None]) -> list[Any]:
    """Outcomes with their results in a fixed order (the engine's order is not)."""
    return [
        None
        if o is None
        else (sorted(json.dumps(r, sort_keys=True) for r in o.results), replace(o, results=[]))
        for o in outcomes
    ]


ASSESSOR = RecordAssessor(default_points(), frozenset(), batch_size=2)


def test_the_child_gives_what_the_harvesting_process_gives_in_order() -> None:
    first = [(True, record(0)), (True, record(1, described=False)), (True, "# root: <x")]
    second = [(False, record(2)), (True, record(3))]
    process = AssessorProcess(ASSESSOR)
    try:
        numbers = [process.send(first), process.send(second)]
        answered = process.take(wait=True)
    finally:
        process.close()

    assert [number for number, _ in answered] == numbers
    assert comparable(answered[0][1]) == comparable(ASSESSOR.assess_texts(first))
    assert comparable(answered[1][1]) == comparable(ASSESSOR.assess_texts(second))
    outcomes = answered[0][1]
    assert outcomes[0] is not None
    assert outcomes[1] is not None
    assert (outcomes[0].violations, outcomes[1].violations) == (0, 1)  # no dct:description
    assert outcomes[2] is None  # not a readable record: the caller assesses it otherwise
    assert answered[1][1][0] is not None
    assert answered[1][1][0].evaluation is None  # not a dataset: no MQA evaluation
    assert process.outstanding == 0
    assert not process.failed
    assert process.child_cpu_seconds is not None
    assert process.child_cpu_seconds > 0


def test_a_child_that_dies_is_noticed() -> None:
    process = AssessorProcess(ASSESSOR)
    try:
        process._process.kill()
        process.send([(True, record(0))])
        assert process.take(wait=True) == []
        assert process.failed
    finally:
        process.close()
