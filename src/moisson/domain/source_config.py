"""A source's `config` object: validation against a backend's declarations, typed access.

Layout (docs/udata-behaviour.md §4.3): `filters` and `extra_configs` are lists of `{key, value}`
objects (a filter may add `"type": "exclude"`), `features` maps keys to booleans, and any
other top-level key is kept untouched (CKAN reads `apikey`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moisson.domain.capabilities import BackendInfo


def validate_config(config: Any, info: BackendInfo) -> list[str]:
    """Every problem of `config` for backend `info`, as messages a person can act on.

    An empty list means the config is valid. Unlike udata, a boolean never passes as an
    integer: JSON `true` is not a number.
    """
    if not isinstance(config, Mapping):
        return ["The configuration should be an object"]
    errors: list[str] = []
    declared_filters = {f.key: f for f in info.filters}
    declared_extras = {c.key: c for c in info.extra_configs}
    declared_features = {f.key for f in info.features}

    for label, entries, declared in (
        ("filter", config.get("filters", []), declared_filters),
        ("extra config", config.get("extra_configs", []), declared_extras),
    ):
        if entries is None:
            continue
        if not isinstance(entries, list):
            errors.append(f"{label.capitalize()}s should be a list of {{key, value}} objects")
            continue
        for entry in entries:
            if not isinstance(entry, Mapping) or "key" not in entry or "value" not in entry:
                errors.append("A field should have both key and value properties")
                continue
            spec = declared.get(entry["key"])
            if spec is None:
                errors.append(f'Unknown {label} key "{entry["key"]}" for "{info.id}" backend')
                continue
            if not _is_of_type(entry["value"], spec.type):
                errors.append(f'"{entry["key"]}" {label} should be of type "{spec.type_name}"')
            if label == "filter" and entry.get("type", "include") not in ("include", "exclude"):
                errors.append(f'"{entry["key"]}" filter type should be "include" or "exclude"')

    features = config.get("features", {})
    if features is not None:
        if not isinstance(features, Mapping):
            errors.append("Features should be an object")
        else:
            for key, value in features.items():
                if key not in declared_features:
                    errors.append(f'Unknown feature "{key}" for "{info.id}" backend')
                elif not isinstance(value, bool):
                    errors.append("A feature should be a boolean")
    return errors


def _is_of_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected in (str, bytes):
        return isinstance(value, str)
    return isinstance(value, expected)


@dataclass(frozen=True, slots=True)
class SourceFilter:
    key: str
    value: Any
    exclude: bool = False


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """Typed, read-only view of an already validated config, for backends."""

    raw: Mapping[str, Any]
    info: BackendInfo

    @property
    def filters(self) -> list[SourceFilter]:
        return [
            SourceFilter(f["key"], f["value"], f.get("type") == "exclude")
            for f in self.raw.get("filters") or []
        ]

    def feature(self, key: str) -> bool:
        """The feature's configured value, else its declared default."""
        for spec in self.info.features:
            if spec.key == key:
                value = (self.raw.get("features") or {}).get(key)
                return spec.default if value is None else bool(value)
        raise KeyError(f"{self.info.id} declares no feature {key!r}")

    def extra(self, key: str) -> Any:
        """The extra config's value, else its declared default."""
        for entry in self.raw.get("extra_configs") or []:
            if entry.get("key") == key:
                return entry.get("value")
        for spec in self.info.extra_configs:
            if spec.key == key:
                return spec.default
        raise KeyError(f"{self.info.id} declares no extra config {key!r}")
