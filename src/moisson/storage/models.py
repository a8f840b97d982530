"""ORM models. Relationships are `lazy="raise"`: load what you need explicitly.

Harvest metadata of datasets and dataservices is flattened into `harvest_*` columns so that
matching (by remote id, domain, source) and autoarchive are indexed queries; the rarer
backend-specific keys (`ckan_name`, `doi`...) live in `harvest_extra`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from moisson.domain.enums import ACTIVE_JOB_STATUSES, ErrorLevel, JobStatus
from moisson.storage.base import Base, IdMixin, JSONType, utcnow

# --------------------------------------------------------------------------- people


class User(IdMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(255), unique=True)
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    is_sysadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    memberships: Mapped[list[Member]] = relationship(back_populates="user", lazy="raise")


class ApiKey(IdMixin, Base):
    """An API key, stored as an HMAC-SHA256 of the token (never the token itself)."""

    __tablename__ = "api_keys"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The first characters of the token, to tell keys apart in listings."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(lazy="raise")


class Organization(IdMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    acronym: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="organization", lazy="raise")


class Member(Base):
    __tablename__ = "members"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    """`admin` or `editor` (`moisson.domain.enums.MemberRole`)."""

    organization: Mapped[Organization] = relationship(back_populates="members", lazy="raise")
    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")


# --------------------------------------------------------------------------- harvest sources


class HarvestSource(IdMixin, Base):
    __tablename__ = "harvest_sources"

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    url: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    autoarchive: Mapped[bool] = mapped_column(Boolean, default=True)
    validation_state: Mapped[str] = mapped_column(String(16), default="pending")
    validation_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    validation_on: Mapped[datetime | None] = mapped_column(default=None)
    validation_comment: Mapped[str | None] = mapped_column(Text, default=None)

    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), default=None, index=True
    )

    schedule_cron: Mapped[str | None] = mapped_column(String(128), default=None)
    """A 5-field cron expression (`m h dom mon dow`), evaluated in UTC."""
    schedule_interval: Mapped[int | None] = mapped_column(Integer, default=None)
    """Alternatively, an interval in seconds."""
    next_run_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    credentials_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    """`headers`, `basic` or `bearer` when the source needs credentials (shown to readers)."""
    credentials_token: Mapped[str | None] = mapped_column(Text, default=None)
    """The credentials, encrypted (`moisson.encryption`); never shown, never logged."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")
    organization: Mapped[Organization | None] = relationship(lazy="raise")
    validation_by: Mapped[User | None] = relationship(foreign_keys=[validation_by_id], lazy="raise")


class SourceSlugHistory(Base):
    """Former slugs of renamed sources: they answer 308 to the current one."""

    __tablename__ = "harvest_source_slugs"

    slug: Mapped[str] = mapped_column(String(255), primary_key=True)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), index=True
    )


# --------------------------------------------------------------------------- jobs and items

#: The partial-index condition selecting the active jobs (`ACTIVE_JOB_STATUSES`), listed in
#: declaration order so the text, which the migrations repeat, never changes.
ACTIVE_JOB_CONDITION = "status IN ({})".format(
    ", ".join(f"'{status.value}'" for status in JobStatus if status in ACTIVE_JOB_STATUSES)
)


