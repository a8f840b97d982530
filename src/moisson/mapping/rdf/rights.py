"""Licence, rights and INSPIRE access restrictions (docs/udata-backends.md §2.4)."""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from moisson.domain.drafts import ResourceDraft
from moisson.mapping.inspire import inspire_access_reason
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf.accessors import unique_values
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCT

#: extras key -> predicate, for the dataset and its resources alike.
RIGHTS_PREDICATES = (
    ("rights", DCT.rights),
    ("accessRights", DCT.accessRights),
    ("license", DCT.license),
)


def rights_from_rdf(
    graph: RdfGraph, node: Term, resources: Sequence[ResourceDraft]
) -> dict[str, list[str]]:
    """Dataset rights/accessRights/license values; when the dataset has none for a key,
    the value all harvested resources agree on (unanimously), if any."""
    rights: dict[str, list[str]] = {}
    for key, predicate in RIGHTS_PREDICATES:
        values = unique_values(graph, node, predicate)
        if not values and resources:
            shared = [r.extras.get("dcat", {}).get(key) for r in resources]
            if shared[0] and all(value == shared[0] for value in shared):
                values = list(shared[0])
        if values:
            rights[key] = values
    return rights


def license_from_rdf(
    licenses: LicenseTable,
    dataset_licenses: Sequence[str],
    dataset_rights: Sequence[str],
    resources: Sequence[ResourceDraft],
) -> str | None:
    """The first licence id designated by the dataset licences, its rights, then every
    resource's licence extras, in that order."""
    candidates = [*dataset_licenses, *dataset_rights]
    for resource in resources:
        candidates.extend(resource.extras.get("dcat", {}).get("license", ()))
    return guess_license(licenses, tuple(candidates))


# Guessing runs fuzzy string distances over the whole table; the same few licence texts
# repeat across every dataset of a catalog, so results are remembered per table.
_GUESSES: WeakKeyDictionary[LicenseTable, dict[tuple[str, ...], str | None]] = WeakKeyDictionary()
_MAX_REMEMBERED = 4096


def guess_license(licenses: LicenseTable, candidates: tuple[str, ...]) -> str | None:
    """`licenses.guess(*candidates)`, memoised per licence table."""
    if not candidates:
        return None
    remembered = _GUESSES.setdefault(licenses, {})
    if candidates not in remembered:
        if len(remembered) >= _MAX_REMEMBERED:
            remembered.clear()
        remembered[candidates] = licenses.guess(*candidates)
    return remembered[candidates]


def inspire_restriction(texts: Sequence[str]) -> str | None:
    """The udata reason category of the first INSPIRE article 13.1 limitation found."""
    for text in texts:
        category = inspire_access_reason(text)
        if category:
            return category
    return None
