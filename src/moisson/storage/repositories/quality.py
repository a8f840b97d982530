"""The latest quality assessment of each harvested object (`quality_assessments`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from moisson.storage.models import Dataset, QualityAssessment
from moisson.storage.repositories import bulk


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
