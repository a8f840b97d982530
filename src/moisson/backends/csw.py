"""CSW 2.0.2 `GetRecords` over POST, shared by the `csw-*` backends (docs/udata-backends.md §4).

What is generic here: building the request for a given `outputSchema` and `typeNames`
from what the server's GetCapabilities say it supports (`RequestPlan`), the documented
order of simpler requests when the server refuses one (`next_plan`), reading
`SearchResults`, OWS exception reports, the `nextRecord` paging rules and the page cache of
incremental runs. What a backend plugs in: how one record element becomes
`RemoteRecord`s (an ISO 19139 record is one dataset; a DCAT record may describe none, one
or several datasets and services).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import httpx
from lxml import etree

from moisson.backends.base import HarvestContext
from moisson.backends.csw_capabilities import CswCapabilities, fetch_capabilities
from moisson.backends.paging import cursor_int, ending_at, replayed
from moisson.domain.capabilities import ExtraConfigSpec
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import CursorRejected, SourceInvalid
from moisson.domain.json import Json
from moisson.domain.pages import CachedPage
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.xml import XmlError, local_name, parse_xml

CSW = "http://www.opengis.net/cat/csw/2.0.2"
OGC = "http://www.opengis.net/ogc"
APISO = "http://www.opengis.net/cat/csw/apiso/1.0"
GMD = "http://www.isotc211.org/2005/gmd"
ISO_19139_SCHEMA = GMD
"""The `outputSchema` of ISO 19139 output."""

RECORD_TYPES = ("dataset", "nonGeographicDataset", "series", "service")
"""The hierarchy levels asked for; anything else (feature catalogues, models...) is not
harvestable as a dataset."""
TYPE_QUERYABLES = ("apiso:type", "apiso:Type")
"""The spelling of the queryable in the spec first, the other one tried when a server
that does not list its queryables refuses it."""
DEFAULT_PAGE_SIZE = 25

REMOTE_URL_PREFIX = ExtraConfigSpec(
    "remote_url_prefix",
    "Remote URL prefix",
    str,
    "A prefix used to build the remote URL of the harvested items "
    "(the record's identifier is appended).",
)
"""The extra config every `csw-*` backend declares (docs/udata-backends.md §2.3.1)."""


def remote_url_prefix(ctx: HarvestContext) -> str | None:
    """The source's `remote_url_prefix`, `None` when unset or blank."""
    return ctx.config.extra(REMOTE_URL_PREFIX.key) or None  # noqa: S610 - not Django


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """How the `GetRecords` requests of a run are shaped."""

    type_queryable: str | None = TYPE_QUERYABLES[0]
    """The queryable the record-type filter is on; `None`: no filter (the records of other
    types are then left out when mapped)."""
    sort_property: str | None = "apiso:identifier"
    """The queryable sorted on so that paging is stable; `None`: unsorted (paging follows
    `nextRecord` all the same)."""

    def describe(self) -> str:
        type_filter = f"type filter on {self.type_queryable}" if self.type_queryable else None
        sort = f"sorted on {self.sort_property}" if self.sort_property else None
        return ", ".join(p for p in (type_filter, sort) if p) or "no filter, unsorted"


def first_plan(capabilities: CswCapabilities) -> RequestPlan:
    """The request the capabilities allow: udata's when they are unknown; else the record
    type filter and the identifier sort on the queryables the server advertises, in its
    spelling, and neither when it does not advertise them."""
    type_queryable = capabilities.queryable("apiso:Type") if capabilities.filters else None
    if not capabilities.known or capabilities.queryables is None:
        type_queryable = TYPE_QUERYABLES[0] if capabilities.filters else None
        return RequestPlan(type_queryable=type_queryable, sort_property="apiso:identifier")
    return RequestPlan(
        type_queryable=type_queryable, sort_property=capabilities.queryable("apiso:Identifier")
    )


