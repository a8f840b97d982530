"""The README's configuration table is the one generated from `Settings`."""

from __future__ import annotations

from pathlib import Path

from moisson.config import DatabaseSettings, HarvestSettings, HttpSettings, Settings
from moisson.settings_doc import settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented() -> None:
    for model in (Settings, DatabaseSettings, HttpSettings, HarvestSettings):
        undocumented = [
            name
            for name, field in model.model_fields.items()
            if not field.description and name not in ("database", "http", "harvest")
        ]
        assert undocumented == [], f"{model.__name__} fields without a docstring"


def test_the_readme_table_is_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- settings:start -->\n") + len("<!-- settings:start -->\n")
    end = text.index("<!-- settings:end -->")
    assert text[start:end] == settings_table(), (
        "README configuration table is stale: run `python -m moisson.settings_doc` "
        "and paste its output between the settings markers"
    )


def test_nested_groups_use_double_underscores() -> None:
    table = settings_table()
    assert "`MOISSON_HTTP__READ_TIMEOUT`" in table
    assert "`MOISSON_HARVEST__PREVIEW_MAX_ITEMS`" in table
    assert "`MOISSON_DATABASE_URL` | `sqlite:///./var/moisson.db`" in table
