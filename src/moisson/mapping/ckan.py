"""CKAN (and DKAN) package payloads: tolerant pydantic models, then package → `DatasetDraft`.

The models accept whatever CKAN itself accepts (docs/design.md §4): `null` resource types, missing
optional keys, ckanext-fluent language dictionaries, sizes as numbers, numeric strings or
DKAN's `"42 octets"`, French DKAN dates, trailing spaces. A package fails only for what makes
a dataset impossible: no id, no title, or a value of the wrong shape where a list or an
object is required. Unparseable dates and sizes are dropped, not fatal.

Validation failures become `InvalidItem` with udata's message format (docs/udata-backends.md §1.6):
`Validation error:` then one `- [field.path] message: value` line per problem.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urljoin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from moisson.domain.drafts import (
    Checksum,
    DatasetDraft,
    HarvestMeta,
    ResourceDraft,
    ResourceHarvestMeta,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import ChecksumType, Frequency, ResourceType
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping import ckan_fields
from moisson.mapping.frequencies import frequency_from_any
from moisson.mapping.language import DEFAULT_LANGUAGE, pick_language
from moisson.mapping.licenses import NOT_SPECIFIED, LicenseTable
from moisson.mapping.text import normalize_tags, sanitize_description
from moisson.mapping.values import WEB_SCHEMES, is_link, iso_instant, naive, period_span

_log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- value parsers


_FRENCH_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "février": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "août": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    "décembre": 12,
}
# DKAN renders dates day first, with a French weekday and noise around them:
# `mar, 10/12/2019 - 09:23`, `Date changed  jeu, 19/12/2019 - 03:00`.
_DAY_FIRST = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b(?:\D{0,5}(\d{1,2}):(\d{2}))?")
_FRENCH_LONG = re.compile(
    r"\b(\d{1,2})(?:er)?\s+(" + "|".join(_FRENCH_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE
)


def parse_datetime(value: Any) -> datetime | None:
    """A CKAN or DKAN date as a naive UTC datetime, or `None` when it cannot be read.

    Accepts ISO 8601 (with or without time and offset), DKAN's day-first French renderings
    and `10 décembre 2019`. Years or months alone are read as their first day.
    """
    if isinstance(value, datetime):
        return naive(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1e8:
        # Seconds since the epoch (older DCAT-AP CH APIs give `issued`, `temporals` so).
        try:
            return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):  # past year 9999: not a date
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if (instant := iso_instant(text)) is not None:
        return instant
    if re.fullmatch(r"\d{4}", text):
        return datetime(int(text), 1, 1)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        return _safe_datetime(int(match[1]), int(match[2]), 1)
    if match := _DAY_FIRST.search(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        hour, minute = (int(match[4]), int(match[5])) if match[4] else (0, 0)
        return _safe_datetime(year, month, day, hour, minute)
    if match := _FRENCH_LONG.search(text):
        return _safe_datetime(int(match[3]), _FRENCH_MONTHS[match[2].lower()], int(match[1]))
    return None


def _safe_datetime(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return None


def parse_period_bound(value: Any, *, end: bool) -> date | None:
    """A temporal coverage bound: `YYYY` and `YYYY-MM` stretch to the first day (start) or
    the last day (end) of the period; a full date is kept (docs/udata-backends.md §6.2)."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if span := period_span(text, one_digit_month=True):
        return span[1] if end else span[0]
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zA-Z]*)")
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "o": 1,
    "octet": 1,
    "octets": 1,
    **{f"{p}{s}": 1000**i for i, p in enumerate("kmgtp", 1) for s in ("", "b", "o")},
    **{f"{p}i{s}": 1024**i for i, p in enumerate("kmgtp", 1) for s in ("b", "o")},
}


