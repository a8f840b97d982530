"""MAAF "ETALAB" XML descriptors -> `DatasetDraft` (docs/udata-backends.md §9.2 and §9.3).

The French agriculture ministry publishes one descriptor per dataset: a root `ETALAB` (no
namespace) holding `metadata` (and an optional `digest`). udata validates descriptors with a
strict schema; we fail an item only for what makes a dataset impossible (no `id`, no `title`)
and for vocabulary values udata refuses too (`frequency` outside the French list, `license_id`
other than the fixed `fr-lo`). Everything else that is off becomes a warning on the item's log,
and so do departures from `maaf.xsd` (real descriptors do not follow it).

Where udata loses information we keep it:
- temporal coverage is mapped when present (udata's schema forces it to be empty);
- spatial coverage is mapped from `territorial_coverage` (udata reads the wrong level and never
  sets it). Known codes become udata zones and a granularity (the table udata intended); codes
  or granularities outside that table are kept verbatim in `extras`, since MAAF gives no
  geometry and we have no zone table to resolve INSEE codes against.
- `maintainer`/`author` (with their e-mails) become contact points (udata keeps none);
- each data file is paired with the `.cle` checksum file of the same name (udata gives the
  first `.cle` to every CSV).

Everything here is pure: the `.cle` texts are fetched by the backend and handed in.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from posixpath import splitext
from typing import Any, TypeGuard
from urllib.parse import unquote, urlsplit

from lxml import etree

from moisson.domain.drafts import (
    Checksum,
    ContactPointDraft,
    DatasetDraft,
    ResourceDraft,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import ChecksumType, ContactRole, Frequency
from moisson.domain.exceptions import InvalidItem
from moisson.mapping.contacts import contact_point
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.text import normalize_tags, sanitize_description
from moisson.mapping.values import WEB_SCHEMES, is_link, iso_instant, period_span
from moisson.mapping.xml import XmlError, parse_xml

_log = logging.getLogger(__name__)

#: The French update frequencies udata accepts, and their udata value (docs/udata-backends.md §9.3).
FREQUENCIES: dict[str, Frequency] = {
    "ponctuelle": Frequency.PUNCTUAL,
    "temps réel": Frequency.CONTINUOUS,
    "quotidienne": Frequency.DAILY,
    "hebdomadaire": Frequency.WEEKLY,
    "bimensuelle": Frequency.SEMIMONTHLY,
    "mensuelle": Frequency.MONTHLY,
    "bimestrielle": Frequency.BIMONTHLY,
    "trimestrielle": Frequency.QUARTERLY,
    "semestrielle": Frequency.SEMIANNUAL,
    "annuelle": Frequency.ANNUAL,
    "triennale": Frequency.TRIENNIAL,
    "quinquennale": Frequency.QUINQUENNIAL,
    "aucune": Frequency.UNKNOWN,
}

#: `territorial_coverage_code` -> udata zone id (the mapping udata intended,
#: docs/udata-backends.md §9.3).
ZONES: dict[str, str] = {
    "country/fr": "country/fr",
    "country/monde": "country-group/world",
}

#: `territorial_coverage_granularity` -> udata spatial granularity (docs/udata-backends.md §9.3).
GRANULARITIES: dict[str, str] = {
    "commune": "fr/town",
    "france": "country",
    "pays": "country",
}

#: The only licence a MAAF descriptor may declare (`fixed="fr-lo"` in maaf.xsd).
MAAF_LICENSE_ID = "fr-lo"

CHECKSUM_FORMAT = "cle"
"""Resources of this format are SHA-256 files of a data file, not resources of their own."""

# The notice maaf.xsd (element `notes`) asks publishers to show next to their files: the
# ministry's server uses a certificate of the French state's own authority (IGC/A).
CERTIFICATE_NOTE = (
    "Le site exposant les données est protégé par un certificat délivré par l'IGC/A "
    "(IGC officielle de l'État). Une exception de sécurité peut apparaître si votre navigateur "
    "ne reconnait pas cette autorité : vous trouverez la procédure à suivre pour éviter une "
    "telle alerte à l'adresse : "
    "http://www.ssi.gouv.fr/fr/anssi/services-securises/igc-a/"
    "modalites-de-verification-du-certificat-de-l-igc-a-rsa-4096.html"
)

MAX_XSD_PROBLEMS = 20
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})


# --- parsing ------------------------------------------------------------------------------


def parse_descriptor(text: str | bytes) -> etree._Element:
    """Parse a descriptor with the hardened parser and return its root element.

    Bytes are decoded as their XML declaration says; text is taken as it is.

    Raises `InvalidItem` when it is not well-formed XML or declares a DTD: a DOCTYPE is
    refused outright (entities are the XXE and billion-laughs vectors), and the message never
    quotes the document, so nothing an entity points at can leak into the job.
    """
    try:
        root = parse_xml(text)
    except XmlError as exc:
        raise InvalidItem(f"The descriptor cannot be read: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InvalidItem(
            "The descriptor declares a DTD (<!DOCTYPE ...>); DTDs and entities are refused "
            "for security (XXE), MAAF descriptors need none"
        )
    return root


def descriptor_id(root: etree._Element) -> str | None:
    """The dataset identifier (`metadata/id`), the item's remote id
    (docs/udata-backends.md §9.1)."""
    metadata = _child(root, "metadata")
    return _text(metadata, "id") if metadata is not None else None


# --- XSD ----------------------------------------------------------------------------------


# lxml schema validators keep per-call state (their error log): one per thread.
_local = threading.local()


def _schema() -> etree.XMLSchema:
    if not hasattr(_local, "schema"):
        xsd = resources.files("moisson").joinpath("data/maaf.xsd").read_bytes()
        _local.schema = etree.XMLSchema(parse_xml(xsd))
    schema: etree.XMLSchema = _local.schema
    return schema


def xsd_problems(root: etree._Element) -> list[str]:
    """Where the descriptor departs from maaf.xsd, one line per problem (at most 20 + a count).

    udata ignores the result of this validation; we report it as warnings.
    """
    schema = _schema()
    if schema.validate(root):
        return []
    problems = [f"line {error.line}: {error.message}" for error in schema.error_log]
    if len(problems) > MAX_XSD_PROBLEMS:
        extra = len(problems) - MAX_XSD_PROBLEMS
        problems = [*problems[:MAX_XSD_PROBLEMS], f"... and {extra} more"]
    return problems


# --- validation errors (docs/udata-backends.md §1.6 format) ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Problem:
    path: str
    text: str
    value: str | None = None

    def __str__(self) -> str:
        suffix = "" if self.value is None else f": {self.value}"
        return f"[{self.path}] {self.text}{suffix}"


def _validation_error(problems: list[_Problem]) -> InvalidItem:
    return InvalidItem("Validation error:" + "".join(f"\n- {p}" for p in problems))


# --- mapping --------------------------------------------------------------------------------


def dataset_from_maaf(
    root: etree._Element,
    *,
    licenses: LicenseTable,
    checksums: Mapping[str, str],
    now: datetime,
    log: logging.Logger | None = None,
) -> DatasetDraft:
    """Map a parsed descriptor to a dataset draft.

    `checksums` maps a `.cle` URL to the text served there (see `checksum_urls`); `now` is a
    naive UTC datetime, used to drop modification dates in the future. Raises `InvalidItem`
    (message in docs/udata-backends.md §1.6 format) for a missing id or title or an invalid
    frequency or licence; anything else odd is logged as a warning on `log` and mapped as well as it
    can.
    """
    log = log or _log
    if _local_name(root) != "ETALAB":
        raise _validation_error([_Problem(_local_name(root), "root element should be ETALAB")])
    metadata = _child(root, "metadata")
    if metadata is None:
        raise _validation_error([_Problem("metadata", "required key not provided")])

    problems: list[_Problem] = []
    for name in ("id", "title"):
        if _child(metadata, name) is None:
            problems.append(_Problem(f"metadata.{name}", "required key not provided"))
        elif _text(metadata, name) is None:
            problems.append(_Problem(f"metadata.{name}", "expected a non-empty string"))
    frequency = frequency_from_maaf(metadata, problems, log)
    license_id = license_from_maaf(metadata, licenses, problems, log)
    if problems:
        raise _validation_error(problems)

    return DatasetDraft(
        title=_text(metadata, "title") or "",
        description=description_from_maaf(_text(metadata, "notes")),
        tags=tags_from_maaf(metadata),
        license=license_id,
        frequency=frequency,
        private=private_from_maaf(metadata, log),
        temporal_coverage=temporal_from_maaf(metadata, log),
        spatial=spatial_from_maaf(metadata, log),
        resources=resources_from_maaf(metadata, checksums, now, log),
        extras=extras_from_maaf(metadata, log),
        contact_points=contacts_from_maaf(metadata, log),
    )


def frequency_from_maaf(
    metadata: etree._Element, problems: list[_Problem], log: logging.Logger
) -> Frequency | None:
    raw = _text(metadata, "frequency")
    if raw is None:
        log.warning("No frequency in the descriptor: the dataset's frequency is left unchanged")
        return None
    frequency = FREQUENCIES.get(raw.lower())
    if frequency is None:
        allowed = ", ".join(sorted(FREQUENCIES))
        problems.append(_Problem("metadata.frequency", f"value must be one of {allowed}", raw))
    return frequency


def license_from_maaf(
    metadata: etree._Element,
    licenses: LicenseTable,
    problems: list[_Problem],
    log: logging.Logger,
) -> str | None:
    raw = _text(metadata, "license_id")
    if raw is None:
        log.warning("No license_id in the descriptor: the licence is left unspecified")
        return None
    if raw.lower() != MAAF_LICENSE_ID:
        text = f"not a valid value (MAAF descriptors must use {MAAF_LICENSE_ID})"
        problems.append(_Problem("metadata.license_id", text, raw))
        return None
    found = licenses.guess(MAAF_LICENSE_ID)
    if found is None:
        problems.append(_Problem("metadata.license_id", "not in the licence table", raw))
    return found


def description_from_maaf(notes: str | None) -> str:
    """Whitespace runs collapsed (udata normalises `notes`), HTML turned into Markdown."""
    return sanitize_description(_collapse(notes))


def tags_from_maaf(metadata: etree._Element) -> tuple[str, ...]:
    raw = _text(metadata, "tags") or ""
    return normalize_tags(raw.split(","))


def private_from_maaf(metadata: etree._Element, log: logging.Logger) -> bool:
    raw = _text(metadata, "private")
    if raw is None or raw.lower() in _FALSE:
        return False
    if raw.lower() in _TRUE:
        return True
    log.warning("private=%r is not a boolean (0, 1, true, false): the dataset is public", raw)
    return False


def temporal_from_maaf(metadata: etree._Element, log: logging.Logger) -> TemporalCoverage | None:
    raw_start = _text(metadata, "temporal_coverage_from")
    raw_end = _text(metadata, "temporal_coverage_to")
    if raw_start is None and raw_end is None:
        return None
    start = _period_bound(raw_start, first=True)
    end = _period_bound(raw_end, first=False)
    if start is None:
        log.warning(
            "Temporal coverage dropped: temporal_coverage_from %r is not an ISO 8601 date",
            raw_start,
        )
        return None
    if raw_end is not None and end is None:
        log.warning("temporal_coverage_to %r is not an ISO 8601 date: ignored", raw_end)
    if end is not None and end < start:
        log.warning("Temporal coverage dropped: it ends (%s) before it starts (%s)", end, start)
        return None
    return TemporalCoverage(start=start, end=end)


def spatial_from_maaf(metadata: etree._Element, log: logging.Logger) -> SpatialCoverage | None:
    """Known codes -> udata zones, known granularity -> udata granularity; the rest is kept
    verbatim in extras by `extras_from_maaf`."""
    coverage = _child(metadata, "territorial_coverage")
    if coverage is None:
        return None
    codes = _territorial_codes(coverage)
    zones = tuple(dict.fromkeys(ZONES[c.lower()] for c in codes if c.lower() in ZONES))
    unknown = [c for c in codes if c.lower() not in ZONES]
    if unknown:
        log.warning("Territories without a known zone, kept in extras: %s", ", ".join(unknown))
    raw_granularity = _text(coverage, "territorial_coverage_granularity")
    granularity = GRANULARITIES.get(raw_granularity.lower()) if raw_granularity else None
    if raw_granularity and granularity is None:
        log.warning("Unknown territorial granularity %r, kept in extras", raw_granularity)
    if not zones and granularity is None:
        return None
    return SpatialCoverage(zones=zones, granularity=granularity)


def _territorial_codes(coverage: etree._Element) -> list[str]:
    """maaf.xsd: a comma-separated list of `type/code` territories."""
    raw = _text(coverage, "territorial_coverage_code") or ""
    return [code.strip() for code in raw.split(",") if code.strip()]


def contacts_from_maaf(
    metadata: etree._Element, log: logging.Logger
) -> tuple[ContactPointDraft, ...] | None:
    """`maintainer*` as the contact, `author*` as the creator (the extras keep the raw
    values too); `None` when neither is usable, so that local contact points stay."""
    found = [
        contact
        for role, key in ((ContactRole.CONTACT, "maintainer"), (ContactRole.CREATOR, "author"))
        if (
            contact := contact_point(
                role, _text(metadata, key), _text(metadata, f"{key}_email"), log
            )
        )
        is not None
    ]
    return tuple(found) or None


def extras_from_maaf(metadata: etree._Element, log: logging.Logger) -> dict[str, Any]:
    """Contacts (when given), every `extras` key/value, and the unmapped territorial values."""
    extras: dict[str, Any] = {}
    for name in ("author", "author_email", "maintainer", "maintainer_email"):
        value = _text(metadata, name)
        if value:
            extras[name] = value
    for entry in _children(metadata, "extras"):
        key = _text(entry, "key")
        if key is None:
            log.warning("An extras entry has no key: ignored")
            continue
        extras[key] = _text(entry, "value") or ""
    coverage = _child(metadata, "territorial_coverage")
    if coverage is not None:
        if any(code.lower() not in ZONES for code in _territorial_codes(coverage)):
            extras["territorial_coverage_code"] = _text(coverage, "territorial_coverage_code")
        granularity = _text(coverage, "territorial_coverage_granularity")
        if granularity and granularity.lower() not in GRANULARITIES:
            extras["territorial_coverage_granularity"] = granularity
    return extras


# --- resources and checksums ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """One `resources` element, read as plain strings."""

    name: str | None
    description: str | None
    format: str | None
    url: str | None
    last_modified: str | None

    @classmethod
    def read(cls, element: etree._Element) -> _Row:
        fmt = _text(element, "format")
        return cls(
            name=_text(element, "name"),
            description=_text(element, "description"),
            format=fmt.lower() if fmt else None,
            url=_text(element, "url"),
            last_modified=_text(element, "last_modified"),
        )

    @property
    def is_checksum(self) -> bool:
        return self.format == CHECKSUM_FORMAT


def _rows(metadata: etree._Element) -> list[_Row]:
    return [_Row.read(element) for element in _children(metadata, "resources")]


def _pair_checksums(rows: list[_Row]) -> dict[int, str]:
    """Index of a data row -> URL of its `.cle` row.

    The ministry names a data file and its signature alike (`<id>_<date>.csv` and
    `<id>_<date>.cle`), so pairing is by file name. A descriptor with exactly one CSV and one
    `.cle` of different names still pairs them: that is the only case where udata's rule
    (the first `.cle` for every CSV) is right.
    """
    cles = [row.url for row in rows if row.is_checksum and _is_absolute_http_url(row.url)]
    data = [(i, r.url, r.format) for i, r in enumerate(rows) if not r.is_checksum and r.url]
    by_stem = {_url_stem(url): url for url in cles}
    pairs = {i: by_stem[_url_stem(url)] for i, url, _ in data if _url_stem(url) in by_stem}
    csvs = [i for i, _, fmt in data if fmt == "csv"]
    if not pairs and len(cles) == 1 and len(csvs) == 1:
        pairs[csvs[0]] = cles[0]
    return pairs


def checksum_urls(root: etree._Element) -> tuple[str, ...]:
    """The `.cle` URLs `dataset_from_maaf` will read, for the backend to fetch beforehand."""
    metadata = _child(root, "metadata")
    if metadata is None:
        return ()
    return tuple(dict.fromkeys(_pair_checksums(_rows(metadata)).values()))


def resources_from_maaf(
    metadata: etree._Element,
    checksums: Mapping[str, str],
    now: datetime,
    log: logging.Logger,
) -> tuple[ResourceDraft, ...]:
    rows = _rows(metadata)
    pairs = _pair_checksums(rows)
    drafts = []
    for index, row in enumerate(rows):
        if row.is_checksum:
            continue
        if not _is_absolute_http_url(row.url):
            log.warning("Resource %r skipped: %r is not an absolute http(s) URL", row.name, row.url)
            continue
        cle_url = pairs.get(index)
        drafts.append(
            ResourceDraft(
                url=row.url,
                title=row.name or _file_name(row.url),
                description=_resource_description(row.description),
                format=row.format,
                checksum=_checksum(cle_url, checksums, log) if cle_url else None,
                last_modified=_last_modified(row, now, log),
            )
        )
    return tuple(drafts)


def _resource_description(description: str | None) -> str:
    text = _collapse(description)
    return f"{text}\n\n{CERTIFICATE_NOTE}" if text else CERTIFICATE_NOTE


def _checksum(url: str, checksums: Mapping[str, str], log: logging.Logger) -> Checksum | None:
    text = checksums.get(url)
    if text is None:
        log.warning("Checksum file %s could not be read: resource kept without checksum", url)
        return None
    tokens = text.split()
    # `sha256sum` style files carry the file name after the digest: keep the first token.
    if not tokens or not _SHA256_HEX.match(tokens[0]):
        log.warning("Checksum file %s does not hold a SHA-256 hex digest: ignored", url)
        return None
    return Checksum(type=ChecksumType.SHA256, value=tokens[0].lower())


def _last_modified(row: _Row, now: datetime, log: logging.Logger) -> datetime | None:
    if row.last_modified is None:
        return None
    value = _parse_datetime(row.last_modified)
    if value is None:
        log.warning("Resource %r: last_modified %r is not a date", row.name, row.last_modified)
        return None
    if value > now:
        log.warning("Resource %r: last_modified %s is in the future: ignored", row.name, value)
        return None
    return value


# --- small readers ----------------------------------------------------------------------------


def _local_name(element: etree._Element) -> str:
    name: str = etree.QName(element).localname
    return name


def _children(parent: etree._Element, name: str) -> Iterator[etree._Element]:
    # Matching local names keeps a descriptor that wrongly declares a default namespace usable.
    for child in parent:
        if isinstance(child.tag, str) and _local_name(child) == name:
            yield child


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return next(_children(parent, name), None)


def _text(parent: etree._Element, name: str) -> str | None:
    """The stripped text of the first child called `name`; `None` when absent or empty."""
    child = _child(parent, name)
    if child is None:
        return None
    text = "".join(child.itertext()).strip()
    return text or None


def _collapse(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _is_absolute_http_url(url: str | None) -> TypeGuard[str]:
    return is_link(url, schemes=WEB_SCHEMES, spaces=True)


def _url_stem(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{splitext(unquote(parts.path))[0]}"


def _file_name(url: str) -> str:
    name: str = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name or url


def _parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 date or datetime, as naive UTC (docs/udata-backends.md §10.9)."""
    return iso_instant(text)


def _period_bound(text: str | None, *, first: bool) -> date | None:
    """A date, or the first/last day of a year (`2013`) or month (`2013-12`), as maaf.xsd
    documents for `temporal_coverage_from` / `temporal_coverage_to`."""
    if text is None:
        return None
    if span := period_span(text):
        return span[0] if first else span[1]
    value = _parse_datetime(text)
    return value.date() if value is not None else None
