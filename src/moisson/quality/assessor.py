"""One record's assessment, start to end: SHACL findings, then the MQA evaluation.

The same steps run in the harvesting process (`assess_graphs`) or in a separate one fed with
the records' N-Triples (`assess_texts`, `moisson.harvest.assessor_process`). A
`RecordAssessor` is plain data (points, known licence URLs, batch size), so it crosses to a
child process as it is; the SHACL engine is made in the process that validates
(`moisson.quality.validation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moisson.mapping.rdf.graph import Node, RdfGraph
from moisson.mapping.rdf.records import RecordPayloadError, parse_record
from moisson.quality.mqa import Evaluation, Facts, Points, evaluate
from moisson.quality.validation import VIOLATION, WARNING, Finding, Validator
from moisson.quality.vocabularies import EU_AUTHORITY

_EU_LICENCE = f"{EU_AUTHORITY}licence/"
#: Results kept per record (the counts are always complete).
MAX_STORED_RESULTS = 100


@dataclass(frozen=True)
class Outcome:
    """A record's assessment, as it is stored (JSON made where the assessment ran)."""

    results: list[dict[str, Any]]
    """The first `MAX_STORED_RESULTS` findings (`Finding.as_json`)."""
    violations: int
    warnings: int
    evaluation: Evaluation | None
    """The MQA evaluation (datasets only)."""
    evaluation_json: dict[str, Any] | None

    @classmethod
    def of(cls, findings: list[Finding], evaluation: Evaluation | None) -> Outcome:
        return cls(
            results=[f.as_json() for f in findings[:MAX_STORED_RESULTS]],
            violations=sum(1 for f in findings if f.severity == VIOLATION),
            warnings=sum(1 for f in findings if f.severity == WARNING),
            evaluation=evaluation,
            evaluation_json=evaluation.as_json() if evaluation is not None else None,
        )


@dataclass(frozen=True)
class RecordAssessor:
    points: Points
    licence_urls: frozenset[str]
    """URLs of the licence table, lower-cased, without a trailing slash."""
    batch_size: int = 20

    def known_licence(self, url: str) -> bool:
        """A licence URL is known when it is an EU licence IRI or a URL of the licence table."""
        return url.startswith(_EU_LICENCE) or url.lower().rstrip("/") in self.licence_urls

    def assess_graphs(
        self, records: Sequence[tuple[bool, RdfGraph, Node, list[Finding] | None]]
    ) -> list[Outcome]:
        """(is a dataset, graph, root, findings already known) -> outcome, in order; records
        without findings are validated, `batch_size` per engine call."""
        todo = [index for index, record in enumerate(records) if record[3] is None]
        validator = Validator(batch_size=self.batch_size)
        found = validator.validate_records([list(records[i][1].triples()) for i in todo])
        findings: list[list[Finding]] = [record[3] or [] for record in records]
        for index, result in zip(todo, found, strict=True):
            findings[index] = result
        outcomes: list[Outcome] = []
        for (is_dataset, graph, root, _), own in zip(records, findings, strict=True):
            evaluation = None
            if is_dataset:
                conforms = not any(f.severity == VIOLATION for f in own)
                facts = Facts(conforms=conforms, known_licence=self.known_licence)
                evaluation = evaluate(graph, root, facts, self.points)
            outcomes.append(Outcome.of(own, evaluation))
        return outcomes

    def assess_texts(self, records: Sequence[tuple[bool, str]]) -> list[Outcome | None]:
        """(is a dataset, serialised record) -> outcome, in order; `None` for a text that does
        not parse (the caller assesses that record another way)."""
        parsed: list[tuple[bool, RdfGraph, Node, list[Finding] | None]] = []
        readable: list[int] = []
        for index, (is_dataset, text) in enumerate(records):
            try:
                graph, root = parse_record(text)
            except RecordPayloadError:
                continue
            parsed.append((is_dataset, graph, root, None))
            readable.append(index)
        outcomes: list[Outcome | None] = [None] * len(records)
        for index, outcome in zip(readable, self.assess_graphs(parsed), strict=True):
            outcomes[index] = outcome
        return outcomes
