"""The engine's quality hook: every record a run maps is validated against the DCAT-AP shapes
and, for a dataset, scored with the MQA method (`moisson.quality`, `docs/quality.md`).

Three calls from the pipeline, each one line: `mapped` when a record has been mapped,
`closed` when its item row exists, `flush` before every commit. The records mapped since
the last commit are validated then, `batch_size` per engine call; their item rows (just
written by the write batch) get their results with one UPDATE, their `QualityAssessment`
rows are replaced, and the job's counters move, all in the transaction that commits the
items. Nothing here waits on the network: a dataset's URL metrics are scored from the
statuses already stored (`url_checks`, URLs an earlier job checked); the others are checked
after the job, outside any transaction (`moisson.services.quality.check_job_urls`), which
re-scores the dataset from the evaluation stored with its assessment.

What is validated: a record's own RDF when the backend kept it (DCAT and CSW-DCAT records
are N-Triples payloads, `mapping.rdf.records`), so a publisher sees what *their* metadata
lacks; for the other backends (CKAN, ISO 19139, MAAF), the DCAT-AP description Moisson
publishes of the mapped draft (`publishing.dcat_ap`), under a provisional IRI when the
record has no URI of its own.

Findings never fail an item, unless the source config says `{"quality":
{"fail_on_violation": true}}`: then a record is validated as soon as it is mapped (one engine
call per record: slower) and one with a violation fails with the violations as its message.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import NamedNode
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from moisson.config import QualitySettings
from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.enums import ItemKind, ItemStatus
from moisson.domain.exceptions import InvalidItem
from moisson.domain.records import RemoteRecord
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf.graph import Node, RdfGraph
from moisson.mapping.rdf.records import ROOT_HEADER, RecordPayloadError, parse_record
from moisson.publishing.dcat_ap import dataservice_triples, dataset_triples
from moisson.publishing.views import DataserviceView, DatasetView
from moisson.quality.mqa import Evaluation, Facts, Points, Score, evaluate, score
from moisson.quality.validation import VIOLATION, WARNING, Finding, Validator
from moisson.quality.vocabularies import EU_AUTHORITY
from moisson.storage.base import new_id, utcnow
from moisson.storage.models import HarvestJob
from moisson.storage.repositories import items as items_repo
from moisson.storage.repositories import quality as quality_repo

logger = logging.getLogger(__name__)

#: Results kept per item (the counts are always complete).
MAX_STORED_RESULTS = 100
#: Violations named in the message of an item failed by them.
MAX_NAMED_VIOLATIONS = 5
CONFIG_KEY = "quality"


def fail_on_violation(config: Mapping[str, Any]) -> bool:
    options = config.get(CONFIG_KEY)
    return isinstance(options, Mapping) and options.get("fail_on_violation") is True


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """What is wrong with a source config's `quality` object."""
    options = config.get(CONFIG_KEY)
    if options is None:
        return []
    if not isinstance(options, Mapping):
        return ['"quality" should be an object']
    problems = [f'Unknown quality option "{key}"' for key in options if key != "fail_on_violation"]
    if not isinstance(options.get("fail_on_violation", False), bool):
        problems.append('"quality.fail_on_violation" should be a boolean')
    return problems


def known_licence_test(licenses: LicenseTable) -> Callable[[str], bool]:
    """A licence URL is known when it is an EU licence IRI or a URL of the licence table."""
    urls = {
        url.lower().rstrip("/")
        for lic in licenses.licenses
        for url in (lic.url, *lic.alternate_urls)
        if url
    }
    eu = f"{EU_AUTHORITY}licence/"
    return lambda url: url.startswith(eu) or url.lower().rstrip("/") in urls


@dataclass
class _Pending:
    kind: ItemKind
    graph: RdfGraph
    root: Node
    findings: list[Finding] | None = None
    item: dict[str, Any] | None = None


