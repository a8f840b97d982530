"""contact points: a unique identity, so concurrent jobs share one row

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 12:40:00

Two jobs creating the same contact point at once (same name, e-mail, contact form, role and
producer) could each find none and insert one. The new `identity` column is a digest of those
values with a unique constraint, so the database decides (`INSERT ... ON CONFLICT DO
NOTHING`). Existing duplicates are merged first: the oldest row (smallest id) is kept and the
datasets and dataservices that named another copy name it instead.
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moisson.storage.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POINTS = sa.table(
    "contact_points",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("contact_form", sa.Text),
    sa.column("role", sa.String),
    sa.column("organization_id", sa.String),
    sa.column("owner_id", sa.String),
    sa.column("identity", sa.String),
)


def _identity(values: Sequence[str | None]) -> str:
    """`moisson.storage.models.contact_identity`, frozen here as this revision computes it."""
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _merge_duplicates(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.select(
            _POINTS.c.id,
            _POINTS.c.name,
            _POINTS.c.email,
            _POINTS.c.contact_form,
            _POINTS.c.role,
            _POINTS.c.organization_id,
            _POINTS.c.owner_id,
        ).order_by(_POINTS.c.id)
    ).all()
    keeper_of: dict[str, str] = {}
    replaced: dict[str, str] = {}
    identities = []
    for point_id, *values in rows:
        identity = _identity(values)
        keeper = keeper_of.setdefault(identity, point_id)
        if keeper == point_id:
            identities.append({"point_id": point_id, "identity_value": identity})
        else:
            replaced[point_id] = keeper
    if identities:
        conn.execute(
            _POINTS.update()
            .where(_POINTS.c.id == sa.bindparam("point_id"))
            .values(identity=sa.bindparam("identity_value")),
            identities,
        )
    if not replaced:
        return
    for table_name in ("datasets", "dataservices"):
        objects = sa.table(
            table_name,
            sa.column("id", sa.String),
            sa.column("contact_point_ids", moisson.storage.base.JSONType),
        )
        changes = []
        for object_id, ids in conn.execute(sa.select(objects.c.id, objects.c.contact_point_ids)):
            if not ids or not any(i in replaced for i in ids):
                continue
            merged = list(dict.fromkeys(replaced.get(i, i) for i in ids))
            changes.append({"object_id": object_id, "merged": merged})
        if changes:
            conn.execute(
                objects.update()
                .where(objects.c.id == sa.bindparam("object_id"))
                .values(contact_point_ids=sa.bindparam("merged")),
                changes,
            )
    duplicates = list(replaced)
    for start in range(0, len(duplicates), 500):
        conn.execute(_POINTS.delete().where(_POINTS.c.id.in_(duplicates[start : start + 500])))


def upgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.String(length=64), nullable=True))
    _merge_duplicates(op.get_bind())
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.alter_column("identity", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_contact_points_identity"), ["identity"])


def downgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_contact_points_identity"), type_="unique")
        batch_op.drop_column("identity")