class HarvestJob(IdMixin, Base):
    __tablename__ = "harvest_jobs"
    __table_args__ = (
        Index("ix_harvest_jobs_source_created", "source_id", "created"),
        # One active job per source, enforced by the database (services.runs turns a
        # violation into a 409): the API check alone races with a concurrent request.
        Index(
            "uq_harvest_jobs_active_source",
            "source_id",
            unique=True,
            sqlite_where=text(ACTIVE_JOB_CONDITION),
            postgresql_where=text(ACTIVE_JOB_CONDITION),
        ),
    )

    source_id: Mapped[str] = mapped_column(ForeignKey("harvest_sources.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started: Mapped[datetime | None] = mapped_column(default=None)
    ended: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    """Refreshed while a worker runs the job; the watchdog fails jobs whose heartbeat stops."""
    worker: Mapped[str | None] = mapped_column(String(255), default=None)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    """The run stopped at `max_items`: autoarchive is not applied."""
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    """Where the job resumes if its worker dies, written with every commit of the run
    (`moisson.harvest.resumption`); cleared when the job ends."""
    resumes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Times the job was taken up again after its worker died."""

    items_total: Mapped[int] = mapped_column(Integer, default=0)
    items_pending: Mapped[int] = mapped_column(Integer, default=0)
    items_started: Mapped[int] = mapped_column(Integer, default=0)
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    items_failed: Mapped[int] = mapped_column(Integer, default=0)
    items_skipped: Mapped[int] = mapped_column(Integer, default=0)
    items_archived: Mapped[int] = mapped_column(Integer, default=0)
    items_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    """Done items whose record was identical to the last run (not rewritten)."""
    items_datasets: Mapped[int] = mapped_column(Integer, default=0)
    items_dataservices: Mapped[int] = mapped_column(Integer, default=0)
    quality_assessed: Mapped[int] = mapped_column(Integer, default=0)
    """Items validated against the DCAT-AP shapes (`moisson.quality`)."""
    quality_nonconforming: Mapped[int] = mapped_column(Integer, default=0)
    """Assessed items with at least one SHACL violation."""
    quality_violations: Mapped[int] = mapped_column(Integer, default=0)
    quality_warnings: Mapped[int] = mapped_column(Integer, default=0)

    source: Mapped[HarvestSource] = relationship(lazy="raise")


class HarvestItem(IdMixin, Base):
    __tablename__ = "harvest_items"
    __table_args__ = (Index("ix_harvest_items_job_seq", "job_id", "seq"),)

    job_id: Mapped[str] = mapped_column(ForeignKey("harvest_jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    """Processing order within the job."""
    remote_id: Mapped[str | None] = mapped_column(Text, default=None)
    remote_url: Mapped[str | None] = mapped_column(Text, default=None)
    kind: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    unchanged: Mapped[bool] = mapped_column(Boolean, default=False)
    page: Mapped[str | None] = mapped_column(Text, default=None)
    dataset_id: Mapped[str | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), default=None, index=True
    )
    dataservice_id: Mapped[str | None] = mapped_column(
        ForeignKey("dataservices.id", ondelete="SET NULL"), default=None, index=True
    )
    created: Mapped[datetime] = mapped_column(default=utcnow)
    started: Mapped[datetime | None] = mapped_column(default=None)
    ended: Mapped[datetime | None] = mapped_column(default=None)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    """The DCAT-AP validation results and MQA score of the record (`moisson.quality`)."""

    job: Mapped[HarvestJob] = relationship(lazy="raise")


class HarvestErrorRow(IdMixin, Base):
    """A job-level error (`item_id` null) or an item error."""

    __tablename__ = "harvest_errors"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_jobs.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str | None] = mapped_column(
        ForeignKey("harvest_items.id", ondelete="CASCADE"), default=None, index=True
    )
    level: Mapped[str] = mapped_column(String(16), default=ErrorLevel.ERROR)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text, default=None)
    """A traceback or the offending payload: shown to sysadmins only."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HarvestLogRow(IdMixin, Base):
    """A log line captured while an item was processed."""

    __tablename__ = "harvest_logs"

    item_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_items.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)


class HarvestRecord(Base):
    """The last successfully harvested state of one remote record of a source.

    Its `content_hash` makes an unchanged record a no-op on the next run; its raw `payload`
    serves debugging and re-mapping without re-fetching.
    """

    __tablename__ = "harvest_records"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), primary_key=True
    )
    remote_id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str | None] = mapped_column(Text, default=None)
    dataset_id: Mapped[str | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), default=None
    )
    dataservice_id: Mapped[str | None] = mapped_column(
        ForeignKey("dataservices.id", ondelete="SET NULL"), default=None
    )
    job_id: Mapped[str | None] = mapped_column(String(24), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HarvestPage(Base):
    """What a catalog page held on the last successful run (`moisson.domain.pages`)."""

    __tablename__ = "harvest_pages"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    records: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    next_key: Mapped[str | None] = mapped_column(Text, default=None)
    etag: Mapped[str | None] = mapped_column(Text, default=None)
    last_modified: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --------------------------------------------------------------------------- harvested objects


def contact_identity(
    name: str | None,
    email: str | None,
    contact_form: str | None,
    role: str,
    organization_id: str | None,
    owner_id: str | None,
) -> str:
    """What makes two contact points the same one (udata's get-or-create compares all these
    fields), as a fixed-size digest: a unique index on it lets the database decide between
    two jobs creating the same contact point at once. The digest, not the columns themselves:
    SQL compares NULLs as distinct in a unique index, and a long contact form URL would
    overflow a PostgreSQL index row."""
    values = [name, email, contact_form, role, organization_id, owner_id]
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _identity_default(context: Any) -> str:
    """`contact_identity` of the row being inserted, when the insert does not give it."""
    row = context.get_current_parameters()
    return contact_identity(
        row.get("name"),
        row.get("email"),
        row.get("contact_form"),
        row.get("role") or "contact",
        row.get("organization_id"),
        row.get("owner_id"),
    )


class ContactPoint(IdMixin, Base):
    """Shared between objects (udata's get-or-create): one row per distinct identity."""

    __tablename__ = "contact_points"
    __table_args__ = (Index("ix_contact_points_name_email", "name", "email"),)

    name: Mapped[str | None] = mapped_column(String(255), default=None)
    email: Mapped[str | None] = mapped_column(String(255), default=None)
    contact_form: Mapped[str | None] = mapped_column(Text, default=None)
    role: Mapped[str] = mapped_column(String(32), default="contact")
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), default=None
    )
    identity: Mapped[str] = mapped_column(String(64), unique=True, default=_identity_default)
    """`contact_identity` of the other columns (never updated: a changed contact point is
    another one)."""


