"""A tiny WKT reader for the only geometries the mapping keeps: (multi)polygons.

Why not geomet (what udata uses): two geometry types, no dependency, and no surprises on
the hostile text a remote catalog may contain. Accepts an optional `SRID=n;` prefix and the
`Z`/`M`/`ZM` dimension markers; coordinates are kept as given (2, 3 or 4 numbers).
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(,)|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|([A-Za-z]+))")

Position = list[float]
Ring = list[Position]


class WktError(ValueError):
    """The text is not a WKT geometry this reader understands."""


def parse_wkt(text: str) -> dict[str, Any] | None:
    """A GeoJSON-like `{"type", "coordinates"}` for POLYGON/MULTIPOLYGON, `None` for other
    geometry types (points, lines… are ignored by the mapping); raises `WktError` when the
    text is malformed."""
    text = text.strip()
    if text.upper().startswith("SRID="):
        text = text.split(";", 1)[-1]
    tokens = _tokenize(text)
    if not tokens or tokens[0][0] != "word":
        raise WktError("a WKT geometry starts with its type")
    kind = tokens[0][1].upper()
    position = 1
    if position < len(tokens) and tokens[position][0] == "word":
        if tokens[position][1].upper() not in ("Z", "M", "ZM"):
            raise WktError(f"unexpected {tokens[position][1]!r}")
        position += 1
    if kind not in ("POLYGON", "MULTIPOLYGON"):
        return None
    value, position = _nested(tokens, position)
    if position != len(tokens):
        raise WktError("trailing text after the geometry")
    depth = 3 if kind == "POLYGON" else 4
    if _depth(value) != depth:
        raise WktError(f"{kind} nesting is wrong")
    return {"type": "Polygon" if kind == "POLYGON" else "MultiPolygon", "coordinates": value}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise WktError(f"unexpected character at {position}")
        position = match.end()
        if match.group(1):
            tokens.append(("(", "("))
        elif match.group(2):
            tokens.append((")", ")"))
        elif match.group(3):
            tokens.append((",", ","))
        elif match.group(4):
            tokens.append(("number", match.group(4)))
        else:
            tokens.append(("word", match.group(5)))
    return tokens


def _nested(tokens: list[tuple[str, str]], position: int) -> tuple[Any, int]:
    """Parse `( item , item … )` where an item is a nested list or a position."""
    if position >= len(tokens) or tokens[position][0] != "(":
        raise WktError("expected '('")
    position += 1
    items: list[Any] = []
    while True:
        if position < len(tokens) and tokens[position][0] == "(":
            item, position = _nested(tokens, position)
        else:
            numbers: list[float] = []
            while position < len(tokens) and tokens[position][0] == "number":
                numbers.append(float(tokens[position][1]))
                position += 1
            if len(numbers) < 2:
                raise WktError("a position needs at least two numbers")
            item = numbers
        items.append(item)
        if position >= len(tokens):
            raise WktError("unbalanced parentheses")
        kind = tokens[position][0]
        position += 1
        if kind == ")":
            return items, position
        if kind != ",":
            raise WktError("expected ',' or ')'")


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth
