"""Spatial coverage from every `dct:spatial` object (docs/udata-backends.md §2.8), always a
MultiPolygon.

- a literal is an ArcGIS bbox `west,south,east,north`;
- a node contributes every GeoJSON literal, then every WKT literal, among its objects;
- polygons are merged without duplicates; other geometry types are ignored;
- a non-finite coordinate makes the whole result invalid, hence `None`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pyoxigraph import Literal

from moisson.domain.drafts import SpatialCoverage
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCT, GSP, IANAFORMAT, OGC_RDF
from moisson.mapping.rdf.wkt import WktError, parse_wkt

GEOJSON_DATATYPES = frozenset(
    {GSP.geoJSONLiteral.value, IANAFORMAT["application/vnd.geo+json"].value}
)
# `http://www.opengis.net/rdf#WKTLiteral` (capital WKT, geonetwork.xml) is deliberately absent.
WKT_DATATYPES = frozenset({GSP.wktLiteral.value, OGC_RDF.wktLiteral.value})


def spatial_from_rdf(graph: RdfGraph, node: Term) -> SpatialCoverage | None:
    polygons: list[Any] = []
    for obj in graph.objects(node, DCT.spatial):
        if isinstance(obj, Literal):
            _merge(polygons, bbox_polygon(obj.value))
        else:
            for geometry in geometries_of(graph, obj):
                _merge(polygons, geometry)
    if not polygons or not _finite(polygons):
        return None
    return SpatialCoverage(geom={"type": "MultiPolygon", "coordinates": polygons})


def bbox_polygon(text: str) -> dict[str, Any] | None:
    """An ArcGIS-style `west,south,east,north` bbox as a Polygon, else `None`."""
    parts = text.split(",")
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        return None
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def geometries_of(graph: RdfGraph, node: Term) -> list[dict[str, Any]]:
    """GeoJSON literals first, then WKT literals, of any predicate of `node`."""
    geojson: list[dict[str, Any]] = []
    wkt: list[dict[str, Any]] = []
    for objects in graph.predicate_objects(node).values():
        for obj in objects:
            if not isinstance(obj, Literal):
                continue
            datatype = obj.datatype.value
            if datatype in GEOJSON_DATATYPES:
                try:
                    parsed = json.loads(obj.value)
                except ValueError:
                    continue
                if isinstance(parsed, dict):
                    geojson.append(parsed)
            elif datatype in WKT_DATATYPES:
                try:
                    geometry = parse_wkt(obj.value.strip().upper())
                except WktError:
                    continue
                if geometry is not None:
                    wkt.append(geometry)
    return geojson + wkt


def _merge(polygons: list[Any], geometry: dict[str, Any] | None) -> None:
    if not geometry:
        return
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return
    members = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    for member in members:
        if member not in polygons:
            polygons.append(member)


def _finite(value: Any) -> bool:
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    return False
