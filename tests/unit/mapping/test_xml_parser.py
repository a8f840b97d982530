"""The hardened XML parser: what it accepts, and the attacks it refuses without leaking."""

from __future__ import annotations

import pytest
from tests.conftest import LOCAL_FIXTURES

from moisson.mapping.xml import XmlError, local_name, parse_xml, xpath_first, xpath_strings

CSW_FIXTURES = LOCAL_FIXTURES / "csw"


class TestParseXml:
    def test_parses_bytes_and_str(self) -> None:
        assert local_name(parse_xml(b"<a:b xmlns:a='urn:x'/>")) == "b"
        assert parse_xml("<root>é</root>").text == "é"

    def test_external_entity_is_refused_and_nothing_is_read(self) -> None:
        data = (CSW_FIXTURES / "xxe-page.xml").read_bytes()
        with pytest.raises(XmlError, match="declaring entities are refused") as excinfo:
            parse_xml(data)
        # The message names the entity, never what the entity points at would contain.
        assert "secret" in str(excinfo.value)
        assert "/etc/hostname" not in str(excinfo.value)

    def test_entity_expansion_bomb_is_refused(self) -> None:
        data = (CSW_FIXTURES / "entity-bomb.xml").read_bytes()
        with pytest.raises(XmlError, match="possible XXE or entity expansion attack"):
            parse_xml(data)

    def test_external_parameter_entity_is_refused(self) -> None:
        data = (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM '
            b'"http://127.0.0.1:9/evil.dtd"> %ext;]><r/>'
        )
        with pytest.raises(XmlError, match="ext"):
            parse_xml(data)

    def test_external_dtd_is_not_loaded(self) -> None:
        # The DTD URL is unreachable (and sockets are blocked): parsing must not try it.
        root = parse_xml((CSW_FIXTURES / "external-dtd-page.xml").read_bytes())
        assert local_name(root) == "GetRecordsResponse"

    def test_malformed_xml_gives_one_clear_error(self) -> None:
        with pytest.raises(XmlError, match="Invalid XML"):
            parse_xml(b"<a><b></a>")

    def test_size_cap(self) -> None:
        with pytest.raises(XmlError, match="too large"):
            parse_xml(b"<a>" + b"x" * 100 + b"</a>", max_bytes=50)

    def test_comments_are_dropped(self) -> None:
        root = parse_xml(b"<a><!-- note --><b/></a>")
        assert [local_name(child) for child in root] == ["b"]


class TestXpathHelpers:
    def test_strings_are_trimmed_and_blanks_dropped(self) -> None:
        root = parse_xml(b"<a><b> one </b><b>  </b><b>two</b></a>")
        assert xpath_strings(root, "b", {}) == ["one", "two"]
        assert xpath_first(root, "b", {}) == "one"
        assert xpath_first(root, "c", {}) is None
