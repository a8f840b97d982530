"""The one language rule of every mapping: which of several translations of a text to keep.

A title, a description or a keyword list may come in several languages: a ckanext-fluent
dictionary (`{"fr": ..., "en": ...}`), RDF literals with language tags, ISO 19139 localised
strings. Every mapping keeps the same one, as udata does: the preferred language (the
`MOISSON_HARVEST__LANGUAGE` setting, udata's `DEFAULT_LANGUAGE`, `fr` by default), then
English, then the first non-empty value in document order. A value without a language (an
untagged literal) ranks before values in other languages, since it is usually in the
catalog's own language.

Language codes compare on their primary subtag, whatever their case and separator (`fr-FR`,
`fr_BE` and `FR` are `fr`); the ISO 639-2 codes that ISO 19139 and GeoDCAT-AP records use
(`fre`, `fra`, `eng`...) are read as their two-letter equivalents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

DEFAULT_LANGUAGE = "fr"
FALLBACK_LANGUAGE = "en"

T = TypeVar("T")

#: ISO 639-2 (bibliographic and terminology) codes of the languages European catalogs use.
_ISO_639_2 = {
    "fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "dut": "nl", "nld": "nl",
    "ita": "it", "spa": "es", "por": "pt", "cat": "ca", "bre": "br", "oci": "oc", "cos": "co",
    "baq": "eu", "eus": "eu", "gsw": "de", "roh": "rm", "ltz": "lb", "dan": "da", "swe": "sv",
    "nor": "no", "fin": "fi", "pol": "pl", "cze": "cs", "ces": "cs", "gre": "el", "ell": "el",
}  # fmt: skip


def language_key(tag: str | None) -> str | None:
    """The comparable form of a language code: `fr-FR` → `fr`, `fre` → `fr`; `None` for
    no language."""
    if not tag or not str(tag).strip():
        return None
    primary = str(tag).strip().replace("_", "-").split("-")[0].lower()
    return _ISO_639_2.get(primary, primary)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def choose(
    candidates: Iterable[tuple[str | None, T]],
    preferred: str = DEFAULT_LANGUAGE,
    *,
    is_blank: Callable[[T], bool] = _blank,
) -> T | None:
    """The value to keep among `(language, value)` pairs, by the rule above; `None` when
    every value is blank."""
    wanted = language_key(preferred) or DEFAULT_LANGUAGE
    best: T | None = None
    best_rank = 4
    for tag, value in candidates:
        if is_blank(value):
            continue
        key = language_key(tag)
        if key == wanted:
            return value
        rank = 1 if key == FALLBACK_LANGUAGE else 2 if key is None else 3
        if rank < best_rank:
            best, best_rank = value, rank
    return best


def pick_language(values: Mapping[Any, T], preferred: str = DEFAULT_LANGUAGE) -> T | None:
    """The text of a language dictionary (ckanext-fluent, JSON-LD language maps)."""
    return choose(((str(key), value) for key, value in values.items()), preferred)
