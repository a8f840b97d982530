"""Local datasets and dataservices as DCAT-AP 3.0 triples (with the GeoDCAT-AP geometry).

Contract, for every caller (the catalog endpoints, validation, quality scores):

- `dataset_triples(view, licenses=None) -> list[pyoxigraph.Triple]` describes one
  `DatasetView` (`moisson.publishing.views`): the dataset node, its distributions, contact
  agents, period, location, checksums... Nothing about the catalog or paging.
- `dataservice_triples(view, licenses=None) -> list[pyoxigraph.Triple]` does the same for a
  `DataserviceView`, with `dcat:servesDataset` links to the IRIs in `view.served` (each
  given its `dct:identifier`, so a reader can resolve the link without the dataset itself).
- Both are pure functions of the view: no storage, no network, no clock. Blank nodes are
  fresh on each call. The subject is `view.iri` (the harvested URI when the remote had an
  absolute one, else a Moisson IRI), and `dct:identifier` is `view.identifier`.
- `licenses` is the licence table resolving licence ids to their URLs (the packaged one by
  default).

The mapping is the inverse of the DCAT reader (`moisson.mapping.rdf`), so that harvesting
a Moisson catalog gives back the same fields: tags are `dcat:keyword`s (plus the HVD theme
IRI of a high-value category tag), rights, licences and provenance are written from the
`extras["dcat"]` texts the reader kept when there are some, a format is an EU file-type IRI
when the vocabulary has it (else a labelled `dct:MediaTypeOrExtent`), a media type an IANA
IRI. What DCAT cannot say is left out and listed in `docs/catalog.md`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import cache
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from moisson.domain.drafts import (
    ContactPointDraft,
    ResourceDraft,
    SchemaRef,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import ContactRole, Frequency, ResourceType
from moisson.mapping.frequencies import DC_FREQUENCIES, EU_FREQUENCIES
from moisson.mapping.hvd import HVD_TAG, HVD_THEMES
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf.namespaces import (
    ADMS,
    DCAT,
    DCT,
    DQV,
    EUFORMAT,
    EUFREQ,
    FOAF,
    FREQ,
    GEODCATAP,
    GSP,
    IANAFORMAT,
    LOCN,
    QUDT_UNIT,
    RDF,
    RDFS,
    SDMX_ATTR,
    SKOS,
    SPDX,
    VCARD,
    XSD,
)
from moisson.mapping.text import normalize_tags
from moisson.publishing import ntriples
from moisson.publishing.views import DataserviceView, DatasetView, absolute_iri

Term = NamedNode | BlankNode | Literal

ACCESS_RIGHTS = "http://publications.europa.eu/resource/authority/access-right/"
#: udata access types -> EU access-right codes.
ACCESS_RIGHT_CODES = {"open": "PUBLIC", "restricted": "RESTRICTED", "non_public": "NON_PUBLIC"}

#: Frequency -> the EU frequency IRI (the Dublin Core one for the few the EU lacks).
FREQUENCY_IRIS: dict[Frequency, NamedNode] = {
    **{frequency: FREQ[name] for name, frequency in DC_FREQUENCIES.items()},
    **{frequency: EUFREQ[code] for code, frequency in EU_FREQUENCIES.items()},
}

#: EU file-type codes whose lower case is the format name the reader gives back.
EU_FILE_TYPES = frozenset(
    (
    "7Z", "ARC", "ATOM", "AZW", "BIN", "BMP", "BZIP2", "CSS", "CSV", "DBF", "DCR", "DMP", "DOC",
    "DOCX", "DTD", "DWG", "DXF", "E00", "ECW", "EPS", "EPUB", "EXE", "GDB", "GEOJSON",
    "GEOTIFF", "GIF", "GML", "GMZ", "GPKG", "GRIB", "GRID", "GZIP", "HDF", "HTML", "ICS", "JAR",
    "JPEG", "JS", "JSON", "JSON_LD", "KML", "KMZ", "LAS", "LAZ", "MAP_SRVC", "MDB", "MOBI",
    "MP3", "MPEG", "NETCDF", "N3", "ODB", "ODC", "ODF", "ODG", "ODP", "ODS", "ODT", "OWL",
    "PDF", "PDFA", "PNG", "PPS", "PPT", "PPTX", "PS", "PSD", "RAR", "RDF", "RDF_XML",
    "RDF_TURTLE", "RSS", "RTF", "SGML", "SHP", "SKOS_XML", "SPARQLQ", "SQL", "SVG", "TAR",
    "TIFF", "TSV", "TXT", "WARC", "WMS_SRVC", "WFS_SRVC", "XHTML", "XLS", "XLSX", "XML", "XSD",
    "XSLT", "ZIP",
    )
)  # fmt: skip
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$", re.IGNORECASE)

#: Checksum types -> spdx algorithm IRIs (the three the reader, and SPDX, know).
SPDX_ALGORITHM_IRIS = {
    "md5": SPDX.checksumAlgorithm_md5,
    "sha1": SPDX.checksumAlgorithm_sha1,
    "sha256": SPDX.checksumAlgorithm_sha256,
}

#: Roles -> predicates, as the reader reads them (`mapping/rdf/contacts.py`).
ROLE_PREDICATES: dict[ContactRole, NamedNode] = {
    ContactRole.CONTACT: DCAT.contactPoint,
    ContactRole.CREATOR: DCT.creator,
    ContactRole.PUBLISHER: DCT.publisher,
    ContactRole.RIGHTS_HOLDER: DCT.rightsHolder,
    ContactRole.CUSTODIAN: GEODCATAP.custodian,
    ContactRole.DISTRIBUTOR: GEODCATAP.distributor,
    ContactRole.ORIGINATOR: GEODCATAP.originator,
    ContactRole.PRINCIPAL_INVESTIGATOR: GEODCATAP.principalInvestigator,
    ContactRole.PROCESSOR: GEODCATAP.processor,
    ContactRole.RESOURCE_PROVIDER: GEODCATAP.resourceProvider,
    ContactRole.USER: GEODCATAP.user,
}
#: Rights kept as texts by the reader: extras key -> predicate -> class of a text statement.
RIGHTS = (
    ("rights", DCT.rights, DCT.RightsStatement),
    ("accessRights", DCT.accessRights, DCT.RightsStatement),
    ("license", DCT.license, DCT.LicenseDocument),
)
_HVD_BY_LABEL = {normalize_tags((label,))[0]: iri for iri, label in HVD_THEMES.items()}
_DISTANCE = re.compile(r"^([0-9.eE+-]+) (m|km|ft)$")
_DISTANCE_UNITS = {"km": QUDT_UNIT.KiloM, "ft": QUDT_UNIT.FT}
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@cache
def default_licenses() -> LicenseTable:
    return LicenseTable.load()


def _utc_text(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


class _Triples:
    """The description being built, as pyoxigraph `Triple`s, with helpers that skip absent
    values. Terms are made through the writer (`named`, `literal`, `blank`) so that the
    same mapping code also writes N-Triples text (`_NTriplesLines`)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def named(self, iri: str) -> Any:
        return NamedNode(iri)

    def literal(self, value: str, datatype: NamedNode | None = None) -> Any:
        return Literal(value, datatype=datatype)

    def blank(self) -> Any:
        return BlankNode()

    def add(self, s: Any, p: NamedNode, o: Any) -> None:
        self.items.append(Triple(s, p, o))

    def datetime_term(self, value: datetime) -> Any:
        return self.literal(_utc_text(value), XSD.dateTime)

    def date_term(self, value: date) -> Any:
        return self.literal(value.isoformat(), XSD.date)

    def text(self, s: Any, p: NamedNode, value: str | None) -> None:
        if value:
            self.add(s, p, self.literal(value))

    def iri(self, s: Any, p: NamedNode, value: str | None) -> None:
        iri = absolute_iri(value)
        if iri:
            self.add(s, p, self.named(iri))

    def when(self, s: Any, p: NamedNode, value: datetime | None) -> None:
        if value is not None:
            self.add(s, p, self.datetime_term(value))

    def labelled(self, s: Any, p: NamedNode, value: str, kind: NamedNode) -> None:
        """An IRI object when `value` is one, else a node of `kind` labelled `value`."""
        iri = absolute_iri(value)
        if iri:
            self.add(s, p, self.named(iri))
            return
        node = self.blank()
        self.add(s, p, node)
        self.add(node, RDF.type, kind)
        self.add(node, RDFS.label, self.literal(value))


