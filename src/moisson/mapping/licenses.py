"""The licence table and udata's licence guessing (docs/udata-backends.md §2.4), with more to match.

The main table is data.gouv.fr's list (`moisson/data/licenses.json`); an operator can
replace it with `MOISSON_HARVEST__LICENSES_FILE` (same JSON shape). Either way the shipped
supplement (`moisson/data/licenses-supplement.json`) is laid over it: the Open Definition
licences a default CKAN offers that the main list lacks (`uk-ogl`, `gfdl`, `cc-nc`...), a few
government data licences, and more ids (SPDX identifiers such as `CC-BY-4.0`), URLs and
titles for the licences already there. A supplement licence whose id the main table already
has is not added twice.

Guessing is udata's (id, URL, title, then fuzzy titles), with three additions that only
ever find a licence where udata found none: alternate ids, exact alternate titles before
the fuzzy ones, and URLs compared without their scheme, `www.`, trailing slash or
Creative Commons `legalcode`/`deed` suffix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from moisson.mapping.text import slugify

NOT_SPECIFIED = "notspecified"
SUPPLEMENT = "licenses-supplement.json"
_URL_IN_TEXT = re.compile(r"https?://\S+")
MAX_DISTANCE = 2


@dataclass(frozen=True, slots=True)
class License:
    id: str
    title: str
    url: str | None = None
    alternate_urls: tuple[str, ...] = ()
    alternate_titles: tuple[str, ...] = ()
    alternate_ids: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return slugify(self.title)

    def extended(self, aliases: dict[str, Any]) -> License:
        """This licence with the supplement's alternate ids, URLs and titles added."""
        return replace(
            self,
            alternate_ids=(*self.alternate_ids, *aliases.get("alternate_ids", ())),
            alternate_urls=(*self.alternate_urls, *aliases.get("alternate_urls", ())),
            alternate_titles=(*self.alternate_titles, *aliases.get("alternate_titles", ())),
        )


def normalize_url(url: str) -> str:
    """A licence URL reduced to what tells licences apart: `https://www.x.org/a/legalcode`,
    `http://x.org/a/` and `x.org/a/deed.fr` are all `x.org/a`."""
    text = url.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text)
    text = text.removeprefix("www.")
    text = re.sub(r"/(legalcode|deed)(\.[a-z-]+)?$", "", text.rstrip("/"))
    return text.rstrip("/")


class LicenseTable:
    def __init__(self, licenses: Iterable[License]) -> None:
        self.licenses = tuple(licenses)
        self.by_id = {lic.id.lower(): lic for lic in self.licenses}
        self._by_alternate_id = {
            alt.lower(): lic for lic in reversed(self.licenses) for alt in lic.alternate_ids
        }
        self._by_url = {
            normalize_url(url): lic
            for lic in reversed(self.licenses)
            for url in (lic.url, *lic.alternate_urls)
            if url
        }
        self._by_alternate_title = {
            slugify(title): lic for lic in reversed(self.licenses) for title in lic.alternate_titles
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | list[dict[str, Any]]) -> LicenseTable:
        entries = data["licenses"] if isinstance(data, dict) else data
        return cls(
            License(
                id=e["id"],
                title=e["title"],
                url=e.get("url"),
                alternate_urls=tuple(e.get("alternate_urls") or ()),
                alternate_titles=tuple(e.get("alternate_titles") or ()),
                alternate_ids=tuple(e.get("alternate_ids") or ()),
            )
            for e in entries
        )

    @classmethod
    def load(cls, path: Path | None = None, *, supplement: bool = True) -> LicenseTable:
        """The operator's table (`path`) or the shipped one, with the supplement laid over
        it unless `supplement` is false."""
        if path is not None:
            table = cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        else:
            table = cls.from_json(json.loads(_shipped("licenses.json")))
        return table.with_supplement(json.loads(_shipped(SUPPLEMENT))) if supplement else table

    def with_supplement(self, data: dict[str, Any]) -> LicenseTable:
        """This table with the supplement's aliases and licences (see the module doc)."""
        aliases = {entry["id"].lower(): entry for entry in data.get("aliases", ())}
        extended = [lic.extended(aliases.get(lic.id.lower(), {})) for lic in self.licenses]
        added = LicenseTable.from_json(list(data.get("licenses", ()))).licenses
        return LicenseTable([*extended, *(a for a in added if a.id.lower() not in self.by_id)])

    def get(self, license_id: str | None) -> License | None:
        return self.by_id.get(license_id.lower()) if license_id else None

    def guess(self, *candidates: str | None, default: str | None = None) -> str | None:
        """The id of the first licence a candidate designates, else `default`.

        A candidate holding a URL is tried by its URL first, then by its whole text.
        """
        for candidate in candidates:
            if not candidate or not candidate.strip():
                continue
            tries = []
            match = _URL_IN_TEXT.search(candidate)
            if match:
                tries.append(match.group(0).rstrip("."))
            tries.append(candidate)
            for text in tries:
                found = self._guess_one(text)
                if found is not None:
                    return found.id
        return default

    def _guess_one(self, text: str) -> License | None:
        text = text.strip().lower()
        if not text:
            return None
        slug = slugify(text)
        for lic in self.licenses:
            urls = [u.lower() for u in (lic.url, *lic.alternate_urls) if u]
            if text == lic.id.lower() or slug == lic.slug or text in urls:
                return lic
        if found := self._by_alternate_id.get(text):
            return found
        if text.startswith(("http://", "https://")):
            if found := self._by_url.get(normalize_url(text)):
                return found
            host_path = text.split("://", 1)[1].rstrip("/")
            for lic in self.licenses:
                if any(host_path in u.lower() for u in (lic.url, *lic.alternate_urls) if u):
                    return lic
        if found := self._by_alternate_title.get(slug):
            return found
        # Fuzzy rules, in order; each wins only when exactly one licence is close enough.
        fuzzy_rules = (
            (slug, lambda lic: [lic.slug]),
            (text, lambda lic: [lic.title.lower()]),
            (slug, lambda lic: [slugify(t) for t in lic.alternate_titles]),
        )
        for probe, keys_of in fuzzy_rules:
            close = [
                lic
                for lic in self.licenses
                if any(damerau_levenshtein(probe, key) <= MAX_DISTANCE for key in keys_of(lic))
            ]
            if len(close) == 1:
                return close[0]
        return None


def _shipped(name: str) -> str:
    return resources.files("moisson").joinpath(f"data/{name}").read_text("utf-8")


def damerau_levenshtein(a: str, b: str) -> int:
    """Optimal string alignment distance (transpositions of adjacent letters count as 1)."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > MAX_DISTANCE:
        return MAX_DISTANCE + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
