"""What CKAN extensions add to a package, read into the dataset model.

Plain CKAN says little (`notes`, `maintainer`, `author`, `license_*`, `extras`), but real
portals run extensions that say much more, each in its own place:
- ckanext-dcat (`euro_dcat_ap` profiles): extras `issued`, `modified`, `frequency`,
  `temporal_start`/`temporal_end`, `spatial`, `contact_name`/`contact_email`,
  `publisher_name`/`publisher_email`; with scheming (`euro_dcat_ap_scheming`) the same as
  top-level fields, repeating ones as lists of objects: `contact`, `publisher`, `creator`
  (`{name, email, uri...}`), `temporal_coverage` (`{start, end}`), `spatial_coverage`
  (`{geom, bbox, text, uri}`);
- ckanext-fluent and DCAT-AP CH portals (opendata.swiss): language dictionaries for texts
  and keywords, `description` instead of `notes`, `temporals` (`{start_date, end_date}`),
  `accrual_periodicity`, `contact_points`, `publisher` as a JSON text;
- ckanext-spatial's ISO harvester: extras `frequency-of-update` (ISO 19115 codes),
  `bbox-*`, `contact-email`, `responsible-party` (JSON with roles, HTML-escaped);
- EnviDat-style schemas: `author`/`maintainer` holding JSON persons (`{name, given_name,
  email}` or a list of them).

Every reader takes the package's fields (`Fields`: top-level keys and extras, extras
winning as CKAN's own `package_show` would show them) and logs what it cannot use on the
item's logger: a bad value is dropped alone, the dataset is still harvested.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from moisson.domain.drafts import ContactPointDraft, TemporalCoverage
from moisson.domain.enums import ContactRole, Frequency
from moisson.mapping.contacts import contact_point
from moisson.mapping.frequencies import frequency_from_any
from moisson.mapping.language import pick_language

Fields = Mapping[str, Any]

#: Where a frequency may be, in order: udata's `frequency` extra first
#: (docs/udata-backends.md §6.2).
FREQUENCY_KEYS = ("frequency", "accrual_periodicity", "accrualPeriodicity", "frequency-of-update")

#: ISO 19115 CI_RoleCode (ckanext-spatial `responsible-party`) → contact role.
_ISO_ROLES = {
    "pointofcontact": ContactRole.CONTACT,
    "author": ContactRole.CREATOR,
    "publisher": ContactRole.PUBLISHER,
    "owner": ContactRole.RIGHTS_HOLDER,
    "custodian": ContactRole.CUSTODIAN,
    "distributor": ContactRole.DISTRIBUTOR,
    "originator": ContactRole.ORIGINATOR,
    "principalinvestigator": ContactRole.PRINCIPAL_INVESTIGATOR,
    "processor": ContactRole.PROCESSOR,
    "resourceprovider": ContactRole.RESOURCE_PROVIDER,
    "user": ContactRole.USER,
}


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return not value
    return False


def first(fields: Fields, *keys: str) -> Any:
    """The first non-blank value among `keys`."""
    for key in keys:
        value = fields.get(key)
        if not blank(value):
            return value
    return None


def decode_json(value: Any) -> Any:
    """A JSON text's value (HTML-escaped JSON too, as ckanext-spatial writes it); anything
    else, or text that is not JSON, as it is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if "&quot;" in text or "&#" in text:
        text = html.unescape(text)
    if not text.startswith(("{", "[")):
        return value
    try:
        return json.loads(text)
    except ValueError:
        return value