class _HarvestedMixin:
    """Columns shared by datasets and dataservices: producer, lifecycle, harvest metadata."""

    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Incremented on every write (optimistic locking); lets tests prove nothing was rewritten."""

    harvest_source_id: Mapped[str | None] = mapped_column(String(24), default=None, index=True)
    harvest_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    harvest_remote_id: Mapped[str | None] = mapped_column(Text, default=None, index=True)
    harvest_backend: Mapped[str | None] = mapped_column(String(64), default=None)
    harvest_source_url: Mapped[str | None] = mapped_column(Text, default=None)
    harvest_remote_url: Mapped[str | None] = mapped_column(Text, default=None)
    harvest_uri: Mapped[str | None] = mapped_column(Text, default=None)
    harvest_dct_identifier: Mapped[str | None] = mapped_column(Text, default=None)
    harvest_created_at: Mapped[datetime | None] = mapped_column(default=None)
    harvest_issued_at: Mapped[datetime | None] = mapped_column(default=None)
    harvest_modified_at: Mapped[datetime | None] = mapped_column(default=None)
    harvest_last_update: Mapped[datetime | None] = mapped_column(default=None)
    harvest_archived_at: Mapped[datetime | None] = mapped_column(default=None)
    harvest_archived_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    harvest_extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Dataset(IdMixin, _HarvestedMixin, Base):
    __tablename__ = "datasets"
    # The published catalog's order: its pages are read by position in it (keyset), so a
    # deep page costs what the first does.
    __table_args__ = (Index("ix_datasets_catalog_order", "created_at", "id"),)
    __mapper_args__ = {"version_id_col": _HarvestedMixin.version}  # noqa: RUF012

    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(Text)
    acronym: Mapped[str | None] = mapped_column(String(128), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    license: Mapped[str | None] = mapped_column(String(128), default=None)
    frequency: Mapped[str] = mapped_column(String(32), default="unknown")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    temporal_start: Mapped[date | None] = mapped_column(Date, default=None)
    temporal_end: Mapped[date | None] = mapped_column(Date, default=None)
    spatial: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    schema: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    access_type: Mapped[str | None] = mapped_column(String(32), default=None)
    access_type_reason_category: Mapped[str | None] = mapped_column(String(64), default=None)
    contact_point_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Ordered ids of `contact_points` rows (shared between objects, as in udata)."""

    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset",
        lazy="raise",
        order_by="Resource.position",
        cascade="all, delete-orphan",
    )


