"""SHACL validation of harvested records against the DCAT-AP shapes, many records per call.

Engine: pyrudof (rudof's Rust SHACL engine), picked by measurement over pySHACL: see
`docs/quality.md` and `bench/README.md`. Its results equal pySHACL's on the SEMIC examples
for every shipped shapes file (`tests/unit/quality/test_semic_examples.py`). An engine is
made once per thread and shapes set (`_engine`); each call stages its data over the
engine's empty graph and rolls it back. Per-call work still has a fixed part, so records
are validated in batches: `validate_records` puts up to
`batch_size` records in one data graph, each record's blank nodes relabelled so that two
records never share one, and gives every record the results whose focus node is one of its
own subjects. A node two records share (the same publisher IRI) counts for both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyrudof
from pyoxigraph import BlankNode, NamedNode

from moisson.mapping.rdf.graph import Term
from moisson.quality.shapes import ALL_SETS, ShapesSet, shapes_text
from moisson.quality.vocabularies import background_triples

RecordTriples = Sequence[tuple[Term, NamedNode, Term]]

VIOLATION = "Violation"
WARNING = "Warning"
INFO = "Info"
_SHACL = "http://www.w3.org/ns/shacl#"
_LABEL = re.compile(r"_:r\d+x")
_SUFFIX = re.compile(r"~mr\d+~")


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation result, as stored on a harvest item."""

    severity: str
    """`Violation`, `Warning` or `Info` (SHACL's severities, without the namespace)."""
    focus: str
    """The node the result is about: an IRI, or `_:label` for a blank node of the record."""
    path: str | None
    message: str
    component: str
    """The SHACL constraint component, without `sh:` and `ConstraintComponent`."""
    value: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "focus": self.focus,
            "path": self.path,
            "message": self.message,
            "component": self.component,
            "value": self.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            severity=str(data.get("severity", VIOLATION)),
            focus=str(data.get("focus", "")),
            path=data.get("path"),
            message=str(data.get("message", "")),
            component=str(data.get("component", "")),
            value=data.get("value"),
        )


class Validator:
    """Validates records against a merged shapes graph (all four shipped files by default)."""

    def __init__(
        self,
        sets: tuple[ShapesSet, ...] = ALL_SETS,
        *,
        batch_size: int = 20,
        background: bool = True,
    ) -> None:
        self.shapes = shapes_text(sets)
        self.batch_size = max(1, batch_size)
        self.background = background
        self.calls = 0
        """Engine calls made (one per batch)."""

    def validate(self, triples: RecordTriples) -> list[Finding]:
        return self.validate_records([triples])[0]

    def validate_records(self, records: Sequence[RecordTriples]) -> list[list[Finding]]:
        """The findings of each record, in the order given."""
        results: list[list[Finding]] = []
        for start in range(0, len(records), self.batch_size):
            results.extend(self._validate_batch(records[start : start + self.batch_size]))
        return results

    def _validate_batch(self, records: Sequence[RecordTriples]) -> list[list[Finding]]:
        data, owners = batch_data(records, background=self.background)
        found: list[list[Finding]] = [[] for _ in records]
        if not data:
            return found
        engine = _engine(self.shapes)
        engine.begin_staging()
        try:
            engine.read_data(
                data, pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Lax, merge=True
            )
            report = engine.validate_shacl()
        finally:
            engine.rollback_staging()
        self.calls += 1
        for result in report.violations:
            finding = _finding(result)
            for index in owners.get(str(result.focus_node), ()):
                found[index].append(finding)
        return found


_engines = threading.local()


def _engine(shapes: str) -> Any:
    """This thread's engine for `shapes`, made once: parsing the shapes and setting up the
    first data graph cost most of a second, so an engine is kept and each batch is staged
    over its empty data graph, then rolled back (which costs nothing)."""
    cache: dict[str, Any] | None = getattr(_engines, "by_shapes", None)
    if cache is None:
        cache = _engines.by_shapes = {}
    engine = cache.get(shapes)
    if engine is None:
        engine = pyrudof.Rudof(pyrudof.RudofConfig())
        engine.read_shacl(shapes, pyrudof.ShaclFormat.Turtle)
        # The engine wants a data graph before staging: one placeholder triple, removed.
        placeholder = ("<urn:moisson:empty>",) * 3
        engine.read_data(" ".join(placeholder) + " .\n", pyrudof.RDFFormat.NTriples)
        engine.remove_triples([placeholder])
        cache[shapes] = engine
    return engine


