"""The one hardened XML parser of Moisson, and small XPath helpers.

Every XML document that comes from a remote catalog (CSW pages, ISO 19139 records, MAAF
descriptors) goes through `parse_xml`. The parser never touches the network or the file
system: no DTD is loaded, no entity is resolved or expanded, `huge_tree` is off (libxml2
keeps its depth and text-size limits), and the input size is capped. A document that
declares entities is refused outright: such declarations are how XXE and entity-expansion
("billion laughs") attacks work, and no catalog needs them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

MAX_XML_BYTES = 64 * 1024 * 1024
"""Default size cap of one document (a CSW page of 25 rich ISO records is a few MB)."""


_PROLOG_SCAN = 64 * 1024
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.DOTALL)
_ENTITY_NAME = re.compile(rb"<!ENTITY\s+(?:%\s+)?([^\s\"']+)")
_ENTITIES_REFUSED = (
    "XML documents declaring entities are refused (possible XXE or entity expansion attack): {}"
)


def _entity_names(subset: bytes) -> str:
    names = [m.decode("utf-8", "replace") for m in _ENTITY_NAME.findall(subset)]
    return ", ".join(names[:5])


class XmlError(ValueError):
    """The payload is not XML Moisson accepts: malformed, too large, or declaring entities.

    The message says which, in words an operator can act on; it never quotes file contents
    an entity could have pulled in, since entities are never resolved.
    """


def _make_parser(encoding: str | None = None) -> etree.XMLParser:
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        # Not `collect_ids=False`: with it, libxml2 tries to load an external DTD.
    )


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse `data` safely and return its root element, or raise `XmlError`.

    Bytes are decoded as the document's XML declaration says; text is taken as it is
    (whatever encoding its declaration names, the text was already decoded).
    """
    encoding = None
    if isinstance(data, str):
        data, encoding = data.encode("utf-8"), "utf-8"
    if len(data) > max_bytes:
        raise XmlError(f"XML document too large ({len(data)} bytes, the limit is {max_bytes})")
    declared = _DOCTYPE_SUBSET.search(data[:_PROLOG_SCAN])
    if declared and b"<!ENTITY" in declared.group(1):
        # Refused before parsing: libxml2 would otherwise fail on an expansion bomb with
        # its own, less telling, amplification error.
        raise XmlError(_ENTITIES_REFUSED.format(_entity_names(declared.group(1))))
    try:
        root = etree.fromstring(data, _make_parser(encoding))
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"Invalid XML: {exc}") from None
    if root is None:  # pragma: no cover - libxml2 raises on empty input; kept for mypy
        raise XmlError("Invalid XML: empty document")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None:
        names = [entity.name for entity in dtd.iterentities()]
        if names:
            raise XmlError(_ENTITIES_REFUSED.format(", ".join(str(n) for n in names[:5])))
    return root


def local_name(element: etree._Element) -> str:
    """The tag of `element` without its namespace (`""` for comments and the like)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def xpath_strings(element: etree._Element, path: str, namespaces: Mapping[str, str]) -> list[str]:
    """Every non-blank string the XPath selects (text nodes, attributes or element texts),
    trimmed, in document order."""
    found = element.xpath(path, namespaces=dict(namespaces))
    if not isinstance(found, list):
        found = [found]
    values = []
    for item in found:
        text = "".join(item.itertext()) if isinstance(item, etree._Element) else str(item)
        text = text.strip()
        if text:
            values.append(text)
    return values


def xpath_first(element: etree._Element, path: str, namespaces: Mapping[str, str]) -> str | None:
    """The first non-blank string the XPath selects, trimmed, else `None`."""
    values = xpath_strings(element, path, namespaces)
    return values[0] if values else None


def to_string(element: etree._Element) -> str:
    """Serialise one element (with the namespace declarations it inherits) as a string."""
    return str(etree.tostring(element, encoding="unicode"))
