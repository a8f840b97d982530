"""Drafts built from trusted stored values, cheaper than pydantic's `model_construct`.

The catalog builds about ten drafts per dataset from rows the engine validated when it
wrote them. `model_construct` skips validation but still walks every field's alias and
default on each call (about a quarter of a catalog page's time, bench/bench_catalog.py);
`construct` computes each class's defaults once and fills the instance the way
`model_construct` does: the same `__dict__`, fields set, no extra, no private state.
"""

from __future__ import annotations

import copy
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)
_IMMUTABLE = (type(None), str, int, float, bool, tuple, frozenset, Enum)


@cache
def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """(defaults shared safely, (name, maker) of the defaults made afresh each time)."""
    shared: dict[str, Any] = {}
    fresh: list[tuple[str, Any]] = []
    for name, field in cls.model_fields.items():
        if field.default_factory is not None:
            fresh.append((name, field.default_factory))
        elif field.is_required():
            continue
        elif isinstance(field.default, _IMMUTABLE):
            shared[name] = field.default
        else:
            fresh.append((name, lambda default=field.default: copy.deepcopy(default)))
    return shared, tuple(fresh)


def construct(cls: type[Model], **values: Any) -> Model:
    """`cls.model_construct(**values)`, `values` named by field name (not alias)."""
    if cls.__private_attributes__:
        return cls.model_construct(**values)
    shared, fresh = _defaults(cls)
    data = {**shared, **values}
    for name, make in fresh:
        if name not in values:
            data[name] = make()
    instance = cls.__new__(cls)
    object.__setattr__(instance, "__dict__", data)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance
