"""The fast HTML -> Markdown path gives markdownify's output, or declines (`None`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdownify import markdownify

from moisson.mapping.simple_html import simple_html_to_markdown
from moisson.mapping.text import sanitize_description


def reference(html: str) -> str:
    return str(markdownify(html, heading_style="ATX", bullets="*")).strip()


# Mostly safe text, now and then what the fast path must decline.
_SAFE = "abcxyzéàçÉ0123456789.,;:'!?-+/()%«»–’"
_UNSAFE = "*_&<>[]#\n\t\u00a0 "
safe_words = st.lists(st.text(alphabet=_SAFE, min_size=1, max_size=6), min_size=1, max_size=3)
words = st.one_of(
    safe_words.map(" ".join),
    safe_words.map(" ".join),
    st.text(alphabet=_SAFE + _UNSAFE, min_size=0, max_size=12),
)
spaces = st.sampled_from(["", "", " "])
urls = st.sampled_from(
    ["https://example.org/a", "http://x.test/p?q=1", "https://e.org/(x)", "", "ab c", "mailto:a@b"]
)


@st.composite
def inline_piece(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(["text"] * 4 + ["strong", "b", "em", "i", "a", "a", "span", "nested"])
    )
    text = draw(words)
    if kind == "text":
        return draw(spaces) + text + draw(spaces)
    if kind == "a":
        url = draw(urls)
        label = draw(st.one_of(words, st.just(url)))
        return f'<a href="{url}">{label}</a>'
    if kind == "nested":
        return f"<strong><em>{text}</em></strong>"
    return f"<{kind}>{text}</{kind}>"


inline = st.lists(inline_piece(), min_size=1, max_size=5).map("".join)
gaps = st.sampled_from(["", "", "\n", " ", "\n  "])


@st.composite
def block(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["p", "p", "p", "ul", "ul", "ol", "h2", "text"]))
    if kind in ("ul", "ol"):
        items = draw(st.lists(inline, min_size=0, max_size=3))
        gap = draw(gaps)
        return f"<{kind}>{gap}" + "".join(f"<li>{i}</li>{gap}" for i in items) + f"</{kind}>"
    if kind == "text":
        return draw(words)
    return f"<{kind}>{draw(inline)}</{kind}>"


documents = st.lists(st.tuples(block(), gaps), min_size=1, max_size=4).map(
    lambda parts: "".join(b + g for b, g in parts)
)


@settings(max_examples=600, deadline=None)
@given(documents)
def test_the_fast_path_gives_markdownifys_output_or_declines(html: str) -> None:
    fast = simple_html_to_markdown(html)
    if fast is not None:
        assert fast == reference(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p>Jeu de données <strong>qualité de l'air</strong> de Lyon (2020).</p>"
        '<ul><li>Couverture : Lyon</li><li>Source : <a href="http://x.test/s/1">registre</a>'
        "</li></ul><p>Voir la <em>documentation</em> jointe.</p>",
        "<p>Description <b>1</b></p>",
        "<ol>\n<li>un</li>\n<li>deux</li>\n</ol>\n<p>fin</p>",
    ],
)
def test_ordinary_descriptions_take_the_fast_path(html: str) -> None:
    fast = simple_html_to_markdown(html)
    assert fast is not None
    assert fast == reference(html)
    assert sanitize_description(html) == fast


@pytest.mark.parametrize(
    "html",
    [
        "<p>a &amp; b</p>",
        "<p>snake_case</p>",
        "<p> edge</p>",
        "<h2>Title</h2>",
        "<p>a<br>b</p>",
        '<p><a href="https://e.org">https://e.org</a></p>',
        '<p class="x">styled</p>',
        "<p><strong><em>nested</em></strong></p>",
        "plain <p>then html</p>",
    ],
)
def test_anything_else_is_left_to_markdownify(html: str) -> None:
    assert simple_html_to_markdown(html) is None
    assert sanitize_description(html) == reference(html)
