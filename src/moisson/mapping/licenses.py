"""The licence table and udata's licence guessing (backends spec 2.4).

The shipped table is data.gouv.fr's list (`moisson/data/licenses.json`); an operator can
replace it with `MOISSON_HARVEST__LICENSES_FILE` (same JSON shape).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from moisson.mapping.text import slugify

NOT_SPECIFIED = "notspecified"
_URL_IN_TEXT = re.compile(r"https?://\S+")
MAX_DISTANCE = 2


@dataclass(frozen=True, slots=True)
class License:
    id: str
    title: str
    url: str | None = None
    alternate_urls: tuple[str, ...] = ()
    alternate_titles: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return slugify(self.title)


class LicenseTable:
    def __init__(self, licenses: Iterable[License]) -> None:
        self.licenses = tuple(licenses)
        self.by_id = {lic.id.lower(): lic for lic in self.licenses}

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
            )
            for e in entries
        )

    @classmethod
    def load(cls, path: Path | None = None) -> LicenseTable:
        if path is not None:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        text = resources.files("moisson").joinpath("data/licenses.json").read_text("utf-8")
        return cls.from_json(json.loads(text))

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
        if text.startswith(("http://", "https://")):
            host_path = text.split("://", 1)[1].rstrip("/")
            for lic in self.licenses:
                if any(host_path in u.lower() for u in (lic.url, *lic.alternate_urls) if u):
                    return lic
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