def parse_size(value: Any) -> int | None:
    """A size in bytes from a number, a numeric string or a human size (`42 octets`,
    `1,5 Mo`, `2 KiB`); `None` when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _SIZE.fullmatch(value.strip())
    if not match:
        return None
    factor = _SIZE_UNITS.get(match[2].lower())
    if factor is None:
        return None
    return int(float(match[1].replace(",", ".")) * factor)


_HASH_TYPES = {32: ChecksumType.MD5, 40: ChecksumType.SHA1, 64: ChecksumType.SHA256}
_HASH_PREFIXES = {
    "md5": ChecksumType.MD5,
    "sha1": ChecksumType.SHA1,
    "sha256": ChecksumType.SHA256,
    "sha-256": ChecksumType.SHA256,
    "sha-1": ChecksumType.SHA1,
}
_HEX = re.compile(r"[0-9a-fA-F]+")


def checksum_from_hash(value: str | None) -> Checksum | None:
    """CKAN's free-text `hash`: an `algo:hex` pair, else a hex digest whose length names the
    algorithm (32 md5, 40 sha1, 64 sha256). Anything else is not a usable checksum."""
    if not value:
        return None
    algorithm, _, digest = value.strip().rpartition(":")
    if not _HEX.fullmatch(digest):
        return None
    if algorithm:
        declared = _HASH_PREFIXES.get(algorithm.lower())
        return Checksum(type=declared, value=digest.lower()) if declared else None
    guessed = _HASH_TYPES.get(len(digest))
    return Checksum(type=guessed, value=digest.lower()) if guessed else None


def is_web_url(value: str | None) -> bool:
    return is_link(value, schemes=WEB_SCHEMES)


def site_root(url: str) -> str:
    """The CKAN site root of a source URL, with a trailing slash.

    Unlike udata's `urljoin`, a root without a trailing slash keeps its last segment
    (`https://x.org/portal` is the site `https://x.org/portal/`), and a pasted API URL is cut
    back to its site (`https://x.org/api/3/action/package_list` is `https://x.org/`).
    """
    root = url.strip()
    cut = re.search(r"/api(/\d+)?(/action)?(/[^/]*)?/?$", root)
    if cut:
        root = root[: cut.start()]
    return root.rstrip("/") + "/"


def remote_url_from_ckan(package: Mapping[str, Any], site_url: str) -> str | None:
    """The page of a package: its `url` when that is a web URL (udata's rule,
    docs/udata-backends.md §6.2), else `ckan_url` (CKAN API v1/v2), else
    `<site>/dataset/<name or id>`."""
    for key in ("url", "ckan_url"):
        candidate = package.get(key)
        if isinstance(candidate, str) and is_web_url(candidate.strip()):
            return candidate.strip()
    slug = package.get("name") or package.get("id")
    if not isinstance(slug, (str, int)) or not str(slug).strip():
        return None
    return f"{site_root(site_url)}dataset/{str(slug).strip()}"


# --------------------------------------------------------------------------- wire models


def _lang(info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, Mapping) else {}
    return str(context.get("lang") or DEFAULT_LANGUAGE)


def _clean_text(value: Any, info: ValidationInfo) -> Any:
    """Language dicts resolved, numbers as text, CRLF → LF, trimmed; blank → `None`."""
    if isinstance(value, Mapping):
        value = pick_language(value, _lang(info))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip() or None
    return value


def _required_text(value: Any, info: ValidationInfo) -> Any:
    cleaned = _clean_text(value, info)
    if cleaned is None:
        raise PydanticCustomError("blank", "must not be blank")
    return cleaned


def _boolean(value: Any) -> bool:
    """CKAN's boolean converter (docs/udata-backends.md §6.4), with `None` and blank read as
    false."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "f", "false", "n", "no", "off", "0"):
            return False
        if text in ("t", "true", "y", "yes", "on", "1"):
            return True
    raise PydanticCustomError("boolean", "expected a boolean")


Text = Annotated[str | None, BeforeValidator(_clean_text)]
RequiredText = Annotated[str, BeforeValidator(_required_text)]
LenientDatetime = Annotated[datetime | None, BeforeValidator(parse_datetime)]
Flag = Annotated[bool, BeforeValidator(_boolean)]


class _CkanModel(BaseModel):
    # CKAN instances add keys freely (scheming fields, plugins): keep them, never refuse them.
    model_config = ConfigDict(extra="allow", frozen=True)