@dataclass
class Assessment:
    """What one record's assessment gives (stored on its item and its object)."""

    findings: list[Finding]
    score: Score | None
    evaluation: Evaluation | None = None

    @property
    def violations(self) -> int:
        return sum(1 for f in self.findings if f.severity == VIOLATION)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def as_json(self) -> dict[str, Any]:
        return {
            "conforms": self.violations == 0,
            "violations": self.violations,
            "warnings": self.warnings,
            "results": [f.as_json() for f in self.findings[:MAX_STORED_RESULTS]],
            "mqa": self.score.as_json() if self.score is not None else None,
        }


@dataclass
class QualityHook:
    active: bool
    settings: QualitySettings
    source_id: str | None
    strict: bool
    points: Points
    known_licence: Callable[[str], bool]
    validator: Validator
    base_url: str
    licenses: LicenseTable
    pending: dict[str, _Pending] = field(default_factory=dict)
    """Records mapped and not yet validated, by remote id."""
    ready: list[_Pending] = field(default_factory=list)
    """Records whose item row exists, waiting for the next validation."""

    @classmethod
    def for_run(
        cls,
        settings: QualitySettings,
        *,
        public_url: str,
        source_id: str | None,
        config: Mapping[str, Any],
        licenses: LicenseTable,
    ) -> QualityHook:
        """The hook of one run (inactive when assessment is off)."""
        return cls(
            active=settings.enabled,
            settings=settings,
            source_id=source_id,
            strict=fail_on_violation(config),
            points=Points.load(settings.points_file),
            known_licence=known_licence_test(licenses),
            validator=Validator(batch_size=settings.batch_size),
            base_url=f"{public_url.rstrip('/')}/api/1",
            licenses=licenses,
        )

    # ------------------------------------------------------------ the three calls

    def mapped(self, record: RemoteRecord, draft: DatasetDraft | DataserviceDraft) -> None:
        """Note a mapped record; with `fail_on_violation`, validate it now and raise
        `InvalidItem` when it has violations."""
        if not self.active or not record.remote_id:
            return
        rdf = record_rdf(record) or self._published_rdf(record.remote_id, draft)
        kind = ItemKind.DATASET if isinstance(draft, DatasetDraft) else ItemKind.DATASERVICE
        pending = _Pending(kind, *rdf)
        self.pending[record.remote_id] = pending
        if self.strict:
            pending.findings = self.validator.validate(list(pending.graph.triples()))
            violations = [f for f in pending.findings if f.severity == VIOLATION]
            if violations:
                raise InvalidItem(violation_message(violations))

    def closed(self, record: RemoteRecord, item: dict[str, Any]) -> None:
        """The item row of a record: the one its results go to."""
        if not self.active:
            return
        pending = self.pending.pop(record.remote_id or "", None)
        if pending is not None:
            pending.item = item
            self.ready.append(pending)

    def flush(self, session: Session, job: HarvestJob) -> None:
        """Validate what waits and store the results, in the transaction that is about to
        commit the items themselves (so an item is never committed without them)."""
        if not self.ready:
            return
        ready, self.ready = self.ready, []
        ready = [p for p in ready if p.item is not None and _assessable(p.item)]
        todo = [p for p in ready if p.findings is None]
        for pending, findings in zip(
            todo,
            self.validator.validate_records([list(p.graph.triples()) for p in todo]),
            strict=True,
        ):
            pending.findings = findings
        evaluations = {id(p): self._evaluate(p) for p in ready}
        urls = {url for e in evaluations.values() if e is not None for url in e.urls()}
        known = quality_repo.url_statuses(session, urls) if urls else {}
        items: list[dict[str, Any]] = []
        assessments: list[dict[str, Any]] = []
        now = utcnow()
        for pending in ready:
            item = pending.item
            if item is None:
                continue
            assessment = self._assess(pending, evaluations[id(pending)], known)
            data = assessment.as_json()
            items.append({"id": item["id"], "quality": data})
            item["quality"] = data
            job.quality_assessed += 1
            job.quality_violations += assessment.violations
            job.quality_warnings += assessment.warnings
            job.quality_nonconforming += 1 if assessment.violations else 0
            row = self._object_row(pending, assessment, job.id, now)
            if row is not None:
                assessments.append(row)
        try:
            with session.begin_nested():
                items_repo.update_many(session, items)
                quality_repo.replace_assessments(session, assessments)
        except SQLAlchemyError as exc:  # the items themselves were rolled back (a failed job)
            logger.warning("Job %s: quality results not stored (%s)", job.id, exc)

    # ------------------------------------------------------------ helpers

    def _published_rdf(
        self, remote_id: str, draft: DatasetDraft | DataserviceDraft
    ) -> tuple[RdfGraph, Node]:
        """The DCAT-AP description Moisson would publish of `draft` (its local id is not
        known yet: a digest of the remote id stands in for it in local IRIs)."""
        provisional = hashlib.blake2b(remote_id.encode(), digest_size=12).hexdigest()
        view: DatasetView | DataserviceView
        if isinstance(draft, DatasetDraft):
            view = DatasetView(id=provisional, base_url=self.base_url, draft=draft)
            triples = dataset_triples(view, self.licenses)
        else:
            view = DataserviceView(id=provisional, base_url=self.base_url, draft=draft)
            triples = dataservice_triples(view, self.licenses)
        graph = RdfGraph((t.subject, t.predicate, t.object) for t in triples)  # type: ignore[misc]
        return graph, NamedNode(view.iri)

    def _evaluate(self, pending: _Pending) -> Evaluation | None:
        if pending.kind != ItemKind.DATASET:
            return None
        conforms = not any(f.severity == VIOLATION for f in pending.findings or [])
        facts = Facts(conforms=conforms, known_licence=self.known_licence)
        return evaluate(pending.graph, pending.root, facts, self.points)

    def _assess(
        self, pending: _Pending, evaluation: Evaluation | None, known: Mapping[str, int | None]
    ) -> Assessment:
        """The assessment of a record, its URL metrics scored from the statuses already
        known (URLs an earlier job checked); the others are checked after the job."""
        findings = pending.findings or []
        if evaluation is None:
            return Assessment(findings, None)
        return Assessment(findings, score(evaluation, self.points, url_status(known)), evaluation)

    def _object_row(
        self, pending: _Pending, assessment: Assessment, job_id: str, now: Any
    ) -> dict[str, Any] | None:
        item = pending.item or {}
        if self.source_id is None or item.get("status") != ItemStatus.DONE:
            return None
        dataset_id, dataservice_id = item.get("dataset_id"), item.get("dataservice_id")
        if not dataset_id and not dataservice_id:
            return None
        score = assessment.score
        return {
            "id": new_id(),
            "source_id": self.source_id,
            "dataset_id": dataset_id,
            "dataservice_id": dataservice_id,
            "job_id": job_id,
            "score": score.points if score else None,
            "band": score.band if score else None,
            "violations": assessment.violations,
            "warnings": assessment.warnings,
            "mqa": score.as_json() if score else None,
            "evaluation": assessment.evaluation.as_json() if assessment.evaluation else None,
            "results": [f.as_json() for f in assessment.findings[:MAX_STORED_RESULTS]],
            "assessed_at": now,
        }


