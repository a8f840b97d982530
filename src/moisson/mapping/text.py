"""Text normalisation shared by every mapping: slugs, tags, HTML descriptions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from markdownify import markdownify

from moisson.mapping.simple_html import simple_html_to_markdown

TAG_MIN_LENGTH = 3
TAG_MAX_LENGTH = 96

# Letters NFKD does not decompose into ASCII.
_TRANSLITERATIONS = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "ð": "d",
    }
)
_APOSTROPHES = re.compile(r"['’‘`]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")


def ascii_fold(text: str) -> str:
    text = text.translate(_TRANSLITERATIONS)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str) -> str:
    """Lower-case ASCII slug with udata's (awesome-slugify) rules: apostrophes vanish
    (`Document d'urbanisme` -> `document-durbanisme`), other separators become `-`."""
    text = _APOSTROPHES.sub("", ascii_fold(text).lower())
    return _SEPARATORS.sub("-", text).strip("-")


def normalize_tags(values: Iterable[str], *, max_length: int = TAG_MAX_LENGTH) -> tuple[str, ...]:
    """udata's tag rules: slugified, shorter than 3 dropped, cut at 96, unique and sorted."""
    tags = set()
    for value in values:
        tag = slugify(value)[:max_length].strip("-")
        if len(tag) >= TAG_MIN_LENGTH:
            tags.add(tag)
    return tuple(sorted(tags))


def looks_like_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text))


def sanitize_description(text: str | None) -> str:
    """HTML is converted to Markdown; plain text is only trimmed; nothing gives `""`."""
    if not text:
        return ""
    if looks_like_html(text):
        return _html_to_markdown(text)
    return text.strip()


@lru_cache(maxsize=1024)
def _html_to_markdown(html: str) -> str:
    # markdownify costs ~0.4 ms a call; catalogs repeat boilerplate (distribution
    # descriptions, standard notices) a lot, and the conversion is a pure function. The
    # simplest documents take a fast path that gives markdownify's very output.
    simple = simple_html_to_markdown(html)
    if simple is not None:
        return simple
    return str(markdownify(html, heading_style="ATX", bullets="*")).strip()
