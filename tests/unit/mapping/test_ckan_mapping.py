"""CKAN/DKAN package → DatasetDraft, on hand-written variants of real-world payloads."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.conftest import LOCAL_FIXTURES

from moisson.domain.enums import ChecksumType, Frequency, ResourceType
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping.ckan import (
    checksum_from_hash,
    dataset_from_ckan,
    parse_datetime,
    parse_package,
    parse_period_bound,
    parse_size,
    pick_language,
    remote_url_from_ckan,
    site_root,
)
from moisson.mapping.licenses import LicenseTable

NOW = datetime(2024, 1, 1, tzinfo=UTC)
SITE = "http://localhost:5000"
LICENSES = LicenseTable.load()
EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LOCAL_FIXTURES / "ckan" / name).read_text("utf-8"))
    return data


def build(package: dict[str, Any], **kwargs: Any):  # type: ignore[no-untyped-def]
    return dataset_from_ckan(package, licenses=LICENSES, site_url=SITE, now=NOW, **kwargs)


def with_extras(**extras: Any) -> dict[str, Any]:
    package = load("minimal.json")
    package["extras"] = [{"key": k, "value": v} for k, v in extras.items()]
    return package


class TestMinimal:
    def test_fields(self) -> None:
        draft = build(load("minimal.json"))
        assert draft.title == "Minimal dataset"
        assert draft.description == "A plain paragraph."
        assert draft.harvest.ckan_name == "minimal-dataset"
        assert draft.harvest.remote_url == "http://localhost:5000/dataset/minimal-dataset"
        assert draft.harvest.ckan_source is None
        assert draft.harvest.created_at == datetime(2022, 9, 28)
        # udata no longer sets it (docs/udata-backends.md §6.2); metadata_modified moves on any
        # CKAN-side edit.
        assert draft.harvest.modified_at is None
        assert draft.license is None
        assert draft.tags == ()
        assert draft.extras == {}
        (resource,) = draft.resources
        assert resource.url == "https://example.org/files/minimal.csv"
        assert resource.title == ""
        assert resource.type == ResourceType.MAIN  # a null resource type is a file
        assert resource.harvest.remote_id == "0c6a5c1f-2f6c-4d2a-8d55-3f7f3b1a9e01"
        assert resource.harvest.issued_at == datetime(2022, 9, 29, 10)
        assert resource.harvest.modified_at == datetime(2022, 9, 30, 11)

    def test_missing_optional_keys_are_fine(self) -> None:
        package = {
            "id": "x",
            "title": "Only what matters",
            "resources": [{"url": "https://example.org/r"}],
        }
        draft = build(package)
        assert draft.title == "Only what matters"
        assert draft.harvest.remote_url == "http://localhost:5000/dataset/x"
        assert draft.resources[0].harvest.remote_id is None


class TestAllMetadata:
    @pytest.fixture
    def draft(self):  # type: ignore[no-untyped-def]
        return build(load("all_metadata.json"))

    def test_dataset(self, draft) -> None:  # type: ignore[no-untyped-def]
        assert draft.title == "All metadata"
        assert draft.description == "Some **HTML** notes"
        assert draft.tags == ("air-quality", "environment")
        assert draft.license == "cc-by"
        assert draft.harvest.remote_url == "https://producer.example.org/source-page"
        assert draft.harvest.ckan_source is None
        # 2022-09-28T10:11:12+02:00 is 08:11 UTC, same day.
        assert draft.harvest.created_at == datetime(2022, 9, 28)

    def test_extras(self, draft) -> None:  # type: ignore[no-untyped-def]
        assert draft.frequency == Frequency.DAILY
        assert draft.spatial is not None
        assert draft.spatial.geom == {
            "type": "MultiPolygon",
            "coordinates": [[[[1.0, 2.0], [3.0, 2.0], [3.0, 4.0], [1.0, 2.0]]]],
        }
        assert draft.temporal_coverage is not None
        assert draft.temporal_coverage.start == date(2017, 1, 1)
        assert draft.temporal_coverage.end == date(2018, 2, 28)
        assert draft.extras == {
            "ckan:spatial-uri": "http://www.geonames.org/2111964",
            "ckan:spatial-text": "Somewhere",
            "ckan:organization": "my-org",
            "custom": "kept as is",
        }

    def test_resources(self, draft) -> None:  # type: ignore[no-untyped-def]
        # The deleted resource and the one without URL are left out.
        assert [r.title for r in draft.resources] == ["Data file", "Documentation", "API endpoint"]
        data, doc, api = draft.resources
        assert data.url == "https://example.org/files/data.CSV"
        assert data.description == "The *data*"
        assert data.format == "csv"
        assert data.mime == "text/csv"
        assert data.filesize == 2048
        assert data.checksum is not None
        assert data.checksum.type == ChecksumType.MD5
        assert data.checksum.value == "9e107d9d372bb6826bd81d3542a419d6"
        assert data.type == ResourceType.MAIN
        assert data.harvest.remote_id == "42"
        assert data.harvest.issued_at is not None
        assert data.harvest.issued_at.date() == date(2022, 9, 29)
        assert data.harvest.modified_at is not None
        assert data.harvest.modified_at.date() == date(2022, 9, 30)

        assert doc.type == ResourceType.DOCUMENTATION
        assert doc.filesize == 12
        assert doc.checksum is not None
        assert doc.checksum.type == ChecksumType.SHA256
        assert doc.harvest.issued_at == datetime(2022, 9, 29)

        assert api.type == ResourceType.API
        assert api.url == "http://example.org/api"
        assert api.format is None
        assert api.harvest.modified_at is None  # in the future: dropped

    def test_resource_without_url_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            build(load("all_metadata.json"))
        assert "Resource b4 has no URL" in caplog.text


class TestMultilingual:
    def test_french_preferred(self) -> None:
        draft = build(load("fluent.json"))
        assert draft.title == "Titre français"
        assert draft.description == "Notes en français"
        assert draft.tags == ("eau", "qualite")
        assert draft.license == "fr-lo"
        (resource,) = draft.resources
        assert resource.title == "Données eau"
        assert resource.description == "Alleen Nederlands"  # the only language there is

    def test_other_language(self) -> None:
        draft = build(load("fluent.json"), lang="en")
        assert draft.title == "English title"
        assert draft.tags == ("quality", "water")

    def test_missing_preferred_language_falls_back_to_english(self) -> None:
        assert build(load("fluent.json"), lang="de").title == "English title"

    def test_pick_language_order(self) -> None:
        assert pick_language({"en": "E", "es": "S"}, "fr") == "E"
        assert pick_language({"es": "S", "it": ""}, "fr") == "S"
        assert pick_language({"en_GB": "E"}, "en") == "E"
        assert pick_language({}, "fr") is None


class TestDkanQuirks:
    def test_mapping(self) -> None:
        draft = build(load("dkan_quirks.json"), skip_private=False)
        assert draft.description == "HTML from DKAN"
        assert draft.harvest.created_at == datetime(2019, 12, 10)
        first, second = draft.resources
        assert first.filesize == 42
        assert first.mime is None
        assert first.description == "Tableau"
        assert first.harvest.issued_at == datetime(2019, 12, 19, 3, 0)
        assert first.harvest.modified_at == datetime(2019, 12, 19, 3, 0)
        assert second.filesize == 1_500_000
        assert second.harvest.issued_at == datetime(2019, 12, 19)

    def test_private_skipped_by_default(self) -> None:
        with pytest.raises(SkipItem, match="Dataset dkan-quirks is private"):
            build(load("dkan_quirks.json"))


class TestSkips:
    def test_private(self) -> None:
        package = load("minimal.json") | {"private": True}
        with pytest.raises(SkipItem, match="is private"):
            build(package)

    @pytest.mark.parametrize("state", ["deleted", "draft", "DELETED"])
    def test_unpublished(self, state: str) -> None:
        with pytest.raises(SkipItem, match=f"is {state.lower()} on the remote"):
            build(load("minimal.json") | {"state": state})

    def test_no_resources(self) -> None:
        with pytest.raises(SkipItem, match=r"^Dataset minimal-dataset has no record$"):
            build(load("minimal.json") | {"resources": []})

    def test_harvest_source_package(self) -> None:
        with pytest.raises(SkipItem, match="is a harvest, not a dataset"):
            build(load("minimal.json") | {"type": "harvest"})


class TestValidationErrors:
    def test_id_and_name_only(self) -> None:
        with pytest.raises(InvalidItem) as error:
            build({"id": "abc", "name": "abc"})
        assert str(error.value) == "Validation error:\n- [title] required key not provided"

    def test_no_id(self) -> None:
        with pytest.raises(InvalidItem, match=r"\[id\] required key not provided"):
            build({"name": "abc", "title": "T", "resources": []})

    def test_blank_title(self) -> None:
        with pytest.raises(InvalidItem) as error:
            build(load("minimal.json") | {"title": "   "})
        assert str(error.value) == "Validation error:\n- [title] must not be blank:    "

    def test_several_problems_in_one_message(self) -> None:
        package = load("minimal.json") | {"private": "vrai", "tags": 42}
        package["resources"] = [{"url": "https://x.org"}, "not an object"]
        with pytest.raises(InvalidItem) as error:
            build(package)
        lines = str(error.value).splitlines()
        assert lines[0] == "Validation error:"
        assert "- [private] expected a boolean: vrai" in lines
        assert any(line.startswith("- [tags] ") and line.endswith(": 42") for line in lines)
        assert any(line.startswith("- [resources.1] ") for line in lines)

    def test_not_an_object(self) -> None:
        with pytest.raises(InvalidItem, match=r"\[package\] expected an object"):
            build([])  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [(None, False), ("", False), (" No ", False), ("0", False), ("on", True), (1, True)],
    )
    def test_boolean_converter(self, raw: Any, expected: bool) -> None:
        package = parse_package({"id": "i", "title": "t", "private": raw})
        assert package.private is expected


class TestExtras:
    @pytest.mark.parametrize(
        "geometry",
        [
            '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}',
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]},
        ],
    )
    def test_spatial(self, geometry: Any) -> None:
        draft = build(with_extras(spatial=geometry))
        assert draft.spatial is not None
        assert draft.spatial.geom == {
            "type": "MultiPolygon",
            "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]],
        }
        assert "ckan:spatial" not in draft.extras

    @pytest.mark.parametrize(
        "geometry", ['{"type": "Point", "coordinates": [1, 2]}', "not json", '{"coordinates": []}']
    )
    def test_unusable_spatial_is_kept_for_people(self, geometry: str) -> None:
        draft = build(with_extras(spatial=geometry))
        assert draft.spatial is None
        assert draft.extras["ckan:spatial"] == geometry

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("http://purl.org/cld/freq/daily", Frequency.DAILY),
            ("daily", Frequency.DAILY),
            ("Weekly", Frequency.WEEKLY),
            ("realtime", Frequency.CONTINUOUS),
            (
                "http://publications.europa.eu/resource/authority/frequency/AS_NEEDED",
                Frequency.PUNCTUAL,
            ),
        ],
    )
    def test_frequency(self, value: str, expected: Frequency) -> None:
        draft = build(with_extras(frequency=value))
        assert draft.frequency == expected
        assert "ckan:frequency" not in draft.extras

    def test_unknown_frequency(self) -> None:
        draft = build(with_extras(frequency="unkowwn-value"))
        assert draft.frequency is None
        assert draft.extras == {"ckan:frequency": "unkowwn-value"}

    def test_blank_extras_absent(self) -> None:
        assert build(with_extras(none=None, blank="", spaces="  ")).extras == {}

    def test_extras_as_object_and_top_level_scheming_fields(self) -> None:
        package = load("minimal.json") | {"extras": {"a": "b"}, "frequency": "monthly"}
        draft = build(package)
        assert draft.extras == {"a": "b"}
        assert draft.frequency == Frequency.MONTHLY

    def test_temporal_start_only(self) -> None:
        draft = build(with_extras(temporal_start="2020-03-04"))
        assert draft.temporal_coverage is not None
        assert draft.temporal_coverage.start == date(2020, 3, 4)
        assert draft.temporal_coverage.end is None

    def test_temporal_backwards_is_dropped(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            draft = build(with_extras(temporal_start="2020", temporal_end="2019"))
        assert draft.temporal_coverage is None
        assert "ends" in caplog.text


class TestTags:
    def test_udata_rules(self) -> None:
        package = load("minimal.json")
        package["tags"] = [
            {"name": "a"},
            {"name": "duplicate"},
            {"name": "DuPliCate"},
            {"name": "Données ouvertes"},
            "plain-string-tag",
        ]
        assert build(package).tags == ("donnees-ouvertes", "duplicate", "plain-string-tag")

    def test_comma_separated_string(self) -> None:
        package = load("minimal.json") | {"tags": "one tag, other tag"}
        assert build(package).tags == ("one-tag", "other-tag")


class TestRemoteUrl:
    def test_valid_url(self) -> None:
        draft = build(load("minimal.json") | {"url": "https://producer.example.org/x"})
        assert draft.harvest.remote_url == "https://producer.example.org/x"
        assert draft.harvest.ckan_source is None

    def test_sentence(self) -> None:
        draft = build(load("minimal.json") | {"url": "Produced by the city"})
        assert draft.harvest.remote_url == "http://localhost:5000/dataset/minimal-dataset"
        assert draft.harvest.ckan_source == "Produced by the city"

    def test_ckan_url_of_old_apis(self) -> None:
        package = {"name": "n", "url": "", "ckan_url": "https://old.example.org/dataset/n"}
        assert remote_url_from_ckan(package, SITE) == "https://old.example.org/dataset/n"

    @pytest.mark.parametrize(
        ("url", "root"),
        [
            ("https://x.org", "https://x.org/"),
            ("https://x.org/portal", "https://x.org/portal/"),
            ("https://x.org/portal/", "https://x.org/portal/"),
            ("https://x.org/api/3/action/package_list", "https://x.org/"),
            ("https://x.org/data/api/3", "https://x.org/data/"),
        ],
    )
    def test_site_root(self, url: str, root: str) -> None:
        assert site_root(url) == root


class TestValueParsers:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("42 octets", 42),
            ("42", 42),
            (42, 42),
            (12.7, 12),
            ("1,5 Mo", 1_500_000),
            ("2 KiB", 2048),
            ("3 MB", 3_000_000),
            ("", None),
            ("abc", None),
            ("12 parsecs", None),
            (-1, None),
            (True, None),
            (None, None),
        ],
    )
    def test_size(self, raw: Any, expected: int | None) -> None:
        assert parse_size(raw) == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("d41d8cd98f00b204e9800998ecf8427e", ChecksumType.MD5),
            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", ChecksumType.SHA1),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                ChecksumType.SHA256,
            ),
            ("md5:d41d8cd98f00b204e9800998ecf8427e", ChecksumType.MD5),
        ],
    )
    def test_checksum(self, raw: str, expected: ChecksumType) -> None:
        checksum = checksum_from_hash(raw)
        assert checksum is not None
        assert checksum.type == expected

    @pytest.mark.parametrize("raw", ["", None, "abc", "1234", "crc32:abcd", "zz" * 16])
    def test_no_checksum(self, raw: str | None) -> None:
        assert checksum_from_hash(raw) is None

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2017-07-05T19:28:19.620158", datetime(2017, 7, 5, 19, 28, 19, 620158)),
            ("2017-07-05T19:28:19Z", datetime(2017, 7, 5, 19, 28, 19)),
            ("2017-07-05", datetime(2017, 7, 5)),
            ("2019-09-30 22:00:00", datetime(2019, 9, 30, 22)),
            ("mar, 10/12/2019 - 09:23", datetime(2019, 12, 10, 9, 23)),
            ("Date changed  jeu, 19/12/2019 - 03:00", datetime(2019, 12, 19, 3)),
            ("1er janvier 2020", datetime(2020, 1, 1)),
            ("2019", datetime(2019, 1, 1)),
            ("31/02/2019", None),
            ("yesterday", None),
            ("", None),
            (12, None),
        ],
    )
    def test_datetime(self, raw: Any, expected: datetime | None) -> None:
        assert parse_datetime(raw) == expected

    @pytest.mark.parametrize(
        ("raw", "end", "expected"),
        [
            ("2017", False, date(2017, 1, 1)),
            ("2017", True, date(2017, 12, 31)),
            ("2016-02", True, date(2016, 2, 29)),
            ("2016-02", False, date(2016, 2, 1)),
            ("2016-13", False, None),
            ("2016-02-10T10:00:00", True, date(2016, 2, 10)),
            ("soon", True, None),
        ],
    )
    def test_period_bound(self, raw: str, end: bool, expected: date | None) -> None:
        assert parse_period_bound(raw, end=end) == expected


def test_mapping_does_not_modify_its_input() -> None:
    package = load("all_metadata.json")
    before = copy.deepcopy(package)
    build(package)
    assert package == before


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/f.csv", "https://x.org/f.csv"),
        ("x.org/f.csv", "http://x.org/f.csv"),
        (
            "/dataset/d/resource/r/download/f.csv",
            "http://localhost:5000/dataset/d/resource/r/download/f.csv",
        ),
    ],
)
def test_resource_url(url: str, expected: str) -> None:
    package = load("minimal.json")
    package["resources"][0]["url"] = url
    assert build(package).resources[0].url == expected
