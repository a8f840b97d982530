"""Remote records indented for the admin pages."""

from __future__ import annotations

from moisson.admin.payloads import pretty_payload


def test_json_is_indented_with_sorted_keys() -> None:
    assert (
        pretty_payload('{"b": 1, "a": {"c": "é"}}')
        == '{\n  "a": {\n    "c": "é"\n  },\n  "b": 1\n}'
    )


def test_xml_is_indented() -> None:
    shown = pretty_payload('<a xmlns="urn:x"><b>t</b><c/></a>')
    assert shown.splitlines() == ['<a xmlns="urn:x">', "  <b>t</b>", "  <c/>", "</a>"]


def test_entities_are_not_expanded() -> None:
    hostile = '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a>&e;</a>'
    assert "file:///etc/hostname" not in pretty_payload(hostile).split("]>")[-1]


def test_anything_else_is_left_alone() -> None:
    triples = '<http://x/d> <http://purl.org/dc/terms/title> "T" .\n'
    assert pretty_payload(triples) == triples
    assert pretty_payload("{not json") == "{not json"
    assert pretty_payload(None) == ""
