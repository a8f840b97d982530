"""The source form: fields generated from a backend's declarations, and back to changes.

A backend declares its filters, features and extra configs (`/harvest/backends/`); the form
shows one input per declaration and turns the submitted values into the `config` object of
the API (docs/udata-behaviour.md §4.3). Checking is left to the services, so the form reports
exactly the messages the API gives.

Field names: `filter.<key>.include` and `filter.<key>.exclude` (one value per line),
`feature.<key>` (a checkbox), `extra.<key>` (one value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moisson.domain.json import Json

TRUE_WORDS = frozenset({"true", "on", "yes", "1"})
FALSE_WORDS = frozenset({"false", "off", "no", "0"})


@dataclass
class ConfigInput:
    """One declared setting as the template shows it, filled with the current value."""

    key: str
    label: str
    type: str
    description: str
    include: str = ""
    exclude: str = ""
    checked: bool = False
    value: str = ""


@dataclass
class ConfigForm:
    filters: list[ConfigInput] = field(default_factory=list)
    features: list[ConfigInput] = field(default_factory=list)
    extra_configs: list[ConfigInput] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Keys of the stored config no declaration names (kept, shown, not editable)."""

    @property
    def is_empty(self) -> bool:
        return not (self.filters or self.features or self.extra_configs)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def config_form(backend: Json | None, config: Mapping[str, Any] | None) -> ConfigForm:
    """The inputs of `backend` (an `as_api()` dict), filled from a stored `config`."""
    form = ConfigForm()
    if backend is None:
        return form
    config = config or {}
    filters = [f for f in config.get("filters") or [] if isinstance(f, Mapping)]
    extras = {
        e.get("key"): e.get("value")
        for e in config.get("extra_configs") or []
        if isinstance(e, Mapping)
    }
    features = config.get("features") if isinstance(config.get("features"), Mapping) else {}
    for spec in backend["filters"]:
        mine = [f for f in filters if f.get("key") == spec["key"]]
        form.filters.append(
            ConfigInput(
                spec["key"],
                spec["label"],
                spec["type"],
                spec.get("description") or "",
                include="\n".join(
                    _shown(f.get("value")) for f in mine if f.get("type") != "exclude"
                ),
                exclude="\n".join(
                    _shown(f.get("value")) for f in mine if f.get("type") == "exclude"
                ),
            )
        )
    for spec in backend["features"]:
        value = (features or {}).get(spec["key"])
        form.features.append(
            ConfigInput(
                spec["key"],
                spec["label"],
                "boolean",
                spec.get("description") or "",
                checked=bool(spec.get("default")) if value is None else bool(value),
            )
        )
    for spec in backend["extra_configs"]:
        value = extras.get(spec["key"], spec.get("default"))
        form.extra_configs.append(
            ConfigInput(
                spec["key"],
                spec["label"],
                spec["type"],
                spec.get("description") or "",
                value=_shown(value),
            )
        )
    declared = {"filters", "features", "extra_configs"}
    form.unknown = sorted(k for k in config if k not in declared)
    return form


def typed_value(raw: str, type_name: str) -> Any:
    """A submitted text as the declared type; text that does not convert is passed on as is,
    so the services refuse it with their own message."""
    text = raw.strip()
    if type_name == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if type_name == "boolean":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
    return text


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def config_from_form(
    form: Mapping[str, str], backend: Json | None, stored: Mapping[str, Any] | None = None
) -> Json:
    """The `config` object the form describes. Undeclared keys of the `stored` config (CKAN's
    `apikey`...) are kept, since the form cannot show or edit them."""
    config: Json = {
        k: v for k, v in (stored or {}).items() if k not in ("filters", "features", "extra_configs")
    }
    if backend is None:
        return config
    filters: list[Json] = []
    for spec in backend["filters"]:
        for kind in ("include", "exclude"):
            for line in _lines(form.get(f"filter.{spec['key']}.{kind}", "")):
                entry: Json = {"key": spec["key"], "value": typed_value(line, spec["type"])}
                if kind == "exclude":
                    entry["type"] = "exclude"
                filters.append(entry)
    if filters:
        config["filters"] = filters
    if backend["features"]:
        config["features"] = {
            spec["key"]: f"feature.{spec['key']}" in form for spec in backend["features"]
        }
    extras = [
        {"key": spec["key"], "value": typed_value(form[name], spec["type"])}
        for spec in backend["extra_configs"]
        if (name := f"extra.{spec['key']}") in form and form[name].strip()
    ]
    if extras:
        config["extra_configs"] = extras
    return config


def source_changes(
    form: Mapping[str, str],
    backends: Mapping[str, Json],
    *,
    creating: bool,
    stored_config: Mapping[str, Any] | None = None,
) -> Json:
    """The changes mapping `services.sources` expects, from a submitted source form.

    On creation, `producer` is empty (the caller owns the source) or an organization id; the
    producer is not edited through this form."""
    backend_id = form.get("backend", "").strip()
    changes: Json = {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "url": form.get("url", ""),
        "backend": backend_id,
        "active": "active" in form,
        "autoarchive": "autoarchive" in form,
        "config": config_from_form(form, backends.get(backend_id), stored_config),
    }
    if creating and form.get("producer", "").strip():
        changes["organization"] = form["producer"].strip()
    return changes
