"""A fast HTML -> Markdown conversion for the simplest descriptions, equal to markdownify's.

markdownify (BeautifulSoup, then a walk of the tree) costs ~0.4 ms a description: on a first
harvest that was a fifth of the whole time. Most catalog descriptions are a few paragraphs
and lists of plain text with bold, italics and links; this module converts exactly that
subset with one regular-expression pass, and answers `None` for anything else (another tag,
an attribute other than `href`, an entity, a character Markdown would need escaped, nested
inline tags, whitespace at the edge of an element...), which the caller then hands to
markdownify. `tests/unit/mapping/test_simple_html.py` checks, on generated documents of
the subset, that the output is markdownify's (`heading_style="ATX", bullets="*"`, stripped).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<(/?)([a-z]+)((?:\s+[a-z]+=\"[^\"<>&]*\")*)\s*>|([^<]+)")
_HREF = re.compile(r'\s+href="([^"<>&]*)"')
_INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*"}
_BLOCKS = frozenset({"p", "ul", "ol"})
#: Characters markdownify escapes or treats specially, entities, whitespace it collapses.
_UNSAFE = re.compile(r"[*_\\`&<>\[\]#|~]|[^\S ]|  ")
#: ...and, inside an element, whitespace at its edges (markdownify moves it around).
_UNSAFE_CONTENT = re.compile(r"[*_\\`&<>\[\]#|~]|[^\S ]|  |^\s|\s$")
#: ...and in a link's URL, what would end the Markdown link or need escaping.
_UNSAFE_URL = re.compile(r"[\s()<>\[\]\\*_&\"]")
_BLANK = re.compile(r"\s*")


def simple_html_to_markdown(html: str) -> str | None:
    """The Markdown of `html` when it is in the simple subset (see the module), else `None`."""
    blocks: list[str] = []
    pos = 0
    length = len(html)
    while pos < length:
        blank = _BLANK.match(html, pos)
        pos = blank.end() if blank else pos
        if pos >= length:
            break
        start = _TOKEN.match(html, pos)
        if start is None or start.group(1) or start.group(2) not in _BLOCKS or start.group(3):
            return None
        tag = start.group(2)
        pos = start.end()
        if tag == "p":
            converted = _inline(html, pos, "p")
            if converted is None:
                return None
            text, pos = converted
            blocks.append(text)
        else:
            items: list[str] = []
            while True:
                blank = _BLANK.match(html, pos)
                pos = blank.end() if blank else pos
                token = _TOKEN.match(html, pos)
                if token is None or token.group(3):
                    return None
                if token.group(1) and token.group(2) == tag:
                    pos = token.end()
                    break
                if token.group(1) or token.group(2) != "li":
                    return None
                converted = _inline(html, token.end(), "li")
                if converted is None:
                    return None
                text, pos = converted
                items.append(text)
            if not items:
                return None
            if tag == "ul":
                blocks.append("\n".join(f"* {item}" for item in items))
            else:
                blocks.append("\n".join(f"{n}. {item}" for n, item in enumerate(items, 1)))
    return "\n\n".join(blocks) if blocks else None


def _inline(html: str, pos: int, closing: str) -> tuple[str, int] | None:
    """The Markdown of the inline content up to `</closing>`, and the position after it."""
    parts: list[str] = []
    edges: list[str] = []  # the raw text at the start and end of the element
    while True:
        token = _TOKEN.match(html, pos)
        if token is None:
            return None
        pos = token.end()
        text = token.group(4)
        if text is not None:
            if _UNSAFE.search(text):
                return None
            parts.append(text)
            edges.append(text)
            continue
        is_end, tag, attributes = token.group(1), token.group(2), token.group(3)
        if is_end:
            if tag != closing:
                return None
            break
        content = _element_text(html, pos, tag)
        if content is None:
            return None
        inner, pos = content
        edges.append(inner)
        if tag in _INLINE and not attributes:
            mark = _INLINE[tag]
            parts.append(f"{mark}{inner}{mark}")
        elif tag == "a":
            href = _HREF.fullmatch(attributes)
            url = href.group(1) if href else ""
            if not url or inner == url or _UNSAFE_URL.search(url):
                return None
            parts.append(f"[{inner}]({url})")
        else:
            return None
    if not parts or edges[0][:1].isspace() or edges[-1][-1:].isspace():
        return None
    return "".join(parts), pos


def _element_text(html: str, pos: int, tag: str) -> tuple[str, int] | None:
    """The plain text of an inline element (`<tag>text</tag>`, no markup inside) whose
    start tag ends at `pos`, and the position after its end tag."""
    inner = _TOKEN.match(html, pos)
    if inner is None or inner.group(4) is None or _UNSAFE_CONTENT.search(inner.group(4)):
        return None
    end = _TOKEN.match(html, inner.end())
    if end is None or end.group(1) != "/" or end.group(2) != tag:
        return None
    return inner.group(4), end.end()