def next_plan(plan: RequestPlan, refusal: str, capabilities: CswCapabilities) -> RequestPlan | None:
    """The request to try after the server refused `plan` with `refusal`, or `None` when
    nothing is left to drop. The order of attempts (README, "CSW"):

    1. a refusal that names the sort: the same request unsorted;
    2. a refusal about the constraint, when the server's queryables are unknown: the other
       spelling of the type queryable (`apiso:Type`);
    3. a refusal about the constraint again: no record-type filter at all.
    """
    lowered = refusal.lower()
    if "sort" in lowered:
        return replace(plan, sort_property=None) if plan.sort_property else None
    about_constraint = any(
        word in lowered for word in ("queryable", "constraint", "filter", "propertyname", "apiso:")
    )
    if not about_constraint or plan.type_queryable is None:
        return None
    if capabilities.queryables is None and plan.type_queryable == TYPE_QUERYABLES[0]:
        return replace(plan, type_queryable=TYPE_QUERYABLES[1])
    return replace(plan, type_queryable=None)


def build_get_records(
    *,
    output_schema: str,
    start_position: int,
    max_records: int = DEFAULT_PAGE_SIZE,
    type_names: str = "gmd:MD_Metadata",
    plan: RequestPlan = RequestPlan(),
) -> bytes:
    """The XML body of a `GetRecords` request (docs/udata-backends.md §4.1): full records of the
    harvestable types, sorted by identifier, as far as `plan` allows."""
    nsmap = {"csw": CSW, "ogc": OGC, "apiso": APISO, "gmd": GMD}
    root = etree.Element(
        f"{{{CSW}}}GetRecords",
        nsmap=nsmap,
        service="CSW",
        version="2.0.2",
        outputFormat="application/xml",
        resultType="results",
        startPosition=str(start_position),
        maxRecords=str(max_records),
        outputSchema=output_schema,
    )
    query = etree.SubElement(root, f"{{{CSW}}}Query", typeNames=type_names)
    etree.SubElement(query, f"{{{CSW}}}ElementSetName").text = "full"
    if plan.type_queryable:
        constraint = etree.SubElement(query, f"{{{CSW}}}Constraint", version="1.1.0")
        any_type = etree.SubElement(
            etree.SubElement(constraint, f"{{{OGC}}}Filter"), f"{{{OGC}}}Or"
        )
        for record_type in RECORD_TYPES:
            equal = etree.SubElement(any_type, f"{{{OGC}}}PropertyIsEqualTo")
            etree.SubElement(equal, f"{{{OGC}}}PropertyName").text = plan.type_queryable
            etree.SubElement(equal, f"{{{OGC}}}Literal").text = record_type
    if plan.sort_property:
        sort_property = etree.SubElement(
            etree.SubElement(query, f"{{{OGC}}}SortBy"), f"{{{OGC}}}SortProperty"
        )
        etree.SubElement(sort_property, f"{{{OGC}}}PropertyName").text = plan.sort_property
        etree.SubElement(sort_property, f"{{{OGC}}}SortOrder").text = "ASC"
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True, slots=True)
class CswPage:
    """One parsed `GetRecordsResponse`."""

    start: int
    records: tuple[etree._Element, ...]
    matched: int | None
    returned: int | None
    next_record: int | None


