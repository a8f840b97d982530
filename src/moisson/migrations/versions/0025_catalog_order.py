"""catalog order: an index on datasets (created_at, id), the published catalog's order

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 13:15:00

The catalog's pages are read by position in this order (`hydra:next` carries the position
after the last dataset of a page), so each page is an index range instead of a sort of every
published dataset.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_datasets_catalog_order", "datasets", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_datasets_catalog_order", table_name="datasets")
