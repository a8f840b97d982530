"""Typed settings, read once from `MOISSON_*` environment variables (and a `.env` file).

Nested groups use a double underscore: `MOISSON_HARVEST__PREVIEW_MAX_ITEMS=10`,
`MOISSON_HTTP__READ_TIMEOUT=60`. Nothing below the edge (CLI, API app, task) reads the
environment: they receive a `Settings` object.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TESTING = "testing"
    PRODUCTION = "production"


class HttpSettings(BaseModel):
    """Outbound requests to remote catalogs."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    connect_timeout: float = 10.0
    """Seconds to establish a connection."""
    read_timeout: float = 60.0
    """Seconds to wait for each chunk of a response."""
    max_response_bytes: int = 200 * 1024 * 1024
    """A response larger than this is cut and fails (a catalog page that never ends)."""
    max_response_seconds: float = 1800.0
    """A response body still arriving after this many seconds (from the request) is cut and
    fails: `read_timeout` alone bounds each wait, not a body dripped byte by byte."""
    max_retries: int = 3
    """Retries on connect errors, 429 and 5xx, with exponential backoff."""
    backoff_base: float = 1.0
    """First backoff delay in seconds; doubles at each retry."""
    max_retry_after: float = 120.0
    """A longer `Retry-After` than this fails the request instead of sleeping."""
    per_host_concurrency: int = 4
    """At most this many requests in flight to one remote host, across a process."""
    user_agent: str = "Moisson/{version} (open-data harvester; {backend})"
    """`{version}` and `{backend}` are filled in."""


class DatabaseSettings(BaseModel):
    """Waits for database locks (the connection itself is `MOISSON_DATABASE_URL`)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    lock_timeout: float = 5.0
    """Seconds a request waits for a database lock (SQLite's write lock, a PostgreSQL row
    lock) before it is answered 503 with `Retry-After`."""
    worker_lock_timeout: float = 60.0
    """Seconds a background writer (harvest job, scheduler, heartbeats) waits for a lock."""


class HarvestSettings(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    backends: list[str] = Field(
        default_factory=lambda: ["dcat", "csw-dcat", "csw-iso-19139", "ckan", "dkan", "maaf"]
    )
    """Enabled backends, as glob patterns (udata `HARVESTER_BACKENDS`)."""
    enable_manual_run: bool = True
    """If false, only sysadmins may call the run endpoint (udata `HARVEST_ENABLE_MANUAL_RUN`)."""
    preview_max_items: int = 20
    """Items a preview maps at most (udata `HARVEST_PREVIEW_MAX_ITEMS`)."""
    preview_time_budget: float = 60.0
    """Seconds a preview may spend before it stops gathering and answers with what it has."""
    max_items: int | None = None
    """Item cap for real runs; `None` means no cap."""
    default_schedule: str = "0 0 * * *"
    """Cron set on a source when it is accepted."""
    jobs_retention_days: int = 365
    """Finished jobs older than this are purged by the scheduler, once a day."""
    autoarchive_grace_days: int = 7
    """A vanished record's object is archived only if not harvested for this many days."""
    autoarchive_max_ratio: float = 0.5
    """Never archive more than this share of a source's live objects in one job."""
    job_stale_after: float = 600.0
    """Seconds without a heartbeat after which a running job is declared dead."""
    pending_job_timeout: float = 86400.0
    """Seconds a job may stay queued (`pending`) before the watchdog declares it lost."""
    max_resumes: int = Field(default=3, ge=0)
    """Times a job whose worker died is taken up again where its last commit stopped before
    it is failed instead (0: never resume; docs/reliability.md)."""
    heartbeat_interval: float = 15.0
    """Seconds between two heartbeats of the jobs the in-process worker holds."""
    worker_threads: int = 2
    """Jobs run at once by the in-process worker."""
    worker_mode: Literal["auto", "process", "thread"] = "auto"
    """How the in-process worker runs a job: `process` (a child process per job, so the API
    never waits for a harvest's CPU work), `thread` (in the serving process), `auto`
    (`process`, except on SQLite, where the serving process orders all writes itself)."""
    licenses_file: Path | None = None
    """A JSON licence list replacing the shipped data.gouv.fr one."""
    language: str = "fr"
    """Preferred language of harvested texts; then English, then any (udata `DEFAULT_LANGUAGE`)."""


