"""Code lists the ISO 19139 mapping translates, with their GeoDCAT-AP correspondences."""

from __future__ import annotations

from moisson.domain.enums import ContactRole, Frequency
from moisson.mapping.text import slugify

NAMESPACES = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}

#: CI_RoleCode -> contact role, as GeoDCAT-AP maps responsible parties to properties
#: (pointOfContact -> dcat:contactPoint, author -> dct:creator, owner -> dct:rightsHolder...).
ROLES: dict[str, ContactRole] = {
    "pointOfContact": ContactRole.CONTACT,
    "author": ContactRole.CREATOR,
    "publisher": ContactRole.PUBLISHER,
    "owner": ContactRole.RIGHTS_HOLDER,
    "custodian": ContactRole.CUSTODIAN,
    "distributor": ContactRole.DISTRIBUTOR,
    "originator": ContactRole.ORIGINATOR,
    "principalInvestigator": ContactRole.PRINCIPAL_INVESTIGATOR,
    "processor": ContactRole.PROCESSOR,
    "resourceProvider": ContactRole.RESOURCE_PROVIDER,
    "user": ContactRole.USER,
}
#: udata lists contact points role by role, in this order (backends spec 2.10).
ROLE_ORDER = tuple(ROLES.values())

#: MD_MaintenanceFrequencyCode -> udata frequency, through GeoDCAT-AP's EU frequency codes
#: (continual -> CONT, which udata reads as severalTimesADay; asNeeded -> AS_NEEDED...).
FREQUENCIES: dict[str, Frequency] = {
    "continual": Frequency.SEVERAL_TIMES_A_DAY,
    "daily": Frequency.DAILY,
    "weekly": Frequency.WEEKLY,
    "fortnightly": Frequency.BIWEEKLY,
    "monthly": Frequency.MONTHLY,
    "quarterly": Frequency.QUARTERLY,
    "biannually": Frequency.SEMIANNUAL,
    "annually": Frequency.ANNUAL,
    "biennially": Frequency.BIENNIAL,
    "asNeeded": Frequency.PUNCTUAL,
    "irregular": Frequency.IRREGULAR,
    "notPlanned": Frequency.NOT_PLANNED,
    "unknown": Frequency.UNKNOWN,
}

#: High-value dataset categories -> the French label udata tags them with (spec 2.5).
HVD_CATEGORIES = {
    "c_164e0bf5": "Météorologiques",
    "c_a9135398": "Entreprises et propriété d'entreprises",
    "c_ac64a52d": "Géospatiales",
    "c_b79e35eb": "Mobilité",
    "c_dd313021": "Observation de la terre et environnement",
    "c_e1da4e07": "Statistiques",
}
#: Both URI forms of the HVD category vocabulary are met in ISO records.
HVD_BASES = ("http://data.europa.eu/bna/", "http://publications.europa.eu/resource/authority/bna/")
HVD_TAG = "hvd"

INSPIRE_TAG = "inspire"
INSPIRE_THEME_BASES = (
    "http://inspire.ec.europa.eu/theme",
    "https://inspire.ec.europa.eu/theme",
    "http://www.eionet.europa.eu/gemet/inspire_themes",
)
INSPIRE_THESAURUS_TITLE = "gemet - inspire themes, version 1.0"

INSPIRE_ACCESS_BASE = (
    "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
    "INSPIRE_Directive_Article13_1"
)
_LAW = "du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.{})"
#: INSPIRE limitations on public access (Article 13.1 a-h): (letter, udata reason, French
#: label of the French transposition). A match makes the dataset restricted (spec 2.4).
INSPIRE_ACCESS_CATEGORIES = (
    ("a", "confidentiality_of_proceedings_of_public_authorities", "L124-4-I-1"),
    ("b", "international_relations_public_security_or_national_defence", "L124-5-II-1"),
    ("c", "course_of_justice_or_fair_trial", "L124-5-II-2"),
    ("d", "confidentiality_of_commercial_or_industrial_information", "L124-4-I-1"),
    ("e", "intellectual_property_rights", "L124-5-II-3"),
    ("f", "confidentiality_of_personal_data", "L124-4-I-1"),
    ("g", "protection_of_voluntary_information_suppliers", "L124-4-I-3"),
    ("h", "protection_of_environment", "L124-4-I-2"),
)
_INSPIRE_ACCESS_LOOKUP: dict[str, str] = {}
for _letter, _reason, _article in INSPIRE_ACCESS_CATEGORIES:
    _INSPIRE_ACCESS_LOOKUP[INSPIRE_ACCESS_BASE + _letter] = _reason
    _INSPIRE_ACCESS_LOOKUP[slugify(f"{_article} {_LAW.format(_letter)}")] = _reason


def inspire_access_reason(value: str) -> str | None:
    """The udata reason category an INSPIRE limitation designates (by URI or by its French
    label, compared as slugs), else `None`."""
    value = value.strip()
    return _INSPIRE_ACCESS_LOOKUP.get(value) or _INSPIRE_ACCESS_LOOKUP.get(slugify(value))


def hvd_label(uri: str) -> str | None:
    for base in HVD_BASES:
        if uri.startswith(base):
            return HVD_CATEGORIES.get(uri[len(base) :].strip("/"))
    return None


#: OGC service types a distribution can be (its udata format is the lower-cased type).
OGC_SERVICES = ("wms", "wfs", "wmts", "wcs", "csw", "sos", "wps")

#: CI_OnLineFunctionCode values that designate the data itself.
DATA_FUNCTIONS = frozenset({"download", "offlineAccess", "order", "fileAccess"})
