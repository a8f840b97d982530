"""`X-Fields` response masks with flask-restx semantics (docs/udata-behaviour.md §3.4).

Syntax: comma-separated names; braces select sub-fields (`id,last_job{status}`); outer braces
are optional; `*` keeps every other field of its level; whitespace is ignored. A mask applies
to whatever the endpoint returns, envelope included (`data{id},total`); it filters lists
element by element. Names the object does not have are left out. A sub-mask on a scalar
value is an error; on a null value it yields null (the type of a null cannot be told).

A mask longer than `MAX_LENGTH` characters or nested deeper than `MAX_DEPTH` levels is a
parse error (our responses are never that deep): masks are applied recursively.
"""

from __future__ import annotations

import re
from typing import Any, Union

from moisson.errors import InvalidInput

#: A parsed mask: field name -> sub-mask, or None for "the whole field".
Mask = dict[str, Union["Mask", None]]

_TOKEN = re.compile(r"[{},]|[^{},]+")
MAX_LENGTH = 4096
MAX_DEPTH = 10


class MaskParseError(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Mask parse error: {reason}")


class MaskError(InvalidInput):
    def __init__(self) -> None:
        super().__init__("Mask error: Mask is inconsistent with model")


def parse_mask(text: str | None) -> Mask | None:
    """The mask of an `X-Fields` header; None when there is none (everything is shown)."""
    text = "".join((text or "").split())
    if len(text) > MAX_LENGTH:
        raise MaskParseError(f"Mask longer than {MAX_LENGTH} characters")
    if text.startswith("{"):
        if not text.endswith("}"):
            raise MaskParseError("Missing closing bracket")
        text = text[1:-1]
    if not text:
        return None
    root: Mask = {}
    current = root
    parents: list[Mask] = []
    previous: str | None = None
    for part in _TOKEN.findall(text):
        if part == "{":
            if previous is None or previous in "{},":
                raise MaskParseError("Unexpected opening bracket")
            if len(parents) == MAX_DEPTH:
                raise MaskParseError(f"Mask nested more than {MAX_DEPTH} levels deep")
            child: Mask = {}
            current[previous] = child
            parents.append(current)
            current = child
        elif part == "}":
            if not parents:
                raise MaskParseError("Unexpected closing bracket")
            current = parents.pop()
        elif part == ",":
            if previous is None or previous in "{,":
                raise MaskParseError("Unexpected comma")
        else:
            current[part] = None
        previous = part
    if parents:
        raise MaskParseError("Missing closing bracket")
    return root


def apply_mask(data: Any, mask: Mask | None) -> Any:
    """`data` restricted to `mask` (lists are filtered element by element)."""
    if mask is None:
        return data
    if isinstance(data, list):
        return [apply_mask(element, mask) for element in data]
    if not isinstance(data, dict):
        raise MaskError()
    shown: dict[str, Any] = {}
    for name, sub in mask.items():
        if name == "*" or name not in data:
            continue
        value = data[name]
        shown[name] = value if sub is None or value is None else apply_mask(value, sub)
    if "*" in mask:
        for name, value in data.items():
            shown.setdefault(name, value)
    return shown
