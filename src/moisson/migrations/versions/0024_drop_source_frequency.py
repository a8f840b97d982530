"""drop harvest_sources.frequency: a legacy udata field nothing reads or shows

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 13:00:00

Scheduling reads the source's schedule (cron or interval); the API, the CLI and the admin never showed
this column. Going back restores it with udata's default, `manual`, for every source.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.drop_column("frequency")


def downgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("frequency", sa.String(length=16), nullable=False, server_default="manual")
        )
