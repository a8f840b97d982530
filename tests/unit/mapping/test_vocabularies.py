"""The shared vocabularies: one table each, read by the CKAN, RDF and ISO 19139 mappings."""

from __future__ import annotations

import pytest

from moisson.domain.enums import Frequency
from moisson.mapping.frequencies import (
    ISO_MAINTENANCE_FREQUENCIES,
    frequency_from_code,
    frequency_from_id,
    frequency_from_iri,
)
from moisson.mapping.hvd import HVD_THEMES, hvd_label
from moisson.mapping.inspire import inspire_access_label, inspire_access_reason


class TestFrequencies:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("daily", Frequency.DAILY),
            ("ANNUAL_2", Frequency.SEMIANNUAL),
            ("cont", Frequency.SEVERAL_TIMES_A_DAY),
            ("Irregular", Frequency.IRREGULAR),
            ("continual", None),  # an ISO code, not a DC name nor an EU code
            ("punctual", None),  # a udata id: only the CKAN rule reads those
        ],
    )
    def test_code_rule(self, code: str, expected: Frequency | None) -> None:
        assert frequency_from_code(code) == expected

    def test_id_rule_reads_udata_ids_and_aliases_only(self) -> None:
        assert frequency_from_id("punctual") == Frequency.PUNCTUAL
        assert frequency_from_id("fortnighly") == Frequency.BIWEEKLY
        assert frequency_from_id("ANNUAL_2") is None

    def test_iri_rule_is_exact(self) -> None:
        assert frequency_from_iri("http://purl.org/cld/freq/annual") == Frequency.ANNUAL
        assert frequency_from_iri("http://purl.org/cld/freq/Annual") is None

    def test_iso_codes_go_through_eu_codes(self) -> None:
        assert ISO_MAINTENANCE_FREQUENCIES["continual"] == Frequency.SEVERAL_TIMES_A_DAY
        assert ISO_MAINTENANCE_FREQUENCIES["biannually"] == Frequency.SEMIANNUAL
        assert ISO_MAINTENANCE_FREQUENCIES["asNeeded"] == Frequency.PUNCTUAL
        assert len(ISO_MAINTENANCE_FREQUENCIES) == 13


def test_hvd_label_reads_both_iri_forms_the_theme_table_one() -> None:
    assert hvd_label("http://data.europa.eu/bna/c_ac64a52d") == "Géospatiales"
    assert hvd_label("http://publications.europa.eu/resource/authority/bna/c_ac64a52d/") == (
        "Géospatiales"
    )
    assert "http://publications.europa.eu/resource/authority/bna/c_ac64a52d" not in HVD_THEMES
    assert HVD_THEMES["http://data.europa.eu/bna/c_e1da4e07"] == "Statistiques"


def test_inspire_access_by_iri_or_french_label() -> None:
    label = inspire_access_label("d")
    assert label == (
        "L124-4-I-1 du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.d)"
    )
    expected = "confidentiality_of_commercial_or_industrial_information"
    assert inspire_access_reason(f"  {label.upper()} ") == expected
    assert (
        inspire_access_reason(
            "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
            "INSPIRE_Directive_Article13_1d"
        )
        == expected
    )
    assert inspire_access_reason("noLimitations") is None
