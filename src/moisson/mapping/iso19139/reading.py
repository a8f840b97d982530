"""Typed accessors over one ISO 19139 record: localised texts, code list values, dates."""

from __future__ import annotations

import re
from datetime import date, datetime

from lxml import etree

from moisson.mapping.iso19139.vocabularies import NAMESPACES
from moisson.mapping.values import is_link, iso_instant

XLINK_HREF = f"{{{NAMESPACES['xlink']}}}href"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def find(element: etree._Element, path: str) -> etree._Element | None:
    found = element.find(path, NAMESPACES)
    return found


def findall(element: etree._Element, path: str) -> list[etree._Element]:
    return list(element.iterfind(path, NAMESPACES))


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


class RecordReader:
    """Reads the texts of one record in the preferred language.

    A record says in `gmd:language` which language its plain `gco:CharacterString` values
    are in; translations sit in `gmd:PT_FreeText` next to them, tagged with a locale whose
    `gmd:PT_Locale` is declared on the record.
    """

    def __init__(self, record: etree._Element, lang: str) -> None:
        self.record = record
        self.lang = lang.lower()
        self.locales: dict[str, str] = {}
        for locale in findall(record, "gmd:locale/gmd:PT_Locale"):
            code = find(locale, "gmd:languageCode/gmd:LanguageCode")
            value = code.get("codeListValue") or code.text if code is not None else None
            if locale.get("id") and value:
                self.locales[locale.get("id", "")] = value.strip().lower()
        language = find(record, "gmd:language/gmd:LanguageCode")
        language_code = (
            (language.get("codeListValue") or language.text or "")
            if language is not None
            else (record.findtext("gmd:language/gco:CharacterString", "", NAMESPACES))
        )
        self.default_in_lang = self._is_lang(language_code.strip().lower())

    def _is_lang(self, code: str) -> bool:
        # `fr` matches ISO 639-2 `fre`/`fra`, `en` matches `eng`, and so on.
        return bool(code) and code[:2] == self.lang[:2]

    def text(self, prop: etree._Element | None) -> str | None:
        """The text of a character-string property (`gco:CharacterString`, `gmx:Anchor`
        or a `PT_FreeText` translation), in the preferred language when there is a choice."""
        if prop is None:
            return None
        plain = None
        for child in prop:
            if child.tag in (
                f"{{{NAMESPACES['gco']}}}CharacterString",
                f"{{{NAMESPACES['gmx']}}}Anchor",
            ):
                plain = _clean(child.text)
                break
        if plain and self.default_in_lang:
            return plain
        translations = "gmd:PT_FreeText/gmd:textGroup/gmd:LocalisedCharacterString"
        for localised in findall(prop, translations):
            locale = (localised.get("locale") or "").lstrip("#")
            if self._is_lang(self.locales.get(locale, locale.lower())):
                translated = _clean(localised.text)
                if translated:
                    return translated
        return plain

    def text_at(self, element: etree._Element, path: str) -> str | None:
        return self.text(find(element, path))

    def texts_at(self, element: etree._Element, path: str) -> list[str]:
        return [t for t in (self.text(p) for p in findall(element, path)) if t]


def anchor_href(prop: etree._Element) -> str | None:
    """The `xlink:href` of a `gmx:Anchor` value of a property, if it has one."""
    anchor = find(prop, "gmx:Anchor")
    return _clean(anchor.get(XLINK_HREF)) if anchor is not None else None


def code_value(prop: etree._Element | None) -> str | None:
    """The value of a code list property: its `codeListValue`, else its text."""
    if prop is None or len(prop) == 0:
        return None
    code = prop[0]
    return _clean(code.get("codeListValue")) or _clean(code.text)


def parse_iso_datetime(text: str | None) -> datetime | None:
    """A `gco:Date`/`gco:DateTime` value as a naive UTC datetime (a date gives midnight,
    a year or a month its first day), else `None`."""
    text = (text or "").strip()
    if not text:
        return None
    match = _DATE.match(text)
    try:
        if match:
            year, month, day = match.groups()
            return datetime(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return iso_instant(text)


def parse_iso_date(text: str | None) -> date | None:
    parsed = parse_iso_datetime(text)
    return parsed.date() if parsed else None


def is_url(value: str | None) -> bool:
    """Good enough to be a link: an http(s)/ftp(s) URL with a host and no whitespace."""
    return is_link(value)
