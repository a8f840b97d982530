"""The DCAT-AP 3.0.1 SHACL shapes shipped in `moisson/data/dcat_ap/`, and the one fix they need.

The four files of the official release's classic layout are shipped unchanged (provenance,
licence and defects in `data/dcat_ap/README.md` and `docs/quality.md`):

- `shapes.ttl`: mandatory properties and cardinalities (violations);
- `range.ttl`: the classes of the objects of each property (violations);
- `mdr-vocabularies.shape.ttl`: controlled vocabularies (violations and warnings);
- `shapes_recommended.ttl`: recommended properties (warnings).

`shapes.ttl` writes `sh:shape` (not a SHACL term) where it means `sh:node` in 5 property
shapes, so the date datatype of dataset issued/modified, catalog record modified and period
start/end is never checked (SEMICeu/DCAT-AP#229). `patched_text` rewrites exactly those 5
at load; finding any other number of them is an error, so a new release of the file is
noticed rather than half-fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from importlib import resources

DATA_PACKAGE = "moisson"
DATA_DIR = "data/dcat_ap"

#: The broken construct of `shapes.ttl`, and what it stands for.
NON_SHACL_SHAPE = "sh:shape :DateOrDateTimeDataType_Shape"
FIXED_SHAPE = "sh:node :DateOrDateTimeDataType_Shape"
EXPECTED_NON_SHACL_SHAPES = 5


class ShapesSet(StrEnum):
    """One shipped shapes file (the value is its name)."""

    MANDATORY = "shapes.ttl"
    RANGES = "range.ttl"
    VOCABULARIES = "mdr-vocabularies.shape.ttl"
    RECOMMENDED = "shapes_recommended.ttl"


#: What a harvest validates against: the whole classic layout.
ALL_SETS: tuple[ShapesSet, ...] = tuple(ShapesSet)


class ShapesFileError(RuntimeError):
    """A shipped shapes file is not the one the fixes were written for."""


def original_text(shapes: ShapesSet) -> str:
    """The shipped file, as released."""
    return resources.files(DATA_PACKAGE).joinpath(f"{DATA_DIR}/{shapes.value}").read_text("utf-8")


def patched_text(shapes: ShapesSet) -> str:
    """The file with the documented fix applied (only `shapes.ttl` has one)."""
    text = original_text(shapes)
    if shapes is not ShapesSet.MANDATORY:
        return text
    found = text.count(NON_SHACL_SHAPE)
    if found != EXPECTED_NON_SHACL_SHAPES:
        raise ShapesFileError(
            f"{shapes.value} has {found} '{NON_SHACL_SHAPE}' property shapes, "
            f"expected {EXPECTED_NON_SHACL_SHAPES}: review the fix in moisson.quality.shapes"
        )
    return text.replace(NON_SHACL_SHAPE, FIXED_SHAPE)


@cache
def shapes_text(sets: tuple[ShapesSet, ...] = ALL_SETS) -> str:
    """The Turtle of `sets` merged into one shapes graph (each file declares its prefixes
    before use, so concatenation is valid Turtle)."""
    return "\n".join(patched_text(s) for s in _unique(sets))


def _unique(sets: Iterable[ShapesSet]) -> list[ShapesSet]:
    return list(dict.fromkeys(sets))
