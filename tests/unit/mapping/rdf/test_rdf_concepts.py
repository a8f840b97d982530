"""Frequency (2.6), tags (2.5), contacts (2.10), rights/INSPIRE (2.4), schemas (2.11)."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode

from moisson.domain.drafts import SchemaRef
from moisson.domain.enums import ContactRole, Frequency
from moisson.mapping.rdf.contacts import contact_points_from_rdf
from moisson.mapping.rdf.frequency import frequency_from_rdf
from moisson.mapping.rdf.rights import inspire_restriction
from moisson.mapping.rdf.schemas import SchemaCatalog, schema_from_rdf
from moisson.mapping.rdf.tags import inspire_tags_from_rdf, keywords_from_rdf, themes_from_rdf
from moisson.mapping.text import normalize_tags

D = NamedNode("http://example.org/d")


class TestFrequency:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ('"daily"', Frequency.DAILY),
            ('"http://purl.org/cld/freq/irregular"', Frequency.IRREGULAR),
            ("<http://purl.org/cld/freq/ThisTermDoesNotExist>", None),
            (
                "<http://publications.europa.eu/resource/authority/frequency/AS_NEEDED>",
                Frequency.PUNCTUAL,
            ),
            ('"as_needed"', Frequency.PUNCTUAL),
            # udata gives up on these two (docs/udata-backends.md §2.6); GeoNetwork writes them.
            ('"continual"', Frequency.SEVERAL_TIMES_A_DAY),
            ('"PUNCTUAL"', Frequency.PUNCTUAL),
            ('"sometimes"', None),
            (
                "<http://standards.iso.org/iso/19115/resources/Codelists/cat/codelists.xml#asNeeded>",
                Frequency.PUNCTUAL,
            ),
            ("[ rdfs:label 'daily' ]", None),
        ],
    )
    def test_mapping(self, turtle, value: str, expected: Frequency | None) -> None:
        assert frequency_from_rdf(turtle(f"ex:d dct:accrualPeriodicity {value} ."), D) == expected


class TestTags:
    def test_keywords_and_themes(self, turtle) -> None:
        graph = turtle(
            """ex:d dcat:keyword "Document d'urbanisme" , <http://example.org/kw> ;
                   dcat:theme "Répartition des espèces" , [ skos:prefLabel "Hydro"@en , "Hydrographie"@fr ] ,
                   <http://data.europa.eu/bna/c_dd313021> , ex:unlabelled ."""
        )
        texts = keywords_from_rdf(graph, D) + themes_from_rdf(graph, D, "fr")
        assert normalize_tags(texts) == (
            "document-durbanisme",
            "hvd",
            "hydrographie",
            "observation-de-la-terre-et-environnement",
            "repartition-des-especes",
        )

    def test_hvd_can_be_disabled(self, turtle) -> None:
        graph = turtle("ex:d dcat:theme <http://data.europa.eu/bna/c_dd313021> .")
        assert themes_from_rdf(graph, D, "fr", hvd=False) == []

    @pytest.mark.parametrize(
        "theme",
        [
            "<http://inspire.ec.europa.eu/theme/hy>",
            "[ skos:inScheme <http://www.eionet.europa.eu/gemet/inspire_themes> ]",
            "[ skos:inScheme [ dct:title 'GEMET - INSPIRE themes, version 1.0' ] ]",
            "[ skos:inScheme [ skos:prefLabel 'gemet - inspire themes, VERSION 1.0' ] ]",
        ],
    )
    def test_inspire(self, turtle, theme: str) -> None:
        assert inspire_tags_from_rdf(turtle(f"ex:d dcat:theme {theme} ."), D) == ["inspire"]

    def test_not_inspire(self, turtle) -> None:
        graph = turtle("ex:d dcat:theme [ skos:inScheme [ dct:title 'GEMET' ] ] , 'inspire' .")
        assert inspire_tags_from_rdf(graph, D) == []


