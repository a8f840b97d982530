"""csw-iso-19139: re-key harvested datasets from fileIdentifier to citation identifier

Revision ID: 0014
Revises: 0001
Create Date: 2026-12-03 12:40:00

The remote id of an ISO 19139 record used to be its `gmd:fileIdentifier`; it is now the
resource's citation identifier, as udata has it, with the fileIdentifier as a fallback.
Without this migration every dataset of a csw-iso-19139 source would come back as a new
one on the next run and the old ones would be archived.

The citation identifier of each harvested dataset is already stored: it is the dataset's
`harvest_dct_identifier` (the same reading of the record). For every dataset of a
csw-iso-19139 source whose `harvest_dct_identifier` differs from its remote id, the
remote id becomes the `harvest_dct_identifier`, in the dataset and in its `harvest_records`
row, unless two datasets of the source share that identifier (the next run harvests the
first record with it and reports the other as a duplicate, as a fresh harvest would) or a
dataset of the source already has it. The page cache of those sources is emptied: it
remembers the old ids.

Downgrade leaves the ids as they are: the migration cannot tell a re-keyed id from one the
new code wrote.
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKEND = "csw-iso-19139"

sources = sa.table("harvest_sources", sa.column("id"), sa.column("backend"))
datasets = sa.table(
    "datasets",
    sa.column("id"),
    sa.column("harvest_source_id"),
    sa.column("harvest_remote_id"),
    sa.column("harvest_dct_identifier"),
)
records = sa.table(
    "harvest_records", sa.column("source_id"), sa.column("remote_id"), sa.column("dataset_id")
)
pages = sa.table("harvest_pages", sa.column("source_id"))


def rekey_source(connection: sa.Connection, source_id: str) -> int:
    """Re-key the datasets of one source; returns how many were re-keyed."""
    rows = connection.execute(
        sa.select(datasets.c.id, datasets.c.harvest_remote_id, datasets.c.harvest_dct_identifier)
        .where(datasets.c.harvest_source_id == source_id)
        .order_by(datasets.c.harvest_remote_id)
    ).all()
    existing = {row.harvest_remote_id for row in rows}
    wanted = Counter(row.harvest_dct_identifier for row in rows if row.harvest_dct_identifier)
    changed = 0
    for row in rows:
        new_id = row.harvest_dct_identifier
        if not new_id or new_id == row.harvest_remote_id:
            continue
        if wanted[new_id] > 1 or new_id in existing:
            continue
        connection.execute(
            sa.update(datasets).where(datasets.c.id == row.id).values(harvest_remote_id=new_id)
        )
        connection.execute(
            sa.update(records)
            .where(records.c.source_id == source_id, records.c.remote_id == row.harvest_remote_id)
            .values(remote_id=new_id)
        )
        existing.add(new_id)
        changed += 1
    return changed


def upgrade() -> None:
    connection = op.get_bind()
    source_ids = connection.scalars(sa.select(sources.c.id).where(sources.c.backend == BACKEND))
    for source_id in list(source_ids):
        if rekey_source(connection, source_id):
            connection.execute(sa.delete(pages).where(pages.c.source_id == source_id))


def downgrade() -> None:
    pass
