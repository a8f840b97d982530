"""High-value datasets: the EU HVD category vocabulary and the French labels udata tags
datasets with (docs/udata-backends.md §2.5). A category also adds the tag `hvd`."""

from __future__ import annotations

from types import MappingProxyType

HVD_TAG = "hvd"
HVD_BASE = "http://data.europa.eu/bna/"
#: Both IRI forms of the vocabulary are met in ISO records.
HVD_BASES = (HVD_BASE, "http://publications.europa.eu/resource/authority/bna/")

#: Category code -> French label.
HVD_CATEGORIES = MappingProxyType(
    {
        "c_164e0bf5": "Météorologiques",
        "c_a9135398": "Entreprises et propriété d'entreprises",
        "c_ac64a52d": "Géospatiales",
        "c_b79e35eb": "Mobilité",
        "c_dd313021": "Observation de la terre et environnement",
        "c_e1da4e07": "Statistiques",
    }
)
#: Full IRI -> French label: the RDF mapping matches theme IRIs exactly, as udata does.
HVD_THEMES = MappingProxyType({HVD_BASE + code: label for code, label in HVD_CATEGORIES.items()})


def hvd_label(uri: str) -> str | None:
    """The label of a category IRI in either form (a trailing slash tolerated), else `None`."""
    for base in HVD_BASES:
        if uri.startswith(base):
            return HVD_CATEGORIES.get(uri[len(base) :].strip("/"))
    return None
