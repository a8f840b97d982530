"""ISO online resources -> resources and landing pages (GeoDCAT-AP resource locators).

An online resource of the distribution info becomes a resource when it is an OGC service
(by protocol, or by a `SERVICE=` parameter when it declares no protocol) or when it has an
online function code; any other link is a landing page candidate. That is what the
GeoDCAT-AP XSLT udata runs does: links without a function (the XML or HTML views of the
metadata, base service URLs, documentation) are not distributions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from moisson.domain.drafts import ResourceDraft
from moisson.domain.enums import ResourceType
from moisson.mapping.iso19139.reading import RecordReader, code_value, find, findall, is_url
from moisson.mapping.iso19139.vocabularies import DATA_FUNCTIONS, NAMESPACES, OGC_SERVICES
from moisson.mapping.text import sanitize_description

ONLINE_RESOURCES = (
    "gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/"
    "gmd:MD_DigitalTransferOptions/gmd:onLine/gmd:CI_OnlineResource",
    "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributor/gmd:MD_Distributor/"
    "gmd:distributorTransferOptions/gmd:MD_DigitalTransferOptions/gmd:onLine/"
    "gmd:CI_OnlineResource",
)
_OGC_PROTOCOL = re.compile(r"\bOGC:(" + "|".join(OGC_SERVICES) + r")\b", re.IGNORECASE)
#: Formats whose resources share one GetCapabilities URL, one per layer: they are told
#: apart by (URL, title) (docs/udata-backends.md §2.12).
_LAYERED_FORMATS = frozenset({"wms", "wfs", "wmts"})
_NAMELESS = {
    "fr": ("Ressource {}", "Ressource sans nom"),
    "en": ("{} resource", "Nameless resource"),
}


@dataclass(frozen=True, slots=True)
class OnlineResources:
    resources: tuple[ResourceDraft, ...]
    landing_pages: tuple[str, ...]


def ogc_service(protocol: str | None, url: str) -> str | None:
    """The OGC service type of a link (`wms`, `wfs`...), from its protocol, else from the
    `SERVICE` parameter of a link that declares no protocol."""
    if protocol:
        match = _OGC_PROTOCOL.search(protocol)
        if match:
            return match.group(1).lower()
        return None
    for key, value in parse_qsl(urlsplit(url).query):
        if key.lower() == "service" and value.lower() in OGC_SERVICES:
            return value.lower()
    return None


def _fallback_title(url: str, fmt: str | None, lang: str) -> str:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if "." in last and "?" not in url:
        return last
    with_format, nameless = _NAMELESS.get(lang[:2], _NAMELESS["en"])
    return with_format.format(fmt) if fmt else nameless


def online_resources(
    record: etree._Element,
    reader: RecordReader,
    *,
    lang: str,
    extras: dict[str, Any],
) -> OnlineResources:
    """Resources (deduplicated as udata does: the later one wins) and landing pages."""
    formats = reader.texts_at(
        record,
        "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format/gmd:name",
    )
    data_format = formats[0].lower() if formats else None
    by_key: dict[object, ResourceDraft] = {}
    landing_pages: list[str] = []
    for path in ONLINE_RESOURCES:
        for online in findall(record, path):
            url = (online.findtext("gmd:linkage/gmd:URL", "", NAMESPACES) or "").strip()
            if not url:
                continue
            protocol = reader.text_at(online, "gmd:protocol")
            function = code_value(find(online, "gmd:function"))
            service = ogc_service(protocol, url)
            fmt: str | None
            if service:
                kind, fmt = ResourceType.API, service
            elif function in DATA_FUNCTIONS:
                kind, fmt = ResourceType.MAIN, data_format
            elif function:
                # information, search, browsing...: about the data, not the data itself.
                kind, fmt = ResourceType.DOCUMENTATION, None
            else:
                if is_url(url):
                    landing_pages.append(url)
                continue
            title = reader.text_at(online, "gmd:name") or _fallback_title(url, fmt, lang)
            resource = ResourceDraft(
                url=url,
                title=title,
                description=sanitize_description(reader.text_at(online, "gmd:description")),
                format=fmt,
                type=kind,
                extras={"dcat": dict(extras)} if extras else {},
            )
            key: object = (url, title) if fmt in _LAYERED_FORMATS else url
            by_key[key] = resource
    return OnlineResources(tuple(by_key.values()), tuple(landing_pages))
