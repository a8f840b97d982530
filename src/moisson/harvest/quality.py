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
from moisson.domain.records import RemoteRecord, content_hash
from moisson.harvest import kinds
from moisson.harvest.assessor_process import AssessorProcess
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf.graph import Node, RdfGraph
from moisson.mapping.rdf.records import (
    ROOT_HEADER,
    RecordPayloadError,
    parse_record,
    serialize_record,
)
from moisson.publishing.dcat_ap import dataservice_triples, dataset_triples
from moisson.publishing.views import DataserviceView, DatasetView
from moisson.quality.assessor import Outcome, RecordAssessor
from moisson.quality.mqa import Points, Score, default_points, score
from moisson.quality.validation import VIOLATION, Finding, Validator
from moisson.storage.base import new_id, utcnow
from moisson.storage.models import HarvestJob
from moisson.storage.repositories import items as items_repo
from moisson.storage.repositories import quality as quality_repo

logger = logging.getLogger(__name__)

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


def licence_urls(licenses: LicenseTable) -> frozenset[str]:
    """The licence table's URLs as `RecordAssessor.known_licence` compares them."""
    return frozenset(
        url.lower().rstrip("/")
        for lic in licenses.licenses
        for url in (lic.url, *lic.alternate_urls)
        if url
    )


def known_licence_test(licenses: LicenseTable) -> Callable[[str], bool]:
    """A licence URL is known when it is an EU licence IRI or a URL of the licence table."""
    return RecordAssessor(default_points(), licence_urls(licenses)).known_licence


@dataclass
class _Pending:
    kind: ItemKind
    remote_id: str
    draft: DatasetDraft | DataserviceDraft
    graph: RdfGraph | None = None
    root: Node | None = None
    text: str | None = None
    """The serialised record, when it goes to the assessment process (no graph here then)."""
    findings: list[Finding] | None = None
    """Known before the assessment (`fail_on_violation` validates at once)."""
    outcome: Outcome | None = None
    item: dict[str, Any] | None = None


@dataclass
class Assessment:
    """What one record's assessment gives (stored on its item and its object)."""

    outcome: Outcome
    score: Score | None

    @property
    def violations(self) -> int:
        return self.outcome.violations

    @property
    def warnings(self) -> int:
        return self.outcome.warnings

    def as_json(self) -> dict[str, Any]:
        return {
            "conforms": self.violations == 0,
            "violations": self.violations,
            "warnings": self.warnings,
            "results": self.outcome.results,
            "mqa": self.score.as_json() if self.score is not None else None,
        }


