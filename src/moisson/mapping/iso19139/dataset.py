"""ISO 19139 record -> `DatasetDraft`, one function per concept.

The correspondences are GeoDCAT-AP's ISO-to-DCAT ones, read through udata's DCAT rules
(docs/udata-backends.md §2 and §5), so that a record gives the dataset udata would build from the
XSLT's output. Where the XSLT loses information, the differences are written next to the
code that does better.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lxml import etree

from moisson.domain.drafts import (
    ContactPointDraft,
    DatasetDraft,
    HarvestMeta,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import Frequency
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping.frequencies import ISO_MAINTENANCE_FREQUENCIES
from moisson.mapping.hvd import HVD_TAG, hvd_label
from moisson.mapping.inspire import (
    ACCESS_TYPE_RESTRICTED,
    INSPIRE_TAG,
    INSPIRE_THEME_BASES,
    INSPIRE_THESAURUS_TITLE,
    LIMITATIONS_ON_PUBLIC_ACCESS,
    inspire_access_reason,
)
from moisson.mapping.iso19139.reading import (
    RecordReader,
    anchor_href,
    code_value,
    find,
    findall,
    is_url,
    parse_iso_date,
    parse_iso_datetime,
)
from moisson.mapping.iso19139.resources import online_resources
from moisson.mapping.iso19139.vocabularies import NAMESPACES, ROLE_ORDER, ROLES
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.text import normalize_tags, sanitize_description
from moisson.mapping.xml import local_name

METADATA_ROOTS = frozenset({"MD_Metadata", "MI_Metadata"})


def file_identifier(record: etree._Element) -> str | None:
    """The record's `gmd:fileIdentifier`: the remote id of what it describes."""
    value = record.findtext("gmd:fileIdentifier/gco:CharacterString", None, NAMESPACES)
    return value.strip() or None if value else None


def citation_identifier(record: etree._Element) -> str | None:
    """The resource's identifier, as `dataset_identifier` reads it (`None` without one)."""
    # The same element `dataset_from_iso` reads `dct_identifier` from.
    identification = find(record, "gmd:identificationInfo/*")
    if identification is None:
        return None
    citation = find(identification, "gmd:citation/gmd:CI_Citation")
    if citation is None:
        return None
    return dataset_identifier(citation, RecordReader(record, "fr"))


def iso_remote_id(record: etree._Element) -> str | None:
    """The remote id udata gives a record: its citation identifier (the XSLT's
    `dct:identifier`), else its `gmd:fileIdentifier`."""
    return citation_identifier(record) or file_identifier(record)


def hierarchy_level(record: etree._Element) -> str:
    """The record's scope (`dataset` when it says nothing, as ISO 19115 defines)."""
    return code_value(find(record, "gmd:hierarchyLevel")) or "dataset"