def batch_data(
    records: Sequence[RecordTriples], *, background: bool = True
) -> tuple[str, dict[str, list[int]]]:
    """The N-Triples of one validation call, and which record owns each subject (as the
    engine writes it in its results).

    Records must not see each other's triples: two records describing the same publisher
    IRI would otherwise merge (and each be judged on the union). So a subject IRI that more
    than one record of the batch describes is renamed in each record by a suffix
    (`~mr<index>~`, removed again from results); start-anchored patterns (`^https://...`)
    still match. Blank nodes get a per-record label prefix."""
    described: dict[str, int] = {}
    for triples in records:
        for iri in {s.value for s, _, _ in triples if isinstance(s, NamedNode)}:
            described[iri] = described.get(iri, 0) + 1
    shared = {iri for iri, n in described.items() if n > 1}
    owners: dict[str, list[int]] = {}
    lines: list[str] = []
    for index, triples in enumerate(records):
        subjects: set[str] = set()
        for s, p, o in triples:
            subject = _text(s, index, shared)
            lines.append(f"{subject} {_ntriples(p)} {_text(o, index, shared)} .")
            subjects.add(subject.strip("<>"))
        if background:
            lines.extend(
                f"{_ntriples(s)} {_ntriples(p)} {_ntriples(o)} ."
                for s, p, o in background_triples(triples)
            )
        for subject in subjects:
            owners.setdefault(subject, []).append(index)
    return ("\n".join(lines) + "\n" if lines else ""), owners


def _text(term: Term, index: int, shared: set[str]) -> str:
    """`term` in N-Triples, as record `index` of a batch writes it (see `batch_data`)."""
    if isinstance(term, BlankNode):
        return f"_:r{index}x{term.value}"
    if isinstance(term, NamedNode) and term.value in shared:
        return f"<{term.value}~mr{index}~>"
    return _ntriples(term)


@lru_cache(maxsize=8192)
def _ntriples(term: Term) -> str:
    """A term's N-Triples text: predicates, classes and vocabulary terms recur in every
    record, and pyoxigraph's `str` is not free."""
    return str(term)


def _clean(text: str) -> str:
    """A node as the record wrote it (no batch label prefix or rename suffix)."""
    return _SUFFIX.sub("", _LABEL.sub("_:", text))


def _finding(result: Any) -> Finding:
    value = result.value
    path = result.path
    path_text = str(path) if path is not None else None
    value_text = _clean(str(value)) if value is not None else None
    severity, message, component = _described(
        str(result.severity or VIOLATION),
        path_text,
        str(result.message or ""),
        str(result.constraint_component or ""),
        value_text,
    )
    return Finding(
        severity=severity,
        focus=_clean(str(result.focus_node)),
        path=path_text,
        message=message,
        component=component,
        value=value_text,
    )


@lru_cache(maxsize=16384)
def _described(
    severity: str, path: str | None, message: str, component: str, value: str | None
) -> tuple[str, str, str]:
    """(severity, message, component) of an engine result, cached: records alike get the
    same few results, and writing their sentences was a tenth of a harvest's time."""
    if component.startswith(_SHACL):
        component = component[len(_SHACL) :]
    component = component.removesuffix("ConstraintComponent")
    message = message.strip()
    if len(message) >= 2 and message[0] == message[-1] == '"':
        message = message[1:-1]
    return _short(severity), describe(component, path, value, _clean(message)), component


_SHAPE_PREFIX = re.compile(r"^Shape _:\w+: ")
_NUMBER = re.compile(r"\((\d+)\)")
_CLASS = re.compile(r"for class (\S+)")
_NODE_SHAPE = re.compile(r"node shape (\S+)")


@lru_cache(maxsize=4096)
def describe(component: str, path: str | None, value: str | None, engine_message: str) -> str:
    """A sentence a publisher can act on, from the engine's terse message."""
    where = compact(path) if path else "the node"
    engine_message = _SHAPE_PREFIX.sub("", engine_message)
    number = _NUMBER.search(engine_message)
    if component == "MinCount" and number:
        return f"{where}: required, at least {number.group(1)} value(s) expected"
    if component == "MaxCount" and number:
        return f"{where}: at most {number.group(1)} value(s) allowed"
    shown = compact(value) if value else ""
    if component == "Class" and (match := _CLASS.search(engine_message)):
        return f"{where}: {shown} is not described as a {compact(match.group(1))}"
    if component == "Node" and (match := _NODE_SHAPE.search(engine_message)):
        shape = match.group(1)
        if shape.startswith("_:"):  # an anonymous shape: its engine label means nothing
            return f"{where}: {shown} is not from an expected vocabulary"
        return f"{where}: {shown} does not conform to {compact(shape)}"
    if component == "Datatype" or component == "Or":
        return f"{where}: {shown} has the wrong datatype ({engine_message})"
    return f"{where}: {engine_message}"


PREFIXES = {
    "http://www.w3.org/ns/dcat#": "dcat:",
    "http://purl.org/dc/terms/": "dct:",
    "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/2006/vcard/ns#": "vcard:",
    "http://www.w3.org/ns/adms#": "adms:",
    "http://data.europa.eu/r5r/": "dcatap:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://spdx.org/rdf/terms#": "spdx:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
}


@lru_cache(maxsize=4096)
def compact(iri: str) -> str:
    """`dct:title` for `http://purl.org/dc/terms/title`; other IRIs unchanged."""
    for base, prefix in PREFIXES.items():
        if iri.startswith(base) and len(iri) > len(base):
            return prefix + iri[len(base) :]
    return iri


def _short(severity: str) -> str:
    return severity[len(_SHACL) :] if severity.startswith(_SHACL) else severity


def count(findings: Iterable[Finding], severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity)
