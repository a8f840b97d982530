"""The shared language rule on RDF literals: preferred language, then English, then any."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from pyoxigraph import NamedNode

from moisson.mapping.rdf import RdfGraph
from moisson.mapping.rdf.accessors import single_text
from moisson.mapping.rdf.datasets import dataset_from_rdf
from moisson.mapping.rdf.namespaces import DCT
from moisson.mapping.rdf.options import RdfOptions

D = NamedNode("http://example.org/d")
MULTILINGUAL = """
ex:d a dcat:Dataset ;
    dct:title "Qualitat de l'aire"@ca , "Calidad del aire"@es , "Air quality"@en ;
    dct:description "Mesures horàries"@ca , "Hourly measurements"@en-GB .
"""


def test_english_when_no_french(turtle: Callable[[str], RdfGraph], options: RdfOptions) -> None:
    draft = dataset_from_rdf(turtle(MULTILINGUAL), D, options)
    assert draft.title == "Air quality"
    assert draft.description == "Hourly measurements"


def test_the_preferred_language_is_a_setting(
    turtle: Callable[[str], RdfGraph], options: RdfOptions
) -> None:
    draft = dataset_from_rdf(turtle(MULTILINGUAL), D, dataclasses.replace(options, language="es"))
    assert draft.title == "Calidad del aire"


def test_iso_639_2_tags_and_regions_match(turtle: Callable[[str], RdfGraph]) -> None:
    graph = turtle('ex:d dct:title "Title"@eng , "Titre"@fre .')
    assert single_text(graph, D, DCT.title, "fr") == "Titre"
    assert single_text(turtle('ex:d dct:title "T"@en , "Ti"@fr-CA .'), D, DCT.title, "fr") == "Ti"


def test_untagged_before_other_languages(turtle: Callable[[str], RdfGraph]) -> None:
    graph = turtle('ex:d dct:title "Títol"@ca , "Plain" .')
    assert single_text(graph, D, DCT.title, "fr") == "Plain"


def test_blank_preferred_literal_is_skipped(turtle: Callable[[str], RdfGraph]) -> None:
    graph = turtle('ex:d dct:title " "@fr , "Title"@en .')
    assert single_text(graph, D, DCT.title, "fr") == "Title"
