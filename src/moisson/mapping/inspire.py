"""INSPIRE vocabularies: theme thesauri (the `inspire` tag) and the limitations on public
access of Article 13.1, with udata's reason categories (docs/udata-backends.md §2.4 and §2.5)."""

from __future__ import annotations

from types import MappingProxyType

from moisson.mapping.text import slugify

INSPIRE_TAG = "inspire"
INSPIRE_THEME_BASE = "http://inspire.ec.europa.eu/theme"
GEMET_INSPIRE_THEMES = "http://www.eionet.europa.eu/gemet/inspire_themes"
#: Concept schemes of the INSPIRE themes (the RDF mapping compares scheme IRIs exactly).
INSPIRE_SCHEME_IRIS = frozenset({INSPIRE_THEME_BASE, GEMET_INSPIRE_THEMES})
#: Prefixes of INSPIRE theme IRIs and thesauri met in ISO records (https form included).
INSPIRE_THEME_BASES = (
    INSPIRE_THEME_BASE,
    "https://inspire.ec.europa.eu/theme",
    GEMET_INSPIRE_THEMES,
)
#: Title of the GEMET INSPIRE themes thesaurus, compared lower-cased.
INSPIRE_THESAURUS_TITLE = "gemet - inspire themes, version 1.0"

LIMITATIONS_ON_PUBLIC_ACCESS = (
    "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
)
INSPIRE_ACCESS_BASE = LIMITATIONS_ON_PUBLIC_ACCESS + "INSPIRE_Directive_Article13_1"
#: The udata access type of a dataset under an INSPIRE limitation.
ACCESS_TYPE_RESTRICTED = "restricted"

_LAW = "du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.{})"
#: Article 13.1 letter -> (udata reason category, article of the French transposition).
INSPIRE_ACCESS_CATEGORIES = MappingProxyType(
    {
        "a": ("confidentiality_of_proceedings_of_public_authorities", "L124-4-I-1"),
        "b": ("international_relations_public_security_or_national_defence", "L124-5-II-1"),
        "c": ("course_of_justice_or_fair_trial", "L124-5-II-2"),
        "d": ("confidentiality_of_commercial_or_industrial_information", "L124-4-I-1"),
        "e": ("intellectual_property_rights", "L124-5-II-3"),
        "f": ("confidentiality_of_personal_data", "L124-4-I-1"),
        "g": ("protection_of_voluntary_information_suppliers", "L124-4-I-3"),
        "h": ("protection_of_environment", "L124-4-I-2"),
    }
)


def inspire_access_label(letter: str) -> str:
    """The French label of a limitation, e.g. `L124-4-I-1 du code de l'environnement
    (Directive 2007/2/CE (INSPIRE), Article 13.1.d)`."""
    return f"{INSPIRE_ACCESS_CATEGORIES[letter][1]} {_LAW.format(letter)}"


_REASON_BY_TEXT: dict[str, str] = {}
for _letter, (_reason, _) in INSPIRE_ACCESS_CATEGORIES.items():
    _REASON_BY_TEXT[INSPIRE_ACCESS_BASE + _letter] = _reason
    _REASON_BY_TEXT[slugify(inspire_access_label(_letter))] = _reason


def inspire_access_reason(value: str) -> str | None:
    """The udata reason category a limitation designates, by its IRI or by its French
    label (compared as slugs), else `None`."""
    value = value.strip()
    return _REASON_BY_TEXT.get(value) or _REASON_BY_TEXT.get(slugify(value))
