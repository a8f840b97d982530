"""Remote records shown to people: JSON and XML indented, anything else as it is."""

from __future__ import annotations

import json

from lxml import etree

#: Never resolve entities, load DTDs or touch the network: the payload came from a remote.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True
)
#: Larger records are shown as stored: re-indenting them would only slow the page down.
MAX_PRETTY = 2_000_000


def pretty_payload(text: str | None) -> str:
    """`text` indented when it is JSON (stored one line, keys sorted) or XML."""
    if not text:
        return ""
    stripped = text.strip()
    if len(stripped) > MAX_PRETTY:
        return text
    if stripped.startswith(("{", "[")):
        try:
            return json.dumps(json.loads(stripped), ensure_ascii=False, indent=2, sort_keys=True)
        except ValueError:
            return text
    if stripped.startswith("<"):
        try:
            root = etree.fromstring(stripped.encode("utf-8"), _PARSER)
        except (etree.XMLSyntaxError, ValueError):
            return text
        return str(etree.tostring(root, encoding="unicode", pretty_print=True))
    return text
