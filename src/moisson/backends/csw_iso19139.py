"""Backend `csw-iso-19139`: CSW GetRecords with ISO 19139 output (backends spec 5).

udata runs each record through an XSLT 2.0 stylesheet to DCAT, then reads the RDF. We map
the ISO record directly (`moisson.mapping.iso19139`), with the same correspondences.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

from lxml import etree

from moisson.backends import register
from moisson.backends.base import HarvestContext
from moisson.backends.csw import REMOTE_URL_PREFIX, failed_record, iter_records, remote_url_prefix
from moisson.domain.capabilities import BackendInfo
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.iso19139 import dataset_from_iso, file_identifier
from moisson.mapping.iso19139.dataset import METADATA_ROOTS
from moisson.mapping.xml import XmlError, local_name, parse_xml, to_string

ISO_19139_SCHEMA = "http://www.isotc211.org/2005/gmd"


def read_iso_record(element: etree._Element) -> RemoteRecord:
    """One `SearchResults` child -> a record keyed by its `gmd:fileIdentifier`.

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
        remote_id=file_identifier(element),
        kind=ItemKind.DATASET,
        payload=payload,
        content_hash=content_hash(payload),
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
            ctx, output_schema=ISO_19139_SCHEMA, read_records=lambda e: (read_iso_record(e),)
        )

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        if not record.remote_id:
            raise SkipItem("missing identifier: the record has no gmd:fileIdentifier")
        try:
            element = parse_xml(record.payload)
        except XmlError as exc:
            raise InvalidItem(f"Unreadable ISO 19139 record: {exc}") from None
        return dataset_from_iso(
            element,
            licenses=ctx.licenses,
            now=datetime.now(UTC).replace(tzinfo=None),
            remote_url_prefix=remote_url_prefix(ctx),
            lang=ctx.language,
        )