class CswPaginator:
    """`nextRecord` paging (docs/udata-backends.md §4.2, the rules of GeoNetwork's own CSW
    harvester).

    `has_next` tells whether another request is due, at position `start`; `stop_reason`
    says why paging ended when it ended on something other than the last page.
    """

    def __init__(self, start: int = 1) -> None:
        self.start = start
        self.has_next = True
        self.stop_reason: str | None = None
        self.looped = False
        """Paging stopped because `nextRecord` went back or stood still."""
        self.matched: int | None = None
        """`numberOfRecordsMatched` of the run's first page: a resumed run must see it again."""

    @classmethod
    def resuming(cls, cursor: Json | None) -> CswPaginator:
        return cls(1 if cursor is None else cursor_int(cursor, "start", minimum=1))

    def cursor(self) -> Json:
        return {"start": self.start, "matched": self.matched}

    def advance(self, page: CswPage) -> None:
        """Move to the position the page points to, or stop."""
        if not page.records:
            # Nothing returned: a further request would return nothing either.
            self._stop("the server returned no record")
            return
        # A short page does not mean the end: some servers cap maxRecords below what we
        # asked for, so nextRecord is followed whatever the number returned.
        self.follow(page.next_record, matched=page.matched)

    def follow(self, next_record: int | None, *, matched: int | None = None) -> None:
        """Move to `next_record` (also used when a cached page says where it pointed)."""
        if next_record is None:
            # No nextRecord attribute: there is nothing reliable to follow.
            self._stop("the response has no nextRecord")
        elif next_record == 0:
            # nextRecord 0 is how CSW says "this was the last page".
            self._stop(None)
        elif matched is not None and next_record > matched:
            # Beyond numberOfRecordsMatched: the server points past the result set.
            self._stop(f"nextRecord {next_record} is beyond the {matched} records matched")
        elif next_record < self.start:
            # Going backwards would loop over pages already harvested.
            self._stop(f"nextRecord {next_record} goes back from position {self.start}")
            self.looped = True
        elif next_record == self.start:
            # Not advancing would request the same page forever.
            self._stop(f"nextRecord {next_record} does not advance")
            self.looped = True
        else:
            self.start = next_record

    def _stop(self, reason: str | None) -> None:
        self.has_next = False
        self.stop_reason = reason


def exception_message(root: etree._Element) -> str:
    """The readable text of an OWS `ExceptionReport` (any OWS version)."""
    parts = []
    for exception in root.iter():
        if local_name(exception) != "Exception":
            continue
        code = exception.get("exceptionCode")
        locator = exception.get("locator")
        texts = [
            " ".join("".join(t.itertext()).split())
            for t in exception
            if local_name(t) == "ExceptionText"
        ]
        head = " ".join(x for x in (code, f"(locator: {locator})" if locator else None) if x)
        parts.append(": ".join(x for x in (head, "; ".join(t for t in texts if t)) if x))
    message = "; ".join(p for p in parts if p)
    return message or " ".join("".join(root.itertext()).split()) or "empty exception report"


def _int_attribute(element: etree._Element, name: str) -> int | None:
    value = element.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Refused(Exception):
    """The server answered a `GetRecords` with an exception report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CswClient:
    """Posts `GetRecords` requests for one source, shaped by `plan`, and reads the answers."""

    def __init__(
        self,
        http: httpx.Client,
        url: str,
        *,
        output_schema: str,
        type_names: str = "gmd:MD_Metadata",
        page_size: int = DEFAULT_PAGE_SIZE,
        plan: RequestPlan = RequestPlan(),
    ) -> None:
        self.http = http
        self.url = url
        self.output_schema = output_schema
        self.type_names = type_names
        self.page_size = page_size
        self.plan = plan

    def post(self, start: int) -> httpx.Response:
        body = build_get_records(
            output_schema=self.output_schema,
            start_position=start,
            max_records=self.page_size,
            type_names=self.type_names,
            plan=self.plan,
        )
        return self.http.post(self.url, content=body, headers={"Content-Type": "application/xml"})

    def parse(self, response: httpx.Response, start: int) -> CswPage:
        """The page of a `GetRecordsResponse`.

        Raises `Refused` for an exception report, `SourceInvalid` for a body that is not a
        CSW answer, and lets `httpx.HTTPStatusError` out for HTTP errors without an
        exception report.
        """
        try:
            root = parse_xml(response.content)
        except XmlError as exc:
            response.raise_for_status()
            raise SourceInvalid(
                f"Failed to query CSW: the response is not usable XML ({exc})"
            ) from None
        if local_name(root) == "ExceptionReport":
            raise Refused(exception_message(root))
        response.raise_for_status()
        results = root.find(f"{{{CSW}}}SearchResults")
        if local_name(root) != "GetRecordsResponse" or results is None:
            raise SourceInvalid(
                "Failed to query CSW: the response is not a CSW 2.0.2 GetRecordsResponse "
                f"with SearchResults (root element {root.tag!r})"
            )
        return CswPage(
            start=start,
            records=tuple(child for child in results if isinstance(child.tag, str)),
            matched=_int_attribute(results, "numberOfRecordsMatched"),
            returned=_int_attribute(results, "numberOfRecordsReturned"),
            next_record=_int_attribute(results, "nextRecord"),
        )


def failed_record(xml: str, message: str) -> RemoteRecord:
    """A record that could not be read: the engine records a failed item with `message`
    and the record's XML as details, and goes on with the next record
    (docs/udata-backends.md §4.2)."""
    return RemoteRecord(
        remote_id=None,
        kind=ItemKind.DATASET,
        payload=None,
        content_hash=content_hash(xml),
        failure=message,
        failure_details=f"Source XML: {xml}",
    )


_SEARCH_STATUS = re.compile(rb"<(?:[\w.-]+:)?SearchStatus\b[^>]*>")


def body_digest(body: bytes) -> str:
    """The page-cache digest of a `GetRecords` answer. `csw:SearchStatus` is left out: it
    only carries the time of the answer (pycsw and GeoNetwork write it into every response),
    which would make every page look changed."""
    return content_hash(_SEARCH_STATUS.sub(b"", body))


def page_key(url: str, start: int) -> str:
    """The page-cache key of a CSW page: the URL plus the start position."""
    return f"{url}#startPosition={start}"


RecordReader = Callable[[etree._Element], Iterable[RemoteRecord]]
"""One `SearchResults` child -> the records it holds, in order."""
SchemaRefusal = Callable[[CswCapabilities], str]
"""The job error when the server does not offer the backend's `outputSchema`."""