class CkanTag(_CkanModel):
    name: Text = None
    display_name: Text = None
    state: Text = None


class CkanOrganization(_CkanModel):
    id: Text = None
    name: Text = None
    title: Text = None
    description: Text = None


class CkanExtra(_CkanModel):
    key: str
    value: Any = None


class CkanResource(_CkanModel):
    id: Text = None
    url: Text = None
    name: Text = None
    description: Text = None
    format: Text = None
    mimetype: Text = None
    size: Any = None
    hash: Text = None
    created: Any = None
    last_modified: Any = None
    resource_type: Text = None
    state: Text = None

    @model_validator(mode="before")
    @classmethod
    def _conventions(cls, data: Any) -> Any:
        # ckanext-fluent `*_translated`, then the DCAT names ckanext-dcat and DCAT-AP CH
        # use where plain CKAN's are missing.
        if isinstance(data, Mapping):
            data = dict(data)
            for field, others in _RESOURCE_ALIASES.items():
                if ckan_fields.blank(data.get(field)):
                    data[field] = ckan_fields.first(data, *others)
        return data


_RESOURCE_ALIASES = {
    "name": ("name_translated", "title_translated", "title"),
    "description": ("description_translated",),
    "url": ("download_url", "access_url"),
    "mimetype": ("media_type", "mediaType"),
    "size": ("byte_size", "byteSize", "resource_size"),
    "created": ("issued",),
    "last_modified": ("modified",),
}