class TestContacts:
    def test_roles_in_order_and_readers(self, turtle) -> None:
        graph = turtle(
            """ex:d dct:publisher [ foaf:name "Publisher" ] ;
                   dcat:contactPoint [ vcard:fn "Desk" ; vcard:hasEmail <mailto:desk@a.test> ;
                                       vcard:org [ vcard:organisation-name "Org" ] ] ,
                                     [ vcard:fn "Unreachable" ] ;
                   dct:rightsHolder [ foaf:name "Jane"@fr ; org:memberOf [ foaf:name "Lab" ; foaf:mbox <mailto:lab@a.test> ] ] ,
                                    [ foaf:name "Team" ; foaf:member [ foaf:name "Joe" ; foaf:mbox "mailto: joe@a.test" ] ] ;
                   geodcatap:user "Just a name" ;
                   dct:creator [ vcard:fn "V" ; vcard:hasUrl "https://form.test" ] ."""
        )
        contacts = contact_points_from_rdf(graph, D, language="fr")
        assert [(c.role, c.name, c.email, c.contact_form) for c in contacts] == [
            (ContactRole.CONTACT, "Desk (Org)", "desk@a.test", None),
            (ContactRole.CREATOR, "V", None, "https://form.test"),
            (ContactRole.PUBLISHER, "Publisher", None, None),
            (ContactRole.RIGHTS_HOLDER, "Jane (Lab)", "lab@a.test", None),
            (ContactRole.RIGHTS_HOLDER, "Joe (Team)", "joe@a.test", None),
            (ContactRole.USER, "Just a name", None, None),
        ]


class TestRights:
    @pytest.mark.parametrize(
        ("texts", "expected"),
        [
            (
                [
                    "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1e"
                ],
                "intellectual_property_rights",
            ),
            (
                [
                    "other",
                    "L124-4-I-1 du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.f)",
                ],
                "confidentiality_of_personal_data",
            ),
            (["Pas de restriction d'accès public selon INSPIRE"], None),
            (["unknown"], None),
        ],
    )
    def test_inspire_categories(self, texts: list[str], expected: str | None) -> None:
        assert inspire_restriction(texts) == expected


class TestSchema:
    CATALOG = SchemaCatalog(
        [
            {
                "name": "etalab/schema-irve-statique",
                "schema_url": "https://schema.data.gouv.fr/schemas/etalab/schema-irve-statique/latest/schema-statique.json",
                "versions": [
                    {
                        "version_name": "2.2.0",
                        "schema_url": "https://schema.data.gouv.fr/schemas/etalab/schema-irve-statique/2.2.0/schema-statique.json",
                    }
                ],
            }
        ]
    )

    def test_shapes(self, turtle) -> None:
        graph = turtle(
            """ex:a dct:conformsTo "https://s.test/literal.json" .
               ex:b dct:conformsTo <https://example.org/schema.json> .
               <https://example.org/schema.json> dct:title "Example Schema" .
               ex:c dct:conformsTo [ dct:type <http://inspire.ec.europa.eu/glossary/SpatialReferenceSystem> ; dct:title "RGF93" ] .
               ex:d dct:conformsTo [ dct:title "No type" ] .
               ex:e dct:conformsTo <https://schema.data.gouv.fr/schemas/etalab/schema-irve-statique/2.2.0/schema-statique.json> ."""
        )
        empty = SchemaCatalog()

        def schema(name: str, catalog: SchemaCatalog = empty) -> SchemaRef | None:
            return schema_from_rdf(graph, NamedNode(f"http://example.org/{name}"), catalog)

        assert schema("a") == SchemaRef(url="https://s.test/literal.json")
        assert schema("b") == SchemaRef(
            url="https://example.org/schema.json", name="Example Schema"
        )
        assert schema("c") == SchemaRef(
            url="http://inspire.ec.europa.eu/glossary/SpatialReferenceSystem", name="RGF93"
        )
        assert schema("d") is None
        assert schema("e", self.CATALOG) == SchemaRef(
            name="etalab/schema-irve-statique", version="2.2.0", url=None
        )
