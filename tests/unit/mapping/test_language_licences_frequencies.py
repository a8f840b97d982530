"""The language rule, the licence supplement and the CKAN frequency reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moisson.domain.enums import Frequency
from moisson.mapping.frequencies import frequency_from_any, frequency_from_value
from moisson.mapping.language import choose, language_key, pick_language
from moisson.mapping.licenses import LicenseTable, normalize_url

TABLE = LicenseTable.load()


class TestLanguageRule:
    def test_order(self) -> None:
        values = {"ca": "C", "en": "E", "fr": "F"}
        assert pick_language(values, "fr") == "F"
        assert pick_language(values, "de") == "E"
        assert pick_language({"ca": "C", "es": "S"}, "fr") == "C"  # document order

    def test_blank_values_do_not_count(self) -> None:
        assert pick_language({"fr": "", "en": [], "de": "D"}, "fr") == "D"
        assert pick_language({"fr": None}, "fr") is None

    @pytest.mark.parametrize(
        ("tag", "key"),
        [("fr-FR", "fr"), ("FR", "fr"), ("fr_BE", "fr"), ("fre", "fr"), ("eng", "en"), ("", None)],
    )
    def test_language_key(self, tag: str, key: str | None) -> None:
        assert language_key(tag) == key

    def test_untagged_ranks_after_english(self) -> None:
        assert choose([(None, "plain"), ("en", "english")], "fr") == "english"
        assert choose([("it", "italiano"), (None, "plain")], "fr") == "plain"


class TestLicences:
    @pytest.mark.parametrize(
        ("candidate", "expected"),
        [
            ("uk-ogl", "uk-ogl"),
            ("cc-zero", "cc-zero"),
            ("odc-odbl", "odc-odbl"),
            ("CC-BY-4.0", "cc-by"),
            ("cc0-1.0", "cc-zero"),
            ("ODbL-1.0", "odc-odbl"),
            ("etalab-2.0", "lov2"),
            ("UK Open Government Licence (OGL)", "uk-ogl"),
            ("Open Government Licence v3.0", "uk-ogl"),
            (
                "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
                "uk-ogl",
            ),
            ("https://creativecommons.org/licenses/by-sa/4.0/legalcode", "cc-by-sa"),
            ("http://creativecommons.org/licenses/by/4.0/deed.fr", "cc-by"),
            ("CC BY-NC-SA 4.0", "cc-nc"),
            ("GFDL-1.3-or-later", "gfdl"),
            ("Other (Not Open)", "other-closed"),
            ("http://www.etalab.gouv.fr/pages/Licence_ouverte_Open_licence-5899923.html", "fr-lo"),
        ],
    )
    def test_guess(self, candidate: str, expected: str) -> None:
        assert TABLE.guess(candidate) == expected

    def test_unknown_stays_unknown(self) -> None:
        assert TABLE.guess("My city's own licence", "https://example.org/licence") is None

    def test_main_table_wins_and_supplement_applies_to_an_operator_table(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "licenses.json"
        path.write_text(json.dumps([{"id": "cc-by", "title": "Our CC-BY"}]))
        table = LicenseTable.load(path)
        assert table.get("cc-by") is not None
        assert table.get("cc-by").title == "Our CC-BY"
        assert table.guess("CC-BY-4.0") == "cc-by"
        assert table.guess("uk-ogl") == "uk-ogl"
        assert LicenseTable.load(path, supplement=False).guess("uk-ogl") is None

    def test_every_supplement_licence_has_a_title(self) -> None:
        ids = [lic.id.lower() for lic in TABLE.licenses]
        assert len(ids) == len(set(ids))
        assert all(lic.title for lic in TABLE.licenses)

    def test_normalize_url(self) -> None:
        assert normalize_url("HTTPS://www.X.org/a/legalcode.fr") == "x.org/a"
        assert normalize_url("http://x.org/a/") == "x.org/a"


class TestFrequencies:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (
                "http://publications.europa.eu/resource/authority/frequency/IRREG",
                Frequency.IRREGULAR,
            ),
            ("IRREG", Frequency.IRREGULAR),
            ("annual_2", Frequency.SEMIANNUAL),
            ("asNeeded", Frequency.PUNCTUAL),
            ("continual", Frequency.SEVERAL_TIMES_A_DAY),
            (
                "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
                "#MD_MaintenanceFrequencyCode_biannually",
                Frequency.SEMIANNUAL,
            ),
            ("daily", Frequency.DAILY),
            ("unkowwn-value", None),
        ],
    )
    def test_frequency_from_any(self, value: str, expected: Frequency | None) -> None:
        assert frequency_from_any(value) == expected

    @pytest.mark.parametrize(
        "value", ["http://purl.org/cld/freq/daily", "daily", "realtime", "Weekly"]
    )
    def test_udata_answers_stand(self, value: str) -> None:
        assert frequency_from_any(value) == frequency_from_value(value)
