"""Descriptions as the admin shows them: Markdown rendered to sanitized HTML.

Harvested descriptions are Markdown (udata's format; the API returns that string as is) and
come from remote catalogs we do not trust. Two layers keep them inert:

- markdown-it-py renders CommonMark with raw HTML *off* (a `<script>` or `<img onerror>`
  in the text is shown as text), images off (a remote image would tell a third party who
  reads the admin, and the CSP would block it anyway), and links only when they are http(s)
  or mailto (a `javascript:`, `data:` or relative link stays plain text);
- nh3 (the Ammonia sanitizer) then keeps only the tags and attributes CommonMark produces
  and the same three link schemes, whatever the renderer emitted.

Links get `rel="nofollow noopener noreferrer"`.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
#: Longest description rendered; the rest is cut (a harvested text can be megabytes).
MAX_CHARACTERS = 100_000


def _allowed_link(url: str) -> bool:
    scheme, colon, _ = url.strip().partition(":")
    return bool(colon) and scheme.lower() in LINK_SCHEMES


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    md.validateLink = _allowed_link  # type: ignore[method-assign]
    return md


_MARKDOWN = _renderer()


def render_markdown(text: str | None) -> Markup:
    """Sanitized HTML of a Markdown description (empty for none)."""
    if not text:
        return Markup("")
    html = _MARKDOWN.render(text[:MAX_CHARACTERS])
    clean = nh3.clean(
        html,
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 (sanitized just above)