def url_status(known: Mapping[str, int | None]) -> Callable[[str], bool | None]:
    """The MQA's view of stored checks: 2xx or not; `None` for a URL never checked."""

    def answered_ok(url: str) -> bool | None:
        if url not in known:
            return None
        code = known[url]
        return code is not None and 200 <= code < 300

    return answered_ok


def _assessable(item: dict[str, Any]) -> bool:
    """Done items, and items failed by their violations (`fail_on_violation`)."""
    return item.get("status") in (ItemStatus.DONE, ItemStatus.FAILED)


def record_rdf(record: RemoteRecord) -> tuple[RdfGraph, Node] | None:
    """The record's own RDF graph and root, when its payload is a serialised record."""
    payload = record.payload
    if not isinstance(payload, str) or not payload.startswith(ROOT_HEADER):
        return None
    try:
        return parse_record(payload)
    except RecordPayloadError:
        logger.debug("Record %s: payload is not a serialised record", record.remote_id)
        return None


def violation_message(violations: list[Finding]) -> str:
    named = "; ".join(f"{f.focus}: {f.message}" for f in violations[:MAX_NAMED_VIOLATIONS])
    more = len(violations) - MAX_NAMED_VIOLATIONS
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"DCAT-AP violations ({len(violations)}): {named}{suffix}"