def text_of(value: Any, lang: str) -> str | None:
    """A text from a string, a number or a language dictionary; `None` when blank."""
    if isinstance(value, Mapping):
        value = pick_language(value, lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


# --------------------------------------------------------------------------- frequency


def frequency_from_fields(fields: Fields, *, log: logging.Logger) -> Frequency | None:
    """The first frequency that resolves; the ones that do not are logged."""
    for key in FREQUENCY_KEYS:
        value = fields.get(key)
        if blank(value):
            continue
        text = text_of(value, "en")
        frequency = frequency_from_any(text) if text else None
        if frequency is not None:
            return frequency
        log.warning("Unknown frequency %r in %s: not kept as the update frequency", value, key)
    return None


# --------------------------------------------------------------------------- dates


def reference_dates(fields: Fields) -> dict[str, Any]:
    """ckanext-spatial's `dataset-reference-date` (`[{type, value}]`, ISO 19115 date types
    `creation`, `publication`, `revision`) by type; the first of each type wins."""
    dates = decode_json(fields.get("dataset-reference-date"))
    found: dict[str, Any] = {}
    for item in dates if isinstance(dates, list) else []:
        if isinstance(item, Mapping) and not blank(item.get("value")):
            found.setdefault(str(item.get("type", "")).strip().lower(), item["value"])
    return found


# --------------------------------------------------------------------------- keywords


def keywords_from_fields(fields: Fields, lang: str) -> list[str]:
    """DCAT-AP CH and fluent `keywords`: a list, a comma-separated text or a language
    dictionary of lists."""
    value = decode_json(fields.get("keywords"))
    if isinstance(value, Mapping):
        value = pick_language(value, lang)
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    texts = (text_of(item, lang) for item in value)
    return [text for text in texts if text]


# --------------------------------------------------------------------------- temporal


def temporal_from_fields(
    fields: Fields, *, parse_bound: Any, log: logging.Logger
) -> TemporalCoverage | None:
    """`temporals` / `temporal_coverage` periods (several give the span that covers them
    all); `None` when there are none, so that the caller tries `temporal_start`/`_end`."""
    periods = decode_json(first(fields, "temporals", "temporal_coverage", "temporal"))
    if isinstance(periods, Mapping):
        periods = [periods]
    if not isinstance(periods, list):
        if periods is not None:
            log.warning("Unreadable temporal coverage %r", periods)
        return None
    starts: list[date | None] = []
    ends: list[date | None] = []
    for period in periods:
        if not isinstance(period, Mapping):
            log.warning("Unreadable temporal period %r", period)
            continue
        raw_start = first(period, "start", "start_date", "startDate")
        raw_end = first(period, "end", "end_date", "endDate")
        start = parse_bound(raw_start, end=False) if raw_start is not None else None
        end = parse_bound(raw_end, end=True) if raw_end is not None else None
        if (raw_start is not None and start is None) or (raw_end is not None and end is None):
            log.warning("Unreadable temporal period %r: the unreadable bound is dropped", period)
        if start is None and end is None:
            continue
        if start is not None and end is not None and end < start:
            log.warning("Temporal period ends (%s) before it starts (%s): dropped", end, start)
            continue
        starts.append(start)
        ends.append(end)
    if not starts:
        return None
    if len(starts) > 1:
        log.info("%d temporal periods: the coverage spans them all", len(starts))
    known_starts = [s for s in starts if s is not None]
    start = min(known_starts) if len(known_starts) == len(starts) else None
    known_ends = [e for e in ends if e is not None]
    end = max(known_ends) if len(known_ends) == len(ends) else None
    return TemporalCoverage(start=start, end=end)


# --------------------------------------------------------------------------- spatial


def bbox_polygon(west: Any, south: Any, east: Any, north: Any) -> dict[str, Any] | None:
    """A GeoJSON Polygon of a bounding box, or `None` when a side is not a number or the
    box is inside out."""
    try:
        w, s, e, n = (float(str(side).strip()) for side in (west, south, east, north))
    except ValueError:
        return None
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        return None
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return {"type": "Polygon", "coordinates": [ring]}


def spatial_candidates(fields: Fields) -> Iterator[tuple[str, Any]]:
    """Every place a geometry may be, best first: `spatial` (GeoJSON), scheming
    `spatial_coverage` geometries and boxes, `spatial_bbox`, ckanext-spatial `bbox-*`."""
    if not blank(fields.get("spatial")):
        yield "spatial", fields["spatial"]
    coverage = decode_json(fields.get("spatial_coverage"))
    for item in coverage if isinstance(coverage, list) else [coverage]:
        if isinstance(item, Mapping):
            for key in ("geom", "bbox"):
                if not blank(item.get(key)):
                    yield f"spatial_coverage.{key}", item[key]
    if not blank(fields.get("spatial_bbox")):
        yield "spatial_bbox", fields["spatial_bbox"]
    sides = [
        fields.get(f"bbox-{side}") for side in ("west-long", "south-lat", "east-long", "north-lat")
    ]
    if all(not blank(side) for side in sides):
        polygon = bbox_polygon(*sides)
        yield "bbox-*", polygon if polygon is not None else " ".join(map(str, sides))


# --------------------------------------------------------------------------- contacts


def contact_points_from_fields(
    fields: Fields, *, lang: str, log: logging.Logger
) -> tuple[ContactPointDraft, ...] | None:
    """Contact points from every convention, in a stable order (contacts, then creators,
    then publishers, then other roles), without duplicates; `None` when there is none, so
    that the local ones are kept (as udata does for RDF, docs/udata-backends.md §2.3)."""
    found: list[ContactPointDraft] = []
    for role, name, email in _people(fields, lang, log):
        contact = contact_point(role, name, email, log)
        if contact is not None and contact not in found:
            found.append(contact)
    if not found:
        return None
    order = list(ContactRole)
    return tuple(sorted(found, key=lambda c: order.index(c.role)))


def _people(
    fields: Fields, lang: str, log: logging.Logger
) -> Iterator[tuple[ContactRole, Any, Any]]:
    """`(role, name, email)` of every person or organisation the package names."""
    for key in ("contact_points", "contact"):
        yield from _listed(ContactRole.CONTACT, fields.get(key), lang, log, key)
    yield ContactRole.CONTACT, fields.get("contact_name"), fields.get("contact_email")
    yield from _plain_or_json(ContactRole.CONTACT, fields, "maintainer", lang, log)
    yield from _plain_or_json(ContactRole.CREATOR, fields, "author", lang, log)
    yield from _listed(ContactRole.CREATOR, fields.get("creator"), lang, log, "creator")
    publisher = fields.get("publisher")
    if isinstance(publisher, str) and not publisher.strip().startswith(("{", "[")):
        yield ContactRole.PUBLISHER, publisher, fields.get("publisher_email")
    else:
        yield from _listed(ContactRole.PUBLISHER, publisher, lang, log, "publisher")
        yield ContactRole.PUBLISHER, fields.get("publisher_name"), fields.get("publisher_email")
    yield from _listed(ContactRole.PUBLISHER, fields.get("publishers"), lang, log, "publishers")
    yield from _responsible_parties(fields, lang, log)


def _listed(
    role: ContactRole, value: Any, lang: str, log: logging.Logger, key: str
) -> Iterator[tuple[ContactRole, Any, Any]]:
    value = decode_json(value)
    if blank(value):
        return
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, Mapping):
            yield role, _person_name(item, lang), first(item, "email", "mail", "hasEmail")
        elif isinstance(item, str) and item.strip():
            yield role, item, None
        else:
            log.warning("Unreadable %s %r: not kept as a contact point", key, item)


