"""What a CSW 2.0.2 server says it supports, read once per run from `GetCapabilities`.

The `GetRecords` requests of a run are built from it (`csw.request_plans`): the server's own
spelling of the queryables (pycsw's are case-sensitive: `apiso:Type`, `apiso:Identifier`),
the output schemas it offers, whether it takes OGC filters. A server whose capabilities
cannot be read (an answer that is no `Capabilities` document, an exception report, a 4xx)
is asked what udata asks, and refusals are handled by the fallback order of `csw.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from lxml import etree

from moisson.mapping.xml import XmlError, local_name, parse_xml

OWS_NAMESPACES = ("http://www.opengis.net/ows", "http://www.opengis.net/ows/1.1")
QUERYABLE_CONSTRAINTS = frozenset(
    {"SupportedISOQueryables", "AdditionalQueryables", "SupportedDublinCoreQueryables"}
)


@dataclass(frozen=True, slots=True)
class CswCapabilities:
    """The parts of a `csw:Capabilities` document the harvest uses.

    Every field is `None` when the server did not say (or its capabilities could not be
    read): the request then follows udata's, without asking the server.
    """

    output_schemas: frozenset[str] | None = None
    """`GetRecords` `outputSchema` values."""
    queryables: tuple[str, ...] | None = None
    """Every advertised queryable, spelled as the server spells it."""
    constraint_languages: frozenset[str] | None = None
    """`GetRecords` `CONSTRAINTLANGUAGE` values, upper-cased (`FILTER`, `CQL_TEXT`)."""
    max_record_default: int | None = None
    """The server's `MaxRecordDefault` (pycsw: its `maxrecords` cap)."""
    problem: str | None = None
    """Why the capabilities are unknown, when they are."""

    @property
    def known(self) -> bool:
        return self.problem is None

    def queryable(self, name: str) -> str | None:
        """The server's spelling of queryable `name` (`apiso:Type`), compared
        case-insensitively; `None` when the server lists its queryables and this one is not
        among them, and `name` itself when the server does not list them.

        A server that lists them without their prefix (GeoNetwork writes `Type`,
        `Identifier`) gets `name`'s prefix on its own spelling (`apiso:Type`)."""
        if self.queryables is None:
            return name
        wanted = name.lower()
        prefix, _, local = name.rpartition(":")
        for listed in self.queryables:
            if listed.lower() == wanted:
                return listed
        for listed in self.queryables:
            if ":" not in listed and listed.lower() == local.lower():
                return f"{prefix}:{listed}" if prefix else listed
        return None

    def offers_schema(self, schema: str) -> bool:
        return self.output_schemas is None or schema in self.output_schemas

    @property
    def filters(self) -> bool:
        """Whether an OGC `Filter` constraint may be sent."""
        return self.constraint_languages is None or "FILTER" in self.constraint_languages


def unknown(problem: str) -> CswCapabilities:
    return CswCapabilities(problem=problem)


def _values(element: etree._Element) -> list[str]:
    return [
        " ".join((v.text or "").split())
        for v in element.iter()
        if isinstance(v.tag, str) and local_name(v) == "Value" and (v.text or "").strip()
    ]


def _named(parent: etree._Element, kind: str) -> Iterable[etree._Element]:
    return (
        child
        for child in parent
        if isinstance(child.tag, str)
        and local_name(child) == kind
        and etree.QName(child).namespace in OWS_NAMESPACES
    )


def parse_capabilities(root: etree._Element) -> CswCapabilities:
    """Read a `csw:Capabilities` root (ows 1.0 or 1.1 operations metadata)."""
    operations = next(
        (c for c in root if isinstance(c.tag, str) and local_name(c) == "OperationsMetadata"),
        None,
    )
    if operations is None:
        return CswCapabilities()
    schemas: set[str] | None = None
    languages: set[str] | None = None
    queryables: list[str] | None = None
    max_default: int | None = None
    for operation in _named(operations, "Operation"):
        if operation.get("name", "").lower() != "getrecords":
            continue
        for parameter in _named(operation, "Parameter"):
            name = parameter.get("name", "").lower()
            if name == "outputschema":
                schemas = set(_values(parameter))
            elif name == "constraintlanguage":
                languages = {v.upper() for v in _values(parameter)}
        for constraint in _named(operation, "Constraint"):
            if constraint.get("name") in QUERYABLE_CONSTRAINTS:
                queryables = [*(queryables or []), *_values(constraint)]
    for constraint in _named(operations, "Constraint"):
        if constraint.get("name", "").lower() == "maxrecorddefault":
            found = _values(constraint)
            max_default = int(found[0]) if found and found[0].isdigit() else None
    return CswCapabilities(
        output_schemas=frozenset(schemas) if schemas else None,
        queryables=tuple(dict.fromkeys(queryables)) if queryables else None,
        constraint_languages=frozenset(languages) if languages else None,
        max_record_default=max_default,
    )


def capabilities_url(url: str) -> httpx.URL:
    """The source URL with the KVP parameters of a CSW 2.0.2 `GetCapabilities`."""
    return httpx.URL(url).copy_merge_params(
        {"service": "CSW", "version": "2.0.2", "request": "GetCapabilities"}
    )


def fetch_capabilities(http: httpx.Client, url: str) -> CswCapabilities:
    """GET the server's capabilities.

    A server that is down (transport errors, 5xx, 429 once the client's retries are spent)
    fails the source here as GetRecords would. An answer that is not usable capabilities
    (an exception report, another 4xx, HTML, a GetRecords response) leaves them unknown.
    """
    response = http.get(capabilities_url(url))
    if response.status_code == 429 or response.status_code >= 500:
        response.raise_for_status()
    try:
        root = parse_xml(response.content)
    except XmlError as exc:
        return unknown(f"HTTP {response.status_code}, not XML ({exc})")
    if local_name(root) != "Capabilities":
        return unknown(f"HTTP {response.status_code}, root element {root.tag!r}")
    if not response.is_success:
        return unknown(f"HTTP {response.status_code}")
    return parse_capabilities(root)