class _NTriplesLines(_Triples):
    """The same description as N-Triples lines (`ntriples.py` has the grammar's escapes).

    Building pyoxigraph objects one by one cost more than the rest of the catalog together
    (bench/bench_catalog.py); text lines cost a string format each."""

    def named(self, iri: str) -> Any:
        return ntriples.iri(iri)

    def literal(self, value: str, datatype: NamedNode | None = None) -> Any:
        return ntriples.literal(value, datatype)

    def blank(self) -> Any:
        return ntriples.blank()

    def add(self, s: Any, p: NamedNode, o: Any) -> None:
        known = ntriples.TERMS
        self.items.append(
            f"{s if s.__class__ is str else known[s]} {known[p]} "
            f"{o if o.__class__ is str else known[o]} .\n"
        )


def datetime_literal(value: datetime) -> Literal:
    return Literal(_utc_text(value), datatype=XSD.dateTime)


def date_literal(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


# --------------------------------------------------------------------------- datasets


def dataset_triples(view: DatasetView, licenses: LicenseTable | None = None) -> list[Triple]:
    """The DCAT-AP description of one dataset (see the module docstring)."""
    out = _Triples()
    _describe_dataset(out, view, licenses)
    return out.items


def dataset_ntriples(view: DatasetView, licenses: LicenseTable | None = None) -> list[str]:
    """`dataset_triples` as N-Triples lines (each ending with a newline), built as text."""
    out = _NTriplesLines()
    _describe_dataset(out, view, licenses)
    return out.items


def _describe_dataset(out: _Triples, view: DatasetView, licenses: LicenseTable | None) -> None:
    draft = view.draft
    dcat = draft.extras.get("dcat") or {}
    node = out.named(view.iri)
    out.add(node, RDF.type, DCAT.Dataset)
    out.add(node, DCT.identifier, out.literal(view.identifier))
    out.add(node, DCT.title, out.literal(draft.title))
    out.text(node, DCT.description, draft.description)
    out.text(node, SKOS.altLabel, draft.acronym)
    _keywords(out, node, draft.tags)
    _dates(out, node, draft.harvest, view.created_at, view.last_modified)
    out.iri(node, DCAT.landingPage, draft.harvest.remote_url)
    _doi(out, node, draft.harvest.doi)
    if draft.frequency is not None:
        out.add(node, DCT.accrualPeriodicity, FREQUENCY_IRIS[draft.frequency])
    _temporal(out, node, draft.temporal_coverage)
    _spatial(out, node, draft.spatial)
    _resolution(out, node, dcat.get("spatial_resolution"))
    _contacts(out, node, draft.contact_points or ())
    _schema(out, node, draft.schema_)
    _rights(out, node, dcat, draft.license, draft.access_type, licenses)
    for value in _texts(dcat.get("provenance")):
        out.labelled(node, DCT.provenance, value, DCT.ProvenanceStatement)
    for resource in draft.resources:
        _distribution(out, node, resource, licenses)


def _keywords(out: _Triples, node: Any, tags: Sequence[str]) -> None:
    for tag in tags:
        out.add(node, DCAT.keyword, out.literal(tag))
    if HVD_TAG in tags:
        for tag in tags:
            theme = _HVD_BY_LABEL.get(tag)
            if theme:
                out.add(node, DCAT.theme, out.named(theme))
                out.add(node, DCATAP_HVD_CATEGORY, out.named(theme))


DCATAP_HVD_CATEGORY = NamedNode("http://data.europa.eu/r5r/hvdCategory")


def _dates(
    out: _Triples,
    node: Any,
    harvest: Any,
    created_at: datetime | None,
    last_modified: datetime | None,
) -> None:
    out.when(node, DCT.created, harvest.created_at)
    out.when(node, DCT.issued, harvest.issued_at or created_at)
    out.when(node, DCT.modified, harvest.modified_at or last_modified)


def _doi(out: _Triples, node: Any, doi: str | None) -> None:
    if not doi:
        return
    identifier = out.blank()
    out.add(node, ADMS.identifier, identifier)
    out.add(identifier, RDF.type, ADMS.Identifier)
    out.add(identifier, SKOS.notation, out.literal(f"https://doi.org/{doi}", XSD.anyURI))


def _temporal(out: _Triples, node: Any, coverage: TemporalCoverage | None) -> None:
    if coverage is None or not (coverage.start or coverage.end):
        return
    period = out.blank()
    out.add(node, DCT.temporal, period)
    out.add(period, RDF.type, DCT.PeriodOfTime)
    if coverage.start:
        out.add(period, DCAT.startDate, out.date_term(coverage.start))
    if coverage.end:
        out.add(period, DCAT.endDate, out.date_term(coverage.end))


def _spatial(out: _Triples, node: Any, spatial: SpatialCoverage | None) -> None:
    """A `dct:Location` with the geometry as GeoJSON and WKT, and its envelope as `dcat:bbox`.

    The envelope is a GML literal (GeoDCAT-AP allows GML, WKT or GeoJSON): readers, ours and
    udata's, merge every WKT/GeoJSON literal of a location into the coverage, so a WKT
    envelope would come back as an extra polygon.
    """
    geometry = spatial.geom if spatial else None
    if not geometry or not geometry.get("coordinates"):
        return
    location = out.blank()
    out.add(node, DCT.spatial, location)
    out.add(location, RDF.type, DCT.Location)
    out.add(
        location,
        LOCN.geometry,
        out.literal(json.dumps(geometry, separators=(",", ":")), GSP.geoJSONLiteral),
    )
    wkt = geometry_wkt(geometry)
    if wkt:
        out.add(location, LOCN.geometry, out.literal(wkt, GSP.wktLiteral))
    envelope = geometry_envelope(geometry)
    if envelope:
        west, south, east, north = envelope
        gml = (
            f'<gml:Envelope xmlns:gml="http://www.opengis.net/gml/3.2" srsName="{CRS84}">'
            f"<gml:lowerCorner>{west!r} {south!r}</gml:lowerCorner>"
            f"<gml:upperCorner>{east!r} {north!r}</gml:upperCorner></gml:Envelope>"
        )
        out.add(location, DCAT.bbox, out.literal(gml, GSP.gmlLiteral))


def _positions(value: Any) -> Iterable[Sequence[float]]:
    if isinstance(value, list) and value and isinstance(value[0], int | float):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _positions(item)


def geometry_envelope(geometry: dict[str, Any]) -> tuple[float, float, float, float] | None:
    positions = list(_positions(geometry.get("coordinates")))
    if not positions:
        return None
    xs = [float(p[0]) for p in positions]
    ys = [float(p[1]) for p in positions]
    return min(xs), min(ys), max(xs), max(ys)


def geometry_wkt(geometry: dict[str, Any]) -> str | None:
    """WKT of a Polygon or MultiPolygon (the only types the model stores)."""

    def position(p: Sequence[float]) -> str:
        return " ".join(repr(float(n)) for n in p)

    def polygon(rings: list[Any]) -> str:
        return "(" + ", ".join("(" + ", ".join(map(position, ring)) + ")" for ring in rings) + ")"

    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return None
    try:
        if kind == "MultiPolygon":
            return "MULTIPOLYGON (" + ", ".join(polygon(p) for p in coordinates) + ")"
        if kind == "Polygon":
            return "POLYGON " + polygon(coordinates)
    except (TypeError, ValueError):
        return None
    return None


def _resolution(out: _Triples, node: Any, text: Any) -> None:
    """The reader's resolution text (`12.5 m`, `2.0 km`, `1/25000`) as GeoDCAT-AP says it."""
    if not isinstance(text, str) or not text:
        return
    distance = _DISTANCE.match(text)
    try:
        if distance and distance.group(2) == "m":
            metres = float(distance.group(1))
            out.add(node, DCAT.spatialResolutionInMeters, out.literal(repr(metres), XSD.decimal))
            return
        measurement = out.blank()
        if distance:
            value = float(distance.group(1))
            metric = GEODCATAP.spatialResolutionAsDistance
        else:
            value = float(Fraction(text))
            metric = GEODCATAP.spatialResolutionAsScale
    except (ValueError, ZeroDivisionError):
        return
    out.add(node, DQV.hasQualityMeasurement, measurement)
    out.add(measurement, RDF.type, DQV.QualityMeasurement)
    out.add(measurement, DQV.isMeasurementOf, metric)
    out.add(measurement, DQV.value, out.literal(repr(value), XSD.decimal))
    if distance:
        out.add(measurement, SDMX_ATTR.unitMeasure, _DISTANCE_UNITS[distance.group(2)])


def _contacts(out: _Triples, node: Any, contacts: Iterable[ContactPointDraft]) -> None:
    """Contact points as vCards; other roles as FOAF agents, or as vCards when they have a
    contact form (FOAF has no place for one, and the reader reads both)."""
    for contact in contacts:
        predicate = ROLE_PREDICATES.get(contact.role)
        if predicate is None or not (contact.name or contact.email or contact.contact_form):
            continue
        agent = out.blank()
        out.add(node, predicate, agent)
        if contact.role == ContactRole.CONTACT or contact.contact_form:
            out.add(agent, RDF.type, VCARD.Kind)
            if contact.role != ContactRole.CONTACT:
                out.add(agent, RDF.type, FOAF.Agent)
            out.text(agent, VCARD.fn, contact.name)
            if contact.email:
                out.add(agent, VCARD.hasEmail, out.named(_mailto(contact.email)))
            out.iri(agent, VCARD.hasURL, contact.contact_form)
        else:
            out.add(agent, RDF.type, FOAF.Agent)
            out.text(agent, FOAF.name, contact.name)
            if contact.email:
                out.add(agent, FOAF.mbox, out.named(_mailto(contact.email)))


def _mailto(email: str) -> str:
    address = email.strip()
    if absolute_iri("urn:" + address) is None:  # spaces or IRI-forbidden characters
        address = "".join(c for c in address if c not in ' <>"{}|\\^`')
    return "mailto:" + address


def _schema(out: _Triples, node: Any, schema: SchemaRef | None) -> None:
    iri = absolute_iri(schema.url) if schema else None
    if schema is None or iri is None:
        return
    standard = out.named(iri)
    out.add(node, DCT.conformsTo, standard)
    out.add(standard, RDF.type, DCT.Standard)
    out.text(standard, DCT.title, schema.name)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return []


def _license_object(out: _Triples, node: Any, license_id: str, licenses: LicenseTable) -> None:
    known = licenses.get(license_id)
    url = absolute_iri(known.url) if known else None
    if url:
        out.add(node, DCT.license, out.named(url))
        out.add(out.named(url), RDF.type, DCT.LicenseDocument)
    else:
        out.labelled(node, DCT.license, known.title if known else license_id, DCT.LicenseDocument)


def _rights(
    out: _Triples,
    node: Any,
    dcat: dict[str, Any],
    license_id: str | None,
    access_type: str | None,
    licenses: LicenseTable | None,
) -> None:
    """Rights, access rights and licences: the remote's own texts when the reader kept them
    (so re-reading guesses the same licence), else what the local fields say."""
    for key, predicate, kind in RIGHTS:
        for value in _texts(dcat.get(key)):
            out.labelled(node, predicate, value, kind)
    if license_id and not _texts(dcat.get("license")):
        _license_object(out, node, license_id, licenses or default_licenses())
    code = ACCESS_RIGHT_CODES.get(access_type or "")
    if code and not _texts(dcat.get("accessRights")):
        out.add(node, DCT.accessRights, out.named(ACCESS_RIGHTS + code))


def _distribution(
    out: _Triples, dataset: Any, resource: ResourceDraft, licenses: LicenseTable | None
) -> None:
    url = absolute_iri(resource.url)
    if url is None:
        return
    uri = absolute_iri(resource.harvest.uri)
    node: Any = out.named(uri) if uri else out.blank()
    out.add(dataset, DCAT.distribution, node)
    out.add(node, RDF.type, DCAT.Distribution)
    out.add(node, DCAT.accessURL, out.named(url))
    if resource.type != ResourceType.API:
        out.add(node, DCAT.downloadURL, out.named(url))
    else:
        service = out.blank()
        out.add(node, DCAT.accessService, service)
        out.add(service, RDF.type, DCAT.DataService)
        out.add(service, DCAT.endpointURL, out.named(url))
    out.text(node, DCT.title, resource.title)
    out.text(node, DCT.description, resource.description)
    out.text(node, DCT.identifier, resource.harvest.dct_identifier)
    out.when(node, DCT.issued, resource.harvest.issued_at)
    out.when(node, DCT.modified, resource.harvest.modified_at)
    if resource.format:
        code = resource.format.upper()
        if code in EU_FILE_TYPES and code.lower() == resource.format:
            out.add(node, DCT.format, EUFORMAT[code])
        else:
            out.labelled(node, DCT.format, resource.format, DCT.MediaTypeOrExtent)
    if resource.mime:
        if _MEDIA_TYPE.match(resource.mime):
            out.add(node, DCAT.mediaType, IANAFORMAT[resource.mime])
        else:
            out.labelled(node, DCAT.mediaType, resource.mime, DCT.MediaType)
    if resource.filesize is not None and resource.filesize >= 0:
        out.add(
            node,
            DCAT.byteSize,
            out.literal(str(resource.filesize), XSD.nonNegativeInteger),
        )
    checksum = resource.checksum
    algorithm = SPDX_ALGORITHM_IRIS.get(checksum.type.value) if checksum else None
    if checksum and algorithm:
        node_checksum = out.blank()
        out.add(node, SPDX.checksum, node_checksum)
        out.add(node_checksum, RDF.type, SPDX.Checksum)
        out.add(node_checksum, SPDX.algorithm, algorithm)
        out.add(node_checksum, SPDX.checksumValue, out.literal(checksum.value, XSD.hexBinary))
    _schema(out, node, resource.schema_)
    extras = resource.extras.get("dcat") or {}
    for key, predicate, kind in RIGHTS:
        for value in _texts(extras.get(key)):
            out.labelled(node, predicate, value, kind)


# --------------------------------------------------------------------------- dataservices


def dataservice_triples(
    view: DataserviceView, licenses: LicenseTable | None = None
) -> list[Triple]:
    """The DCAT-AP description of one dataservice (see the module docstring)."""
    out = _Triples()
    _describe_dataservice(out, view, licenses)
    return out.items


def dataservice_ntriples(view: DataserviceView, licenses: LicenseTable | None = None) -> list[str]:
    """`dataservice_triples` as N-Triples lines, built as text."""
    out = _NTriplesLines()
    _describe_dataservice(out, view, licenses)
    return out.items


def _describe_dataservice(
    out: _Triples, view: DataserviceView, licenses: LicenseTable | None
) -> None:
    draft = view.draft
    node = out.named(view.iri)
    out.add(node, RDF.type, DCAT.DataService)
    out.add(node, DCT.identifier, out.literal(view.identifier))
    out.add(node, DCT.title, out.literal(draft.title))
    out.text(node, DCT.description, draft.description)
    _keywords(out, node, draft.tags)
    _dates(out, node, draft.harvest, view.created_at, view.last_modified)
    out.iri(node, DCAT.landingPage, draft.harvest.remote_url)
    out.iri(node, DCAT.endpointURL, draft.base_api_url)
    out.iri(
        node,
        DCAT.endpointDescription,
        draft.machine_documentation_url or draft.endpoint_description_url,
    )
    out.iri(node, FOAF.page, draft.technical_documentation_url)
    _contacts(out, node, draft.contact_points or ())
    if draft.license:
        _license_object(out, node, draft.license, licenses or default_licenses())
    code = ACCESS_RIGHT_CODES.get(draft.access_type or "")
    if code:
        out.add(node, DCT.accessRights, out.named(ACCESS_RIGHTS + code))
    for served in view.served:
        dataset = out.named(served.iri)
        out.add(node, DCAT.servesDataset, dataset)
        out.add(dataset, DCT.identifier, out.literal(served.identifier))
