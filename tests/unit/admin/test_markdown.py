"""Descriptions rendered for the admin: Markdown to HTML, with nothing active left."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from moisson.admin.markdown import MAX_CHARACTERS, render_markdown

HOSTILE = """# Title <script>alert(1)</script>

A [good link](https://example.org/a?b=1&c=2), a [mail](mailto:someone@example.org),
[js](javascript:alert(1)), [JS](JaVaScRiPt:alert(1)), [entity](jav&#x61;script:alert(1)),
[data](data:text/html,<script>alert(1)</script>), [relative](/admin/sources) and
<https://auto.example.org/x>.

<img src=x onerror=alert(2)> <iframe src="https://evil.example.org"></iframe>
<a href="javascript:alert(3)" onclick="alert(3)">raw</a>

![tracker](https://evil.example.org/pixel.png)

- **bold** and *em*
- `code`
"""


def parsed(text: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(str(render_markdown(text)), create_parent="div")


class TestRenderMarkdown:
    def test_only_http_and_mailto_links_are_links(self) -> None:
        root = parsed(HOSTILE)
        assert [a.get("href") for a in root.iter("a")] == [
            "https://example.org/a?b=1&c=2",
            "mailto:someone@example.org",
            "https://auto.example.org/x",
            "https://evil.example.org/pixel.png",  # an image is only a link here
        ]
        for a in root.iter("a"):
            assert a.get("rel") == "nofollow noopener noreferrer"

    def test_no_raw_html_or_event_handler_survives(self) -> None:
        root = parsed(HOSTILE)
        tags = {element.tag for element in root.iter()}
        assert tags <= {"div", "h1", "p", "a", "ul", "li", "strong", "em", "code"}
        for element in root.iter():
            assert not [name for name in element.attrib if name.startswith("on")]
            assert element.get("src") is None
        text = root.text_content()
        # What was markup is shown as text, so the operator sees what the remote sent.
        assert "<script>alert(1)</script>" in text
        assert "<img src=x onerror=alert(2)>" in text
        assert "[js](javascript:alert(1))" in text

    def test_markdown_structure_is_rendered(self) -> None:
        root = parsed(HOSTILE)
        assert root.findtext("h1") == "Title <script>alert(1)</script>"
        assert [li.text_content() for li in root.iter("li")] == ["bold and em", "code"]

    @pytest.mark.parametrize("empty", [None, ""])
    def test_nothing_for_no_description(self, empty: str | None) -> None:
        assert str(render_markdown(empty)) == ""

    def test_a_huge_description_is_cut(self) -> None:
        rendered = str(render_markdown("x" * (MAX_CHARACTERS + 5000)))
        assert rendered.count("x") == MAX_CHARACTERS
