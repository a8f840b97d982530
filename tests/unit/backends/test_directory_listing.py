"""Pure helpers of the directory-listing crawl (`moisson.backends.directory_listing`)."""

from __future__ import annotations

import pytest

from moisson.backends.directory_listing import as_directory_url, is_inside, listing_links

ROOT = "http://files.example.org/etalab/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/etalab", "http://h/etalab/"),
        ("http://h/etalab/", "http://h/etalab/"),
        ("http://h", "http://h/"),
        ("http://h/etalab/?C=N;O=D#x", "http://h/etalab/"),
    ],
)
def test_as_directory_url(url: str, expected: str) -> None:
    assert as_directory_url(url) == expected


class TestListingLinks:
    def test_links_are_absolute_in_document_order_without_fragments(self) -> None:
        page = (
            "<html><body><h1>Index of /etalab</h1><ul>"
            '<li><a href="/"> Parent Directory</a></li>'
            '<li><a href="ETALAB/"> ETALAB/</a></li>'
            '<li><a href="a%20b.xml#top">a b.xml</a></li>'
            '<li><a href="#top">top</a></li><li><a>no href</a></li>'
            '<li><a href=" http://other.example/x.xml ">x</a></li>'
            "</ul></body></html>"
        )

        assert listing_links(page, ROOT) == [
            "http://files.example.org/",
            "http://files.example.org/etalab/ETALAB/",
            "http://files.example.org/etalab/a%20b.xml",
            "http://other.example/x.xml",
        ]

    def test_links_outside_lists_count_too(self) -> None:
        page = '<table><tr><td><a href="ALIM/">ALIM/</a></td></tr></table><pre><a href="b.xml">'

        assert listing_links(page, ROOT) == [f"{ROOT}ALIM/", f"{ROOT}b.xml"]

    def test_xhtml_listings_with_an_xml_declaration(self) -> None:
        page = (
            '<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html>'
            '<html><body><a href="Forêt/">Forêt/</a></body></html>'
        )

        assert listing_links(page, ROOT) == [f"{ROOT}Forêt/"]

    @pytest.mark.parametrize("page", ["", "   ", "<html></html>", "not html at all"])
    def test_pages_without_links(self, page: str) -> None:
        assert listing_links(page, ROOT) == []


@pytest.mark.parametrize(
    ("url", "inside", "strictly_inside"),
    [
        (f"{ROOT}ALIM/", True, True),
        (f"{ROOT}ALIM/EPHY/x.xml", True, True),
        (ROOT, True, False),
        ("HTTP://FILES.EXAMPLE.ORG:80/etalab/ALIM/", True, True),
        ("http://files.example.org/", False, False),
        ("http://files.example.org/etalabX/", False, False),
        ("http://files.example.org/other/etalab/", False, False),
        ("https://files.example.org/etalab/ALIM/", False, False),
        ("http://files.example.org:8080/etalab/ALIM/", False, False),
        ("http://mirror.example.org/etalab/ALIM/", False, False),
        ("http://user:pw@files.example.org/etalab/ALIM/", False, False),
        (f"{ROOT}ALIM/?C=N;O=D", False, False),
        (f"{ROOT}%2e%2e/", False, False),
        (f"{ROOT}ALIM/%2E%2E/%2e%2e/", False, False),
        (f"{ROOT}..%2F..%2Fsecret/", False, False),
        (f"{ROOT}.%2f/", False, False),
        (f"{ROOT}a%5c..%5c/", False, False),
        ("ftp://files.example.org/etalab/ALIM/", False, False),
    ],
)
def test_is_inside(url: str, inside: bool, strictly_inside: bool) -> None:
    assert is_inside(url, ROOT) is inside
    assert is_inside(url, ROOT, strictly=True) is strictly_inside
