"""Enumerations whose values are the exact strings of the harvest API."""

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    INITIALIZING = "initializing"
    INITIALIZED = "initialized"
    PROCESSING = "processing"
    DONE = "done"
    DONE_ERRORS = "done-errors"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in FINAL_JOB_STATUSES


#: Statuses of a job that is waiting for or held by a worker: at most one per source.
ACTIVE_JOB_STATUSES: frozenset[JobStatus] = frozenset(
    {JobStatus.PENDING, JobStatus.INITIALIZING, JobStatus.INITIALIZED, JobStatus.PROCESSING}
)
#: Statuses of a job that has ended, well or badly; the complement of the active ones.
FINAL_JOB_STATUSES: frozenset[JobStatus] = frozenset(
    {JobStatus.DONE, JobStatus.DONE_ERRORS, JobStatus.FAILED}
)


class ItemStatus(StrEnum):
    PENDING = "pending"
    STARTED = "started"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    ARCHIVED = "archived"


class ValidationState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class ItemKind(StrEnum):
    DATASET = "dataset"
    DATASERVICE = "dataservice"


class MemberRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


class ErrorLevel(StrEnum):
    """Level of a `HarvestError` (job or item error) and of a captured log line."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class ArchiveReason(StrEnum):
    NOT_ON_REMOTE = "not-on-remote"
    HARVESTER_DELETED = "harvester-deleted"
    HARVESTER_CLEANED = "harvester-cleaned"


class ResourceType(StrEnum):
    MAIN = "main"
    DOCUMENTATION = "documentation"
    UPDATE = "update"
    API = "api"
    CODE = "code"
    OTHER = "other"


class ChecksumType(StrEnum):
    SHA1 = "sha1"
    SHA2 = "sha2"
    SHA256 = "sha256"
    MD5 = "md5"
    CRC = "crc"


class ContactRole(StrEnum):
    CONTACT = "contact"
    CREATOR = "creator"
    PUBLISHER = "publisher"
    RIGHTS_HOLDER = "rightsHolder"
    CUSTODIAN = "custodian"
    DISTRIBUTOR = "distributor"
    ORIGINATOR = "originator"
    PRINCIPAL_INVESTIGATOR = "principalInvestigator"
    PROCESSOR = "processor"
    RESOURCE_PROVIDER = "resourceProvider"
    USER = "user"


class Frequency(StrEnum):
    """udata's update frequencies (the `frequency` enum of the reference's `DatasetPreview`)."""

    CONTINUOUS = "continuous"
    ONE_MINUTE = "oneMinute"
    FIVE_MINUTES = "fiveMinutes"
    TEN_MINUTES = "tenMinutes"
    FIFTEEN_MINUTES = "fifteenMinutes"
    THIRTY_MINUTES = "thirtyMinutes"
    HOURLY = "hourly"
    BIHOURLY = "bihourly"
    TRIHOURLY = "trihourly"
    TWELVE_HOURS = "twelveHours"
    SEVERAL_TIMES_A_DAY = "severalTimesADay"
    THREE_TIMES_A_DAY = "threeTimesADay"
    SEMIDAILY = "semidaily"
    DAILY = "daily"
    FIVE_TIMES_A_WEEK = "fiveTimesAWeek"
    THREE_TIMES_A_WEEK = "threeTimesAWeek"
    SEMIWEEKLY = "semiweekly"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    THREE_TIMES_A_MONTH = "threeTimesAMonth"
    SEMIMONTHLY = "semimonthly"
    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"
    THREE_TIMES_A_YEAR = "threeTimesAYear"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    BIENNIAL = "biennial"
    TRIENNIAL = "triennial"
    QUADRENNIAL = "quadrennial"
    QUINQUENNIAL = "quinquennial"
    DECENNIAL = "decennial"
    BIDECENNIAL = "bidecennial"
    TRIDECENNIAL = "tridecennial"
    PUNCTUAL = "punctual"
    IRREGULAR = "irregular"
    NEVER = "never"
    NOT_PLANNED = "notPlanned"
    OTHER = "other"
    UNKNOWN = "unknown"
