"""What a backend declares it understands: filters, features and extra configs.

These frozen declarations are the single source for `GET /harvest/backends/` and for the
validation of a source's `config` (docs/udata-behaviour.md §2.9 and §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

#: Python type of a declared value -> the type name the API shows (docs/udata-behaviour.md §2.9).
TYPE_NAMES: dict[type, str] = {
    str: "string",
    bytes: "string",
    int: "integer",
    bool: "boolean",
    UUID: "uuid",
    datetime: "date-time",
    date: "date",
}


@dataclass(frozen=True, slots=True)
class FilterSpec:
    key: str
    label: str
    type: type = str
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPE_NAMES:
            raise TypeError(f"Unsupported filter type {self.type!r} for {self.key!r}")

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    key: str
    label: str
    description: str = ""
    default: bool = False


@dataclass(frozen=True, slots=True)
class ExtraConfigSpec:
    key: str
    label: str
    type: type = str
    description: str = ""
    default: Any = None

    def __post_init__(self) -> None:
        if self.type not in TYPE_NAMES:
            raise TypeError(f"Unsupported extra config type {self.type!r} for {self.key!r}")

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type]


@dataclass(frozen=True, slots=True)
class BackendInfo:
    id: str
    """Short name stored on sources (`dcat`, `csw-dcat`, `ckan`...)."""
    label: str
    """Display name, also written to `harvest.backend` on harvested objects (`DCAT`...)."""
    filters: tuple[FilterSpec, ...] = ()
    features: tuple[FeatureSpec, ...] = ()
    extra_configs: tuple[ExtraConfigSpec, ...] = ()
    follow_redirects: bool = False
    """Whether this backend may follow HTTP redirects (each hop is SSRF-checked again)."""
    verify_tls: bool = True

    def as_api(self) -> dict[str, Any]:
        """The `HarvestBackend` shape of the reference (extra configs keep their `type`)."""
        return {
            "id": self.id,
            "label": self.label,
            "filters": [
                {"label": f.label, "key": f.key, "type": f.type_name, "description": f.description}
                for f in self.filters
            ],
            "features": [
                {"label": f.label, "key": f.key, "description": f.description, "default": f.default}
                for f in self.features
            ],
            "extra_configs": [
                {
                    "label": c.label,
                    "key": c.key,
                    "type": c.type_name,
                    "description": c.description,
                    "default": c.default,
                }
                for c in self.extra_configs
            ],
        }
