"""The source form: inputs from a backend's declarations, and submitted values to `config`."""

from __future__ import annotations

from tests.admin.seed import FORM_BACKEND

from moisson.admin.forms import config_form, config_from_form, source_changes, typed_value
from moisson.domain.source_config import validate_config

BACKEND = FORM_BACKEND.as_api()


class TestTypedValue:
    def test_converts_what_converts_and_passes_the_rest_on(self) -> None:
        assert typed_value(" 12 ", "integer") == 12
        assert typed_value("douze", "integer") == "douze"
        assert typed_value("Yes", "boolean") is True
        assert typed_value("off", "boolean") is False
        assert typed_value("peut-être", "boolean") == "peut-être"
        assert typed_value(" a b ", "string") == "a b"


class TestRoundTrip:
    def test_a_stored_config_shows_in_the_form_and_comes_back_unchanged(self) -> None:
        stored = {
            "filters": [
                {"key": "tag", "value": "arbres"},
                {"key": "tag", "value": "brouillon", "type": "exclude"},
                {"key": "year", "value": 2026},
            ],
            "features": {"geodcatap": True},
            "extra_configs": [{"key": "remote_url_prefix", "value": "https://x.test/"}],
            "apikey": "kept",
        }
        form = config_form(BACKEND, stored)
        submitted = {}
        for f in form.filters:
            submitted[f"filter.{f.key}.include"] = f.include
            submitted[f"filter.{f.key}.exclude"] = f.exclude
        submitted.update({f"feature.{f.key}": "on" for f in form.features if f.checked})
        submitted.update({f"extra.{f.key}": f.value for f in form.extra_configs})
        assert form.unknown == ["apikey"]
        rebuilt = config_from_form(submitted, BACKEND, stored)
        assert sorted(rebuilt["filters"], key=str) == sorted(stored["filters"], key=str)
        assert rebuilt["features"] == {"geodcatap": True}
        assert rebuilt["extra_configs"] == stored["extra_configs"]
        assert rebuilt["apikey"] == "kept"
        assert validate_config(rebuilt, FORM_BACKEND) == []

    def test_feature_defaults_and_empty_fields(self) -> None:
        form = config_form(BACKEND, {})
        assert [f.checked for f in form.features] == [False]
        assert config_from_form({}, BACKEND) == {"features": {"geodcatap": False}}

    def test_no_backend_no_inputs(self) -> None:
        assert config_form(None, {"filters": []}).is_empty
        assert config_from_form({"filter.tag.include": "x"}, None) == {}


class TestSourceChanges:
    def test_producer_only_on_creation_and_checkboxes_as_booleans(self) -> None:
        form = {
            "name": "A",
            "url": "https://x.test/",
            "backend": "admin-form-test",
            "producer": "org1",
            "active": "on",
        }
        created = source_changes(form, {"admin-form-test": BACKEND}, creating=True)
        assert created["organization"] == "org1"
        assert created["active"] is True
        assert created["autoarchive"] is False
        edited = source_changes(form, {"admin-form-test": BACKEND}, creating=False)
        assert "organization" not in edited
        assert "owner" not in edited
