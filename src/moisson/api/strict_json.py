"""Decoding of JSON request bodies, refusing what Python's `json` accepts but nothing can use.

`decode(raw)` returns the document or raises `InvalidInput` (400) when the body:
- is not UTF-8 or not JSON;
- nests arrays/objects more than `MAX_DEPTH` levels (checked on the raw bytes before parsing,
  so a 100,000-level body never reaches a recursive parser);
- repeats a key in one object (parsers disagree on which one wins: we pick none);
- holds `NaN`, `Infinity` or a number too large for a float (not JSON, and not storable);
- holds a string with a NUL character or a lone surrogate (`\\u0000`, `\\ud800`): PostgreSQL
  text and JSONB refuse the first, UTF-8 cannot encode the second.

Where the fault is inside an object, `errors` names its field (`name`, `config.filters`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from moisson.errors import InvalidInput

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a body may have; real bodies use fewer than 10."""

# A complete JSON string literal (unrolled loop: linear, no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class _Refused(ValueError):
    """Raised from the parser's hooks; turned into `InvalidInput` by `decode`."""

    def __init__(self, message: str, field: str = "request") -> None:
        super().__init__(message)
        self.field = field


def nesting_depth(raw: bytes, limit: int) -> int:
    """The nesting depth of `raw`, counting brackets outside string literals; stops counting
    as soon as it passes `limit`."""
    brackets = _STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKET)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Refused(f"Duplicate key {key!r} in a JSON object", field=key)
        found[key] = value
    return found


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"Number {text[:40]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not valid JSON")


def _find_bad_string(value: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """(field path, reason) of the first string, key or value, that cannot be stored."""
    if isinstance(value, str):
        match = _BAD_CHARACTER.search(value)
        if match is None:
            return None
        if match.group() == "\x00":
            return path, "NUL characters are not allowed"
        return path, "Lone UTF-16 surrogates are not allowed"
    if isinstance(value, dict):
        for key, child in value.items():
            found = _find_bad_string(key, (*path, key)) or _find_bad_string(child, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for child in value:
            found = _find_bad_string(child, path)
            if found is not None:
                return found
    return None


def decode(raw: bytes) -> Any:
    """The JSON document `raw` holds; `InvalidInput` for anything the module docstring lists."""
    if nesting_depth(raw, MAX_DEPTH) > MAX_DEPTH:
        raise InvalidInput(
            f"Failed to decode JSON object: nested more than {MAX_DEPTH} levels deep",
            field="request",
        )
    try:
        document = json.loads(
            raw,
            object_pairs_hook=_object_without_duplicates,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except _Refused as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError cannot happen below MAX_DEPTH; it is
        # caught all the same, so a bug in the depth count is a 400, never a 500.
        raise InvalidInput(f"Failed to decode JSON object: {exc}", field="request") from None
    bad = _find_bad_string(document)
    if bad is not None:
        path, reason = bad
        raise InvalidInput(reason, field=".".join(path) or "request")
    return document