class Resource(IdMixin, Base):
    __tablename__ = "resources"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str | None] = mapped_column(String(255), default=None)
    mime: Mapped[str | None] = mapped_column(String(255), default=None)
    filesize: Mapped[int | None] = mapped_column(BigInteger, default=None)
    checksum_type: Mapped[str | None] = mapped_column(String(16), default=None)
    checksum_value: Mapped[str | None] = mapped_column(Text, default=None)
    type: Mapped[str] = mapped_column(String(16), default="main")
    filetype: Mapped[str] = mapped_column(String(16), default="remote")
    schema: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    harvest: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="resources", lazy="raise")


class Dataservice(IdMixin, _HarvestedMixin, Base):
    __tablename__ = "dataservices"
    __mapper_args__ = {"version_id_col": _HarvestedMixin.version}  # noqa: RUF012

    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    base_api_url: Mapped[str | None] = mapped_column(Text, default=None)
    endpoint_description_url: Mapped[str | None] = mapped_column(Text, default=None)
    machine_documentation_url: Mapped[str | None] = mapped_column(Text, default=None)
    technical_documentation_url: Mapped[str | None] = mapped_column(Text, default=None)
    license: Mapped[str | None] = mapped_column(String(128), default=None)
    format: Mapped[str | None] = mapped_column(String(64), default=None)
    access_type: Mapped[str | None] = mapped_column(String(32), default=None)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    contact_point_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    dataset_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Ids of the datasets this service serves, in link order (append-only,
    docs/udata-backends.md §2.13)."""


class QualityAssessment(IdMixin, Base):
    """The latest assessment of a harvested dataset or dataservice (`moisson.quality`):
    what its source's quality figures are computed from. Replaced at each assessment."""

    __tablename__ = "quality_assessments"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), index=True
    )
    dataset_id: Mapped[str | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), default=None, unique=True
    )
    dataservice_id: Mapped[str | None] = mapped_column(
        ForeignKey("dataservices.id", ondelete="CASCADE"), default=None, unique=True
    )
    job_id: Mapped[str | None] = mapped_column(String(24), default=None)
    """The job that assessed it (not a foreign key: jobs are purged, assessments stay)."""
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    band: Mapped[str | None] = mapped_column(String(16), default=None)
    violations: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    mqa: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    """The MQA evaluation (`moisson.quality.mqa.Evaluation`): what a re-score starts from."""
    results: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)


def url_digest(url: str) -> str:
    """The key of a URL in `url_checks` (URLs are too long for a portable index)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class UrlCheck(Base):
    """The status code a distribution URL answered (MQA URL metrics), once per URL."""

    __tablename__ = "url_checks"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    """The final status code; `None`: no answer (timeout, refused address, transport error)."""
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "ApiKey",
    "ContactPoint",
    "Dataservice",
    "Dataset",
    "HarvestErrorRow",
    "HarvestItem",
    "HarvestJob",
    "HarvestLogRow",
    "HarvestPage",
    "HarvestRecord",
    "HarvestSource",
    "Member",
    "Organization",
    "QualityAssessment",
    "Resource",
    "SourceSlugHistory",
    "UrlCheck",
    "User",
]

# Registered on the same metadata (migrations, `create_all`); kept in their own module.
from moisson.storage.notification_models import (  # noqa: E402
    NotificationAttempt,
    NotificationDelivery,
    NotificationSubscription,
)

__all__ += ["NotificationAttempt", "NotificationDelivery", "NotificationSubscription"]
