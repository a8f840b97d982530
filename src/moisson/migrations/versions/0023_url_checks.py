"""url checks: status codes of distribution URLs, MQA evaluations kept with assessments

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 21:40:00

`url_checks` holds the status each distribution URL answered (one row per URL, keyed by its
SHA-256); `quality_assessments.evaluation` the MQA evaluation a dataset is re-scored from once
its URLs are checked (`moisson.quality.mqa.Evaluation`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import moisson.storage.base

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "url_checks",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("checked_at", moisson.storage.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_url_checks")),
    )
    with op.batch_alter_table("quality_assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluation", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quality_assessments", schema=None) as batch_op:
        batch_op.drop_column("evaluation")
    op.drop_table("url_checks")
