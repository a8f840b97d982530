"""Backend `csw-iso-19139`: CSW GetRecords with ISO 19139 output (docs/udata-backends.md §5).

udata runs each record through an XSLT 2.0 stylesheet to DCAT, then reads the RDF. We map
the ISO record directly (`moisson.mapping.iso19139`), with the same correspondences.

The remote id is udata's: the resource's citation identifier (what the XSLT writes as
`dct:identifier`), else the `gmd:fileIdentifier` (udata skips such records; we harvest
them). Sources harvested when the remote id was the fileIdentifier are re-keyed by
migration 0014.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from lxml import etree

from moisson.backends import register
from moisson.backends.base import HarvestContext
from moisson.backends.csw import (
    ISO_19139_SCHEMA,
    RECORD_TYPES,
    REMOTE_URL_PREFIX,
    failed_record,
    iter_records,
    remote_url_prefix,
)
from moisson.backends.csw_capabilities import CswCapabilities
from moisson.domain.capabilities import BackendInfo
from moisson.domain.clock import naive_utc
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.iso19139 import dataset_from_iso, hierarchy_level, iso_remote_id
from moisson.mapping.iso19139.dataset import METADATA_ROOTS
from moisson.mapping.xml import XmlError, local_name, parse_xml, to_string


def read_iso_record(element: etree._Element) -> RemoteRecord:
    """One `SearchResults` child -> a record keyed by its citation identifier, else its
    `gmd:fileIdentifier` (`iso_remote_id`).

    An element that is not ISO 19139 metadata (a server ignoring `outputSchema` answers
    `csw:Record`s) becomes a failed record carrying the XML, so the operator sees why.
    """
    payload = to_string(element)
    if local_name(element) not in METADATA_ROOTS:
        return failed_record(
            payload,
            f"Unexpected CSW record {element.tag!r}: the server did not answer in ISO 19139 "
            "(gmd:MD_Metadata)",
        )
    return RemoteRecord(
        remote_id=iso_remote_id(element),
        kind=ItemKind.DATASET,
        payload=payload,
        content_hash=content_hash(payload),
    )


def no_iso_output(capabilities: CswCapabilities) -> str:
    offered = sorted(capabilities.output_schemas or ())
    return (
        "The CSW server does not offer ISO 19139 output: its GetCapabilities lists no "
        f"outputSchema {ISO_19139_SCHEMA} for GetRecords (it offers: "
        f"{', '.join(offered) or 'none'})."
    )


@register
class CswIso19139Backend:
    info: ClassVar[BackendInfo] = BackendInfo(
        id="csw-iso-19139",
        label="CSW-ISO-19139",
        extra_configs=(REMOTE_URL_PREFIX,),
    )

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        return iter_records(
            ctx,
            output_schema=ISO_19139_SCHEMA,
            read_records=lambda e: (read_iso_record(e),),
            schema_refused=no_iso_output,
        )

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        if not record.remote_id:
            raise SkipItem(
                "missing identifier: the record has neither a citation identifier nor a "
                "gmd:fileIdentifier"
            )
        try:
            element = parse_xml(record.payload)
        except XmlError as exc:
            raise InvalidItem(f"Unreadable ISO 19139 record: {exc}") from None
        level = hierarchy_level(element)
        if level not in RECORD_TYPES:
            # Asked for with a record-type filter, such records never come; a server that
            # refused the filter sends them all.
            raise SkipItem(f"hierarchyLevel {level!r} is not harvested (only {RECORD_TYPES})")
        return dataset_from_iso(
            element,
            licenses=ctx.licenses,
            now=naive_utc(ctx.now()),
            remote_url_prefix=remote_url_prefix(ctx),
            lang=ctx.language,
        )