def _plain_or_json(
    role: ContactRole, fields: Fields, key: str, lang: str, log: logging.Logger
) -> Iterator[tuple[ContactRole, Any, Any]]:
    """`maintainer`/`maintainer_email` and `author`/`author_email`: plain texts, or JSON
    persons in the name field (EnviDat), whose own e-mail wins."""
    value = decode_json(fields.get(key))
    email = fields.get(f"{key}_email")
    if isinstance(value, (Mapping, list)):
        people = list(_listed(role, value, lang, log, key))
        for index, (_, name, own_email) in enumerate(people):
            yield role, name, own_email or (email if index == 0 else None)
        return
    yield role, value, email


def _person_name(person: Mapping[str, Any], lang: str) -> str | None:
    name = text_of(first(person, "name", "fn", "label", "title", "organisation"), lang)
    given = text_of(person.get("given_name"), lang)
    if given and name and given not in name:
        return f"{given} {name}"
    return name or given


def _responsible_parties(
    fields: Fields, lang: str, log: logging.Logger
) -> Iterator[tuple[ContactRole, Any, Any]]:
    """ckanext-spatial's `responsible-party` (`[{name, roles}]`); `contact-email` is the
    e-mail of the first point of contact, as that harvester writes it."""
    parties = decode_json(fields.get("responsible-party"))
    email = fields.get("contact-email")
    if not isinstance(parties, list):
        if email:
            yield ContactRole.CONTACT, None, email
        return
    for party in parties:
        if not isinstance(party, Mapping):
            continue
        roles = party.get("roles") or []
        for code in roles if isinstance(roles, list) else [roles]:
            role = _ISO_ROLES.get(str(code).strip().lower())
            if role is None:
                log.warning("Unknown responsible party role %r", code)
                continue
            own = first(party, "email")
            if role == ContactRole.CONTACT and not own:
                own, email = email, None
            yield role, _person_name(party, lang), own
    if email:
        yield ContactRole.CONTACT, None, email


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