def dataset_from_iso(
    record: etree._Element,
    *,
    licenses: LicenseTable,
    lang: str = "fr",
    now: datetime,
    remote_url_prefix: str | None = None,
) -> DatasetDraft:
    """Map one `gmd:MD_Metadata` / `gmi:MI_Metadata` record to a dataset draft.

    Raises `SkipItem` for a service record or a record without a title, and `InvalidItem`
    for an element that is not ISO 19139 metadata or has no identification.
    """
    if local_name(record) not in METADATA_ROOTS:
        raise InvalidItem(
            f"Not an ISO 19139 metadata record: root element {record.tag!r} "
            "(expected gmd:MD_Metadata or gmi:MI_Metadata)"
        )
    if hierarchy_level(record) == "service":
        raise SkipItem("Service metadata (hierarchyLevel service) is not harvested as a dataset")
    identification = find(record, "gmd:identificationInfo/*")
    if identification is None:
        raise InvalidItem("The record has no gmd:identificationInfo")
    reader = RecordReader(record, lang)
    citation = find(identification, "gmd:citation/gmd:CI_Citation")
    title = reader.text_at(citation, "gmd:title") if citation is not None else None
    if not title:
        raise SkipItem("missing title on dataset")

    constraints = constraints_from_iso(identification, reader)
    reasons = map(inspire_access_reason, constraints.access_rights + constraints.rights)
    access_reason = next((r for r in reasons if r), None)
    license_id = licenses.guess(*constraints.licenses, *constraints.rights)
    if access_reason:
        # udata's dataset validation drops the licence of a dataset that is not open.
        license_id = None
    dcat_extras = constraints.as_extras()
    online = online_resources(record, reader, lang=lang, extras=dcat_extras)
    provenance = reader.texts_at(
        record, "gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:statement"
    )
    extras: dict[str, Any] = dict(dcat_extras)
    if provenance:
        extras["provenance"] = provenance

    identifier = dataset_identifier(citation, reader) if citation is not None else None
    dates = dates_from_iso(citation, now=now) if citation is not None else DatasetDates()
    file_id = file_identifier(record)
    return DatasetDraft(
        title=title,
        description=sanitize_description(reader.text_at(identification, "gmd:abstract")),
        tags=tags_from_iso(identification, reader),
        license=license_id,
        frequency=frequency_from_iso(identification),
        temporal_coverage=temporal_from_iso(identification),
        spatial=spatial_from_iso(identification),
        contact_points=contact_points_from_iso(identification, reader),
        resources=online.resources,
        extras={"dcat": extras} if extras else {},
        access_type=ACCESS_TYPE_RESTRICTED if access_reason else None,
        access_type_reason_category=access_reason,
        harvest=HarvestMeta(
            remote_url=remote_url_from_iso(
                file_id, online.landing_pages, identifier, prefix=remote_url_prefix
            ),
            uri=identifier if is_url(identifier) else None,
            dct_identifier=identifier,
            created_at=dates.created_at,
            issued_at=dates.issued_at,
            modified_at=dates.modified_at,
        ),
    )


def dataset_identifier(citation: etree._Element, reader: RecordReader) -> str | None:
    """The first resource identifier: `codeSpace/code` for an `RS_Identifier`, else the
    code. (The XSLT concatenates codeSpace and code into the dataset IRI without the "/";
    udata's `dct:identifier`, and ours, have it.)"""
    for identifier in findall(citation, "gmd:identifier/*"):
        code = reader.text_at(identifier, "gmd:code")
        if not code:
            continue
        space = reader.text_at(identifier, "gmd:codeSpace")
        if space and not code.startswith(space):
            separator = "" if space.endswith(("/", "#", ":")) else "/"
            return f"{space}{separator}{code}"
        return code
    return None


@dataclass(frozen=True, slots=True)
class DatasetDates:
    created_at: datetime | None = None
    issued_at: datetime | None = None
    modified_at: datetime | None = None


def dates_from_iso(citation: etree._Element, *, now: datetime) -> DatasetDates:
    """creation/publication/revision dates -> created_at/issued_at/modified_at. The
    latest revision counts; a revision in the future is dropped, as udata does."""
    found: dict[str, list[datetime]] = {}
    for ci_date in findall(citation, "gmd:date/gmd:CI_Date"):
        kind = code_value(find(ci_date, "gmd:dateType"))
        value = parse_iso_datetime(
            ci_date.findtext("gmd:date/gco:Date", None, NAMESPACES)
            or ci_date.findtext("gmd:date/gco:DateTime", None, NAMESPACES)
        )
        if kind and value:
            found.setdefault(kind, []).append(value)
    naive_now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    revisions = [d for d in found.get("revision", []) if d <= naive_now]
    return DatasetDates(
        created_at=min(found["creation"]) if "creation" in found else None,
        issued_at=min(found["publication"]) if "publication" in found else None,
        modified_at=max(revisions) if revisions else None,
    )