def read_capabilities(
    ctx: HarvestContext, *, output_schema: str, schema_refused: SchemaRefusal
) -> CswCapabilities:
    """The server's capabilities, once per run; fails the source at once when they say the
    output schema the backend needs is not offered."""
    capabilities = fetch_capabilities(ctx.http, ctx.source.url)
    if not capabilities.known:
        ctx.log.warning(
            "CSW GetCapabilities unusable (%s): GetRecords is sent as udata sends it",
            capabilities.problem,
        )
    elif not capabilities.offers_schema(output_schema):
        raise SourceInvalid(schema_refused(capabilities))
    else:
        ctx.log.info(
            "CSW GetCapabilities: request %s; MaxRecordDefault %s",
            first_plan(capabilities).describe(),
            capabilities.max_record_default,
        )
    return capabilities


def request_first_page(
    ctx: HarvestContext, client: CswClient, capabilities: CswCapabilities, start: int = 1
) -> tuple[httpx.Response, CswPage]:
    """The run's first page (page 1, or where a resumed run starts), asked again with a
    simpler request each time the server refuses one (`next_plan`); the request that worked
    is kept for the whole run."""
    refusals: list[str] = []
    while True:
        response = client.post(start)
        try:
            return response, client.parse(response, start)
        except Refused as refused:
            refusals.append(f"{client.plan.describe()}: {refused.message}")
            plan = next_plan(client.plan, refused.message, capabilities)
            if plan is None:
                raise SourceInvalid(
                    "Failed to query CSW: " + "; then ".join(refusals)
                    if len(refusals) > 1
                    else f"Failed to query CSW: {refused.message}"
                ) from None
            ctx.log.warning(
                "CSW server refused GetRecords (%s); asking again with %s",
                refusals[-1],
                plan.describe(),
            )
            client.plan = plan


def _first_page(
    ctx: HarvestContext,
    client: CswClient,
    capabilities: CswCapabilities,
    start: int,
    cursor: Json | None,
) -> tuple[httpx.Response, CswPage]:
    """The first page of this run; for a resumed run, the page its cursor names, which must
    answer and count as many records as when the job started (else records moved between
    pages, and some would be missed)."""
    if cursor is None:
        return request_first_page(ctx, client, capabilities)
    try:
        response, page = request_first_page(ctx, client, capabilities, start)
    except SourceInvalid as exc:
        raise CursorRejected(f"startPosition {start} was refused: {exc.message}") from None
    before = cursor.get("matched")
    if isinstance(before, int) and page.matched != before:
        raise CursorRejected(
            f"numberOfRecordsMatched is {page.matched}, {before} when the job started: "
            "records may have moved between pages"
        )
    return response, page


