"""Lookup tables of the DCAT mapping: data, not code (backends spec 2.4 to 2.6, 2.12).

Frequencies map onto `moisson.domain.enums.Frequency` values; the INSPIRE categories onto
udata's `access_type_reason_category` ids.
"""

from __future__ import annotations

from types import MappingProxyType

from moisson.domain.enums import Frequency as F

DC_FREQUENCY_BASE = "http://purl.org/cld/freq/"
EU_FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"

#: Dublin Core collection frequency local names (udata ids are spelled the same).
DC_FREQUENCIES = MappingProxyType(
    {
        name: F(name)
        for name in (
            "continuous", "daily", "threeTimesAWeek", "semiweekly", "weekly", "biweekly",
            "threeTimesAMonth", "semimonthly", "monthly", "bimonthly", "quarterly",
            "threeTimesAYear", "semiannual", "annual", "biennial", "triennial", "irregular",
        )
    }
)  # fmt: skip

#: EU Publications Office frequency codes.
EU_FREQUENCIES = MappingProxyType(
    {
        "UNKNOWN": F.UNKNOWN, "UPDATE_CONT": F.CONTINUOUS, "1MIN": F.ONE_MINUTE,
        "5MIN": F.FIVE_MINUTES, "10MIN": F.TEN_MINUTES, "15MIN": F.FIFTEEN_MINUTES,
        "30MIN": F.THIRTY_MINUTES, "HOURLY": F.HOURLY, "BIHOURLY": F.BIHOURLY,
        "TRIHOURLY": F.TRIHOURLY, "12HRS": F.TWELVE_HOURS, "CONT": F.SEVERAL_TIMES_A_DAY,
        "NEVER": F.NEVER, "OTHER": F.OTHER, "DAILY": F.DAILY, "WEEKLY_5": F.FIVE_TIMES_A_WEEK,
        "WEEKLY_3": F.THREE_TIMES_A_WEEK, "WEEKLY_2": F.SEMIWEEKLY, "WEEKLY": F.WEEKLY,
        "BIWEEKLY": F.BIWEEKLY, "MONTHLY_3": F.THREE_TIMES_A_MONTH, "MONTHLY_2": F.SEMIMONTHLY,
        "MONTHLY": F.MONTHLY, "BIMONTHLY": F.BIMONTHLY, "QUARTERLY": F.QUARTERLY,
        "DAILY_3": F.THREE_TIMES_A_DAY, "DAILY_2": F.SEMIDAILY, "ANNUAL_3": F.THREE_TIMES_A_YEAR,
        "ANNUAL_2": F.SEMIANNUAL, "ANNUAL": F.ANNUAL, "BIENNIAL": F.BIENNIAL,
        "TRIENNIAL": F.TRIENNIAL, "QUADRENNIAL": F.QUADRENNIAL, "QUINQUENNIAL": F.QUINQUENNIAL,
        "DECENNIAL": F.DECENNIAL, "BIDECENNIAL": F.BIDECENNIAL, "TRIDECENNIAL": F.TRIDECENNIAL,
        "AS_NEEDED": F.PUNCTUAL, "IRREG": F.IRREGULAR, "NOT_PLANNED": F.NOT_PLANNED,
    }
)  # fmt: skip

#: Full IRI -> frequency, DC first then EU (exact IRI lookup, spec 2.6 step 3).
FREQUENCY_BY_IRI = MappingProxyType(
    {
        **{DC_FREQUENCY_BASE + name: freq for name, freq in DC_FREQUENCIES.items()},
        **{EU_FREQUENCY_BASE + code: freq for code, freq in EU_FREQUENCIES.items()},
    }
)
#: Lower-cased code -> frequency for literals that are not URLs (spec 2.6 step 2).
FREQUENCY_BY_CODE = MappingProxyType(
    {
        **{code.lower(): freq for code, freq in EU_FREQUENCIES.items()},
        **{name.lower(): freq for name, freq in DC_FREQUENCIES.items()},
    }
)

#: High-value dataset categories (EU HVD vocabulary) -> French label; they also add `hvd`.
HVD_THEMES = MappingProxyType(
    {
        "http://data.europa.eu/bna/c_164e0bf5": "Météorologiques",
        "http://data.europa.eu/bna/c_a9135398": "Entreprises et propriété d'entreprises",
        "http://data.europa.eu/bna/c_ac64a52d": "Géospatiales",
        "http://data.europa.eu/bna/c_b79e35eb": "Mobilité",
        "http://data.europa.eu/bna/c_dd313021": "Observation de la terre et environnement",
        "http://data.europa.eu/bna/c_e1da4e07": "Statistiques",
    }
)
HVD_TAG = "hvd"

INSPIRE_TAG = "inspire"
INSPIRE_THEME_PREFIX = "http://inspire.ec.europa.eu/theme"
INSPIRE_SCHEME_IRIS = frozenset(
    {"http://inspire.ec.europa.eu/theme", "http://www.eionet.europa.eu/gemet/inspire_themes"}
)
INSPIRE_SCHEME_TITLE = "gemet - inspire themes, version 1.0"

INSPIRE_LIMITATION_BASE = (
    "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
    "INSPIRE_Directive_Article13_1"
)
_ARTICLE = "du code de l'environnement (Directive 2007/2/CE (INSPIRE), Article 13.1.{})"

#: INSPIRE article 13.1 letter -> (udata reason category, French label).
INSPIRE_LIMITATIONS = MappingProxyType(
    {
        "a": ("confidentiality_of_proceedings_of_public_authorities", "L124-4-I-1 " + _ARTICLE),
        "b": (
            "international_relations_public_security_or_national_defence",
            "L124-5-II-1 " + _ARTICLE,
        ),
        "c": ("course_of_justice_or_fair_trial", "L124-5-II-2 " + _ARTICLE),
        "d": ("confidentiality_of_commercial_or_industrial_information", "L124-4-I-1 " + _ARTICLE),
        "e": ("intellectual_property_rights", "L124-5-II-3 " + _ARTICLE),
        "f": ("confidentiality_of_personal_data", "L124-4-I-1 " + _ARTICLE),
        "g": ("protection_of_voluntary_information_suppliers", "L124-4-I-3 " + _ARTICLE),
        "h": ("protection_of_environment", "L124-4-I-2 " + _ARTICLE),
    }
)  # fmt: skip
ACCESS_TYPE_RESTRICTED = "restricted"

#: spdx:algorithm IRI -> checksum type.
SPDX_ALGORITHMS = MappingProxyType(
    {
        "http://spdx.org/rdf/terms#checksumAlgorithm_md5": "md5",
        "http://spdx.org/rdf/terms#checksumAlgorithm_sha1": "sha1",
        "http://spdx.org/rdf/terms#checksumAlgorithm_sha256": "sha256",
    }
)

#: qudt unit -> (unit shown, metres per unit) for spatial resolutions as distance.
DISTANCE_UNITS = MappingProxyType(
    {
        "http://www.qudt.org/vocab/unit/M": ("m", 1.0),
        "http://www.qudt.org/vocab/unit/KiloM": ("km", 1000.0),
        "http://www.qudt.org/vocab/unit/FT": ("ft", 0.3048),
    }
)

#: Formats whose resources are matched by (url, title): one distribution per layer (spec 2.12).
OGC_LAYER_FORMATS = frozenset({"wfs", "wms", "wmts"})