def tags_from_iso(identification: etree._Element, reader: RecordReader) -> tuple[str, ...]:
    """Keywords -> tags with udata's rules (docs/udata-backends.md §2.5).

    A plain keyword is a tag, whether free or from a thesaurus (the XSLT makes the latter a
    labelled theme). A keyword given as a `gmx:Anchor` becomes a bare theme IRI, which
    gives no tag, except for high-value categories (French label plus `hvd`). Keywords of
    the GEMET INSPIRE themes thesaurus, or INSPIRE theme IRIs, add `inspire`. Topic
    categories become label-less themes in the XSLT and give no tag either.
    """
    texts: list[str] = []
    for keywords in findall(identification, "gmd:descriptiveKeywords/gmd:MD_Keywords"):
        thesaurus = find(keywords, "gmd:thesaurusName/gmd:CI_Citation/gmd:title")
        thesaurus_title = (reader.text(thesaurus) or "").lower()
        thesaurus_href = anchor_href(thesaurus) if thesaurus is not None else None
        inspire_thesaurus = thesaurus_title == INSPIRE_THESAURUS_TITLE or (
            thesaurus_href is not None and thesaurus_href.startswith(INSPIRE_THEME_BASES)
        )
        for keyword in findall(keywords, "gmd:keyword"):
            href = anchor_href(keyword)
            if href:
                label = hvd_label(href)
                if label:
                    texts += [label, HVD_TAG]
                if href.startswith(INSPIRE_THEME_BASES):
                    texts.append(INSPIRE_TAG)
                continue
            text = reader.text(keyword)
            if text:
                texts.append(text)
                if inspire_thesaurus:
                    texts.append(INSPIRE_TAG)
    return normalize_tags(texts)


def frequency_from_iso(identification: etree._Element) -> Frequency | None:
    code = code_value(
        find(
            identification,
            "gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency",
        )
    )
    return ISO_MAINTENANCE_FREQUENCIES.get(code) if code else None


def _gml_text(element: etree._Element, name: str) -> str | None:
    # gml and gml 3.2 are both met (sometimes mixed in one period): match local names.
    found = element.xpath(f".//*[local-name()='{name}']")
    for item in found if isinstance(found, list) else ():
        if isinstance(item, etree._Element) and (item.text or "").strip():
            return str(item.text).strip()
    return None


def temporal_from_iso(identification: etree._Element) -> TemporalCoverage | None:
    """The first temporal extent with a start: a `TimePeriod`'s begin/end, or a
    `TimeInstant` as a one-day coverage."""
    for extent in findall(identification, ".//gmd:EX_TemporalExtent/gmd:extent"):
        start: date | None
        end: date | None
        start = parse_iso_date(_gml_text(extent, "beginPosition"))
        end = parse_iso_date(_gml_text(extent, "endPosition"))
        if start is None and end is None:
            start = end = parse_iso_date(_gml_text(extent, "timePosition"))
        if start is not None:
            return TemporalCoverage(start=start, end=end)
    return None


def spatial_from_iso(identification: etree._Element) -> SpatialCoverage | None:
    """Every bounding box as one polygon of a MultiPolygon (duplicates dropped), in the
    ring order the XSLT writes: (w n), (e n), (e s), (w s), (w n). Boxes are taken as
    given, even when west > east."""
    polygons: list[list[list[list[float]]]] = []
    for box in findall(identification, ".//gmd:EX_GeographicBoundingBox"):
        try:
            west, east, south, north = (
                float(box.findtext(f"gmd:{side}/gco:Decimal", "", NAMESPACES))
                for side in (
                    "westBoundLongitude",
                    "eastBoundLongitude",
                    "southBoundLatitude",
                    "northBoundLatitude",
                )
            )
        except ValueError:
            continue
        if any(v != v for v in (west, east, south, north)):  # NaN is not a coordinate
            continue
        polygon = [[[west, north], [east, north], [east, south], [west, south], [west, north]]]
        if polygon not in polygons:
            polygons.append(polygon)
    if not polygons:
        return None
    return SpatialCoverage(geom={"type": "MultiPolygon", "coordinates": polygons})


