"""Update frequencies, the one home of every frequency table (docs/udata-backends.md §2.6).

udata ids and their legacy aliases, the Dublin Core and EU IRI vocabularies, and the ISO
maintenance codes. Each mapping applies its own rule over them:
- CKAN (`frequency_from_value`, docs/udata-backends.md §6.2): a full Dublin Core or EU IRI, else a
  udata id (legacy aliases included), compared without regard to case; then (`frequency_from_any`)
  an EU code or an ISO 19115 maintenance code, which udata leaves unread;
- RDF (`moisson.mapping.rdf.frequency`): an IRI (`frequency_from_iri`), else a Dublin Core
  local name or EU code (`frequency_from_code`), compared without regard to case;
- ISO 19139: `ISO_MAINTENANCE_FREQUENCIES`.
"""

from __future__ import annotations

from types import MappingProxyType

from moisson.domain.enums import Frequency

DC_FREQUENCY_NS = "http://purl.org/cld/freq/"
EU_FREQUENCY_NS = "http://publications.europa.eu/resource/authority/frequency/"

#: Dublin Core local names are spelled like udata ids.
DC_FREQUENCIES = MappingProxyType(
    {
        name: Frequency(name)
        for name in (
            "continuous",
            "daily",
            "threeTimesAWeek",
            "semiweekly",
            "weekly",
            "biweekly",
            "threeTimesAMonth",
            "semimonthly",
            "monthly",
            "bimonthly",
            "quarterly",
            "threeTimesAYear",
            "semiannual",
            "annual",
            "biennial",
            "triennial",
            "irregular",
        )
    }
)

#: EU Publications Office frequency codes.
EU_FREQUENCIES: MappingProxyType[str, Frequency] = MappingProxyType(
    {
        "UNKNOWN": Frequency.UNKNOWN,
        "UPDATE_CONT": Frequency.CONTINUOUS,
        "1MIN": Frequency.ONE_MINUTE,
        "5MIN": Frequency.FIVE_MINUTES,
        "10MIN": Frequency.TEN_MINUTES,
        "15MIN": Frequency.FIFTEEN_MINUTES,
        "30MIN": Frequency.THIRTY_MINUTES,
        "HOURLY": Frequency.HOURLY,
        "BIHOURLY": Frequency.BIHOURLY,
        "TRIHOURLY": Frequency.TRIHOURLY,
        "12HRS": Frequency.TWELVE_HOURS,
        "CONT": Frequency.SEVERAL_TIMES_A_DAY,
        "NEVER": Frequency.NEVER,
        "OTHER": Frequency.OTHER,
        "DAILY": Frequency.DAILY,
        "WEEKLY_5": Frequency.FIVE_TIMES_A_WEEK,
        "WEEKLY_3": Frequency.THREE_TIMES_A_WEEK,
        "WEEKLY_2": Frequency.SEMIWEEKLY,
        "WEEKLY": Frequency.WEEKLY,
        "BIWEEKLY": Frequency.BIWEEKLY,
        "MONTHLY_3": Frequency.THREE_TIMES_A_MONTH,
        "MONTHLY_2": Frequency.SEMIMONTHLY,
        "MONTHLY": Frequency.MONTHLY,
        "BIMONTHLY": Frequency.BIMONTHLY,
        "QUARTERLY": Frequency.QUARTERLY,
        "DAILY_3": Frequency.THREE_TIMES_A_DAY,
        "DAILY_2": Frequency.SEMIDAILY,
        "ANNUAL_3": Frequency.THREE_TIMES_A_YEAR,
        "ANNUAL_2": Frequency.SEMIANNUAL,
        "ANNUAL": Frequency.ANNUAL,
        "BIENNIAL": Frequency.BIENNIAL,
        "TRIENNIAL": Frequency.TRIENNIAL,
        "QUADRENNIAL": Frequency.QUADRENNIAL,
        "QUINQUENNIAL": Frequency.QUINQUENNIAL,
        "DECENNIAL": Frequency.DECENNIAL,
        "BIDECENNIAL": Frequency.BIDECENNIAL,
        "TRIDECENNIAL": Frequency.TRIDECENNIAL,
        "AS_NEEDED": Frequency.PUNCTUAL,
        "IRREG": Frequency.IRREGULAR,
        "NOT_PLANNED": Frequency.NOT_PLANNED,
    }
)

