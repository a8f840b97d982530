"""N-Triples terms written as text (W3C N-Triples grammar), for the catalog's fast path.

`iri`, `literal` and `blank` give a term's N-Triples form; `TERMS[named_node]` gives the
form of a pyoxigraph constant (`DCAT.Dataset`), computed once per term. Blank node labels
come from one process-wide counter, so two descriptions written into the same document
never share a blank node.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from pyoxigraph import NamedNode

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

#: What an IRIREF may not hold unescaped (the grammar's excluded characters).
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`]')
#: What a STRING_LITERAL_QUOTE must escape.
_LITERAL_SPECIAL = re.compile(r'["\\\n\r]')


class _Terms(dict[Any, str]):
    def __missing__(self, term: Any) -> str:
        text = self[term] = str(term)  # pyoxigraph terms print in N-Triples form
        return text


TERMS = _Terms()
_labels = itertools.count()
#: Fresh per process: labels of two processes writing into one store never meet either.
_PREFIX = f"m{id(TERMS):x}"


def iri(value: str) -> str:
    if _IRI_FORBIDDEN.search(value):
        # Not an IRI: pyoxigraph raises the same error the Triple path would.
        return str(NamedNode(value))
    return f"<{value}>"


def literal(value: str, datatype: NamedNode | None = None) -> str:
    if _LITERAL_SPECIAL.search(value):
        # Backslashes first, so the escapes added next are not escaped again.
        value = (
            value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    if datatype is None or datatype.value == XSD_STRING:
        return f'"{value}"'
    return f'"{value}"^^{TERMS[datatype]}'


def blank() -> str:
    return f"_:{_PREFIX}b{next(_labels)}"
