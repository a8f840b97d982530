"""The README's table of MQA scores and DCAT-AP results of the recorded DCAT catalogs.

Each catalog of `SHARED_FIXTURES / "dcat"` (tests/conftest.py) is read the way the DCAT backend
reads it (one record per dataset, its own RDF), validated and scored as a harvest does (URL checks
off). `python -m tests.quality_table` prints the table; `tests/unit/quality/test_readme_table.py`
keeps the README equal to it.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SHARED_FIXTURES

from moisson.harvest.quality import known_licence_test
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf import detect_format, iter_dataset_nodes, parse_graph
from moisson.mapping.rdf.graph import RdfGraph
from moisson.mapping.rdf.records import record_triples
from moisson.quality.mqa import Facts, default_points, score_dataset
from moisson.quality.validation import VIOLATION, Validator

CATALOGS = sorted((SHARED_FIXTURES / "dcat").glob("*"))


def catalog_row(path: Path, validator: Validator) -> str | None:
    """The table row of one catalog, or `None` for a file that is not an RDF catalog."""
    data = path.read_bytes()
    try:
        graph = parse_graph(data, detect_format(None, path.name, data))
    except Exception:  # a DCAT-US JSON file: not RDF, read by another mapping
        return None
    nodes = list(iter_dataset_nodes(graph))
    if not nodes:
        return None
    records = [record_triples(graph, node) for node in nodes]
    known = known_licence_test(LicenseTable.load())
    scores: list[int] = []
    bands: set[str] = set()
    conforming = 0
    for node, triples, found in zip(
        nodes, records, validator.validate_records(records), strict=True
    ):
        conforms = not any(f.severity == VIOLATION for f in found)
        conforming += conforms
        score = score_dataset(
            RdfGraph(triples), node, Facts(conforms=conforms, known_licence=known)
        )
        scores.append(score.points)
        bands.add(score.band)
    average = sum(scores) / len(scores)
    return (
        f"| `{path.name}` | {len(scores)} | {average:.0f} | "
        f"{default_points().band(round(average))} | {', '.join(sorted(bands))} | "
        f"{conforming}/{len(scores)} |"
    )


def quality_table() -> str:
    validator = Validator()
    lines = [
        "| catalog | datasets | MQA average (of 405) | its band | bands seen | conforming |",
        "|---|---|---|---|---|---|",
    ]
    lines.extend(row for path in CATALOGS if (row := catalog_row(path, validator)))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(quality_table(), end="")  # noqa: T201
