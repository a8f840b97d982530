"""source credentials, notifications

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import moisson.storage.base

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = moisson.storage.base.UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("credentials_token", sa.Text(), nullable=True))
    op.create_table(
        "notification_subscriptions",
        sa.Column("source_id", sa.String(length=24), nullable=True),
        sa.Column("organization_id", sa.String(length=24), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("thresholds", JSON, nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("secret_token", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], name=op.f("fk_notification_subscriptions_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_id"], ["harvest_sources.id"], name=op.f("fk_notification_subscriptions_source_id_harvest_sources"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_subscriptions")),
    )
    with op.batch_alter_table("notification_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_subscriptions_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_subscriptions_source_id"), ["source_id"], unique=False)
    op.create_table(
        "notification_deliveries",
        sa.Column("subscription_id", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.String(length=24), nullable=True),
        sa.Column("job_id", sa.String(length=24), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["harvest_jobs.id"], name=op.f("fk_notification_deliveries_job_id_harvest_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["source_id"], ["harvest_sources.id"], name=op.f("fk_notification_deliveries_source_id_harvest_sources"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["notification_subscriptions.id"], name=op.f("fk_notification_deliveries_subscription_id_notification_subscriptions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint("subscription_id", "job_id", "event", name=op.f("uq_notification_deliveries_subscription_id")),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_notification_deliveries_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_deliveries_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_deliveries_subscription_id"), ["subscription_id"], unique=False)
    op.create_table(
        "notification_attempts",
        sa.Column("delivery_id", sa.String(length=24), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["notification_deliveries.id"], name=op.f("fk_notification_attempts_delivery_id_notification_deliveries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_attempts_delivery_id"), ["delivery_id"], unique=False)


def downgrade() -> None:
    op.drop_table("notification_attempts")
    op.drop_table("notification_deliveries")
    op.drop_table("notification_subscriptions")
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.drop_column("credentials_token")
        batch_op.drop_column("credentials_kind")
