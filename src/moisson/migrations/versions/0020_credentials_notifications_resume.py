"""source credentials

Revision ID: 0020
Revises: 0001
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("credentials_token", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.drop_column("credentials_token")
        batch_op.drop_column("credentials_kind")
