"""Helpers for the RDF mapping unit tests: small Turtle snippets with the usual prefixes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import pytest

from moisson.mapping.licenses import License, LicenseTable
from moisson.mapping.rdf import RdfGraph, parse_graph
from moisson.mapping.rdf.options import RdfOptions

PREFIXES = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix schema: <http://schema.org/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix geodcatap: <http://data.europa.eu/930/> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix dqv: <http://www.w3.org/ns/dqv#> .
@prefix sdmx: <http://purl.org/linked-data/sdmx/2009/attribute#> .
@prefix unit: <http://www.qudt.org/vocab/unit/> .
@prefix ex: <http://example.org/> .
"""

NOW = datetime(2025, 1, 1, 12, 0, 0)

TEST_LICENSES = LicenseTable(
    [
        License(id="lov1", title="Licence Ouverte Version 1.0"),
        License(id="lov2", title="Licence Ouverte Version 2.0"),
        License(id="fr-lo", title="Licence ouverte / Open Licence"),
    ]
)


def _turtle(body: str) -> RdfGraph:
    return parse_graph((PREFIXES + body).encode("utf-8"), "turtle")


@pytest.fixture
def turtle() -> Callable[[str], RdfGraph]:
    """Parse a Turtle snippet (the usual prefixes are declared)."""
    return _turtle


@pytest.fixture
def options() -> RdfOptions:
    return RdfOptions(licenses=TEST_LICENSES, now=NOW, log=logging.getLogger("test.rdf"))