def _listing_changed(first: int, last: int) -> RemoteRecord:
    """A failed item saying the result set changed size while it was paged: a record may
    have been skipped or read twice, so this run must not count as a complete listing
    (autoarchive is skipped, the next run reads the catalog again)."""
    message = (
        f"CSW numberOfRecordsMatched changed from {first} to {last} during the run: records "
        "may have moved between pages, so some may have been skipped; they are harvested on "
        "the next run, and nothing is archived on this one"
    )
    return RemoteRecord(
        remote_id=None,
        kind=ItemKind.DATASET,
        payload=None,
        content_hash=content_hash(message),
        failure=message,
        failure_details=None,
    )


def iter_records(
    ctx: HarvestContext,
    *,
    output_schema: str,
    read_records: RecordReader,
    schema_refused: SchemaRefusal,
    type_names: str = "gmd:MD_Metadata",
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[RemoteRecord]:
    """Stream the records of the source's CSW, page by page.

    GetCapabilities is read first and shapes every request (`first_plan`); a refusal of
    the first page makes the request simpler (`next_plan`).

    A page whose body hashes to what the page cache remembers yields its remembered
    records as unchanged (no parsing, no mapping) and paging continues from where it
    pointed. After each fully read page, the page is offered to the cache
    (`ctx.pages.put`); the engine's cache keeps it only if all its records end well.
    """
    capabilities = read_capabilities(
        ctx, output_schema=output_schema, schema_refused=schema_refused
    )
    client = CswClient(
        ctx.http,
        ctx.source.url,
        output_schema=output_schema,
        type_names=type_names,
        page_size=page_size,
        plan=first_plan(capabilities),
    )
    cursor = ctx.resume
    paginator = CswPaginator.resuming(cursor)
    first = paginator.start
    matched_seen: list[int] = []
    while paginator.has_next:
        start = paginator.start
        key = page_key(ctx.source.url, start)
        if start == first:
            response, page = _first_page(ctx, client, capabilities, start, cursor)
            paginator.matched = page.matched
        else:
            response = client.post(start)
            page = None
        resume = paginator.cursor()
        digest = body_digest(response.content)
        cached = ctx.pages.get(key)
        if cached is not None and cached.digest == digest and response.is_success:
            yield from replayed(cached, resume=resume)
            paginator.follow(int(cached.next_key) if cached.next_key else 0)
            continue
        if page is None:
            try:
                page = client.parse(response, start)
            except Refused as refused:
                raise SourceInvalid(f"Failed to query CSW: {refused.message}") from None
        if page.matched is not None:
            matched_seen.append(page.matched)
        records = [
            replace(record, page=key, resume=resume)
            for element in page.records
            for record in read_records(element)
        ]
        yield from records[:-1]
        paginator.advance(page)
        yield from ending_at(records[-1:], paginator.cursor() if paginator.has_next else None)
        if paginator.stop_reason:
            ctx.log.warning("CSW paging stopped at position %s: %s", start, paginator.stop_reason)
        reached = start + len(page.records) - 1
        if paginator.looped and page.matched is not None and reached < page.matched:
            # Stopping is what GeoNetwork does (docs/udata-backends.md §4.2), but a run that ends
            # quietly here passes for a complete listing, and autoarchive would then archive every
            # record the loop kept us from reaching. The records read so far are harvested; the job
            # fails, so nothing is archived.
            raise SourceInvalid(
                f"CSW paging loops: {paginator.stop_reason}, after {reached} of the "
                f"{page.matched} records matched; the records not reached were not harvested "
                "and nothing was archived"
            )
        if records and all(r.remote_id and not r.failure for r in records):
            ctx.pages.put(
                CachedPage(
                    key=key,
                    digest=digest,
                    records=tuple((r.remote_id, r.kind) for r in records if r.remote_id),
                    next_key=str(paginator.start) if paginator.has_next else None,
                )
            )
    if len(set(matched_seen)) > 1:
        yield _listing_changed(matched_seen[0], matched_seen[-1])