#: Old udata ids still accepted when a frequency is given by id.
LEGACY_ALIASES = MappingProxyType(
    {
        "realtime": Frequency.CONTINUOUS,
        "fourTimesADay": Frequency.SEVERAL_TIMES_A_DAY,
        "fourTimesAWeek": Frequency.OTHER,
        "fortnighly": Frequency.BIWEEKLY,  # sic: udata's historical spelling
        "biannual": Frequency.SEMIANNUAL,
    }
)

#: ISO 19115 MD_MaintenanceFrequencyCode -> EU code, as GeoDCAT-AP maps them (continual ->
#: CONT, which udata reads as severalTimesADay; asNeeded -> AS_NEEDED...).
ISO_MAINTENANCE_EU_CODES = MappingProxyType(
    {
        "continual": "CONT",
        "daily": "DAILY",
        "weekly": "WEEKLY",
        "fortnightly": "BIWEEKLY",
        "monthly": "MONTHLY",
        "quarterly": "QUARTERLY",
        "biannually": "ANNUAL_2",
        "annually": "ANNUAL",
        "biennially": "BIENNIAL",
        "asNeeded": "AS_NEEDED",
        "irregular": "IRREG",
        "notPlanned": "NOT_PLANNED",
        "unknown": "UNKNOWN",
    }
)
ISO_MAINTENANCE_FREQUENCIES = MappingProxyType(
    {iso: EU_FREQUENCIES[eu] for iso, eu in ISO_MAINTENANCE_EU_CODES.items()}
)

_BY_LOWER_ID: dict[str, Frequency] = {
    **{alias.lower(): freq for alias, freq in LEGACY_ALIASES.items()},
    **{freq.value.lower(): freq for freq in Frequency},
}


#: Dublin Core local names win over EU codes spelled alike (docs/udata-backends.md §2.6 step 2).
_BY_LOWER_CODE: dict[str, Frequency] = {
    **{code.lower(): freq for code, freq in EU_FREQUENCIES.items()},
    **{name.lower(): freq for name, freq in DC_FREQUENCIES.items()},
}


def frequency_from_iri(value: str) -> Frequency | None:
    """A Dublin Core or EU frequency IRI (exact local name) → udata frequency."""
    if value.startswith(DC_FREQUENCY_NS):
        return DC_FREQUENCIES.get(value.removeprefix(DC_FREQUENCY_NS))
    if value.startswith(EU_FREQUENCY_NS):
        return EU_FREQUENCIES.get(value.removeprefix(EU_FREQUENCY_NS))
    return None


def frequency_from_code(value: str) -> Frequency | None:
    """A Dublin Core local name or an EU code, whatever its case (`daily`, `annual_2`)."""
    return _BY_LOWER_CODE.get(value.strip().lower())


def frequency_from_id(value: str) -> Frequency | None:
    """A udata frequency id or legacy alias, whatever its case (`Daily`, `realtime`)."""
    return _BY_LOWER_ID.get(value.strip().lower())


def frequency_from_value(value: str) -> Frequency | None:
    """CKAN's `frequency` extra: an IRI of either vocabulary, else a udata id, else `None`."""
    value = value.strip()
    return frequency_from_iri(value) or frequency_from_id(value)


_BY_LOWER_ISO_CODE: dict[str, Frequency] = {
    code.lower(): freq for code, freq in ISO_MAINTENANCE_FREQUENCIES.items()
}


def frequency_from_iso_code(value: str) -> Frequency | None:
    """An ISO 19115 `MD_MaintenanceFrequencyCode` (`asNeeded`), also as the tail of a
    codelist URL (`...#MD_MaintenanceFrequencyCode_asNeeded`), whatever its case."""
    code = value.strip().rsplit("#", 1)[-1].removeprefix("MD_MaintenanceFrequencyCode_")
    return _BY_LOWER_ISO_CODE.get(code.lower())


def frequency_from_any(value: str) -> Frequency | None:
    """Whatever a CKAN extension writes: an IRI of either vocabulary, a udata id, an EU
    code (`IRREG`, DCAT-AP CH and ckanext-dcat), an ISO 19115 code (ckanext-spatial's
    `frequency-of-update`). Tried in that order, so `frequency_from_value`'s answers stand."""
    value = value.strip()
    return (
        frequency_from_value(value) or frequency_from_code(value) or frequency_from_iso_code(value)
    )