class QualitySettings(BaseModel):
    """Assessment of what is harvested: DCAT-AP SHACL validation and MQA score (docs/quality.md)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    enabled: bool = False
    """Validate every mapped record against the DCAT-AP 3.0.1 shapes and score it (MQA). Off by
    default: a first harvest then costs the machine about 3 times the CPU, most of it in a
    separate process (bench/README.md)."""
    batch_size: int = 20
    """Records validated in one engine call: a call costs ~2 ms and the engine's time grows
    faster than the size of its data graph, so small batches are cheapest (bench_quality)."""
    separate_process: bool = True
    """Validate and score in a child process beside the harvest (on another core), whose
    results are stored as they come back, the last ones once the job has ended; previews and
    sources whose violations fail items are assessed in the harvesting process."""
    points_file: Path | None = None
    """A JSON MQA points file replacing the shipped one (`moisson/data/mqa_points.json`)."""
    url_checks: bool = True
    """After a job (never a preview), ask the access and download URLs of the datasets it
    assessed whether they answer 2xx (MQA URL metrics, 80 of 405 points) and re-score them; a
    URL is asked once, later jobs reuse its status."""
    url_checks_max_per_job: int = Field(default=1000, ge=0)
    """URLs asked after one job at most; the others stay unchecked until a later job."""
    url_checks_per_host_interval: float = Field(default=1.0, ge=0)
    """Seconds at least between two URL checks on one host."""
    url_checks_timeout: float = Field(default=10.0, gt=0)
    """Seconds a URL check waits for an answer (no answer: the metric is not met)."""


class CatalogSettings(BaseModel):
    """The DCAT catalog Moisson publishes (`/api/1/site/catalog`)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    title: str = "Moisson catalog"
    """`dct:title` of the site catalog."""
    description: str = "Datasets and data services harvested by Moisson"
    """`dct:description` of the site catalog."""
    publisher: str = "Moisson"
    """`foaf:name` of the catalog's publisher (the portal operator)."""


class NotificationSettings(BaseModel):
    """E-mail and webhook notifications of harvest events."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    smtp_host: str = ""
    """SMTP server for e-mail notifications; empty: e-mail subscriptions are not sent."""
    smtp_port: int = 25
    """SMTP port (587 with `starttls`, 465 with `tls`)."""
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    """`starttls` upgrades a plain connection; `tls` connects over TLS from the start."""
    smtp_username: str = ""
    """SMTP login; empty: no authentication."""
    smtp_password: str = ""
    """SMTP password (with `smtp_username`)."""
    sender: str = "moisson@localhost"
    """The `From` address of notification e-mails."""
    smtp_timeout: float = 30.0
    """Seconds to wait for the SMTP server."""
    digest_hour: int = Field(default=7, ge=0, le=23)
    """Hour (UTC) at which daily digests gather the previous events into one e-mail."""
    webhook_timeout: float = 10.0
    """Seconds a webhook receiver has to answer."""
    max_attempts: int = 8
    """Attempts of one delivery before it is given up (`failed`)."""
    retry_backoff: float = 30.0
    """Seconds before the second attempt; doubles at each further attempt (capped at 6 h)."""
    poll_interval: float = 5.0
    """Seconds between two passes of the delivery queue."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        use_attribute_docstrings=True,
        env_prefix="MOISSON_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    environment: Environment = Environment.DEVELOPMENT
    """`development`, `testing` or `production` (production refuses the default secret key)."""
    database_url: str = "sqlite:///./var/moisson.db"
    """SQLAlchemy URL. PostgreSQL: `postgresql+psycopg://user@host/db`."""
    broker_url: str = ""
    """Empty: jobs run in the in-process worker. `redis://...` or `amqp://...`: Celery."""
    celery_queue: str = "moisson"
    """Prefix of the Celery queue names (`<prefix>.harvest`); lets deployments share a broker."""
    outbound_allow_networks: Annotated[
        list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode
    ] = Field(default_factory=list)
    """Comma-separated CIDRs exempt from the SSRF guard (an intranet portal, tests)."""
    secret_key: str = "dev-insecure-secret-key"  # noqa: S105 (refused in production below)
    """Signs admin session cookies and derives the key encrypting source credentials. Must
    be changed in production."""
    previous_secret_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated former secret keys, still accepted to decrypt source credentials
    while `moisson secrets rotate` re-encrypts them (README, key rotation)."""
    max_request_bytes: int = 1024 * 1024
    """A request body to the API larger than this is refused with 413 before it is parsed."""
    public_url: str = "http://127.0.0.1:7000"
    """Base URL used to build absolute links (`next_page`, `uri`, `page`)."""
    log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object per line (for log shippers); `text`: readable lines."""
    log_level: str = "INFO"
    """Level of the root logger: `DEBUG`, `INFO`, `WARNING`..."""
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    harvest: HarvestSettings = Field(default_factory=HarvestSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    """DCAT-AP validation and MQA score of harvested records (`MOISSON_QUALITY__*`)."""
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    """How the published DCAT catalog describes itself."""
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    """E-mail (SMTP) and webhook delivery of harvest events."""

    @field_validator("outbound_allow_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("secret_key")
    @classmethod
    def _refuse_default_secret_in_production(cls, value: str, info: object) -> str:
        data = getattr(info, "data", {})
        if data.get("environment") == Environment.PRODUCTION and value.startswith("dev-"):
            raise ValueError("MOISSON_SECRET_KEY must be set to a real secret in production")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
