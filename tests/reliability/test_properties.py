"""Property-based tests: the mapping helpers and the parser entry points, on arbitrary input,
return well-formed values or raise only their documented exceptions."""

from __future__ import annotations

import contextlib
import json
import logging
import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import SHARED_FIXTURES

from moisson.domain.drafts import SpatialCoverage, TemporalCoverage
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping.ckan import (
    dataset_from_ckan,
    parse_datetime,
    parse_period_bound,
    parse_size,
    spatial_from_ckan,
)
from moisson.mapping.iso19139 import dataset_from_iso
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.maaf import dataset_from_maaf, parse_descriptor
from moisson.mapping.rdf import RdfParseError, parse_graph
from moisson.mapping.rdf.spatial import bbox_polygon
from moisson.mapping.rdf.temporal import temporal_from_literal, to_date
from moisson.mapping.rdf.wkt import WktError, parse_wkt
from moisson.mapping.text import normalize_tags, sanitize_description, slugify
from moisson.mapping.xml import XmlError, parse_xml

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LICENSES = LicenseTable.load()
LOG = logging.getLogger("test.properties")
NOW = datetime(2024, 1, 1, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


# ------------------------------------------------------------------------------- text


@FAST
@given(st.text())
def test_slugs_are_lowercase_ascii_words(text: str) -> None:
    slug = slugify(text)
    assert slug == slug.strip("-")
    assert all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in slug)
    assert "--" not in slug
    assert slugify(slug) == slug


@FAST
@given(st.lists(st.text()))
def test_tags_are_unique_sorted_and_bounded(values: list[str]) -> None:
    tags = normalize_tags(values)
    assert list(tags) == sorted(set(tags))
    assert all(3 <= len(tag) <= 96 and slugify(tag) == tag for tag in tags)


@FAST
@given(st.text() | st.none())
def test_descriptions_never_raise(text: str | None) -> None:
    assert isinstance(sanitize_description(text), str)


@FAST
@given(st.text() | st.none(), st.text() | st.none(), st.text() | st.none())
def test_licence_guessing_never_raises(a: str | None, b: str | None, c: str | None) -> None:
    found = LICENSES.guess(a, b, c)
    assert found is None or found.lower() in LICENSES.by_id


# ------------------------------------------------------------------ temporal and spatial


def _well_formed_period(period: TemporalCoverage | None) -> None:
    if period is None:
        return
    assert period.start is not None or period.end is not None
    for bound in (period.start, period.end):
        assert bound is None or isinstance(bound, date)


@FAST
@given(st.text())
def test_temporal_literals_never_raise(text: str) -> None:
    _well_formed_period(temporal_from_literal(text))
    assert to_date(text) is None or isinstance(to_date(text), date)


@FAST
@given(json_values)
def test_ckan_dates_and_sizes_never_raise(value: Any) -> None:
    parsed = parse_datetime(value)
    assert parsed is None or isinstance(parsed, datetime)
    for end in (True, False):
        bound = parse_period_bound(value, end=end)
        assert bound is None or isinstance(bound, date)
    size = parse_size(value)
    assert size is None or (isinstance(size, int) and size >= 0)


def _finite_coordinates(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_finite_coordinates(v) for v in value)
    return isinstance(value, int | float) and math.isfinite(value)


def _well_formed_geometry(geom: dict[str, Any] | None) -> None:
    if geom is None:
        return
    assert geom["type"] in ("MultiPolygon", "Polygon", "Point", "LineString", "MultiPoint")
    assert _finite_coordinates(geom["coordinates"])


@FAST
@given(st.text() | json_values)
def test_ckan_spatial_never_raises(value: Any) -> None:
    spatial = spatial_from_ckan(value, log=LOG)
    assert spatial is None or isinstance(spatial, SpatialCoverage)
    if spatial is not None:
        _well_formed_geometry(spatial.geom)


@FAST
@given(st.text())
def test_wkt_and_bbox_never_raise_unexpectedly(text: str) -> None:
    with contextlib.suppress(WktError):
        _well_formed_geometry(parse_wkt(text))
    _well_formed_geometry(bbox_polygon(text))


def _has_message(exc: InvalidItem | SkipItem) -> None:
    """A documented item error must say something an operator can act on."""
    assert exc.message.strip()


# ------------------------------------------------------------------------ CKAN payloads

PACKAGE_KEYS = st.sampled_from(
    ["id", "name", "title", "notes", "tags", "resources", "extras", "license_id", "private",
     "state", "type", "metadata_created", "organization", "url", "license_url"]
)  # fmt: skip


@FAST
@given(json_values | st.dictionaries(PACKAGE_KEYS, json_values, max_size=10))
def test_ckan_mapping_raises_only_item_errors(payload: Any) -> None:
    try:
        dataset_from_ckan(
            payload, licenses=LICENSES, site_url="https://ckan.test/", now=NOW, log=LOG
        )
    except (InvalidItem, SkipItem) as exc:
        _has_message(exc)


