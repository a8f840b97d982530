"""Backend `csw-dcat`: CSW GetRecords answered in DCAT RDF/XML (docs/udata-backends.md §4).

gather: the generic CSW paging of `csw.py`; each `SearchResults` child is one RDF/XML
document, parsed into its own graph. Its datasets are yielded at once; its dataservices are
held until every page has been read (udata's second pass), because GeoDCAT-AP references a
served dataset by IRI only and that dataset's identifier may come in a later record.
map: the RDF mapping on the record's subgraph, as for `dcat`, with `remote_url_prefix`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

from lxml import etree
from pyoxigraph import NamedNode

from moisson.backends import register
from moisson.backends.base import HarvestContext
from moisson.backends.csw import (
    CSW,
    ISO_19139_SCHEMA,
    REMOTE_URL_PREFIX,
    failed_record,
    iter_records,
    remote_url_prefix,
)
from moisson.backends.csw_capabilities import CswCapabilities
from moisson.backends.dcat import dataset_records_from_rdf, map_rdf_record
from moisson.domain.capabilities import BackendInfo, FeatureSpec
from moisson.domain.clock import naive_utc
from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.rdf import RdfParseError, parse_graph
from moisson.mapping.rdf.accessors import single_text
from moisson.mapping.rdf.dataservices import iter_dataservice_nodes
from moisson.mapping.rdf.namespaces import DCT
from moisson.mapping.rdf.options import RdfOptions
from moisson.mapping.rdf.records import ServiceSubgraph
from moisson.mapping.xml import to_string

DCAT_SCHEMA = "http://www.w3.org/ns/dcat#"
GEODCATAP_SCHEMA = "http://data.europa.eu/930/"


class DcatRecordReader:
    """Reads the CSW records of one run into `RemoteRecord`s.

    Dataservice records leave `read` with a `ServiceSubgraph` as payload (and no hash):
    `finish` turns it into the final payload once every dataset IRI of the run is known.
    """

    def __init__(self) -> None:
        self.identifiers_by_iri: dict[NamedNode, str] = {}

    def read(self, element: etree._Element) -> list[RemoteRecord]:
        """The datasets then the dataservices of one record; a record that is not readable
        RDF/XML becomes one failed record carrying its XML."""
        xml = to_string(element)
        if etree.QName(element).namespace == CSW:
            return [
                failed_record(
                    xml,
                    f"Unexpected CSW record {element.tag!r}: the server did not answer in DCAT "
                    "RDF/XML (rdf:RDF)",
                )
            ]
        try:
            graph = parse_graph(xml.encode("utf-8"), "xml")
        except RdfParseError as exc:
            return [failed_record(xml, f"Unreadable DCAT record: {exc}")]
        records = dataset_records_from_rdf(graph, self.identifiers_by_iri)
        for node in iter_dataservice_nodes(graph):
            records.append(
                RemoteRecord(
                    remote_id=single_text(graph, node, DCT.identifier),
                    kind=ItemKind.DATASERVICE,
                    payload=ServiceSubgraph.of(graph, node),
                    content_hash="",
                )
            )
        return records

    def finish(self, record: RemoteRecord) -> RemoteRecord:
        """A held dataservice record with its served datasets resolved (unchanged records,
        replayed from the page cache, carry no payload and pass through)."""
        if not isinstance(record.payload, ServiceSubgraph):
            return record
        payload = record.payload.payload(self.identifiers_by_iri)
        return replace(record, payload=payload, content_hash=content_hash(payload))


def no_dcat_output(schema: str, capabilities: CswCapabilities) -> str:
    """The job error for a server whose capabilities do not offer `schema` (pycsw 2.6
    offers no DCAT output at all)."""
    offered = sorted(capabilities.output_schemas or ())
    message = (
        f"The CSW server does not offer DCAT output: its GetCapabilities lists no "
        f"outputSchema {schema} for GetRecords (it offers: {', '.join(offered) or 'none'})."
    )
    if ISO_19139_SCHEMA in offered:
        message += " It offers ISO 19139: harvest it with the csw-iso-19139 backend."
    return message


@register
class CswDcatBackend:
    info: ClassVar[BackendInfo] = BackendInfo(
        id="csw-dcat",
        label="CSW-DCAT",
        features=(
            FeatureSpec(
                "geodcatap",
                "GeoDCAT-AP",
                "Request GeoDCAT-AP output from the CSW server",
                default=False,
            ),
        ),
        extra_configs=(REMOTE_URL_PREFIX,),
    )

    @staticmethod
    def output_schema(ctx: HarvestContext) -> str:
        return GEODCATAP_SCHEMA if ctx.config.feature("geodcatap") else DCAT_SCHEMA

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        reader = DcatRecordReader()
        services: list[RemoteRecord] = []
        schema = self.output_schema(ctx)
        for record in iter_records(
            ctx,
            output_schema=schema,
            read_records=reader.read,
            schema_refused=lambda capabilities: no_dcat_output(schema, capabilities),
        ):
            if record.kind == ItemKind.DATASERVICE:
                services.append(record)
            elif services:  # resumed, the run must read the first held service again
                yield replace(record, resume=services[0].resume)
            else:
                yield record
        for record in services:
            yield reader.finish(record)

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft | DataserviceDraft:
        options = RdfOptions(
            licenses=ctx.licenses,
            now=naive_utc(ctx.now()),
            remote_url_prefix=remote_url_prefix(ctx),
            language=ctx.language,
            log=ctx.log,
        )
        return map_rdf_record(record, options)