class CkanPackage(_CkanModel):
    id: RequiredText
    title: RequiredText
    name: Text = None
    notes: Text = None
    url: Text = None
    ckan_url: Text = None
    license_id: Text = None
    license_title: Text = None
    license_url: Text = None
    tags: list[CkanTag] = Field(default_factory=list)
    resources: list[CkanResource] = Field(default_factory=list)
    extras: list[CkanExtra] = Field(default_factory=list)
    organization: CkanOrganization | None = None
    private: Flag = False
    state: Text = None
    type: Text = None
    metadata_created: LenientDatetime = None
    metadata_modified: LenientDatetime = None

    @model_validator(mode="before")
    @classmethod
    def _prefer_translated_fields(cls, data: Any) -> Any:
        # ckanext-fluent keeps the plain field and adds `<field>_translated` dictionaries.
        # DCAT-AP CH and ckanext-dcat scheming portals put the description in `description`
        # (a text or a language dictionary) and leave `notes` out.
        if isinstance(data, Mapping):
            data = dict(data)
            for field in ("title", "notes"):
                translated = data.get(f"{field}_translated")
                if isinstance(translated, Mapping) and any(translated.values()):
                    data[field] = translated
            if ckan_fields.blank(data.get("notes")):
                data["notes"] = ckan_fields.first(data, "description_translated", "description")
        return data

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: Any, info: ValidationInfo) -> Any:
        value = ckan_fields.decode_json(value)
        if isinstance(value, Mapping):  # fluent tags: {"fr": [...], "en": [...]}
            value = pick_language(value, _lang(info))
        if value is None:
            return []
        if isinstance(value, str):  # a comma-separated tag string
            value = value.split(",")
        if isinstance(value, list):
            return [{"name": tag} if isinstance(tag, str) else tag for tag in value]
        return value

    @field_validator("resources", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("extras", mode="before")
    @classmethod
    def _extras_list(cls, value: Any) -> Any:
        # Extras come as `[{key, value}]`, or as a plain object on some CKAN-alikes; entries
        # without a usable key carry nothing we could store, so they are dropped.
        if value is None:
            return []
        if isinstance(value, Mapping):
            return [{"key": str(k), "value": v} for k, v in value.items()]
        if isinstance(value, list):
            return [e for e in value if isinstance(e, Mapping) and isinstance(e.get("key"), str)]
        return value

    @field_validator("organization", mode="before")
    @classmethod
    def _organization(cls, value: Any) -> Any:
        if isinstance(value, str):  # old APIs give the organization's name only
            return {"name": value} if value.strip() else None
        return value


def format_validation_error(error: ValidationError) -> str:
    """Udata's message (docs/udata-backends.md §1.6): one `- [path] message: value` line per error,
    without the value for a missing key."""
    lines = ["Validation error:"]
    for problem in error.errors(include_url=False):
        path = ".".join(str(part) for part in problem["loc"]) or "package"
        if problem["type"] == "missing":
            lines.append(f"- [{path}] required key not provided")
        else:
            lines.append(f"- [{path}] {problem['msg']}: {_short(problem.get('input'))}")
    return "\n".join(lines)


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_package(payload: Any, *, lang: str = DEFAULT_LANGUAGE) -> CkanPackage:
    """Validate a package dict, or raise `InvalidItem` naming every bad field."""
    if not isinstance(payload, Mapping):
        raise InvalidItem(f"Validation error:\n- [package] expected an object: {_short(payload)}")
    try:
        return CkanPackage.model_validate(payload, context={"lang": lang})
    except ValidationError as error:
        raise InvalidItem(format_validation_error(error)) from None


# --------------------------------------------------------------------------- mapping

#: CKAN/DKAN `resource_type` → udata resource type; anything else is a main file.
_RESOURCE_TYPES = {
    "api": ResourceType.API,
    "documentation": ResourceType.DOCUMENTATION,
    "code": ResourceType.CODE,
    "image": ResourceType.OTHER,
    "visualization": ResourceType.OTHER,
}
#: Remote states that mean "not published" (CKAN `deleted`/`draft`; DKAN says `Active`).
_UNPUBLISHED_STATES = {"deleted", "draft"}
#: Package types that are CKAN machinery, not datasets (ckanext-harvest keeps its sources
#: as packages of type `harvest`).
_NOT_DATASETS = {"harvest"}


def dataset_from_ckan(
    package: Any,
    *,
    licenses: LicenseTable,
    site_url: str,
    lang: str = DEFAULT_LANGUAGE,
    now: datetime,
    skip_private: bool = True,
    log: logging.Logger | None = None,
) -> DatasetDraft:
    """Map one CKAN package dict (`package_show`'s result or a `package_search` hit).

    Raises `InvalidItem` when the package cannot be a dataset, `SkipItem` when it is not
    meant to be harvested: private (unless `skip_private` is false, as for DKAN, whose
    `private` flag is unreliable), deleted or draft, not a dataset, or without resources.
    """
    log = log or _log
    now = naive(now)
    pkg = parse_package(package, lang=lang)
    label = pkg.name or pkg.id
    if pkg.type and pkg.type.lower() in _NOT_DATASETS:
        raise SkipItem(f"Package {label} is a {pkg.type}, not a dataset")
    if pkg.state and pkg.state.lower() in _UNPUBLISHED_STATES:
        raise SkipItem(f"Dataset {label} is {pkg.state.lower()} on the remote")
    if pkg.private and skip_private:
        raise SkipItem(f"Dataset {label} is private")
    if not pkg.resources:
        raise SkipItem(f"Dataset {label} has no record")

    fields = package_fields(pkg)
    extras = extras_from_ckan(pkg, fields=fields, log=log)
    created = _not_in_future(pkg.metadata_created, now)
    license_id, license_extras = license_from_ckan(pkg, licenses, log=log)
    keywords = [tag.name or tag.display_name for tag in pkg.tags if not _deleted(tag.state)]
    keywords += ckan_fields.keywords_from_fields(fields, lang)
    return DatasetDraft(
        title=pkg.title,
        description=sanitize_description(pkg.notes),
        tags=normalize_tags(keyword for keyword in keywords if keyword),
        license=license_id,
        frequency=extras.frequency,
        temporal_coverage=extras.temporal,
        spatial=extras.spatial,
        contact_points=ckan_fields.contact_points_from_fields(fields, lang=lang, log=log),
        resources=tuple(
            draft
            for res in pkg.resources
            if (draft := resource_from_ckan(res, site_url=site_url, now=now, log=log)) is not None
        ),
        extras={**extras.values, **license_extras},
        harvest=HarvestMeta(
            remote_url=remote_url_from_ckan(pkg.model_dump(), site_url),
            ckan_name=pkg.name,
            ckan_source=pkg.url if pkg.url and not is_web_url(pkg.url) else None,
            # A date at midnight, as udata stores it (docs/udata-backends.md §6.2, asserted for
            # DKAN).
            created_at=datetime.combine(created.date(), datetime.min.time()) if created else None,
            # DCAT's issued/modified (ckanext-dcat, DCAT-AP CH), not `metadata_modified`,
            # which moves on any CKAN-side edit (udata dropped it for that reason).
            issued_at=_date_field(fields, "issued", now, log),
            modified_at=_date_field(fields, "modified", now, log),
        ),
    )


def package_fields(pkg: CkanPackage) -> dict[str, Any]:
    """Every custom key of a package, top-level (ckanext-scheming) or in `extras`; an extra
    wins over a top-level key of the same name."""
    fields: dict[str, Any] = dict(pkg.model_extra or {})
    for extra in pkg.extras:
        if not ckan_fields.blank(extra.value) or extra.key not in fields:
            fields[extra.key] = extra.value
    return fields


#: ISO 19115 reference date type standing in for a missing DCAT date.
_REFERENCE_DATE_TYPES = {"issued": "publication", "modified": "revision"}


def _date_field(
    fields: Mapping[str, Any], key: str, now: datetime, log: logging.Logger
) -> datetime | None:
    value = fields.get(key)
    if ckan_fields.blank(value):
        value = ckan_fields.reference_dates(fields).get(_REFERENCE_DATE_TYPES[key])
    if ckan_fields.blank(value):
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        log.warning("Unreadable %s date %r: dropped", key, value)
    elif parsed > now:
        log.warning("The %s date %s is in the future: dropped", key, parsed.isoformat())
        return None
    return parsed


def license_from_ckan(
    pkg: CkanPackage, licenses: LicenseTable, *, log: logging.Logger
) -> tuple[str | None, dict[str, Any]]:
    """udata's guess over the package's licence fields, then over its resources' `license`
    (DCAT-AP CH puts licences there). A licence that matches nothing stays visible: its id,
    title and URL go to the extras `ckan:license_*`, and the item log says so."""
    declared = {
        "license_id": pkg.license_id,
        "license_title": pkg.license_title,
        "license_url": pkg.license_url,
    }
    candidates = [pkg.license_id, pkg.license_url, pkg.license_title]
    resource_licenses = ckan_fields.unique(
        text
        for res in pkg.resources
        if (text := ckan_fields.text_of((res.model_extra or {}).get("license"), "en"))
    )
    found = licenses.guess(*candidates, *resource_licenses)
    if found is not None or not any((*candidates, *resource_licenses)):
        return found, {}
    kept: dict[str, Any] = {f"ckan:{key}": value for key, value in declared.items() if value}
    if resource_licenses:
        kept["ckan:resource_licenses"] = resource_licenses
    if NOT_SPECIFIED in {str(v).lower() for v in declared.values() if v}:
        return None, {}
    log.warning(
        "Licence %s matches no known licence: kept in the extras, not as the licence",
        ", ".join(f"{key}={value!r}" for key, value in kept.items()),
    )
    return None, kept


def _deleted(state: str | None) -> bool:
    return state is not None and state.lower() == "deleted"


def _not_in_future(value: datetime | None, now: datetime) -> datetime | None:
    """Dates in the future are remote mistakes and are dropped (docs/udata-backends.md §10.9)."""
    return value if value is not None and value <= now else None


def resource_from_ckan(
    res: CkanResource, *, site_url: str, now: datetime, log: logging.Logger
) -> ResourceDraft | None:
    """One resource, or `None` for a deleted resource or one without a URL (logged).
    A size, checksum or date that cannot be read is dropped alone, with a log line."""
    if _deleted(res.state):
        return None
    label = res.id or res.name or "?"
    if not res.url:
        log.warning("Resource %s has no URL and is not harvested", label)
        return None
    created = _not_in_future(_resource_date(res.created, "created", label, log), now)
    modified = _not_in_future(_resource_date(res.last_modified, "last_modified", label, log), now)
    return ResourceDraft(
        url=resource_url(res.url, site_url),
        title=res.name or "",
        description=sanitize_description(res.description),
        format=format_from_ckan(res.format),
        mime=mime_from_ckan(res.mimetype),
        filesize=_resource_size(res.size, label, log),
        checksum=_resource_checksum(res, label, log),
        type=_RESOURCE_TYPES.get((res.resource_type or "").lower(), ResourceType.MAIN),
        created_at=created,
        last_modified=modified,
        harvest=ResourceHarvestMeta(remote_id=res.id, issued_at=created, modified_at=modified),
    )


_EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
_IANA_MEDIA_TYPES = (
    "https://www.iana.org/assignments/media-types/",
    "http://www.iana.org/assignments/media-types/",
)


def format_from_ckan(value: str | None) -> str | None:
    """Lower-cased, as udata stores it; an EU file-type IRI gives its code (`csv`)."""
    if not value:
        return None
    return value.removeprefix(_EU_FILE_TYPE).lower()


def mime_from_ckan(value: str | None) -> str | None:
    """Lower-cased; an IANA media-type IRI gives its type (`text/csv`)."""
    if not value:
        return None
    for prefix in _IANA_MEDIA_TYPES:
        value = value.removeprefix(prefix)
    return value.lower()


def _resource_date(value: Any, key: str, label: str, log: logging.Logger) -> datetime | None:
    if ckan_fields.blank(value):
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        log.warning("Resource %s: unreadable %s date %r dropped", label, key, value)
    return parsed


def _resource_size(value: Any, label: str, log: logging.Logger) -> int | None:
    value = ckan_fields.decode_json(value)
    if isinstance(value, Mapping):  # EnviDat: {"size_value": "12", "size_units": "mb"}
        value = f"{value.get('size_value', '')} {value.get('size_units', '')}".strip()
    if ckan_fields.blank(value):
        return None
    size = parse_size(value)
    if size is None:
        log.warning("Resource %s: unreadable size %r dropped", label, value)
    return size


def _resource_checksum(res: CkanResource, label: str, log: logging.Logger) -> Checksum | None:
    """`hash`, with ckanext-dcat's `hash_algorithm` (a name or an SPDX IRI) when given."""
    if not res.hash:
        return None
    algorithm = ckan_fields.text_of((res.model_extra or {}).get("hash_algorithm"), "en")
    value = res.hash
    if algorithm and ":" not in value:
        name = algorithm.rsplit("#", 1)[-1].removeprefix("checksumAlgorithm_")
        value = f"{name}:{value}"
    checksum = checksum_from_hash(value) or checksum_from_hash(res.hash)
    if checksum is None:
        log.warning("Resource %s: unusable hash %r dropped", label, res.hash)
    return checksum


def resource_url(url: str, site_url: str) -> str:
    """An absolute resource URL: a path is on the CKAN site (uploads of some CKAN-alikes),
    a bare host gets `http://` as udata gives it (docs/udata-backends.md §6.3)."""
    if "://" in url:
        return url
    if url.startswith("/"):
        return urljoin(site_root(site_url), url.lstrip("/"))
    return f"http://{url}"


class CkanExtras(BaseModel):
    """What the extras of a package say, once the special keys are interpreted."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, Any] = Field(default_factory=dict)
    frequency: Frequency | None = None
    temporal: TemporalCoverage | None = None
    spatial: SpatialCoverage | None = None


#: Keys read from the package itself when absent from `extras` (ckanext-scheming puts
#: custom fields at the top level).
_TOP_LEVEL_SPECIALS = ("spatial", "frequency", "temporal_start", "temporal_end")


def extras_from_ckan(
    pkg: CkanPackage, *, fields: Mapping[str, Any] | None = None, log: logging.Logger
) -> CkanExtras:
    """Interpret `spatial`, `spatial-text`, `spatial-uri`, `frequency`, `temporal_start` and
    `temporal_end`; copy every other non-blank extra as it is (docs/udata-backends.md §6.2).

    Where udata stops, the other conventions of `fields` (`ckan_fields`) fill what is still
    empty: the frequency from `accrual_periodicity` or `frequency-of-update`, the temporal
    coverage from `temporals`/`temporal_coverage`, the geometry from `spatial_coverage`,
    `spatial_bbox` or `bbox-*`. Extras keep their raw copies, as udata keeps them."""
    raw: dict[str, Any] = {}
    for extra in pkg.extras:
        raw[extra.key] = extra.value
    for key in _TOP_LEVEL_SPECIALS:
        if key not in raw and pkg.model_extra and key in pkg.model_extra:
            raw[key] = pkg.model_extra[key]

    values: dict[str, Any] = {}
    frequency: Frequency | None = None
    spatial: SpatialCoverage | None = None
    start = end = None
    for key, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key == "spatial":
            spatial = spatial_from_ckan(value, log=log)
            if spatial is None:
                values["ckan:spatial"] = value
        elif key in ("spatial-text", "spatial-uri"):
            # No GeoZones here: the engine's side knows none, so both are kept for people.
            values[f"ckan:{key}"] = value
        elif key == "frequency":
            # udata's rule (an IRI or a udata id), then EU and ISO 19115 codes.
            frequency = frequency_from_any(str(value))
            if frequency is None:
                log.warning("Unknown frequency %r: kept in the extras", value)
                values["ckan:frequency"] = value
        elif key == "temporal_start":
            start = parse_period_bound(value, end=False)
            if start is None:
                log.warning("Unreadable temporal_start %r", value)
        elif key == "temporal_end":
            end = parse_period_bound(value, end=True)
            if end is None:
                log.warning("Unreadable temporal_end %r", value)
        else:
            values[key] = value
    if pkg.organization is not None and (pkg.organization.name or pkg.organization.title):
        values["ckan:organization"] = pkg.organization.name or pkg.organization.title
    temporal = None
    if start is not None and (end is None or end >= start):
        temporal = TemporalCoverage(start=start, end=end)
    elif start is not None:
        log.warning("Temporal coverage ends (%s) before it starts (%s)", end, start)
    if fields is not None:
        if frequency is None:
            frequency = ckan_fields.frequency_from_fields(
                {k: v for k, v in fields.items() if k != "frequency"}, log=log
            )
        temporal = temporal or ckan_fields.temporal_from_fields(
            fields, parse_bound=parse_period_bound, log=log
        )
        if spatial is None:
            spatial = _other_spatial(fields, log=log)
    return CkanExtras(values=values, frequency=frequency, temporal=temporal, spatial=spatial)


def _other_spatial(fields: Mapping[str, Any], *, log: logging.Logger) -> SpatialCoverage | None:
    for key, value in ckan_fields.spatial_candidates(fields):
        if key == "spatial":
            continue  # already read (and logged) as udata reads it
        spatial = spatial_from_ckan(value, log=log)
        if spatial is not None:
            return spatial
    return None


def spatial_from_ckan(value: Any, *, log: logging.Logger) -> SpatialCoverage | None:
    """The `spatial` extra (a GeoJSON object or its JSON text) as a MultiPolygon coverage;
    `None`, with a warning, for anything else."""
    geometry = value
    if isinstance(value, str):
        try:
            geometry = json.loads(value)
        except ValueError:
            log.warning("The spatial extra is not JSON: %s", _short(value))
            return None
    if not isinstance(geometry, Mapping) or not isinstance(geometry.get("coordinates"), list):
        log.warning("The spatial extra is not a GeoJSON geometry: %s", _short(value))
        return None
    kind = geometry.get("type")
    if kind == "Polygon":
        coordinates = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        coordinates = geometry["coordinates"]
    else:
        log.warning("Unsupported spatial geometry %s (Polygon and MultiPolygon are)", kind)
        return None
    return SpatialCoverage(geom={"type": "MultiPolygon", "coordinates": coordinates})