def contact_points_from_iso(
    identification: etree._Element, reader: RecordReader
) -> tuple[ContactPointDraft, ...] | None:
    """The resource's responsible parties, by role in udata's order (docs/udata-backends.md §2.10).

    The name is "individual (organisation)" when both are given. A `contact` needs an
    email or a contact form (udata drops it otherwise); identical entries collapse.
    `None` (keep the existing contacts) when nothing is usable.
    """
    found: list[ContactPointDraft] = []
    for party in findall(identification, "gmd:pointOfContact/gmd:CI_ResponsibleParty"):
        role = ROLES.get(code_value(find(party, "gmd:role")) or "")
        if role is None:
            continue
        person = reader.text_at(party, "gmd:individualName")
        organisation = reader.text_at(party, "gmd:organisationName")
        name = f"{person} ({organisation})" if person and organisation else person or organisation
        info = "gmd:contactInfo/gmd:CI_Contact/"
        email = reader.text_at(party, info + "gmd:address/gmd:CI_Address/gmd:electronicMailAddress")
        form = (
            party.findtext(
                info + "gmd:onlineResource/gmd:CI_OnlineResource/gmd:linkage/gmd:URL",
                "",
                NAMESPACES,
            )
            or ""
        ).strip() or None
        if email:
            email = email.removeprefix("mailto:").strip()
        if role == ROLES["pointOfContact"] and not (email or form):
            continue
        if not (name or email):
            continue
        contact = ContactPointDraft(name=name, email=email, contact_form=form, role=role)
        if contact not in found:
            found.append(contact)
    found.sort(key=lambda c: ROLE_ORDER.index(c.role))
    return tuple(found) or None


def remote_url_from_iso(
    file_id: str | None,
    landing_pages: Iterable[str],
    identifier: str | None,
    *,
    prefix: str | None,
) -> str | None:
    """docs/udata-backends.md §2.3.1: `<prefix>/<fileIdentifier>` when a prefix is configured, else
    the first landing page, else the dataset identifier when it is a URL."""
    if prefix and file_id:
        return f"{prefix.rstrip('/')}/{file_id}"
    for candidate in (*landing_pages, identifier):
        if is_url(candidate):
            return candidate
    return None


class Constraints:
    """Resource constraints sorted the way GeoDCAT-AP does.

    Free-text limitations (use limitations, other constraints) are rights statements.
    A constraint given as an IRI (`gmx:Anchor`) is an access right when it is an INSPIRE
    limitation on public access or sits in an access-constraints block, else a licence.
    """

    def __init__(self) -> None:
        self.rights: list[str] = []
        self.access_rights: list[str] = []
        self.licenses: list[str] = []

    def add(self, values: list[str], text: str) -> None:
        if text not in values:
            values.append(text)

    def as_extras(self) -> dict[str, list[str]]:
        extras = {
            "rights": self.rights,
            "accessRights": self.access_rights,
            "license": self.licenses,
        }
        return {key: list(values) for key, values in extras.items() if values}


def constraints_from_iso(identification: etree._Element, reader: RecordReader) -> Constraints:
    constraints = Constraints()
    for block in findall(identification, "gmd:resourceConstraints/*"):
        about_access = find(block, "gmd:accessConstraints") is not None and (
            find(block, "gmd:useConstraints") is None
        )
        for prop in findall(block, "gmd:useLimitation") + findall(block, "gmd:otherConstraints"):
            href = anchor_href(prop)
            if href:
                if href.startswith(LIMITATIONS_ON_PUBLIC_ACCESS) or about_access:
                    constraints.add(constraints.access_rights, href)
                else:
                    constraints.add(constraints.licenses, href)
                continue
            text = reader.text(prop)
            if text:
                constraints.add(constraints.rights, text)
    return constraints
