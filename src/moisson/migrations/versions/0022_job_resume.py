"""harvest jobs: where a job resumes when its worker died

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 21:50:00

`cursor` is written in the transaction of every commit of a running job: where the remote
catalog is to be read again from (the backend's own words: a page URL, a `start` offset, a
CSW `startPosition`) and what the engine needs of the first part of the run. `resumes` counts
how many times the job was taken up again after its worker died (capped by the setting
`harvest.max_resumes`). Existing jobs get no cursor and no resume.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moisson.storage.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cursor", moisson.storage.base.JSONType, nullable=True)
        )
        batch_op.add_column(
            sa.Column("resumes", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("harvest_jobs", schema=None) as batch_op:
        batch_op.drop_column("resumes")
        batch_op.drop_column("cursor")
