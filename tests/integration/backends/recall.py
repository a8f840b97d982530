"""Recall of the mappings over every recorded catalog: what the source says, what we keep.

For each recorded record of every backend (CKAN, DKAN, DCAT, CSW with DCAT, GeoDCAT-AP or
ISO 19139 output, MAAF), two independent readings:
- a *source detector* over the raw payload the backend gathered (a CKAN package dict, the
  record's RDF triples, the ISO or MAAF XML) says which field families the remote carries;
- a *draft check* over the mapped `DatasetDraft` says which families we kept.
The detectors never call the mapping code: they look for the keys, predicates and elements
each convention uses, so a mapping that forgets one shows up here.

Run `python -m tests.integration.backends.recall` to print the README table.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from pyoxigraph import Literal, NamedNode
from tests.conftest import SHARED_FIXTURES
from tests.harvesting import gather_and_map
from tests.integration.backends.csw_replay import CswReplay, csw_context
from tests.integration.backends.dcat_harness import BASE, harvest, serve_pages

from moisson.backends.csw_dcat import CswDcatBackend
from moisson.backends.csw_iso19139 import CswIso19139Backend
from moisson.domain.drafts import DatasetDraft
from moisson.domain.records import RemoteRecord
from moisson.mapping.ckan import dataset_from_ckan
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.maaf import dataset_from_maaf, parse_descriptor
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DCT, GEODCATAP, SPDX
from moisson.mapping.rdf.records import parse_record

FAMILIES = (
    "description",
    "licence",
    "frequency",
    "temporal",
    "spatial",
    "contact points",
    "keywords",
    "resource format",
    "resource size",
    "resource checksum",
    "resource mime type",
)
BACKENDS = ("ckan", "dkan", "dcat", "csw-dcat", "csw-iso-19139", "maaf")
LICENSES = LicenseTable.load()
NOW = datetime.now(UTC)
_LOG = logging.getLogger("test.recall")


@dataclass
class Sample:
    backend: str
    label: str
    carried: set[str]
    kept: set[str]


@dataclass
class Tally:
    carried: dict[tuple[str, str], int] = field(default_factory=dict)
    kept: dict[tuple[str, str], int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)

    def add(self, sample: Sample) -> None:
        self.records[sample.backend] = self.records.get(sample.backend, 0) + 1
        for family in sample.carried:
            key = (sample.backend, family)
            self.carried[key] = self.carried.get(key, 0) + 1
            if family in sample.kept:
                self.kept[key] = self.kept.get(key, 0) + 1


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict, tuple)):
        return not value
    return False


# --------------------------------------------------------------------------- draft check


def _licence_visible(draft: DatasetDraft) -> bool:
    if draft.license is not None:
        return True
    dcat = draft.extras.get("dcat")
    in_dcat = isinstance(dcat, Mapping) and any(dcat.get(k) for k in ("license", "rights"))
    return in_dcat or any(key.startswith("ckan:license") for key in draft.extras)


def kept_families(draft: DatasetDraft, source_resources: Mapping[str, int]) -> set[str]:
    """The families the draft holds; a resource family is kept when at least as many
    resources hold it as the source has resources carrying it."""
    kept: set[str] = set()
    checks: dict[str, bool] = {
        "description": bool(draft.description.strip()),
        "licence": _licence_visible(draft),
        "frequency": draft.frequency is not None,
        "temporal": draft.temporal_coverage is not None,
        "spatial": draft.spatial is not None
        and (draft.spatial.geom is not None or bool(draft.spatial.zones)),
        "contact points": bool(draft.contact_points),
        "keywords": bool(draft.tags),
    }
    resource_checks: dict[str, Callable[[Any], bool]] = {
        "resource format": lambda r: bool(r.format),
        "resource size": lambda r: r.filesize is not None,
        "resource checksum": lambda r: r.checksum is not None,
        "resource mime type": lambda r: bool(r.mime),
    }
    for family, check in resource_checks.items():
        holding = sum(1 for r in draft.resources if check(r))
        checks[family] = holding >= source_resources.get(family, 0) > 0
    kept.update(family for family, ok in checks.items() if ok)
    return kept


# --------------------------------------------------------------------------- CKAN, DKAN

_CKAN_KEYS = {
    "description": ("notes", "description", "notes_translated", "description_translated"),
    "licence": ("license_id", "license_title", "license_url"),
    "frequency": ("frequency", "accrual_periodicity", "frequency-of-update"),
    "temporal": ("temporal_start", "temporal_end", "temporals", "temporal_coverage"),
    "spatial": ("spatial", "spatial_coverage", "spatial_bbox", "bbox-west-long"),
    "contact points": (
        "maintainer", "maintainer_email", "author", "author_email", "contact_points",
        "contact", "contact_name", "contact_email", "publisher", "publisher_name", "creator",
        "responsible-party", "contact-email",
    ),
    "keywords": ("tags", "keywords"),
}  # fmt: skip
_CKAN_RESOURCE_KEYS = {
    "resource format": ("format",),
    "resource size": ("size", "byte_size"),
    "resource checksum": ("hash",),
    "resource mime type": ("mimetype", "media_type"),
}


def ckan_source(package: Mapping[str, Any]) -> tuple[set[str], dict[str, int]]:
    fields = dict(package)
    extras = package.get("extras") or []
    if isinstance(extras, list):
        fields.update({e.get("key"): e.get("value") for e in extras if isinstance(e, Mapping)})
    carried = {
        family
        for family, keys in _CKAN_KEYS.items()
        if any(not _blank(fields.get(key)) for key in keys)
    }
    resources = [
        r
        for r in package.get("resources") or []
        if isinstance(r, Mapping) and not _blank(r.get("url")) and r.get("state") != "deleted"
    ]
    counts = {
        family: sum(1 for r in resources if any(not _blank(r.get(k)) for k in keys))
        for family, keys in _CKAN_RESOURCE_KEYS.items()
    }
    carried.update(family for family, count in counts.items() if count)
    return carried, counts


def ckan_samples() -> Iterator[Sample]:
    demo = SHARED_FIXTURES / "ckan" / "demo.ckan.org-2017"
    packages: dict[str, tuple[str, dict[str, Any]]] = {}
    search = json.loads((demo / "packages.json").read_text())["result"]["results"]
    for package in search:
        packages[package["id"]] = ("packages.json", package)
    for path in sorted(demo.glob("*-*-*-*-*.json")):
        package = json.loads(path.read_text())["result"]
        packages[package["id"]] = (path.name, package)  # package_show is the full body
    for name, package in packages.values():
        yield _ckan_sample("ckan", f"{name} {package['name']}", package)
    dkan = SHARED_FIXTURES / "dkan" / "hautsdefrance" / "dkan-french-w-license.json"
    (package,) = json.loads(dkan.read_text())["result"]
    yield _ckan_sample("dkan", dkan.name, package, skip_private=False)


def _ckan_sample(backend: str, label: str, package: dict[str, Any], **kwargs: Any) -> Sample:
    carried, counts = ckan_source(package)
    draft = dataset_from_ckan(
        package, licenses=LICENSES, site_url="https://ckan.example.org/", now=NOW, **kwargs
    )
    return Sample(backend, label, carried, kept_families(draft, counts))


# --------------------------------------------------------------------------- RDF

_CONTACT_PREDICATES = (
    DCAT.contactPoint, DCT.publisher, DCT.creator, DCT.rightsHolder, GEODCATAP.custodian,
    GEODCATAP.distributor, GEODCATAP.originator, GEODCATAP.principalInvestigator,
    GEODCATAP.processor, GEODCATAP.resourceProvider, GEODCATAP.user,
)  # fmt: skip
_RDF_FAMILIES: dict[str, tuple[NamedNode, ...]] = {
    "description": (DCT.description, DCT.abstract),
    "frequency": (DCT.accrualPeriodicity,),
    "temporal": (DCT.temporal,),
    "spatial": (DCT.spatial,),
    "contact points": _CONTACT_PREDICATES,
    "keywords": (DCAT.keyword, DCAT.theme),
}
_RDF_RESOURCE_FAMILIES: dict[str, tuple[NamedNode, ...]] = {
    "resource format": (DCT.format,),
    "resource size": (DCAT.byteSize,),
    "resource checksum": (SPDX.checksum,),
    "resource mime type": (DCAT.mediaType,),
}


def _has(graph: RdfGraph, node: Term, predicates: Iterable[NamedNode]) -> bool:
    """A non-blank literal, an IRI, or a blank node that says something."""
    for predicate in predicates:
        for obj in graph.objects(node, predicate):
            if isinstance(obj, Literal):
                if obj.value.strip():
                    return True
            elif isinstance(obj, NamedNode) or graph.predicate_objects(obj):
                return True
    return False


def rdf_source(payload: str) -> tuple[set[str], dict[str, int]]:
    graph, node = parse_record(payload)
    carried = {family for family, preds in _RDF_FAMILIES.items() if _has(graph, node, preds)}
    distributions = [
        d
        for predicate in (DCAT.distribution, DCAT.distributions, DCT.hasPart)
        for d in graph.objects(node, predicate)
    ]
    if _has(graph, node, (DCT.license, DCT.rights)) or any(
        _has(graph, d, (DCT.license, DCT.rights)) for d in distributions
    ):
        carried.add("licence")
    counts = {
        family: sum(1 for d in distributions if _has(graph, d, preds))
        for family, preds in _RDF_RESOURCE_FAMILIES.items()
    }
    carried.update(family for family, count in counts.items() if count)
    return carried, counts


def _rdf_records(records: list[RemoteRecord], drafts: Mapping[str, Any]) -> Iterator[Sample]:
    for record in records:
        draft = drafts.get(record.remote_id or "")
        if not isinstance(draft, DatasetDraft) or not isinstance(record.payload, str):
            continue
        carried, counts = rdf_source(record.payload)
        yield Sample("", record.remote_id or "?", carried, kept_families(draft, counts))


#: Multi-page catalogs: (first page URL, page prefix, suffix); their files are not read alone.
_DCAT_PAGED = (
    ("catalog.jsonld", "paged-collection-", ".jsonld"),
    ("catalog.jsonld", "partial-collection-", ".jsonld"),
    ("catalog.xml", "serves-dataset-by-uri-", ".xml"),
)


def dcat_samples() -> Iterator[Sample]:
    runs = []
    for path in sorted((SHARED_FIXTURES / "dcat").iterdir()):
        if not any(path.name.startswith(prefix) for _, prefix, _ in _DCAT_PAGED):
            runs.append((path.name, harvest(BASE + path.name, licenses=LICENSES)))
    for entry, prefix, suffix in _DCAT_PAGED:
        run = harvest(BASE + entry, serve_pages(prefix, suffix), licenses=LICENSES)
        runs.append((prefix.rstrip("-"), run))
    for name, run in runs:
        for sample in _rdf_records(run.records, run.datasets):
            yield Sample("dcat", f"{name} {sample.label}", sample.carried, sample.kept)


def _csw_run(
    backend: Any, pages: dict[int, Path], config: dict[str, Any] | None = None
) -> tuple[list[RemoteRecord], dict[str, Any]]:
    server = CswReplay(dict(pages))
    ctx = csw_context(backend.info, server, config=config or {}, licenses=LICENSES, log=_LOG)
    outcomes = gather_and_map(backend, ctx)
    drafts = {o.record.remote_id or "": o.draft for o in outcomes if o.draft is not None}
    return [o.record for o in outcomes], drafts


def csw_dcat_samples() -> Iterator[Sample]:
    csw = SHARED_FIXTURES / "csw"
    for flavour, geodcatap in (("dcat", False), ("geodcatap", True)):
        pages = {n: csw / f"geonetwork-{flavour}-page-{n}.xml" for n in (1, 3, 5)}
        config = {"features": {"geodcatap": geodcatap}}
        records, drafts = _csw_run(CswDcatBackend(), pages, config)
        for sample in _rdf_records(records, drafts):
            yield Sample("csw-dcat", f"{flavour} {sample.label}", sample.carried, sample.kept)


# --------------------------------------------------------------------------- ISO 19139

_GMD = "http://www.isotc211.org/2005/gmd"
_ISO_FAMILIES = {
    "description": ".//gmd:identificationInfo//gmd:abstract",
    "licence": ".//gmd:identificationInfo//gmd:resourceConstraints",
    "frequency": ".//gmd:maintenanceAndUpdateFrequency",
    "temporal": ".//gmd:identificationInfo//gmd:temporalElement",
    "spatial": ".//gmd:identificationInfo//gmd:EX_GeographicBoundingBox",
    "contact points": ".//gmd:identificationInfo//gmd:pointOfContact",
    "keywords": ".//gmd:identificationInfo//gmd:descriptiveKeywords",
}


def iso_source(xml: str) -> tuple[set[str], dict[str, int]]:
    root = etree.fromstring(xml.encode())
    ns = {"gmd": _GMD}
    carried = {
        family
        for family, path in _ISO_FAMILIES.items()
        if any("".join(e.itertext()).strip() or len(e) for e in root.iterfind(path, ns))
    }
    # Formats are declared once for the distribution, not per online resource: one counts.
    formats = root.findall(".//gmd:distributionFormat//gmd:name", ns)
    counts = {"resource format": 1 if any("".join(f.itertext()).strip() for f in formats) else 0}
    carried.update(family for family, count in counts.items() if count)
    return carried, counts


def iso_samples() -> Iterator[Sample]:
    csw = SHARED_FIXTURES / "csw"
    files = [
        {n: csw / f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)},
        {1: csw / "geoide-iso19139-single-dataset.xml"},
        {1: csw / "geoplateforme-iso19139-IGNF_RPG.xml"},
    ]
    for pages in files:
        records, drafts = _csw_run(CswIso19139Backend(), pages)
        for record in records:
            draft = drafts.get(record.remote_id or "")
            if isinstance(draft, DatasetDraft) and isinstance(record.payload, str):
                carried, counts = iso_source(record.payload)
                kept = kept_families(draft, counts)
                yield Sample("csw-iso-19139", record.remote_id or "?", carried, kept)


# --------------------------------------------------------------------------- MAAF

_MAAF_FAMILIES = {
    "description": ("notes",),
    "licence": ("license_id",),
    "frequency": ("frequency",),
    "temporal": ("temporal_coverage_from", "temporal_coverage_to"),
    "spatial": ("territorial_coverage",),
    "contact points": ("author", "author_email", "maintainer", "maintainer_email"),
    "keywords": ("tags",),
}


def maaf_source(root: Any) -> tuple[set[str], dict[str, int]]:
    metadata = root.find("metadata")
    carried = {
        family
        for family, names in _MAAF_FAMILIES.items()
        if any("".join(e.itertext()).strip() for n in names for e in metadata.iterfind(n))
    }
    resources = metadata.findall("resources")
    # A `.cle` entry is the SHA-256 of a data file, not a resource of its own.
    formats = [(r.findtext("format") or "").strip().lower() for r in resources]
    counts = {"resource format": sum(1 for f in formats if f and f != "cle")}
    carried.update(family for family, count in counts.items() if count)
    return carried, counts


def maaf_samples() -> Iterator[Sample]:
    for path in sorted((SHARED_FIXTURES / "maaf" / "tree").rglob("*.xml")):
        # The tree's URLs are relative to where it is served (`{{BASE}}`).
        root = parse_descriptor(path.read_bytes().replace(b"{{BASE}}", b"https://maaf.example.org"))
        draft = dataset_from_maaf(
            root, licenses=LICENSES, checksums={}, now=NOW.replace(tzinfo=None), log=_LOG
        )
        carried, counts = maaf_source(root)
        yield Sample("maaf", path.name, carried, kept_families(draft, counts))


# --------------------------------------------------------------------------- report


def all_samples() -> list[Sample]:
    return [
        *ckan_samples(),
        *dcat_samples(),
        *csw_dcat_samples(),
        *iso_samples(),
        *maaf_samples(),
    ]


def tally(samples: Iterable[Sample]) -> Tally:
    result = Tally()
    for sample in samples:
        result.add(sample)
    return result


def report_table(result: Tally) -> str:
    """`kept / carried` per family and backend; `-` where no record carries the family."""
    header = (
        "| family | " + " | ".join(f"{b} ({result.records.get(b, 0)})" for b in BACKENDS) + " |"
    )
    lines = [header, "|---|" + "---|" * len(BACKENDS)]
    for family in FAMILIES:
        cells = []
        for backend in BACKENDS:
            carried = result.carried.get((backend, family), 0)
            kept = result.kept.get((backend, family), 0)
            cells.append(f"{kept} / {carried}" if carried else "-")
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    sys.stdout.write(report_table(tally(all_samples())))