#: The keys of the CKAN extensions (ckanext-dcat, scheming, fluent, DCAT-AP CH, spatial).
EXTENSION_KEYS = st.sampled_from(
    ["description", "title_translated", "keywords", "temporals", "temporal_coverage",
     "temporal_start", "spatial", "spatial_coverage", "bbox-west-long", "bbox-south-lat",
     "bbox-east-long", "bbox-north-lat", "frequency", "accrual_periodicity",
     "frequency-of-update", "contact_points", "contact", "maintainer", "maintainer_email",
     "author", "author_email", "publisher", "creator", "responsible-party", "contact-email",
     "issued", "modified", "dataset-reference-date"]
)  # fmt: skip
RESOURCE_KEYS = st.sampled_from(
    ["url", "download_url", "name", "title", "format", "mimetype", "media_type", "size",
     "byte_size", "resource_size", "hash", "hash_algorithm", "issued", "modified", "license"]
)  # fmt: skip
EXTENSION_VALUES = json_values | st.text(max_size=20).map(
    lambda t: json.dumps({"name": t, "email": f"{t}@x"})  # JSON persons as text
)


@FAST
@given(
    st.dictionaries(EXTENSION_KEYS, EXTENSION_VALUES, max_size=8),
    st.lists(st.dictionaries(RESOURCE_KEYS, json_values, max_size=8), min_size=1, max_size=3),
)
def test_ckan_extension_fields_raise_nothing(
    fields: dict[str, Any], resources: list[dict[str, Any]]
) -> None:
    """Whatever shape the extension fields take, as fields or as extras, the package is
    harvested (at worst without the values that make no sense)."""
    for top_level in (True, False):
        package: dict[str, Any] = {"id": "p", "title": "T", "resources": resources}
        if top_level:
            package.update(fields)
        else:
            package["extras"] = [{"key": k, "value": v} for k, v in fields.items()]
        try:
            draft = dataset_from_ckan(
                package, licenses=LICENSES, site_url="https://ckan.test/", now=NOW, log=LOG
            )
        except (InvalidItem, SkipItem) as exc:  # a resource of the wrong shape, no URL...
            _has_message(exc)
            continue
        assert draft.title == "T"


# ------------------------------------------------------------------- parser fuzzing


def _mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """Cut, splice and flip bytes of a recorded document."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 4))):
            action = draw(st.sampled_from(["cut", "insert", "flip", "truncate"]))
            at = draw(st.integers(0, max(0, len(data) - 1)))
            if action == "cut":
                del data[at : at + draw(st.integers(1, 64))]
            elif action == "insert":
                data[at:at] = draw(
                    st.sampled_from(
                        [
                            b"<",
                            b">",
                            b"&",
                            b'"',
                            b"\xff",
                            b"]]>",
                            b"<!DOCTYPE a [<!ENTITY x 'y'>]>",
                            b"{",
                            b"\x00",
                        ]
                    )
                )
            elif action == "flip" and data:
                data[at] ^= draw(st.integers(1, 255))
            else:
                del data[at:]
        return bytes(data)

    return mutate()


DCAT_XML = (SHARED_FIXTURES / "dcat" / "catalog.xml").read_bytes()
DCAT_JSONLD = (SHARED_FIXTURES / "dcat" / "flat.jsonld").read_bytes()
ISO = (SHARED_FIXTURES / "csw" / "geoide-iso19139-single-dataset.xml").read_bytes()
MAAF = next((SHARED_FIXTURES / "maaf" / "tree").rglob("*.xml")).read_bytes()


@FAST
@given(st.binary(max_size=300) | _mutations(DCAT_XML))
def test_rdfxml_parsing_raises_only_rdf_parse_error(data: bytes) -> None:
    with contextlib.suppress(RdfParseError):
        parse_graph(data, "xml")


@FAST
@given(st.binary(max_size=300) | _mutations(DCAT_JSONLD))
def test_jsonld_parsing_raises_only_rdf_parse_error(data: bytes) -> None:
    with contextlib.suppress(RdfParseError):
        parse_graph(data, "json-ld")


@FAST
@given(st.binary(max_size=300), st.sampled_from(["turtle", "nt", "trig", "n3", "nquads"]))
def test_other_syntaxes_raise_only_rdf_parse_error(data: bytes, fmt: str) -> None:
    with contextlib.suppress(RdfParseError):
        parse_graph(data, fmt)


@FAST
@given(st.binary(max_size=300) | _mutations(ISO))
def test_iso_records_raise_only_documented_errors(data: bytes) -> None:
    try:
        record = parse_xml(data)
    except XmlError:
        return
    try:
        dataset_from_iso(record, licenses=LICENSES, now=NOW.replace(tzinfo=None))
    except (InvalidItem, SkipItem) as exc:
        _has_message(exc)


@FAST
@given(st.binary(max_size=300) | _mutations(MAAF))
def test_maaf_descriptors_raise_only_item_errors(data: bytes) -> None:
    try:
        root = parse_descriptor(data)
        dataset_from_maaf(root, licenses=LICENSES, checksums={}, now=NOW, log=LOG)
    except (InvalidItem, SkipItem) as exc:
        _has_message(exc)


@pytest.mark.parametrize("seed", [DCAT_XML, ISO, MAAF], ids=["dcat", "iso", "maaf"])
def test_the_seeds_themselves_parse(seed: bytes) -> None:
    """The fuzzers mutate documents that are valid to begin with."""
    assert parse_xml(seed) is not None
