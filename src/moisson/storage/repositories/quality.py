"""Reads of the latest quality assessments (`QualityAssessment`) of a source's objects."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from moisson.storage.models import Dataset, QualityAssessment


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
