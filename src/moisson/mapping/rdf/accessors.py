"""Value-reading primitives over an `RdfGraph` (docs/udata-backends.md §2.2).

Their semantics decide the expected values of the fixtures, so they follow udata exactly:
- a literal's value is converted by datatype (dates, numbers, booleans); an ill-typed literal
  stays a string;
- `single()` follows the shared language rule (preferred language, then English, then any
  non-empty value), where udata 17 took the first object after the preferred language;
- nodes are "unwrapped" through a list of label properties, else give their identifier;
- `unique_values()` unwraps through rdfs:label then dct:description, drops empties and
  duplicates, keeps document order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from dateutil import parser as date_parser
from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.mapping.language import choose
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCT, RDFS, XSD
from moisson.mapping.values import naive

Value = str | int | float | bool | date | datetime

LABEL_UNWRAP: tuple[NamedNode, ...] = (RDFS.label, DCT.description)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(text)


def _datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def _date(text: str) -> date:
    # xsd:date may carry a timezone ("2016-12-14Z", "2016-12-14+01:00"): the day is enough.
    return date.fromisoformat(text.strip()[:10])


_INTEGER_TYPES = (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "negativeInteger",
    "nonPositiveInteger",
)  # fmt: skip
_CONVERTERS: dict[str, Callable[[str], Value]] = {
    XSD.date.value: _date,
    XSD.dateTime.value: _datetime,
    XSD.boolean.value: _boolean,
    XSD.decimal.value: float,
    XSD.double.value: float,
    XSD.float.value: float,
    **{XSD[name].value: int for name in _INTEGER_TYPES},
}


def literal_value(literal: Literal) -> Value:
    """The Python value of a literal; an ill-typed literal stays its text."""
    converter = _CONVERTERS.get(literal.datatype.value)
    if converter is None:
        return literal.value
    try:
        return converter(literal.value)
    except ValueError:
        return literal.value


def node_id(term: NamedNode | BlankNode) -> str:
    """An IRI, or a blank node's identifier (what rdflib's `str(BNode)` gives)."""
    return term.value


def term_value(graph: RdfGraph, term: Term, unwrap: Sequence[NamedNode] = ()) -> Value:
    """A literal's value, else the node's first non-empty `unwrap` value, else its id."""
    if isinstance(term, Literal):
        return literal_value(term)
    for predicate in unwrap:
        for obj in graph.objects(term, predicate):
            value = term_value(graph, obj)
            if value not in ("", None):
                return value
    return node_id(term)


def preferred(objects: Sequence[Term], language: str | None) -> Term | None:
    """The object to read among several: with a `language`, the shared language rule
    (`moisson.mapping.language`: that language, then English, then an untagged value, then
    any other non-empty one); without, the first object."""
    if not objects:
        return None
    if language:
        chosen = choose(
            ((obj.language if isinstance(obj, Literal) else None, obj) for obj in objects),
            language,
            is_blank=_blank_literal,
        )
        if chosen is not None:
            return chosen
    return objects[0]


def _blank_literal(term: Term) -> bool:
    return isinstance(term, Literal) and not term.value.strip()


def single(
    graph: RdfGraph,
    node: Term,
    predicate: NamedNode,
    language: str | None = None,
    unwrap: Sequence[NamedNode] = (),
) -> Value | None:
    """Spec 2.2 "single value": language-preferred, unwrapped, `None` when absent."""
    obj = preferred(graph.objects(node, predicate), language)
    return None if obj is None else term_value(graph, obj, unwrap)


def single_text(
    graph: RdfGraph,
    node: Term,
    predicate: NamedNode,
    language: str | None = None,
    unwrap: Sequence[NamedNode] = (),
) -> str | None:
    """`single()` as text: `None` when absent or blank."""
    value = single(graph, node, predicate, language, unwrap)
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text.strip() or None


def unique_values(
    graph: RdfGraph,
    node: Term,
    predicate: NamedNode,
    unwrap: Sequence[NamedNode] = LABEL_UNWRAP,
) -> list[str]:
    """Every object as text (unwrapped), empties dropped, duplicates removed, in order."""
    values: list[str] = []
    for obj in graph.objects(node, predicate):
        value = term_value(graph, obj, unwrap)
        text = value.isoformat() if isinstance(value, date) else str(value)
        text = text.strip()
        if text and text not in values:
            values.append(text)
    return values


def url_value(graph: RdfGraph, node: Term, predicate: NamedNode) -> str | None:
    """The first object as a string, IRI or literal alike (landingPage, accessURL…)."""
    obj = graph.value(node, predicate)
    if obj is None or isinstance(obj, BlankNode):
        return None
    return obj.value.strip() or None


def to_datetime(value: Any) -> datetime | None:
    """A naive UTC datetime from a date, a datetime or a text; `None` when unparseable."""
    if isinstance(value, datetime):
        return naive(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str) and value.strip():
        try:
            parsed = date_parser.parse(value.strip())
        except (ValueError, OverflowError):
            return None
        return to_datetime(parsed)
    return None


def datetime_value(graph: RdfGraph, node: Term, predicate: NamedNode) -> datetime | None:
    return to_datetime(single(graph, node, predicate))


def modified_datetime(
    graph: RdfGraph, node: Term, predicate: NamedNode, now: datetime
) -> datetime | None:
    """Like `datetime_value`, but a date in the future is dropped
    (docs/udata-backends.md §2.3, §10.9)."""
    value = datetime_value(graph, node, predicate)
    if value is None or value > now:
        return None
    return value
