"""The latest quality assessment of each harvested object (`quality_assessments`), and the
status codes of the distribution URLs they depend on (`url_checks`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moisson.storage.models import Dataset, QualityAssessment, UrlCheck, url_digest
from moisson.storage.repositories import bulk

#: Values in one `IN (...)` list.
_CHUNK = 500


def live_dataset_assessments(
    session: Session, source_id: str
) -> list[tuple[QualityAssessment, Dataset]]:
    """The assessment of every dataset of the source that is neither archived nor deleted."""
    rows = session.execute(
        select(QualityAssessment, Dataset)
        .join(Dataset, Dataset.id == QualityAssessment.dataset_id)
        .where(
            QualityAssessment.source_id == source_id,
            Dataset.harvest_source_id == source_id,
            Dataset.archived_at.is_(None),
            Dataset.deleted_at.is_(None),
        )
    )
    return [(assessment, dataset) for assessment, dataset in rows]


def for_dataset(session: Session, dataset_id: str) -> QualityAssessment | None:
    return session.scalars(
        select(QualityAssessment).where(QualityAssessment.dataset_id == dataset_id)
    ).first()


def for_datasets(session: Session, dataset_ids: Iterable[str]) -> dict[str, QualityAssessment]:
    wanted = list(dict.fromkeys(dataset_ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(QualityAssessment).where(QualityAssessment.dataset_id.in_(wanted))
    )
    return {row.dataset_id: row for row in rows if row.dataset_id}


def count_by_band(session: Session) -> dict[str | None, int]:
    """Assessments by MQA rating band (`None`: objects assessed without a band)."""
    rows = session.execute(
        select(QualityAssessment.band, func.count()).group_by(QualityAssessment.band)
    )
    return {key: count for key, count in rows}  # noqa: C416 (Row to tuple)


def replace_assessments(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store these assessment rows as the latest of their objects (one per dataset or
    dataservice: the previous ones of those objects are deleted first)."""
    if not rows:
        return
    datasets = [r["dataset_id"] for r in rows if r["dataset_id"]]
    services = [r["dataservice_id"] for r in rows if r["dataservice_id"]]
    if datasets:
        session.execute(delete(QualityAssessment).where(QualityAssessment.dataset_id.in_(datasets)))
    if services:
        session.execute(
            delete(QualityAssessment).where(QualityAssessment.dataservice_id.in_(services))
        )
    bulk.insert_rows(session, QualityAssessment, rows)


def evaluated_of_job(session: Session, job_id: str) -> list[QualityAssessment]:
    """The assessments this job made that carry an MQA evaluation (datasets), still the latest
    of their objects."""
    return list(
        session.scalars(
            select(QualityAssessment)
            .where(QualityAssessment.job_id == job_id, QualityAssessment.evaluation.is_not(None))
            .order_by(QualityAssessment.id)
        )
    )


def by_ids(session: Session, ids: Iterable[str]) -> list[QualityAssessment]:
    wanted = list(dict.fromkeys(ids))
    found: list[QualityAssessment] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.extend(
            session.scalars(select(QualityAssessment).where(QualityAssessment.id.in_(chunk)))
        )
    return found


def update_scores(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE of assessments by id: each dict holds `id` and the columns to set."""
    if rows:
        session.execute(update(QualityAssessment), rows)


def url_statuses(session: Session, urls: Iterable[str]) -> dict[str, int | None]:
    """The stored status of each of these URLs that was checked (absent: never checked)."""
    by_digest = {url_digest(url): url for url in urls}
    digests = list(by_digest)
    found: dict[str, int | None] = {}
    for start in range(0, len(digests), _CHUNK):
        rows = session.execute(
            select(UrlCheck.digest, UrlCheck.status).where(
                UrlCheck.digest.in_(digests[start : start + _CHUNK])
            )
        )
        for digest, status in rows:
            found[by_digest[digest]] = status
    return found


def record_url_statuses(
    session: Session, statuses: Mapping[str, int | None], now: datetime
) -> None:
    """Store these checks, replacing earlier ones of the same URLs (two jobs may check one
    URL at once: the database keeps the last write, never raises)."""
    if not statuses:
        return
    rows: list[dict[str, Any]] = [
        {"digest": url_digest(url), "url": url, "status": status, "checked_at": now}
        for url, status in sorted(statuses.items(), key=lambda item: url_digest(item[0]))
    ]
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(UrlCheck.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["digest"],
        set_={"status": stmt.excluded.status, "checked_at": stmt.excluded.checked_at},
    )
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])