@dataclass
class QualityHook:
    active: bool
    settings: QualitySettings
    source_id: str | None
    strict: bool
    points: Points
    assessor: RecordAssessor
    validator: Validator
    base_url: str
    licenses: LicenseTable
    separate: bool = False
    """Assess in a child process (`AssessorProcess`), started at the first flush."""
    pending: dict[str, _Pending] = field(default_factory=dict)
    """Records mapped and not yet validated, by remote id."""
    ready: list[_Pending] = field(default_factory=list)
    """Records whose item row exists, waiting for the next validation."""
    process: AssessorProcess | None = None
    inflight: dict[int, list[_Pending]] = field(default_factory=dict)
    """Batches the process holds, by number."""

    @classmethod
    def for_run(
        cls,
        settings: QualitySettings,
        *,
        public_url: str,
        source_id: str | None,
        config: Mapping[str, Any],
        licenses: LicenseTable,
        preview: bool = False,
    ) -> QualityHook:
        """The hook of one run (inactive when assessment is off). A preview, and a source
        whose violations fail items, are assessed in the harvesting process."""
        points = Points.load(settings.points_file)
        strict = fail_on_violation(config)
        return cls(
            active=settings.enabled,
            settings=settings,
            source_id=source_id,
            strict=strict,
            points=points,
            assessor=RecordAssessor(points, licence_urls(licenses), settings.batch_size),
            validator=Validator(batch_size=settings.batch_size),
            base_url=f"{public_url.rstrip('/')}/api/1",
            licenses=licenses,
            separate=settings.enabled and settings.separate_process and not strict and not preview,
        )

    # ------------------------------------------------------------ the three calls

    def mapped(self, record: RemoteRecord, draft: DatasetDraft | DataserviceDraft) -> None:
        """Note a mapped record; with `fail_on_violation`, validate it now and raise
        `InvalidItem` when it has violations."""
        if not self.active or not record.remote_id:
            return
        kind = kinds.of_draft(draft).item
        pending = _Pending(kind, record.remote_id, draft)
        self.pending[record.remote_id] = pending
        if self.separate and self.process is None:  # its start-up overlaps the harvest's
            self.process = AssessorProcess(self.assessor)
        payload = record.payload
        if self.separate and isinstance(payload, str) and payload.startswith(ROOT_HEADER):
            pending.text = payload  # parsed by the process
            return
        pending.graph, pending.root = record_rdf(record) or self._published_rdf(
            record.remote_id, draft
        )
        if self.separate:
            subjects_are_nodes = pending.graph.triples()  # an RDF subject is never a literal
            pending.text = serialize_record(pending.root, subjects_are_nodes)  # type: ignore[arg-type]
            pending.graph = pending.root = None
            return
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
        """Assess what waits and store the results. In the harvesting process, that is in
        the transaction about to commit the items themselves (an item is never committed
        without them); with a separate process, the records go to it and the results that
        came back since the last flush are stored."""
        ready, self.ready = self.ready, []
        ready = [p for p in ready if p.item is not None and _assessable(p.item)]
        if self.separate and ready:
            self._submit(ready)
            ready = []
        else:
            self._assess_here(ready)
        self._store(session, job, ready + self._answered(wait=False))

    @property
    def waiting(self) -> bool:
        """Records are still being assessed in the separate process."""
        return bool(self.inflight)

    def drain(self, session: Session, job: HarvestJob) -> None:
        """Wait for the separate process's last results and store them (after the job's
        last commit: the caller commits)."""
        self._store(session, job, self._answered(wait=True))

    def close(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None

    # ------------------------------------------------------------ assessing

    def _assess_here(self, pendings: list[_Pending]) -> None:
        """Assess records in this process (texts the separate process could not read are
        parsed here, and fall back to the published description)."""
        todo: list[tuple[bool, RdfGraph, Node, list[Finding] | None]] = []
        kept: list[_Pending] = []
        for pending in pendings:
            if pending.outcome is not None:
                continue
            if pending.graph is None or pending.root is None:
                rdf = _parsed(pending.text) or self._published_rdf(pending.remote_id, pending.draft)
                pending.graph, pending.root = rdf
            todo.append(
                (
                    kinds.of_item(pending.kind) is kinds.DATASETS,
                    pending.graph,
                    pending.root,
                    pending.findings,
                )
            )
            kept.append(pending)
        for pending, outcome in zip(kept, self.assessor.assess_graphs(todo), strict=True):
            pending.outcome = outcome

    def _submit(self, pendings: list[_Pending]) -> None:
        if self.process is None:
            self.process = AssessorProcess(self.assessor)
        records = [(kinds.of_item(p.kind) is kinds.DATASETS, p.text or "") for p in pendings]
        self.inflight[self.process.send(records)] = pendings

    def _answered(self, *, wait: bool) -> list[_Pending]:
        """Records whose results came back (all of them, with `wait`); if the process failed,
        those it held are assessed here."""
        if self.process is None or not self.inflight:
            return []
        done: list[_Pending] = []
        for number, outcomes in self.process.take(wait=wait):
            pendings = self.inflight.pop(number)
            for pending, outcome in zip(pendings, outcomes, strict=True):
                pending.outcome = outcome
            done.extend(pendings)
        if self.process.failed:
            logger.warning("The assessment process failed: assessing its records here")
            for pendings in self.inflight.values():
                done.extend(pendings)
            self.inflight.clear()
        self._assess_here([p for p in done if p.outcome is None])
        return done

    def _store(self, session: Session, job: HarvestJob, done: list[_Pending]) -> None:
        if not done:
            return
        evaluations = [p.outcome.evaluation for p in done if p.outcome and p.outcome.evaluation]
        urls = {url for e in evaluations for url in e.urls()}
        known = quality_repo.url_statuses(session, urls) if urls else {}
        items: list[dict[str, Any]] = []
        assessments: list[dict[str, Any]] = []
        now = utcnow()
        for pending in done:
            item = pending.item
            if item is None:
                continue
            if pending.outcome is None:  # cannot happen: every record was assessed
                continue
            assessment = self._assess(pending.outcome, known)
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
        known yet: 24 hex digits of the remote id's digest stand in for it in local IRIs)."""
        provisional = content_hash(remote_id)[:24]
        view: DatasetView | DataserviceView
        if isinstance(draft, DatasetDraft):
            view = DatasetView(id=provisional, base_url=self.base_url, draft=draft)
            triples = dataset_triples(view, self.licenses)
        else:
            view = DataserviceView(id=provisional, base_url=self.base_url, draft=draft)
            triples = dataservice_triples(view, self.licenses)
        graph = RdfGraph((t.subject, t.predicate, t.object) for t in triples)  # type: ignore[misc]
        return graph, NamedNode(view.iri)

    def _assess(self, outcome: Outcome, known: Mapping[str, int | None]) -> Assessment:
        """The assessment of a record, its URL metrics scored from the statuses already
        known (URLs an earlier job checked); the others are checked after the job."""
        evaluation = outcome.evaluation
        if evaluation is None:
            return Assessment(outcome, None)
        return Assessment(outcome, score(evaluation, self.points, url_status(known)))

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
            "evaluation": assessment.outcome.evaluation_json,
            "results": assessment.outcome.results,
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


def _parsed(text: str | None) -> tuple[RdfGraph, Node] | None:
    if text is None:
        return None
    try:
        return parse_record(text)
    except RecordPayloadError:
        return None


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
